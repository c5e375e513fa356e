//! `blsd tx orchestration deploy|invoke|retire`. (Commit and reveal are worker-only: see
//! [`crate::msgs::commit_result`] / [`crate::msgs::reveal_result`].)

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bls_core::{Coin, Coins, DENOM};
use bls_orchestration::manifest::Manifest;
use bls_orchestration::msgs::{
    MsgDeployFunctionResponse, MsgInvokeResponse, MSG_DEPLOY_FUNCTION_RESPONSE, MSG_INVOKE_RESPONSE,
};
use bls_orchestration::state::JobStatus;
use clap::{Args, Subcommand};
use prost::Message;
use serde::Serialize;

use super::context::ClientContext;
use super::submit::{broadcast_and_wait, submit, TxFlags};
use crate::msgs::{self, Deployment};
use crate::orchestration::{self as orch, VerifiedResult};
use crate::rpc::TxResult;

/// CometBFT's default `mempool.max_tx_bytes`: larger txs are refused unless the node raised it.
const COMETBFT_DEFAULT_MAX_TX_BYTES: usize = 1 << 20;
/// Show compression progress only for code at least this large.
const PROGRESS_THRESHOLD: usize = 1 << 20;
const WASM_MAGIC: &[u8] = b"\0asm";

/// Function deployment and invocation.
#[derive(Args, Clone, Debug)]
pub struct OrchestrationTxCmd {
    /// The orchestration subcommand.
    #[command(subcommand)]
    pub cmd: OrchestrationTxSub,
}

