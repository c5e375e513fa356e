//! SSRF (issue #12, attack 7) through real processes: cometbft + blsd + bls-worker.
//!
//! 1. A deployer lists the node's own RPC (and the worker's metrics port) as an HTTP origin,
//!    in several spellings: the chain refuses every deploy, naming the origin and why.
//! 2. A deployer lists a public-looking name whose DNS answers 127.0.0.1 (here the worker's
//!    `[http] resolve` stands in for the attacker's DNS: no network or /etc/hosts needed).
//!    The chain cannot judge a name and accepts it; the worker resolves it, refuses the
//!    private answer, the verified outcome says `denied`, and a sentinel server listening
//!    on that address records no connection.
//! 3. Control: the worker operator allows that one destination (`[http] allow_private`) and
//!    restarts; the same function now reaches the sentinel. So the denial in 2 was the rule,
//!    and the only way to reach a private address is the operator's own opt-in.

use std::time::Duration;

use bls_client::fee::GasSetting;
use bls_client::send::{send_tx, TxOptions};
use bls_core::module::encode_any;
use bls_e2e::sentinel::Sentinel;
use bls_e2e::worker::{deploy, invoke, wait_finalized, wasm_path, WorkerNet};
use bls_orchestration::msgs::{MsgDeployFunction, MSG_DEPLOY_FUNCTION};

const SECRET: &[u8] = b"node-private-data";

fn manifest(origin: &str, url: &str) -> String {
    serde_json::json!({
        "args": [url],
        "permissions": { "http": [origin] },
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_ssrf_private_origins_refused_by_chain_and_worker() -> anyhow::Result<()> {
    let sentinel = Sentinel::start(SECRET).await?;
    let mut wn = WorkerNet::start(1, 30, 30).await?;
    let name = "loopback.example.com";
    {
        let w = &wn.workers[0];
        w.set_config("worker", "http_allowed", true.into())?;
        w.set_config(
            "http",
            "resolve",
            toml::Value::Array(vec![format!("{name}=127.0.0.1").into()]),
        )?;
    }
    wn.start_worker(0, &[]).await?;
    let wasm = std::fs::read(wasm_path("http-get")?)?;

    // 1. The node's RPC and the worker's metrics, spelled several ways: refused on chain.
    // A fixed gas limit skips the client's simulation, so each tx goes to the chain.
    let deliver = TxOptions {
        gas: GasSetting::Fixed(50_000_000),
        ..TxOptions::default()
    };
    let rpc_port = wn.net.validators[0].rpc_port;
    let metrics_port = wn.workers[0].metrics_port;
    for (origin, needle) in [
        (format!("http://127.0.0.1:{rpc_port}"), "loopback"),
        (
            format!("http://[::ffff:127.0.0.1]:{rpc_port}"),
            "IPv4-mapped",
        ),
        (format!("http://2130706433:{rpc_port}"), "127.0.0.1"),
        (format!("http://localhost:{rpc_port}"), "localhost"),
        (format!("http://127.0.0.1:{metrics_port}"), "loopback"),
        ("http://169.254.169.254".to_string(), "link-local"),
    ] {
        let msg = MsgDeployFunction {
            owner: wn.invoker.address().to_string(),
            wasm: wasm.clone(),
            manifest_json: manifest(&origin, &format!("{origin}/status")),
            replication: 1,
            quorum: 1,
            ..Default::default()
        };
        let r = send_tx(
            &wn.rpc,
            &wn.invoker,
            vec![encode_any(&msg, MSG_DEPLOY_FUNCTION)],
            &deliver,
        )
        .await;
        let log = match r {
            Ok(r) => {
                assert!(!r.is_ok(), "{origin}: deploy accepted");
                assert_ne!(r.code, 0);
                r.log
            }
            Err(e) => e.to_string(),
        };
        assert!(
            log.contains("http origin") && log.contains(needle) && log.contains("not a public"),
            "{origin}: {log}"
        );
    }

    // 2. A name the chain cannot judge, resolving to loopback: denied by the worker.
    let origin = format!("http://{name}:{}", sentinel.port);
    let url = format!("{origin}/secret");
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, &manifest(&origin, &url), 1, 1).await?;
    assert_eq!(function_id, 1, "a refused deploy created a function");
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"", 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let out = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("error: denied:")
            && text.contains("resolves to 127.0.0.1")
            && text.contains("not a public address"),
        "{text}"
    );
    assert!(!text.contains(std::str::from_utf8(SECRET)?), "{text}");
    assert_eq!(
        sentinel.connections(),
        0,
        "the worker contacted the private address"
    );

    // 3. The operator allows exactly that destination: the same function reaches it.
    wn.workers[0].stop(Duration::from_secs(20));
    wn.workers[0].set_config(
        "http",
        "allow_private",
        toml::Value::Array(vec![format!("127.0.0.1:{}", sentinel.port).into()]),
    )?;
    wn.workers[0].start(&[])?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"", 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let out = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    let mut want = b"status: 200\n".to_vec();
    want.extend_from_slice(SECRET);
    assert_eq!(out.stdout, want, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(sentinel.connections(), 1);
    Ok(())
}
