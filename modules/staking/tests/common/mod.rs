//! The staking family's part of the test chain (staking, slashing and fees tests): validator
//! keys and messages, and a [`TestChain`] funded through the bank's genesis.
#![allow(dead_code)]

use bls_core::module::encode_any;
use bls_core::{Address, Module, ModuleError};
use bls_staking::msgs::{
    ubls, MsgCreateValidator, MsgDelegate, MsgUndelegate, MSG_CREATE_VALIDATOR, MSG_DELEGATE,
    MSG_UNDELEGATE,
};
use bls_testkit::{addr, bank_genesis, Output, TestChain};
use cosmos_sdk_proto::Any;
use serde_json::Value;

/// A chain driving `modules` after their genesis: the bank's gives each of `balances` its ubls,
/// the others get their section of `sections`.
pub fn new_chain(
    modules: Vec<&'static dyn Module>,
    balances: &[(Address, u128)],
    sections: &[(&str, Value)],
) -> Result<(TestChain, Output), ModuleError> {
    let mut all = vec![("bank", bank_genesis(balances))];
    all.extend(sections.iter().cloned());
    TestChain::with_genesis(modules, &all)
}

/// A distinct 32-byte "ed25519" key per n.
pub fn pubkey(n: u8) -> Vec<u8> {
    let mut k = vec![n; 32];
    k[0] = 0xED;
    k
}

/// `MsgCreateValidator` by `addr(op)` (moniker `val-{op}`) with consensus key `pubkey(key)`.
pub fn create_validator(op: u8, key: u8, bond: u128, commission_bps: u32) -> Any {
    encode_any(
        &MsgCreateValidator {
            operator: addr(op).to_string(),
            consensus_pubkey: pubkey(key),
            moniker: format!("val-{op}"),
            commission_bps,
            self_bond: Some(ubls(bond)),
        },
        MSG_CREATE_VALIDATOR,
    )
}

/// `MsgDelegate` of `amount` ubls from `addr(d)` to validator `addr(v)`.
pub fn delegate(d: u8, v: u8, amount: u128) -> Any {
    encode_any(
        &MsgDelegate {
            delegator: addr(d).to_string(),
            validator: addr(v).to_string(),
            amount: Some(ubls(amount)),
        },
        MSG_DELEGATE,
    )
}

/// `MsgUndelegate` of `amount` ubls by `addr(d)` from validator `addr(v)`.
pub fn undelegate(d: u8, v: u8, amount: u128) -> Any {
    encode_any(
        &MsgUndelegate {
            delegator: addr(d).to_string(),
            validator: addr(v).to_string(),
            amount: Some(ubls(amount)),
        },
        MSG_UNDELEGATE,
    )
}
