//! `bls function invoke --fast` errors name the fix: no head given, no head listening (a
//! free loopback port), and a head that refuses payment (a one-shot loopback server that
//! answers 402 the way a head does).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// `bls` with a clean environment.
fn bls(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bls"));
    c.args(args)
        .env_remove("BLS_NODE")
        .env_remove("BLS_KEYRING")
        .env_remove("BLS_FROM")
        .env_remove("BLS_HEAD");
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

/// `bls function invoke 1 --fast` with a chain id given (so no node is needed before the head).
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
    let want = format!("cannot reach the head worker at {head}");
    let mut cmd = fast_invoke(&k, &dead_url());
    cmd.args(["--head", &head]);
    fails_with(&mut cmd, &[&want, "--head / BLS_HEAD"]);
    // The same through the environment.
    let mut cmd = fast_invoke(&k, &dead_url());
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
    let mut cmd = fast_invoke(&k, &dead_url());
    cmd.args(["--head", &head]);
    fails_with(
        &mut cmd,
        &[
            "the head refused to serve bls1",
            reason,
            "bls account deposit AMOUNT --from KEY",
        ],
    );
    let req = server.join().unwrap();
    assert!(req.starts_with("POST /api/v1/functions/execute "), "{req}");
    assert!(
        req.contains("\"signature\""),
        "the request is signed: {req}"
    );
}
