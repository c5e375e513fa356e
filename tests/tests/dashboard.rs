//! The web dashboard (`/dashboard/` on blsd's REST gateway) in headless Chromium: a chain
//! with three workers and a head worker in four regions runs `hello` to a finalized job on
//! chain and twice on the fast path (settled by the head); the page, loaded by
//! `tests/js/dashboard.mjs` (playwright-core + Debian's chromium), must show the validator,
//! the workers by region, the deployment, the job with its output and agreeing workers, and
//! the fast path (the head with its multiaddr, exact settled totals, the settlements),
//! without console errors or requests beyond the node. The screenshot goes to
//! `$BLS_ARTIFACTS/dashboard.png` (default `target/artifacts/`).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use bls_e2e::fastpath::{
    fresh_terms, fund_deposit, post, query, signed_body, start_with_head, Nodes,
};
use bls_e2e::worker::{deploy, invoke, repo_root, wait_finalized, wasm_path, WorkerNet};
use bls_e2e::{artifacts_dir, wait_until};
use serde_json::{json, Value};

/// Worker index re-initialized as the head.
const HEAD: usize = 3;
/// Fast-path requests sent (and settled) before the page is loaded.
const FAST_REQUESTS: u64 = 2;

async fn get_json(url: &str) -> anyhow::Result<Value> {
    let r = reqwest::get(url).await?;
    let status = r.status();
    let text = r.text().await?;
    anyhow::ensure!(status.is_success(), "{url}: {status} {text}");
    Ok(serde_json::from_str(&text)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_validators_workers_and_a_finalized_job() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    // Starts every worker, worker HEAD as a head with its HTTP API.
    let fast = start_with_head(&mut wn, HEAD, "1000000000ubls").await?;
    let head_addr = wn.workers[HEAD].address.clone();
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let agreed: BTreeSet<String> = result.workers.iter().map(ToString::to_string).collect();
    let api = wn.net.validators[0].api_url();

    // The fast path: two requests through the head, settled on chain by it.
    fund_deposit(&wn.rpc, &wn.invoker, 1_000_000).await?;
    let exec_url = format!("{}/api/v1/functions/execute", fast.head_url);
    let mut request_ids = Vec::new();
    for nonce in 1..=FAST_REQUESTS {
        let (body, id) =
            signed_body(&wn.rpc, &wn.invoker, function_id, "Fast", nonce, Nodes::All).await?;
        let (st, v) = post(&exec_url, &body).await?;
        assert_eq!(st, 200, "{v}\n{}", wn.logs());
        request_ids.push(hex::encode(id));
    }
    for id in &request_ids {
        wait_until(
            &format!("request {id} settled"),
            Duration::from_secs(30),
            || {
                let (rpc, id) = (wn.rpc.clone(), id.clone());
                async move {
                    let path = "/bls.orchestration.v1.Query/FastPathSettled";
                    let v = query(&rpc, path, json!({"request_id": id})).await?;
                    Ok(v["height"].as_u64())
                }
            },
        )
        .await?;
    }
    // The chain's own fee function (flat fee plus the manifest's timeout priced per second).
    let fee = fresh_terms(&wn.rpc, function_id).await?.fee;
    let want_fees = u128::from(FAST_REQUESTS) * fee;
    // The totals through the REST gateway, as the page reads them.
    let stats = get_json(&format!("{api}/bls/orchestration/FastPathStats")).await?;
    assert_eq!(
        stats["receipts_settled"],
        FAST_REQUESTS.to_string(),
        "{stats}"
    );
    assert_eq!(stats["fees_charged"], want_fees.to_string(), "{stats}");
    assert_eq!(
        stats["deposits"],
        (1_000_000 - want_fees).to_string(),
        "{stats}"
    );
    // The settlements route lists the head's messages once CometBFT has indexed their txs.
    let settlements = wait_until("settlements indexed", Duration::from_secs(20), || {
        let url = format!("{api}/dashboard/api/settlements");
        async move {
            let v = get_json(&url).await?;
            let list = v["settlements"].as_array().cloned().unwrap_or_default();
            let receipts: u64 = list.iter().filter_map(|x| x["receipts"].as_u64()).sum();
            Ok((receipts == FAST_REQUESTS).then_some(list))
        }
    })
    .await?;
    let fees: u128 = settlements
        .iter()
        .filter_map(|x| x["fee"].as_str()?.parse::<u128>().ok())
        .sum();
    assert_eq!(fees, want_fees);
    assert!(settlements.iter().all(|x| x["head"] == head_addr.as_str()));
    assert_eq!(
        stats["settlements"].as_u64(),
        Some(settlements.len() as u64),
        "{stats}"
    );
    // Ids are strings in the page's JSON (uint64 in Cosmos JSON style).
    let job_id = inv.job_id.to_string();

    // The JSON routes behind the page.
    let html = reqwest::get(format!("{api}/dashboard/")).await?;
    assert!(html.status().is_success());
    assert!(html
        .text()
        .await?
        .contains("import { mountDashboard } from \"./app.js\""));
    let jobs = get_json(&format!("{api}/dashboard/api/jobs?limit=5")).await?;
    assert_eq!(jobs["latest_job_id"], inv.job_id.to_string(), "{jobs}");
    let job = &jobs["jobs"][0];
    assert_eq!(job["id"], inv.job_id.to_string(), "{jobs}");
    assert_eq!(job["status"], "finalized");
    assert_eq!(job["input"], "Ada");
    assert_eq!(job["result"]["outcome"]["stdout"], "Hello, Ada!\n");
    assert_eq!(job["result"]["outcome"]["status"], "exit 0");
    assert_eq!(job["result"]["outcome"]["exit_code"], 0);
    // The REST gateway keeps the raw envelope and adds it decoded beside it.
    let raw = get_json(&format!(
        "{api}/bls/orchestration/Result?req={{\"job_id\":{job_id}}}"
    ))
    .await?;
    let result = &raw["result"];
    assert!(result["outcome"].is_string(), "{raw}");
    assert_eq!(
        result["outcome_decoded"]["stdout"], "Hello, Ada!\n",
        "{raw}"
    );
    assert_eq!(result["outcome_decoded"]["exit_code"], 0, "{raw}");
    let supply = get_json(&format!("{api}/dashboard/api/supply")).await?;
    let burned: u128 = supply["burned"].as_str().unwrap_or("x").parse()?;
    assert!(burned > 0, "the job's fee burns a share: {supply}");
    let cometbft = get_json(&format!("{api}/dashboard/api/cometbft")).await?;
    assert_eq!(cometbft["chain_id"], wn.net.chain_id);
    let status = wn.net.rpc(0, "status").await?;
    let validator = status["validator_info"]["address"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        cometbft["validators"][0]["address"], validator,
        "{cometbft}"
    );

    // The page in Chromium.
    let dir = artifacts_dir()?;
    std::fs::create_dir_all(&dir)?;
    let shot = dir.join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let script = repo_root().join("tests/js/dashboard.mjs");
    let (api2, shot2) = (api.clone(), shot.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(&api2)
            .arg(&shot2)
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "dashboard.mjs failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Value = serde_json::from_str(stdout.trim())?;
    println!("dashboard findings: {f:#}");

    assert_eq!(
        f["problems"],
        serde_json::json!([]),
        "console errors: {f:#}"
    );
    let o = &f["overview"];
    assert_eq!(o["errors"], serde_json::json!([]), "{o:#}");
    assert_eq!(o["stats"]["chain_id"], wn.net.chain_id);
    assert_eq!(o["validators"], serde_json::json!([validator]), "{o:#}");

    let shown: Vec<(String, String, String)> = o["workers"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .map(|w| {
                    let s = |k: &str| w[k].as_str().unwrap_or_default().to_string();
                    (s("address"), s("region"), s("status"))
                })
                .collect()
        })
        .unwrap_or_default();
    for (i, w) in wn.workers.iter().enumerate() {
        let want = (w.address.clone(), format!("r{i}"), "active".to_string());
        assert!(
            shown.contains(&want),
            "worker {want:?} not shown: {shown:?}"
        );
    }
    assert_eq!(shown.len(), 4);

    assert_eq!(o["functions"], serde_json::json!([function_id.to_string()]));
    let shown_job = o["jobs"]
        .as_array()
        .and_then(|js| {
            js.iter()
                .find(|j| j["id"].as_str() == Some(job_id.as_str()))
                .cloned()
        })
        .ok_or_else(|| anyhow::anyhow!("job {} not on the page: {o:#}", inv.job_id))?;
    assert_eq!(shown_job["status"], "finalized");
    assert_eq!(shown_job["stdout"], "Hello, Ada!\n");
    let shown_agreed: BTreeSet<String> = shown_job["agreed"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(shown_agreed, agreed);
    for stat in [
        "bonded",
        "worker_bonds",
        "burned_total",
        "burned_gas",
        "supply",
    ] {
        assert!(
            o["economics"]
                .as_array()
                .is_some_and(|a| a.iter().any(|s| s == stat)),
            "stat {stat} missing: {o:#}"
        );
    }

    // The fast path on the overview and on its own page.
    for (where_, view) in [("overview", &o["fastpath"]), ("page", &f["fastpath_page"])] {
        assert_eq!(view["errors"], json!([]), "{where_}: {view:#}");
        let heads = view["heads"].as_array().cloned().unwrap_or_default();
        assert_eq!(heads.len(), 1, "{where_}: {view:#}");
        assert_eq!(heads[0]["address"], head_addr.as_str(), "{where_}");
        assert_eq!(heads[0]["status"], "active", "{where_}");
        assert_eq!(heads[0]["region"], format!("r{HEAD}"), "{where_}");
        assert_eq!(heads[0]["multiaddrs"], json!([fast.p2p[HEAD]]), "{where_}");
        assert_eq!(
            view["stats"]["fp_receipts"],
            FAST_REQUESTS.to_string(),
            "{where_}: {view:#}"
        );
        let rows = view["settlements"].as_array().cloned().unwrap_or_default();
        let receipts: u64 = rows
            .iter()
            .filter_map(|r| r["receipts"].as_str()?.parse::<u64>().ok())
            .sum();
        assert_eq!(receipts, FAST_REQUESTS, "{where_}: {view:#}");
        assert!(
            rows.iter().all(|r| r["head"] == head_addr.as_str()),
            "{where_}"
        );
    }

    let fp = &f["function_page"];
    assert_eq!(fp["errors"], serde_json::json!([]), "{fp:#}");
    let command = fp["command"].as_str().unwrap_or_default();
    assert!(
        command.contains(&format!(
            "tx orchestration invoke {function_id} --input='from the browser'"
        )),
        "{command}"
    );
    assert!(
        command.contains(&format!("--chain-id {}", wn.net.chain_id)),
        "{command}"
    );
    assert!(command.contains("--max-fee=1000000ubls"), "{command}");
    // The read-only page sends wallet users to the web app's view of the same function.
    assert_eq!(
        fp["webApp"],
        format!("../app/#/function/{function_id}"),
        "{fp:#}"
    );
    assert_eq!(fp["jobs"], serde_json::json!([inv.job_id.to_string()]));
    let subnet: BTreeSet<String> = fp["subnetwork"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let assigned: BTreeSet<String> = inv.workers.iter().cloned().collect();
    assert!(assigned.is_subset(&subnet), "{subnet:?} ⊉ {assigned:?}");
    assert_eq!(f["jobs_page"], serde_json::json!([inv.job_id.to_string()]));

    let png = std::fs::read(&shot)?;
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot {}",
        shot.display()
    );
    Ok(())
}
