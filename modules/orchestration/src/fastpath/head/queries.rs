//! Head-accountability queries (`/bls.orchestration.v1.Query/HeadChallenge`,
//! `.../OpenHeadChallenges`).

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use super::state::{
    answered_outcome, challenge, open_challenges_of, settlement, Challenge, HeadSettlement,
};
use crate::error::OrchestrationError;

/// `HeadChallenge` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeadChallengeRequest {
    /// Request id (64 hex characters).
    pub request_id: String,
}

/// `HeadChallenge` response: what a head settled for a request, its challenge and the
/// outcome the head published (each absent when there is none, or once pruned).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HeadChallengeResponse {
    /// The settlement record.
    pub settlement: Option<HeadSettlement>,
    /// The challenge.
    pub challenge: Option<Challenge>,
    /// The published outcome (hex of the canonical bytes).
    pub outcome: Option<String>,
}

/// `OpenHeadChallenges` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpenHeadChallengesRequest {
    /// The head.
    pub head: String,
    /// Start after this request id (paging).
    #[serde(default)]
    pub start_after: Option<String>,
    /// Page size (default and at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `OpenHeadChallenges` response.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OpenHeadChallengesResponse {
    /// Request ids (hex) challenged and not yet answered, ascending.
    pub request_ids: Vec<String>,
    /// The last id when more may follow (pass as `start_after`).
    pub next: Option<String>,
}

const MAX_LIMIT: u32 = 100;

fn parse<T: for<'de> Deserialize<'de>>(data: &[u8]) -> Result<T, OrchestrationError> {
    serde_json::from_slice(data).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, OrchestrationError> {
    serde_json::to_vec(v).map_err(|e| OrchestrationError::Store(e.to_string()))
}

fn request_id(s: &str) -> Result<String, OrchestrationError> {
    let s = s.to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(OrchestrationError::InvalidQuery(
            "request_id must be 64 hex characters".into(),
        ))
    }
}

/// Answers a head-accountability query method; `None` when `method` is not one of them.
pub fn query(
    store: &dyn Storage,
    method: &str,
    data: &[u8],
) -> Option<Result<Vec<u8>, OrchestrationError>> {
    let r = match method {
        "HeadChallenge" => (|| {
            let req: HeadChallengeRequest = parse(data)?;
            let id = request_id(&req.request_id)?;
            json(&HeadChallengeResponse {
                settlement: settlement(store, &id)?,
                challenge: challenge(store, &id)?,
                outcome: answered_outcome(store, &id)?.map(hex::encode),
            })
        })(),
        "OpenHeadChallenges" => (|| {
            let req: OpenHeadChallengesRequest = parse(data)?;
            let head = Address::parse(&req.head)
                .map_err(|e| OrchestrationError::InvalidQuery(format!("head: {e}")))?;
            let limit = req.limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT);
            let after = req.start_after.as_deref().map(request_id).transpose()?;
            let ids = open_challenges_of(
                store,
                &head,
                after.as_deref(),
                usize::try_from(limit).unwrap_or(100),
            )?;
            let next = (ids.len() == usize::try_from(limit).unwrap_or(100))
                .then(|| ids.last().cloned())
                .flatten();
            json(&OpenHeadChallengesResponse {
                request_ids: ids,
                next,
            })
        })(),
        _ => return None,
    };
    Some(r)
}
