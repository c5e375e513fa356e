//! The `bls_http` extension reaches exactly the manifest's origins, and only at public
//! addresses or destinations the worker operator allowed; everything else is an error
//! returned to the guest, and the job still completes normally.
//!
//! Manifests name origins by public-looking names (`*.example.com`); the runtime's resolver
//! answers them with loopback addresses where the test servers listen, exactly as an
//! attacker's DNS would. Every server counts the connections it accepts, so "denied" also
//! means "never contacted".

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bls_runtime::{
    ExitStatus, HttpConfig, Manifest, NameResolver, Outcome, Runtime, RuntimeConfig, StaticHosts,
    SystemResolver,
};
use common::run;
use futures::future::BoxFuture;

/// A loopback HTTP/1.1 server answering every request with `response`; counts the
/// connections it accepts.
struct TestServer {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl TestServer {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn ok_response(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn serve_at(addr: SocketAddr, response: Vec<u8>) -> TestServer {
    let listener = TcpListener::bind(addr).expect("bind");
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    // Detached: the thread blocks in accept() and dies with the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            // Read the request head (GET without body).
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = stream.write_all(&response);
        }
    });
    TestServer { port, hits }
}

fn serve(body: Vec<u8>) -> TestServer {
    serve_at("127.0.0.1:0".parse().unwrap(), ok_response(&body))
}

fn allowing(origin: &str) -> Manifest {
    let mut m = Manifest::default();
    m.permissions.http = vec![origin.to_string()];
    m
}

/// A runtime whose resolver answers `hosts` (`name=IP[,IP]`) and whose operator allows
/// `allow_private`.
fn runtime_with(hosts: &[&str], allow_private: &[SocketAddr]) -> Runtime {
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    let resolver = StaticHosts::new(&hosts, Arc::new(SystemResolver)).expect("hosts");
    runtime_resolving(Arc::new(resolver), allow_private)
}

