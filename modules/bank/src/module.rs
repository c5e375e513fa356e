//! [`BankModule`]: the bank behind the `bls_core::Module` interface.
//!
//! Unlike the other modules the bank is built with a piece of the app's wiring, as the Cosmos
//! SDK builds its bank keeper with the blocked addresses: which recipients `MsgSend` refuses
//! ([`BlockedRecipients`]), answered from the app's collection of every module's declared
//! accounts. So it implements [`Module`] itself rather than through `ModuleSpec`'s static table.

use bls_core::module::{export_genesis_section, init_genesis_section};
use bls_core::{Address, Context, Module, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

use crate::error::BankError;
use crate::genesis;
use crate::msgs::{decode_send, handle_send, BlockedRecipients, MSG_SEND_TYPE_URL};
use crate::queries;

/// The bank module.
#[derive(Clone, Copy, Debug)]
pub struct BankModule {
    blocked: BlockedRecipients,
}

impl BankModule {
    /// Module name, also the genesis `app_state` key.
    pub const NAME: &'static str = "bank";

    /// A bank whose `MsgSend` refuses the recipients `blocked` names.
    pub const fn new(blocked: BlockedRecipients) -> Self {
        Self { blocked }
    }
}

impl Module for BankModule {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[MSG_SEND_TYPE_URL]
    }

    /// `MsgSend` is checked whole (addresses, coins) before it runs; its signer is the sender.
    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        Ok(decode_send(msg)?.from)
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        match msg.type_url.as_str() {
            MSG_SEND_TYPE_URL => handle_send(ctx, msg, self.blocked),
            other => Err(bls_core::module::unknown_msg(Self::NAME, other)),
        }
    }

    fn query_prefix(&self) -> &'static str {
        queries::QUERY_PREFIX
    }

    fn query(
        &self,
        store: &dyn Storage,
        method: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        Ok(queries::query(store, method, data)?)
    }

    fn init_genesis(
        &self,
        ctx: &mut Context<'_>,
        section: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        init_genesis_section(
            section,
            |e| BankError::InvalidGenesis(e.to_string()),
            |g| genesis::init(ctx.store, g),
        )
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section("bank genesis export", genesis::export(store))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{balance, supply_of};
    use bls_auth::{get_account, AuthModule};
    use bls_core::module::encode_any;
    use bls_core::module_account::DeclaredAccount;
    use bls_core::{BlockInfo, GasMeter, ModuleAccount};
    use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as PCoin;
    use cosmwasm_std::testing::MockStorage;
    use prost::Message;
    use serde_json::json;

    const CLOSED: ModuleAccount = ModuleAccount::new("closed_pool");

    /// The app's part in these tests: one module account, closed to sends.
    fn closed(addr: &Address) -> Option<DeclaredAccount> {
        (*addr == CLOSED.address()).then_some(DeclaredAccount {
            module: "pools",
            account: CLOSED,
        })
    }

    const BANK: BankModule = BankModule::new(closed);

    fn coin(amount: &str, denom: &str) -> PCoin {
        PCoin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    fn send_msg(from: &Address, to: &str, amount: Vec<PCoin>) -> Any {
        encode_any(
            &pb::MsgSend {
                from_address: from.to_string(),
                to_address: to.to_string(),
                amount,
            },
            MSG_SEND_TYPE_URL,
        )
    }

    #[test]
    fn genesis_send_queries_export() {
        let mut s = MockStorage::new();
        let block = BlockInfo::default();
        let meter = GasMeter::infinite();
        let a = Address::from_bytes(&[1; 20]);
        let b = Address::from_bytes(&[2; 20]);
        let g = json!({"balances": [{"address": a.to_string(),
            "coins": [{"denom": "ubls", "amount": "1000"}, {"denom": "uxyz", "amount": "5"}]}]});
        {
            let mut ctx = Context::new(&mut s, &block, &meter);
            AuthModule.init_genesis(&mut ctx, &json!(null)).unwrap();
            BANK.init_genesis(&mut ctx, &g).unwrap();
        }
        assert_eq!(get_account(&s, &a).unwrap().unwrap().account_number, 0);
        assert_eq!(supply_of(&s, "ubls").unwrap(), 1000);

        let msg = send_msg(&a, b.as_str(), vec![coin("300", "ubls")]);
        assert_eq!(BANK.msg_signer(&msg).unwrap(), a);
        let mut ctx = Context::new(&mut s, &block, &meter);
        let resp = BANK.deliver(&mut ctx, &msg).unwrap();
        assert_eq!(resp.type_url, "/cosmos.bank.v1beta1.MsgSendResponse");
        let transfer = ctx.events.iter().find(|e| e.kind == "transfer").unwrap();
        assert_eq!(transfer.get("recipient"), Some(b.as_str()));
        assert_eq!(transfer.get("sender"), Some(a.as_str()));
        assert_eq!(transfer.get("amount"), Some("300ubls"));
        assert!(ctx.events.iter().any(|e| e.kind == "coin_spent"));
        assert!(ctx.events.iter().any(|e| e.kind == "coin_received"));
        drop(ctx);
        assert_eq!(balance(&s, &b, "ubls").unwrap(), 300);
        assert_eq!(get_account(&s, &b).unwrap().unwrap().account_number, 1);

        // Invalid messages: bad addresses, zero, unsorted/duplicate denoms, overdraft.
        for bad in [
            send_msg(&a, "bls1nope", vec![coin("1", "ubls")]),
            send_msg(&a, b.as_str(), vec![]),
            send_msg(&a, b.as_str(), vec![coin("0", "ubls")]),
            send_msg(&a, b.as_str(), vec![coin("1", "ubls"), coin("1", "ubls")]),
            send_msg(&a, b.as_str(), vec![coin("1", "uxyz"), coin("1", "ubls")]),
            send_msg(&a, b.as_str(), vec![coin("-1", "ubls")]),
            send_msg(&a, b.as_str(), vec![coin("701", "ubls")]),
            send_msg(&a, CLOSED.address().as_str(), vec![coin("1", "ubls")]),
            Any {
                type_url: MSG_SEND_TYPE_URL.into(),
                value: vec![0xff; 3],
            },
        ] {
            let mut ctx = Context::new(&mut s, &block, &meter);
            assert!(BANK.deliver(&mut ctx, &bad).is_err());
        }
        // The closed module account's refusal says what it is and who owns it.
        let to_pool = send_msg(&a, CLOSED.address().as_str(), vec![coin("1", "ubls")]);
        let mut ctx = Context::new(&mut s, &block, &meter);
        let err = BANK.deliver(&mut ctx, &to_pool).unwrap_err();
        drop(ctx);
        assert_eq!((err.codespace.as_str(), err.code), ("sdk", 4), "{err:?}");
        assert!(
            err.log.contains("closed_pool") && err.log.contains("pools"),
            "{}",
            err.log
        );
        assert_eq!(balance(&s, &CLOSED.address(), "ubls").unwrap(), 0);

        let q = |m: &str, d: Vec<u8>| BANK.query(&s, m, &d);
        let r = q(
            "Balance",
            pb::QueryBalanceRequest {
                address: Address::from_bytes(&[9; 20]).to_string(),
                denom: "ubls".into(),
            }
            .encode_to_vec(),
        )
        .unwrap();
        let bal = pb::QueryBalanceResponse::decode(r.as_slice())
            .unwrap()
            .balance
            .unwrap();
        assert_eq!((bal.denom.as_str(), bal.amount.as_str()), ("ubls", "0"));
        let r = q(
            "AllBalances",
            pb::QueryAllBalancesRequest {
                address: a.to_string(),
                ..Default::default()
            }
            .encode_to_vec(),
        )
        .unwrap();
        let all = pb::QueryAllBalancesResponse::decode(r.as_slice()).unwrap();
        assert_eq!(all.balances, vec![coin("700", "ubls"), coin("5", "uxyz")]);
        let r = q("TotalSupply", vec![]).unwrap();
        let sup = pb::QueryTotalSupplyResponse::decode(r.as_slice()).unwrap();
        assert_eq!(sup.supply, vec![coin("1000", "ubls"), coin("5", "uxyz")]);
        let r = q(
            "SupplyOf",
            pb::QuerySupplyOfRequest {
                denom: "ubls".into(),
            }
            .encode_to_vec(),
        )
        .unwrap();
        let so = pb::QuerySupplyOfResponse::decode(r.as_slice()).unwrap();
        assert_eq!(so.amount.unwrap().amount, "1000");
        assert!(q("Nope", vec![]).is_err());
        assert!(q("Balance", vec![0xff]).is_err());

        let exported = BANK.export_genesis(&s).unwrap();
        let mut s2 = MockStorage::new();
        {
            let mut ctx = Context::new(&mut s2, &block, &meter);
            BANK.init_genesis(&mut ctx, &exported).unwrap();
        }
        assert_eq!(BANK.export_genesis(&s2).unwrap(), exported);
        assert_eq!(supply_of(&s2, "ubls").unwrap(), 1000);
    }

    #[test]
    fn genesis_rejects_bad_input() {
        let block = BlockInfo::default();
        let meter = GasMeter::infinite();
        let a = Address::from_bytes(&[1; 20]).to_string();
        for g in [
            json!({"balances": [{"address": a, "coins": []}, {"address": a, "coins": []}]}),
            json!({"balances": [{"address": a, "coins": [{"denom": "u", "amount": "1"}]}]}),
            json!({"balances": [{"address": a, "coins": [{"denom": "ubls", "amount": "-1"}]}]}),
            json!({"balances": [{"address": "x", "coins": []}]}),
            json!({"unknown": 1}),
        ] {
            let mut s = MockStorage::new();
            let mut ctx = Context::new(&mut s, &block, &meter);
            assert!(BANK.init_genesis(&mut ctx, &g).is_err(), "{g}");
        }
    }
}
