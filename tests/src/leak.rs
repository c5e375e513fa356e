//! Looking for copies of a secret wherever the system keeps or shows data: files under a
//! directory (logs, stores, keyrings, caches), every block's transactions and events through
//! RPC, and any text (API answers, metrics). A secret is searched for as its raw bytes, hex
//! and base64 (standard and URL-safe), so an encoding step does not hide a copy.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use bls_client::rpc::RpcClient;

/// The forms a copy of `secret` could take.
pub fn forms(secret: &[u8]) -> Vec<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    vec![
        secret.to_vec(),
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
        b64.trim_end_matches('=').as_bytes().to_vec(),
        b64url.into_bytes(),
    ]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether `text` holds any form of any of `secrets`; names the first found.
pub fn find_in(text: &[u8], secrets: &[&[u8]]) -> Option<String> {
    for s in secrets {
        for f in forms(s) {
            if contains(text, &f) {
                return Some(String::from_utf8_lossy(&f).into_owned());
            }
        }
    }
    None
}

/// Every file under `dir` (recursively, symlinks not followed) holding a form of a secret.
pub fn files_containing(dir: &Path, secrets: &[&[u8]]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                // Files vanish while processes run (temp files, rotated logs): skip those.
                if let Ok(bytes) = std::fs::read(e.path()) {
                    if find_in(&bytes, secrets).is_some() {
                        out.push(e.path());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The number of files under `dir` (to show a scan looked at something).
pub fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => n += 1,
                _ => {}
            }
        }
    }
    n
}

/// Heights `1..=to` whose raw transactions or events (tx and finalize-block, attribute keys and
/// values) hold a form of a secret; also returns how many transactions were looked at.
pub async fn blocks_containing(
    rpc: &RpcClient,
    url: &str,
    to: u64,
    secrets: &[&[u8]],
) -> anyhow::Result<(Vec<u64>, usize)> {
    let http = reqwest::Client::new();
    let mut hits = Vec::new();
    let mut txs_seen = 0;
    for h in 1..=to {
        let block: serde_json::Value = http
            .get(format!("{url}/block?height={h}"))
            .send()
            .await?
            .json()
            .await?;
        let mut found = false;
        for tx in block["result"]["block"]["data"]["txs"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(tx.as_str().unwrap_or_default())?;
            txs_seen += 1;
            found |= find_in(&raw, secrets).is_some();
        }
        let results = rpc.block_results(h).await?;
        let events = results
            .txs
            .iter()
            .flat_map(|t| t.events.iter())
            .chain(results.finalize_block_events.iter());
        for e in events {
            for a in &e.attributes {
                found |= find_in(a.key.as_bytes(), secrets).is_some()
                    || find_in(a.value.as_bytes(), secrets).is_some();
            }
        }
        if found {
            hits.push(h);
        }
    }
    Ok((hits, txs_seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_form_in_files_and_text() {
        let dir = tempfile::tempdir().unwrap();
        let s = b"s3cret-value";
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a.log"), b"nothing here").unwrap();
        std::fs::write(dir.path().join("sub/b.db"), hex::encode(s)).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(s);
        std::fs::write(dir.path().join("c.json"), format!("{{\"v\":\"{b64}\"}}")).unwrap();
        let found = files_containing(dir.path(), &[s]).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(count_files(dir.path()), 3);
        assert!(find_in(b"xx s3cret-value yy", &[s]).is_some());
        assert!(find_in(b"s3cret-valu", &[s]).is_none());
    }
}
