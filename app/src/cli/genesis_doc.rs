//! CometBFT's genesis document as blsd reads and writes it outside `app_state`: the InitChain
//! request CometBFT would send for it ([`init_chain_request`], so `blsd genesis validate`
//! checks exactly what InitChain will), and the evidence window that fits the staking
//! unbonding period ([`fit_evidence_window`], written by `blsd init`).

use std::time::Duration;

use anyhow::{bail, Context as _};
use base64::Engine;
use serde_json::{json, Value};
use tendermint_proto::google::protobuf::{Duration as ProtoDuration, Timestamp};
use tendermint_proto::v0_38::abci::{RequestInitChain, ValidatorUpdate};
use tendermint_proto::v0_38::crypto::{public_key, PublicKey};
use tendermint_proto::v0_38::types::{AbciParams, ConsensusParams, EvidenceParams};

/// CometBFT's JSON type tag of an ed25519 validator key.
const ED25519_KEY_TYPE: &str = "tendermint/PubKeyEd25519";

/// An integer CometBFT writes as a JSON string (or, hand-edited, a number).
fn int(v: &Value, what: &str) -> anyhow::Result<i64> {
    match v {
        Value::String(s) => s
            .parse()
            .with_context(|| format!("{what} must be an integer, got {s:?}")),
        Value::Number(n) => n
            .as_i64()
            .with_context(|| format!("{what} must be an integer, got {n}")),
        other => bail!("{what} must be an integer, got {other}"),
    }
}

/// The InitChain request CometBFT sends for genesis document `g`: chain id, initial height,
/// genesis time, evidence params (absent: CometBFT's defaults, as CometBFT does), the
/// vote-extension enable height, validators and `app_state`.
pub fn init_chain_request(g: &Value) -> anyhow::Result<RequestInitChain> {
    let chain_id = g["chain_id"].as_str().unwrap_or_default();
    if chain_id.is_empty() {
        bail!("genesis has no chain_id");
    }
    let initial_height = match &g["initial_height"] {
        Value::Null => 1,
        v => int(v, "initial_height")?,
    };
    let time = match g["genesis_time"].as_str() {
        Some(t) => Some(Timestamp::from(
            tendermint::Time::parse_from_rfc3339(t)
                .with_context(|| format!("genesis_time {t:?} is not an RFC 3339 time"))?,
        )),
        None => None,
    };
    let evidence = &g["consensus_params"]["evidence"];
    let ve_height = match &g["consensus_params"]["abci"]["vote_extensions_enable_height"] {
        Value::Null => 0,
        v => int(v, "consensus_params.abci.vote_extensions_enable_height")?,
    };
    if ve_height < 0 {
        bail!("consensus_params.abci.vote_extensions_enable_height must not be negative");
    }
    let abci = (ve_height != 0).then_some(AbciParams {
        vote_extensions_enable_height: ve_height,
    });
    let consensus_params = if evidence.is_null() {
        abci.map(|abci| ConsensusParams {
            abci: Some(abci),
            ..Default::default()
        })
    } else {
        let nanos = int(
            &evidence["max_age_duration"],
            "consensus_params.evidence.max_age_duration",
        )?;
        Some(ConsensusParams {
            evidence: Some(EvidenceParams {
                max_age_num_blocks: int(
                    &evidence["max_age_num_blocks"],
                    "consensus_params.evidence.max_age_num_blocks",
                )?,
                max_age_duration: Some(ProtoDuration {
                    seconds: nanos.div_euclid(1_000_000_000),
                    nanos: i32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0),
                }),
                max_bytes: match &evidence["max_bytes"] {
                    Value::Null => 0,
                    v => int(v, "consensus_params.evidence.max_bytes")?,
                },
            }),
            abci,
            ..Default::default()
        })
    };
    let mut validators = Vec::new();
    for (i, v) in g["validators"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let kind = v["pub_key"]["type"].as_str().unwrap_or_default();
        if kind != ED25519_KEY_TYPE {
            bail!("validators[{i}] has a {kind:?} key; blsd's validators use {ED25519_KEY_TYPE}");
        }
        let key = base64::engine::general_purpose::STANDARD
            .decode(v["pub_key"]["value"].as_str().unwrap_or_default())
            .with_context(|| format!("validators[{i}].pub_key.value is not base64"))?;
        validators.push(ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(public_key::Sum::Ed25519(key)),
            }),
            power: int(&v["power"], &format!("validators[{i}].power"))?,
        });
    }
    Ok(RequestInitChain {
        time,
        chain_id: chain_id.to_string(),
        consensus_params,
        validators,
        app_state_bytes: serde_json::to_vec(&g["app_state"])?.into(),
        initial_height,
    })
}

