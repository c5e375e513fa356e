//! `bls-bench secrets`: what sealed secrets cost on the fast path. One run, one chain, the same
//! function (`hmac-secret`, the HMAC-SHA256 of the input under `HMAC_KEY`) three ways: the key
//! as a plain manifest variable (public; the baseline), as a sealed function secret (each
//! worker reads its envelope through its chain-view cache and opens it per request), and as a
//! request-scoped secret sealed by the client to the workers (opened per request; sealing is
//! done before the clock starts). Series alternate so drift hits all three alike.

use std::sync::Arc;

use anyhow::Context as _;
use bls_client::fastpath::{signed_execute_body, FastRequest};
use bls_client::keys::KeyPair;
use bls_e2e::fastpath::{fresh_terms, start_with_head};
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
use hmac::{Hmac, Mac};
use serde_json::json;

use super::fastpath::{fund, measure, post, Series, HEAD, HEAD_BOND};

const KEY: &str = "bench-mac-key-0123456789";

/// Flags of `bls-bench secrets`.
pub struct Args {
    requests: usize,
    concurrency: usize,
}

/// Parses `--requests N --concurrency C`.
pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
    let mut a = Args {
        requests: 300,
        concurrency: 8,
    };
    for (flag, v) in super::flags(rest)? {
        match flag.as_str() {
            "--requests" => a.requests = v.parse()?,
            "--concurrency" => a.concurrency = v.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(
        a.requests > 0 && a.concurrency > 0,
        "counts must be positive"
    );
    Ok(a)
}

fn mac(input: &str) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).expect("any length");
    m.update(input.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Pre-signed bodies for `function`, input `<tag><i>`, with the key sealed per request when
/// `request_secret`.
async fn bodies(
    wn: &WorkerNet,
    keys: &[KeyPair],
    nonces: &mut [u64],
    function: u64,
    count: usize,
    tag: &str,
    request_secret: bool,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let terms = fresh_terms(&wn.rpc, function).await?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let k = i % keys.len();
        nonces[k] += 1;
        let name = format!("{tag}{i}");
        let mut r = FastRequest::new(&terms, name.clone(), nonces[k], 1_000_000);
        if request_secret {
            r.sealed = bls_client::secrets::seal_request_secrets(
                &wn.rpc,
                &terms.chain_id,
                function,
                keys[k].address().as_str(),
                r.nonce,
                &[("HMAC_KEY".to_string(), KEY.to_string())],
            )
            .await?;
        }
        let (mut body, _) = signed_execute_body(&keys[k], &r);
        body["config"]["threshold"] = json!(1.0);
        out.push((name, body.to_string().into_bytes()));
    }
    Ok(out)
}

async fn execute(
    http: &reqwest::Client,
    url: &str,
    name: &str,
    body: Vec<u8>,
) -> anyhow::Result<()> {
    let v = post(http, url, body).await?;
    anyhow::ensure!(v["stdout"] == mac(name), "unexpected stdout: {v}");
    Ok(())
}

/// The whole benchmark; prints a markdown table and the ratios to the plain baseline.
pub async fn run(a: Args) -> anyhow::Result<()> {
    eprintln!("[bench] starting cometbft + blsd, three workers and a head");
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let wasm = std::fs::read(wasm_path("hmac-secret")?)?;
    let plain_manifest = json!({"env": {"HMAC_KEY": KEY}}).to_string();
    let plain = deploy(&wn.rpc, &wn.invoker, &wasm, &plain_manifest, 3, 3).await?;
    let sealed = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 3).await?;
    let per_request = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 3).await?;
    bls_e2e::wait_until(
        "keyed members",
        std::time::Duration::from_secs(60),
        || async {
            let s = bls_client::secrets::secrets(&wn.rpc, sealed).await?;
            let keyed = s
                .members
                .iter()
                .filter(|m| !m.encryption_pubkey.is_empty())
                .count();
            Ok((keyed >= 3).then_some(()))
        },
    )
    .await?;
    let chain_id = wn.net.chain_id.clone();
    let (msgs, _) = bls_client::secrets::seal_secrets(
        &wn.rpc,
        &chain_id,
        wn.invoker.address(),
        sealed,
        &[("HMAC_KEY".to_string(), KEY.to_string())],
    )
    .await?;
    send(
        &wn.rpc,
        &wn.invoker,
        msgs.iter()
            .map(bls_client::secrets::set_secret_msg)
            .collect(),
    )
    .await?;
    let accounts = (a.concurrency * 2).max(16);
    let keys: Vec<KeyPair> = (0..accounts)
        .map(|_| KeyPair::generate().map(|(k, _)| k))
        .collect::<Result<_, _>>()?;
    fund(&wn, &keys).await?;
    let url = format!("{}/api/v1/functions/execute", fp.head_url);
    let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let mut nonces = vec![0u64; keys.len()];

    let kinds = [
        ("key as a plain manifest variable", plain, false),
        ("key as a sealed function secret", sealed, false),
        ("key as a request-scoped sealed secret", per_request, true),
    ];
    for (label, f, req) in kinds {
        eprintln!("[bench] warm-up: {label}");
        let warm = bodies(&wn, &keys, &mut nonces, f, 2 * keys.len(), "warm", req).await?;
        for (name, body) in warm {
            execute(&http, &url, &name, body)
                .await
                .with_context(|| wn.logs())?;
        }
    }
    let mut rows: Vec<Series> = Vec::new();
    for in_flight in [1, a.concurrency] {
        for (label, f, req) in kinds {
            eprintln!(
                "[bench] {label}: {} requests, {in_flight} in flight",
                a.requests
            );
            let tag = format!("c{in_flight}-{f}-");
            let reqs = Arc::new(bodies(&wn, &keys, &mut nonces, f, a.requests, &tag, req).await?);
            let (http, url) = (http.clone(), url.clone());
            rows.push(
                measure(label, a.requests, in_flight, move |i| {
                    let (http, url, reqs) = (http.clone(), url.clone(), reqs.clone());
                    async move {
                        let (name, body) = reqs.get(i).cloned().context("request")?;
                        execute(&http, &url, &name, body).await
                    }
                })
                .await?,
            );
        }
    }
    println!("| series | in flight | requests | p50 ms | p99 ms | req/s |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!("{}", r.row());
    }
    for chunk in rows.chunks(3) {
        if let [base, sealed, request] = chunk {
            let ratio = |x: &Series| x.pct(50).as_secs_f64() / base.pct(50).as_secs_f64();
            println!(
                "\n{} in flight: p50 sealed / plain {:.2}x, request-scoped / plain {:.2}x; req/s sealed / plain {:.2}x, request-scoped / plain {:.2}x",
                base.in_flight_count(),
                ratio(sealed),
                ratio(request),
                sealed.rps() / base.rps(),
                request.rps() / base.rps()
            );
        }
    }
    Ok(())
}