/// `blsd tx orchestration` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum OrchestrationTxSub {
    /// Deploy a WASM function: stored gzipped on chain, or added to IPFS (with --ipfs, or when
    /// it is over the chain's inline cap) with its CID, sha256 and size on chain; waits for the
    /// tx and prints the new function id.
    Deploy {
        /// The WASM module (wasm32-wasip1).
        wasm: PathBuf,
        /// Manifest JSON file: entry, args, env, limits, permissions.
        #[arg(long)]
        manifest: PathBuf,
        /// Number of workers that run each job.
        #[arg(long, default_value_t = 3)]
        replication: u32,
        /// Identical results needed (more than half of --replication).
        #[arg(long, default_value_t = 2)]
        quorum: u32,
        /// IPFS options.
        #[command(flatten)]
        ipfs: IpfsFlags,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Invoke a function; prints the job id and the workers the chain drew for it in the next
    /// block, or with --wait the verified result.
    Invoke {
        /// Function id.
        function_id: u64,
        /// Input given to the function on stdin.
        #[arg(long, conflicts_with = "input_file")]
        input: Option<String>,
        /// File whose bytes are given on stdin.
        #[arg(long)]
        input_file: Option<PathBuf>,
        /// Argument appended after the manifest's args (repeatable).
        #[arg(long = "arg")]
        args: Vec<String>,
        /// Most you pay for the job (escrowed; the unused part is refunded), e.g. 110000ubls.
        /// At least the job's worst case: base fee + the larger of its fuel budget's fee and
        /// its timeout's fee. Default: exactly that worst case, computed from the chain's
        /// params and the function's manifest.
        #[arg(long)]
        max_fee: Option<String>,
        /// Seconds to wait for the job's result with --wait.
        #[arg(long, default_value_t = 300)]
        result_timeout: u64,
        /// Common tx flags (--wait waits for the job's final result).
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Retire a function you own: no new invocations.
    Retire {
        /// Function id.
        function_id: u64,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

/// A deployed function. Ids are strings in JSON, as uint64 fields are in Cosmos (proto3) JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Deployed {
    /// The new function's id.
    #[serde(serialize_with = "crate::orchestration::u64_as_string")]
    pub function_id: u64,
    /// Hex sha256 of the raw WASM.
    pub code_hash: String,
    /// Whether the code is stored on chain (else on IPFS at `source_uris`).
    pub code_on_chain: bool,
    /// Where workers fetch code on IPFS (`ipfs://CID`).
    pub source_uris: Vec<String>,
    /// The deploy tx.
    pub txhash: String,
    /// Its inclusion height.
    pub height: u64,
}

/// An invocation included on chain (its job is assigned, not yet finished).
#[derive(Clone, Debug, Serialize)]
pub struct Invoked {
    /// The job id.
    #[serde(serialize_with = "crate::orchestration::u64_as_string")]
    pub job_id: u64,
    /// Workers assigned in the first round (drawn in the block after the invoke's).
    pub workers: Vec<String>,
    /// The invoke tx.
    pub txhash: String,
    /// Its inclusion height.
    pub height: u64,
}

/// A job that ended without a result.
#[derive(Clone, Debug, Serialize)]
pub struct JobFailed {
    /// The job id.
    #[serde(serialize_with = "crate::orchestration::u64_as_string")]
    pub job_id: u64,
    /// Its final status.
    pub status: String,
    /// Why it failed.
    pub failure: String,
}

/// How an invocation ended, as far as the caller waited.
#[derive(Clone, Debug)]
pub enum InvokeOutcome {
    /// Included; the caller did not wait for the result.
    Submitted(Invoked),
    /// Finalized with a result verified against the job record.
    Verified(Box<VerifiedResult>),
    /// Ended without a result.
    Failed(JobFailed),
}

/// The first message response of type `type_url`, decoded.
fn first_response<T: Message + Default>(r: &TxResult, type_url: &str) -> anyhow::Result<T> {
    let responses = crate::tx::msg_responses(&r.data)?;
    let any = responses
        .iter()
        .find(|a| a.type_url == type_url)
        .with_context(|| format!("tx {} has no {type_url} in its result data", r.hash))?;
    Ok(T::decode(any.value.as_slice())?)
}

impl OrchestrationTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        match self.cmd {
            OrchestrationTxSub::Deploy {
                wasm,
                manifest,
                replication,
                quorum,
                ipfs,
                flags,
            } => deploy(ctx, &wasm, &manifest, replication, quorum, ipfs, &flags).await,
            OrchestrationTxSub::Invoke {
                function_id,
                input,
                input_file,
                args,
                max_fee,
                result_timeout,
                flags,
            } => {
                let input = match (input, input_file) {
                    (Some(text), _) => text.into_bytes(),
                    (None, Some(path)) => std::fs::read(&path)
                        .with_context(|| format!("reading input file {}", path.display()))?,
                    (None, None) => Vec::new(),
                };
                let max_fee = match max_fee {
                    Some(s) => parse_fee(&s)?,
                    None => Coin::ubls(orch::worst_case_fee(&ctx.rpc()?, function_id).await?),
                };
                invoke(
                    ctx,
                    function_id,
                    input,
                    args,
                    &max_fee,
                    Duration::from_secs(result_timeout),
                    &flags,
                )
                .await
            }
            OrchestrationTxSub::Retire { function_id, flags } => {
                let key = flags.signer(ctx)?;
                let msg = msgs::retire_function(key.address(), function_id);
                submit(ctx, &flags, &key, vec![msg]).await?;
                Ok(())
            }
        }
    }
}

/// Parses `--max-fee`: one positive `ubls` amount, e.g. `100000ubls`.
pub fn parse_fee(s: &str) -> anyhow::Result<Coin> {
    let coins = Coins::parse(s).with_context(|| format!("--max-fee {s:?}"))?;
    match coins.to_vec().as_slice() {
        [c] if c.denom == DENOM => Ok(c.clone()),
        _ => bail!("--max-fee must be a single positive {DENOM} amount, e.g. 100000{DENOM}"),
    }
}

async fn deploy(
    ctx: &ClientContext,
    wasm_path: &std::path::Path,
    manifest_path: &std::path::Path,
    replication: u32,
    quorum: u32,
    ipfs: IpfsFlags,
    flags: &TxFlags,
) -> anyhow::Result<()> {
    let wasm = std::fs::read(wasm_path)
        .with_context(|| format!("reading WASM file {}", wasm_path.display()))?;
    let manifest_json = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("reading manifest {}", manifest_path.display()))?;
    // Validate locally with the chain's own rules: a clear error before paying for a tx.
    Manifest::from_json(manifest_json.as_bytes())
        .with_context(|| format!("manifest {}", manifest_path.display()))?;
    let out = deploy_function(
        ctx,
        flags,
        &DeployRequest {
            wasm: &wasm,
            label: &wasm_path.display().to_string(),
            manifest_json,
            replication,
            quorum,
            ipfs,
        },
    )
    .await?;
    ctx.emit(&out, deployed_text)
}

