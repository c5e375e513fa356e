//! `bls`, the function developer CLI: create a function project on the guest SDK, build it
//! for `wasm32-wasip1`, run it locally exactly as a worker would, deploy and invoke it on
//! chain, manage keys and read balances, and hold fast-path heads to account.
//!
//! It adds no protocol code of its own: signing, txs, queries and result verification are
//! `bls-client`'s; local execution is `bls-runtime`'s (the sandbox workers run); manifest
//! rules are the orchestration module's.

pub mod account;
pub mod build;
pub mod cli;
pub mod dispute;
pub mod errors;
pub mod fast;
pub mod function;
pub mod market;
pub mod project;
pub mod secrets;
pub mod signer;
pub mod template;

use std::time::Duration;

use anyhow::Context as _;
use cli::{Cli, Command, FunctionSub, SecretsSub};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = cli.client.context(None);
    let from = cli.from.as_deref();
    // Commands that never touch the chain run without an async runtime (the local runner
    // starts its own).
    let sub = match cli.cmd {
        Command::Function(f) => f.cmd,
        Command::Account(a) => {
            return match a.cmd {
                None => block_on(account::run(&ctx, a.address, from)),
                Some(cli::AccountSub::Deposit { amount, sign }) => {
                    block_on(account::deposit(&ctx, from, &amount, &sign))
                }
            }
        }
        Command::Keys(k) => return block_on(k.run(&ctx)),
        Command::Market(m) => return block_on(market::run(&ctx, from, m.cmd)),
        Command::Fastpath(f) => {
            return match f.cmd {
                cli::FastpathSub::ReportHead { file, sign } => {
                    block_on(dispute::report_head(&ctx, from, &file, &sign))
                }
                cli::FastpathSub::Challenge { request_id, sign } => {
                    block_on(dispute::challenge(&ctx, from, &request_id, &sign))
                }
                cli::FastpathSub::ChallengeStatus { request_id } => {
                    block_on(dispute::challenge_status(&ctx, &request_id))
                }
            }
        }
    };
    match sub {
        FunctionSub::Init {
            name,
            lang,
            dir,
            sdk_path,
            vendor_sdk,
        } => function::init(
            &ctx,
            from,
            &name,
            lang,
            dir.as_deref(),
            (sdk_path.as_deref(), vendor_sdk),
        ),
        FunctionSub::Build { dir, build } => function::build_cmd(&ctx, &dir.dir, &build),
        FunctionSub::Run {
            dir,
            stdin,
            input,
            args,
            job_id,
            block_time,
            resolve,
            allow_private_http,
            callees,
            no_build,
            build,
        } => function::run(
            &ctx,
            function::RunRequest {
                dir: &dir.dir,
                stdin,
                input,
                args,
                job_id,
                block_time,
                http: bls_runtime::HttpSection {
                    allow_private: allow_private_http,
                    resolve,
                },
                callees,
                no_build,
                build: &build,
            },
        ),
        FunctionSub::Deploy {
            dir,
            no_build,
            build,
            sign,
            ipfs,
        } => block_on(function::deploy(
            &ctx, from, &dir.dir, no_build, &build, &sign, &ipfs,
        )),
        FunctionSub::Invoke {
            id,
            input,
            input_file,
            args,
            env,
            secrets: secret_args,
            secret_file,
            max_fee,
            wait,
            timeout,
            fast,
            head,
            save,
            expires_in,
            version,
            sign,
        } => block_on(function::invoke(
            &ctx,
            from,
            function::InvokeRequest {
                id,
                input,
                input_file,
                args,
                env,
                secrets: if secret_args.is_empty() && secret_file.is_none() {
                    Vec::new()
                } else {
                    secrets::parse_entries(&secret_args, secret_file.as_deref())?
                },
                max_fee: max_fee.as_deref(),
                wait,
                timeout: Duration::from_secs(timeout),
                fast,
                head,
                save,
                expires_in,
                version,
                sign: &sign,
            },
        )),
        FunctionSub::List {
            owner,
            mine,
            start_after,
            limit,
        } => {
            let mine_from = if mine {
                Some(from.ok_or(errors::CliError::NoSigner { known: Vec::new() })?)
            } else {
                None
            };
            block_on(function::list(&ctx, owner, mine_from, start_after, limit))
        }
        FunctionSub::Show { id } => block_on(function::show(&ctx, id)),
        FunctionSub::Retire { id, sign } => block_on(function::retire(&ctx, from, id, &sign)),
        FunctionSub::Secrets { cmd } => match cmd {
            SecretsSub::Set {
                id,
                entries,
                from_file,
                sign,
            } => {
                let entries = secrets::parse_entries(&entries, from_file.as_deref())?;
                block_on(secrets::set(&ctx, from, id, entries, false, &sign))
            }
            SecretsSub::Rotate {
                id,
                entries,
                from_file,
                sign,
            } => {
                let entries = secrets::parse_entries(&entries, from_file.as_deref())?;
                block_on(secrets::set(&ctx, from, id, entries, true, &sign))
            }
            SecretsSub::Unset { id, names, sign } => {
                block_on(secrets::unset(&ctx, from, id, names, &sign))
            }
            SecretsSub::List { id } => block_on(secrets::list(&ctx, id)),
        },
    }
}

fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting tokio")?
        .block_on(f)
}
