//! [`TestChain`]: modules driven through their `Module` impls over a `MockStorage`.

use bls_core::{
    Address, BlockInfo, Coins, Context, Event, GasMeter, Module, ModuleError, ValidatorUpdate,
    DENOM,
};
use cosmos_sdk_proto::Any;
use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{Order, Storage};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The chain id of every test chain (what fast-path requests are signed for).
pub const CHAIN_ID: &str = "bls-test";

/// Block time of height 1; each later height is one second on.
pub const GENESIS_TIME_SECS: i64 = 1_700_000_000;

/// An in-process chain: state, the block being executed, and the modules it drives.
pub struct TestChain {
    /// Every module's state.
    pub store: MockStorage,
    /// The block being executed (tests may set its last commit, evidence or time).
    pub block: BlockInfo,
    /// The modules, in hook order (as the app wires them).
    pub modules: Vec<&'static dyn Module>,
    /// Events of every successful message, keeper call and block hook since the chain was
    /// built or the test last cleared it, in order. Genesis events are only returned.
    pub events: Vec<Event>,
    /// Seeds the block hash and beacon randomness of every height ([`block_hash`],
    /// [`randomness`]).
    pub seed: u8,
}

/// What a genesis or a block hook produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Events, in order.
    pub events: Vec<Event>,
    /// Validator-set changes for CometBFT.
    pub updates: Vec<ValidatorUpdate>,
}

/// What a delivered message produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The message's response (what goes into `TxMsgData`).
    pub response: Any,
    /// Its events, in order.
    pub events: Vec<Event>,
    /// Validator-set changes it requested.
    pub updates: Vec<ValidatorUpdate>,
}

/// The account `[n; 20]`: a distinct address per test actor that needs no key.
pub fn addr(n: u8) -> Address {
    Address::from_bytes(&[n; 20])
}

/// A copy of every key and value of `s` (a backup to roll back to, or a fork to try
/// something on).
pub fn copy_store(s: &MockStorage) -> MockStorage {
    let mut copy = MockStorage::new();
    for (k, v) in s.range(None, None, Order::Ascending) {
        copy.set(&k, &v);
    }
    copy
}

/// The block hash of `height` on a chain seeded `seed`.
pub fn block_hash(seed: u8, height: u64) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update([seed]);
    h.update(height.to_be_bytes());
    h.finalize().to_vec()
}

/// The beacon output of `height` on a chain seeded `seed` (what the app's beacon hands the
/// modules before begin block).
pub fn randomness(seed: u8, height: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"test-beacon");
    h.update([seed]);
    h.update(height.to_be_bytes());
    h.finalize().into()
}

/// The bank's genesis section giving each address its amount of `ubls`.
pub fn bank_genesis(balances: &[(Address, u128)]) -> Value {
    json!({"balances": balances.iter().map(|(a, n)| json!({
        "address": a.to_string(), "coins": [{"denom": DENOM, "amount": n.to_string()}]
    })).collect::<Vec<_>>()})
}

impl TestChain {
    /// A chain at height 1 (seed 0) driving `modules`, before genesis.
    pub fn new(modules: Vec<&'static dyn Module>) -> Self {
        Self::with_seed(modules, 0)
    }

    /// [`TestChain::new`] whose block hashes and randomness derive from `seed`.
    pub fn with_seed(modules: Vec<&'static dyn Module>, seed: u8) -> Self {
        TestChain {
            store: MockStorage::new(),
            block: BlockInfo {
                height: 1,
                time_secs: GENESIS_TIME_SECS,
                time_nanos: 0,
                chain_id: CHAIN_ID.into(),
                hash: block_hash(seed, 1),
                randomness: randomness(seed, 1),
                ..BlockInfo::default()
            },
            modules,
            events: Vec::new(),
            seed,
        }
    }

    /// A chain driving `modules` after their genesis from `sections` ([`TestChain::genesis`]).
    pub fn with_genesis(
        modules: Vec<&'static dyn Module>,
        sections: &[(&str, Value)],
    ) -> Result<(Self, Output), ModuleError> {
        let mut c = Self::new(modules);
        let out = c.genesis(sections)?;
        Ok((c, out))
    }

