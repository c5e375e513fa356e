//! The signing key (`--from`) and its funds, checked before any tx with errors that say
//! how to fix them.

use bls_client::cli::submit::TxFlags;
use bls_client::cli::ClientContext;
use bls_client::fee::{GasSetting, DEFAULT_GAS_ADJUSTMENT};
use bls_client::{KeyPair, KeyringError};
use bls_core::DENOM;

use crate::cli::SignArgs;
use crate::errors::CliError;

/// The key named by `from` (a name or the address of a key in the keyring).
pub fn signer(ctx: &ClientContext, from: Option<&str>) -> anyhow::Result<KeyPair> {
    let kr = ctx.keyring();
    let known: Vec<String> = kr.list()?.into_iter().map(|k| k.name).collect();
    if known.is_empty() {
        return Err(CliError::NoKeyring {
            dir: ctx.keyring_dir.clone(),
        }
        .into());
    }
    let Some(from) = from else {
        return Err(CliError::NoSigner { known }.into());
    };
    match kr.get_by_name_or_address(from) {
        Ok(k) => Ok(k),
        Err(KeyringError::NotFound { .. }) => Err(CliError::NoSuchKey {
            name: from.to_string(),
            dir: ctx.keyring_dir.clone(),
            known,
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Fails with [`CliError::NoFunds`] when `key` holds no `ubls` (also checks the node is up).
pub async fn require_funds(ctx: &ClientContext, key: &KeyPair) -> anyhow::Result<()> {
    let rpc = ctx.rpc()?;
    rpc.status().await?;
    if rpc.balance(key.address(), DENOM).await? == 0 {
        return Err(CliError::NoFunds {
            address: key.address().to_string(),
            node: ctx.node.clone(),
            detail: None,
        }
        .into());
    }
    Ok(())
}

/// Refuses a signing command up front when no yes can be had (stdin is not a terminal and
/// `--yes` was not given): before building, querying or signing anything. The same rule
/// `bls_client`'s broadcast gate applies, said before the work rather than after it.
pub fn require_confirmable(sign: &SignArgs) -> anyhow::Result<()> {
    if !sign.yes && !bls_client::cli::submit::interactive() {
        return Err(bls_client::cli::submit::ConfirmError::NoTerminal.into());
    }
    Ok(())
}

/// bls-client's tx flags for a `bls` signing command.
pub fn tx_flags(from: &KeyPair, sign: &SignArgs, wait: bool) -> anyhow::Result<TxFlags> {
    Ok(TxFlags {
        from: Some(from.address().to_string()),
        gas: GasSetting::Auto,
        gas_adjustment: DEFAULT_GAS_ADJUSTMENT.parse()?,
        gas_prices: sign.gas_prices.clone(),
        fees: sign.fees.clone(),
        memo: String::new(),
        yes: sign.yes,
        wait,
        wait_timeout: 60,
    })
}
