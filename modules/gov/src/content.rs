//! What a proposal proposes: its content as decoded from `MsgSubmitProposal.content`, the
//! checks it must pass at submission, and what passing it does.
//!
//! The four Cosmos content types are accepted, with their Cosmos type URLs (Keplr and
//! explorers render them by URL): text, parameter change (`subspace` = a module's name, `key` =
//! one field of its params, `value` = the field's new value as JSON), software upgrade (a plan
//! by name and height; `time` and `upgraded_client_state` are refused, as in the Cosmos SDK
//! since v0.46) and cancel software upgrade. A parameter change is tried at submission on a
//! throwaway copy of the state, through the module's own checks, so a proposal that could
//! never be carried out is refused before anyone deposits on it.

use bls_core::module::decode_any;
use bls_core::overlay::Overlay;
use bls_core::Module;
use cosmos_sdk_proto::cosmos::gov::v1beta1::TextProposal;
use cosmos_sdk_proto::cosmos::params::v1beta1::ParameterChangeProposal;
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    CancelSoftwareUpgradeProposal, SoftwareUpgradeProposal,
};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::GovError;

/// Type URL of a text proposal.
pub const TEXT_PROPOSAL: &str = "/cosmos.gov.v1beta1.TextProposal";
/// Type URL of a parameter-change proposal.
pub const PARAMETER_CHANGE_PROPOSAL: &str = "/cosmos.params.v1beta1.ParameterChangeProposal";
/// Type URL of a software-upgrade proposal.
pub const SOFTWARE_UPGRADE_PROPOSAL: &str = "/cosmos.upgrade.v1beta1.SoftwareUpgradeProposal";
/// Type URL of a cancel-software-upgrade proposal.
pub const CANCEL_SOFTWARE_UPGRADE_PROPOSAL: &str =
    "/cosmos.upgrade.v1beta1.CancelSoftwareUpgradeProposal";

/// Longest title, bytes (the Cosmos SDK's limit).
pub const MAX_TITLE_LEN: usize = 140;
/// Longest description, bytes (the Cosmos SDK's limit).
pub const MAX_DESCRIPTION_LEN: usize = 10_000;
/// Most changes in one parameter-change proposal.
pub const MAX_PARAM_CHANGES: usize = 32;
/// Longest change value, bytes.
pub const MAX_PARAM_VALUE_LEN: usize = 4_096;

/// One parameter change: `module`'s params field `key` becomes `value` (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamChange {
    /// The module's name (Cosmos calls it the subspace).
    pub subspace: String,
    /// The params field.
    pub key: String,
    /// The new value, as JSON text (`"50"`, `"\"20000000\""`).
    pub value: String,
}

