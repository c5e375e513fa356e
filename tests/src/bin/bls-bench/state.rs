//! `bls-bench state`: block time of the state machine on a chain carrying many validator
//! candidates, delegations and pending job deadlines, against an empty chain, same run.
//!
//! Both chains are built with the modules in-process (`bls-testkit`: messages delivered
//! without signatures), exported as a genesis `app_state`, imported by `BlsApp::init_chain`
//! on a redb store in a temp dir, then driven through `FinalizeBlock` + `Commit` with the same
//! signed bank sends every block, so every block collects fees and distributes them to the
//! bonded validators and their delegators.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_app::abci::BlsApp;
use bls_app::store::PruningPolicy;
use bls_client::keys::KeyPair;
use bls_core::module::encode_any;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::worker::wasm_path;
use bls_testkit::TestChain;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::{RequestFinalizeBlock, RequestInitChain};

/// Flags of `bls-bench state`.
pub struct Args {
    validators: usize,
    delegations: usize,
    jobs: usize,
    blocks: usize,
    txs_per_block: usize,
}

/// Parses `--validators N --delegations N --jobs N --blocks N --txs N`.
pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
    let mut a = Args {
        validators: 200,
        delegations: 10_000,
        jobs: 10_000,
        blocks: 40,
        txs_per_block: 20,
    };
    for (flag, v) in super::flags(rest)? {
        match flag.as_str() {
            "--validators" => a.validators = v.parse()?,
            "--delegations" => a.delegations = v.parse()?,
            "--jobs" => a.jobs = v.parse()?,
            "--blocks" => a.blocks = v.parse()?,
            "--txs" => a.txs_per_block = v.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

const CHAIN_ID: &str = "bench-state";
const BLS: u128 = 1_000_000;
/// Workers registered to run the pending jobs.
const WORKERS: usize = 8;
/// Commit window of the pending jobs: their deadlines stay ahead for the whole run.
const COMMIT_WINDOW: u64 = 100_000;

/// An address no key controls, derived from `(what, i)`.
fn synthetic(what: &str, i: usize) -> Address {
    let h = Sha256::new()
        .chain_update(what.as_bytes())
        .chain_update(i.to_be_bytes())
        .finalize();
    Address::from_bytes(&h[..20])
}

fn deliver(c: &mut TestChain, signer: &Address, msg: cosmos_sdk_proto::Any) -> anyhow::Result<()> {
    // `deliver`, not `tx`: no store copy per message (nothing here is expected to fail).
    c.deliver(signer, msg)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("{}", e.log))
}

/// The chain's state with `validators` candidates (the top 100 bonded), `delegations` extra
/// one-ubls delegations spread over them, and `jobs` jobs waiting for commits; plus `sender`
/// funded. Returns the exported `app_state`.
pub fn build(
    validators: usize,
    delegations: usize,
    jobs: usize,
    sender: &Address,
) -> anyhow::Result<Value> {
    use bls_orchestration::msgs::{
        MsgDeployFunction, MsgInvoke, ProtoCoin, MSG_DEPLOY_FUNCTION, MSG_INVOKE,
    };
    use bls_registry::msgs::{Capabilities, MsgRegisterWorker, MSG_REGISTER_WORKER};
    use bls_staking::msgs::{MsgCreateValidator, MsgDelegate, MSG_CREATE_VALIDATOR, MSG_DELEGATE};

    let (mut c, _) = TestChain::with_genesis(
        bls_app::modules::all_modules(),
        &[(
            "orchestration",
            json!({"params": {"commit_window": COMMIT_WINDOW, "reveal_window": 20,
                "subnetwork_size": 3}}),
        )],
    )
    .map_err(|e| anyhow::anyhow!("genesis: {}", e.log))?;
    c.fund(sender, 1_000_000 * BLS);
    let coin = |amount: u128| {
        Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: "ubls".into(),
            amount: amount.to_string(),
        })
    };
    let operators: Vec<Address> = (0..validators).map(|i| synthetic("validator", i)).collect();
    for (i, op) in operators.iter().enumerate() {
        // Distinct powers, so the top 100 are well defined.
        let bond = (10 + i as u128) * BLS;
        c.fund(op, bond);
        let mut key = Sha256::digest(format!("consensus-{i}")).to_vec();
        key.truncate(32);
        let msg = MsgCreateValidator {
            operator: op.to_string(),
            consensus_pubkey: key,
            moniker: format!("v{i}"),
            commission_bps: 500,
            self_bond: coin(bond),
        };
        deliver(&mut c, op, encode_any(&msg, MSG_CREATE_VALIDATOR))
            .with_context(|| format!("validator {i}"))?;
    }
    for i in 0..delegations {
        let d = synthetic("delegator", i);
        c.fund(&d, 1);
        let msg = MsgDelegate {
            delegator: d.to_string(),
            validator: operators[i % operators.len().max(1)].to_string(),
            amount: coin(1),
        };
        deliver(&mut c, &d, encode_any(&msg, MSG_DELEGATE))
            .with_context(|| format!("delegation {i}"))?;
    }
    if jobs > 0 {
        for i in 0..WORKERS {
            let secret = Sha256::digest(format!("worker-{i}"));
            let key = k256::ecdsa::SigningKey::from_slice(&secret)?;
            let pubkey = key
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec();
            let op = Address::from_secp256k1_pubkey(&pubkey);
            let bond = 100 * BLS;
            c.fund(&op, bond);
            let msg = MsgRegisterWorker {
                operator: op.to_string(),
                result_pubkey: pubkey,
                peer_id: format!("12D3KooW{}", hex::encode(&op.as_bytes()[..8])),
                multiaddrs: vec![format!("/ip4/10.{i}.0.1/tcp/4001")],
                region: format!("region-{}", i % 4),
                network: format!("net-{i}"),
                capabilities: Some(Capabilities {
                    memory_mb: 512,
                    max_timeout_ms: 900_000,
                    http_allowed: false,
                }),
                role: "worker".into(),
                bond: Some(bls_registry::msgs::ProtoCoin::ubls(bond)),
                encryption_pubkey: Vec::new(),
            };
            deliver(&mut c, &op, encode_any(&msg, MSG_REGISTER_WORKER))
                .with_context(|| format!("worker {i}"))?;
        }
        let owner = synthetic("owner", 0);
        c.fund(&owner, 1_000 * BLS);
        let msg = MsgDeployFunction {
            owner: owner.to_string(),
            wasm: std::fs::read(wasm_path("hello")?)?,
            code_hash: vec![],
            source_uris: vec![],
            manifest_json: "{}".into(),
            replication: 3,
            quorum: 2,
            code_size: 0,
        };
        deliver(&mut c, &owner, encode_any(&msg, MSG_DEPLOY_FUNCTION)).context("deploy")?;
        c.next_block();
        let invoker = synthetic("invoker", 0);
        c.fund(&invoker, 10_000_000 * BLS);
        for i in 0..jobs {
            let msg = MsgInvoke {
                invoker: invoker.to_string(),
                function_id: 1,
                input: b"in".to_vec(),
                args: vec![],
                max_fee: Some(ProtoCoin::ubls(1_000_000)),
                version: 0,
            };
            deliver(&mut c, &invoker, encode_any(&msg, MSG_INVOKE))
                .with_context(|| format!("invoke {i}"))?;
        }
    }
    // Assign the jobs and apply the validator set.
    c.next_block();
    c.next_block();
    Ok(c.export())
}

