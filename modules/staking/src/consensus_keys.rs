//! One consensus key, one validator: `MsgCreateValidator` may not take a consensus key that any
//! validator CometBFT knows already signs with.
//!
//! CometBFT identifies validators by consensus key, so a second validator registered with a
//! key CometBFT already has would re-power that validator with the newcomer's stake, and later
//! remove it (power 0) when the newcomer leaves, unbonds or is jailed — at height 1 that can
//! be every genesis validator, halting the chain. The keys CometBFT knows are:
//!
//! - staking's own validators (the `staking/cons` index);
//! - CometBFT's genesis validators, recorded from InitChain ([`record_genesis_validators`]),
//!   which staking does not manage and which have not voted yet at height 1;
//! - any validator in the decided last commit (a defence in depth for state imported from
//!   before the genesis record existed).
//!
//! [`consensus_pubkey`] looks up the key behind a consensus address over staking's validators
//! and CometBFT's genesis set alike (for verifying what validators sign, e.g. vote
//! extensions).

use bls_core::BlockInfo;
use cosmwasm_std::Storage;
use cw_storage_plus::Map;

use crate::error::StakingError;
use crate::handlers::validate_consensus_pubkey;
use crate::state::{consensus_address, consensus_address_key, CONS_INDEX, VALIDATORS};

/// CometBFT's genesis validators: consensus address (upper-case hex) → ed25519 key (hex).
const COMETBFT_GENESIS_KEYS: Map<&str, String> = Map::new("staking/cometbft_genesis_keys");

/// Records the ed25519 keys of CometBFT's genesis validators (InitChain's `validators`).
pub fn record_genesis_validators(
    store: &mut dyn Storage,
    pubkeys: &[Vec<u8>],
) -> Result<(), StakingError> {
    for pk in pubkeys {
        validate_consensus_pubkey(pk)
            .map_err(|e| StakingError::InvalidGenesisValidator(e.to_string()))?;
        COMETBFT_GENESIS_KEYS.save(store, &consensus_address(pk), &hex::encode(pk))?;
    }
    Ok(())
}

/// The ed25519 consensus key of the validator with consensus address `address` (raw 20 bytes),
/// whether staking manages it or it is one of CometBFT's genesis validators; `None` for an
/// address no validator of this chain has had.
pub fn consensus_pubkey(
    store: &dyn Storage,
    address: &[u8],
) -> Result<Option<Vec<u8>>, StakingError> {
    let cons = consensus_address_key(address);
    let stored = match CONS_INDEX.may_load(store, &cons)? {
        Some(op) => VALIDATORS
            .may_load(store, &op)?
            .map(|v| v.consensus_pubkey)
            .ok_or_else(|| StakingError::Store(format!("consensus index points at {op}")))?,
        None => match COMETBFT_GENESIS_KEYS.may_load(store, &cons)? {
            Some(pk) => pk,
            None => return Ok(None),
        },
    };
    hex::decode(&stored)
        .map(Some)
        .map_err(|e| StakingError::Store(format!("stored consensus key: {e}")))
}

/// Refuses `cons` (a consensus address, upper-case hex) when a validator CometBFT knows
/// already uses it.
pub fn ensure_unused(
    store: &dyn Storage,
    block: &BlockInfo,
    cons: &str,
) -> Result<(), StakingError> {
    if let Some(other) = CONS_INDEX.may_load(store, cons)? {
        return Err(StakingError::DuplicateValidator(format!(
            "consensus key {cons} is already used by validator {other}"
        )));
    }
    if COMETBFT_GENESIS_KEYS.has(store, cons) {
        return Err(StakingError::DuplicateValidator(format!(
            "consensus key {cons} belongs to one of CometBFT's genesis validators"
        )));
    }
    if block
        .last_commit
        .iter()
        .any(|v| consensus_address_key(&v.validator_address) == cons)
    {
        return Err(StakingError::DuplicateValidator(format!(
            "consensus key {cons} belongs to a current CometBFT validator"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn genesis_validators_are_found_by_address_and_bad_keys_refused() {
        let mut store = MockStorage::new();
        let pk = vec![7u8; 32];
        record_genesis_validators(&mut store, std::slice::from_ref(&pk)).unwrap();
        let addr = hex::decode(consensus_address(&pk)).unwrap();
        assert_eq!(consensus_pubkey(&store, &addr).unwrap(), Some(pk));
        assert_eq!(consensus_pubkey(&store, &[1; 20]).unwrap(), None);
        assert!(record_genesis_validators(&mut store, &[vec![1; 33]]).is_err());
    }
}
