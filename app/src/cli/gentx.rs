//! Genesis validators with a staking record, the Cosmos way: each validator signs a
//! `MsgCreateValidator` for the chain's genesis (`blsd genesis gentx`), and the coordinator
//! checks and folds every one into the genesis (`blsd genesis collect-gentxs`).
//!
//! A gentx file is `{"chain_id", "operator", "tx"}` with `tx` the base64 `TxRaw` of one
//! `MsgCreateValidator`, signed SIGN_MODE_DIRECT by the operator at account number 0 and
//! sequence 0 for that chain id. Collecting verifies the signature and that the signer is
//! the operator, moves each self-bond from the operator's genesis balance into the staking
//! module's bonded pool, and writes the validators and their self-delegations into the
//! staking section. CometBFT's `validators` list is emptied: InitChain returns the staking
//! set (as in a Cosmos SDK chain), so the validators CometBFT runs are exactly the staked ones.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context as _};
use base64::Engine as _;
use bls_client::keys::KeyPair;
use bls_client::tx::{decode_tx, sign_doc_bytes, TxBuilder};
use bls_core::module::decode_any;
use bls_core::{Address, Coins, DENOM};
use bls_staking::msgs::{MsgCreateValidator, MSG_CREATE_VALIDATOR};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::genesis::add_balance;

/// One gentx file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenTx {
    /// The chain it was signed for.
    pub chain_id: String,
    /// The validator's operator (the signer).
    pub operator: String,
    /// base64 `TxRaw`.
    pub tx: String,
}

/// What a gentx asks for, once verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisValidator {
    /// Operator (who signed).
    pub operator: Address,
    /// ed25519 consensus key.
    pub consensus_pubkey: Vec<u8>,
    /// Moniker.
    pub moniker: String,
    /// Commission, basis points.
    pub commission_bps: u32,
    /// Self-bond, ubls.
    pub self_bond: u128,
}

/// Signs a gentx for `chain_id`: `operator` creates a validator at `consensus_pubkey`.
pub fn sign(
    chain_id: &str,
    operator: &KeyPair,
    consensus_pubkey: Vec<u8>,
    moniker: &str,
    commission_bps: u32,
    self_bond: u128,
) -> anyhow::Result<GenTx> {
    let msg = bls_client::cli::staking::create_validator_msg(
        operator.address(),
        consensus_pubkey,
        moniker,
        commission_bps,
        self_bond,
    );
    // Genesis txs pay no fee: they are not executed, only verified and folded in.
    let signed = TxBuilder::new(chain_id, 0, 0)
        .message(msg)
        .gas_limit(0)
        .sign(operator)?;
    Ok(GenTx {
        chain_id: chain_id.to_string(),
        operator: operator.address().to_string(),
        tx: base64::engine::general_purpose::STANDARD.encode(signed.bytes),
    })
}

/// Checks a gentx: for `chain_id`, one `MsgCreateValidator`, signed by its operator.
pub fn verify(gentx: &GenTx, chain_id: &str) -> anyhow::Result<GenesisValidator> {
    ensure!(
        gentx.chain_id == chain_id,
        "signed for chain {:?}, not {chain_id:?}",
        gentx.chain_id
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&gentx.tx)
        .context("tx is not base64")?;
    let tx = decode_tx(&bytes)?;
    let [msg] = tx.body.messages.as_slice() else {
        bail!(
            "a gentx holds exactly one message, this one {}",
            tx.body.messages.len()
        );
    };
    let m: MsgCreateValidator =
        decode_any(msg, MSG_CREATE_VALIDATOR).map_err(|e| anyhow::anyhow!("{}", e.log))?;
    let operator = Address::parse(&m.operator).context("operator")?;
    ensure!(
        operator.as_str() == gentx.operator,
        "the file names operator {} but the message {}",
        gentx.operator,
        operator
    );
    let [signer] = tx.auth_info.signer_infos.as_slice() else {
        bail!("a gentx has exactly one signer");
    };
    let pk_any = signer
        .public_key
        .as_ref()
        .context("the signer has no public key")?;
    let pk = bls_auth::pubkey::PubKey::from_any(pk_any).map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure!(
        pk.address() == operator,
        "signed by {}, not by the operator {operator}",
        pk.address()
    );
    let [sig] = tx.raw.signatures.as_slice() else {
        bail!("a gentx has exactly one signature");
    };
    let bls_auth::pubkey::PubKey::Secp256k1(key) = &pk else {
        bail!("a gentx is signed with a Cosmos secp256k1 key (`blsd keys add`)");
    };
    let doc = sign_doc_bytes(&tx.raw.body_bytes, &tx.raw.auth_info_bytes, chain_id, 0);
    bls_auth::signature::verify_secp256k1(key, &doc, sig)
        .map_err(|e| anyhow::anyhow!("signature: {e}"))?;
    let bond = m.self_bond.as_ref().context("no self_bond")?;
    ensure!(bond.denom == DENOM, "self_bond must be in {DENOM}");
    let self_bond: u128 = bond.amount.parse().context("self_bond amount")?;
    ensure!(self_bond > 0, "self_bond must be positive");
    ensure!(
        m.consensus_pubkey.len() == 32,
        "consensus key must be 32 bytes of ed25519"
    );
    Ok(GenesisValidator {
        operator,
        consensus_pubkey: m.consensus_pubkey,
        moniker: m.moniker,
        commission_bps: m.commission_bps,
        self_bond,
    })
}

