//! JSON queries under `/bls.staking.v1.Query/`: `Params`, `Validators`, `Validator`,
//! `Delegations`, `ValidatorDelegations`, `UnbondingDelegations`, `Pool`.

use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Bound;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::StakingError;
use crate::params::Params;
use crate::state::{self, Delegation, UnbondingEntry, Validator, LAST_POWERS, VALIDATORS};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.staking.v1.Query/";
/// Largest page.
pub const MAX_LIMIT: u32 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;

/// A validator with its place in the active set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorInfo {
    /// The validator.
    pub validator: Validator,
    /// Power CometBFT has for it (0 when not in the active set).
    pub bonded_power: i64,
    /// True when in the active set.
    pub bonded: bool,
    /// The operator's own delegation, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub self_bond: u128,
}

/// `Validators` request: optional status filter (`bonded`, `unbonded`, `jailed`) and paging.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidatorsRequest {
    /// Only validators with this status.
    pub status: Option<String>,
    /// Start after this operator address.
    pub start_after: Option<String>,
    /// Page size (≤ 100).
    pub limit: Option<u32>,
}

/// A page of validators.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidatorsResponse {
    /// Validators in operator order.
    pub validators: Vec<ValidatorInfo>,
    /// Pass as `start_after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// `Validator` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorRequest {
    /// Operator address.
    pub operator: String,
}

/// `Delegations` / `UnbondingDelegations` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegatorRequest {
    /// Delegator address.
    pub delegator: String,
}

/// `Delegations` / `ValidatorDelegations` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DelegationsResponse {
    /// The delegations.
    pub delegations: Vec<Delegation>,
}

/// `UnbondingDelegations` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UnbondingResponse {
    /// Entries in id order.
    pub entries: Vec<UnbondingEntry>,
}

/// `Pool` response: module account totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolResponse {
    /// Coins bonded to validators, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub bonded_tokens: u128,
    /// Coins in unbonding entries, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub unbonding_tokens: u128,
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

fn parse_req<T: DeserializeOwned + Default>(data: &[u8]) -> Result<T, StakingError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| StakingError::InvalidQuery(e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, StakingError> {
    serde_json::to_vec(v).map_err(|e| StakingError::Store(e.to_string()))
}

fn parse_addr(s: &str) -> Result<Address, StakingError> {
    Address::parse(s).map_err(|e| StakingError::InvalidQuery(e.to_string()))
}

/// A validator with its active-set power and self-bond.
pub fn validator_info(store: &dyn Storage, v: Validator) -> Result<ValidatorInfo, StakingError> {
    let power = LAST_POWERS.may_load(store, v.operator.as_str())?;
    let self_bond = state::self_bond(store, &v.operator)?;
    Ok(ValidatorInfo {
        bonded_power: power.unwrap_or(0),
        bonded: power.is_some(),
        self_bond,
        validator: v,
    })
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, StakingError> {
    match method {
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        "Validators" => to_json(&validators(store, &parse_req(data)?)?),
        "Validator" => {
            let req: ValidatorRequest = parse_req(data)?;
            let v = state::must_get_validator(store, &parse_addr(&req.operator)?)?;
            to_json(&validator_info(store, v)?)
        }
        "Delegations" => {
            let req: DelegatorRequest = parse_req(data)?;
            to_json(&DelegationsResponse {
                delegations: state::delegator_delegations(store, &parse_addr(&req.delegator)?)?,
            })
        }
        "ValidatorDelegations" => {
            let req: ValidatorRequest = parse_req(data)?;
            to_json(&DelegationsResponse {
                delegations: state::validator_delegations(store, &parse_addr(&req.operator)?)?,
            })
        }
        "UnbondingDelegations" => {
            let req: DelegatorRequest = parse_req(data)?;
            to_json(&UnbondingResponse {
                entries: state::delegator_unbondings(store, &parse_addr(&req.delegator)?)?,
            })
        }
        "Pool" => to_json(&PoolResponse {
            bonded_tokens: bls_bank::keeper::balance(
                store,
                &state::bonded_pool(),
                bls_core::DENOM,
            )?,
            unbonding_tokens: bls_bank::keeper::balance(
                store,
                &state::unbonding_pool(),
                bls_core::DENOM,
            )?,
        }),
        other => Err(StakingError::InvalidQuery(format!(
            "unknown query method {other:?}"
        ))),
    }
}

/// Filtered, paginated validator listing.
pub fn validators(
    store: &dyn Storage,
    req: &ValidatorsRequest,
) -> Result<ValidatorsResponse, StakingError> {
    if let Some(s) = &req.status {
        if !matches!(s.as_str(), "bonded" | "unbonded" | "jailed") {
            return Err(StakingError::InvalidQuery(format!(
                "unknown status {s:?}: expected bonded, unbonded or jailed"
            )));
        }
    }
    let limit =
        usize::try_from(req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)).unwrap_or(100);
    let start = req.start_after.as_deref().map(Bound::exclusive);
    let mut out: Vec<ValidatorInfo> = Vec::new();
    let mut next = None;
    for item in VALIDATORS.range(store, start, None, Order::Ascending) {
        let (_, v) = item?;
        let info = validator_info(store, v)?;
        let keep = match req.status.as_deref() {
            Some("bonded") => info.bonded,
            Some("unbonded") => !info.bonded,
            Some("jailed") => info.validator.jailed,
            _ => true,
        };
        if !keep {
            continue;
        }
        if out.len() == limit {
            next = out.last().map(|i| i.validator.operator.to_string());
            break;
        }
        out.push(info);
    }
    Ok(ValidatorsResponse {
        validators: out,
        next,
    })
}
