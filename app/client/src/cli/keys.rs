//! `blsd keys add|import|export|list|show|delete` (also `bls keys`).

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::context::{confirm, shell_word, table, ClientContext};
use crate::keyring::armor::MAX_ARMOR_BYTES;
use crate::keyring::{KeyInfo, KeyringBackend, PassphraseSource};

/// Manage the local keyring. With the default `file` backend every private key is encrypted
/// under a passphrase ($BLS_KEYRING_PASSPHRASE, --keyring-passphrase-file, or a prompt);
/// `--keyring-backend test` keeps keys unencrypted, for devnets and CI only.
#[derive(Args, Clone, Debug)]
#[command(
    after_help = "Export passphrases (keys export/import FILE): --export-passphrase-file     FILE, else $BLS_EXPORT_PASSPHRASE, else a prompt when stdin is a terminal."
)]
pub struct KeysCmd {
    /// The keys subcommand.
    #[command(subcommand)]
    pub cmd: KeysSub,
}

/// `blsd keys` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum KeysSub {
    /// Generate a new key (prints its 24-word mnemonic once: write it down).
    Add {
        /// Name of the new key.
        name: String,
    },
    /// Import a key: from FILE, an armored export (`keys export`); else from a BIP39
    /// mnemonic (--mnemonic, or stdin).
    Import {
        /// Name of the key.
        name: String,
        /// An armored key written by `keys export`, opened with its export passphrase.
        #[arg(conflicts_with = "mnemonic")]
        file: Option<PathBuf>,
        /// The mnemonic; read from stdin when neither it nor FILE is given.
        #[arg(long)]
        mnemonic: Option<String>,
        /// File whose first line is the export passphrase (else $BLS_EXPORT_PASSPHRASE, else
        /// a prompt).
        #[arg(long, value_name = "FILE", requires = "file")]
        export_passphrase_file: Option<PathBuf>,
    },
    /// Print key NAME as an ASCII-armored block (-----BEGIN BLS PRIVATE KEY-----), encrypted
    /// under a new export passphrase (scrypt + AES-256-GCM); `keys import NAME FILE` reads it.
    Export {
        /// Name of the key.
        name: String,
        /// Write the block to this file (mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// File whose first line is the export passphrase (else $BLS_EXPORT_PASSPHRASE, else
        /// asked twice at a prompt).
        #[arg(long, value_name = "FILE")]
        export_passphrase_file: Option<PathBuf>,
    },
    /// List all keys.
    List,
    /// Show a key's address and public key.
    Show {
        /// Name of the key.
        name: String,
        /// Print only the address.
        #[arg(long, short = 'a')]
        address: bool,
    },
    /// Delete a key.
    Delete {
        /// Name of the key.
        name: String,
        /// Do not ask for confirmation (required when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Serialize)]
struct AddedKey<'a> {
    #[serde(flatten)]
    info: &'a KeyInfo,
    mnemonic: &'a str,
}

#[derive(Serialize)]
struct Exported<'a> {
    name: &'a str,
    address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a std::path::Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    armor: Option<&'a str>,
}

#[derive(Serialize)]
struct AddressOnly<'a> {
    address: &'a str,
}

#[derive(Serialize)]
struct Deleted<'a> {
    deleted: &'a str,
}

fn key_text(k: &KeyInfo) -> String {
    format!(
        "- name: {}\n  address: {}\n  pubkey: {}\n  backend: {}",
        k.name,
        k.address,
        k.pubkey,
        backend_text(k.backend)
    )
}

fn backend_text(b: KeyringBackend) -> &'static str {
    match b {
        KeyringBackend::File => "file (encrypted)",
        KeyringBackend::Test => "test (UNENCRYPTED)",
    }
}

