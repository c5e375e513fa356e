//! `scripts/install-node` into a temporary prefix, for both roles: working binaries, a node
//! home, and systemd units that `systemd-analyze verify` accepts (where systemd's tools are
//! installed); a second run keeps the home; a wrong role or option is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use bls_e2e::process::{bin_path, cometbft_bin};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-node")
}

fn install(role: &str, dir: &Path, extra: &[&str]) -> anyhow::Result<std::process::Output> {
    let bins = bin_path("blsd")?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow::anyhow!("no bin dir"))?;
    let cometbft_dir = cometbft_bin()?
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow::anyhow!("no cometbft dir"))?;
    let path = format!(
        "{}:{}",
        cometbft_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Ok(Command::new(script())
        .arg(role)
        .arg("--prefix")
        .arg(dir.join("prefix"))
        .arg("--home")
        .arg(dir.join(role))
        .arg("--unit-dir")
        .arg(dir.join("units"))
        .arg("--from")
        .arg(&bins)
        .args(["--no-start", "--chain-id", "install-test-1"])
        .args(extra)
        .env("PATH", path)
        .output()?)
}

fn ok(out: std::process::Output, what: &str) -> anyhow::Result<String> {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    anyhow::ensure!(out.status.success(), "{what} failed: {text}");
    Ok(text)
}

fn verify_units(units: &[PathBuf]) -> anyhow::Result<()> {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed: unit files checked by content only");
        return Ok(());
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(units)
        .output()?;
    anyhow::ensure!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[test]
fn installs_a_validator_and_a_worker_with_units_systemd_accepts() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    ok(
        install("validator", d, &["--moniker", "box-1"])?,
        "validator install",
    )?;
    ok(
        install(
            "worker",
            d,
            &["--keyring-backend", "test", "--region", "eu"],
        )?,
        "worker install",
    )?;
    for (b, version) in [
        ("blsd", "--version"),
        ("cometbft", "version"),
        ("bls-worker", "--version"),
        ("bls", "--version"),
    ] {
        let out = Command::new(d.join("prefix/bin").join(b))
            .arg(version)
            .output()?;
        ok(out, &format!("{b} {version}"))?;
    }
    // The validator's home is a node that would start: its genesis passes InitChain.
    let out = Command::new(d.join("prefix/bin/blsd"))
        .args(["genesis", "validate", "--home"])
        .arg(d.join("validator"))
        .output()?;
    ok(out, "blsd genesis validate")?;
    let genesis = std::fs::read_to_string(d.join("validator/cometbft/config/genesis.json"))?;
    assert!(genesis.contains("install-test-1"));
    let worker_cfg = std::fs::read_to_string(d.join("worker/config.toml"))?;
    assert!(worker_cfg.contains("eu"), "{worker_cfg}");

    let units: Vec<PathBuf> = ["blsd", "cometbft", "bls-worker"]
        .iter()
        .map(|u| d.join("units").join(format!("{u}.service")))
        .collect();
    for u in &units {
        let text = std::fs::read_to_string(u)?;
        assert!(
            text.contains(&d.join("prefix/bin").display().to_string()),
            "{text}"
        );
        assert!(text.contains("Restart=always"));
    }
    let cometbft = std::fs::read_to_string(&units[1])?;
    assert!(cometbft.contains("Requires=blsd.service"), "{cometbft}");
    assert!(std::fs::read_to_string(&units[2])?.contains("--register"));
    verify_units(&units)?;

    // Again: binaries and units replaced, the home kept as it is.
    let before = std::fs::read(d.join("validator/cometbft/config/priv_validator_key.json"))?;
    let text = ok(install("validator", d, &[])?, "second validator install")?;
    assert!(text.contains("keeping the existing home"), "{text}");
    assert_eq!(
        std::fs::read(d.join("validator/cometbft/config/priv_validator_key.json"))?,
        before,
        "the validator key survives a reinstall"
    );

    // Refusals.
    let out = Command::new(script()).arg("miner").output()?;
    assert!(!out.status.success());
    let out = install("worker", d, &["--keyring-backend", "plaintext"])?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--keyring-backend"));
    Ok(())
}
