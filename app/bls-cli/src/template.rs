//! `bls function init`: the files of a new function project in each language, and where the
//! guest SDK is (Rust: a bls checkout's `contracts/sdk`; Go and C: written into the project).

use std::path::{Path, PathBuf};

use bls_orchestration::manifest::{Limits, MAX_MEMORY_BYTES, MAX_TIMEOUT_MS, WASM_PAGE_BYTES};

use crate::errors::CliError;

/// Environment variable naming the guest SDK directory (`contracts/sdk` of a checkout).
pub const SDK_ENV: &str = "BLS_SDK_PATH";
/// The SDK's place inside a bls checkout.
const SDK_IN_REPO: &str = "contracts/sdk";

/// The SDK directory: `--sdk-path`, else `$BLS_SDK_PATH`, else `contracts/sdk` of the bls
/// checkout containing `near` (the new project's place), else of the checkout this binary
/// was built from. Absolute, and checked to be the `bls-sdk` crate.
pub fn find_sdk(flag: Option<&Path>, near: &Path) -> Result<PathBuf, CliError> {
    let given = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(SDK_ENV).map(PathBuf::from));
    if let Some(p) = given {
        return canonical_sdk(&p).ok_or(CliError::SdkNotFound { tried: Some(p) });
    }
    let near = std::path::absolute(near).unwrap_or_else(|_| near.to_path_buf());
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    near.ancestors()
        .chain(built_from.ancestors().take(1))
        .find_map(|root| canonical_sdk(&root.join(SDK_IN_REPO)))
        .ok_or(CliError::SdkNotFound { tried: None })
}

/// The Rust SDK's sources (file names under `src/`), written into a project as `bls-sdk/` when no checkout's SDK is
/// found (`bls function init` outside a bls checkout) or with `--vendor-sdk`.
pub const RUST_SDK_FILES: [(&str, &str); 8] = [
    ("lib.rs", include_str!("../../../contracts/sdk/src/lib.rs")),
    (
        "http.rs",
        include_str!("../../../contracts/sdk/src/http.rs"),
    ),
    (
        "call.rs",
        include_str!("../../../contracts/sdk/src/call.rs"),
    ),
    (
        "connector.rs",
        include_str!("../../../contracts/sdk/src/connector.rs"),
    ),
    (
        "ipfs.rs",
        include_str!("../../../contracts/sdk/src/ipfs.rs"),
    ),
    (
        "cosmos.rs",
        include_str!("../../../contracts/sdk/src/cosmos.rs"),
    ),
    (
        "ethereum.rs",
        include_str!("../../../contracts/sdk/src/ethereum.rs"),
    ),
    ("s3.rs", include_str!("../../../contracts/sdk/src/s3.rs")),
];

/// `bls-sdk/Cargo.toml` of a vendored Rust SDK: the crate alone (no workspace to inherit),
/// with the SDK's own dependencies.
pub fn vendored_sdk_cargo_toml() -> String {
    const SDK_CARGO: &str = include_str!("../../../contracts/sdk/Cargo.toml");
    let deps = SDK_CARGO
        .split_once("[dependencies]")
        .map_or("", |(_, deps)| deps);
    format!(
        r#"[package]
name = "bls-sdk"
description = "Guest SDK for bls functions (a copy written by `bls function init`)."
version = "{version}"
edition = "2021"
license = "Apache-2.0"
publish = false

[dependencies]{deps}"#,
        version = env!("CARGO_PKG_VERSION")
    )
}

/// `dir` canonicalized if it holds the `bls-sdk` crate.
fn canonical_sdk(dir: &Path) -> Option<PathBuf> {
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let is_sdk = cargo.lines().any(|l| {
        let l = l.replace(' ', "");
        l == "name=\"bls-sdk\""
    });
    if is_sdk {
        std::fs::canonicalize(dir).ok()
    } else {
        None
    }
}

/// `Cargo.toml` of a new project depending on the SDK at `sdk`.
pub fn cargo_toml(name: &str, sdk: &Path) -> String {
    let sdk_path = toml::Value::String(sdk.display().to_string());
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
# The bls guest SDK (input, output, args, env, outbound HTTP, calls), by path: into a bls
# checkout (`contracts/sdk`), or the copy `bls function init` wrote into this project
# (`bls-sdk/`, outside a checkout or with --vendor-sdk).
bls-sdk = {{ path = {sdk_path} }}

# Its own workspace, so the project builds alone even inside another cargo workspace.
[workspace]

# Small, deterministic WASM: what `bls function build` produces and the chain stores.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true
debug = false
"#
    )
}

/// `src/main.rs`: a hello-style function.
pub fn main_rs(name: &str) -> String {
    format!(
        r#"//! `{name}`: a bls function. It reads its input (stdin) and writes its result (stdout);
//! every worker that runs it must print the same bytes for the same input.
//!
//! Try it: `bls function run --stdin Ada` (locally, exactly as a worker runs it), then
//! `bls function deploy` and `bls function invoke ID --input Ada --wait`.

fn main() {{
    let input = bls_sdk::input_string().unwrap_or_default();
    let name = match input.trim() {{
        "" => "world",
        name => name,
    }};
    if bls_sdk::output(format!("Hello, {{name}}!\n").as_bytes()).is_err() {{
        std::process::exit(1);
    }}
}}
"#
    )
}

