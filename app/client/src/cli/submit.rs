//! The sign → confirm → broadcast → wait flow every `blsd tx` command (and `bls`) goes
//! through, the flags that steer it, and the text of an included tx's result.

use std::io::IsTerminal as _;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bls_core::Coins;
use clap::Args;
use cosmos_sdk_proto::Any;

use super::context::{confirm, ClientContext};
use crate::fee::{Decimal, GasPrice, GasSetting, DEFAULT_GAS_ADJUSTMENT, DEFAULT_GAS_PRICE};
use crate::keys::KeyPair;
use crate::rpc::{RpcClient, TxResult};
use crate::send::{fetch_account_state, sign_tx, Broadcasted, SendError, TxOptions};

/// Flags every `blsd tx` command takes.
#[derive(Args, Clone, Debug)]
pub struct TxFlags {
    /// Key name (or address of a key in the keyring) that signs and pays.
    #[arg(long)]
    pub from: Option<String>,
    /// Gas limit, or `auto` to simulate and multiply by --gas-adjustment.
    #[arg(long, default_value = "auto")]
    pub gas: GasSetting,
    /// Multiplier applied to simulated gas.
    #[arg(long, default_value = DEFAULT_GAS_ADJUSTMENT)]
    pub gas_adjustment: Decimal,
    /// Price per gas unit; the fee is ceil(gas × price).
    #[arg(long, default_value = DEFAULT_GAS_PRICE)]
    pub gas_prices: GasPrice,
    /// Explicit fee (e.g. 5000ubls), instead of gas × --gas-prices.
    #[arg(long)]
    pub fees: Option<String>,
    /// Memo.
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Broadcast without asking. Needed when stdin is not a terminal (scripts, pipes): there
    /// no prompt can be shown, and the tx is refused before signing without --yes.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Wait until the tx is in a block and print its result.
    #[arg(long)]
    pub wait: bool,
    /// Seconds to wait for inclusion with --wait.
    #[arg(long, default_value_t = 60)]
    pub wait_timeout: u64,
}

impl TxFlags {
    /// The library options these flags mean.
    pub fn options(&self, ctx: &ClientContext) -> anyhow::Result<TxOptions> {
        let fees = match &self.fees {
            Some(f) => Some(Coins::parse(f).with_context(|| format!("--fees {f:?}"))?),
            None => None,
        };
        Ok(TxOptions {
            chain_id: ctx.chain_id.clone(),
            gas: self.gas,
            gas_adjustment: self.gas_adjustment,
            gas_price: self.gas_prices.clone(),
            fees,
            memo: self.memo.clone(),
            wait_timeout: Duration::from_secs(self.wait_timeout),
        })
    }

    /// The signing key named by `--from`.
    pub fn signer(&self, ctx: &ClientContext) -> anyhow::Result<KeyPair> {
        let Some(from) = &self.from else {
            bail!("no signer: pass --from KEY (see `blsd keys list`)");
        };
        Ok(ctx.keyring().get_by_name_or_address(from)?)
    }
}

/// Signs `msgs` with `key`, asks for confirmation, broadcasts, optionally waits, prints.
/// Returns the result when waited for; a failed tx is an error (after printing it).
pub async fn submit(
    ctx: &ClientContext,
    flags: &TxFlags,
    key: &KeyPair,
    msgs: Vec<Any>,
) -> anyhow::Result<Option<TxResult>> {
    let rpc = ctx.rpc()?;
    let opts = flags.options(ctx)?;
    let (broadcasted, _) = sign_confirm_broadcast(&rpc, flags, key, msgs, &opts).await?;
    if !flags.wait {
        ctx.emit(&broadcasted, |b| {
            format!(
                "txhash: {}\ngas: {}\nfee: {}\n(not waiting for inclusion: pass --wait, or run `blsd query tx {}{}`)",
                b.hash,
                b.gas_limit,
                b.fee,
                b.hash,
                ctx.node_flags()
            )
        })?;
        return Ok(None);
    }
    eprintln!("broadcast {}; waiting for inclusion...", broadcasted.hash);
    let result = rpc
        .wait_for_tx(&broadcasted.hash, opts.wait_timeout)
        .await?;
    ctx.emit(&result, tx_result_text)?;
    if !result.is_ok() {
        return Err(failed(&result).into());
    }
    Ok(Some(result))
}

