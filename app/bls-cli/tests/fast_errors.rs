//! `bls function invoke --fast` errors name the fix: no head given, no head listening (a
//! free loopback port), and a head that refuses payment (a one-shot loopback server that
//! answers 402 the way a head does). A fast request binds terms read from the chain (code
//! hash, expiry, clock, fee), so these run against a stub node: a loopback JSON-RPC server
//! that answers `status` and the two orchestration queries the CLI reads the way CometBFT
//! and blsd do.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// `bls` with a clean environment and the unencrypted `test` keyring backend.
fn bls(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bls"));
    c.args(args)
        .env_remove("BLS_NODE")
        .env_remove("BLS_KEYRING")
        .env_remove("BLS_FROM")
        .env_remove("BLS_HEAD")
        .env_remove("BLS_KEYRING_PASSPHRASE")
        .env("BLS_KEYRING_BACKEND", "test");
    c
}

fn fails_with(cmd: &mut Command, needles: &[&str]) -> String {
    let o: Output = cmd.output().expect("running bls");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "expected failure, got success: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

/// A keyring with key `dev`.
fn keyring(dir: &Path) -> std::path::PathBuf {
    let k = dir.join("keyring");
    let o = bls(&["keys", "add", "dev", "--keyring-dir"])
        .arg(&k)
        .output()
        .expect("running bls");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    k
}

/// A loopback URL where nothing listens.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// Reads one HTTP request (headers and a `content-length` body) from `s`.
fn read_request(s: &mut std::net::TcpStream) -> Option<String> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).ok()?;
        req.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&req).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            if req.len() >= end + 4 + len {
                return Some(text);
            }
        }
        if n == 0 {
            return None;
        }
    }
}

/// What the stub node answers to a JSON-RPC `method` with `params` (the `result`).
fn stub_result(method: &str, params: &serde_json::Value) -> serde_json::Value {
    use base64::Engine as _;
    use bls_orchestration::queries::FunctionResponse;
    use bls_orchestration::state::{Function, FunctionStatus};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match method {
        "status" => serde_json::json!({
            "node_info": {
                "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
                "id": "0123456789abcdef0123456789abcdef01234567",
                "listen_addr": "tcp://127.0.0.1:26656",
                "network": "bls-test",
                "version": "0.38.25",
                "channels": "40202122233038606100",
                "moniker": "stub",
                "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"}
            },
            "sync_info": {
                "latest_block_hash": "AA".repeat(32),
                "latest_app_hash": "BB".repeat(32),
                "latest_block_height": "10",
                "latest_block_time": "2026-01-01T00:00:00Z",
                "earliest_block_hash": "AA".repeat(32),
                "earliest_app_hash": "BB".repeat(32),
                "earliest_block_height": "1",
                "earliest_block_time": "2026-01-01T00:00:00Z",
                "catching_up": false
            },
            "validator_info": {
                "address": "CC".repeat(20),
                "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&[1; 32])},
                "voting_power": "10"
            }
        }),
        "abci_query" => {
            let path = params["path"].as_str().unwrap_or_default();
            let value = if path.ends_with("/Function") {
                serde_json::to_vec(&FunctionResponse {
                    function: Function {
                        id: 1,
                        owner: bls_core::Address::from_bytes(&[1; 20]),
                        code_hash: "ab".repeat(32),
                        code_on_chain: true,
                        source_uris: vec![],
                        code_size: 0,
                        manifest_json: "{}".into(),
                        replication: 1,
                        quorum: 1,
                        status: FunctionStatus::Active,
                        version: 1,
                        created_height: 2,
                        updated_height: 2,
                    },
                    subnetwork: None,
                    royalty: "0".into(),
                    call_reserve: "0".into(),
                })
            } else {
                serde_json::to_vec(&bls_orchestration::queries::ParamsResponse {
                    params: Default::default(),
                })
            }
            .unwrap();
            serde_json::json!({"response": {
                "code": 0, "log": "", "info": "", "index": "0", "key": "",
                "value": b64(&value), "proofOps": null, "height": "10", "codespace": ""
            }})
        }
        other => panic!("the stub node does not answer {other}"),
    }
}

