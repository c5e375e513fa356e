//! `/cosmos.bank.v1beta1.Query/{Balance,AllBalances,TotalSupply,SupplyOf,Params}`.
//!
//! Lists are returned whole (an account holds few denoms; the chain has few denoms), with a
//! `PageResponse` carrying the total and no next key.

use bls_core::coins::validate_denom;
use bls_core::{Address, Coin};
use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmwasm_std::Storage;
use prost::Message;

use crate::error::BankError;
use crate::state::{all_balances, balance, supply_of, total_supply};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/cosmos.bank.v1beta1.Query/";

/// Dispatches `method` (the path after [`QUERY_PREFIX`]).
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, BankError> {
    match method {
        "Balance" => {
            let req: pb::QueryBalanceRequest = decode(data)?;
            let addr = parse_addr(&req.address)?;
            check_denom(&req.denom)?;
            let amount = balance(store, &addr, &req.denom)?;
            // Always a coin, amount "0" when none: CosmJS `getBalance` requires it.
            Ok(pb::QueryBalanceResponse {
                balance: Some(Coin::new(amount, req.denom).to_proto()),
            }
            .encode_to_vec())
        }
        "AllBalances" => {
            let req: pb::QueryAllBalancesRequest = decode(data)?;
            let addr = parse_addr(&req.address)?;
            let balances = all_balances(store, &addr)?.to_proto();
            Ok(pb::QueryAllBalancesResponse {
                pagination: Some(page(balances.len())),
                balances,
            }
            .encode_to_vec())
        }
        "TotalSupply" => {
            let _req: pb::QueryTotalSupplyRequest = decode(data)?;
            let supply = total_supply(store)?.to_proto();
            Ok(pb::QueryTotalSupplyResponse {
                pagination: Some(page(supply.len())),
                supply,
            }
            .encode_to_vec())
        }
        "SupplyOf" => {
            let req: pb::QuerySupplyOfRequest = decode(data)?;
            check_denom(&req.denom)?;
            let amount = supply_of(store, &req.denom)?;
            Ok(pb::QuerySupplyOfResponse {
                amount: Some(Coin::new(amount, req.denom).to_proto()),
            }
            .encode_to_vec())
        }
        // `send_enabled` is deprecated in the proto but still a field clients decode.
        #[allow(deprecated)]
        "Params" => Ok(pb::QueryParamsResponse {
            params: Some(pb::Params {
                send_enabled: Vec::new(),
                default_send_enabled: true,
            }),
        }
        .encode_to_vec()),
        other => Err(BankError::UnknownQuery(other.to_string())),
    }
}

fn decode<M: Message + Default>(data: &[u8]) -> Result<M, BankError> {
    M::decode(data).map_err(|e| BankError::InvalidRequest(e.to_string()))
}

fn parse_addr(s: &str) -> Result<Address, BankError> {
    if s.is_empty() {
        return Err(BankError::InvalidRequest("empty address".into()));
    }
    Address::parse(s).map_err(|e| BankError::InvalidAddress(e.to_string()))
}

fn check_denom(d: &str) -> Result<(), BankError> {
    validate_denom(d).map_err(|e| BankError::InvalidRequest(e.to_string()))
}

fn page(total: usize) -> PageResponse {
    PageResponse {
        next_key: Vec::new(),
        total: u64::try_from(total).unwrap_or(u64::MAX),
    }
}
