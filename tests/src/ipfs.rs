//! A real IPFS node for tests: kubo (`ipfs`, installed by `scripts/install`) in a temp repo,
//! offline (no bootstrap, no network beyond its loopback API), on free ports, killed on drop.
//! And WASM modules of any size: a real module with a custom section of incompressible
//! padding (what a module with a language runtime inside weighs, without the compile time).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::ipfs::IpfsClient;

use crate::net::free_port;
use crate::process::Proc;
use crate::wait_until;

/// The `ipfs` binary: `$IPFS_BIN`, then `$PATH`, then `~/go/bin/ipfs`.
pub fn ipfs_bin() -> anyhow::Result<PathBuf> {
    crate::process::go_bin("ipfs", "IPFS_BIN")
}

/// A running kubo node.
pub struct Kubo {
    /// Its RPC API, `http://127.0.0.1:<port>`.
    pub api_url: String,
    /// Its repo (`IPFS_PATH`).
    pub repo: PathBuf,
    proc: Proc,
}

impl Kubo {
    /// Inits a repo in `<dir>/<name>` (test profile: loopback addresses, no bootstrap, no
    /// mDNS), sets free API/gateway/swarm ports, starts `ipfs daemon --offline` and waits
    /// until its API answers.
    pub async fn start(dir: &Path, name: &str) -> anyhow::Result<Kubo> {
        let repo = dir.join(name);
        let bin = ipfs_bin()?;
        let ipfs = |args: &[&str]| -> anyhow::Result<()> {
            let out = Command::new(&bin)
                .args(args)
                .env("IPFS_PATH", &repo)
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "ipfs {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(())
        };
        ipfs(&["init", "--profile", "test", "--empty-repo"])?;
        let api = free_port()?;
        ipfs(&[
            "config",
            "Addresses.API",
            &format!("/ip4/127.0.0.1/tcp/{api}"),
        ])?;
        ipfs(&[
            "config",
            "Addresses.Gateway",
            &format!("/ip4/127.0.0.1/tcp/{}", free_port()?),
        ])?;
        ipfs(&[
            "config",
            "--json",
            "Addresses.Swarm",
            &format!("[\"/ip4/127.0.0.1/tcp/{}\"]", free_port()?),
        ])?;
        let mut cmd = Command::new(&bin);
        cmd.args(["daemon", "--offline"]).env("IPFS_PATH", &repo);
        let proc = Proc::spawn(
            &format!("kubo-{name}"),
            cmd,
            &dir.join(format!("{name}.log")),
        )?;
        let api_url = format!("http://127.0.0.1:{api}");
        let kubo = Kubo {
            api_url,
            repo,
            proc,
        };
        let client = kubo.client()?;
        let up = wait_until(
            &format!("kubo {name} API"),
            Duration::from_secs(60),
            || async { Ok(client.version().await.ok()) },
        )
        .await;
        up.with_context(|| kubo.proc.tail(20))?;
        Ok(kubo)
    }

    /// A client of its API.
    pub fn client(&self) -> anyhow::Result<IpfsClient> {
        Ok(IpfsClient::new(&self.api_url, Duration::from_secs(120))?)
    }

    /// Adds `bytes` (pinned); its CID.
    pub async fn add(&self, bytes: &[u8]) -> anyhow::Result<String> {
        Ok(self.client()?.add(bytes).await?)
    }

    /// Stops the daemon (its API then refuses connections).
    pub fn stop(&mut self) {
        self.proc.terminate(Duration::from_secs(10));
    }

    /// The daemon's log tail.
    pub fn tail(&self, n: usize) -> String {
        self.proc.tail(n)
    }
}

/// `wasm` with a custom section named `bls-padding` of `pad` incompressible bytes appended
/// (deterministic from `seed`): the module runs exactly as before, its size and hash differ.
pub fn padded_wasm(wasm: &[u8], pad: usize, seed: u64) -> Vec<u8> {
    const NAME: &[u8] = b"bls-padding";
    let mut payload = Vec::with_capacity(pad + 16);
    leb128(&mut payload, NAME.len() as u64);
    payload.extend_from_slice(NAME);
    // xorshift64* (seeded through a multiplicative hash, so every seed gives other bytes):
    // fast and incompressible enough for gzip.
    let mut x = seed.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while payload.len() < pad {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        payload.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    let mut out = Vec::with_capacity(wasm.len() + payload.len() + 8);
    out.extend_from_slice(wasm);
    out.push(0); // custom section
    leb128(&mut out, payload.len() as u64);
    out.extend_from_slice(&payload);
    out
}

fn leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_differs_by_seed_and_keeps_the_module_valid() {
        let wasm = wat::parse_str("(module (func (export \"_start\")))").unwrap();
        let a = padded_wasm(&wasm, 4096, 8);
        let b = padded_wasm(&wasm, 4096, 9);
        assert_ne!(a, b);
        assert!(a.len() > 4096 && a.starts_with(&wasm));
        wasmparser::validate(&a).unwrap();
    }
}
