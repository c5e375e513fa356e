//! The Cosmos transaction pipeline: decode → ante (signature, sequence, fee) → messages.
//!
//! The ABCI app calls [`TxPipeline::check_tx`] with its CheckTx state, [`TxPipeline::deliver_tx`]
//! with the block state, and [`TxPipeline::query_simulate`] for
//! `/cosmos.tx.v1beta1.Service/Simulate` with a throwaway overlay.
//!
//! State semantics (as in the Cosmos SDK):
//! - a tx rejected by the ante changes nothing;
//! - once the ante passes, its writes (fee paid, sequence + 1, public key set) persist even if
//!   a message fails or gas runs out; the messages run in a nested overlay applied only when
//!   all of them succeed within the gas limit;
//! - CheckTx applies the ante writes to the CheckTx state, so sequences N and N+1 can both wait
//!   in the mempool.

mod ante;
mod decode;
mod error;
mod execute;
pub mod sig_cache;
mod simulate;

pub use ante::Mode;
pub use decode::{decode_tx, DecodedTx};
pub use error::{TxError, SDK_CODESPACE};
pub use simulate::SIMULATE_PATH;

use bls_auth::params;
use bls_core::{BlockInfo, Event, GasConfig, GasMeter, Module, ModuleError};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmwasm_std::Storage;
use prost::Message;

use crate::store::{ChangeSet, Overlay};
use sig_cache::SigCache;

/// The result of one tx, as CheckTx / FinalizeBlock report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxOutcome {
    /// 0 on success.
    pub code: u32,
    /// Codespace of a non-zero code.
    pub codespace: String,
    /// Why it failed (empty on success).
    pub log: String,
    /// Encoded `cosmos.base.abci.v1beta1.TxMsgData{msg_responses}` (DeliverTx success only).
    pub data: Vec<u8>,
    /// The tx's gas limit.
    pub gas_wanted: u64,
    /// Gas consumed.
    pub gas_used: u64,
    /// Events: the ante's `tx` (and fee transfer) events, then per message a `message` event
    /// and the module's events.
    pub events: Vec<Event>,
}

impl TxOutcome {
    fn failed(err: &TxError, gas_wanted: u64, gas_used: u64, events: Vec<Event>) -> Self {
        let (codespace, code) = err.codes();
        Self {
            code,
            codespace,
            log: err.to_string(),
            data: Vec::new(),
            gas_wanted,
            gas_used,
            events,
        }
    }

    /// True when `code == 0`.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// Decodes, authenticates and executes Cosmos txs against the given modules.
pub struct TxPipeline<'m> {
    modules: &'m [&'m dyn Module],
    gas_config: GasConfig,
    sig_cache: Option<&'m SigCache>,
}

