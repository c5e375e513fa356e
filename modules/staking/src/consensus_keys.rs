//! Consensus keys by consensus address, for every validator CometBFT may count: the
//! validators staking manages and CometBFT's own genesis validators (the `validators` of its
//! genesis file, which reach the app only through InitChain).
//!
//! The app verifies vote-extension signatures with these keys (the randomness beacon), so a
//! key must be known for every validator of every height. Genesis validators' keys are kept
//! under `staking/cometbft_genesis_keys/{consensus address}` (upper-case hex) → key (hex).

use cosmwasm_std::Storage;
use cw_storage_plus::Map;

use crate::error::StakingError;
use crate::handlers::validate_consensus_pubkey;
use crate::state::{consensus_address, consensus_address_key, validator_by_consensus_address};

const COMETBFT_GENESIS_KEYS: Map<&str, String> = Map::new("staking/cometbft_genesis_keys");

/// Records the ed25519 keys of CometBFT's genesis validators (InitChain's `validators`).
pub fn record_cometbft_genesis_validators(
    store: &mut dyn Storage,
    pubkeys: &[Vec<u8>],
) -> Result<(), StakingError> {
    for pk in pubkeys {
        validate_consensus_pubkey(pk)?;
        COMETBFT_GENESIS_KEYS.save(store, &consensus_address(pk), &hex::encode(pk))?;
    }
    Ok(())
}

/// The ed25519 consensus key of the validator with consensus address `address` (20 bytes):
/// a validator staking manages, else one of CometBFT's genesis validators.
pub fn consensus_pubkey(
    store: &dyn Storage,
    address: &[u8],
) -> Result<Option<Vec<u8>>, StakingError> {
    if let Some(v) = validator_by_consensus_address(store, address)? {
        return Ok(Some(v.pubkey_bytes()?));
    }
    match COMETBFT_GENESIS_KEYS.may_load(store, &consensus_address_key(address))? {
        Some(h) => hex::decode(h)
            .map(Some)
            .map_err(|e| StakingError::Store(format!("stored genesis consensus key: {e}"))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn genesis_validators_are_found_by_address_and_bad_keys_refused() {
        let mut store = MockStorage::new();
        let pk = vec![7u8; 32];
        record_cometbft_genesis_validators(&mut store, std::slice::from_ref(&pk)).unwrap();
        let addr = hex::decode(consensus_address(&pk)).unwrap();
        assert_eq!(consensus_pubkey(&store, &addr).unwrap(), Some(pk));
        assert_eq!(consensus_pubkey(&store, &[1; 20]).unwrap(), None);
        assert!(record_cometbft_genesis_validators(&mut store, &[vec![1; 33]]).is_err());
    }
}
