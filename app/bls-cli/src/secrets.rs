//! `bls function secrets set|unset|list|rotate`: a function's sealed environment variables.
//!
//! Values are sealed here, on the owner's machine, to every member of the function's
//! subnetwork (`bls_client::secrets::seal_secrets`); only envelopes and a commitment leave it.
//! `list` shows names, versions and which members hold them — never a value (nobody but the
//! members can read one back, the owner included).

use std::path::Path;

use anyhow::Context as _;
use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::ClientContext;
use bls_client::secrets::{seal_secrets, secrets, set_secret_msg, unset_secret_msg};
use serde::Serialize;

use crate::cli::SignArgs;
use crate::errors::explain;
use crate::signer::{require_confirmable, require_funds, signer, tx_flags};

/// Parses `NAME=VALUE` arguments and the lines of `--from-file` (`NAME=VALUE`; blank lines and
/// lines starting with `#` skipped; the value is everything after the first `=`, kept as is).
pub fn parse_entries(
    args: &[String],
    file: Option<&Path>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |entry: &str, whence: &str| -> anyhow::Result<()> {
        let (name, value) = entry
            .split_once('=')
            .with_context(|| format!("{whence}: expected NAME=VALUE"))?;
        bls_client::sealed::validate_secret_name(name)
            .map_err(|e| anyhow::anyhow!("{whence}: {e}"))?;
        bls_client::sealed::validate_secret_value(value)
            .map_err(|e| anyhow::anyhow!("{whence} ({name}): {e}"))?;
        if out.iter().any(|(n, _)| n == name) {
            anyhow::bail!("{whence}: {name} is given twice");
        }
        out.push((name.to_string(), value.to_string()));
        Ok(())
    };
    for (i, a) in args.iter().enumerate() {
        push(a, &format!("argument {}", i + 1))?;
    }
    if let Some(f) = file {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            push(line, &format!("{} line {}", f.display(), i + 1))?;
        }
    }
    if out.is_empty() {
        anyhow::bail!("no secrets given: pass NAME=VALUE arguments or --from-file FILE");
    }
    Ok(out)
}

#[derive(Serialize)]
struct Set {
    function_id: u64,
    names: Vec<String>,
    versions: Vec<u64>,
    sealed_to: Vec<String>,
    txhash: String,
    height: u64,
}

/// `set` (and `rotate`, which first checks every name exists).
pub async fn set(
    ctx: &ClientContext,
    from: Option<&str>,
    id: u64,
    entries: Vec<(String, String)>,
    rotate: bool,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    let addr = key.address().to_string();
    let rpc = ctx.rpc()?;
    let chain_id = match &ctx.chain_id {
        Some(c) => c.clone(),
        None => rpc.status().await.context("reading the chain id")?.chain_id,
    };
    if rotate {
        let current = secrets(&rpc, id).await?;
        for (name, _) in &entries {
            if !current.secrets.iter().any(|s| &s.name == name) {
                anyhow::bail!(
                    "function {id} has no secret {name} to rotate (use `bls function secrets set`)"
                );
            }
        }
    }
    let (msgs, members) = seal_secrets(&rpc, &chain_id, key.address(), id, &entries).await?;
    drop(entries);
    let versions: Vec<u64> = msgs.iter().map(|m| m.version).collect();
    let names: Vec<String> = msgs.iter().map(|m| m.name.clone()).collect();
    let r = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        broadcast_and_wait(ctx, &flags, &key, msgs.iter().map(set_secret_msg).collect()).await
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    let out = Set {
        function_id: id,
        names,
        versions,
        sealed_to: members,
        txhash: r.hash,
        height: r.height,
    };
    ctx.emit(&out, |o| {
        format!(
            "function {}: {} sealed to {} member(s) (txhash {}, height {})\nvalues never leave the members; new members get them re-sealed by the others",
            o.function_id,
            o.names.join(", "),
            o.sealed_to.len(),
            o.txhash,
            o.height
        )
    })
}

#[derive(Serialize)]
struct Unset {
    function_id: u64,
    names: Vec<String>,
    txhash: String,
    height: u64,
}

/// `unset`.
pub async fn unset(
    ctx: &ClientContext,
    from: Option<&str>,
    id: u64,
    names: Vec<String>,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    if names.is_empty() {
        anyhow::bail!("name at least one secret to unset");
    }
    let addr = key.address().to_string();
    let r = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        let msgs = names
            .iter()
            .map(|n| unset_secret_msg(key.address(), id, n))
            .collect();
        broadcast_and_wait(ctx, &flags, &key, msgs).await
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    let out = Unset {
        function_id: id,
        names,
        txhash: r.hash,
        height: r.height,
    };
    ctx.emit(&out, |o| {
        format!(
            "function {}: removed {} (txhash {}, height {})",
            o.function_id,
            o.names.join(", "),
            o.txhash,
            o.height
        )
    })
}

/// `list`: names, versions, and which members lack which.
pub async fn list(ctx: &ClientContext, id: u64) -> anyhow::Result<()> {
    let rpc = ctx.rpc()?;
    let s = secrets(&rpc, id).await?;
    ctx.emit(&s, |s| {
        let mut out = String::new();
        if s.secrets.is_empty() {
            out.push_str(&format!("function {id} has no secrets\n"));
        }
        for e in &s.secrets {
            out.push_str(&format!(
                "{}  version {}  set at height {}\n",
                e.name, e.version, e.set_height
            ));
        }
        for m in &s.members {
            let state = if m.encryption_pubkey.is_empty() {
                "no encryption key (cannot hold secrets)".to_string()
            } else if m.missing.is_empty() {
                "holds all".to_string()
            } else {
                format!("waiting for {}", m.missing.join(", "))
            };
            out.push_str(&format!("member {}: {state}\n", m.worker));
        }
        out.trim_end().to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_from_args_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.env");
        std::fs::write(&f, "# comment\n\nB=x=y\r\nC=\n").unwrap();
        let e = parse_entries(&["A=1".into()], Some(&f)).unwrap();
        assert_eq!(
            e,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), String::new())
            ]
        );
        assert!(parse_entries(&[], None).is_err());
        assert!(parse_entries(&["NOEQUALS".into()], None).is_err());
        assert!(parse_entries(&["9X=1".into()], None).is_err());
        assert!(parse_entries(&["A=1".into(), "A=2".into()], None).is_err());
        let big = format!("A={}", "v".repeat(5000));
        assert!(parse_entries(&[big], None).is_err());
    }
}
