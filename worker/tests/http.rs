//! The `bls_http` extension reaches exactly the manifest's origins; everything else is
//! an error returned to the guest, and the job still completes normally.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bls_worker::runtime::{ExitStatus, HttpConfig, Manifest, Runtime, RuntimeConfig};
use common::run;

/// A loopback HTTP/1.1 server answering every request with `body`; counts requests.
struct TestServer {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn serve(body: Vec<u8>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    // Detached: the thread blocks in accept() and dies with the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            // Read the request head (GET without body).
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    TestServer { port, hits }
}

fn allowing(origin: &str) -> Manifest {
    let mut m = Manifest::default();
    m.permissions.http = vec![origin.to_string()];
    m
}

#[tokio::test]
async fn allowed_origin_succeeds_others_are_denied() {
    let server = serve(b"pong".to_vec());
    let rt = common::runtime();
    let origin = format!("http://127.0.0.1:{}", server.port);
    let m = allowing(&origin);

    let ok = run(
        &rt,
        "http-get",
        m.clone(),
        &[&format!("{origin}/ping")],
        b"",
    )
    .await;
    assert_eq!(ok.status, ExitStatus::Exited(0), "{ok:?}");
    assert_eq!(ok.stdout, b"status: 200\npong");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    let other_port = server.port.wrapping_add(1).max(1);
    let denied_urls = [
        format!("http://127.0.0.1:{other_port}/"), // different port
        format!("http://127.0.0.1.evil.example:{}/", server.port), // prefix trick
        format!("http://example.com:{}/", server.port), // not listed
        format!("https://127.0.0.1:{}/", server.port), // different scheme
        format!("http://localhost:{}/", server.port), // same address, other name
    ];
    for url in &denied_urls {
        let out = run(&rt, "http-get", m.clone(), &[url], b"").await;
        assert_eq!(out.status, ExitStatus::Exited(3), "{url}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("error: denied:"), "{url}: {text}");
    }
    // Userinfo tricks are rejected as malformed, not followed.
    let out = run(
        &rt,
        "http-get",
        m.clone(),
        &[&format!("http://127.0.0.1:{}@evil.example/", server.port)],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("error: invalid-request"));

    // Nothing but the one allowed request reached the server.
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    common::assert_healthy(&rt).await;
}

#[tokio::test]
async fn default_manifest_denies_all_http() {
    let server = serve(b"pong".to_vec());
    let rt = common::runtime();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let out = run(&rt, "http-get", Manifest::default(), &[&url], b"").await;
    assert_eq!(out.status, ExitStatus::Exited(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("error: denied:"));
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn hostname_resolving_to_loopback_is_denied() {
    let server = serve(b"pong".to_vec());
    let rt = common::runtime();
    // Listing a *name* that resolves to a private address does not grant that address.
    let origin = format!("http://localhost:{}", server.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(3), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // "denied" when localhost resolves, "network" if this machine cannot resolve it.
    assert!(
        text.starts_with("error: denied:") || text.starts_with("error: network:"),
        "{text}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn oversized_response_is_an_error_not_a_crash() {
    let server = serve(vec![b'x'; 4096]);
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        http: HttpConfig {
            max_response_bytes: 1024,
            ..HttpConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap();
    let origin = format!("http://127.0.0.1:{}", server.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/big")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("error: response-too-large"));
}