/// What [`deploy_function`] deploys.
#[derive(Clone, Debug)]
pub struct DeployRequest<'a> {
    /// The raw WASM module.
    pub wasm: &'a [u8],
    /// How to name the code in progress messages (e.g. its path).
    pub label: &'a str,
    /// Manifest JSON (validated here with the chain's rules).
    pub manifest_json: String,
    /// Replication `n`.
    pub replication: u32,
    /// Quorum `m` (more than half of `n`).
    pub quorum: u32,
    /// Whether and where to add the code to IPFS, and more sources of it.
    pub ipfs: IpfsFlags,
}

/// Where function code goes through IPFS (`--ipfs`, `--ipfs-api`).
#[derive(Args, Clone, Debug, Default)]
pub struct IpfsFlags {
    /// Add the code to IPFS and record its CID, sha256 and size on chain instead of storing
    /// the code itself (done anyway when the gzipped code is over the chain's
    /// max_code_bytes). Workers fetch it by CID from their IPFS node or from each other.
    #[arg(long)]
    pub ipfs: bool,
    /// RPC API of the IPFS node (kubo) the code is added to; it must stay reachable by
    /// workers' IPFS nodes (the same private network, or public IPFS).
    #[arg(long, env = "BLS_IPFS_API", default_value = crate::ipfs::DEFAULT_IPFS_API)]
    pub ipfs_api: String,
    /// More IPFS sources of the same code (`ipfs://CID`, repeatable), recorded with the
    /// function; workers fetch by CID and check the sha256 before running.
    #[arg(long = "source-uri", value_name = "URI")]
    pub source_uris: Vec<String>,
}

/// Text form of a [`Deployed`].
pub fn deployed_text(d: &Deployed) -> String {
    let code = if d.code_on_chain {
        "code: on chain".to_string()
    } else {
        format!("code: on IPFS, {}", d.source_uris.join(" "))
    };
    format!(
        "function_id: {}\ncode_hash: {}\n{code}\ntxhash: {}\nheight: {}",
        d.function_id, d.code_hash, d.txhash, d.height
    )
}

