//! `/cosmos.tx.v1beta1.Service/Simulate`: `SimulateRequest` in, `SimulateResponse` out.

use bls_core::{BlockInfo, Event, ModuleError};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::tendermint::abci::{Event as PbEvent, EventAttribute};
use cosmwasm_std::Storage;
use prost::Message;

use super::error::{TxError, SDK_CODESPACE};
use super::TxPipeline;

/// ABCI query path of the simulate service.
pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";

impl TxPipeline<'_> {
    /// Answers a `SimulateRequest` (its `tx_bytes`, or else the deprecated `tx` field) over
    /// `store`, which must be a throwaway overlay. Errors carry the code the tx would fail with.
    pub fn query_simulate(
        &self,
        store: &mut dyn Storage,
        block: &BlockInfo,
        req_bytes: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        let req = SimulateRequest::decode(req_bytes).map_err(|e| {
            TxError::Decode(format!("invalid SimulateRequest: {e}")).to_module_error()
        })?;
        #[allow(deprecated)] // the `tx` field is deprecated but older clients still send it
        let tx_bytes = if !req.tx_bytes.is_empty() {
            req.tx_bytes
        } else if let Some(tx) = req.tx {
            // `Tx` and `TxRaw` share a wire layout: body and auth info as length-delimited
            // fields 1 and 2, signatures as field 3.
            tx.encode_to_vec()
        } else {
            return Err(ModuleError::new(
                SDK_CODESPACE,
                18,
                "empty txBytes is not allowed: invalid request",
            ));
        };
        let (gas_used, outcome) = self.simulate(store, block, &tx_bytes)?;
        let msg_responses = TxMsgData::decode(outcome.data.as_slice())
            .map(|d| d.msg_responses)
            .unwrap_or_default();
        #[allow(deprecated)] // `Result.data` is deprecated; SDK v0.50 leaves it empty too.
        let result = AbciResult {
            data: Vec::new(),
            log: outcome.log,
            events: outcome.events.iter().map(to_pb_event).collect(),
            msg_responses,
        };
        Ok(SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: outcome.gas_wanted,
                gas_used,
            }),
            result: Some(result),
        }
        .encode_to_vec())
    }
}

fn to_pb_event(e: &Event) -> PbEvent {
    PbEvent {
        r#type: e.kind.clone(),
        attributes: e
            .attributes
            .iter()
            .map(|(k, v)| EventAttribute {
                key: k.clone(),
                value: v.clone(),
                index: true,
            })
            .collect(),
    }
}
