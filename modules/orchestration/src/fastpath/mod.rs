//! The fast path: millisecond invocations served off chain by head workers, paid from a
//! prepaid deposit and settled and policed on chain.
//!
//! - An invoker deposits ubls ([`msgs::MsgFastPathDeposit`]) and signs each request
//!   ([`msgs::request_id`]: chain id, invoker, function, nonce, max fee, payload hash).
//! - A head worker has `n` subnetwork workers run it; each signs (request id, code hash,
//!   result hash) with its registered result key ([`msgs::result_digest`]).
//! - The head batches receipts into [`msgs::MsgSettleReceipts`]; the chain verifies every
//!   signature, rejects replayed request ids, charges the flat fee (`fastpath_fee`) from the
//!   deposit and pays workers, head, burn and community pool ([`handlers::fastpath_split`]).
//!   A function may pin the heads allowed to settle for it ([`msgs::MsgSetPinnedHeads`]).
//! - Conflicting signed results are evidence anyone can submit
//!   ([`msgs::MsgSubmitEvidence`]; rule in [`handlers::submit_evidence`]).
//! - Heads sign what they serve and answer for it: a proven lie or an unanswered challenge
//!   of a charge slashes and jails the head and refunds the invoker ([`head`]).

pub mod error;
pub mod genesis;
pub mod handlers;
pub mod head;
pub mod msgs;
pub mod queries;
pub mod state;

pub use error::FastPathError;