/// Checks, gzips (progress on stderr for large code), signs with `--from`, broadcasts a
/// `MsgDeployFunction`, waits for inclusion and returns the new function.
pub async fn deploy_function(
    ctx: &ClientContext,
    flags: &TxFlags,
    req: &DeployRequest<'_>,
) -> anyhow::Result<Deployed> {
    let key = flags.signer(ctx)?;
    let (wasm, label, replication, quorum) = (req.wasm, req.label, req.replication, req.quorum);
    if !wasm.starts_with(WASM_MAGIC) {
        bail!("{label} is not a WASM module (no \\0asm header): build it for wasm32-wasip1");
    }
    Manifest::from_json(req.manifest_json.as_bytes()).context("manifest")?;
    if replication == 0
        || quorum == 0
        || quorum > replication
        || quorum.saturating_mul(2) <= replication
    {
        bail!("--quorum {quorum} must be more than half of --replication {replication} (and at most it)");
    }
    let hash = orch::code_hash(wasm);
    let hash_hex = hex::encode(hash);
    let rpc = ctx.rpc()?;
    let params = orch::params(&rpc).await.ok().map(|p| p.params);
    let wasm_len = u64::try_from(wasm.len()).unwrap_or(u64::MAX);
    // Gzip only for code that may go on chain: with --ipfs the module is added as it is.
    let inline = if req.ipfs.ipfs {
        None
    } else {
        let show = wasm.len() >= PROGRESS_THRESHOLD;
        let gz = orch::gzip_wasm(wasm, |done, total| {
            if show {
                let pct = done.saturating_mul(100) / total.max(1);
                eprint!("\rcompressing {label}: {pct:>3}%");
            }
        })?;
        if show {
            eprintln!();
        }
        eprintln!(
            "code {hash_hex}: {} bytes of WASM, {} bytes gzipped",
            wasm.len(),
            gz.len()
        );
        let gz_len = u64::try_from(gz.len()).unwrap_or(u64::MAX);
        match &params {
            Some(p) if gz_len > p.max_code_bytes || wasm_len > p.max_wasm_bytes => {
                eprintln!(
                    "gzipped code is over the chain's inline cap (max_code_bytes {}): deploying through IPFS",
                    p.max_code_bytes
                );
                None
            }
            _ => Some(gz),
        }
    };
    let (code, source_uris, code_size) = match inline {
        Some(gz) => {
            let source_uris = bls_orchestration::source::canonical_sources(&req.ipfs.source_uris)
                .map_err(|e| anyhow::anyhow!("--source-uri: {e}"))?;
            if gz.len() > COMETBFT_DEFAULT_MAX_TX_BYTES {
                eprintln!(
                    "warning: the tx will exceed 1 MiB, CometBFT's default mempool.max_tx_bytes; the node may refuse it (or deploy with --ipfs)"
                );
            }
            eprintln!("uploading {} bytes to {}...", gz.len(), ctx.node);
            (gz, source_uris, 0)
        }
        None => {
            if let Some(p) = &params {
                if wasm_len > p.max_remote_wasm_bytes {
                    bail!(
                        "the module is {wasm_len} bytes, the chain accepts at most {} through IPFS (max_remote_wasm_bytes)",
                        p.max_remote_wasm_bytes
                    );
                }
            }
            let ipfs = crate::ipfs::IpfsClient::new(&req.ipfs.ipfs_api, IPFS_ADD_TIMEOUT)?;
            eprintln!(
                "code {hash_hex}: adding {} bytes to IPFS at {}...",
                wasm.len(),
                ipfs.url()
            );
            let cid = ipfs.add(wasm).await?;
            let mut source_uris = vec![format!("{}{cid}", bls_orchestration::source::IPFS_SCHEME)];
            source_uris.extend(req.ipfs.source_uris.iter().cloned());
            let source_uris = bls_orchestration::source::canonical_sources(&source_uris)
                .map_err(|e| anyhow::anyhow!("--source-uri: {e}"))?;
            eprintln!("added: {}", source_uris[0]);
            (Vec::new(), source_uris, wasm_len)
        }
    };
    let deployment = Deployment {
        wasm: code,
        code_hash: hash.to_vec(),
        source_uris,
        manifest_json: req.manifest_json.clone(),
        replication,
        quorum,
        code_size,
    };
    let code_on_chain = deployment.code_size == 0;
    let source_uris = deployment.source_uris.clone();
    let msg = msgs::deploy_function(key.address(), &deployment);
    let r = broadcast_and_wait(ctx, flags, &key, vec![msg]).await?;
    let resp: MsgDeployFunctionResponse = first_response(&r, MSG_DEPLOY_FUNCTION_RESPONSE)?;
    Ok(Deployed {
        function_id: resp.function_id,
        code_hash: resp.code_hash,
        code_on_chain,
        source_uris,
        txhash: r.hash,
        height: r.height,
    })
}

async fn invoke(
    ctx: &ClientContext,
    function_id: u64,
    input: Vec<u8>,
    args: Vec<String>,
    max_fee: &Coin,
    result_timeout: Duration,
    flags: &TxFlags,
) -> anyhow::Result<()> {
    match invoke_function(ctx, flags, function_id, 0, input, args, max_fee, result_timeout).await? {
        InvokeOutcome::Submitted(out) => ctx.emit(&out, |i| {
            format!(
                "job_id: {}\nworkers: {}\ntxhash: {}\nheight: {}\n(result: `blsd query orchestration result {}{}`, or invoke with --wait)",
                i.job_id,
                i.workers.join(", "),
                i.txhash,
                i.height,
                i.job_id,
                ctx.node_flags()
            )
        }),
        InvokeOutcome::Verified(v) => ctx.emit(v.as_ref(), verified_text),
        InvokeOutcome::Failed(f) => {
            ctx.emit(&f, |f| {
                format!("job {}: {}: {}", f.job_id, f.status, f.failure)
            })?;
            bail!("job {} failed: {}", f.job_id, f.failure);
        }
    }
}