    /// Runs every module's genesis in order with its section of `sections` (by module name;
    /// `null` when absent), in one context of the current block, and returns what it produced.
    ///
    /// # Panics
    ///
    /// When a section names no module of the chain (a test bug, not a genesis error).
    pub fn genesis(&mut self, sections: &[(&str, Value)]) -> Result<Output, ModuleError> {
        for (name, _) in sections {
            self.module(name);
        }
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        for m in &self.modules {
            let section = sections
                .iter()
                .find(|(n, _)| *n == m.name())
                .map_or(Value::Null, |(_, v)| v.clone());
            m.init_genesis(&mut ctx, &section)?;
        }
        Ok(Output {
            events: ctx.events,
            updates: ctx.validator_updates,
        })
    }

    /// The module named `name`.
    ///
    /// # Panics
    ///
    /// When the chain does not drive it.
    pub fn module(&self, name: &str) -> &'static dyn Module {
        self.modules
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("the test chain drives no module {name:?}"))
    }

    /// The module that handles messages of `type_url`.
    ///
    /// # Panics
    ///
    /// When no module of the chain handles it.
    pub fn module_for(&self, type_url: &str) -> &'static dyn Module {
        self.modules
            .iter()
            .copied()
            .find(|m| m.msg_type_urls().contains(&type_url))
            .unwrap_or_else(|| panic!("no module of the test chain handles {type_url}"))
    }

    /// Runs `msg` as one tx signed by `signer`: its module checks the signer and delivers it;
    /// a failure rolls the store back (as the app drops a failed tx's overlay).
    ///
    /// # Panics
    ///
    /// When `signer` is not the message's signer (a test bug: the app's ante refuses it
    /// before any module runs).
    #[track_caller]
    pub fn tx(&mut self, signer: &Address, msg: Any) -> Result<Delivered, ModuleError> {
        let backup = copy_store(&self.store);
        let r = self.deliver(signer, msg);
        if r.is_err() {
            self.store = backup;
        }
        r
    }

    /// [`TestChain::tx`] without the rollback: whatever a failing handler wrote before it
    /// refused stays, so a test can check that the handler itself leaves nothing behind.
    #[track_caller]
    pub fn deliver(&mut self, signer: &Address, msg: Any) -> Result<Delivered, ModuleError> {
        self.deliver_metered(signer, msg, &GasMeter::infinite())
    }

    /// [`TestChain::deliver`] charging `gas` (a limited meter makes a handler run out).
    #[track_caller]
    pub fn deliver_metered(
        &mut self,
        signer: &Address,
        msg: Any,
        gas: &GasMeter,
    ) -> Result<Delivered, ModuleError> {
        let m = self.module_for(&msg.type_url);
        let want = m.msg_signer(&msg)?;
        assert_eq!(&want, signer, "signer of {}", msg.type_url);
        let mut ctx = Context::new(&mut self.store, &self.block, gas);
        let response = m.deliver(&mut ctx, &msg)?;
        let (events, updates) = (ctx.events, ctx.validator_updates);
        self.events.extend(events.iter().cloned());
        Ok(Delivered {
            response,
            events,
            updates,
        })
    }

    /// Calls `f` with a context of the current block (infinite gas), as another module calls
    /// a keeper; its events are appended to [`TestChain::events`].
    pub fn keeper<R>(&mut self, f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        let r = f(&mut ctx);
        let events = std::mem::take(&mut ctx.events);
        self.events.extend(events);
        r
    }

    /// Begin-block hooks of every module, in order, at the current height.
    ///
    /// # Panics
    ///
    /// When a hook fails: the app would halt the chain.
    pub fn begin_block(&mut self) -> Output {
        self.hooks(Hook::Begin)
    }

    /// End-block hooks of every module, in order, at the current height.
    ///
    /// # Panics
    ///
    /// When a hook fails: the app would halt the chain.
    pub fn end_block(&mut self) -> Output {
        self.hooks(Hook::End)
    }

    fn hooks(&mut self, hook: Hook) -> Output {
        let mut out = Output::default();
        for m in self.modules.clone() {
            let gas = GasMeter::infinite();
            let mut ctx = Context::new(&mut self.store, &self.block, &gas);
            let r = match hook {
                Hook::Begin => m.begin_block(&mut ctx),
                Hook::End => m.end_block(&mut ctx),
            };
            if let Err(e) = r {
                panic!("{hook:?} block hook of {} failed: {e}", m.name());
            }
            out.events.extend(ctx.events);
            out.updates.extend(ctx.validator_updates);
        }
        self.events.extend(out.events.iter().cloned());
        out
    }

    /// Moves to the next height without running hooks: one second later, the seeded block
    /// hash and randomness, no last commit and no evidence yet.
    pub fn advance(&mut self) {
        let height = self.block.height + 1;
        self.advance_with(block_hash(self.seed, height), randomness(self.seed, height));
    }

    /// [`TestChain::advance`] with the next block's hash and beacon randomness given.
    pub fn advance_with(&mut self, hash: Vec<u8>, randomness: [u8; 32]) {
        self.block.height += 1;
        self.block.time_secs += 1;
        self.block.hash = hash;
        self.block.randomness = randomness;
        self.block.last_commit.clear();
        self.block.misbehavior.clear();
    }

    /// Ends the current block, moves to the next height ([`TestChain::advance`]) and begins
    /// it; returns what both hooks produced.
    pub fn next_block(&mut self) -> Output {
        let height = self.block.height + 1;
        self.next_block_with(block_hash(self.seed, height), randomness(self.seed, height))
    }

    /// [`TestChain::next_block`] with the next block's hash and beacon randomness given.
    pub fn next_block_with(&mut self, hash: Vec<u8>, randomness: [u8; 32]) -> Output {
        let mut out = self.end_block();
        self.advance_with(hash, randomness);
        let begin = self.begin_block();
        out.events.extend(begin.events);
        out.updates.extend(begin.updates);
        out
    }

    /// Runs blocks ([`TestChain::next_block`]) until the current height is `height`.
    pub fn until(&mut self, height: u64) {
        while self.block.height < height {
            self.next_block();
        }
    }

    /// Mints `amount` ubls to `a` (as genesis balances do: supply grows with it).
    pub fn fund(&mut self, a: &Address, amount: u128) {
        bls_bank::genesis::fund(&mut self.store, a, &Coins::ubls(amount)).expect("fund");
    }

    /// `a`'s ubls balance.
    pub fn balance(&self, a: &Address) -> u128 {
        bls_bank::keeper::balance(&self.store, a, DENOM).expect("balance")
    }

    /// The ubls supply.
    pub fn supply(&self) -> u128 {
        bls_bank::keeper::supply_of(&self.store, DENOM).expect("supply")
    }

    /// The ubls burnt so far.
    pub fn burned(&self) -> u128 {
        bls_bank::keeper::burned_of(&self.store, DENOM).expect("burned")
    }

    /// Asks `module`'s query `method` with the JSON `req`, and parses its JSON answer.
    ///
    /// # Panics
    ///
    /// When the chain does not drive `module`, or its answer is not a JSON `T`.
    pub fn query<T: serde::de::DeserializeOwned>(
        &self,
        module: &str,
        method: &str,
        req: Value,
    ) -> Result<T, ModuleError> {
        let bytes = self
            .module(module)
            .query(&self.store, method, req.to_string().as_bytes())?;
        Ok(serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{module} {method} answered no expected JSON: {e}")))
    }

    /// Every key and value in the store, in order (to check that something wrote nothing).
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.store.range(None, None, Order::Ascending).collect()
    }

    /// Every module's exported genesis, by module name.
    ///
    /// # Panics
    ///
    /// When a module's export fails.
    pub fn export(&self) -> Value {
        let mut out = serde_json::Map::new();
        for m in &self.modules {
            let section = m
                .export_genesis(&self.store)
                .unwrap_or_else(|e| panic!("export of {}: {e}", m.name()));
            out.insert(m.name().to_string(), section);
        }
        Value::Object(out)
    }

    /// A new chain of the same modules, at the same block, whose genesis is this chain's
    /// export (state outside the modules' genesis, e.g. balances when the bank is not one of
    /// them, is not carried over).
    pub fn reimport(&self) -> Result<(TestChain, Output), ModuleError> {
        let exported = self.export();
        let mut c = TestChain::with_seed(self.modules.clone(), self.seed);
        c.block = self.block.clone();
        let sections: Vec<(&str, Value)> = self
            .modules
            .iter()
            .map(|m| (m.name(), exported[m.name()].clone()))
            .collect();
        let out = c.genesis(&sections)?;
        Ok((c, out))
    }

    /// Events of kind `kind` in [`TestChain::events`].
    pub fn events_of(&self, kind: &str) -> Vec<&Event> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Hook {
    Begin,
    End,
}
