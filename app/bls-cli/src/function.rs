//! `bls function init|build|run|deploy|invoke|list|show|retire`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::tx_orchestration::{
    deploy_function, invoke_function, parse_fee, verified_text, DeployRequest, Deployed,
    InvokeOutcome,
};
use bls_client::cli::ClientContext;
use bls_client::msgs;
use bls_client::orchestration::{self as orch, u64_as_string};
use bls_orchestration::queries::FunctionsRequest;
use bls_orchestration::state::Function;
use bls_runtime::{
    outcome_json, run_local, write_outcome_text, BlockTime, HttpSection, LocalOutcome, LocalRun,
    Manifest as WorkerManifest,
};
use serde::Serialize;

use crate::build::{build, report, report_text};
use crate::cli::{BuildArgs, SignArgs};
use crate::errors::{explain, CliError};
use crate::project::{validate_name, Project, MANIFEST_FILE};
use crate::signer::{require_funds, signer, tx_flags};
use crate::template;

/// What `bls function init` created.
#[derive(Debug, Serialize)]
pub struct Initialized {
    /// Function name.
    pub name: String,
    /// Project directory.
    pub dir: PathBuf,
    /// The SDK the project depends on.
    pub sdk_path: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<String>,
}

/// `bls function init NAME [--dir DIR] [--sdk-path SDK]`.
pub fn init(
    ctx: &ClientContext,
    name: &str,
    dir: Option<&Path>,
    sdk_flag: Option<&Path>,
) -> anyhow::Result<()> {
    validate_name(name)?;
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    if dir.exists() {
        let empty = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            return Err(CliError::DirNotEmpty { dir }.into());
        }
    }
    let sdk = template::find_sdk(sdk_flag, &dir)?;
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("Cargo.toml", template::cargo_toml(name, &sdk)),
        ("src/main.rs", template::main_rs(name)),
        (MANIFEST_FILE, template::bls_toml(name)),
        (".gitignore", template::GITIGNORE.to_string()),
    ];
    for (file, text) in &files {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let out = Initialized {
        name: name.to_string(),
        dir,
        sdk_path: sdk,
        files: files.iter().map(|(f, _)| (*f).to_string()).collect(),
    };
    ctx.emit(&out, |i| {
        format!(
            "created function project {} in {} ({})\nbls-sdk: {}\nnext:\n  cd {}\n  bls function run --stdin Ada     # build and run locally, as a worker would\n  bls function deploy --from KEY   # then: bls function invoke ID --input Ada --wait --from KEY",
            i.name,
            i.dir.display(),
            i.files.join(", "),
            i.sdk_path.display(),
            i.dir.display()
        )
    })
}

/// `bls function build`.
pub fn build_cmd(ctx: &ClientContext, dir: &Path, b: &BuildArgs) -> anyhow::Result<()> {
    let project = Project::find(dir)?;
    let r = build(&project, b.offline)?;
    ctx.emit(&r, report_text)
}

/// Builds (unless `no_build`) and returns the project and its WASM bytes.
fn built_code(dir: &Path, no_build: bool, b: &BuildArgs) -> anyhow::Result<(Project, Vec<u8>)> {
    let project = Project::find(dir)?;
    if no_build {
        report(&project)?;
    } else {
        let r = build(&project, b.offline)?;
        eprintln!(
            "built {} ({} bytes, code hash {})",
            r.wasm.display(),
            r.size,
            r.code_hash
        );
    }
    let wasm = project.wasm_path();
    let code = std::fs::read(&wasm).map_err(|_| CliError::NotBuilt { path: wasm })?;
    Ok((project, code))
}

/// Arguments of `bls function run`.
#[derive(Debug)]
pub struct RunRequest<'a> {
    /// Project directory.
    pub dir: &'a Path,
    /// Input text.
    pub stdin: Option<String>,
    /// Input file.
    pub input: Option<PathBuf>,
    /// Invocation args.
    pub args: Vec<String>,
    /// Job id (hex).
    pub job_id: Option<String>,
    /// Block time.
    pub block_time: u64,
    /// Local HTTP opt-ins (`--resolve`, `--allow-private-http`).
    pub http: HttpSection,
    /// Skip the build.
    pub no_build: bool,
    /// Build options.
    pub build: &'a BuildArgs,
}