/// How long adding code to IPFS may take.
const IPFS_ADD_TIMEOUT: Duration = Duration::from_secs(300);

/// How long an invoke waits for its job's assignment (the begin block after its inclusion).
pub const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Signs with `--from` and broadcasts a `MsgInvoke` (pinned to `version`, 0 for the latest),
/// waits for inclusion and for the workers
/// drawn in the next block, and with `flags.wait` for the job to end (up to
/// `result_timeout`), verifying its result against the job record.
#[allow(clippy::too_many_arguments)]
pub async fn invoke_function(
    ctx: &ClientContext,
    flags: &TxFlags,
    function_id: u64,
    version: u64,
    input: Vec<u8>,
    args: Vec<String>,
    max_fee: &Coin,
    result_timeout: Duration,
) -> anyhow::Result<InvokeOutcome> {
    let key = flags.signer(ctx)?;
    let msg = msgs::invoke_version(key.address(), function_id, version, input, args, max_fee);
    // Always wait for inclusion: the job id only exists once the tx is in a block.
    let mut inclusion = flags.clone();
    inclusion.wait = true;
    let r = broadcast_and_wait(ctx, &inclusion, &key, vec![msg]).await?;
    let resp: MsgInvokeResponse = first_response(&r, MSG_INVOKE_RESPONSE)?;
    let rpc = ctx.rpc()?;
    // The chain draws the workers in the next block, with randomness nobody knew when the
    // invoke was included.
    let assigned = orch::wait_assigned(&rpc, resp.job_id, ASSIGNMENT_TIMEOUT).await?;
    if assigned.status == JobStatus::Failed {
        return Ok(InvokeOutcome::Failed(JobFailed {
            job_id: assigned.id,
            status: assigned.status.as_str().to_string(),
            failure: assigned.failure.clone(),
        }));
    }
    let workers: Vec<String> = assigned
        .assignments
        .iter()
        .map(|a| a.worker.to_string())
        .collect();
    if !flags.wait {
        return Ok(InvokeOutcome::Submitted(Invoked {
            job_id: resp.job_id,
            workers,
            txhash: r.hash,
            height: r.height,
        }));
    }
    eprintln!(
        "job {} assigned to {}; waiting for the result...",
        resp.job_id,
        workers.join(", ")
    );
    let job = orch::wait_for_job(&rpc, resp.job_id, result_timeout).await?;
    if job.status != JobStatus::Finalized {
        return Ok(InvokeOutcome::Failed(JobFailed {
            job_id: job.id,
            status: job.status.as_str().to_string(),
            failure: job.failure.clone(),
        }));
    }
    let (result, job) = orch::result_with_job(&rpc, job.id).await?;
    let verified = orch::verify_result(&job, &result)?;
    Ok(InvokeOutcome::Verified(Box::new(verified)))
}

/// Text rendering of a verified result; stdout comes last, verbatim.
pub fn verified_text(v: &VerifiedResult) -> String {
    let status = match (&v.exit_code, &v.trap) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(t)) => format!("trapped: {t}"),
        (None, None) => "unknown".to_string(),
    };
    let mut s = format!(
        "job: {}\nstatus: {} ({status})\nresult_hash: {}\nworkers: {} of {} agreed (quorum {}): {}\nfee: {}\nfuel_used: {}\nheight: {}",
        v.job_id,
        v.status,
        v.result_hash,
        v.workers.len(),
        v.replication,
        v.quorum,
        v.workers.join(", "),
        v.fee,
        v.fuel_used,
        v.height
    );
    if !v.stderr.is_empty() {
        s.push_str(&format!(
            "\n--- stderr{} ---\n{}",
            if v.stderr_truncated {
                " (truncated)"
            } else {
                ""
            },
            v.stderr
        ));
    }
    s.push_str(&format!(
        "\n--- stdout{} ---\n{}",
        if v.stdout_truncated {
            " (truncated)"
        } else {
            ""
        },
        v.stdout
    ));
    s
}
