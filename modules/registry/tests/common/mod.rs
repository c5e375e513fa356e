//! In-process registry harness shared by the registry tests: MockStorage with the registry
//! genesis, txs through the `Module` impl (a failed tx leaves the store as it was), end
//! blocks, bank helpers, and k256-keyed operators.

#![allow(dead_code)]

use bls_core::{Address, BlockInfo, Coins, Context, Event, GasMeter, Module, ModuleError};
use bls_registry::msgs::*;
use bls_registry::RegistryModule;
use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{Order, Storage};
use k256::ecdsa::SigningKey;

pub struct Chain {
    pub store: MockStorage,
    pub block: BlockInfo,
    /// Events emitted by keeper calls ([`Chain::keeper`]).
    pub events: Vec<Event>,
}

pub fn snapshot(s: &MockStorage) -> MockStorage {
    let mut n = MockStorage::new();
    for (k, v) in s.range(None, None, Order::Ascending) {
        n.set(&k, &v);
    }
    n
}

impl Chain {
    pub fn new() -> Self {
        let mut c = Chain {
            store: MockStorage::new(),
            block: BlockInfo {
                height: 1,
                ..BlockInfo::default()
            },
            events: Vec::new(),
        };
        let g = serde_json::json!({"params": {
            "min_worker_bond": "1000", "min_head_bond": "5000", "unbonding_blocks": 10,
            "jail_blocks": 5, "signed_jobs_window": 4, "min_answered_per_window": 2,
            "max_multiaddrs": 2}});
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut c.store, &c.block, &gas);
        RegistryModule.init_genesis(&mut ctx, &g).unwrap();
        c
    }

    pub fn tx(&mut self, signer: &Address, msg: cosmos_sdk_proto::Any) -> Result<(), ModuleError> {
        assert_eq!(&RegistryModule.msg_signer(&msg)?, signer);
        let backup = snapshot(&self.store);
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        let r = RegistryModule.deliver(&mut ctx, &msg).map(|_| ());
        if r.is_err() {
            self.store = backup;
        }
        r
    }

    /// Calls a registry keeper (as another module would) in the current block; its events
    /// are appended to `events`.
    pub fn keeper<R>(&mut self, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        let r = f(&mut ctx);
        let emitted = std::mem::take(&mut ctx.events);
        self.events.extend(emitted);
        r
    }

    pub fn events_of(&self, kind: &str) -> Vec<&Event> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }

    pub fn next_block(&mut self) {
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        RegistryModule.end_block(&mut ctx).unwrap();
        self.block.height += 1;
    }

    pub fn until(&mut self, height: u64) {
        while self.block.height < height {
            self.next_block();
        }
    }

    pub fn balance(&self, a: &Address) -> u128 {
        bls_bank::keeper::balance(&self.store, a, "ubls").unwrap()
    }

    pub fn fund(&mut self, a: &Address, amount: u128) {
        bls_bank::genesis::fund(
            &mut self.store,
            a,
            &Coins::parse(&format!("{amount}ubls")).unwrap(),
        )
        .unwrap();
    }

    pub fn query<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        req: serde_json::Value,
    ) -> Result<T, ModuleError> {
        let b = RegistryModule.query(&self.store, method, req.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&b).unwrap())
    }
}

pub fn key(n: u8) -> (SigningKey, Address, Vec<u8>) {
    let mut s = [0u8; 32];
    s[0] = 2;
    s[31] = n;
    let k = SigningKey::from_slice(&s).unwrap();
    let pk = k.verifying_key().to_encoded_point(true).as_bytes().to_vec();
    let a = Address::from_secp256k1_pubkey(&pk);
    (k, a, pk)
}

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
    };
    (addr, msg)
}
