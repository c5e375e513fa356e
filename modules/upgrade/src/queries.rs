//! JSON queries under `/bls.upgrade.v1.Query/`: `CurrentPlan`, `AppliedPlan`.

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::UpgradeError;
use crate::state::{self, Plan};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.upgrade.v1.Query/";

/// `CurrentPlan` response.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CurrentPlanResponse {
    /// The pending plan, if any.
    pub plan: Option<Plan>,
}

/// `AppliedPlan` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedPlanRequest {
    /// The plan's name.
    pub name: String,
}

/// `AppliedPlan` response.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AppliedPlanResponse {
    /// The height it was applied at; 0 if it was not.
    pub height: u64,
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, UpgradeError> {
    serde_json::to_vec(v).map_err(|e| UpgradeError::Store(e.to_string()))
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, UpgradeError> {
    match method {
        "CurrentPlan" => to_json(&CurrentPlanResponse {
            plan: state::plan(store)?,
        }),
        "AppliedPlan" => {
            let req: AppliedPlanRequest = serde_json::from_slice(data)
                .map_err(|e| UpgradeError::InvalidQuery(e.to_string()))?;
            to_json(&AppliedPlanResponse {
                height: state::applied(store, &req.name)?.unwrap_or(0),
            })
        }
        other => Err(UpgradeError::InvalidQuery(format!(
            "unknown method {other}"
        ))),
    }
}