/// `bls function run`: the worker runtime on the project's WASM with bls.toml's manifest.
pub fn run(ctx: &ClientContext, req: RunRequest<'_>) -> anyhow::Result<()> {
    let input = match (req.stdin, &req.input) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(path)) => {
            std::fs::read(path).with_context(|| format!("reading input file {}", path.display()))?
        }
        (None, None) => Vec::new(),
    };
    let job_id = match &req.job_id {
        None => [0u8; 32],
        Some(h) => hex::decode(h)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .context("--job-id must be 64 hex characters")?,
    };
    let http = req
        .http
        .runtime_config()
        .map_err(|e| anyhow::anyhow!("--allow-private-http / --resolve: {e}"))?;
    let (project, code) = built_code(req.dir, req.no_build, req.build)?;
    // Through JSON, as a worker receives it from the chain.
    let manifest_json = project.config.manifest_json()?;
    let manifest = WorkerManifest::from_json(manifest_json.as_bytes())
        .with_context(|| format!("manifest of {}", project.dir.join(MANIFEST_FILE).display()))?;
    let LocalOutcome { code_hash, outcome } = run_local(LocalRun {
        code,
        manifest,
        input,
        args: req.args,
        job_id,
        block_time: BlockTime {
            seconds: req.block_time,
            nanos: 0,
        },
        data_dir: None,
        cache_dir: None,
        http,
    })?;
    let json = outcome_json(&outcome, &code_hash);
    ctx.emit(&json, |_| {
        let mut text = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = write_outcome_text(&mut text, &outcome, &code_hash);
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// What `bls function deploy` prints.
#[derive(Debug, Serialize)]
struct DeployedView {
    name: String,
    #[serde(flatten)]
    deployed: Deployed,
}

/// `bls function deploy`.
pub async fn deploy(
    ctx: &ClientContext,
    from: Option<&str>,
    dir: &Path,
    no_build: bool,
    b: &BuildArgs,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    // Key, node and funds first: no build when the deploy cannot happen anyway.
    let project = Project::find(dir)?;
    let key = signer(ctx, from)?;
    let addr = key.address().to_string();
    let signed = async {
        require_funds(ctx, &key).await?;
        let (project, code) = built_code(&project.dir, no_build, b)?;
        let flags = tx_flags(&key, sign, true)?;
        let wasm = project.wasm_path().display().to_string();
        let deployed = deploy_function(
            ctx,
            &flags,
            &DeployRequest {
                wasm: &code,
                label: &wasm,
                manifest_json: project.config.manifest_json()?,
                replication: project.config.replication,
                quorum: project.config.quorum,
                source_uris: Vec::new(),
            },
        )
        .await?;
        anyhow::Ok(DeployedView {
            name: project.config.name.clone(),
            deployed,
        })
    };
    let out = signed
        .await
        .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    ctx.emit(&out, |d| {
        format!(
            "deployed {} as function {}\nfunction_id: {}\ncode_hash: {}\ntxhash: {}\nheight: {}\ninvoke it: bls function invoke {} --input Ada --wait",
            d.name,
            d.deployed.function_id,
            d.deployed.function_id,
            d.deployed.code_hash,
            d.deployed.txhash,
            d.deployed.height,
            d.deployed.function_id
        )
    })
}

/// `--max-fee` of `bls function invoke --fast` when none is given.
pub const FAST_DEFAULT_MAX_FEE: &str = "1000000ubls";

/// Arguments of `bls function invoke`.
#[derive(Debug)]
pub struct InvokeRequest<'a> {
    /// Function id.
    pub id: u64,
    /// Input text.
    pub input: Option<String>,
    /// Input file.
    pub input_file: Option<PathBuf>,
    /// Invocation args.
    pub args: Vec<String>,
    /// `--env KEY=VALUE` pairs (fast path only).
    pub env: Vec<(String, String)>,
    /// Max fee, e.g. `1000000ubls` (`None`: [`FAST_DEFAULT_MAX_FEE`] with `fast`, else the
    /// job's worst-case fee).
    pub max_fee: Option<&'a str>,
    /// Wait for the result.
    pub wait: bool,
    /// Result timeout.
    pub timeout: Duration,
    /// Through a head worker instead of the chain.
    pub fast: bool,
    /// Head API URL (for `fast`).
    pub head: Option<String>,
    /// Where to write the head's signed answer with the signed request (for `fast`).
    pub save: Option<PathBuf>,
    /// Blocks the fast request stays valid (`None`: the client default).
    pub expires_in: Option<u64>,
    /// Signing options.
    pub sign: &'a SignArgs,
}

/// `bls function invoke`.
pub async fn invoke(
    ctx: &ClientContext,
    from: Option<&str>,
    req: InvokeRequest<'_>,
) -> anyhow::Result<()> {
    let input = match (req.input, &req.input_file) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(path)) => {
            std::fs::read(path).with_context(|| format!("reading input file {}", path.display()))?
        }
        (None, None) => Vec::new(),
    };
    let key = signer(ctx, from)?;
    let addr = key.address().to_string();
    if req.fast {
        let max_fee = parse_fee(req.max_fee.unwrap_or(FAST_DEFAULT_MAX_FEE))?;
        let head = req.head.ok_or(CliError::NoHead)?;
        let stdin = String::from_utf8(input)
            .map_err(|_| anyhow::anyhow!("--fast carries the input as text: it must be UTF-8"))?;
        let mut env = std::collections::BTreeMap::new();
        for (k, v) in req.env {
            if env.insert(k.clone(), v).is_some() {
                anyhow::bail!("--env {k} is given twice");
            }
        }
        return crate::fast::invoke(
            ctx,
            &key,
            crate::fast::FastInvoke {
                head,
                function_id: req.id,
                stdin,
                args: req.args,
                env,
                max_fee: max_fee.amount,
                timeout: req.timeout,
                save: req.save,
                expires_in: req.expires_in,
            },
        )
        .await
        .map_err(|e| explain(e, &ctx.node, Some(&addr)));
    }
    let outcome = async {
        let max_fee = match req.max_fee {
            Some(s) => parse_fee(s)?,
            None => bls_core::Coin::ubls(orch::worst_case_fee(&ctx.rpc()?, req.id).await?),
        };
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, req.sign, req.wait)?;
        invoke_function(ctx, &flags, req.id, input, req.args, &max_fee, req.timeout).await
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    match outcome {
        InvokeOutcome::Submitted(i) => ctx.emit(&i, |i| {
            format!(
                "job_id: {}\nworkers: {}\ntxhash: {}\nheight: {}\n(not waiting for the result: invoke with --wait)",
                i.job_id,
                i.workers.join(", "),
                i.txhash,
                i.height
            )
        }),
        InvokeOutcome::Verified(v) => ctx.emit(v.as_ref(), verified_text),
        InvokeOutcome::Failed(f) => {
            ctx.emit(&f, |f| format!("job {}: {}: {}", f.job_id, f.status, f.failure))?;
            anyhow::bail!("job {} failed: {}", f.job_id, f.failure)
        }
    }
}

