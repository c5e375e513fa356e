//! In-process chain for module tests: a MockStorage, a block you advance, and the modules'
//! hooks run in the app's order.
#![allow(dead_code)]

use bls_core::module::encode_any;
use bls_core::{
    Address, BlockInfo, Context, Event, GasMeter, Module, ModuleError, ValidatorUpdate,
};
use bls_staking::msgs::{
    ubls, MsgCreateValidator, MsgDelegate, MsgUndelegate, MSG_CREATE_VALIDATOR, MSG_DELEGATE,
    MSG_UNDELEGATE,
};
use cosmos_sdk_proto::Any;
use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{Order, Storage};
use serde_json::{json, Value};

/// A test chain.
pub struct Chain {
    pub store: MockStorage,
    pub block: BlockInfo,
    pub modules: Vec<&'static dyn Module>,
}

/// What a block hook or message produced.
#[derive(Debug, Default)]
pub struct Output {
    pub events: Vec<Event>,
    pub updates: Vec<ValidatorUpdate>,
}

pub fn addr(n: u8) -> Address {
    Address::from_bytes(&[n; 20])
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

impl Chain {
    /// Runs every module's genesis (sections by module name; bank gets `balances`).
    pub fn new(
        modules: Vec<&'static dyn Module>,
        balances: &[(Address, u128)],
        sections: &[(&str, Value)],
    ) -> Result<(Self, Output), ModuleError> {
        let mut c = Chain {
            store: MockStorage::new(),
            block: BlockInfo {
                height: 1,
                chain_id: "test".into(),
                ..Default::default()
            },
            modules,
        };
        let bank = json!({"balances": balances.iter().map(|(a, n)| json!({
            "address": a.to_string(), "coins": [{"denom": "ubls", "amount": n.to_string()}]
        })).collect::<Vec<_>>()});
        let out = c.init(&bank, sections)?;
        Ok((c, out))
    }

    /// Genesis from a full app_state-like list of sections.
    pub fn init(
        &mut self,
        bank: &Value,
        sections: &[(&str, Value)],
    ) -> Result<Output, ModuleError> {
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        for m in &self.modules {
            let section = if m.name() == "bank" {
                bank.clone()
            } else {
                sections
                    .iter()
                    .find(|(n, _)| *n == m.name())
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null)
            };
            m.init_genesis(&mut ctx, &section)?;
        }
        Ok(Output {
            events: ctx.events,
            updates: ctx.validator_updates,
        })
    }

    /// Delivers one message through the module that handles it (checking its signer).
    pub fn deliver(&mut self, signer: &Address, msg: Any) -> Result<Output, ModuleError> {
        let m = self
            .modules
            .iter()
            .find(|m| m.msg_type_urls().contains(&msg.type_url.as_str()))
            .copied()
            .expect("a module handles the message");
        assert_eq!(&m.msg_signer(&msg)?, signer, "signer of {}", msg.type_url);
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        m.deliver(&mut ctx, &msg)?;
        Ok(Output {
            events: ctx.events,
            updates: ctx.validator_updates,
        })
    }

    /// Begin-block hooks of every module, in order.
    pub fn begin_block(&mut self) -> Output {
        self.hook(true)
    }

    /// End-block hooks of every module, in order.
    pub fn end_block(&mut self) -> Output {
        self.hook(false)
    }

    fn hook(&mut self, begin: bool) -> Output {
        let mut out = Output::default();
        for m in self.modules.clone() {
            let gas = GasMeter::infinite();
            let mut ctx = Context::new(&mut self.store, &self.block, &gas);
            let r = if begin {
                m.begin_block(&mut ctx)
            } else {
                m.end_block(&mut ctx)
            };
            r.unwrap_or_else(|e| {
                panic!(
                    "{} hook of {} failed: {e}",
                    if begin { "begin" } else { "end" },
                    m.name()
                )
            });
            out.events.extend(ctx.events);
            out.updates.extend(ctx.validator_updates);
        }
        out
    }

    /// Moves to the next height (clears last commit and evidence).
    pub fn advance(&mut self) {
        self.block.height += 1;
        self.block.last_commit.clear();
        self.block.misbehavior.clear();
    }

    /// End block of this height, then advance; returns the end-block output.
    pub fn finish_block(&mut self) -> Output {
        let out = self.end_block();
        self.advance();
        out
    }

    /// Every key/value in the store (to check that a rejected message wrote nothing).
    pub fn snapshot(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.store.range(None, None, Order::Ascending).collect()
    }

    pub fn query(&self, module: &str, method: &str, req: Value) -> Result<Value, ModuleError> {
        let m = self
            .modules
            .iter()
            .find(|m| m.name() == module)
            .expect("module");
        let bytes = m.query(&self.store, method, &serde_json::to_vec(&req).unwrap())?;
        Ok(serde_json::from_slice(&bytes).expect("query answers JSON"))
    }

    /// Runs `f` in a context of the current block (infinite gas), as a keeper call from
    /// another module would.
    pub fn with_ctx<T>(&mut self, f: impl FnOnce(&mut Context<'_>) -> T) -> T {
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut self.store, &self.block, &gas);
        f(&mut ctx)
    }

    pub fn balance(&self, a: &Address) -> u128 {
        bls_bank::keeper::balance(&self.store, a, "ubls").unwrap()
    }

    pub fn supply(&self) -> u128 {
        bls_bank::keeper::supply_of(&self.store, "ubls").unwrap()
    }

    pub fn burned(&self) -> u128 {
        bls_bank::keeper::burned_of(&self.store, "ubls").unwrap()
    }

    /// Every module's exported genesis, by module name.
    pub fn export(&self) -> Value {
        let mut out = serde_json::Map::new();
        for m in &self.modules {
            out.insert(m.name().to_string(), m.export_genesis(&self.store).unwrap());
        }
        Value::Object(out)
    }

    /// A new chain whose genesis is this chain's export.
    pub fn reimport(&self) -> Result<(Chain, Output), ModuleError> {
        let exported = self.export();
        let mut c = Chain {
            store: MockStorage::new(),
            block: self.block.clone(),
            modules: self.modules.clone(),
        };
        let sections: Vec<(&str, Value)> = self
            .modules
            .iter()
            .map(|m| (m.name(), exported[m.name()].clone()))
            .collect();
        let out = c.init(&exported["bank"], &sections)?;
        Ok((c, out))
    }
}
