//! Governance and software upgrades on a real 4-validator localnet whose validators are
//! staked at genesis through `blsd genesis gentx` / `collect-gentxs`, driven through the `blsd`
//! CLI:
//! - the staking REST routes Keplr reads show the four validators with their operators;
//! - a parameter-change proposal passes and the new value is in force at the next block;
//! - a proposal that misses quorum is rejected and changes nothing;
//! - a software-upgrade proposal passes, every node's `blsd` halts at the plan height with
//!   cosmovisor's `upgrade-info.json` written (none executes it), the old binary refuses to
//!   start again, and the next binary (`examples/blsd_next.rs`, built from this tree with the
//!   plan registered) continues the chain: its migration ran on every node and the app hashes
//!   agree.
//!
//! cosmovisor itself is not installable here (the Go module proxy refuses
//! `cosmossdk.io/tools/cosmovisor`), so the test does what it does: watch for the halt file,
//! swap the binary, restart.

use std::path::PathBuf;
use std::time::Duration;

use bls_e2e::chain::{blsd_json, keyring_dir};
use bls_e2e::process::bin_path;
use bls_e2e::{wait_until, Localnet, NodeOptions};
use serde_json::{json, Value};

/// Gov periods short enough for a test (one block is 200 ms).
fn gov_params() -> Value {
    json!({"params": {
        "min_deposit": "10000000", "min_initial_deposit": "1000000",
        "max_deposit_period_secs": 8, "voting_period_secs": 8,
        "quorum_bps": 3340, "threshold_bps": 5000, "veto_threshold_bps": 3340
    }})
}

