//! The `app_state` of CometBFT's genesis: one JSON section per module, keyed by module name;
//! and what else of InitChain the modules need ([`consensus_genesis`]).

use std::collections::BTreeMap;

use bls_staking::evidence_age::EvidenceAge;
use bls_staking::genesis::ConsensusGenesis;
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::RequestInitChain;
use tendermint_proto::v0_38::crypto::public_key::Sum as PublicKeySum;

/// Parsed `app_state`. Unknown top-level keys are rejected so a typo in a section name does not
/// silently start a chain without, say, its balances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppGenesis {
    sections: BTreeMap<String, serde_json::Value>,
}

/// Why `app_state` is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Not a JSON object.
    #[error("app_state is not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
    /// A section no module owns.
    #[error("app_state has a section {0:?} that no module owns (known: {1})")]
    UnknownSection(String, String),
    /// CometBFT's genesis validators or consensus params are unusable.
    #[error("{0}")]
    Consensus(#[from] bls_staking::StakingError),
}

/// CometBFT's genesis validators and evidence params from InitChain. Without consensus params
/// (only in-process callers send none) CometBFT's defaults apply, as CometBFT itself does for a
/// genesis file without them.
pub fn consensus_genesis(r: &RequestInitChain) -> Result<ConsensusGenesis, GenesisError> {
    let evidence = match r
        .consensus_params
        .as_ref()
        .and_then(|p| p.evidence.as_ref())
    {
        Some(e) => {
            let d = e.max_age_duration.unwrap_or_default();
            EvidenceAge::from_cometbft(e.max_age_num_blocks, d.seconds, d.nanos)?
        }
        None => EvidenceAge::COMETBFT_DEFAULT,
    };
    let mut validators = Vec::with_capacity(r.validators.len());
    for (i, v) in r.validators.iter().enumerate() {
        match v.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(PublicKeySum::Ed25519(pk)) => validators.push(pk.to_vec()),
            _ => {
                return Err(bls_staking::StakingError::InvalidGenesisValidator(format!(
                    "validator #{i} has no ed25519 key (blsd's validators use ed25519 \
                     consensus keys only)"
                ))
                .into())
            }
        }
    }
    Ok(ConsensusGenesis {
        validators,
        evidence,
    })
}

const NULL: serde_json::Value = serde_json::Value::Null;

impl AppGenesis {
    /// Parses `app_state` bytes (empty bytes mean an empty genesis) and checks section names.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GenesisError> {
        let g: AppGenesis = if bytes.iter().all(u8::is_ascii_whitespace) {
            AppGenesis::default()
        } else {
            serde_json::from_slice(bytes)?
        };
        let known: Vec<&str> = crate::modules::all_modules()
            .iter()
            .map(|m| m.name())
            .collect();
        for name in g.sections.keys() {
            if !known.contains(&name.as_str()) {
                return Err(GenesisError::UnknownSection(name.clone(), known.join(", ")));
            }
        }
        Ok(g)
    }

    /// The section of one module (`Null` when absent: the module uses its defaults).
    pub fn section(&self, module: &str) -> &serde_json::Value {
        self.sections.get(module).unwrap_or(&NULL)
    }

    /// Sets one module's section.
    pub fn set_section(&mut self, module: &str, value: serde_json::Value) {
        self.sections.insert(module.to_string(), value);
    }
}
