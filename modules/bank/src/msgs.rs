//! `cosmos.bank.v1beta1.MsgSend`.

use bls_core::coins::CoinError;
use bls_core::module::{decode_any, encode_any};
use bls_core::module_account::DeclaredAccount;
use bls_core::{Address, Coin, Coins, Context};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgSend, MsgSendResponse};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;

use crate::error::BankError;
use crate::keeper;

/// Type URL of `MsgSend`.
pub const MSG_SEND_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSend";
/// Type URL of its response.
pub const MSG_SEND_RESPONSE_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSendResponse";

/// Tells the bank which recipients `MsgSend` refuses: the module account an address is, when
/// its module declared it closed to plain sends. The app answers from its one collection of
/// every module's declared accounts ([`bls_core::ModuleAccounts`]); the bank cannot list them
/// itself (the modules that own them depend on the bank, not the other way round).
pub type BlockedRecipients = fn(&Address) -> Option<DeclaredAccount>;

/// A decoded, validated `MsgSend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    /// Sender (the signer).
    pub from: Address,
    /// Recipient.
    pub to: Address,
    /// Non-empty, positive amounts.
    pub amount: Coins,
}

/// Parses SDK-valid coins: valid denoms and amounts, every amount positive, denoms strictly
/// ascending (so no duplicates), at least one coin.
pub fn parse_send_coins(coins: &[ProtoCoin]) -> Result<Coins, BankError> {
    if coins.is_empty() {
        return Err(BankError::ZeroAmount);
    }
    let mut out = Coins::new();
    let mut prev: Option<&str> = None;
    for c in coins {
        let coin = Coin::from_parts(&c.denom, &c.amount).map_err(BankError::InvalidCoins)?;
        if coin.amount == 0 {
            return Err(BankError::ZeroAmount);
        }
        if prev.is_some_and(|p| p >= c.denom.as_str()) {
            return Err(BankError::InvalidCoins(CoinError::InvalidCoins(format!(
                "denoms must be sorted and unique, got {} after {}",
                c.denom,
                prev.unwrap_or_default()
            ))));
        }
        prev = Some(c.denom.as_str());
        out.add(&coin).map_err(|_| BankError::Overflow)?;
    }
    Ok(out)
}

fn parse_address(field: &str, s: &str) -> Result<Address, BankError> {
    Address::parse(s).map_err(|e| BankError::InvalidAddress(format!("{field}: {e}")))
}

/// Decodes and validates a `MsgSend` (stateless checks only).
pub fn decode_send(msg: &Any) -> Result<Send, bls_core::ModuleError> {
    let m: MsgSend = decode_any(msg, MSG_SEND_TYPE_URL)?;
    Ok(Send {
        from: parse_address("from_address", &m.from_address)?,
        to: parse_address("to_address", &m.to_address)?,
        amount: parse_send_coins(&m.amount)?,
    })
}

/// Executes a `MsgSend`: refuses a recipient `blocked` names (a module account whose balance
/// its module accounts for), creates the recipient's account if new, moves the coins, emits
/// the SDK's events.
pub fn handle_send(
    ctx: &mut Context<'_>,
    msg: &Any,
    blocked: BlockedRecipients,
) -> Result<Any, bls_core::ModuleError> {
    let send = decode_send(msg)?;
    if let Some(declared) = blocked(&send.to) {
        return Err(BankError::BlockedRecipient {
            address: send.to.to_string(),
            account: declared.account.name(),
            module: declared.module,
        }
        .into());
    }
    keeper::send(ctx, &send.from, &send.to, &send.amount)?;
    Ok(encode_any(&MsgSendResponse {}, MSG_SEND_RESPONSE_TYPE_URL))
}
