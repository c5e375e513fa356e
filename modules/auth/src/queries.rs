//! `/cosmos.auth.v1beta1.Query/{Account,Params}` (protobuf in, protobuf out).

use bls_core::Address;
use cosmos_sdk_proto::cosmos::auth::v1beta1 as pb;
use cosmwasm_std::Storage;
use prost::Message;

use crate::account::get_account;
use crate::error::AuthError;
use crate::params;

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/cosmos.auth.v1beta1.Query/";

/// Gas the Cosmos SDK charges per ed25519 verification; reported in `Params` for clients only.
const SIG_VERIFY_COST_ED25519: u64 = 590;

/// Dispatches `method` (the path after [`QUERY_PREFIX`]).
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, AuthError> {
    match method {
        "Account" => account(store, data),
        "Params" => params_query(store),
        other => Err(AuthError::UnknownQuery(other.to_string())),
    }
}

fn account(store: &dyn Storage, data: &[u8]) -> Result<Vec<u8>, AuthError> {
    let req = pb::QueryAccountRequest::decode(data)
        .map_err(|e| AuthError::InvalidRequest(format!("QueryAccountRequest: {e}")))?;
    if req.address.is_empty() {
        return Err(AuthError::InvalidRequest("empty address".into()));
    }
    let addr =
        Address::parse(&req.address).map_err(|e| AuthError::InvalidAddress(e.to_string()))?;
    let acc =
        get_account(store, &addr)?.ok_or_else(|| AuthError::AccountNotFound(addr.to_string()))?;
    Ok(pb::QueryAccountResponse {
        account: Some(acc.to_any()),
    }
    .encode_to_vec())
}

fn params_query(store: &dyn Storage) -> Result<Vec<u8>, AuthError> {
    let p = params::load(store)?;
    Ok(pb::QueryParamsResponse {
        params: Some(pb::Params {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: SIG_VERIFY_COST_ED25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }),
    }
    .encode_to_vec())
}
