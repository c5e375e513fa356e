//! A function project: a directory with `bls.toml` (the function's manifest, replication and
//! quorum) next to a cargo package that builds the function for `wasm32-wasip1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bls_orchestration::manifest::{
    validate_args, Limits, Manifest, Permissions, MAX_ENTRY_BYTES, MAX_MEMORY_BYTES,
    MAX_TIMEOUT_MS, WASM_PAGE_BYTES,
};
use serde::Deserialize;

use crate::errors::CliError;

/// File name of the project manifest.
pub const MANIFEST_FILE: &str = "bls.toml";
/// The guest target.
pub const WASM_TARGET: &str = "wasm32-wasip1";
/// Longest function name.
const MAX_NAME_BYTES: usize = 64;

/// The language a project is written in: how `bls function build` compiles it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Rust: cargo for `wasm32-wasip1`, the `bls-sdk` crate.
    #[default]
    Rust,
    /// Go: `GOOS=wasip1 GOARCH=wasm go build`, the `bls` package written into the project.
    Go,
    /// C: `clang --target=wasm32-wasi` with Debian's wasi-libc, `bls.h` written into the
    /// project.
    C,
    /// AssemblyScript: `asc` with @assemblyscript/wasi-shim (npm, installed into the project),
    /// `assembly/bls.ts` written into the project.
    #[value(name = "assemblyscript")]
    #[serde(rename = "assemblyscript")]
    AssemblyScript,
}

impl Lang {
    /// The name `bls.toml` and `--lang` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Go => "go",
            Lang::C => "c",
            Lang::AssemblyScript => "assemblyscript",
        }
    }
}

/// `bls.toml`, as written by `bls function init` (see its comments for each key).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// The function's name: the cargo binary that is built.
    pub name: String,
    /// The language: how it is built (default rust).
    #[serde(default)]
    pub lang: Lang,
    /// Exported function to call; `_start` (main) when empty.
    #[serde(default)]
    pub entry: String,
    /// Args before each invocation's args.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Workers per invocation.
    #[serde(default = "default_replication")]
    pub replication: u32,
    /// Identical results needed.
    #[serde(default = "default_quorum")]
    pub quorum: u32,
    /// Resource limits.
    #[serde(default)]
    pub limits: Limits,
    /// Capabilities.
    #[serde(default)]
    pub permissions: Permissions,
    /// Listed functions (ids) this one may call with `bls_sdk::call`.
    #[serde(default)]
    pub calls: Vec<u64>,
}

fn default_replication() -> u32 {
    3
}

fn default_quorum() -> u32 {
    2
}

/// Checks a function (and cargo package) name: a letter, then letters, digits, `_`, `-`.
pub fn validate_name(name: &str) -> Result<(), CliError> {
    let ok = name.len() <= MAX_NAME_BYTES
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CliError::BadName(name.to_string()))
    }
}

impl FunctionConfig {
    /// Parses and validates `bls.toml` text; the error names the key and what is allowed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let c: FunctionConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    /// Checks every key with the chain's bounds.
    pub fn validate(&self) -> Result<(), String> {
        if validate_name(&self.name).is_err() {
            return Err(format!(
                "key `name` = {:?}: must be 1-{MAX_NAME_BYTES} characters from a-z A-Z 0-9 _ -, starting with a letter (the cargo binary to build)",
                self.name
            ));
        }
        if self.entry.len() > MAX_ENTRY_BYTES || !self.entry.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "key `entry` = {:?}: must be up to {MAX_ENTRY_BYTES} printable ASCII characters without spaces (\"_start\" runs main)",
                self.entry
            ));
        }
        if self.replication == 0 {
            return Err(
                "key `replication` = 0: must be at least 1 (workers per invocation)".into(),
            );
        }
        let min_quorum = self.replication / 2 + 1;
        if self.quorum < min_quorum || self.quorum > self.replication {
            return Err(format!(
                "key `quorum` = {}: must be more than half of replication ({}) and at most it: allowed {min_quorum}..={}",
                self.quorum, self.replication, self.replication
            ));
        }
        let l = &self.limits;
        if l.timeout_ms == 0 || l.timeout_ms > MAX_TIMEOUT_MS {
            return Err(format!(
                "key `limits.timeout_ms` = {}: allowed 1..={MAX_TIMEOUT_MS} (milliseconds, at most 15 minutes)",
                l.timeout_ms
            ));
        }
        if !(WASM_PAGE_BYTES..=MAX_MEMORY_BYTES).contains(&l.memory_bytes) {
            return Err(format!(
                "key `limits.memory_bytes` = {}: allowed {WASM_PAGE_BYTES}..={MAX_MEMORY_BYTES} (bytes)",
                l.memory_bytes
            ));
        }
        if l.fuel == 0 {
            return Err("key `limits.fuel` = 0: must be at least 1".into());
        }
        // What the chain deploys: every honest outcome must fit a reveal tx (reveal_size).
        let max_out = bls_orchestration::reveal_size::max_deployable_output_bytes(
            bls_orchestration::reveal_size::NODE_MAX_TX_BYTES,
        );
        if l.output_bytes > max_out {
            return Err(format!(
                "key `limits.output_bytes` = {}: allowed 0..={max_out} (bytes)",
                l.output_bytes
            ));
        }
        validate_args(&self.args, 0).map_err(|e| format!("key `args`: {e}"))?;
        // The remaining rules live in the chain's validator; run each part alone to name it.
        let env_only = Manifest {
            env: self.env.clone(),
            ..Manifest::default()
        };
        env_only
            .validate()
            .map_err(|e| format!("table `env`: {e}"))?;
        let perms_only = Manifest {
            permissions: self.permissions.clone(),
            ..Manifest::default()
        };
        perms_only.validate().map_err(|e| {
            format!("key `permissions.http`: {e} (allowed: \"http(s)://host[:port]\", no path)")
        })?;
        let calls_only = Manifest {
            calls: self.calls.clone(),
            ..Manifest::default()
        };
        calls_only
            .validate()
            .map_err(|e| format!("key `calls`: {e}"))?;
        self.manifest().validate().map_err(|e| e.to_string())
    }

    /// The deployment manifest (what the chain stores and workers run with).
    pub fn manifest(&self) -> Manifest {
        Manifest {
            entry: self.entry.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
            limits: self.limits.clone(),
            permissions: self.permissions.clone(),
            calls: self.calls.clone(),
        }
    }

    /// The manifest as the JSON `MsgDeployFunction` carries.
    pub fn manifest_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string(&self.manifest())?)
    }
}