fn tx(
    net: &Localnet,
    keyring: &std::path::Path,
    from: &str,
    args: &[&str],
) -> anyhow::Result<Value> {
    let mut all: Vec<&str> = vec!["tx", "gov"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--from", from, "--yes", "--wait"]);
    let res = blsd_json(net, 0, keyring, &all)?;
    anyhow::ensure!(res["code"] == 0, "{args:?} failed: {res}");
    Ok(res)
}

fn proposal_id(res: &Value) -> anyhow::Result<u64> {
    // The `submit_proposal` event names the new proposal.
    let events = res["events"].as_array().cloned().unwrap_or_default();
    for e in events {
        if e["type"] == "submit_proposal" {
            for a in e["attributes"].as_array().cloned().unwrap_or_default() {
                if a["key"] == "proposal_id" {
                    return Ok(a["value"].as_str().unwrap_or("0").parse()?);
                }
            }
        }
    }
    anyhow::bail!("no submit_proposal event in {res}")
}

fn query(net: &Localnet, keyring: &std::path::Path, args: &[&str]) -> anyhow::Result<Value> {
    let mut all = vec!["query"];
    all.extend_from_slice(args);
    blsd_json(net, 0, keyring, &all)
}

async fn wait_status(
    net: &Localnet,
    keyring: &std::path::Path,
    id: u64,
    status: &str,
) -> anyhow::Result<Value> {
    let ids = id.to_string();
    wait_until(
        &format!("proposal {id} {status}"),
        Duration::from_secs(60),
        || async {
            let p = query(net, keyring, &["gov", "proposal", &ids])?;
            let s = p["proposal"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            anyhow::ensure!(
                s == status || s.ends_with("PERIOD"),
                "proposal {id} ended {s}, expected {status}: {p}"
            );
            Ok((s == status).then_some(p))
        },
    )
    .await
}

fn vote_all(
    net: &Localnet,
    keyring: &std::path::Path,
    id: u64,
    voters: &[usize],
    option: &str,
) -> anyhow::Result<()> {
    for &i in voters {
        tx(
            net,
            keyring,
            &format!("node{i}"),
            &["vote", &id.to_string(), option],
        )?;
    }
    Ok(())
}

/// The height whose block ended proposal `id`'s vote (from `active_proposal` in block results).
async fn end_height(net: &Localnet, id: u64, from: u64) -> anyhow::Result<u64> {
    let tip = net.height(0).await?;
    let id_text = id.to_string();
    for h in from..=tip {
        let r = net.rpc(0, &format!("block_results?height={h}")).await?;
        for e in r["finalize_block_events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            if e["type"] == "active_proposal"
                && e["attributes"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|a| a["key"] == "proposal_id" && a["value"].as_str() == Some(&id_text))
                })
            {
                return Ok(h);
            }
        }
    }
    anyhow::bail!("no block in {from}..={tip} ended proposal {id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_pass_fail_and_upgrade_the_chain_without_a_fork() -> anyhow::Result<()> {
    let mut net = Localnet::start(NodeOptions {
        validators: 4,
        staked: true,
        app_state: vec![("gov".into(), gov_params())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    let vals = query(&net, &keyring, &["staking", "validators"])?;
    assert_eq!(
        vals["validators"].as_array().map(Vec::len),
        Some(4),
        "{vals}"
    );
    keplr_staking_routes(&net).await?;
    let health = net
        .http
        .get(format!("{}/healthz", net.validators[0].api_url()))
        .send()
        .await?;
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let body: Value = health.json().await?;
    assert_eq!(body["status"], json!("ok"), "{body}");

    // 1. A parameter change that all four vote for.
    let start = net.height(0).await?;
    let res = tx(
        &net,
        &keyring,
        "node0",
        &[
            "submit-proposal",
            "param-change",
            "--change",
            "staking.max_validators=50",
            "--title",
            "fewer validators",
            "--deposit",
            "10000000ubls",
        ],
    )?;
    let id = proposal_id(&res)?;
    vote_all(&net, &keyring, id, &[0, 1, 2, 3], "yes")?;
    wait_status(&net, &keyring, id, "PROPOSAL_STATUS_PASSED").await?;
    let ended = end_height(&net, id, start).await?;
    let at = |h: u64| {
        let h = h.to_string();
        let net = &net;
        let keyring = &keyring;
        move || -> anyhow::Result<Value> {
            Ok(blsd_json(
                net,
                0,
                keyring,
                &["query", "--height", &h, "staking", "params"],
            )?["params"]["max_validators"]
                .clone())
        }
    };
    assert_eq!(
        at(ended - 1)()?,
        json!(100),
        "before the block that ended the vote"
    );
    assert_eq!(at(ended)()?, json!(50), "in force from the next block on");
    // The REST route Keplr reads shows it passed.
    let rest: Value = net
        .http
        .get(format!(
            "{}/cosmos/gov/v1beta1/proposals/{id}",
            net.validators[0].api_url()
        ))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(rest["proposal"]["status"], json!("PROPOSAL_STATUS_PASSED"));
    assert_eq!(
        rest["proposal"]["content"]["@type"],
        json!("/cosmos.params.v1beta1.ParameterChangeProposal")
    );

    // 2. One validator of four votes: no quorum.
    let res = tx(
        &net,
        &keyring,
        "node1",
        &[
            "submit-proposal",
            "param-change",
            "--change",
            "staking.max_validators=7",
            "--title",
            "too few",
            "--deposit",
            "10000000ubls",
        ],
    )?;
    let id = proposal_id(&res)?;
    vote_all(&net, &keyring, id, &[3], "yes")?;
    let p = wait_status(&net, &keyring, id, "PROPOSAL_STATUS_REJECTED").await?;
    assert_eq!(
        p["proposal"]["final_tally_result"]["yes"],
        json!("10000000")
    );
    let params = query(&net, &keyring, &["staking", "params"])?;
    assert_eq!(params["params"]["max_validators"], json!(50));

    // 3. A software upgrade to v2-demo, far enough ahead for the vote to end first.
    let plan_height = net.height(0).await? + 90;
    let res = tx(
        &net,
        &keyring,
        "node2",
        &[
            "submit-proposal",
            "software-upgrade",
            "v2-demo",
            "--upgrade-height",
            &plan_height.to_string(),
            "--upgrade-info",
            "demo",
            "--title",
            "v2",
            "--deposit",
            "10000000ubls",
        ],
    )?;
    let id = proposal_id(&res)?;
    vote_all(&net, &keyring, id, &[0, 1, 2], "yes")?;
    wait_status(&net, &keyring, id, "PROPOSAL_STATUS_PASSED").await?;
    let plan = query(&net, &keyring, &["upgrade", "plan"])?;
    assert_eq!(plan["plan"]["name"], json!("v2-demo"), "{plan}");

    // Every node halts at the plan height: blsd exits, having executed nothing of it.
    // Acting as cosmovisor on each host: when a node's blsd exits, its halt file must name the
    // plan; then the node restarts on the next binary. A node that had not decided the plan
    // height when the others halted (they hold more than a third of the power) waits at the
    // height below, gets block H from the restarted ones, halts on it in turn, and is
    // switched the same way.
    let next = next_binary()?;
    let mut upgraded = vec![false; net.validators.len()];
    let mut refused_checked = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while upgraded.iter().any(|u| !u) {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "nodes {:?} never halted for the upgrade (plan height {plan_height})",
            upgraded
                .iter()
                .enumerate()
                .filter(|(_, u)| !**u)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        );
        for (i, done) in upgraded.iter_mut().enumerate() {
            if *done {
                continue;
            }
            let exited = net.validators[i]
                .blsd
                .as_mut()
                .map(|p| !p.is_running())
                .unwrap_or(true);
            if !exited {
                continue;
            }
            let home = net.validators[i].home.clone();
            let info: Value =
                serde_json::from_slice(&std::fs::read(home.join("data/upgrade-info.json"))?)?;
            assert_eq!(
                info,
                json!({"name": "v2-demo", "height": plan_height, "info": "demo"}),
                "node{i}"
            );
            let log = std::fs::read_to_string(home.join("blsd.log"))?;
            assert!(
                log.contains("v2-demo") && log.contains("NEEDED"),
                "node{i}: {log}"
            );
            net.stop_validator(i);
            // The old binary cannot be restarted past the plan.
            if !refused_checked {
                let old = std::process::Command::new(bin_path("blsd")?)
                    .arg("start")
                    .arg("--home")
                    .arg(&home)
                    .output()?;
                assert!(!old.status.success());
                let err = String::from_utf8_lossy(&old.stderr);
                assert!(err.contains("v2-demo") && err.contains("NEEDED"), "{err}");
                refused_checked = true;
            }
            net.start_validator_with(i, &next)?;
            *done = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for i in 0..net.validators.len() {
        net.wait_app_height(i, plan_height + 5, Duration::from_secs(90))
            .await?;
    }
    let hash0 = net.app_hash_after(0, plan_height + 2).await?;
    for i in 1..net.validators.len() {
        assert_eq!(
            net.app_hash_after(i, plan_height + 2).await?,
            hash0,
            "node{i}"
        );
    }
    let applied = query(&net, &keyring, &["upgrade", "applied", "v2-demo"])?;
    assert_eq!(applied["height"], json!(plan_height));
    assert_eq!(
        query(&net, &keyring, &["upgrade", "plan"])?["plan"],
        Value::Null
    );
    let auth = query(&net, &keyring, &["gov", "module-params", "auth"])?;
    let memo = auth["params"]
        .as_array()
        .and_then(|l| l.iter().find(|f| f["key"] == "max_memo_characters"))
        .map(|f| f["value"].clone());
    assert_eq!(memo, Some(json!("\"512\"")), "{auth}");
    Ok(())
}

/// The staking routes Keplr's staking page reads answer in the shapes it reads, for the four
/// validators the gentxs created.
async fn keplr_staking_routes(net: &Localnet) -> anyhow::Result<()> {
    let api = net.validators[0].api_url();
    let get = |path: String| {
        let http = net.http.clone();
        let url = format!("{api}{path}");
        async move {
            let r = http.get(url).send().await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            Ok::<Value, anyhow::Error>(r.json().await?)
        }
    };
    let v = get("/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED".into()).await?;
    let list = v["validators"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 4, "{v}");
    for (i, op) in net.operators.iter().enumerate() {
        let valoper = bls_core::Address::parse(&op.address)?.to_valoper();
        let val = list
            .iter()
            .find(|x| x["operator_address"] == valoper)
            .unwrap_or_else(|| panic!("node{i}'s operator {valoper} in {v}"));
        assert_eq!(val["description"]["moniker"], json!(format!("node{i}")));
        assert_eq!(val["tokens"], json!("10000000"));
        assert_eq!(val["status"], json!("BOND_STATUS_BONDED"));
        assert!(val["commission"]["commission_rates"]["rate"]
            .as_str()
            .is_some());
        // One validator by either spelling of its address.
        let one = get(format!("/cosmos/staking/v1beta1/validators/{valoper}")).await?;
        assert_eq!(one["validator"]["operator_address"], json!(valoper));
        let d = get(format!(
            "/cosmos/staking/v1beta1/delegations/{}",
            op.address
        ))
        .await?;
        assert_eq!(
            d["delegation_responses"][0]["delegation"]["validator_address"],
            json!(valoper),
            "{d}"
        );
        assert_eq!(
            d["delegation_responses"][0]["balance"],
            json!({"denom": "ubls", "amount": "10000000"})
        );
    }
    let u = get(format!(
        "/cosmos/staking/v1beta1/delegators/{}/unbonding_delegations",
        net.operators[0].address
    ))
    .await?;
    assert_eq!(u["unbonding_responses"], json!([]));
    let r = get(format!(
        "/cosmos/distribution/v1beta1/delegators/{}/rewards",
        net.operators[0].address
    ))
    .await?;
    assert!(r["total"].is_array() && r["rewards"].is_array(), "{r}");
    let p = get("/cosmos/staking/v1beta1/pool".into()).await?;
    assert_eq!(p["pool"]["bonded_tokens"], json!("40000000"));
    // The dashboard joins CometBFT's validators to staking's by consensus address: every one
    // is a staked validator with an operator (none shows as "(genesis)").
    let cometbft = get("/dashboard/api/cometbft".into()).await?;
    let staked = get("/bls/staking/Validators".into()).await?;
    let cons: Vec<String> = staked["validators"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|v| {
            v["validator"]["operator"]
                .as_str()
                .is_some_and(|o| o.starts_with("bls1"))
        })
        .filter_map(|v| {
            v["validator"]["consensus_address"]
                .as_str()
                .map(str::to_uppercase)
        })
        .collect();
    let shown = cometbft["validators"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(shown.len(), 4, "{cometbft}");
    for v in &shown {
        let addr = v["address"].as_str().unwrap_or_default().to_uppercase();
        assert!(
            cons.contains(&addr),
            "{addr} has no staking record: {staked}"
        );
    }
    let n = get("/cosmos/base/tendermint/v1beta1/node_info".into()).await?;
    assert_eq!(n["default_node_info"]["network"], json!(net.chain_id));
    let bad = net
        .http
        .get(format!(
            "{}/cosmos/staking/v1beta1/validators/bls1notanaddress",
            net.validators[0].api_url()
        ))
        .send()
        .await?;
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
    Ok(())
}

/// `blsd` with the `v2-demo` plan registered (`cargo build --examples`, done by scripts/test).
fn next_binary() -> anyhow::Result<PathBuf> {
    let blsd = bin_path("blsd")?;
    let p = blsd
        .parent()
        .map(|d| d.join("examples").join("blsd_next"))
        .ok_or_else(|| anyhow::anyhow!("no parent of {}", blsd.display()))?;
    anyhow::ensure!(
        p.exists(),
        "{} not found: cargo build -p bls-app --examples",
        p.display()
    );
    Ok(p)
}