impl<'m> TxPipeline<'m> {
    /// A pipeline routing messages to `modules` (by `msg_type_urls`, first match), with the
    /// default store gas prices.
    pub fn new(modules: &'m [&'m dyn Module]) -> Self {
        Self {
            modules,
            gas_config: GasConfig::default(),
            sig_cache: None,
        }
    }

    /// Remembers verified signatures in `cache`, so a tx's signature is checked once per
    /// node (CheckTx, rechecks and FinalizeBlock share it).
    pub fn with_sig_cache(mut self, cache: &'m SigCache) -> Self {
        self.sig_cache = Some(cache);
        self
    }

    /// Overrides the store-operation gas prices. The per-byte and per-signature prices come
    /// from the auth params instead.
    pub fn with_gas_config(mut self, gas_config: GasConfig) -> Self {
        self.gas_config = gas_config;
        self
    }

    /// Mempool admission: decode and ante only. On success the ante writes (fee, sequence,
    /// public key) are applied to `store`, the CheckTx state.
    pub fn check_tx(&self, store: &mut dyn Storage, block: &BlockInfo, raw: &[u8]) -> TxOutcome {
        self.run(store, block, raw, Mode::Check)
    }

    /// Block execution. Ante writes persist once the ante passes; message writes only if every
    /// message succeeds within the gas limit.
    pub fn deliver_tx(&self, store: &mut dyn Storage, block: &BlockInfo, raw: &[u8]) -> TxOutcome {
        self.run(store, block, raw, Mode::Deliver)
    }

    /// Gas estimation over `store` (pass a throwaway overlay: it is written to). Signatures are
    /// not verified (their gas is still charged) and the minimum fee is not enforced. Returns
    /// the gas used and the outcome, or the error the tx would fail with.
    pub fn simulate(
        &self,
        store: &mut dyn Storage,
        block: &BlockInfo,
        tx_bytes: &[u8],
    ) -> Result<(u64, TxOutcome), ModuleError> {
        let outcome = self.run(store, block, tx_bytes, Mode::Simulate);
        if outcome.is_ok() {
            Ok((outcome.gas_used, outcome))
        } else {
            let mut log = outcome.log;
            let out_of_gas = TxError::OutOfGas {
                location: String::new(),
                wanted: 0,
                used: 0,
            };
            if (outcome.codespace.clone(), outcome.code) == out_of_gas.codes() {
                if let Ok(p) = params::load(store) {
                    log.push_str(&format!(
                        " (simulation stops at the chain's max_gas_per_tx, {}: a tx that needs \
                         more can never be included)",
                        p.max_gas_per_tx
                    ));
                }
            }
            Err(ModuleError {
                codespace: outcome.codespace,
                code: outcome.code,
                log,
            })
        }
    }

    fn run(&self, store: &mut dyn Storage, block: &BlockInfo, raw: &[u8], mode: Mode) -> TxOutcome {
        let params = match params::load(store) {
            Ok(p) => p,
            Err(e) => return TxOutcome::failed(&TxError::Internal(e.to_string()), 0, 0, vec![]),
        };
        let gas_price = match params.gas_price() {
            Ok(p) => p,
            Err(e) => return TxOutcome::failed(&TxError::Internal(e.to_string()), 0, 0, vec![]),
        };
        if u64::try_from(raw.len()).map_or(true, |l| l > params.max_tx_bytes) {
            let err = TxError::TooLarge {
                size: raw.len(),
                max: params.max_tx_bytes,
            };
            return TxOutcome::failed(&err, 0, 0, vec![]);
        }
        let tx = match decode_tx(raw, mode != Mode::Simulate) {
            Ok(tx) => tx,
            Err(e) => return TxOutcome::failed(&e, 0, 0, vec![]),
        };
        let gas_wanted = tx.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
        let routed = match ante::validate_basic(&tx, &params, block, mode)
            .and_then(|()| ante::route_messages(self.modules, &tx))
        {
            Ok(r) => r,
            Err(e) => return TxOutcome::failed(&e, gas_wanted, 0, vec![]),
        };

        // Simulation measures gas up to what a tx may ever use: a simulate costs no fee and
        // needs no signature, so without this cap one request could run messages for minutes
        // on the thread that also drives consensus.
        let limit = if mode == Mode::Simulate {
            params.max_gas_per_tx
        } else {
            gas_wanted
        };
        let meter = GasMeter::new(limit, self.gas_config);

        let ante_result = {
            let mut ante_overlay = Overlay::new(&*store);
            ante::run_ante(
                &mut ante_overlay,
                &meter,
                block,
                &tx,
                raw.len(),
                &params,
                gas_price,
                &routed,
                mode,
                self.sig_cache,
            )
            .map(|events| (events, ante_overlay.into_changes()))
        };
        let ante_events = match ante_result {
            Ok((events, changes)) => {
                apply_changes(store, changes);
                events
            }
            Err(e) => return TxOutcome::failed(&e, gas_wanted, meter.consumed(), vec![]),
        };

        if mode == Mode::Check {
            return TxOutcome {
                gas_wanted,
                gas_used: meter.consumed(),
                events: ante_events,
                ..TxOutcome::default()
            };
        }

        let msg_result = {
            let mut msg_overlay = Overlay::new(&*store);
            execute::execute_messages(
                &mut msg_overlay,
                &meter,
                block,
                &tx,
                &routed.handlers,
                &routed.signer,
            )
            .map(|executed| (executed, msg_overlay.into_changes()))
        };
        match msg_result {
            Ok((executed, changes)) => {
                apply_changes(store, changes);
                let mut events = ante_events;
                events.extend(executed.events);
                #[allow(deprecated)] // `data` is deprecated; SDK v0.50 leaves it empty too.
                let data = TxMsgData {
                    data: Vec::new(),
                    msg_responses: executed.responses,
                }
                .encode_to_vec();
                TxOutcome {
                    data,
                    gas_wanted,
                    gas_used: meter.consumed(),
                    events,
                    ..TxOutcome::default()
                }
            }
            // The ante's writes stay (fee paid, sequence used); so do its events.
            Err(e) => TxOutcome::failed(&e, gas_wanted, meter.consumed(), ante_events),
        }
    }
}

/// Writes an overlay's buffered changes into `store`.
fn apply_changes(store: &mut dyn Storage, changes: ChangeSet) {
    changes.apply_to(store);
}
