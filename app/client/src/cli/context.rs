//! Global client options (`--node`, `--chain-id`, `--keyring-dir`, `--keyring-backend`,
//! `--keyring-passphrase-file`, `--output`) and the context every command runs with.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::keyring::{Keyring, KeyringBackend, PassphraseSource};
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
    /// Keyring directory, the same for `blsd` and `bls` (default: `<blsd home>/keyring`:
    /// blsd's --home, else $BLSD_HOME, else ~/.blsd).
    #[arg(long, env = "BLS_KEYRING", global = true)]
    pub keyring_dir: Option<PathBuf>,
    /// Keyring backend: `file` encrypts each private key (scrypt + AES-256-GCM) under a
    /// passphrase; `test` stores keys UNENCRYPTED, for devnets and CI only. A key is read only
    /// by the backend that wrote it.
    #[arg(long, value_enum, env = "BLS_KEYRING_BACKEND", default_value_t = KeyringBackend::File, global = true)]
    pub keyring_backend: KeyringBackend,
    /// File whose first line is the keyring passphrase (`file` backend). Without it the
    /// passphrase is $BLS_KEYRING_PASSPHRASE, else asked (no echo) when stdin is a terminal.
    #[arg(
        long,
        env = "BLS_KEYRING_PASSPHRASE_FILE",
        value_name = "FILE",
        global = true
    )]
    pub keyring_passphrase_file: Option<PathBuf>,
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
            keyring_backend: self.keyring_backend,
            passphrase: PassphraseSource::keyring(self.keyring_passphrase_file.clone()),
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
    /// Keyring backend.
    pub keyring_backend: KeyringBackend,
    /// Where the keyring passphrase comes from (shared by clones: asked at most once).
    pub passphrase: PassphraseSource,
    /// Output format.
    pub output: OutputFormat,
    /// Height state queries read (`blsd query --height`); `None` or 0: the latest.
    pub height: Option<u64>,
}

impl ClientContext {
    /// A context with defaults for `node` and a `file` keyring in `keyring_dir` (handy in
    /// tests).
    pub fn new(node: impl Into<String>, keyring_dir: impl Into<PathBuf>) -> Self {
        Self {
            node: node.into(),
            chain_id: None,
            keyring_dir: keyring_dir.into(),
            keyring_backend: KeyringBackend::File,
            passphrase: PassphraseSource::keyring(None),
            output: OutputFormat::Text,
            height: None,
        }
    }

    /// The keyring.
    pub fn keyring(&self) -> Keyring {
        Keyring::new(
            &self.keyring_dir,
            self.keyring_backend,
            self.passphrase.clone(),
        )
    }

    /// An RPC client for the node (its ABCI queries at [`ClientContext::height`] when set).
    pub fn rpc(&self) -> anyhow::Result<RpcClient> {
        let rpc = RpcClient::new(&self.node)?;
        Ok(match self.height {
            Some(h) => rpc.at_height(h)?,
            None => rpc,
        })
    }

    /// The global flags a printed follow-up command needs to reach the same node as this one:
    /// ` --node URL` unless it is the default, ` --chain-id ID` when one was given. Empty or
    /// starting with a space, so hints can append it.
    pub fn node_flags(&self) -> String {
        let mut s = String::new();
        if self.node != DEFAULT_NODE {
            s.push_str(&format!(" --node {}", shell_word(&self.node)));
        }
        if let Some(id) = &self.chain_id {
            s.push_str(&format!(" --chain-id {}", shell_word(id)));
        }
        s
    }

