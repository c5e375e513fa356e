//! `bls-client`: everything a client of the bls chain needs.
//!
//! - [`keys::KeyPair`]: BIP39/BIP32 secp256k1 keys and `bls1...` addresses;
//! - [`keyring::Keyring`]: the file keyring, encrypted at rest by default (`file` backend) or
//!   unencrypted for devnets and CI (`test` backend): see the module docs;
//! - [`rpc::RpcClient`]: CometBFT RPC — status, ABCI queries, broadcast, wait, block results;
//! - [`tx::TxBuilder`]: SIGN_MODE_DIRECT `TxRaw` signing;
//! - [`fee`]: integer gas/fee arithmetic;
//! - [`send`]: `send_tx` (account → simulate → sign → broadcast → wait) and
//!   [`send::TrackedSender`] / [`send::SequenceTracker`] for long-running signers;
//! - [`msgs`]: message builders (bank, registry, orchestration, worker commit/reveal);
//! - [`registry`], [`orchestration`]: typed module queries, waiting for and verifying jobs;
//! - [`fastpath`]: deposits and signed fast-path requests; [`head`]: verifying a head's signed
//!   answer and holding heads to account (report a lie, challenge a charge); [`head_api`]: the
//!   JSON of a head's HTTP API;
//! - [`market`]: listing a function with a price and browsing listings;
//! - [`sealed`]: sealing secrets to workers (HPKE) and opening them; [`secrets`]: setting a
//!   function's secrets and reading what the chain holds of them;
//! - [`cli`]: the `blsd keys|tx|query` commands, mounted by the `blsd` binary.

pub mod chain_error;
pub mod cli;
pub mod cors;
pub mod fastpath;
pub mod fee;
pub mod head;
pub mod head_api;
pub mod ipfs;
pub mod keyring;
pub mod keys;
pub mod market;
pub mod msgs;
pub mod orchestration;
pub mod registry;
pub mod rpc;
pub mod sealed;
pub mod secrets;
pub mod send;
pub mod tx;

pub use fee::{Decimal, GasPrice, GasSetting};
pub use keyring::{KeyInfo, Keyring, KeyringBackend, KeyringError, PassphraseSource};
pub use keys::{KeyError, KeyPair};
pub use rpc::{RpcClient, RpcError, TxResult};
pub use send::{
    broadcast_tx, check_result, send_tx, SendError, SequenceTracker, TrackedSender, TxOptions,
};
pub use tx::{SignedTx, TxBuilder, TxError};
