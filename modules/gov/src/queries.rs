//! JSON queries under `/bls.gov.v1.Query/`: `Params`, `Proposal`, `Proposals`, `Vote`,
//! `Votes`, `Deposits`, `Tally`, and `ModuleParams` (any module's params as a parameter
//! change edits them).

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::GovError;
use crate::params::Params;
use crate::state::{self, Proposal, ProposalStatus, Tally};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.gov.v1.Query/";
/// Most proposals one `Proposals` answer holds.
pub const MAX_PAGE: u32 = 100;

/// A request naming one proposal.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProposalRequest {
    /// The proposal.
    pub proposal_id: u64,
}

/// `Proposals` request: a page, optionally of one status.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProposalsRequest {
    /// `PROPOSAL_STATUS_...` (or `voting_period`, `passed`, ...); empty for all.
    pub status: String,
    /// Ids after this one.
    pub start_after: u64,
    /// Page size (default and maximum [`MAX_PAGE`]).
    pub limit: u32,
}

/// `Vote` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoteRequest {
    /// The proposal.
    pub proposal_id: u64,
    /// The voter.
    pub voter: String,
}

/// `Proposal` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProposalResponse {
    /// The proposal.
    pub proposal: Proposal,
}

/// `Proposals` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProposalsResponse {
    /// The page.
    pub proposals: Vec<Proposal>,
    /// The id to pass as `start_after` for the next page; absent at the end.
    pub next: Option<u64>,
}

/// One vote.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VoteEntry {
    /// The proposal.
    pub proposal_id: u64,
    /// The voter.
    pub voter: String,
    /// `VOTE_OPTION_...`.
    pub option: String,
}

/// `Vote` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VoteResponse {
    /// The vote (absent when the account did not vote, or the vote is over and tallied).
    pub vote: Option<VoteEntry>,
}

/// `Votes` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VotesResponse {
    /// The votes of an open proposal, in voter order.
    pub votes: Vec<VoteEntry>,
}

/// One deposit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositEntry {
    /// The proposal.
    pub proposal_id: u64,
    /// The depositor.
    pub depositor: String,
    /// ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub amount: u128,
}

/// `Deposits` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositsResponse {
    /// The deposits of an open proposal, in depositor order.
    pub deposits: Vec<DepositEntry>,
}

/// `Tally` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TallyResponse {
    /// The live count while the vote is open, the final one after.
    pub tally: Tally,
    /// The bonded stake the count is measured against (live count only; 0 after).
    #[serde(with = "bls_core::amount::u128_str")]
    pub total_bonded: u128,
}

/// `ModuleParams` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleParamsRequest {
    /// The module's name (a parameter change's `subspace`).
    pub module: String,
}

/// One params field as a parameter change names it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamField {
    /// The field (a change's `key`).
    pub key: String,
    /// Its current value as JSON text (what a change's `value` replaces).
    pub value: String,
}

/// `ModuleParams` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModuleParamsResponse {
    /// The module.
    pub module: String,
    /// Its params fields, in key order.
    pub params: Vec<ParamField>,
}

/// `ModuleParams`: the params of `module` as a parameter change names them: each key with its
/// current value as JSON text.
pub fn module_params(
    store: &dyn Storage,
    data: &[u8],
    modules: &[&'static dyn bls_core::Module],
) -> Result<Vec<u8>, GovError> {
    let req: ModuleParamsRequest = parse_req(data)?;
    let module = modules
        .iter()
        .find(|m| m.name() == req.module)
        .ok_or_else(|| GovError::InvalidQuery(format!("no module named {:?}", req.module)))?;
    let params = module
        .params(store)
        .map_err(|e| GovError::InvalidQuery(e.log))?
        .ok_or_else(|| {
            GovError::InvalidQuery(format!(
                "module {} has no params governance may change",
                req.module
            ))
        })?;
    let serde_json::Value::Object(fields) = params else {
        return Err(GovError::InvalidQuery(format!(
            "module {} params are not an object",
            req.module
        )));
    };
    let mut params: Vec<ParamField> = fields
        .into_iter()
        .map(|(key, value)| ParamField {
            key,
            value: value.to_string(),
        })
        .collect();
    params.sort_by(|a, b| a.key.cmp(&b.key));
    to_json(&ModuleParamsResponse {
        module: req.module,
        params,
    })
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

fn parse_req<T: DeserializeOwned + Default>(data: &[u8]) -> Result<T, GovError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| GovError::InvalidQuery(e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, GovError> {
    serde_json::to_vec(v).map_err(|e| GovError::Store(e.to_string()))
}

fn vote_entry(proposal_id: u64, voter: &Address, option: i32) -> VoteEntry {
    VoteEntry {
        proposal_id,
        voter: voter.to_string(),
        option: crate::tally::option_name(option).to_string(),
    }
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, GovError> {
    match method {
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        "Proposal" => {
            let req: ProposalRequest = parse_req(data)?;
            to_json(&ProposalResponse {
                proposal: state::must_get(store, req.proposal_id)?,
            })
        }
        "Proposals" => {
            let req: ProposalsRequest = parse_req(data)?;
            let status = if req.status.is_empty() {
                None
            } else {
                Some(ProposalStatus::parse(&req.status).ok_or_else(|| {
                    GovError::InvalidQuery(format!("unknown status {:?}", req.status))
                })?)
            };
            let limit = if req.limit == 0 {
                MAX_PAGE
            } else {
                req.limit.min(MAX_PAGE)
            };
            let start = (req.start_after > 0).then_some(req.start_after);
            // One more than the page tells whether a next page exists.
            let mut proposals = state::proposals(store, status, start, limit as usize + 1)?;
            let next = if proposals.len() > limit as usize {
                proposals.truncate(limit as usize);
                proposals.last().map(|p| p.proposal_id)
            } else {
                None
            };
            to_json(&ProposalsResponse { proposals, next })
        }
        "Vote" => {
            let req: VoteRequest = parse_req(data)?;
            let voter = Address::parse(&req.voter)
                .map_err(|e| GovError::InvalidQuery(format!("voter: {e}")))?;
            let vote = state::vote(store, req.proposal_id, &voter)?
                .map(|o| vote_entry(req.proposal_id, &voter, o));
            to_json(&VoteResponse { vote })
        }
        "Votes" => {
            let req: ProposalRequest = parse_req(data)?;
            state::must_get(store, req.proposal_id)?;
            let votes = state::votes(store, req.proposal_id)?
                .iter()
                .map(|(v, o)| vote_entry(req.proposal_id, v, *o))
                .collect();
            to_json(&VotesResponse { votes })
        }
        "Deposits" => {
            let req: ProposalRequest = parse_req(data)?;
            state::must_get(store, req.proposal_id)?;
            let deposits = state::deposits(store, req.proposal_id)?
                .into_iter()
                .map(|(d, amount)| DepositEntry {
                    proposal_id: req.proposal_id,
                    depositor: d.to_string(),
                    amount,
                })
                .collect();
            to_json(&DepositsResponse { deposits })
        }
        "Tally" => {
            let req: ProposalRequest = parse_req(data)?;
            let p = state::must_get(store, req.proposal_id)?;
            let resp = if p.status == ProposalStatus::VotingPeriod {
                let c = crate::tally::count(store, p.proposal_id)?;
                TallyResponse {
                    tally: c.tally,
                    total_bonded: c.total_bonded,
                }
            } else {
                TallyResponse {
                    tally: p.final_tally_result,
                    total_bonded: 0,
                }
            };
            to_json(&resp)
        }
        other => Err(GovError::InvalidQuery(format!("unknown method {other}"))),
    }
}
