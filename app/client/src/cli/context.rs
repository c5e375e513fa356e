//! Global client options (`--node`, `--chain-id`, `--keyring-dir`, `--output`) and the context
//! every command runs with.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::keyring::Keyring;
use crate::rpc::{RpcClient, DEFAULT_NODE};

/// How commands print their results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document on stdout, with stable field names.
    Json,
}

/// Options shared by every client command; flatten into the binary's global options.
#[derive(Args, Clone, Debug)]
pub struct ClientOpts {
    /// CometBFT RPC address of the node to talk to.
    #[arg(long, env = "BLS_NODE", default_value = DEFAULT_NODE, global = true)]
    pub node: String,
    /// Chain id to sign for (default: read from the node's status).
    #[arg(long, global = true)]
    pub chain_id: Option<String>,
    /// Keyring directory (default: <home>/keyring, else ~/.bls/keyring). Keys are stored
    /// UNENCRYPTED (like the Cosmos `test` backend): fine for devnets, not for real funds.
    #[arg(long, env = "BLS_KEYRING", global = true)]
    pub keyring_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,
}

impl ClientOpts {
    /// The context commands run with; `home` (the binary's `--home`, if it has one) decides the
    /// default keyring directory `<home>/keyring`.
    pub fn context(&self, home: Option<&Path>) -> ClientContext {
        let keyring_dir = match (&self.keyring_dir, home) {
            (Some(d), _) => d.clone(),
            (None, Some(h)) => h.join("keyring"),
            (None, None) => Keyring::default_dir(),
        };
        ClientContext {
            node: self.node.clone(),
            chain_id: self.chain_id.clone(),
            keyring_dir,
            output: self.output,
            height: None,
        }
    }
}

/// What a client command needs: where the node is, which chain, which keyring, how to print.
#[derive(Clone, Debug)]
pub struct ClientContext {
    /// CometBFT RPC URL.
    pub node: String,
    /// Chain id override.
    pub chain_id: Option<String>,
    /// Keyring directory.
    pub keyring_dir: PathBuf,
    /// Output format.
    pub output: OutputFormat,
    /// Height state queries read (`blsd query --height`); `None` or 0: the latest.
    pub height: Option<u64>,
}

impl ClientContext {
    /// A context with defaults for `node` and a keyring in `keyring_dir` (handy in tests).
    pub fn new(node: impl Into<String>, keyring_dir: impl Into<PathBuf>) -> Self {
        Self {
            node: node.into(),
            chain_id: None,
            keyring_dir: keyring_dir.into(),
            output: OutputFormat::Text,
            height: None,
        }
    }

    /// The keyring.
    pub fn keyring(&self) -> Keyring {
        Keyring::open(&self.keyring_dir)
    }

    /// An RPC client for the node (its ABCI queries at [`ClientContext::height`] when set).
    pub fn rpc(&self) -> anyhow::Result<RpcClient> {
        let rpc = RpcClient::new(&self.node)?;
        Ok(match self.height {
            Some(h) => rpc.at_height(h)?,
            None => rpc,
        })
    }

    /// Prints `value` as JSON, or as `text(value)` in text mode.
    pub fn emit<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        let out = match self.output {
            OutputFormat::Json => serde_json::to_string_pretty(value)?,
            OutputFormat::Text => text(value),
        };
        print_stdout(&out)
    }
}

/// Prints a JSON answer as is (pretty); non-JSON bytes as a JSON string of their text.
pub(crate) fn emit_raw_json(ctx: &ClientContext, bytes: &[u8]) -> anyhow::Result<()> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()));
    // Text and JSON are the same here: module answers are JSON already.
    ctx.emit(&value, |v| {
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    })
}

/// Prints `text` and a newline on stdout; a closed pipe (`blsd ... | head`) is not a failure.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Asks `question [y/N]` on stderr when stdin is a terminal; `Ok(None)` when it is not (so
/// scripts are never blocked on a prompt: callers decide what a non-interactive run means).
pub fn confirm(question: &str) -> anyhow::Result<Option<bool>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    eprint!("{question} [y/N]: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let answer = line.trim().to_ascii_lowercase();
    Ok(Some(answer == "y" || answer == "yes"))
}