/// A loopback node answering what `bls function invoke --fast` reads before it signs (chain
/// id, tip, the function, the params); serves until the test process ends.
fn stub_node() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || {
                while let Some(req) = read_request(&mut s) {
                    let body = req.split("\r\n\r\n").nth(1).unwrap_or_default();
                    let rpc: serde_json::Value =
                        serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
                    let reply = serde_json::json!({
                        "jsonrpc": "2.0",
                        "id": rpc["id"],
                        "result": stub_result(
                            rpc["method"].as_str().unwrap_or_default(),
                            &rpc["params"],
                        ),
                    })
                    .to_string();
                    if write!(
                        s,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{reply}",
                        reply.len()
                    )
                    .is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    url
}

/// `bls function invoke 1 --fast` with a chain id given.
fn fast_invoke(keyring: &Path, node: &str) -> Command {
    let mut c = bls(&[
        "function",
        "invoke",
        "1",
        "--fast",
        "--input",
        "Ada",
        "--from",
        "dev",
        "--chain-id",
        "bls-test",
        "--timeout",
        "20",
        "--node",
        node,
    ]);
    c.arg("--keyring-dir").arg(keyring);
    c
}

#[test]
fn fast_without_a_head_says_how_to_name_one() {
    let tmp = tempfile::tempdir().unwrap();
    let k = keyring(tmp.path());
    fails_with(
        &mut fast_invoke(&k, &dead_url()),
        &[
            "no head worker for --fast",
            "--head URL",
            "BLS_HEAD",
            "without --fast",
        ],
    );
}

#[test]
fn unreachable_head_names_the_url_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let k = keyring(tmp.path());
    let head = dead_url();
    let node = stub_node();
    let want = format!("cannot reach the head worker at {head}");
    let mut cmd = fast_invoke(&k, &node);
    cmd.args(["--head", &head]);
    fails_with(&mut cmd, &[&want, "--head / BLS_HEAD"]);
    // The same through the environment.
    let mut cmd = fast_invoke(&k, &node);
    cmd.env("BLS_HEAD", &head);
    fails_with(&mut cmd, &[&want]);
}

#[test]
fn refused_payment_surfaces_the_heads_reason_and_the_deposit_command() {
    let tmp = tempfile::tempdir().unwrap();
    let k = keyring(tmp.path());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let head = format!("http://{}", listener.local_addr().unwrap());
    let reason =
        "fast-path deposit of bls1x is 0 with 0 unsettled; 1000 more needed (MsgFastPathDeposit)";
    let server = std::thread::spawn(move || -> String {
        let (mut s, _) = listener.accept().unwrap();
        // Read the headers and the body so the client sees a clean reply.
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).unwrap();
            req.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&req).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if req.len() >= end + 4 + len || n == 0 {
                    break;
                }
            }
            assert!(n > 0, "connection closed early");
        }
        let body = serde_json::json!({"code": "402", "error": reason}).to_string();
        write!(
            s,
            "HTTP/1.1 402 Payment Required\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8_lossy(&req).into_owned()
    });
    let mut cmd = fast_invoke(&k, &stub_node());
    cmd.args(["--head", &head]);
    fails_with(
        &mut cmd,
        &[
            "the head refused to serve bls1",
            reason,
            // The fix runs as printed: the paying key, --yes, the node and keyring in use.
            "bls account deposit AMOUNT --from bls1",
            "--yes --node http://127.0.0.1:",
            "--keyring-dir ",
        ],
    );
    let req = server.join().unwrap();
    assert!(req.starts_with("POST /api/v1/functions/execute "), "{req}");
    assert!(
        req.contains("\"signature\""),
        "the request is signed: {req}"
    );
}