/// Mean FinalizeBlock + Commit time over `blocks` blocks of `txs` bank sends each.
fn drive(app_state: &Value, sender: &KeyPair, a: &Args) -> anyhow::Result<(Duration, Duration)> {
    drive_with(
        app_state,
        sender,
        a.blocks,
        a.txs_per_block,
        PruningPolicy::KeepAll,
        |_, _, _| Ok(()),
    )
}

/// Like [`drive`], with the store pruning as `pruning` says and `after_block(height, app,
/// database path)` called after each commit.
pub fn drive_with(
    app_state: &Value,
    sender: &KeyPair,
    blocks: usize,
    txs_per_block: usize,
    pruning: PruningPolicy,
    mut after_block: impl FnMut(u64, &BlsApp, &Path) -> anyhow::Result<()>,
) -> anyhow::Result<(Duration, Duration)> {
    let a = Args {
        validators: 0,
        delegations: 0,
        jobs: 0,
        blocks,
        txs_per_block,
    };
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("app.redb");
    let mut app = BlsApp::open(&db)?;
    app.store().set_pruning(pruning);
    // The sender holds coins but never signed in the built chain: it has no auth account yet.
    let mut app_state = app_state.clone();
    app_state["auth"]["accounts"]
        .as_array_mut()
        .context("auth accounts")?
        .push(json!({"address": sender.address().to_string()}));
    let init = Instant::now();
    app.init_chain(RequestInitChain {
        chain_id: CHAIN_ID.into(),
        app_state_bytes: serde_json::to_vec(&app_state)?.into(),
        initial_height: 1,
        ..Default::default()
    })?;
    let init = init.elapsed();
    // Genesis writes are staged until the first commit: read them back through an export.
    let staged = app.export_genesis()?;
    let account_number = staged["auth"]["accounts"]
        .as_array()
        .and_then(|accs| {
            accs.iter()
                .find(|acc| acc["address"] == sender.address().as_str())
                .and_then(|acc| match &acc["account_number"] {
                    Value::String(s) => s.parse::<u64>().ok(),
                    n => n.as_u64(),
                })
        })
        .context("the sender's genesis account number")?;
    let to = Address::from_bytes(&[0xbe; 20]);
    let txs = signed_sends(
        CHAIN_ID,
        sender,
        account_number,
        0,
        (a.blocks * a.txs_per_block) as u64,
        &to,
        &Coins::parse("1ubls")?,
    )?;
    // Block 1 commits the whole genesis state (its writes are staged until then): untimed.
    let init_commit = Instant::now();
    app.finalize_block(RequestFinalizeBlock {
        height: 1,
        hash: vec![1; 32].into(),
        ..Default::default()
    })?;
    app.commit()?;
    let init = init + init_commit.elapsed();
    let mut total = Duration::ZERO;
    for (i, block) in txs.chunks(a.txs_per_block).enumerate() {
        let height = i64::try_from(i + 2)?;
        let t = Instant::now();
        let r = app.finalize_block(RequestFinalizeBlock {
            txs: block.iter().map(|t| t.bytes.clone().into()).collect(),
            height,
            hash: vec![height as u8; 32].into(),
            ..Default::default()
        })?;
        app.commit()?;
        total += t.elapsed();
        after_block(u64::try_from(height)?, &app, &db)?;
        if let Some(bad) = r.tx_results.iter().find(|t| t.code != 0) {
            anyhow::bail!("tx failed: {}", bad.log);
        }
    }
    Ok((init, total / u32::try_from(a.blocks.max(1))?))
}

