//! `bls function init|build|run|deploy|invoke|list|show|retire`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use bls_client::cli::context::{shell_word, table};
use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::tx_orchestration::{
    deploy_function, invoke_function, parse_fee, verified_text, DeployRequest, Deployed,
    InvokeOutcome, IpfsFlags,
};
use bls_client::cli::ClientContext;
use bls_client::msgs;
use bls_client::orchestration::{self as orch, u64_as_string};
use bls_orchestration::queries::FunctionsRequest;
use bls_orchestration::state::Function;
use bls_runtime::{
    outcome_json, run_local, write_outcome_text, BlockTime, HttpSection, LocalCallee, LocalOutcome,
    LocalRun, Manifest as WorkerManifest,
};
use serde::Serialize;

use crate::build::{build, report, report_text};
use crate::cli::{BuildArgs, SignArgs};
use crate::errors::{explain, CliError};
use crate::project::{validate_name, Lang, Project, MANIFEST_FILE};
use crate::signer::{require_confirmable, require_funds, signer, tx_flags};
use crate::template;

/// What `bls function init` created.
#[derive(Debug, Serialize)]
pub struct Initialized {
    /// Function name.
    pub name: String,
    /// Project directory.
    pub dir: PathBuf,
    /// The language.
    pub lang: Lang,
    /// The SDK the project depends on (for Go and C, its copy inside the project).
    pub sdk_path: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<String>,
}

