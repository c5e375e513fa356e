//! The `app_state` of CometBFT's genesis: one JSON section per module, keyed by module name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Parsed `app_state`. Unknown top-level keys are rejected so a typo in a section name does not
/// silently start a chain without, say, its balances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppGenesis {
    sections: BTreeMap<String, serde_json::Value>,
}

/// Why `app_state` is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Not a JSON object.
    #[error("app_state is not a JSON object: {0}")]
    Json(#[from] serde_json::Error),
    /// A section no module owns.
    #[error("app_state has a section {0:?} that no module owns (known: {1})")]
    UnknownSection(String, String),
}

const NULL: serde_json::Value = serde_json::Value::Null;

impl AppGenesis {
    /// Parses `app_state` bytes (empty bytes mean an empty genesis) and checks section names.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GenesisError> {
        let g: AppGenesis = if bytes.iter().all(u8::is_ascii_whitespace) {
            AppGenesis::default()
        } else {
            serde_json::from_slice(bytes)?
        };
        let known: Vec<&str> = crate::modules::all_modules()
            .iter()
            .map(|m| m.name())
            .collect();
        for name in g.sections.keys() {
            if !known.contains(&name.as_str()) {
                return Err(GenesisError::UnknownSection(name.clone(), known.join(", ")));
            }
        }
        Ok(g)
    }

    /// The section of one module (`Null` when absent: the module uses its defaults).
    pub fn section(&self, module: &str) -> &serde_json::Value {
        self.sections.get(module).unwrap_or(&NULL)
    }

    /// Sets one module's section.
    pub fn set_section(&mut self, module: &str, value: serde_json::Value) {
        self.sections.insert(module.to_string(), value);
    }
}