impl KeysCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let kr = ctx.keyring();
        match self.cmd {
            KeysSub::Add { name } => {
                let (info, mnemonic) = kr.add(&name)?;
                let out = AddedKey {
                    info: &info,
                    mnemonic: &mnemonic,
                };
                ctx.emit(&out, |o| {
                    format!(
                        "{}\n\n**Important** write this mnemonic phrase in a safe place.\n\
                         It is the only way to recover your account if you ever forget your key.\n\n{}",
                        key_text(o.info),
                        o.mnemonic
                    )
                })
            }
            KeysSub::Import {
                name,
                file: Some(file),
                export_passphrase_file,
                ..
            } => {
                let text = read_armor(&file)?;
                let info = kr.import_armored(
                    &name,
                    &text,
                    &PassphraseSource::export(export_passphrase_file),
                )?;
                ctx.emit(&info, key_text)
            }
            KeysSub::Import { name, mnemonic, .. } => {
                let phrase = zeroize::Zeroizing::new(match mnemonic {
                    Some(m) => m,
                    None => read_mnemonic_from_stdin()?,
                });
                let info = kr.import_mnemonic(&name, &phrase)?;
                ctx.emit(&info, key_text)
            }
            KeysSub::Export {
                name,
                out,
                export_passphrase_file,
            } => {
                let info = kr.show(&name)?;
                let armored = zeroize::Zeroizing::new(
                    kr.export_armored(&name, &PassphraseSource::export(export_passphrase_file))?,
                );
                match &out {
                    Some(path) => {
                        write_new_private(path, armored.as_bytes())?;
                        ctx.emit(
                            &Exported {
                                name: &name,
                                address: &info.address,
                                file: Some(path),
                                armor: None,
                            },
                            |e| {
                                format!(
                                    "key {:?} ({}) exported to {}",
                                    e.name,
                                    e.address,
                                    path.display()
                                )
                            },
                        )
                    }
                    None => ctx.emit(
                        &Exported {
                            name: &name,
                            address: &info.address,
                            file: None,
                            armor: Some(&armored),
                        },
                        |e| e.armor.unwrap_or_default().to_string(),
                    ),
                }
            }
            KeysSub::List => {
                let keys = kr.list()?;
                ctx.emit(&keys, |ks| {
                    if ks.is_empty() {
                        format!(
                            "no keys in {}: create one with `blsd keys add NAME --keyring-dir {}`",
                            kr.dir().display(),
                            shell_word(&kr.dir().display().to_string())
                        )
                    } else {
                        let rows: Vec<Vec<String>> = ks
                            .iter()
                            .map(|k| {
                                vec![
                                    k.name.clone(),
                                    k.address.to_string(),
                                    backend_text(k.backend).to_string(),
                                ]
                            })
                            .collect();
                        table(&["NAME", "ADDRESS", "BACKEND"], &rows)
                    }
                })
            }
            KeysSub::Show { name, address } => {
                let info = kr.show(&name)?;
                if address {
                    ctx.emit(
                        &AddressOnly {
                            address: &info.address,
                        },
                        |a| a.address.to_string(),
                    )
                } else {
                    ctx.emit(&info, key_text)
                }
            }
            KeysSub::Delete { name, yes } => {
                // Check first so a typo fails before any prompt.
                kr.show(&name)?;
                if !yes {
                    match confirm(&format!(
                        "delete key {name:?}? It cannot be recovered without its mnemonic"
                    ))? {
                        Some(true) => {}
                        Some(false) => bail!("aborted: key {name:?} was not deleted"),
                        None => bail!(
                            "refusing to delete key {name:?} without confirmation: pass --yes"
                        ),
                    }
                }
                kr.delete(&name)?;
                ctx.emit(&Deleted { deleted: &name }, |d| {
                    format!("key {:?} deleted", d.deleted)
                })
            }
        }
    }
}

/// An armored key file, read up to a bound (a real one is under 1 KiB).
fn read_armor(path: &std::path::Path) -> anyhow::Result<String> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    f.take(MAX_ARMOR_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {} (an armored key is text)", path.display()))?;
    Ok(text)
}

/// Writes `bytes` to a new file readable by its owner only; never replaces a file.
fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn read_mnemonic_from_stdin() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprintln!("enter your BIP39 mnemonic, then press Enter:");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line);
    }
    let mut all = String::new();
    std::io::stdin().read_to_string(&mut all)?;
    if all.trim().is_empty() {
        bail!("no mnemonic on stdin: pass --mnemonic \"word1 word2 ...\" or pipe it in");
    }
    Ok(all)
}