/// A function as `bls function list|show` prints it.
#[derive(Debug, Serialize)]
pub struct FunctionView {
    /// Id (a string in JSON, like uint64 in Cosmos JSON).
    #[serde(serialize_with = "u64_as_string")]
    pub function_id: u64,
    /// Owner address.
    pub owner: String,
    /// `active` or `retired`.
    pub status: String,
    /// Hex sha256 of the WASM.
    pub code_hash: String,
    /// Replication.
    pub replication: u32,
    /// Quorum.
    pub quorum: u32,
    /// Version (1 + updates).
    pub version: u64,
    /// Deployment height.
    pub created_height: u64,
    /// The deployed manifest.
    pub manifest: serde_json::Value,
    /// Workers of its subnetwork (`show` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<Vec<String>>,
}

fn view(f: &Function, workers: Option<Vec<String>>) -> FunctionView {
    FunctionView {
        function_id: f.id,
        owner: f.owner.to_string(),
        status: serde_json::to_value(f.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        code_hash: f.code_hash.clone(),
        replication: f.replication,
        quorum: f.quorum,
        version: f.version,
        created_height: f.created_height,
        manifest: serde_json::from_str(&f.manifest_json)
            .unwrap_or(serde_json::Value::String(f.manifest_json.clone())),
        workers,
    }
}

fn view_line(v: &FunctionView) -> String {
    format!(
        "{}  {}  {}/{}  {}  owner {}",
        v.function_id, v.status, v.quorum, v.replication, v.code_hash, v.owner
    )
}

/// The page `bls function list` prints.
#[derive(Debug, Serialize)]
struct FunctionList {
    functions: Vec<FunctionView>,
    /// Pass as --start-after for the next page.
    next: Option<String>,
}

/// `bls function list`.
pub async fn list(
    ctx: &ClientContext,
    owner: Option<String>,
    mine_from: Option<&str>,
    start_after: Option<u64>,
    limit: u32,
) -> anyhow::Result<()> {
    let owner = match mine_from {
        Some(from) => Some(signer(ctx, Some(from))?.address().to_string()),
        None => owner,
    };
    let rpc = ctx.rpc()?;
    let page = orch::functions(
        &rpc,
        &FunctionsRequest {
            owner,
            start_after,
            limit: Some(limit),
        },
    )
    .await?;
    let out = FunctionList {
        functions: page.functions.iter().map(|f| view(f, None)).collect(),
        next: page.next.map(|n| n.to_string()),
    };
    ctx.emit(&out, |l| {
        if l.functions.is_empty() {
            return "no functions deployed yet: `bls function deploy` in a function project".into();
        }
        let mut s = String::from("id  status  quorum/replication  code_hash  owner");
        for f in &l.functions {
            s.push('\n');
            s.push_str(&view_line(f));
        }
        if let Some(n) = &l.next {
            s.push_str(&format!("\n(more: --start-after {n})"));
        }
        s
    })
}

/// `bls function show ID`.
pub async fn show(ctx: &ClientContext, id: u64) -> anyhow::Result<()> {
    let rpc = ctx.rpc()?;
    let r = orch::function(&rpc, id).await?;
    let workers = r
        .subnetwork
        .map(|s| s.workers.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let v = view(&r.function, Some(workers));
    ctx.emit(&v, |v| {
        format!(
            "function_id: {}\nstatus: {}\nowner: {}\ncode_hash: {}\nreplication: {}\nquorum: {}\nversion: {}\ncreated_height: {}\nworkers: {}\nmanifest: {}",
            v.function_id,
            v.status,
            v.owner,
            v.code_hash,
            v.replication,
            v.quorum,
            v.version,
            v.created_height,
            v.workers.as_deref().unwrap_or_default().join(", "),
            v.manifest
        )
    })
}

/// What `bls function retire` prints.
#[derive(Debug, Serialize)]
struct Retired {
    #[serde(serialize_with = "u64_as_string")]
    function_id: u64,
    status: &'static str,
    txhash: String,
    height: u64,
}

/// `bls function retire ID`.
pub async fn retire(
    ctx: &ClientContext,
    from: Option<&str>,
    id: u64,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let key = signer(ctx, from)?;
    let addr = key.address().to_string();
    let r = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        broadcast_and_wait(
            ctx,
            &flags,
            &key,
            vec![msgs::retire_function(key.address(), id)],
        )
        .await
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    let out = Retired {
        function_id: id,
        status: "retired",
        txhash: r.hash,
        height: r.height,
    };
    ctx.emit(&out, |o| {
        format!(
            "function {} retired (txhash {}, height {})",
            o.function_id, o.txhash, o.height
        )
    })
}