/// Runs the bench and prints a markdown table.
pub fn run(a: Args) -> anyhow::Result<()> {
    let (sender, _) = KeyPair::generate()?;
    eprintln!("[bench] empty chain: one validator");
    let empty = build(1, 0, 0, sender.address())?;
    let (_, empty_block) = drive(&empty, &sender, &a)?;
    eprintln!(
        "[bench] loaded chain: {} validator candidates, {} delegations, {} pending jobs",
        a.validators, a.delegations, a.jobs
    );
    let t = Instant::now();
    let loaded = build(a.validators, a.delegations, a.jobs, sender.address())?;
    eprintln!("[bench] built in {:.1}s", t.elapsed().as_secs_f64());
    let (init, loaded_block) = drive(&loaded, &sender, &a)?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| chain | validators | delegations | pending jobs | block (FinalizeBlock + Commit, {} sends), ms |",
        a.txs_per_block
    );
    println!("|---|---|---|---|---|");
    println!("| empty | 1 | 0 | 0 | {:.2} |", ms(empty_block));
    println!(
        "| loaded | {} | {} | {} | {:.2} |",
        a.validators,
        a.delegations,
        a.jobs,
        ms(loaded_block)
    );
    println!(
        "\nratio loaded / empty block time: {:.2} (loaded genesis import and first commit: {:.1}s)",
        loaded_block.as_secs_f64() / empty_block.as_secs_f64(),
        init.as_secs_f64()
    );
    Ok(())
}

