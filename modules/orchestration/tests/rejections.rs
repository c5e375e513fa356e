//! Bad deployments and bad commit/reveal messages are refused with clear errors and change
//! nothing.

mod common;

use bls_core::module::encode_any;
use bls_orchestration::msgs::*;
use bls_orchestration::queries::{CodeResponse, FunctionResponse};
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5,
        "max_code_bytes": 65536, "max_wasm_bytes": 1048576, "base_fee": "1000"
    })
}

fn chain_with_workers() -> (Chain, Vec<SimWorker>) {
    let mut c = Chain::new(params());
    let ws = six_workers();
    for w in &ws {
        c.register(w);
    }
    (c, ws)
}

fn deploy_err(c: &mut Chain, wasm: Vec<u8>, manifest: &str, n: u32, m: u32) -> String {
    let before = c.snapshot();
    let e = c.deploy(&user(50), wasm, manifest, n, m).unwrap_err();
    assert_eq!(e.codespace, "orchestration");
    // Nothing changed.
    assert_eq!(c.snapshot(), before, "state changed by a failed deploy");
    e.log
}

#[test]
fn deploy_stores_code_once_and_serves_it() {
    let (mut c, _) = chain_with_workers();
    let gz = gzip(&hello_wasm());
    let f1 = c.deploy(&user(50), gz.clone(), "{}", 3, 2).unwrap();
    let f2 = c
        .deploy(
            &user(51),
            gz.clone(),
            r#"{"limits":{"timeout_ms":900000}}"#,
            1,
            1,
        )
        .unwrap();
    assert_eq!((f1, f2), (1, 2));
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f1}))
        .unwrap();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(hello_wasm()));
    assert_eq!(r.function.code_hash, hash);
    assert_eq!(r.subnetwork.unwrap().workers.len(), 3);
    let code: CodeResponse = c
        .query("orchestration", "Code", serde_json::json!({"hash": hash}))
        .unwrap();
    assert_eq!(code.code.as_slice(), gz.as_slice());
    // Deduplicated: one CODES entry.
    let n = bls_orchestration::testing::CODES
        .keys(&c.store, None, None, cosmwasm_std::Order::Ascending)
        .count();
    assert_eq!(n, 1);
    // Hash-only deploy of known code; unknown code is refused without an IPFS source (no
    // worker could load it), and with a source no worker fetches (https, ar).
    let msg = MsgDeployFunction {
        owner: user(52).to_string(),
        code_hash: hex::decode(&hash).unwrap(),
        manifest_json: "{}".into(),
        replication: 1,
        quorum: 1,
        ..Default::default()
    };
    c.orch(&user(52), encode_any(&msg, MSG_DEPLOY_FUNCTION))
        .unwrap();
    let mut unknown = msg.clone();
    unknown.code_hash = vec![7; 32];
    let e = c
        .orch(&user(52), encode_any(&unknown, MSG_DEPLOY_FUNCTION))
        .unwrap_err();
    assert!(
        e.log.contains("is stored on chain: send the WASM"),
        "{}",
        e.log
    );
    let before = bls_orchestration::testing::FUNCTIONS
        .keys(&c.store, None, None, cosmwasm_std::Order::Ascending)
        .count();
    for uri in [
        "https://example.com/f.wasm",
        "ar://abc",
        "http://10.0.0.1/f.wasm",
    ] {
        unknown.source_uris = vec![uri.into()];
        unknown.code_size = 1000;
        let e = c
            .orch(&user(52), encode_any(&unknown, MSG_DEPLOY_FUNCTION))
            .unwrap_err();
        assert!(
            e.log.contains("only ipfs://CID sources are accepted"),
            "{}",
            e.log
        );
    }
    let after = bls_orchestration::testing::FUNCTIONS
        .keys(&c.store, None, None, cosmwasm_std::Order::Ascending)
        .count();
    assert_eq!(before, after, "a refused deploy stored a function");
}