/// A located, parsed project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory holding `bls.toml` and the sources.
    pub dir: PathBuf,
    /// Its `bls.toml`.
    pub config: FunctionConfig,
}

impl Project {
    /// Finds `bls.toml` in `start` or its nearest parent, and parses it.
    pub fn find(start: &Path) -> Result<Project, CliError> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let dir = start
            .ancestors()
            .find(|d| d.join(MANIFEST_FILE).is_file())
            .ok_or_else(|| CliError::NotAProject { dir: start.clone() })?
            .to_path_buf();
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| CliError::BadManifest {
            path: path.clone(),
            detail: format!("cannot read it: {e}"),
        })?;
        let config = FunctionConfig::parse(&text)
            .map_err(|detail| CliError::BadManifest { path, detail })?;
        Ok(Project { dir, config })
    }

    /// The build's directory for this project (always its own `target/`).
    pub fn target_dir(&self) -> PathBuf {
        self.dir.join("target")
    }

    /// Where `bls function build` leaves the WASM.
    pub fn wasm_path(&self) -> PathBuf {
        self.target_dir()
            .join(WASM_TARGET)
            .join("release")
            .join(format!("{}.wasm", self.config.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(extra: &str) -> Result<FunctionConfig, String> {
        FunctionConfig::parse(&format!("name = \"hello\"\n{extra}"))
    }

    #[test]
    fn the_init_template_parses_to_the_default_manifest() {
        let text = crate::template::bls_toml("hello", Lang::Rust);
        let c = FunctionConfig::parse(&text).unwrap();
        assert_eq!(c.name, "hello");
        assert_eq!((c.replication, c.quorum), (3, 2));
        let m = c.manifest();
        assert_eq!(m.entry(), "_start");
        assert_eq!(m.limits, Limits::default());
        // The JSON is what the chain accepts.
        Manifest::from_json(c.manifest_json().unwrap().as_bytes()).unwrap();
    }

    #[test]
    fn the_language_defaults_to_rust_and_is_one_of_the_known_ones() {
        assert_eq!(with("").unwrap().lang, Lang::Rust);
        assert_eq!(with("lang = \"go\"").unwrap().lang, Lang::Go);
        assert_eq!(with("lang = \"c\"").unwrap().lang, Lang::C);
        assert_eq!(
            with("lang = \"assemblyscript\"").unwrap().lang,
            Lang::AssemblyScript
        );
        let e = with("lang = \"cobol\"").unwrap_err();
        assert!(
            e.contains("unknown variant `cobol`") && e.contains("`go`"),
            "{e}"
        );
        for lang in [Lang::Rust, Lang::Go, Lang::C, Lang::AssemblyScript] {
            let c = FunctionConfig::parse(&crate::template::bls_toml("f", lang)).unwrap();
            assert_eq!(c.lang, lang);
        }
    }

    #[test]
    fn errors_name_the_key_and_the_allowed_values() {
        let e = with("quorum = 1").unwrap_err();
        assert!(
            e.contains("key `quorum` = 1") && e.contains("allowed 2..=3"),
            "{e}"
        );
        let e = with("[limits]\ntimeout_ms = 0").unwrap_err();
        assert!(
            e.contains("`limits.timeout_ms`") && e.contains("1..=900000"),
            "{e}"
        );
        let e = with("[limits]\ntimout_ms = 5").unwrap_err();
        assert!(
            e.contains("unknown field `timout_ms`") && e.contains("`timeout_ms`"),
            "{e}"
        );
        let e = with("[permissions]\nhttp = [\"https://x.com/path\"]").unwrap_err();
        assert!(e.contains("`permissions.http`"), "{e}");
        let e = with("replication = 0").unwrap_err();
        assert!(e.contains("`replication`"), "{e}");
        let e = with("[limits]\nmemory_bytes = 1").unwrap_err();
        assert!(e.contains("`limits.memory_bytes`"), "{e}");
        let e = with("entry = \"a b\"").unwrap_err();
        assert!(e.contains("`entry`"), "{e}");
        let e = FunctionConfig::parse("name = \"9lives\"").unwrap_err();
        assert!(e.contains("`name`"), "{e}");
        let e = FunctionConfig::parse("replication = 3").unwrap_err();
        assert!(e.contains("missing field `name`"), "{e}");
    }

    #[test]
    fn names() {
        for ok in ["hello", "a", "my-fn_2"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1x", "-x", "a b", "é", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