/// Sets the evidence window of genesis document `genesis` from the staking unbonding period in
/// its `app_state` (or the staking default): `max_age_num_blocks = unbonding_blocks − 1`, the
/// longest window InitChain accepts, and `max_age_duration = unbonding_blocks × block_time`,
/// the same window at the nominal block interval (an unbonding entry also waits that long in
/// block time, so a longer duration would stretch unbonding when blocks run on time).
pub fn fit_evidence_window(genesis: &mut Value, block_time: Duration) -> anyhow::Result<()> {
    let params = &genesis["app_state"]["staking"]["params"];
    let staking: bls_staking::Params = if params.is_null() {
        bls_staking::Params::default()
    } else {
        serde_json::from_value(params.clone()).context("app_state.staking.params")?
    };
    let blocks = staking.unbonding_blocks;
    if blocks < 2 {
        bail!(
            "staking unbonding_blocks is {blocks}: it must be at least 2 to leave CometBFT an \
             evidence window of at least one block"
        );
    }
    if block_time.is_zero() {
        bail!("the block time must be positive");
    }
    let nanos = block_time
        .as_nanos()
        .saturating_mul(u128::from(blocks))
        .min(i64::MAX as u128);
    if !genesis["consensus_params"].is_object() {
        genesis["consensus_params"] = json!({});
    }
    if !genesis["consensus_params"]["evidence"].is_object() {
        genesis["consensus_params"]["evidence"] = json!({"max_bytes": "1048576"});
    }
    let evidence = &mut genesis["consensus_params"]["evidence"];
    evidence["max_age_num_blocks"] = Value::String((blocks - 1).to_string());
    evidence["max_age_duration"] = Value::String(nanos.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "genesis_time": "2026-11-01T00:00:00.5Z",
            "chain_id": "c",
            "initial_height": "7",
            "consensus_params": {"evidence": {"max_age_num_blocks": "100000",
                "max_age_duration": "172800000000001", "max_bytes": "1048576"}},
            "validators": [{"address": "AA", "pub_key": {"type": ED25519_KEY_TYPE,
                "value": base64::engine::general_purpose::STANDARD.encode([7u8; 32])},
                "power": "10", "name": "v"}],
            "app_state": {"staking": {"params": {"unbonding_blocks": 30}}},
        })
    }

    #[test]
    fn reads_what_cometbft_would_send() {
        let r = init_chain_request(&doc()).unwrap();
        assert_eq!((r.chain_id.as_str(), r.initial_height), ("c", 7));
        assert_eq!(r.time.unwrap().nanos, 500_000_000);
        let ev = r.consensus_params.unwrap().evidence.unwrap();
        assert_eq!(ev.max_age_num_blocks, 100_000);
        let d = ev.max_age_duration.unwrap();
        assert_eq!((d.seconds, d.nanos), (172_800, 1));
        assert_eq!(r.validators.len(), 1);
        assert_eq!(r.validators[0].power, 10);
        let mut g = doc();
        g["consensus_params"] = Value::Null;
        assert!(init_chain_request(&g).unwrap().consensus_params.is_none());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (path, bad) in [
            ("/chain_id", json!("")),
            ("/initial_height", json!("x")),
            ("/genesis_time", json!("yesterday")),
            (
                "/consensus_params/evidence/max_age_num_blocks",
                json!("ten"),
            ),
            (
                "/validators/0/pub_key/type",
                json!("tendermint/PubKeySecp256k1"),
            ),
            ("/validators/0/pub_key/value", json!("!!")),
        ] {
            let mut g = doc();
            *g.pointer_mut(path).unwrap() = bad;
            assert!(init_chain_request(&g).is_err(), "{path}");
        }
    }

    #[test]
    fn the_evidence_window_fits_the_unbonding_period() {
        let mut g = doc();
        fit_evidence_window(&mut g, Duration::from_millis(200)).unwrap();
        let ev = &g["consensus_params"]["evidence"];
        assert_eq!(ev["max_age_num_blocks"], json!("29"));
        assert_eq!(ev["max_age_duration"], json!("6000000000"));
        assert_eq!(ev["max_bytes"], json!("1048576"));
        g["app_state"]["staking"]["params"]["unbonding_blocks"] = json!(1);
        assert!(fit_evidence_window(&mut g, Duration::from_secs(1)).is_err());
        // Without staking params, the default unbonding period sets the window.
        let mut bare = json!({"app_state": {}});
        fit_evidence_window(&mut bare, Duration::from_secs(1)).unwrap();
        let want = bls_staking::Params::default().unbonding_blocks - 1;
        assert_eq!(
            bare["consensus_params"]["evidence"]["max_age_num_blocks"],
            json!(want.to_string())
        );
    }
}