fn runtime_resolving(resolver: Arc<dyn NameResolver>, allow_private: &[SocketAddr]) -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        http: HttpConfig {
            allow_private: allow_private.to_vec(),
            resolver,
            ..HttpConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn text(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the guest got `denied` with a message containing every one of `needles`.
fn assert_denied(out: &Outcome, needles: &[&str]) {
    assert_eq!(out.status, ExitStatus::Exited(3), "{out:?}");
    let t = text(out);
    assert!(t.starts_with("error: denied:"), "{t}");
    for n in needles {
        assert!(t.contains(n), "{n:?} not in {t}");
    }
}

#[tokio::test]
async fn allowed_origin_succeeds_others_are_denied() {
    let server = serve(b"pong".to_vec());
    let port = server.port;
    let rt = runtime_with(&["mock.example.com=127.0.0.1"], &[loopback(port)]);
    let origin = format!("http://mock.example.com:{port}");
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
    assert_eq!(server.hits(), 1);

    let other_port = port.wrapping_add(1).max(1);
    let denied_urls = [
        format!("http://mock.example.com:{other_port}/"), // different port
        format!("http://mock.example.com.evil.example:{port}/"), // prefix trick
        format!("http://example.com:{port}/"),            // not listed
        format!("https://mock.example.com:{port}/"),      // different scheme
        format!("http://127.0.0.1:{port}/"),              // the address itself is no origin
        format!("http://localhost:{port}/"),              // same address, other name
        format!("http://mock.example.com.:{port}/"),      // trailing dot is another host
    ];
    for url in &denied_urls {
        let out = run(&rt, "http-get", m.clone(), &[url], b"").await;
        assert_denied(&out, &[]);
    }
    // Userinfo tricks are rejected as malformed, not followed.
    let out = run(
        &rt,
        "http-get",
        m.clone(),
        &[&format!("http://mock.example.com:{port}@evil.example/")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(3));
    assert!(text(&out).starts_with("error: invalid-request"));

    // Nothing but the one allowed request reached the server.
    assert_eq!(server.hits(), 1);
    common::assert_healthy(&rt).await;
}

#[tokio::test]
async fn default_manifest_denies_all_http() {
    let server = serve(b"pong".to_vec());
    let rt = common::runtime();
    let url = format!("http://127.0.0.1:{}/", server.port);
    let out = run(&rt, "http-get", Manifest::default(), &[&url], b"").await;
    assert_denied(&out, &[]);
    assert_eq!(server.hits(), 0);
}

/// A deployer lists a name the chain cannot judge; its DNS answers 127.0.0.1.
#[tokio::test]
async fn attack_ssrf_name_resolving_to_loopback_is_denied() {
    let sentinel = serve(b"secret".to_vec());
    let rt = runtime_with(&["a-name.example.com=127.0.0.1"], &[]);
    let origin = format!("http://a-name.example.com:{}", sentinel.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_denied(
        &out,
        &[
            "a-name.example.com resolves to 127.0.0.1",
            "not a public address",
            "loopback",
        ],
    );
    assert_eq!(sentinel.hits(), 0, "the private address was contacted");
}

/// The answer is an IPv4-mapped IPv6 spelling of loopback.
#[tokio::test]
async fn attack_ssrf_name_resolving_to_ipv4_mapped_loopback_is_denied() {
    let sentinel = serve(b"secret".to_vec());
    let rt = runtime_with(&["a-name.example.com=::ffff:127.0.0.1"], &[]);
    let origin = format!("http://a-name.example.com:{}", sentinel.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_denied(&out, &["::ffff:127.0.0.1", "IPv4-mapped", "loopback"]);
    assert_eq!(sentinel.hits(), 0);
}

/// One private answer among public ones denies the request: the worker never "tries the
/// next one", and never connects to any of them.
#[tokio::test]
async fn attack_ssrf_mixed_public_and_private_answers_are_denied() {
    let sentinel = serve(b"secret".to_vec());
    for answers in [
        "93.184.215.14,127.0.0.1",
        "127.0.0.1,93.184.215.14",
        "2606:4700::1111,::1,93.184.215.14",
        "93.184.215.14,169.254.169.254",
    ] {
        let rt = runtime_with(&[&format!("a-name.example.com={answers}")], &[]);
        let origin = format!("http://a-name.example.com:{}", sentinel.port);
        let out = run(
            &rt,
            "http-get",
            allowing(&origin),
            &[&format!("{origin}/")],
            b"",
        )
        .await;
        assert_denied(&out, &["not a public address"]);
    }
    assert_eq!(sentinel.hits(), 0);
}

/// The operator's opt-in is exact: allowing a mock on one port does not open the other
/// ports of the same address (the worker's metrics, the node's RPC).
#[tokio::test]
async fn attack_ssrf_allow_private_is_per_port() {
    let mock = serve(b"mock".to_vec());
    let metrics = serve(b"bls_worker_jobs_total 7".to_vec());
    let rt = runtime_with(&["a-name.example.com=127.0.0.1"], &[loopback(mock.port)]);
    let origin = format!("http://a-name.example.com:{}", metrics.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/metrics")],
        b"",
    )
    .await;
    assert_denied(&out, &["127.0.0.1"]);
    assert_eq!(metrics.hits(), 0);
    assert_eq!(mock.hits(), 0);
}

/// A resolver that answers differently on every call and counts calls.
struct Rebinding {
    answers: Vec<IpAddr>,
    calls: Mutex<usize>,
}

impl NameResolver for Rebinding {
    fn lookup<'a>(&'a self, _: &'a str, _: u16) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        let mut calls = self.calls.lock().unwrap();
        let answer = self.answers[(*calls).min(self.answers.len() - 1)];
        *calls += 1;
        Box::pin(std::future::ready(Ok(vec![answer])))
    }
}

/// DNS rebinding: the first answer passes the check, a second lookup would point
/// elsewhere. The worker resolves once and connects to the address it checked.
#[tokio::test]
async fn attack_ssrf_dns_rebinding_connects_only_to_the_vetted_address() {
    let vetted = serve(b"vetted".to_vec());
    // Same port on another loopback address: what a second resolution would reach.
    let rebound = serve_at(
        SocketAddr::from(([127, 0, 0, 2], vetted.port)),
        ok_response(b"rebound"),
    );
    let resolver = Arc::new(Rebinding {
        answers: vec!["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()],
        calls: Mutex::new(0),
    });
    let rt = runtime_resolving(resolver.clone(), &[loopback(vetted.port)]);
    let origin = format!("http://rebind.example.com:{}", vetted.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(0), "{out:?}");
    assert_eq!(out.stdout, b"status: 200\nvetted");
    assert_eq!(
        *resolver.calls.lock().unwrap(),
        1,
        "resolved more than once"
    );
    assert_eq!(vetted.hits(), 1);
    assert_eq!(
        rebound.hits(),
        0,
        "connected to an address that was never checked"
    );

    // The next request resolves afresh, gets the rebound (private, not allowed) answer
    // and is denied without contacting it.
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_denied(&out, &["127.0.0.2"]);
    assert_eq!(rebound.hits(), 0);
}

/// A public origin that redirects to a private one: the 3xx goes back to the guest and
/// the Location is never followed.
#[tokio::test]
async fn attack_ssrf_redirect_to_private_address_is_not_followed() {
    let sentinel = serve(b"secret".to_vec());
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        sentinel.port
    );
    let origin_server = serve_at("127.0.0.1:0".parse().unwrap(), redirect.into_bytes());
    let rt = runtime_with(
        &["redirector.example.com=127.0.0.1"],
        &[loopback(origin_server.port)],
    );
    let origin = format!("http://redirector.example.com:{}", origin_server.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(0), "{out:?}");
    assert!(text(&out).starts_with("status: 302"), "{}", text(&out));
    assert_eq!(origin_server.hits(), 1);
    assert_eq!(sentinel.hits(), 0);
}

#[tokio::test]
async fn oversized_response_is_an_error_not_a_crash() {
    let server = serve(vec![b'x'; 4096]);
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        http: HttpConfig {
            max_response_bytes: 1024,
            allow_private: vec![loopback(server.port)],
            resolver: Arc::new(
                StaticHosts::new(
                    &["big.example.com=127.0.0.1".into()],
                    Arc::new(SystemResolver),
                )
                .unwrap(),
            ),
            ..HttpConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap();
    let origin = format!("http://big.example.com:{}", server.port);
    let out = run(
        &rt,
        "http-get",
        allowing(&origin),
        &[&format!("{origin}/big")],
        b"",
    )
    .await;
    assert_eq!(out.status, ExitStatus::Exited(3), "{out:?}");
    assert!(text(&out).starts_with("error: response-too-large"));
}
