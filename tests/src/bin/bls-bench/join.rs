//! `bls-bench join`: how long a new node takes to reach the tip of a running chain by state
//! sync, against replaying every block from genesis, same chain, same run.
//!
//! A 4-validator localnet (real cometbft + blsd, snapshots every `--snapshot-interval`
//! heights) runs to `--height` with bank sends in every block; then a fresh node joins by
//! state sync (trusting node 1's tip from RPC, as an operator would) and is timed to the tip
//! it saw when it started; it is stopped, and a second fresh node joins by replaying from
//! genesis (block sync), timed the same way.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::{Localnet, NodeOptions};

/// Flags of `bls-bench join`.
pub struct Args {
    height: u64,
    snapshot_interval: u64,
    block_time: String,
}

/// Parses `--height N --snapshot-interval N --block-time D`.
pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
    let mut a = Args {
        height: 1000,
        snapshot_interval: 100,
        block_time: "50ms".into(),
    };
    for (flag, v) in super::flags(rest)? {
        match flag.as_str() {
            "--height" => a.height = v.parse()?,
            "--snapshot-interval" => a.snapshot_interval = v.parse()?,
            "--block-time" => a.block_time = v,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

const STATE_SYNC: usize = 4;
const REPLAY: usize = 5;

/// Starts node `i` and times it to the tip node 1 had at that moment.
async fn time_to_tip(net: &mut Localnet, i: usize) -> anyhow::Result<(u64, Duration)> {
    let tip = net.height(1).await?;
    let t = Instant::now();
    net.start_validator(i)?;
    net.wait_height(i, tip, Duration::from_secs(1800)).await?;
    Ok((tip, t.elapsed()))
}

/// Runs the bench and prints a markdown table.
pub async fn run(a: Args) -> anyhow::Result<()> {
    let (alice, _) = KeyPair::generate()?;
    let mut net = Localnet::start(NodeOptions {
        validators: 6,
        genesis_validators: Some(4),
        held_back: 2,
        block_time: a.block_time.clone(),
        accounts: vec![(alice.address().to_string(), "1000000000000ubls".into())],
        app_toml: vec![
            ("snapshot_interval".into(), a.snapshot_interval.to_string()),
            ("snapshot_keep_recent".into(), "2".into()),
        ],
        ..Default::default()
    })
    .await?;
    // Traffic: a few bank sends per block until the chain reaches the height.
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let acc = rpc
        .account(alice.address())
        .await?
        .context("alice's genesis account")?;
    let txs = signed_sends(
        &net.chain_id,
        &alice,
        acc.account_number,
        acc.sequence,
        a.height * 3,
        &Address::from_bytes(&[0xbb; 20]),
        &Coins::parse("1ubls")?,
    )?;
    let sender = {
        let rpc = rpc.clone();
        tokio::spawn(async move {
            for t in txs {
                if rpc.broadcast_tx_sync(t.bytes).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    eprintln!("[bench] running the chain to height {}", a.height);
    net.wait_height(1, a.height, Duration::from_secs(3600))
        .await?;
    sender.abort();

    eprintln!("[bench] a node joins by state sync");
    net.configure_state_sync(STATE_SYNC, 1, 2, &[0, 1, 2, 3])
        .await?;
    let (sync_tip, sync_time) = time_to_tip(&mut net, STATE_SYNC).await?;
    net.stop_validator(STATE_SYNC);

    eprintln!("[bench] a node replays from genesis");
    let (replay_tip, replay_time) = time_to_tip(&mut net, REPLAY).await?;
    net.stop_validator(REPLAY);

    println!("| join by | tip reached | time to the tip (s) |");
    println!("|---|---|---|");
    println!(
        "| state sync | {sync_tip} | {:.1} |",
        sync_time.as_secs_f64()
    );
    println!(
        "| replay from genesis | {replay_tip} | {:.1} |",
        replay_time.as_secs_f64()
    );
    println!(
        "\nratio state sync / replay: {:.2} (block time {}, snapshots every {} heights)",
        sync_time.as_secs_f64() / replay_time.as_secs_f64(),
        a.block_time,
        a.snapshot_interval
    );
    Ok(())
}