/// Signs, confirms, broadcasts and always waits for inclusion (for commands whose output
/// comes from the tx result, e.g. a new id). A failed tx is an error carrying its log.
pub async fn broadcast_and_wait(
    ctx: &ClientContext,
    flags: &TxFlags,
    key: &KeyPair,
    msgs: Vec<Any>,
) -> anyhow::Result<TxResult> {
    let rpc = ctx.rpc()?;
    let opts = flags.options(ctx)?;
    let (b, _) = sign_confirm_broadcast(&rpc, flags, key, msgs, &opts).await?;
    eprintln!("broadcast {}; waiting for inclusion...", b.hash);
    let r = rpc.wait_for_tx(&b.hash, opts.wait_timeout).await?;
    if !r.is_ok() {
        return Err(failed(&r).into());
    }
    Ok(r)
}

/// An included tx's failure, typed so `chain_error::explain` can say what to do about it.
fn failed(r: &TxResult) -> SendError {
    SendError::Failed {
        hash: r.hash.clone(),
        height: r.height,
        code: r.code,
        codespace: r.codespace.clone(),
        log: r.log.clone(),
    }
}

/// A tx refused for want of a yes: nothing was signed or broadcast.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// stdin is not a terminal and `--yes` was not given.
    #[error("not broadcasting without confirmation: stdin is not a terminal, so no prompt can be shown; pass --yes to sign and broadcast")]
    NoTerminal,
    /// The prompt was answered with something other than yes.
    #[error("aborted: transaction not broadcast")]
    Declined,
}

/// Whether the process can ask its user (stdin is a terminal).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Signs (simulating gas when `auto`), shows a summary and asks unless `--yes`, broadcasts.
/// The one gate every signing command goes through: a tx is broadcast only after `--yes` or a
/// yes typed at the prompt; without a terminal and without `--yes` it is refused before signing.
pub(crate) async fn sign_confirm_broadcast(
    rpc: &RpcClient,
    flags: &TxFlags,
    key: &KeyPair,
    msgs: Vec<Any>,
    opts: &TxOptions,
) -> anyhow::Result<(Broadcasted, usize)> {
    gated_sign_broadcast(rpc, flags, key, msgs, opts, interactive()).await
}

/// [`sign_confirm_broadcast`] with the terminal check given (tests pass `false`).
async fn gated_sign_broadcast(
    rpc: &RpcClient,
    flags: &TxFlags,
    key: &KeyPair,
    msgs: Vec<Any>,
    opts: &TxOptions,
    interactive: bool,
) -> anyhow::Result<(Broadcasted, usize)> {
    // Refuse before signing: simulating and signing would touch the node for nothing.
    if !flags.yes && !interactive {
        return Err(ConfirmError::NoTerminal.into());
    }
    let types: Vec<String> = msgs.iter().map(|m| m.type_url.clone()).collect();
    let state = fetch_account_state(rpc, key.address()).await?;
    let signed = sign_tx(rpc, key, state, msgs, opts).await?;
    let size = signed.bytes.len();
    let fee = crate::tx::decode_tx(&signed.bytes)?
        .auth_info
        .fee
        .unwrap_or_default();
    let fee_text = Coins::from_proto(&fee.amount)
        .map(|c| c.to_string())
        .unwrap_or_default();
    if !flags.yes {
        let summary = format!(
            "signer: {}\nmessages: {}\ngas: {}\nfee: {}\nsize: {} bytes\nsign and broadcast?",
            key.address(),
            types.join(", "),
            fee.gas_limit,
            fee_text,
            size
        );
        match confirm(&summary)? {
            Some(true) => {}
            Some(false) => return Err(ConfirmError::Declined.into()),
            None => return Err(ConfirmError::NoTerminal.into()),
        }
    }
    let hash = rpc.broadcast_tx_sync(signed.bytes).await.map_err(|e| {
        let hint = matches!(&e, crate::rpc::RpcError::CheckTx { codespace, code, log, .. }
            if crate::send::is_sequence_mismatch(codespace, *code, log));
        let e = anyhow::Error::new(e);
        if hint {
            // The account query reads committed state: a tx still in the mempool is not counted.
            e.context("an earlier tx from this account is probably still in the mempool: wait for it (use --wait) and retry")
        } else {
            e
        }
    })?;
    Ok((
        Broadcasted {
            hash,
            gas_limit: fee.gas_limit,
            fee: fee_text,
            sequence: state.sequence,
        },
        size,
    ))
}

