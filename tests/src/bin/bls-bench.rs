//! `bls-bench`: end-to-end figures for BENCHMARKS.md, measured against a baseline in the same
//! run (never asserted in tests).
//!
//! ```text
//! bls-bench chain [--txs N] [--accounts K] [--block-time 200ms]
//!     bank-send throughput of blsd under CometBFT vs CometBFT's built-in kvstore app,
//!     same consensus settings, same machine, same run; and the same signed txs through
//!     the app in-process (FinalizeBlock + Commit, no consensus), the app's own ceiling
//! ```

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::net::free_port;
use bls_e2e::process::{cometbft_bin, Proc};
use bls_e2e::{wait_until, Localnet, NodeOptions};

struct Args {
    txs: usize,
    accounts: usize,
    block_time: String,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        txs: 2000,
        accounts: 10,
        block_time: "200ms".into(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) != Some("chain") || argv.iter().any(|s| s == "--help") {
        println!("usage: bls-bench chain [--txs N] [--accounts K] [--block-time 200ms]\n\nBank-send throughput of blsd vs CometBFT's kvstore app (same consensus settings).");
        std::process::exit(if argv.iter().any(|s| s == "--help") {
            0
        } else {
            2
        });
    }
    let mut it = argv.iter().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().context("flag needs a value")?;
        match flag.as_str() {
            "--txs" => a.txs = v.parse()?,
            "--accounts" => a.accounts = v.parse()?,
            "--block-time" => a.block_time = v.clone(),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

/// Throughput of one run: txs included, wall time from first broadcast to last inclusion,
/// and blocks used.
struct Run {
    txs: usize,
    elapsed: Duration,
    blocks: u64,
}

impl Run {
    fn tps(&self) -> f64 {
        self.txs as f64 / self.elapsed.as_secs_f64()
    }
}

async fn height(rpc: &RpcClient) -> anyhow::Result<u64> {
    Ok(rpc.status().await?.latest_block_height)
}

async fn bench_bls(a: &Args) -> anyhow::Result<Run> {
    let keys: Vec<KeyPair> = (0..a.accounts)
        .map(|_| KeyPair::generate().map(|(k, _)| k))
        .collect::<Result<_, _>>()?;
    let net = Localnet::start(NodeOptions {
        accounts: keys
            .iter()
            .map(|k| (k.address().to_string(), "1000000000000ubls".to_string()))
            .collect(),
        block_time: a.block_time.clone(),
        ..Default::default()
    })
    .await?;
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let per_account = a.txs.div_ceil(a.accounts);
    // Pre-sign everything so the measurement is the chain, not the client.
    let mut numbered = Vec::new();
    for k in &keys {
        let acc = rpc.account(k.address()).await?.context("genesis account")?;
        anyhow::ensure!(
            acc.sequence == 0,
            "fresh genesis accounts start at sequence 0"
        );
        numbered.push((k.clone(), acc.account_number));
    }
    let signed = sign_sends(&net.chain_id, &numbered, per_account, 0)?;
    let batches: Vec<(Address, Vec<Vec<u8>>)> = numbered
        .iter()
        .map(|(k, _)| k.address().clone())
        .zip(signed)
        .collect();
    let h0 = height(&rpc).await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (_, txs) in batches.iter().cloned() {
        let rpc = rpc.clone();
        tasks.push(tokio::spawn(async move {
            for tx in txs {
                rpc.broadcast_tx_sync(tx).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    for (addr, txs) in &batches {
        let want = txs.len() as u64;
        wait_until("all txs included", Duration::from_secs(300), || async {
            let acc = rpc.account(addr).await?.context("account")?;
            Ok((acc.sequence >= want).then_some(()))
        })
        .await?;
    }
    let elapsed = start.elapsed();
    let h1 = height(&rpc).await?;
    Ok(Run {
        txs: per_account * a.accounts,
        elapsed,
        blocks: h1.saturating_sub(h0),
    })
}

/// Pre-signed `MsgSend`s of 1ubls: `per_account` from each (key, account number), sequences
/// from `first_sequence`.
fn sign_sends(
    chain_id: &str,
    keys: &[(KeyPair, u64)],
    per_account: usize,
    first_sequence: u64,
) -> anyhow::Result<Vec<Vec<Vec<u8>>>> {
    let to = Address::from_bytes(&[0xbe; 20]);
    let one = Coins::parse("1ubls")?;
    keys.iter()
        .map(|(k, account_number)| {
            let txs = signed_sends(
                chain_id,
                k,
                *account_number,
                first_sequence,
                per_account as u64,
                &to,
                &one,
            )?;
            Ok(txs.into_iter().map(|t| t.bytes).collect())
        })
        .collect()
}

/// The same signed txs straight through the state machine: InitChain, then FinalizeBlock +
/// Commit of blocks of up to 500 txs, on a redb store in a temp dir.
fn bench_app_in_process(a: &Args) -> anyhow::Result<Run> {
    use tendermint_proto::v0_38::abci::{RequestFinalizeBlock, RequestInitChain};
    let dir = tempfile::tempdir()?;
    let mut app = bls_app::abci::BlsApp::open(&dir.path().join("app.redb"))?;
    let keys: Vec<KeyPair> = (0..a.accounts)
        .map(|_| KeyPair::generate().map(|(k, _)| k))
        .collect::<Result<_, _>>()?;
    let app_state = serde_json::json!({
        "auth": {"accounts": keys.iter().map(|k| serde_json::json!({"address": k.address().to_string()})).collect::<Vec<_>>()},
        "bank": {"balances": keys.iter().map(|k| serde_json::json!({"address": k.address().to_string(), "coins": [{"denom": "ubls", "amount": "1000000000000"}]})).collect::<Vec<_>>()},
    });
    app.init_chain(RequestInitChain {
        chain_id: "bench".into(),
        app_state_bytes: serde_json::to_vec(&app_state)?.into(),
        initial_height: 1,
        ..Default::default()
    })?;
    // Genesis accounts are numbered in order from 0.
    let numbered: Vec<(KeyPair, u64)> = keys.into_iter().zip(0u64..).collect();
    let per_account = a.txs.div_ceil(a.accounts);
    let per_key = sign_sends("bench", &numbered, per_account, 0)?;
    // Interleave accounts so each block carries consecutive sequences of every account.
    let mut all = Vec::new();
    for i in 0..per_account {
        for txs in &per_key {
            all.push(txs[i].clone());
        }
    }
    let start = Instant::now();
    let mut height = 0u64;
    for block in all.chunks(500) {
        height += 1;
        let r = app.finalize_block(RequestFinalizeBlock {
            txs: block.iter().map(|t| t.clone().into()).collect(),
            height: i64::try_from(height)?,
            hash: vec![height as u8; 32].into(),
            ..Default::default()
        })?;
        if let Some(bad) = r.tx_results.iter().find(|t| t.code != 0) {
            anyhow::bail!("tx failed in-process: {}", bad.log);
        }
        app.commit()?;
    }
    Ok(Run {
        txs: all.len(),
        elapsed: start.elapsed(),
        blocks: height,
    })
}

async fn bench_kvstore(a: &Args) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("kv");
    let cometbft = cometbft_bin()?;
    let out = Command::new(&cometbft)
        .arg("init")
        .arg("--home")
        .arg(&home)
        .output()?;
    anyhow::ensure!(out.status.success(), "cometbft init failed");
    let rpc_port = free_port()?;
    let p2p_port = free_port()?;
    let cfg = home.join("config/config.toml");
    let mut text = std::fs::read_to_string(&cfg)?;
    use bls_app::toml_patch::set_key;
    text = set_key(
        &text,
        Some("rpc"),
        "laddr",
        &format!("\"tcp://127.0.0.1:{rpc_port}\""),
    );
    text = set_key(
        &text,
        Some("p2p"),
        "laddr",
        &format!("\"tcp://127.0.0.1:{p2p_port}\""),
    );
    text = set_key(
        &text,
        Some("consensus"),
        "timeout_commit",
        &format!("\"{}\"", a.block_time),
    );
    text = set_key(&text, Some("consensus"), "timeout_propose", "\"500ms\"");
    text = set_key(&text, Some("tx_index"), "indexer", "\"kv\"");
    std::fs::write(&cfg, text)?;
    let mut c = Command::new(&cometbft);
    c.arg("start")
        .arg("--home")
        .arg(&home)
        .arg("--proxy_app=kvstore");
    let _node = Proc::spawn("cometbft-kvstore", c, &dir.path().join("kv.log"))?;
    let rpc = RpcClient::new(&format!("http://127.0.0.1:{rpc_port}"))?;
    wait_until("kvstore node up", Duration::from_secs(60), || async {
        Ok(height(&rpc).await.ok().filter(|h| *h >= 1).map(|_| ()))
    })
    .await?;
    let total = a.txs.div_ceil(a.accounts) * a.accounts;
    let h0 = height(&rpc).await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.accounts {
        let rpc = rpc.clone();
        let n = total / a.accounts;
        tasks.push(tokio::spawn(async move {
            for i in 0..n {
                rpc.broadcast_tx_sync(format!("k{w}-{i}=v{i}").into_bytes())
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let last: Vec<String> = (0..a.accounts)
        .map(|w| format!("k{w}-{}", total / a.accounts - 1))
        .collect();
    for key in &last {
        wait_until("all kv txs included", Duration::from_secs(300), || async {
            let v = rpc
                .abci_query("", key.as_bytes().to_vec())
                .await
                .unwrap_or_default();
            Ok((!v.is_empty()).then_some(()))
        })
        .await?;
    }
    let elapsed = start.elapsed();
    let h1 = height(&rpc).await?;
    Ok(Run {
        txs: total,
        elapsed,
        blocks: h1.saturating_sub(h0),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    eprintln!(
        "[bench] kvstore baseline: {} txs from {} senders, block time {}",
        a.txs, a.accounts, a.block_time
    );
    let kv = bench_kvstore(&a).await?;
    eprintln!(
        "[bench] blsd bank sends: {} txs from {} accounts",
        a.txs, a.accounts
    );
    let bls = bench_bls(&a).await?;
    eprintln!("[bench] the same txs through the app in-process (FinalizeBlock + Commit)");
    let inproc = bench_app_in_process(&a)?;
    let row = |name: &str, r: &Run| {
        println!(
            "| {name} | {} | {:.2} | {} | {:.1} |",
            r.txs,
            r.elapsed.as_secs_f64(),
            r.blocks,
            r.tps()
        );
    };
    println!("| app | txs | seconds | blocks | tx/s |");
    println!("|---|---|---|---|---|");
    row("CometBFT kvstore (baseline)", &kv);
    row("blsd bank MsgSend", &bls);
    row("blsd app in-process, FinalizeBlock + Commit", &inproc);
    println!(
        "\nratio blsd / kvstore throughput: {:.2}",
        bls.tps() / kv.tps()
    );
    Ok(())
}