#[test]
fn invalid_wasm_is_rejected() {
    let (mut c, _) = chain_with_workers();
    let log = deploy_err(&mut c, gzip(b"definitely not wasm"), "{}", 3, 2);
    assert!(log.contains("invalid wasm"), "{log}");
    let log = deploy_err(&mut c, b"\0asm\x01\0\0\0\x99garbage".to_vec(), "{}", 3, 2);
    assert!(log.contains("invalid wasm"), "{log}");
    let log = deploy_err(&mut c, b"plain text".to_vec(), "{}", 3, 2);
    assert!(log.contains("neither gzip"), "{log}");
    // Threads (shared memory) are not something workers run.
    let shared = wasm(r#"(module (memory 1 1 shared) (func (export "_start")))"#);
    let log = deploy_err(&mut c, shared, "{}", 3, 2);
    assert!(log.contains("invalid wasm"), "{log}");
}

#[test]
fn missing_entry_is_rejected() {
    let (mut c, _) = chain_with_workers();
    let only_foo = wasm(r#"(module (func (export "foo")))"#);
    let log = deploy_err(&mut c, only_foo.clone(), "{}", 3, 2);
    assert!(log.contains("\"_start\""), "{log}");
    assert!(c
        .deploy(&user(50), only_foo, r#"{"entry":"foo"}"#, 3, 2)
        .is_ok());
    let mem_export = wasm(r#"(module (memory (export "run") 1))"#);
    let log = deploy_err(&mut c, mem_export, r#"{"entry":"run"}"#, 3, 2);
    assert!(log.contains("not a function"), "{log}");
}

#[test]
fn gzip_bomb_and_oversized_code_are_rejected() {
    let (mut c, _) = chain_with_workers();
    // 8 MiB of zeros compresses to a few KiB: under max_code_bytes, over max_wasm_bytes.
    let bomb = gzip(&vec![0u8; 8 << 20]);
    assert!(bomb.len() < 65536);
    let log = deploy_err(&mut c, bomb, "{}", 3, 2);
    assert!(log.contains("decompressed"), "{log}");
    // Raw code above max_code_bytes.
    let mut big = hello_wasm();
    big.extend(std::iter::repeat_n(0u8, 70_000));
    let log = deploy_err(&mut c, big, "{}", 3, 2);
    assert!(log.contains("compressed") && log.contains("65536"), "{log}");
}

#[test]
fn bad_manifest_and_replication_are_rejected() {
    let (mut c, _) = chain_with_workers();
    let w = hello_wasm();
    for (manifest, needle) in [
        (r#"{"limits":{"timeout_ms":900001}}"#, "timeout_ms"),
        (r#"{"limits":{"output_bytes":2000000}}"#, "output_bytes"),
        (r#"{"limits":{"memory_bytes":10}}"#, "memory_bytes"),
        (
            r#"{"permissions":{"http":["https://x.com/path"]}}"#,
            "http origin",
        ),
        (r#"{"timeout":5}"#, "unknown field"),
        ("[", "invalid manifest"),
    ] {
        let log = deploy_err(&mut c, w.clone(), manifest, 3, 2);
        assert!(log.contains(needle), "{manifest}: {log}");
    }
    for (n, m) in [(3, 1), (4, 2), (0, 0), (2, 3), (8, 5)] {
        let log = deploy_err(&mut c, w.clone(), "{}", n, m);
        assert!(
            log.contains("replication") || log.contains("quorum"),
            "{n}/{m}: {log}"
        );
    }
}

#[test]
fn update_and_retire_are_owner_only() {
    let (mut c, _) = chain_with_workers();
    let owner = user(50);
    let f = c.deploy(&owner, hello_wasm(), "{}", 3, 2).unwrap();
    let upd = MsgUpdateFunction {
        owner: user(99).to_string(),
        function_id: f,
        manifest_json: r#"{"limits":{"fuel":5}}"#.into(),
        ..Default::default()
    };
    let e = c
        .orch(&user(99), encode_any(&upd, MSG_UPDATE_FUNCTION))
        .unwrap_err();
    assert!(e.log.contains("owned by"), "{}", e.log);
    let mut ok = upd.clone();
    ok.owner = owner.to_string();
    c.orch(&owner, encode_any(&ok, MSG_UPDATE_FUNCTION))
        .unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    assert_eq!(r.function.version, 2);
    assert!(r.function.manifest_json.contains("\"fuel\":5"));
    // An update whose entry the stored code lacks is refused.
    let mut bad_entry = ok.clone();
    bad_entry.manifest_json = r#"{"entry":"nope"}"#.into();
    assert_refused(
        c.orch(&owner, encode_any(&bad_entry, MSG_UPDATE_FUNCTION)),
        &variant!(OrchestrationError::InvalidWasm(_)),
    );

    let retire = MsgRetireFunction {
        owner: owner.to_string(),
        function_id: f,
    };
    c.orch(&owner, encode_any(&retire, MSG_RETIRE_FUNCTION))
        .unwrap();
    let invoker = user(60);
    c.fund(&invoker, 10_000);
    let e = c.invoke(&invoker, f, 5_000).unwrap_err();
    assert!(e.log.contains("retired"), "{}", e.log);
}

#[test]
fn invoke_rejections() {
    let (mut c, _) = chain_with_workers();
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    let invoker = user(60);
    c.fund(&invoker, 10_000);
    assert!(c
        .invoke(&invoker, 999, 5_000)
        .unwrap_err()
        .log
        .contains("unknown function"));
    assert!(c
        .invoke(&invoker, f, 999)
        .unwrap_err()
        .log
        .contains("base fee"));
    let e = c.invoke(&invoker, f, 20_000).unwrap_err();
    assert_eq!(e.codespace, "orchestration");
    assert!(e.log.contains("insufficient"), "{}", e.log);
    assert_eq!(c.balance(&invoker), 10_000);
    let big = MsgInvoke {
        invoker: invoker.to_string(),
        function_id: f,
        input: vec![0; 70_000],
        args: vec![],
        max_fee: Some(ProtoCoin::ubls(5_000)),
        version: 0,
    };
    assert!(c
        .orch(&invoker, encode_any(&big, MSG_INVOKE))
        .unwrap_err()
        .log
        .contains("input"));
    let bad_args = MsgInvoke {
        input: vec![],
        args: vec!["a\0b".into()],
        ..big.clone()
    };
    assert_refused(
        c.orch(&invoker, encode_any(&bad_args, MSG_INVOKE)),
        &variant!(OrchestrationError::InvalidManifest(_)),
    );
    let bad_denom = MsgInvoke {
        input: vec![],
        max_fee: Some(ProtoCoin {
            denom: "uatom".into(),
            amount: "5000".into(),
        }),
        ..big
    };
    assert!(c
        .orch(&invoker, encode_any(&bad_denom, MSG_INVOKE))
        .unwrap_err()
        .log
        .contains("denom"));
    c.assert_escrow_invariant();
}

#[test]
fn not_enough_workers_is_refused() {
    let mut c = Chain::new(params());
    let w = SimWorker::new(1, "eu", "AS1");
    c.register(&w);
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    let invoker = user(60);
    c.fund(&invoker, 50_000);
    let e = c.invoke(&invoker, f, 20_000).unwrap_err();
    assert!(e.log.contains("not enough eligible workers"), "{}", e.log);
    assert_eq!(c.balance(&invoker), 50_000);
}

#[test]
fn commit_and_reveal_rejections() {
    let (mut c, ws) = chain_with_workers();
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    let invoker = user(60);
    c.fund(&invoker, 50_000);
    let job = c.invoke(&invoker, f, 20_000).unwrap().job_id;
    let assigned: Vec<SimWorker> = c
        .job(job)
        .assignments
        .iter()
        .map(|a| find(&ws, a.worker.as_str()).clone())
        .collect();
    let outsider = ws
        .iter()
        .find(|w| !assigned.iter().any(|a| a.addr == w.addr))
        .unwrap()
        .clone();
    let out = outcome(b"x", 1);

    assert!(c
        .commit(&assigned[0], 999, &out)
        .unwrap_err()
        .log
        .contains("unknown job"));
    assert!(c
        .commit(&outsider, job, &out)
        .unwrap_err()
        .log
        .contains("not assigned"));
    assert!(c
        .commit_raw(&assigned[0], job, vec![1; 31])
        .unwrap_err()
        .log
        .contains("32 bytes"));
    c.commit(&assigned[0], job, &out).unwrap();
    assert!(c
        .commit(&assigned[0], job, &out)
        .unwrap_err()
        .log
        .contains("already committed"));
    c.commit(&assigned[1], job, &out).unwrap();
    c.commit(&assigned[2], job, &out).unwrap();

    assert!(c
        .reveal(&outsider, job, &out)
        .unwrap_err()
        .log
        .contains("not assigned"));
    // Wrong salt, and an outcome other than the committed one.
    let e = c
        .reveal_with_salt(&assigned[0], job, &out, b"other salt".to_vec())
        .unwrap_err();
    assert!(e.log.contains("commitment"), "{}", e.log);
    let e = c.reveal(&assigned[0], job, &outcome(b"y", 1)).unwrap_err();
    assert!(e.log.contains("commitment"), "{}", e.log);
    // Not a canonical outcome.
    let mut junk = out.clone();
    junk.push(0);
    assert!(c
        .reveal(&assigned[0], job, &junk)
        .unwrap_err()
        .log
        .contains("invalid outcome"));
    assert!(c
        .reveal_with_salt(&assigned[0], job, &out, vec![1; 3])
        .unwrap_err()
        .log
        .contains("salt"));
    c.reveal(&assigned[0], job, &out).unwrap();
    assert!(c
        .reveal(&assigned[0], job, &out)
        .unwrap_err()
        .log
        .contains("already revealed"));
    // Late reveal after the window.
    let rd = c.job(job).reveal_deadline;
    c.until(rd + 1);
    assert_refused(
        c.reveal(&assigned[1], job, &out),
        &variant!(OrchestrationError::WrongPhase { job, phase, action }),
    );
    c.assert_escrow_invariant();
}

#[test]
fn output_above_the_manifest_cap_is_an_invalid_outcome() {
    let (mut c, ws) = chain_with_workers();
    let f = c
        .deploy(
            &user(50),
            hello_wasm(),
            r#"{"limits":{"output_bytes":4}}"#,
            1,
            1,
        )
        .unwrap();
    let invoker = user(60);
    c.fund(&invoker, 50_000);
    let job = c.invoke(&invoker, f, 20_000).unwrap().job_id;
    let w = find(&ws, c.job(job).assignments[0].worker.as_str()).clone();
    let long = outcome(b"too long", 1);
    c.commit(&w, job, &long).unwrap();
    let e = c.reveal(&w, job, &long).unwrap_err();
    assert!(e.log.contains("invalid outcome"), "{}", e.log);
}