/// `bls function init NAME [--lang L] [--dir DIR] [--sdk-path SDK | --vendor-sdk]`.
pub fn init(
    ctx: &ClientContext,
    from: Option<&str>,
    name: &str,
    lang: Lang,
    dir: Option<&Path>,
    (sdk_flag, vendor_sdk): (Option<&Path>, bool),
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
    let (sdk, files): (PathBuf, Vec<(String, String)>) = match lang {
        Lang::Rust => {
            // A checkout's SDK when there is one (and not --vendor-sdk); else a copy inside.
            let found = if vendor_sdk {
                None
            } else {
                match template::find_sdk(sdk_flag, &dir) {
                    Ok(sdk) => Some(sdk),
                    // An SDK named explicitly must be there.
                    Err(e)
                        if sdk_flag.is_some() || std::env::var_os(template::SDK_ENV).is_some() =>
                    {
                        return Err(e.into())
                    }
                    Err(_) => None,
                }
            };
            let (sdk, mut files) = match found {
                Some(sdk) => {
                    let toml = template::cargo_toml(name, &sdk);
                    (sdk, vec![("Cargo.toml".into(), toml)])
                }
                None => {
                    let mut files = vec![(
                        "bls-sdk/Cargo.toml".into(),
                        template::vendored_sdk_cargo_toml(),
                    )];
                    files.extend(
                        template::RUST_SDK_FILES
                            .iter()
                            .map(|(f, text)| (format!("bls-sdk/src/{f}"), (*text).to_string())),
                    );
                    // Relative: the project moves with its copy.
                    files.push((
                        "Cargo.toml".into(),
                        template::cargo_toml(name, Path::new("bls-sdk")),
                    ));
                    (dir.join("bls-sdk"), files)
                }
            };
            files.push(("src/main.rs".into(), template::main_rs(name)));
            (sdk, files)
        }
        // Go and C carry their SDK inside the project: no checkout needed.
        Lang::Go => (
            dir.join("bls"),
            vec![
                ("go.mod".into(), template::go_mod(name)),
                ("main.go".into(), template::main_go(name)),
                ("bls/bls.go".into(), template::GO_SDK.to_string()),
            ],
        ),
        Lang::C => (
            dir.join("src/bls.h"),
            vec![
                ("src/main.c".into(), template::main_c(name)),
                ("src/bls.h".into(), template::C_SDK.to_string()),
            ],
        ),
        Lang::AssemblyScript => (
            dir.join("assembly/bls.ts"),
            vec![
                ("package.json".into(), template::package_json(name)),
                ("asconfig.json".into(), template::asconfig_json(name)),
                ("assembly/index.ts".into(), template::index_ts(name)),
                ("assembly/bls.ts".into(), template::AS_SDK.to_string()),
            ],
        ),
    };
    let files: Vec<(String, String)> = files
        .into_iter()
        .chain([
            (MANIFEST_FILE.into(), template::bls_toml(name, lang)),
            (".gitignore".into(), template::GITIGNORE.to_string()),
        ])
        .collect();
    for (file, text) in &files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let out = Initialized {
        name: name.to_string(),
        dir,
        lang,
        sdk_path: sdk,
        files: files.into_iter().map(|(f, _)| f).collect(),
    };
    ctx.emit(&out, |i| {
        format!(
            "created {} function project {} in {} ({})\nSDK: {}\nnext:\n  cd {}\n  bls function run --stdin Ada     # build and run locally, as a worker would\n  bls function deploy --from {key} --yes{flags}   # prints the function id and how to invoke it",
            i.lang.as_str(),
            i.name,
            i.dir.display(),
            i.files.join(", "),
            i.sdk_path.display(),
            shell_word(&i.dir.display().to_string()),
            key = from.map(shell_word).unwrap_or_else(|| "KEY".into()),
            flags = ctx.signing_flags(),
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
    /// Functions it may call, `ID=DIR` (`--callee`).
    pub callees: Vec<String>,
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
    let manifest = worker_manifest(&project)?;
    let mut callees = Vec::with_capacity(req.callees.len());
    for spec in &req.callees {
        let (id, dir) = spec
            .split_once('=')
            .and_then(|(id, dir)| Some((id.parse::<u64>().ok()?, dir)))
            .with_context(|| format!("--callee {spec:?}: expected ID=DIR, e.g. 7=../upper"))?;
        let (callee, code) = built_code(Path::new(dir), req.no_build, req.build)
            .with_context(|| format!("--callee {spec}"))?;
        callees.push(LocalCallee {
            function_id: id,
            version: 1,
            code,
            manifest: worker_manifest(&callee)?,
        });
    }
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
        callees,
    })?;
    let json = outcome_json(&outcome, &code_hash);
    ctx.emit(&json, |_| {
        let mut text = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = write_outcome_text(&mut text, &outcome, &code_hash);
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// A project's manifest as a worker reads it: through JSON, as it comes from the chain.
fn worker_manifest(project: &Project) -> anyhow::Result<WorkerManifest> {
    let manifest_json = project.config.manifest_json()?;
    WorkerManifest::from_json(manifest_json.as_bytes())
        .with_context(|| format!("manifest of {}", project.dir.join(MANIFEST_FILE).display()))
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
    ipfs: &IpfsFlags,
) -> anyhow::Result<()> {
    // Key, node and funds first: no build when the deploy cannot happen anyway.
    let project = Project::find(dir)?;
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
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
                ipfs: ipfs.clone(),
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
    let from = from.unwrap_or(&addr);
    ctx.emit(&out, |d| deployed_text(ctx, from, d))
}

/// The text `bls function deploy` prints, ending with the command that invokes the new
/// function as printed: same key, node and keyring.
fn deployed_text(ctx: &ClientContext, from: &str, d: &DeployedView) -> String {
    format!(
        "deployed {} as function {}\n{}\ninvoke it: {}",
        d.name,
        d.deployed.function_id,
        bls_client::cli::tx_orchestration::deployed_text(&d.deployed),
        invoke_hint(ctx, d.deployed.function_id, from)
    )
}

/// `bls function invoke ID ...` for function `id`, signed by `from`, complete enough to run
/// as printed (also without a terminal: it carries --yes).
pub fn invoke_hint(ctx: &ClientContext, id: u64, from: &str) -> String {
    format!(
        "bls function invoke {id} --input Ada --wait --from {} --yes{}",
        shell_word(from),
        ctx.signing_flags()
    )
}

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
    /// Max fee, e.g. `1000000ubls` (`None`: what it costs now — with `fast` the fast-path fee
    /// plus a listed price, else the job's worst-case fee plus a listed price).
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
    /// Request-scoped secrets (for `fast`), sealed to the function's workers.
    pub secrets: Vec<(String, String)>,
    /// Blocks the fast request stays valid (`None`: the client default).
    pub expires_in: Option<u64>,
    /// The function version to pin (on chain; `None`: the latest).
    pub version: Option<u64>,
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
        let max_fee = req.max_fee.map(parse_fee).transpose()?.map(|c| c.amount);
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
                secrets: req.secrets,
                max_fee,
                timeout: req.timeout,
                save: req.save,
                expires_in: req.expires_in,
            },
        )
        .await
        .map_err(|e| explain(e, &ctx.node, Some(&addr)));
    }
    require_confirmable(req.sign)?;
    let outcome = async {
        let max_fee = match req.max_fee {
            Some(s) => parse_fee(s)?,
            None => bls_core::Coin::ubls(orch::worst_case_fee(&ctx.rpc()?, req.id).await?),
        };
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, req.sign, req.wait)?;
        invoke_function(
            ctx,
            &flags,
            req.id,
            req.version.unwrap_or(0),
            input,
            req.args,
            &max_fee,
            req.timeout,
        )
        .await
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
            owner: owner.clone(),
            start_after,
            limit: Some(limit),
        },
    )
    .await?;
    let out = FunctionList {
        functions: page.functions.iter().map(|f| view(f, None)).collect(),
        next: page.next.map(|n| n.to_string()),
    };
    let more_flags = format!(
        " --limit {limit}{}{}",
        owner
            .as_deref()
            .map(|o| format!(" --owner {o}"))
            .unwrap_or_default(),
        ctx.node_flags()
    );
    ctx.emit(&out, |l| list_text(l, &more_flags))
}

