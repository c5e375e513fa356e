//! The registry's part of the test chain: a [`TestChain`] driving the registry with its test
//! params, k256-keyed operators, and the registration message.

#![allow(dead_code)]

use std::ops::{Deref, DerefMut};

use bls_core::Address;
use bls_registry::msgs::*;
use bls_registry::RegistryModule;
use bls_testkit::TestChain;
use k256::ecdsa::SigningKey;

static REGISTRY: RegistryModule = RegistryModule;

/// A test chain driving the registry alone (balances through the bank keeper).
pub struct Chain(pub TestChain);

impl Deref for Chain {
    type Target = TestChain;
    fn deref(&self) -> &TestChain {
        &self.0
    }
}

impl DerefMut for Chain {
    fn deref_mut(&mut self) -> &mut TestChain {
        &mut self.0
    }
}

/// The registry params of every test: short unbonding, jail and liveness window.
pub fn genesis() -> serde_json::Value {
    serde_json::json!({"params": {
        "min_worker_bond": "1000", "min_head_bond": "5000", "unbonding_blocks": 10,
        "jail_blocks": 5, "signed_jobs_window": 4, "min_answered_per_window": 2,
        "max_multiaddrs": 2}})
}

impl Chain {
    /// A chain at height 1 after the registry's genesis ([`genesis`]).
    pub fn new() -> Self {
        let (c, _) = TestChain::with_genesis(vec![&REGISTRY], &[("registry", genesis())])
            .expect("registry genesis");
        Chain(c)
    }
}

/// A chain at `height` whose registry genesis is `registry` (e.g. an export), with `bonds`
/// ubls in the bonds account as the bank's genesis would hold them.
pub fn import(
    registry: &serde_json::Value,
    bonds: u128,
    height: u64,
) -> Result<Chain, bls_core::ModuleError> {
    let mut c = TestChain::new(vec![&REGISTRY]);
    c.block.height = height;
    c.fund(&bls_registry::state::bonds_account(), bonds);
    c.genesis(&[("registry", registry.clone())])?;
    Ok(Chain(c))
}

/// The operator key `n`: its signing key, address and compressed public key.
pub fn key(n: u8) -> (SigningKey, Address, Vec<u8>) {
    let mut s = [0u8; 32];
    s[0] = 2;
    s[31] = n;
    let k = SigningKey::from_slice(&s).unwrap();
    let pk = k.verifying_key().to_encoded_point(true).as_bytes().to_vec();
    let a = Address::from_secp256k1_pubkey(&pk);
    (k, a, pk)
}

/// Key `n`'s registration as a worker in `region` bonding `bond` (its key is its result key).
pub fn register_msg(n: u8, region: &str, bond: u128) -> (Address, MsgRegisterWorker) {
    let (_, addr, pk) = key(n);
    let msg = MsgRegisterWorker {
        operator: addr.to_string(),
        result_pubkey: pk,
        peer_id: format!("12D3KooWpeer{n}"),
        multiaddrs: vec!["/ip4/10.0.0.1/tcp/4001".into()],
        region: region.into(),
        network: "AS13335".into(),
        capabilities: Some(Capabilities {
            memory_mb: 256,
            max_timeout_ms: 60_000,
            http_allowed: true,
        }),
        role: "worker".into(),
        bond: Some(ProtoCoin::ubls(bond)),
        encryption_pubkey: Vec::new(),
    };
    (addr, msg)
}
