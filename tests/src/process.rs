//! Child processes that are killed when dropped, with their output in log files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Path of a workspace binary built into the same target dir as this test (or in
/// `$BLS_BIN_DIR` when set, e.g. `target/release` for benchmarks).
pub fn bin_path(name: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("BLS_BIN_DIR") {
        let p = PathBuf::from(dir).join(name);
        anyhow::ensure!(p.exists(), "{} not found (BLS_BIN_DIR)", p.display());
        return Ok(p);
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test-binary> → target/<profile>/<name>; a binary of this crate
    // (bls-bench) already sits in target/<profile>.
    let mut dir = exe
        .parent()
        .ok_or_else(|| anyhow::anyhow!("unexpected binary location {}", exe.display()))?;
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir
            .parent()
            .ok_or_else(|| anyhow::anyhow!("unexpected test binary location {}", exe.display()))?;
    }
    let p = dir.join(name);
    if !p.exists() {
        anyhow::bail!(
            "{} not found: build the binaries first (`cargo build --workspace --bins`, done by scripts/test)",
            p.display()
        );
    }
    Ok(p)
}

/// `cmd` set to use the unencrypted `test` keyring backend, as devnets and CI do (and no
/// ambient keyring passphrase). Tests of the encrypted backend set their own environment.
pub fn test_keyring(cmd: &mut Command) -> &mut Command {
    cmd.env("BLS_KEYRING_BACKEND", "test")
        .env_remove("BLS_KEYRING_PASSPHRASE")
        .env_remove("BLS_KEYRING_PASSPHRASE_FILE")
}

/// `bls` run against the node at `node` with the `test` keyring at `keyring` and no ambient
/// `BLS_*` settings (not yet run).
pub fn bls_cli(node: &str, keyring: &Path, args: &[&str]) -> anyhow::Result<Command> {
    let mut c = Command::new(bin_path("bls")?);
    c.args(args)
        .args(["--node", node])
        .arg("--keyring-dir")
        .arg(keyring)
        .env_remove("BLS_FROM")
        .env_remove("BLS_HEAD");
    test_keyring(&mut c);
    Ok(c)
}

/// The JSON a successful command printed (`--output json`); its stderr when it failed.
pub fn json_of(o: &std::process::Output, what: &str) -> anyhow::Result<serde_json::Value> {
    anyhow::ensure!(
        o.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout)
        .map_err(|e| anyhow::anyhow!("{what}: {e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// The `cometbft` binary: `$COMETBFT_BIN`, then `$PATH`, then `~/go/bin/cometbft`.
pub fn cometbft_bin() -> anyhow::Result<PathBuf> {
    go_bin("cometbft", "COMETBFT_BIN")
}

/// A Go-installed tool `name` (`scripts/install` puts them in `~/go/bin`): `$<env_var>`, then
/// `$PATH`, then `~/go/bin/<name>`.
pub fn go_bin(name: &str, env_var: &str) -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(env_var) {
        return Ok(PathBuf::from(p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let p = home.join("go").join("bin").join(name);
    if p.is_file() {
        return Ok(p);
    }
    anyhow::bail!("{name} not found: run scripts/install")
}

/// A running child process, killed on drop; stdout+stderr go to `log`.
pub struct Proc {
    /// Name for messages.
    pub name: String,
    child: Option<Child>,
    /// Log file of the process.
    pub log: PathBuf,
}

impl Proc {
    /// Spawns `cmd` with output to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Proc> {
        let out = std::fs::File::create(log)?;
        let err = out.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| anyhow::anyhow!("spawn {name}: {e}"))?;
        Ok(Proc {
            name: name.to_string(),
            child: Some(child),
            log: log.to_path_buf(),
        })
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for a clean exit, then kills.
    pub fn terminate(&mut self, timeout: std::time::Duration) {
        if let Some(c) = self.child.as_mut() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = std::time::Instant::now() + timeout;
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    self.child = None;
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        self.kill();
    }

    /// The last `n` lines of the log (for failure messages).
    pub fn tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where tests keep what a person looks at afterwards (screenshots): `$BLS_ARTIFACTS`, else
/// `target/artifacts/` beside this test binary's profile directory.
pub fn artifacts_dir() -> anyhow::Result<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("BLS_ARTIFACTS") {
        return Ok(std::path::PathBuf::from(dir));
    }
    // target/<profile>/deps/<test-binary> → target/artifacts
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or_else(|| anyhow::anyhow!("unexpected test binary location {}", exe.display()))?;
    Ok(target.join("artifacts"))
}