/// `bls function list` as an aligned table; `more_flags` continue the listing on the next
/// page.
fn list_text(l: &FunctionList, more_flags: &str) -> String {
    if l.functions.is_empty() {
        return "no functions deployed yet: `bls function deploy` in a function project".into();
    }
    let rows: Vec<Vec<String>> = l
        .functions
        .iter()
        .map(|f| {
            vec![
                f.function_id.to_string(),
                f.status.clone(),
                format!("{}/{}", f.quorum, f.replication),
                f.code_hash.clone(),
                f.owner.clone(),
            ]
        })
        .collect();
    let mut s = table(&["ID", "STATUS", "QUORUM", "CODE_HASH", "OWNER"], &rows);
    if let Some(n) = &l.next {
        s.push_str(&format!(
            "\n(more: bls function list --start-after {n}{more_flags})"
        ));
    }
    s
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
    require_confirmable(sign)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser as _;

    /// Splits a printed command into words, honouring the single quotes `shell_word` adds.
    fn words(cmd: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        let mut any = false;
        for c in cmd.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    any = true;
                }
                ' ' if !quoted => {
                    if any {
                        out.push(std::mem::take(&mut cur));
                        any = false;
                    }
                }
                c => {
                    cur.push(c);
                    any = true;
                }
            }
        }
        if any {
            out.push(cur);
        }
        out
    }

    #[test]
    fn the_deploy_hint_runs_as_printed() {
        let mut ctx = ClientContext::new("http://127.0.0.1:36657", "/tmp/my keys");
        ctx.chain_id = Some("bls-test".into());
        let view = DeployedView {
            name: "hello".into(),
            deployed: bls_client::cli::tx_orchestration::Deployed {
                function_id: 7,
                code_hash: "ab".repeat(32),
                code_on_chain: true,
                source_uris: vec![],
                txhash: "CD".repeat(32),
                height: 12,
            },
        };
        let text = deployed_text(&ctx, "dev", &view);
        let hint = text
            .lines()
            .find_map(|l| l.strip_prefix("invoke it: "))
            .unwrap_or_else(|| panic!("no hint in {text}"));
        let cli = Cli::try_parse_from(words(hint)).unwrap_or_else(|e| panic!("{hint}: {e}"));
        // What the deploy used: the key, the node, the chain and the keyring it was found in.
        assert_eq!(cli.from.as_deref(), Some("dev"), "{hint}");
        assert_eq!(cli.client.node, "http://127.0.0.1:36657", "{hint}");
        assert_eq!(cli.client.chain_id.as_deref(), Some("bls-test"), "{hint}");
        assert_eq!(
            cli.client.keyring_dir.as_deref(),
            Some(Path::new("/tmp/my keys")),
            "{hint}"
        );
        let Command::Function(f) = cli.cmd else {
            panic!("{hint}: not a function command")
        };
        let crate::cli::FunctionSub::Invoke { id, wait, sign, .. } = f.cmd else {
            panic!("{hint}: not an invoke")
        };
        assert_eq!(id, 7);
        // It waits for the result and runs without a terminal too.
        assert!(wait && sign.yes, "{hint}");
    }

    #[test]
    fn the_deploy_hint_omits_default_flags() {
        let ctx = ClientContext::new(
            bls_client::rpc::DEFAULT_NODE,
            bls_client::Keyring::default_dir(),
        );
        assert_eq!(
            invoke_hint(&ctx, 3, "dev"),
            "bls function invoke 3 --input Ada --wait --from dev --yes"
        );
    }

    #[test]
    fn function_list_is_an_aligned_table() {
        let f = |id: u64, status: &str, owner: &str| FunctionView {
            function_id: id,
            owner: owner.into(),
            status: status.into(),
            code_hash: "ab".repeat(32),
            replication: 3,
            quorum: 2,
            version: 1,
            created_height: 1,
            manifest: serde_json::Value::Null,
            workers: None,
        };
        let l = FunctionList {
            functions: vec![f(1, "active", "bls1aaa"), f(12, "retired", "bls1bbb")],
            next: Some("12".into()),
        };
        let text = list_text(&l, " --limit 2");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("ID  STATUS   QUORUM  CODE_HASH"),
            "{text}"
        );
        // Every column starts at the same offset on every line.
        for col in ["STATUS", "QUORUM", "CODE_HASH", "OWNER"] {
            let at = lines[0].find(col).unwrap();
            for l in &lines[1..3] {
                assert_ne!(&l[at..at + 1], " ", "{col} misaligned:\n{text}");
                assert_eq!(&l[at - 1..at], " ", "{col} misaligned:\n{text}");
            }
        }
        assert!(lines[1].ends_with("  bls1aaa"), "{text}");
        assert!(!text.contains("owner bls1"), "{text}");
        assert_eq!(
            lines[3],
            "(more: bls function list --start-after 12 --limit 2)"
        );
    }
}
