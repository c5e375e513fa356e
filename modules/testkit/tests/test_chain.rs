//! The harness itself, driven with a probe module that writes, emits and fails on demand.

use bls_core::{AbciCode, Address, Context, Event, Module, ModuleError};
use bls_testkit::{addr, assert_refused, block_hash, randomness, TestChain, GENESIS_TIME_SECS};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;
use serde_json::{json, Value};

const PROBE_URL: &str = "/test.Probe";

/// Messages are raw bytes: byte 0 is the signer `addr(n)`, the rest is written under `k`;
/// `fail` after the write refuses the message. Hooks count themselves under `begin`/`end`.
struct Probe;

#[derive(Debug)]
struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused after writing")
    }
}

impl AbciCode for Refused {
    fn codespace(&self) -> &'static str {
        "probe"
    }
    fn code(&self) -> u32 {
        7
    }
}

fn bump(store: &mut dyn Storage, key: &[u8]) -> u8 {
    let n = store.get(key).map_or(0, |v| v[0]) + 1;
    store.set(key, &[n]);
    n
}

impl Module for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[PROBE_URL]
    }
    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        let n = *msg
            .value
            .first()
            .ok_or_else(|| ModuleError::new("probe", 2, "empty"))?;
        Ok(addr(n))
    }
    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        let body = &msg.value[1..];
        ctx.store.set(b"k", body);
        ctx.emit(Event::new("probe").attr("body", String::from_utf8_lossy(body)));
        if body == b"fail" {
            return Err(Refused.into());
        }
        Ok(Any {
            type_url: "/test.ProbeResponse".into(),
            value: body.to_vec(),
        })
    }
    fn query_prefix(&self) -> &'static str {
        "/test.Query/"
    }
    fn query(
        &self,
        store: &dyn Storage,
        method: &str,
        _data: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let v = store.get(method.as_bytes()).map_or(0, |v| v[0]);
        Ok(serde_json::to_vec(&json!({ "count": v })).unwrap())
    }
    fn init_genesis(&self, ctx: &mut Context<'_>, genesis: &Value) -> Result<(), ModuleError> {
        if let Some(n) = genesis.get("k").and_then(Value::as_str) {
            ctx.store.set(b"k", n.as_bytes());
        }
        Ok(())
    }
    fn export_genesis(&self, store: &dyn Storage) -> Result<Value, ModuleError> {
        Ok(match store.get(b"k") {
            Some(v) => json!({ "k": String::from_utf8(v).unwrap() }),
            None => json!({}),
        })
    }
    fn begin_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        let n = bump(ctx.store, b"begin");
        ctx.emit(Event::new("begin").attr("n", n));
        Ok(())
    }
    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        let n = bump(ctx.store, b"end");
        ctx.emit(Event::new("end").attr("n", n));
        Ok(())
    }
}

static PROBE: Probe = Probe;

fn probe(signer: u8, body: &[u8]) -> Any {
    let mut value = vec![signer];
    value.extend_from_slice(body);
    Any {
        type_url: PROBE_URL.into(),
        value,
    }
}

fn chain() -> TestChain {
    TestChain::with_genesis(vec![&PROBE], &[("probe", json!({"k": "genesis"}))])
        .unwrap()
        .0
}

#[test]
fn tx_rolls_back_a_refusal_and_deliver_does_not() {
    let mut c = chain();
    let d = c.tx(&addr(1), probe(1, b"one")).unwrap();
    assert_eq!(d.response.value, b"one");
    assert_eq!(d.events, vec![Event::new("probe").attr("body", "one")]);
    assert_eq!(c.events, d.events);
    let before = c.snapshot();
    let e = assert_refused(c.tx(&addr(1), probe(1, b"fail")), &Refused);
    assert_eq!(e.log, "refused after writing");
    assert_eq!(
        c.snapshot(),
        before,
        "the refused tx's write was rolled back"
    );
    assert_eq!(c.events.len(), 1, "a refused message's events are dropped");
    assert!(c.deliver(&addr(1), probe(1, b"fail")).is_err());
    assert_eq!(
        c.store.get(b"k").unwrap(),
        b"fail",
        "deliver keeps the write"
    );
}

#[test]
#[should_panic(expected = "signer of /test.Probe")]
fn a_wrong_signer_is_a_test_bug() {
    let _ = chain().tx(&addr(2), probe(1, b"x"));
}

#[test]
fn blocks_run_every_hook_and_derive_block_data_from_the_seed() {
    let mut c = TestChain::with_seed(vec![&PROBE], 9);
    assert_eq!((c.block.height, c.block.time_secs), (1, GENESIS_TIME_SECS));
    let out = c.next_block();
    let kinds: Vec<&str> = out.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["end", "begin"]);
    assert_eq!(c.block.height, 2);
    assert_eq!(c.block.time_secs, GENESIS_TIME_SECS + 1);
    assert_eq!(c.block.hash, block_hash(9, 2));
    assert_eq!(c.block.randomness, randomness(9, 2));
    c.until(5);
    assert_eq!(c.block.height, 5);
    assert_eq!(c.events_of("end").len(), 4);
    let n: Value = c.query("probe", "begin", json!({})).unwrap();
    assert_eq!(n["count"], 4);
    c.next_block_with(vec![1; 32], [2; 32]);
    assert_eq!(
        (c.block.hash.clone(), c.block.randomness),
        (vec![1; 32], [2; 32])
    );
}

#[test]
fn keeper_calls_log_their_events_and_funds_move_supply() {
    let mut c = chain();
    c.keeper(|ctx| ctx.emit(Event::new("kept")));
    assert_eq!(c.events_of("kept").len(), 1);
    c.fund(&addr(3), 500);
    assert_eq!((c.balance(&addr(3)), c.supply(), c.burned()), (500, 500, 0));
}

#[test]
fn export_and_reimport_carry_the_genesis() {
    let mut c = chain();
    c.tx(&addr(1), probe(1, b"later")).unwrap();
    let (c2, _) = c.reimport().unwrap();
    assert_eq!(c2.export(), json!({"probe": {"k": "later"}}));
    assert_eq!(c2.block, c.block);
}

#[test]
#[should_panic(expected = "drives no module \"nope\"")]
fn a_genesis_section_for_no_module_is_a_test_bug() {
    let _ = TestChain::with_genesis(vec![&PROBE], &[("nope", json!({}))]);
}
