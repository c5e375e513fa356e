//! The newcomer's pages run as written: every marked command block of docs/tutorial.md and of
//! the walk-through in docs/operators.md runs in order, in a fresh home directory, in a shell of
//! its own (private network and process namespaces, so the documented default ports are the
//! page's own), and every output the pages show is checked against what the commands print.
//! A changed command that no longer works, or a changed shown output (an id, a fee, a result),
//! fails this test. See `bls_e2e::docs` for the markers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bls_e2e::docs::{run_page, DocSession, PageReport};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The reader's environment: a fresh HOME, the toolchains where they really are, nothing of
/// the caller's bls settings.
fn reader_env(home: &Path) -> BTreeMap<String, String> {
    let real_home = std::env::var("HOME").unwrap_or_default();
    let var = |k: &str, default: String| std::env::var(k).unwrap_or(default);
    let go_path = std::process::Command::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{real_home}/go"));
    let mut env = BTreeMap::new();
    env.insert("HOME".into(), home.display().to_string());
    env.insert(
        "PATH".into(),
        var("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
    );
    env.insert(
        "CARGO_HOME".into(),
        var("CARGO_HOME", format!("{real_home}/.cargo")),
    );
    env.insert(
        "RUSTUP_HOME".into(),
        var("RUSTUP_HOME", format!("{real_home}/.rustup")),
    );
    env.insert("GOPATH".into(), go_path);
    env.insert(
        "GOCACHE".into(),
        var("GOCACHE", format!("{real_home}/.cache/go-build")),
    );
    // No network in the page's namespace: cargo uses what is cached (the SDK has no registry
    // dependencies; this only stops cargo from trying to refresh an index).
    env.insert("CARGO_NET_OFFLINE".into(), "true".into());
    env.insert("TERM".into(), "dumb".into());
    env.insert("LANG".into(), "C.UTF-8".into());
    env
}

fn run_doc(page: &str, extra_env: &[(&str, String)]) -> PageReport {
    let root = repo_root();
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut env = reader_env(&home);
    for (k, v) in extra_env {
        env.insert((*k).to_string(), v.clone());
    }
    let mut session = DocSession::start(&root, &env, &tmp.path().join("session")).expect("shell");
    match run_page(&mut session, &root.join(page)) {
        Ok(report) => report,
        Err(e) => panic!("{e:#}"),
    }
}

#[test]
fn tutorial_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    // The devnet's directory: not the checkout's .devnet (a developer's devnet stays intact).
    let report = run_doc(
        "docs/tutorial.md",
        &[(
            "DEVNET_DIR",
            tmp.path().join("devnet").display().to_string(),
        )],
    );
    assert!(
        report.runs >= 15,
        "only {} command blocks ran: {report:?}",
        report.runs
    );
    assert!(
        report.outputs >= 6,
        "only {} shown outputs checked: {report:?}",
        report.outputs
    );
    assert!(
        report.files >= 3,
        "only {} files written: {report:?}",
        report.files
    );
}

/// A number as the docs write it: `100000`, `2 MiB`, `10¹²`.
fn doc_number(text: &str) -> Option<u128> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let base: u128 = digits.parse().ok()?;
    let rest = &text[digits.len()..];
    let superscript: String = rest
        .chars()
        .map_while(|c| "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|s| s == c))
        .map(|d| char::from(b'0' + d as u8))
        .collect();
    if !superscript.is_empty() {
        return base.checked_pow(superscript.parse().ok()?);
    }
    if rest.trim_start().starts_with("MiB") {
        return base.checked_mul(1 << 20);
    }
    Some(base)
}

/// A param's value in a module's default params as JSON (numbers may be strings).
fn param_value(params: &serde_json::Value, name: &str) -> Option<u128> {
    match params.get(name)? {
        serde_json::Value::Number(n) => n.as_u64().map(u128::from),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// docs/operators.md's table of default params says what the code's defaults are: every
/// "`name` NUMBER" in a module's row is that module's `Params::default()` value, and every name
/// is a param of that module. (Changing a default without the table, or the table without the
/// code, fails here.)
#[test]
fn operators_params_table_matches_the_code() {
    let page = std::fs::read_to_string(repo_root().join("docs/operators.md")).unwrap();
    let defaults: BTreeMap<&str, serde_json::Value> = [
        (
            "registry",
            serde_json::to_value(bls_registry::params::Params::default()),
        ),
        (
            "orchestration",
            serde_json::to_value(bls_orchestration::params::Params::default()),
        ),
        (
            "fees",
            serde_json::to_value(bls_fees::params::Params::default()),
        ),
        (
            "staking",
            serde_json::to_value(bls_staking::params::Params::default()),
        ),
        (
            "slashing",
            serde_json::to_value(bls_slashing::params::Params::default()),
        ),
    ]
    .into_iter()
    .map(|(m, v)| (m, v.expect("params serialize")))
    .collect();
    let mut checked = BTreeMap::<&str, usize>::new();
    let mut wrong = Vec::new();
    for row in page.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(module), Some(text)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Some((module, params)) = defaults.get_key_value(module) else {
            continue;
        };
        // Each "`name` value" pair of the row.
        let parts: Vec<&str> = text.split('`').collect();
        for pair in parts[1..].chunks(2) {
            let [name, after] = pair else { continue };
            let Some(number) = doc_number(after.trim_start()) else {
                continue;
            };
            match param_value(params, name) {
                Some(v) if v == number => *checked.entry(module).or_default() += 1,
                Some(v) => wrong.push(format!(
                    "{module}.{name}: the table says {number}, the code {v}"
                )),
                None => wrong.push(format!(
                    "{module}.{name}: not a param of {module} (or not a number)"
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/operators.md's params table is wrong:\n{}",
        wrong.join("\n")
    );
    for module in defaults.keys() {
        assert!(
            checked.get(module).copied().unwrap_or(0) >= 3,
            "no row checked for {module}: {checked:?}"
        );
    }
    // The orchestration fees a newcomer meets first.
    assert!(checked["orchestration"] >= 20, "{checked:?}");
}

#[test]
fn doc_numbers_parse() {
    assert_eq!(doc_number("100000 (100 BLS)"), Some(100000));
    assert_eq!(doc_number("2 MiB (gzipped)"), Some(2 << 20));
    assert_eq!(doc_number("10¹², "), Some(1_000_000_000_000));
    assert_eq!(doc_number("per second"), None);
}

#[test]
fn operators_walkthrough_runs_as_written() {
    let report = run_doc("docs/operators.md", &[]);
    assert!(
        report.runs >= 8,
        "only {} command blocks ran: {report:?}",
        report.runs
    );
}
