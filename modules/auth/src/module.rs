//! [`AuthModule`]: accounts and params behind the `bls_core::Module` interface. It has no
//! messages; signature, sequence and fee checks live in the app's tx pipeline (the ante).

use bls_core::spec::{ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{Address, Context, ModuleError};
use cosmos_sdk_proto::Any;

use crate::error::AuthError;
use crate::genesis::{self, AuthGenesis};
use crate::queries;

/// The auth module.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthModule;

impl ModuleSpec for AuthModule {
    type Error = AuthError;
    type Genesis = AuthGenesis;

    const NAME: &'static str = "auth";
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<
            crate::params::Params,
        >());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| AuthError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> =
        |ctx, g| genesis::init(ctx.store, g);
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export;
    const EXPORT_CONTEXT: &'static str = "auth genesis export";

    fn msg_signer(msg: &Any) -> Result<Address, ModuleError> {
        Err(no_message(msg))
    }

    fn deliver(_ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        Err(no_message(msg))
    }
}

/// Auth has no messages (the app routes none here; reported, not panicked, if it did).
fn no_message(msg: &Any) -> ModuleError {
    ModuleError::new(
        "sdk",
        6,
        format!("auth handles no message {}", msg.type_url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{ensure_account, get_account};
    use bls_core::{BlockInfo, GasMeter, Module};
    use cosmos_sdk_proto::cosmos::auth::v1beta1 as pb;
    use cosmwasm_std::testing::MockStorage;
    use prost::Message;
    use serde_json::json;

    #[test]
    fn genesis_roundtrip_and_queries() {
        let mut s = MockStorage::new();
        let block = BlockInfo::default();
        let meter = GasMeter::infinite();
        let a = Address::from_bytes(&[1; 20]);
        let b = Address::from_bytes(&[2; 20]);
        let c = Address::from_bytes(&[3; 20]);
        let g = json!({
            "params": {"max_memo_characters": "100", "tx_sig_limit": "1",
              "tx_size_cost_per_byte": "10", "sig_verify_cost_secp256k1": "1000",
              "min_gas_price": "0.5", "max_tx_bytes": "10000", "max_gas_per_tx": "1000000"},
            "accounts": [{"address": a.to_string(), "account_number": "5", "sequence": "3"},
                         {"address": b.to_string()}]
        });
        {
            let mut ctx = Context::new(&mut s, &block, &meter);
            AuthModule.init_genesis(&mut ctx, &g).unwrap();
        }
        assert_eq!(get_account(&s, &b).unwrap().unwrap().account_number, 6);
        assert_eq!(ensure_account(&mut s, &c).unwrap().account_number, 7);

        let exported = AuthModule.export_genesis(&s).unwrap();
        let mut s2 = MockStorage::new();
        {
            let mut ctx = Context::new(&mut s2, &block, &meter);
            AuthModule.init_genesis(&mut ctx, &exported).unwrap();
        }
        assert_eq!(AuthModule.export_genesis(&s2).unwrap(), exported);
        assert_eq!(get_account(&s2, &a).unwrap().unwrap().sequence, 3);

        let resp = AuthModule
            .query(
                &s,
                "Account",
                &pb::QueryAccountRequest {
                    address: a.to_string(),
                }
                .encode_to_vec(),
            )
            .unwrap();
        let acc = pb::QueryAccountResponse::decode(resp.as_slice())
            .unwrap()
            .account
            .unwrap();
        assert_eq!(acc.type_url, "/cosmos.auth.v1beta1.BaseAccount");
        let base = pb::BaseAccount::decode(acc.value.as_slice()).unwrap();
        assert_eq!((base.account_number, base.sequence), (5, 3));

        let missing = Address::from_bytes(&[9; 20]);
        let err = AuthModule
            .query(
                &s,
                "Account",
                &pb::QueryAccountRequest {
                    address: missing.to_string(),
                }
                .encode_to_vec(),
            )
            .unwrap_err();
        assert!(err.log.contains(&format!(
            "rpc error: code = NotFound desc = account {missing} not found"
        )));
        assert_ne!(err.code, 0);
        assert!(AuthModule.query(&s, "Account", &[0xff, 0xff]).is_err());
        let p = AuthModule.query(&s, "Params", &[]).unwrap();
        let p = pb::QueryParamsResponse::decode(p.as_slice())
            .unwrap()
            .params
            .unwrap();
        assert_eq!(p.max_memo_characters, 100);
    }

    #[test]
    fn genesis_rejects_duplicates_and_bad_params() {
        let block = BlockInfo::default();
        let meter = GasMeter::infinite();
        let a = Address::from_bytes(&[1; 20]).to_string();
        let b = Address::from_bytes(&[2; 20]).to_string();
        for g in [
            json!({"accounts": [{"address": a}, {"address": a}]}),
            json!({"accounts": [{"address": a, "account_number": 1},
                                {"address": b, "account_number": 1}]}),
            json!({"params": {"max_memo_characters": "1", "tx_sig_limit": "1",
              "tx_size_cost_per_byte": "1", "sig_verify_cost_secp256k1": "1",
              "min_gas_price": "0.1.2", "max_tx_bytes": "1", "max_gas_per_tx": "1"}}),
            json!({"accounts": [{"address": "cosmos1xyz"}]}),
            json!({"accounts": [{"address": a, "pub_key": "AAAA"}]}),
        ] {
            let mut s = MockStorage::new();
            let mut ctx = Context::new(&mut s, &block, &meter);
            assert!(AuthModule.init_genesis(&mut ctx, &g).is_err(), "{g}");
        }
    }
}