/// A proposal's content, in the JSON shape the Cosmos REST API gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type", deny_unknown_fields)]
pub enum Content {
    /// Text only: passing it records the community's answer.
    #[serde(rename = "/cosmos.gov.v1beta1.TextProposal")]
    Text {
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
    /// Changes module params.
    #[serde(rename = "/cosmos.params.v1beta1.ParameterChangeProposal")]
    ParameterChange {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// The changes, applied together or not at all.
        changes: Vec<ParamChange>,
    },
    /// Schedules a software upgrade.
    #[serde(rename = "/cosmos.upgrade.v1beta1.SoftwareUpgradeProposal")]
    SoftwareUpgrade {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// The plan.
        plan: bls_upgrade::Plan,
    },
    /// Removes the pending upgrade plan.
    #[serde(rename = "/cosmos.upgrade.v1beta1.CancelSoftwareUpgradeProposal")]
    CancelSoftwareUpgrade {
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
}

impl Content {
    /// Decodes `any` into one of the four content types (any other type URL is refused).
    // Plan's deprecated `time` and `upgraded_client_state` are read only to refuse them.
    #[allow(deprecated)]
    pub fn decode(any: &Any) -> Result<Self, GovError> {
        let invalid = |e: bls_core::ModuleError| GovError::InvalidContent(e.log);
        Ok(match any.type_url.as_str() {
            TEXT_PROPOSAL => {
                let p: TextProposal = decode_any(any, TEXT_PROPOSAL).map_err(invalid)?;
                Content::Text {
                    title: p.title,
                    description: p.description,
                }
            }
            PARAMETER_CHANGE_PROPOSAL => {
                let p: ParameterChangeProposal =
                    decode_any(any, PARAMETER_CHANGE_PROPOSAL).map_err(invalid)?;
                Content::ParameterChange {
                    title: p.title,
                    description: p.description,
                    changes: p
                        .changes
                        .into_iter()
                        .map(|c| ParamChange {
                            subspace: c.subspace,
                            key: c.key,
                            value: c.value,
                        })
                        .collect(),
                }
            }
            SOFTWARE_UPGRADE_PROPOSAL => {
                let p: SoftwareUpgradeProposal =
                    decode_any(any, SOFTWARE_UPGRADE_PROPOSAL).map_err(invalid)?;
                let Some(plan) = p.plan else {
                    return Err(GovError::InvalidContent(
                        "software upgrade without a plan".into(),
                    ));
                };
                if plan.time.is_some() {
                    return Err(GovError::InvalidContent(
                        "plan.time is not supported: give a height".into(),
                    ));
                }
                if plan.upgraded_client_state.is_some() {
                    return Err(GovError::InvalidContent(
                        "plan.upgraded_client_state is not supported".into(),
                    ));
                }
                let height = u64::try_from(plan.height).map_err(|_| {
                    GovError::InvalidContent(format!("plan.height {} is negative", plan.height))
                })?;
                Content::SoftwareUpgrade {
                    title: p.title,
                    description: p.description,
                    plan: bls_upgrade::Plan {
                        name: plan.name,
                        height,
                        info: plan.info,
                    },
                }
            }
            CANCEL_SOFTWARE_UPGRADE_PROPOSAL => {
                let p: CancelSoftwareUpgradeProposal =
                    decode_any(any, CANCEL_SOFTWARE_UPGRADE_PROPOSAL).map_err(invalid)?;
                Content::CancelSoftwareUpgrade {
                    title: p.title,
                    description: p.description,
                }
            }
            other => {
                return Err(GovError::InvalidContent(format!(
                    "unsupported proposal type {other:?}: use {TEXT_PROPOSAL}, \
                     {PARAMETER_CHANGE_PROPOSAL}, {SOFTWARE_UPGRADE_PROPOSAL} or \
                     {CANCEL_SOFTWARE_UPGRADE_PROPOSAL}"
                )))
            }
        })
    }

    /// The content's type URL.
    pub fn type_url(&self) -> &'static str {
        match self {
            Content::Text { .. } => TEXT_PROPOSAL,
            Content::ParameterChange { .. } => PARAMETER_CHANGE_PROPOSAL,
            Content::SoftwareUpgrade { .. } => SOFTWARE_UPGRADE_PROPOSAL,
            Content::CancelSoftwareUpgrade { .. } => CANCEL_SOFTWARE_UPGRADE_PROPOSAL,
        }
    }

    /// The title.
    pub fn title(&self) -> &str {
        match self {
            Content::Text { title, .. }
            | Content::ParameterChange { title, .. }
            | Content::SoftwareUpgrade { title, .. }
            | Content::CancelSoftwareUpgrade { title, .. } => title,
        }
    }

    fn description(&self) -> &str {
        match self {
            Content::Text { description, .. }
            | Content::ParameterChange { description, .. }
            | Content::SoftwareUpgrade { description, .. }
            | Content::CancelSoftwareUpgrade { description, .. } => description,
        }
    }

    /// The checks at submission: sizes, and that carrying the content out at `height` would
    /// succeed on the current state (tried on a copy, which is dropped).
    pub fn validate(
        &self,
        store: &dyn Storage,
        height: u64,
        modules: &[&'static dyn Module],
    ) -> Result<(), GovError> {
        let field = |field: &'static str, reason: String| GovError::InvalidField { field, reason };
        if self.title().trim().is_empty() || self.title().len() > MAX_TITLE_LEN {
            return Err(field("title", format!("must be 1..={MAX_TITLE_LEN} bytes")));
        }
        if self.description().len() > MAX_DESCRIPTION_LEN {
            return Err(field(
                "description",
                format!("must be at most {MAX_DESCRIPTION_LEN} bytes"),
            ));
        }
        match self {
            Content::Text { .. } | Content::CancelSoftwareUpgrade { .. } => Ok(()),
            Content::ParameterChange { changes, .. } => {
                if changes.is_empty() || changes.len() > MAX_PARAM_CHANGES {
                    return Err(GovError::InvalidContent(format!(
                        "a parameter change needs 1..={MAX_PARAM_CHANGES} changes"
                    )));
                }
                let mut copy = Overlay::new(store);
                apply_param_changes(&mut copy, changes, modules)
            }
            Content::SoftwareUpgrade { plan, .. } => {
                plan.validate(height)
                    .map_err(|e| GovError::InvalidContent(e.to_string()))?;
                if let Some(at) = bls_upgrade::state::applied(store, &plan.name)
                    .map_err(|e| GovError::Store(e.to_string()))?
                {
                    return Err(GovError::InvalidContent(format!(
                        "plan {:?} was already applied at height {at}",
                        plan.name
                    )));
                }
                Ok(())
            }
        }
    }

    /// Carries the content out (a passed proposal). The caller runs this on a branch, so an
    /// error leaves nothing of it applied.
    pub fn execute(
        &self,
        store: &mut dyn Storage,
        height: u64,
        modules: &[&'static dyn Module],
    ) -> Result<(), GovError> {
        match self {
            Content::Text { .. } => Ok(()),
            Content::ParameterChange { changes, .. } => {
                apply_param_changes(store, changes, modules)
            }
            Content::SoftwareUpgrade { plan, .. } => {
                bls_upgrade::state::schedule(store, height, plan)
                    .map_err(|e| GovError::InvalidContent(e.to_string()))
            }
            Content::CancelSoftwareUpgrade { .. } => bls_upgrade::state::cancel(store)
                .map(|_| ())
                .map_err(|e| GovError::Store(e.to_string())),
        }
    }
}

/// Applies `changes` in order, each module's params replaced through its own checks after all
/// of its keys are set (so two dependent keys of one module can change together).
pub fn apply_param_changes(
    store: &mut dyn Storage,
    changes: &[ParamChange],
    modules: &[&'static dyn Module],
) -> Result<(), GovError> {
    // Group by module in first-appearance order; every key is checked against the module's
    // current params object before any is set.
    let mut order: Vec<&str> = Vec::new();
    for c in changes {
        if !order.contains(&c.subspace.as_str()) {
            order.push(&c.subspace);
        }
    }
    for name in order {
        let err = |key: &str, reason: String| GovError::InvalidParamChange {
            module: name.to_string(),
            key: key.to_string(),
            reason,
        };
        let first_key = changes
            .iter()
            .find(|c| c.subspace == name)
            .map(|c| c.key.as_str())
            .unwrap_or_default();
        let Some(module) = modules.iter().find(|m| m.name() == name) else {
            return Err(err(first_key, format!("no module named {name:?}")));
        };
        let current = module
            .params(store)
            .map_err(|e| err(first_key, e.log))?
            .ok_or_else(|| {
                err(
                    first_key,
                    format!("module {name} has no params governance may change"),
                )
            })?;
        let serde_json::Value::Object(mut obj) = current else {
            return Err(err(first_key, "params are not an object".into()));
        };
        for c in changes.iter().filter(|c| c.subspace == name) {
            if !obj.contains_key(&c.key) {
                let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                return Err(err(
                    &c.key,
                    format!("no such key; {name}'s params are {}", keys.join(", ")),
                ));
            }
            if c.value.len() > MAX_PARAM_VALUE_LEN {
                return Err(err(
                    &c.key,
                    format!("value longer than {MAX_PARAM_VALUE_LEN} bytes"),
                ));
            }
            let value: serde_json::Value = serde_json::from_str(&c.value).map_err(|e| {
                err(
                    &c.key,
                    format!("value {:?} is not JSON ({e}); quote strings", c.value),
                )
            })?;
            obj.insert(c.key.clone(), value);
        }
        module
            .set_params(store, &serde_json::Value::Object(obj))
            .map_err(|e| err(first_key, e.log))?;
    }
    // Rules that span modules (the registry's unbonding covering orchestration's fast-path
    // windows, say) are each module's own check over the others' params: run every module's
    // check again on the state after all changes, so a change to one module cannot leave
    // another's params invalid, and one proposal may change both sides together.
    for module in modules {
        let Some(current) = module.params(store).map_err(|e| GovError::Store(e.log))? else {
            continue;
        };
        module
            .set_params(store, &current)
            .map_err(|e| GovError::InvalidParamChange {
                module: module.name().to_string(),
                key: String::new(),
                reason: e.log,
            })?;
    }
    Ok(())
}