/// The gentx files of `dir`, in name order.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<(PathBuf, GenTx)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let g: GenTx = serde_json::from_slice(&std::fs::read(&p)?)
                .with_context(|| format!("{} is not a gentx file", p.display()))?;
            Ok((p, g))
        })
        .collect()
}

/// Folds verified gentxs into genesis `g` (see the module docs). Refuses duplicates and
/// operators whose genesis balance cannot pay their self-bond.
pub fn collect(
    g: &mut Value,
    gentxs: &[(PathBuf, GenTx)],
) -> anyhow::Result<Vec<GenesisValidator>> {
    let chain_id = g["chain_id"]
        .as_str()
        .context("genesis has no chain_id")?
        .to_string();
    // The same floor `MsgCreateValidator` applies: a genesis validator below it would have no
    // power worth the name and could never be unjailed.
    let min_self_bond = match g["app_state"]["staking"]["params"]["min_self_bond"].as_str() {
        Some(s) => s.parse().context("staking.params.min_self_bond")?,
        None => bls_staking::Params::default().min_self_bond,
    };
    let mut vals: Vec<GenesisValidator> = Vec::new();
    for (path, gentx) in gentxs {
        let v = verify(gentx, &chain_id).with_context(|| format!("{}", path.display()))?;
        ensure!(
            v.self_bond >= min_self_bond,
            "{}: self-bond {}{DENOM} is below staking's min_self_bond {min_self_bond}{DENOM}",
            path.display(),
            v.self_bond
        );
        ensure!(
            !vals.iter().any(|o| o.operator == v.operator),
            "{}: operator {} has a gentx already",
            path.display(),
            v.operator
        );
        ensure!(
            !vals
                .iter()
                .any(|o| o.consensus_pubkey == v.consensus_pubkey),
            "{}: consensus key used by another gentx",
            path.display()
        );
        take_balance(&mut g["app_state"], &v.operator, v.self_bond)
            .with_context(|| format!("{}", path.display()))?;
        vals.push(v);
    }
    let total: u128 = vals.iter().map(|v| v.self_bond).sum();
    if total > 0 {
        add_balance(
            &mut g["app_state"],
            &bls_staking::state::bonded_pool(),
            &Coins::ubls(total),
        )?;
    }
    let staking = &mut g["app_state"]["staking"];
    if !staking.is_object() {
        *staking = json!({});
    }
    for key in ["validators", "delegations"] {
        if !staking[key].is_array() {
            staking[key] = json!([]);
        }
    }
    for v in &vals {
        let cons = bls_staking::state::consensus_address(&v.consensus_pubkey);
        staking["validators"]
            .as_array_mut()
            .context("staking.validators")?
            .push(json!({
                "operator": v.operator.as_str(),
                "consensus_pubkey": hex::encode(&v.consensus_pubkey),
                "consensus_address": cons,
                "moniker": v.moniker,
                "commission_bps": v.commission_bps,
                "tokens": v.self_bond.to_string(),
                "jailed": false,
            }));
        staking["delegations"]
            .as_array_mut()
            .context("staking.delegations")?
            .push(json!({
                "delegator": v.operator.as_str(),
                "validator": v.operator.as_str(),
                "amount": v.self_bond.to_string(),
            }));
    }
    if !vals.is_empty() {
        g["validators"] = json!([]);
    }
    Ok(vals)
}

/// Takes `amount` ubls from `addr`'s genesis balance.
fn take_balance(app_state: &mut Value, addr: &Address, amount: u128) -> anyhow::Result<()> {
    let list = app_state["bank"]["balances"]
        .as_array_mut()
        .context("genesis has no bank balances")?;
    let entry = list
        .iter_mut()
        .find(|b| b["address"].as_str() == Some(addr.as_str()))
        .with_context(|| {
            format!("{addr} has no genesis balance: add it with `blsd genesis add-account {addr} AMOUNT`")
        })?;
    let coins = entry["coins"].as_array_mut().context("coins")?;
    let coin = coins
        .iter_mut()
        .find(|c| c["denom"] == DENOM)
        .with_context(|| format!("{addr} holds no {DENOM} in genesis"))?;
    let have: u128 = coin["amount"].as_str().unwrap_or("0").parse()?;
    ensure!(
        have >= amount,
        "{addr} holds {have}{DENOM} in genesis, less than its self-bond {amount}{DENOM}"
    );
    coin["amount"] = Value::String((have - amount).to_string());
    Ok(())
}
