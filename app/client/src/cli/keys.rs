//! `blsd keys add|import|list|show|delete`.

use std::io::{IsTerminal as _, Read as _};

use anyhow::bail;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::context::{confirm, shell_word, table, ClientContext};
use crate::keyring::KeyInfo;

/// Manage the local keyring (keys are stored unencrypted: devnet-grade, like the Cosmos
/// `test` backend).
#[derive(Args, Clone, Debug)]
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
    /// Import a key from a BIP39 mnemonic (from --mnemonic or stdin).
    Import {
        /// Name of the key.
        name: String,
        /// The mnemonic; read from stdin when omitted.
        #[arg(long)]
        mnemonic: Option<String>,
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
struct AddressOnly<'a> {
    address: &'a str,
}

#[derive(Serialize)]
struct Deleted<'a> {
    deleted: &'a str,
}

fn key_text(k: &KeyInfo) -> String {
    format!(
        "- name: {}\n  address: {}\n  pubkey: {}",
        k.name, k.address, k.pubkey
    )
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
            KeysSub::Import { name, mnemonic } => {
                let phrase = match mnemonic {
                    Some(m) => m,
                    None => read_mnemonic_from_stdin()?,
                };
                let info = kr.import_mnemonic(&name, &phrase)?;
                ctx.emit(&info, key_text)
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
                            .map(|k| vec![k.name.clone(), k.address.to_string()])
                            .collect();
                        table(&["NAME", "ADDRESS"], &rows)
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