/// The Go SDK (package `bls`), written into a Go project as `bls/bls.go`.
pub const GO_SDK: &str = include_str!("../../../contracts/sdk-go/bls.go");
/// The C SDK (header only), written into a C project as `src/bls.h`.
pub const C_SDK: &str = include_str!("../../../contracts/sdk-c/bls.h");

/// The AssemblyScript SDK, written into an AssemblyScript project as `assembly/bls.ts`.
pub const AS_SDK: &str = include_str!("../../../contracts/sdk-as/bls.ts");
/// The npm packages an AssemblyScript project builds with, at the versions the SDK is tested
/// with (`contracts/sdk-as/package.json`, which `scripts/install` installs).
pub const AS_PACKAGES: &str = include_str!("../../../contracts/sdk-as/package.json");

/// `package.json` of an AssemblyScript project: the compiler and the WASI shim, pinned.
pub fn package_json(name: &str) -> String {
    let deps = serde_json::from_str::<serde_json::Value>(AS_PACKAGES)
        .ok()
        .and_then(|v| v.get("devDependencies").cloned())
        .unwrap_or_default();
    let v = serde_json::json!({
        "name": name,
        "private": true,
        "description": "A bls function in AssemblyScript: `bls function build` runs asc with the WASI shim.",
        "devDependencies": deps,
    });
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    text
}