/// Text rendering of an included tx's result.
pub fn tx_result_text(r: &TxResult) -> String {
    let mut s = format!(
        "txhash: {}\nheight: {}\ncode: {}\ngas: {} / {}",
        r.hash, r.height, r.code, r.gas_used, r.gas_wanted
    );
    if !r.codespace.is_empty() {
        s.push_str(&format!("\ncodespace: {}", r.codespace));
    }
    if !r.log.is_empty() {
        s.push_str(&format!("\nlog: {}", r.log));
    }
    for e in &r.events {
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|a| format!("{}={}", a.key, a.value))
            .collect();
        s.push_str(&format!("\nevent {}: {}", e.kind, attrs.join(" ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A loopback "node" that counts connections and answers none of them usefully: a
    /// signing command that reaches it has gone past the confirmation gate.
    fn counting_node() -> (String, Arc<AtomicUsize>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
                // Closing at once makes the client fail fast instead of waiting.
                drop(conn);
            }
        });
        (url, seen)
    }

    fn flags(yes: bool) -> TxFlags {
        TxFlags {
            from: None,
            gas: crate::fee::GasSetting::Fixed(200_000),
            gas_adjustment: DEFAULT_GAS_ADJUSTMENT.parse().unwrap(),
            gas_prices: DEFAULT_GAS_PRICE.parse().unwrap(),
            fees: None,
            memo: String::new(),
            yes,
            wait: false,
            wait_timeout: 1,
        }
    }

    async fn attempt(yes: bool) -> (anyhow::Result<(Broadcasted, usize)>, usize) {
        let (url, seen) = counting_node();
        let rpc = RpcClient::new(&url).unwrap();
        let (key, _) = KeyPair::generate().unwrap();
        let msgs = vec![crate::msgs::bank_send(
            key.address(),
            key.address(),
            &Coins::parse("1ubls").unwrap(),
        )];
        let opts = TxOptions {
            chain_id: Some("test".into()),
            ..TxOptions::default()
        };
        let r = gated_sign_broadcast(&rpc, &flags(yes), &key, msgs, &opts, false).await;
        (r, seen.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn without_a_terminal_and_without_yes_nothing_is_signed_or_sent() {
        let (r, connections) = attempt(false).await;
        let err = r.unwrap_err();
        assert!(
            matches!(err.downcast_ref(), Some(ConfirmError::NoTerminal)),
            "{err:#}"
        );
        assert!(err.to_string().contains("pass --yes"), "{err}");
        assert_eq!(connections, 0, "the node was contacted before confirmation");
    }

    #[tokio::test]
    async fn with_yes_the_tx_goes_to_the_node() {
        let (r, connections) = attempt(true).await;
        // The fake node answers nothing, so the attempt fails, but only after contacting it.
        let err = r.unwrap_err();
        assert!(err.downcast_ref::<ConfirmError>().is_none(), "{err:#}");
        assert!(connections > 0, "--yes did not reach the node");
    }
}