/// `bls-bench disk`: the database over a long run of steady traffic (the same bank sends every
/// block), pruning off vs on, same run: file size and store rows sampled as blocks go by.
pub mod disk {
    use super::*;

    /// Flags of `bls-bench disk`.
    pub struct Args {
        blocks: usize,
        txs_per_block: usize,
        keep_recent: u64,
    }

    /// Parses `--blocks N --txs N --keep-recent N`.
    pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
        let mut a = Args {
            blocks: 2000,
            txs_per_block: 20,
            keep_recent: 100,
        };
        for (flag, v) in super::super::flags(rest)? {
            match flag.as_str() {
                "--blocks" => a.blocks = v.parse()?,
                "--txs" => a.txs_per_block = v.parse()?,
                "--keep-recent" => a.keep_recent = v.parse()?,
                other => anyhow::bail!("unknown flag {other}"),
            }
        }
        Ok(a)
    }

    /// (height, file bytes, rows).
    type Sample = (u64, u64, u64);

    /// A [`Sample`] every tenth of the run, and the mean block time.
    fn samples(
        app_state: &Value,
        sender: &KeyPair,
        a: &Args,
        pruning: PruningPolicy,
    ) -> anyhow::Result<(Vec<Sample>, Duration)> {
        let every = (a.blocks / 10).max(1) as u64;
        let mut out = Vec::new();
        let (_, block) = drive_with(
            app_state,
            sender,
            a.blocks,
            a.txs_per_block,
            pruning,
            |h, app, db| {
                if (h - 1) % every == 0 {
                    let rows: u64 = app
                        .store()
                        .read()?
                        .table_rows()?
                        .iter()
                        .map(|(_, n)| n)
                        .sum();
                    out.push((h, std::fs::metadata(db)?.len(), rows));
                }
                Ok(())
            },
        )?;
        Ok((out, block))
    }

    /// Runs the bench and prints a markdown table.
    pub fn run(a: Args) -> anyhow::Result<()> {
        let (sender, _) = KeyPair::generate()?;
        let app_state = build(1, 0, 0, sender.address())?;
        eprintln!(
            "[bench] {} blocks of {} sends, pruning off",
            a.blocks, a.txs_per_block
        );
        let (off, off_block) = samples(&app_state, &sender, &a, PruningPolicy::KeepAll)?;
        eprintln!("[bench] same, pruning keep {} every 10", a.keep_recent);
        let pruning = PruningPolicy::KeepRecent {
            keep_recent: a.keep_recent,
            interval: 10,
        };
        let (on, on_block) = samples(&app_state, &sender, &a, pruning)?;
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "| height | file, pruning off (MiB) | rows, off | file, pruning on (MiB) | rows, on |"
        );
        println!("|---|---|---|---|---|");
        for ((h, f0, r0), (_, f1, r1)) in off.iter().zip(&on) {
            println!("| {h} | {:.1} | {r0} | {:.1} | {r1} |", mib(*f0), mib(*f1));
        }
        // Rows, not file size: redb grows its file in doubling steps and reuses freed pages.
        let growth = |s: &[Sample]| -> f64 {
            match (s.get(s.len() / 2), s.last()) {
                (Some(m), Some(l)) if m.2 > 0 => l.2 as f64 / m.2 as f64,
                _ => 0.0,
            }
        };
        println!(
            "\nrows growth over the second half: pruning off {:.2}x, on {:.2}x; file at the end: off {:.1} MiB, on {:.1} MiB; mean block (FinalizeBlock + Commit) off {:.2} ms, on {:.2} ms",
            growth(&off),
            growth(&on),
            mib(off.last().map_or(0, |s| s.1)),
            mib(on.last().map_or(0, |s| s.1)),
            off_block.as_secs_f64() * 1000.0,
            on_block.as_secs_f64() * 1000.0
        );
        Ok(())
    }
}