/// `asconfig.json`: the WASI shim's options (a WASI command exporting `_start`), output where
/// `bls function build` reads it.
pub fn asconfig_json(name: &str) -> String {
    let v = serde_json::json!({
        "extends": "./node_modules/@assemblyscript/wasi-shim/asconfig.json",
        "targets": {
            "release": {
                "outFile": format!("target/wasm32-wasip1/release/{name}.wasm"),
                "optimizeLevel": 3,
                "shrinkLevel": 1,
                "noAssert": false
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_default();
    text.push('\n');
    text
}

/// `assembly/index.ts`: a hello-style function.
pub fn index_ts(name: &str) -> String {
    format!(
        r#"// `{name}`: a bls function. It reads its input (stdin) and writes its result (stdout);
// every worker that runs it must print the same bytes for the same input.
//
// Try it: `bls function run --stdin Ada` (installs the compiler from npm into node_modules
// the first time, builds with asc and the WASI shim, and runs it locally exactly as a worker
// runs it), then `bls function deploy` and `bls function invoke ID --input Ada --wait`. The
// SDK is assembly/bls.ts: input, inputString, output, log, args, env, get/send (HTTP to the
// manifest's origins), call (another listed function).
import * as bls from "./bls";

let name = bls.inputString().trim();
if (name.length == 0) name = "world";
bls.output("Hello, " + name + "!\n");
"#
    )
}

/// `go.mod` of a Go project: the module is the function's name; no dependencies.
pub fn go_mod(name: &str) -> String {
    format!("module {name}\n\ngo 1.21\n")
}

/// `main.go`: a hello-style function.
pub fn main_go(name: &str) -> String {
    format!(
        r#"// `{name}`: a bls function. It reads its input (stdin) and writes its result (stdout);
// every worker that runs it must print the same bytes for the same input.
//
// Try it: `bls function run --stdin Ada` (builds with GOOS=wasip1 GOARCH=wasm and runs it
// locally, exactly as a worker runs it), then `bls function deploy` and
// `bls function invoke ID --input Ada --wait`. The SDK is bls/bls.go: Input, Output, Log,
// Args, Env, Get/Send (HTTP to the manifest's origins), Call (another listed function).
package main

import (
	"os"
	"strings"

	"{name}/bls"
)

func main() {{
	name := strings.TrimSpace(bls.InputString())
	if name == "" {{
		name = "world"
	}}
	if err := bls.Output([]byte("Hello, " + name + "!\n")); err != nil {{
		os.Exit(1)
	}}
}}
"#
    )
}

/// `src/main.c`: a hello-style function.
pub fn main_c(name: &str) -> String {
    format!(
        r#"/* `{name}`: a bls function. It reads its input (stdin) and writes its result (stdout);
 * every worker that runs it must print the same bytes for the same input.
 *
 * Try it: `bls function run --stdin Ada` (builds with clang --target=wasm32-wasi and runs it
 * locally, exactly as a worker runs it), then `bls function deploy` and
 * `bls function invoke ID --input Ada --wait`. The SDK is src/bls.h: bls_input, bls_output,
 * bls_log, bls_env, bls_http_get/bls_http_send (HTTP to the manifest's origins), bls_call
 * (another listed function). */
#include <stdio.h>
#include <string.h>

#include "bls.h"

int main(void) {{
  size_t len = 0;
  char *input = bls_input(&len);
  if (!input) return 1;
  while (len > 0 && strchr(" \t\r\n", input[len - 1])) input[--len] = '\0';
  char *start = input;
  while (*start && strchr(" \t\r\n", *start)) start++;
  printf("Hello, %s!\n", *start ? start : "world");
  free(input);
  return fflush(stdout) == 0 ? 0 : 1;
}}
"#
    )
}

/// `bls.toml`: every key with its default and a comment saying what is allowed.
pub fn bls_toml(name: &str, lang: crate::project::Lang) -> String {
    let l = Limits::default();
    let max_out = bls_core::outcome::MAX_OUTPUT_BYTES;
    format!(
        r#"# bls.toml: how the network runs this function. `bls function deploy` sends it on chain
# (as the deployment manifest, plus replication and quorum); `bls function run` applies the
# same limits locally. Unknown keys are rejected.

# The function's name (for Rust, the cargo binary built); `bls function build` writes
# target/wasm32-wasip1/release/<name>.wasm. Letters, digits, _ and -, starting with a letter.
name = "{name}"

# The language: "rust" (cargo), "go" (GOOS=wasip1 GOARCH=wasm go build), "c" (clang
# --target=wasm32-wasi with wasi-libc, every src/*.c) or "assemblyscript" (asc with the WASI
# shim from npm, assembly/index.ts).
lang = "{lang}"

# Exported function to call: "_start" runs `main` (a WASI command). Printable ASCII, ≤ 128 bytes.
entry = "_start"

# Arguments given before each invocation's own args (≤ 64 args in all, each < 4 KiB).
args = []

# Workers that run every invocation (replication n, at least 1). Each is paid for the job.
replication = 3

# Identical results needed to accept one (quorum m): more than half of replication, at most it.
quorum = 2

# Functions (ids) this one may call with bls_sdk::call::call(id, input), ≤ 8, each listed in
# the marketplace when this one is invoked (`bls market show ID`). The chain pins them per job
# and escrows their prices; a callee shares this function's fuel, time and memory, runs with
# its own manifest but never more permission than this one, and calls nest ≤ 4 deep, ≤ 16
# calls per job. A composed function runs on chain only (not through --fast).
calls = []

# Environment variables the function sees, and nothing else from the worker (≤ 64).
[env]
# GREETING = "Hello"

[limits]
# Wall-clock timeout of one run, in milliseconds: 1..={MAX_TIMEOUT_MS} (15 minutes).
timeout_ms = {timeout}
# Linear memory cap, in bytes: {WASM_PAGE_BYTES} (one page)..={MAX_MEMORY_BYTES} (4 GiB).
memory_bytes = {memory}
# Fuel budget (≈ WASM instructions), at least 1. Deterministic; the fee is charged by fuel used.
fuel = {fuel}
# Cap on each of stdout and stderr, in bytes: 0..={max_out} (the chain refuses more: every
# honest outcome must fit a 1 MiB reveal transaction). Longer output is cut.
output_bytes = {output}

[permissions]
# Exact origins the function may call over HTTP (through bls_sdk::http), e.g.
# ["https://api.example.com", "https://93.184.215.14:8443"]: scheme://host[:port], no path; ≤ 16.
# Public only: private/loopback/link-local IPs and local names (localhost, *.local, *.internal,
# single-label) are refused, and workers refuse a name that resolves to a private address.
# To test against a local mock: bls function run --resolve api.example.com=127.0.0.1
#   --allow-private-http 127.0.0.1:8080 (a worker operator's opt-in, never a manifest's).
# Empty: no network at all.
http = []
# Read-only access to the worker's data directory, mounted at /data.
filesystem = false
"#,
        lang = lang.as_str(),
        timeout = l.timeout_ms,
        memory = l.memory_bytes,
        fuel = l.fuel,
        output = l.output_bytes,
    )
}

/// `.gitignore`.
pub const GITIGNORE: &str = "/target\n/node_modules\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_rust_sdk_is_every_file_of_the_sdk() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/sdk/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut vendored: Vec<String> = RUST_SDK_FILES.iter().map(|(f, _)| f.to_string()).collect();
        vendored.sort();
        assert_eq!(vendored, on_disk);
        assert!(vendored_sdk_cargo_toml().contains("serde_json"));
    }

    #[test]
    fn finds_the_repo_sdk_and_rejects_other_dirs() {
        let sdk = find_sdk(None, Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(sdk.ends_with("contracts/sdk"), "{}", sdk.display());
        let tmp = tempfile::tempdir().unwrap();
        let err = find_sdk(Some(tmp.path()), tmp.path()).unwrap_err();
        assert!(err.to_string().contains("--sdk-path"), "{err}");
    }

    #[test]
    fn cargo_toml_quotes_the_path() {
        let t = cargo_toml("x", Path::new("/a \"b\"/sdk"));
        let v: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(
            v["dependencies"]["bls-sdk"]["path"].as_str(),
            Some("/a \"b\"/sdk")
        );
    }
}
