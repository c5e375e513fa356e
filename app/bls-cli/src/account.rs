//! `bls account`: an address's balance, fast-path deposit and account state;
//! `bls account deposit AMOUNT` tops up the deposit.

use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::ClientContext;
use bls_client::fastpath;
use bls_core::{Address, Coins, DENOM};
use serde::Serialize;

use crate::cli::SignArgs;
use crate::errors::explain;
use crate::signer::{require_confirmable, require_funds, signer, tx_flags};

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
    /// Fast-path deposit (pays for `bls function invoke --fast`), e.g. `0ubls`.
    pub fast_path_deposit: String,
    /// Part of the deposit requested for withdrawal (heads do not serve against it).
    pub fast_path_withdrawing: String,
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
    let dep = fastpath::deposit_of(&rpc, &address).await?;
    let ubls = |s: &str| format!("{}{DENOM}", if s.is_empty() { "0" } else { s });
    let view = AccountView {
        address: address.to_string(),
        exists: account.is_some(),
        balance: bls_core::Coin {
            denom: DENOM.to_string(),
            amount: coins.amount_of(DENOM),
        }
        .to_string(),
        balances: coins.to_vec().iter().map(ToString::to_string).collect(),
        fast_path_deposit: ubls(&dep.deposit),
        fast_path_withdrawing: ubls(&dep.withdrawing),
        account_number: account.as_ref().map(|a| a.account_number.to_string()),
        sequence: account.as_ref().map(|a| a.sequence.to_string()),
    };
    ctx.emit(&view, |v| {
        let mut s = format!("address: {}\nbalance: {}", v.address, v.balance);
        if v.balances.len() > 1 {
            s.push_str(&format!("\nbalances: {}", v.balances.join(", ")));
        }
        s.push_str(&format!("\nfast-path deposit: {}", v.fast_path_deposit));
        if !v.fast_path_withdrawing.starts_with("0") {
            s.push_str(&format!(" ({} being withdrawn)", v.fast_path_withdrawing));
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

/// What `bls account deposit` prints.
#[derive(Debug, Serialize)]
pub struct Deposited {
    /// The depositing address.
    pub address: String,
    /// Amount added.
    pub amount: String,
    /// Deposit after the tx.
    pub fast_path_deposit: String,
    /// Tx hash.
    pub txhash: String,
    /// Inclusion height.
    pub height: u64,
}

/// Parses `AMOUNT` as `Nubls` or a bare number of ubls; it must be positive.
pub fn parse_amount(s: &str) -> anyhow::Result<u128> {
    let s = s.trim();
    let with_denom = if s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{s}{DENOM}")
    } else {
        s.to_string()
    };
    let coins = Coins::parse(&with_denom).ok();
    match coins.as_ref().map(|c| c.to_vec()).as_deref() {
        Some([c]) if c.denom == DENOM && c.amount > 0 => Ok(c.amount),
        _ => anyhow::bail!("AMOUNT {s:?} must be a positive {DENOM} amount, e.g. 1000000{DENOM}"),
    }
}

/// Runs `bls account deposit AMOUNT`: `MsgFastPathDeposit` from the `--from` key.
pub async fn deposit(
    ctx: &ClientContext,
    from: Option<&str>,
    amount: &str,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let amount = parse_amount(amount)?;
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    let addr = key.address().to_string();
    let out = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        let r = broadcast_and_wait(
            ctx,
            &flags,
            &key,
            vec![fastpath::deposit(key.address(), amount)],
        )
        .await?;
        let dep = fastpath::deposit_of(&ctx.rpc()?, key.address()).await?;
        anyhow::Ok(Deposited {
            address: addr.clone(),
            amount: format!("{amount}{DENOM}"),
            fast_path_deposit: format!("{}{DENOM}", dep.deposit),
            txhash: r.hash,
            height: r.height,
        })
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    ctx.emit(&out, |d| {
        format!(
            "deposited {} for {}\nfast-path deposit: {}\ntxhash: {}\nheight: {}",
            d.amount, d.address, d.fast_path_deposit, d.txhash, d.height
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_ubls() {
        assert_eq!(parse_amount("1000ubls").unwrap(), 1000);
        assert_eq!(parse_amount("42").unwrap(), 42);
        for bad in ["0", "0ubls", "5uatom", "ubls", "-3", "1ubls,2uatom", ""] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }
}
