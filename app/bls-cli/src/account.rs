//! `bls account`: an address's balance and account state.

use bls_client::cli::ClientContext;
use bls_core::{Address, DENOM};
use serde::Serialize;

use crate::signer::signer;

/// What `bls account` prints (stable JSON field names; numbers as strings like Cosmos JSON).
#[derive(Debug, Serialize)]
pub struct AccountView {
    /// The address.
    pub address: String,
    /// Whether the chain has an account for it (it has received funds).
    pub exists: bool,
    /// Its `ubls` balance, e.g. `1000ubls`.
    pub balance: String,
    /// Every balance, e.g. `["1000ubls"]`.
    pub balances: Vec<String>,
    /// Account number (absent without an account).
    pub account_number: Option<String>,
    /// Next sequence (absent without an account).
    pub sequence: Option<String>,
}

/// Runs `bls account [ADDRESS]` (or the `--from` key's address).
pub async fn run(
    ctx: &ClientContext,
    address: Option<String>,
    from: Option<&str>,
) -> anyhow::Result<()> {
    let address = match address {
        Some(a) => Address::parse(&a)
            .map_err(|e| anyhow::anyhow!("{a:?} is not a bls1... address: {e}"))?,
        None => signer(ctx, from)?.address().clone(),
    };
    let rpc = ctx.rpc()?;
    let account = rpc.account(&address).await?;
    let coins = rpc.all_balances(&address).await?;
    let view = AccountView {
        address: address.to_string(),
        exists: account.is_some(),
        balance: bls_core::Coin {
            denom: DENOM.to_string(),
            amount: coins.amount_of(DENOM),
        }
        .to_string(),
        balances: coins.to_vec().iter().map(ToString::to_string).collect(),
        account_number: account.as_ref().map(|a| a.account_number.to_string()),
        sequence: account.as_ref().map(|a| a.sequence.to_string()),
    };
    ctx.emit(&view, |v| {
        let mut s = format!("address: {}\nbalance: {}", v.address, v.balance);
        if v.balances.len() > 1 {
            s.push_str(&format!("\nbalances: {}", v.balances.join(", ")));
        }
        match (&v.account_number, &v.sequence) {
            (Some(n), Some(q)) => s.push_str(&format!("\naccount_number: {n}\nsequence: {q}")),
            _ => s.push_str(
                "\n(no account on chain yet: it is created when the address first receives funds)",
            ),
        }
        s
    })
}
