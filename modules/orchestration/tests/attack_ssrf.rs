//! SSRF through the manifest (issue #12, attack 7): a deployer lists an HTTP origin that
//! points the workers at their own hosts (cloud metadata, the node's RPC, the worker's
//! metrics) so the reveal publishes what the guest read. Deploy and update refuse every
//! non-public origin, in every spelling the URL parser accepts, with an error naming the
//! origin and why, and change no state.

mod common;

use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::msgs::*;
use bls_orchestration::queries::FunctionResponse;
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5,
        "max_code_bytes": 65536, "max_wasm_bytes": 1048576, "base_fee": "1000"
    })
}

/// A chain with six workers that offer outbound HTTP (so HTTP functions can be placed).
fn chain() -> Chain {
    let mut c = Chain::new(params());
    for mut w in six_workers() {
        w.http_allowed = true;
        c.register(&w);
    }
    c
}

fn manifest_allowing(origin: &str) -> String {
    serde_json::json!({ "permissions": { "http": [origin] } }).to_string()
}

/// Origins an attacker would list, each in a spelling the URL parser accepts, with a word
/// the refusal must contain.
const HOSTILE: &[(&str, &str)] = &[
    ("http://169.254.169.254", "169.254.169.254"),
    ("http://169.254.169.254/", "link-local"),
    ("http://127.0.0.1:26657", "loopback"),
    ("http://127.0.0.1:9464", "loopback"),
    ("http://[::ffff:127.0.0.1]", "IPv4-mapped"),
    ("http://[::ffff:a9fe:a9fe]", "169.254.169.254"),
    ("http://2130706433", "127.0.0.1"),
    ("http://0x7f.1:26657", "127.0.0.1"),
    ("http://127.1:26657", "127.0.0.1"),
    ("http://017700000001", "127.0.0.1"),
    ("http://127.0.0.1.:26657", "127.0.0.1"),
    ("http://%31%32%37.0.0.1:26657", "127.0.0.1"),
    ("http://0.0.0.0:26657", "0.0.0.0"),
    ("http://[::1]:26657", "loopback"),
    ("http://[fd00:ec2::254]", "unique local"),
    ("http://[64:ff9b::a9fe:a9fe]", "NAT64"),
    ("http://10.0.0.1", "private network"),
    ("http://100.100.100.200", "carrier-grade NAT"),
    ("http://localhost", "localhost"),
    ("http://localhost:26657", "localhost"),
    ("http://LocalHost.", "localhost"),
    ("http://api.localhost", "localhost"),
    ("http://metadata.google.internal", "internal"),
    ("http://metadata", "single-label"),
    ("http://printer.local", "local"),
];

fn assert_refused_without_change(
    c: &mut Chain,
    signer: &Address,
    msg: cosmos_sdk_proto::Any,
    origin: &str,
    needle: &str,
) {
    let before = c.snapshot();
    let e = assert_refused(
        c.orch(signer, msg),
        &variant!(OrchestrationError::InvalidManifest(_)),
    );
    assert!(e.log.contains("http origin"), "{origin}: {}", e.log);
    assert!(
        e.log.contains(needle),
        "{origin}: {needle:?} not in {}",
        e.log
    );
    assert!(
        e.log.contains("not a public address") || e.log.contains("not a public host name"),
        "{origin}: {}",
        e.log
    );
    assert_eq!(
        c.snapshot(),
        before,
        "{origin}: state changed by a refused message"
    );
}

#[test]
fn attack_ssrf_deploy_with_private_origin_is_refused() {
    let mut c = chain();
    let owner = user(50);
    for (origin, needle) in HOSTILE {
        let msg = MsgDeployFunction {
            owner: owner.to_string(),
            wasm: hello_wasm(),
            manifest_json: manifest_allowing(origin),
            replication: 3,
            quorum: 2,
            ..Default::default()
        };
        assert_refused_without_change(
            &mut c,
            &owner,
            encode_any(&msg, MSG_DEPLOY_FUNCTION),
            origin,
            needle,
        );
    }
    // A private origin hidden behind a public one is refused just the same.
    let mixed = serde_json::json!({ "permissions": { "http": ["https://example.com", "http://[::ffff:127.0.0.1]:26657"] } });
    let msg = MsgDeployFunction {
        owner: owner.to_string(),
        wasm: hello_wasm(),
        manifest_json: mixed.to_string(),
        replication: 3,
        quorum: 2,
        ..Default::default()
    };
    assert_refused_without_change(
        &mut c,
        &owner,
        encode_any(&msg, MSG_DEPLOY_FUNCTION),
        "mixed",
        "::ffff:127.0.0.1",
    );
}

#[test]
fn attack_ssrf_update_to_private_origin_is_refused() {
    let mut c = chain();
    let owner = user(50);
    let f = c
        .deploy(
            &owner,
            hello_wasm(),
            &manifest_allowing("https://api.example.com"),
            3,
            2,
        )
        .unwrap();
    for (origin, needle) in HOSTILE {
        let msg = MsgUpdateFunction {
            owner: owner.to_string(),
            function_id: f,
            manifest_json: manifest_allowing(origin),
            ..Default::default()
        };
        assert_refused_without_change(
            &mut c,
            &owner,
            encode_any(&msg, MSG_UPDATE_FUNCTION),
            origin,
            needle,
        );
    }
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    assert_eq!(r.function.version, 1);
    assert_eq!(
        r.function.manifest_json,
        manifest_allowing("https://api.example.com")
    );
}

#[test]
fn public_origins_deploy_and_update() {
    let mut c = chain();
    let owner = user(50);
    let f = c
        .deploy(
            &owner,
            hello_wasm(),
            &manifest_allowing("https://93.184.215.14"),
            3,
            2,
        )
        .unwrap();
    for origin in [
        "https://example.com",
        "http://[2606:4700::1111]:8080",
        "https://api.example.com:8443",
    ] {
        let msg = MsgUpdateFunction {
            owner: owner.to_string(),
            function_id: f,
            manifest_json: manifest_allowing(origin),
            ..Default::default()
        };
        c.orch(&owner, encode_any(&msg, MSG_UPDATE_FUNCTION))
            .unwrap_or_else(|e| panic!("{origin}: {}", e.log));
    }
}
