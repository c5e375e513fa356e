//! `bls function build`: the project's compiler for `wasm32-wasip1` (cargo for Rust, `go
//! build` for Go, clang with wasi-libc for C, asc with the WASI shim for AssemblyScript), then
//! what was built.

use std::path::{Path, PathBuf};
use std::process::Command;

use bls_client::orchestration::{code_hash, gzip_wasm};
use serde::Serialize;

use crate::errors::CliError;
use crate::project::{Lang, Project, WASM_TARGET};

/// What a build produced (stable JSON field names).
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// Function name.
    pub name: String,
    /// Path of the WASM module.
    pub wasm: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its gzipped size (what a deploy uploads).
    pub gzip_size: u64,
    /// Hex sha256 of the WASM: the code hash the chain stores.
    pub code_hash: String,
}

/// The compiler cargo will use: `$RUSTC`, else `rustc`.
fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string())
}

/// Fails with [`CliError::TargetMissing`] unless the toolchain used in `dir` has the
/// `wasm32-wasip1` standard library.
pub fn check_target(dir: &Path) -> Result<(), CliError> {
    let rustc = rustc();
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .current_dir(dir)
        .output()
        .map_err(|e| CliError::NoRust {
            rustc: rustc.clone(),
            detail: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(CliError::NoRust {
            rustc,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let lib = sysroot.join("lib/rustlib").join(WASM_TARGET);
    if lib.is_dir() {
        Ok(())
    } else {
        Err(CliError::TargetMissing { missing: lib })
    }
}

/// Builds the project (the compiler's progress on stderr) and reports the artifact, always at
/// [`Project::wasm_path`].
pub fn build(project: &Project, offline: bool) -> anyhow::Result<BuildReport> {
    let out = project.wasm_path();
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let (tool, mut cmd, install) = match project.config.lang {
        Lang::Rust => {
            check_target(&project.dir)?;
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
            let mut cmd = Command::new(&cargo);
            cmd.args(["build", "--release", "--target", WASM_TARGET, "--bin"])
                .arg(&project.config.name)
                .arg("--target-dir")
                .arg(project.target_dir())
                // A host build's target or flags (e.g. set by an outer cargo) must not leak in.
                .env_remove("CARGO_BUILD_TARGET")
                .env_remove("CARGO_ENCODED_RUSTFLAGS");
            if offline {
                cmd.arg("--offline");
            }
            (
                format!("{cargo} build"),
                cmd,
                "install Rust with rustup (https://rustup.rs)",
            )
        }
        Lang::Go => {
            let mut cmd = Command::new("go");
            // Reproducible: no paths or build ids in the binary, the local toolchain only (a
            // toolchain download would make the build depend on the network).
            cmd.args(["build", "-trimpath", "-ldflags=-s -w -buildid=", "-o"])
                .arg(&out)
                .arg(".")
                .env("GOOS", "wasip1")
                .env("GOARCH", "wasm")
                .env("GOTOOLCHAIN", "local")
                .env("CGO_ENABLED", "0");
            if offline {
                cmd.env("GOPROXY", "off");
            }
            (
                "go build".to_string(),
                cmd,
                "install Go 1.21 or later (https://go.dev/dl)",
            )
        }
        Lang::C => {
            let sources = c_sources(&project.dir)?;
            let mut cmd = Command::new("clang");
            cmd.args(["--target=wasm32-wasi", "-O2", "-Wall", "-o"])
                .arg(&out)
                .args(&sources);
            (
                "clang".to_string(),
                cmd,
                "install clang, lld and wasi-libc (Debian: apt-get install clang lld wasi-libc \
                 libclang-rt-14-dev-wasm32; scripts/install does)",
            )
        }
        Lang::AssemblyScript => {
            install_npm_packages(&project.dir, offline)?;
            let mut cmd = Command::new("node");
            cmd.arg(project.dir.join("node_modules/assemblyscript/bin/asc.js"))
                .args(["assembly/index.ts", "--target", "release"]);
            (
                "asc".to_string(),
                cmd,
                "install Node.js and npm (https://nodejs.org)",
            )
        }
    };
    cmd.current_dir(&project.dir).stdout(to_stderr()?);
    let status = cmd.status().map_err(|e| CliError::NoCompiler {
        tool: tool.clone(),
        detail: e.to_string(),
        install: install.to_string(),
    })?;
    if !status.success() {
        return Err(CliError::BuildFailed {
            tool,
            dir: project.dir.clone(),
        }
        .into());
    }
    report(project)
}

/// Installs an AssemblyScript project's compiler (its package.json) into `node_modules` unless
/// it is there; `offline`: from npm's cache only.
fn install_npm_packages(dir: &Path, offline: bool) -> anyhow::Result<()> {
    if dir.join("node_modules/assemblyscript/bin/asc.js").is_file()
        && dir
            .join("node_modules/@assemblyscript/wasi-shim/asconfig.json")
            .is_file()
    {
        return Ok(());
    }
    eprintln!(
        "installing the AssemblyScript compiler (npm install) in {}",
        dir.display()
    );
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir)
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .stdout(to_stderr()?);
    if offline {
        cmd.arg("--offline");
    }
    let status = cmd.status().map_err(|e| CliError::NoCompiler {
        tool: "npm".into(),
        detail: e.to_string(),
        install: "install Node.js and npm (https://nodejs.org)".into(),
    })?;
    if !status.success() {
        return Err(CliError::BuildFailed {
            tool: if offline {
                "npm install --offline (is the compiler in npm's cache? scripts/install puts it there)"
                    .into()
            } else {
                "npm install".into()
            },
            dir: dir.to_path_buf(),
        }
        .into());
    }
    Ok(())
}

/// Our stderr, for a compiler's stdout: what `bls` prints on stdout is its own answer (JSON
/// with `--output json`), never a tool's chatter.
fn to_stderr() -> std::io::Result<std::process::Stdio> {
    use std::os::fd::AsFd as _;
    Ok(std::io::stderr().as_fd().try_clone_to_owned()?.into())
}

/// The C sources of a project: every `src/*.c`, in name order.
fn c_sources(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let src = dir.join("src");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    anyhow::ensure!(!sources.is_empty(), "no C sources in {}", src.display());
    Ok(sources)
}

/// Describes the built WASM (size, gzip size, code hash).
pub fn report(project: &Project) -> anyhow::Result<BuildReport> {
    let wasm = project.wasm_path();
    let code = std::fs::read(&wasm).map_err(|_| CliError::NotBuilt { path: wasm.clone() })?;
    let gz = gzip_wasm(&code, |_, _| {})?;
    Ok(BuildReport {
        name: project.config.name.clone(),
        size: u64::try_from(code.len()).unwrap_or(u64::MAX),
        gzip_size: u64::try_from(gz.len()).unwrap_or(u64::MAX),
        code_hash: hex::encode(code_hash(&code)),
        wasm,
    })
}

/// Text form of a report.
pub fn report_text(r: &BuildReport) -> String {
    format!(
        "built {}\nwasm: {}\nsize: {} bytes\ngzip_size: {} bytes\ncode_hash: {}",
        r.name,
        r.wasm.display(),
        r.size,
        r.gzip_size,
        r.code_hash
    )
}
