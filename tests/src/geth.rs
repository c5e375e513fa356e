//! A real Ethereum node for tests: geth (`scripts/install` builds it) in `--dev` mode — one
//! prefunded developer account, a block only when a transaction comes — with its JSON-RPC on
//! a free loopback port, no peers, no discovery, killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::net::free_port;
use crate::process::Proc;
use crate::wait_until;

/// The `geth` binary: `$GETH_BIN`, then `$PATH`, then `~/go/bin/geth`.
pub fn geth_bin() -> anyhow::Result<PathBuf> {
    crate::process::go_bin("geth", "GETH_BIN")
}

/// A running geth `--dev` node.
pub struct Geth {
    /// Its JSON-RPC endpoint, `http://127.0.0.1:<port>`.
    pub rpc_url: String,
    proc: Proc,
}

impl Geth {
    /// Starts `geth --dev` with its data in `<dir>/<name>` and waits until its JSON-RPC
    /// answers.
    pub async fn start(dir: &Path, name: &str) -> anyhow::Result<Geth> {
        let port = free_port()?;
        let mut cmd = Command::new(geth_bin()?);
        cmd.args(["--dev", "--datadir"])
            .arg(dir.join(name))
            .args(["--http", "--http.addr", "127.0.0.1", "--http.port"])
            .arg(port.to_string())
            // Any Host header: functions reach it by a public-looking name the workers resolve.
            .args([
                "--http.api",
                "eth,net,web3",
                "--http.vhosts",
                "*",
                "--authrpc.port",
            ])
            .arg(free_port()?.to_string())
            .args([
                "--port",
                "0",
                "--nodiscover",
                "--maxpeers",
                "0",
                "--ipcdisable",
            ])
            .args(["--verbosity", "2"]);
        let proc = Proc::spawn(
            &format!("geth-{name}"),
            cmd,
            &dir.join(format!("{name}.log")),
        )?;
        let geth = Geth {
            rpc_url: format!("http://127.0.0.1:{port}"),
            proc,
        };
        let up = wait_until(
            &format!("geth {name} JSON-RPC"),
            Duration::from_secs(60),
            || async { Ok(geth.request("eth_blockNumber", json!([])).await.ok()) },
        )
        .await;
        up.with_context(|| geth.proc.tail(20))?;
        Ok(geth)
    }

    /// Calls `method` with `params`; its `result`.
    pub async fn request(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let v: Value = reqwest::Client::new()
            .post(&self.rpc_url)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        if let Some(e) = v.get("error") {
            anyhow::bail!("{method}: {e}");
        }
        Ok(v["result"].clone())
    }

    /// Its log's last `n` lines.
    pub fn tail(&self, n: usize) -> String {
        self.proc.tail(n)
    }
}