    /// [`ClientContext::node_flags`] plus what a follow-up signing command needs to find the
    /// same key: ` --keyring-dir DIR` unless it is the default keyring, ` --keyring-backend
    /// test` unless it is the default backend.
    pub fn signing_flags(&self) -> String {
        let mut s = self.node_flags();
        if self.keyring_dir != Keyring::default_dir() {
            s.push_str(&format!(
                " --keyring-dir {}",
                shell_word(&self.keyring_dir.display().to_string())
            ));
        }
        if self.keyring_backend != KeyringBackend::default() {
            s.push_str(&format!(" --keyring-backend {}", self.keyring_backend));
        }
        s
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

/// An aligned text table: `headers`, then one line per row, columns separated by two spaces
/// and padded to their widest cell (the last column is not padded).
pub fn table<S: AsRef<str>>(headers: &[&str], rows: &[Vec<S>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.as_ref().chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut l = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            if i == last {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        l.trim_end().to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    for row in rows {
        out.push(line(row.iter().map(AsRef::as_ref).collect()));
    }
    out.join("\n")
}

/// A JSON document as aligned `key: value` lines for people, keys in the document's order:
/// nested objects indented under their key, lists of records as `- ` items, lists of plain
/// values joined with ", ", and absent or empty values as `-`. Not JSON: the text itself.
pub fn json_text(json: &[u8]) -> String {
    match serde_json::from_slice::<Node>(json) {
        Ok(Node::Object(m)) => {
            let mut out = Vec::new();
            object_lines(&m, 0, &mut out);
            out.join("\n")
        }
        Ok(other) => plain(&other),
        Err(_) => String::from_utf8_lossy(json).into_owned(),
    }
}

/// `value` (any serializable record) as [`json_text`], fields in declaration order.
pub fn record_text<T: Serialize>(value: &T) -> String {
    serde_json::to_vec(value)
        .map(|j| json_text(&j))
        .unwrap_or_default()
}

/// A JSON value whose objects keep their keys' order (serde_json's `Value` sorts them).
enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Leaf(serde_json::Value),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Leaf(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Leaf(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Leaf(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Leaf(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Leaf(v.into()))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf(serde_json::Value::Null))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf(serde_json::Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Node::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry::<String, Node>()? {
                    v.push((k, x));
                }
                Ok(Node::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn object_lines(m: &[(String, Node)], indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    let width = m.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0) + 1;
    for (k, v) in m {
        let key = format!("{k}:");
        match v {
            Node::Object(inner) if !inner.is_empty() => {
                out.push(format!("{pad}{key}"));
                object_lines(inner, indent + 2, out);
            }
            Node::Array(items) if items.iter().any(|i| matches!(i, Node::Object(_))) => {
                out.push(format!("{pad}{key}"));
                for item in items {
                    let mut lines = Vec::new();
                    match item {
                        Node::Object(o) => object_lines(o, indent + 4, &mut lines),
                        other => lines.push(format!("{pad}    {}", plain(other))),
                    }
                    // The first line of each item carries the list marker.
                    if let Some(first) = lines.first_mut() {
                        *first = format!("{pad}  - {}", &first[indent + 4..]);
                    }
                    out.extend(lines);
                }
            }
            other => out.push(format!("{pad}{key:<width$} {}", plain(other))),
        }
    }
}

/// A value on one line: strings bare, absent or empty values as `-`.
fn plain(v: &Node) -> String {
    use serde_json::Value;
    match v {
        Node::Leaf(Value::Null) => "-".into(),
        Node::Leaf(Value::String(s)) if s.is_empty() => "-".into(),
        Node::Leaf(Value::String(s)) => s.clone(),
        Node::Leaf(other) => other.to_string(),
        Node::Array(a) if a.is_empty() => "-".into(),
        Node::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(", "),
        Node::Object(o) if o.is_empty() => "-".into(),
        Node::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// `w` as one shell word: as is when it has only safe characters, else single-quoted.
pub fn shell_word(w: &str) -> String {
    let safe = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if safe {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// Prints a module's JSON answer: as is (pretty) with `--output json`, as aligned
/// `key: value` text otherwise ([`json_text`], keys in the module's order); non-JSON bytes
/// as their text.
pub(crate) fn emit_raw_json(ctx: &ClientContext, bytes: &[u8]) -> anyhow::Result<()> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned()));
    ctx.emit(&value, |_| json_text(bytes))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let t = table(&["ID", "NAME"], &[vec!["1", "a"], vec!["100", "bbbb"]]);
        assert_eq!(t, "ID   NAME\n1    a\n100  bbbb");
    }

    #[test]
    fn records_nest_and_align() {
        let t = json_text(
            br#"{"long_key": "x", "a": 1, "empty": "", "list": [1, 2],
                                 "sub": {"k": true}}"#,
        );
        assert!(t.starts_with("long_key: x\na:        1"), "{t}");
        assert!(t.contains("a:        1"), "{t}");
        assert!(t.contains("long_key: x"), "{t}");
        assert!(t.contains("empty:    -"), "{t}");
        assert!(t.contains("list:     1, 2"), "{t}");
        assert!(t.contains("sub:\n  k: true"), "{t}");
    }

    #[test]
    fn shell_words_quote_only_when_needed() {
        assert_eq!(
            shell_word("http://127.0.0.1:26657"),
            "http://127.0.0.1:26657"
        );
        assert_eq!(shell_word("/tmp/my keys"), "'/tmp/my keys'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn follow_up_flags_name_only_what_is_not_the_default() {
        let ctx = ClientContext::new(DEFAULT_NODE, Keyring::default_dir());
        assert_eq!(ctx.signing_flags(), "");
        let mut ctx = ClientContext::new("http://10.0.0.2:26657", "/k");
        ctx.chain_id = Some("c".into());
        assert_eq!(
            ctx.node_flags(),
            " --node http://10.0.0.2:26657 --chain-id c"
        );
        assert_eq!(
            ctx.signing_flags(),
            " --node http://10.0.0.2:26657 --chain-id c --keyring-dir /k"
        );
        ctx.keyring_backend = KeyringBackend::Test;
        assert!(ctx
            .signing_flags()
            .ends_with(" --keyring-dir /k --keyring-backend test"));
    }
}
