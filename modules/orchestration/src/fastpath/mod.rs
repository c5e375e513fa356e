//! The fast path: millisecond invocations served off chain by head workers, paid from a
//! prepaid deposit and settled and policed on chain.
//!
//! - An invoker deposits ubls ([`msgs::MsgFastPathDeposit`]) and signs each request
//!   ([`request`]: the id binds chain id, invoker, function, code hash, nonce, max fee,
//!   payload hash, expiry height and the guest clock — everything that determines the result).
//!   A request lives `fastpath_request_ttl` blocks; heads and workers serve it only while
//!   `tip ≤ expiry ≤ tip + ttl`.
//! - A head worker has `n` subnetwork workers run it; each signs (request id, code hash,
//!   result hash) with its result key ([`msgs::result_digest`]) and persists its answer, so it
//!   returns the same signed result to every later copy of the request.
//! - The head batches receipts into [`msgs::MsgSettleReceipts`]; the chain verifies every
//!   signature (against the keys valid while the request was alive, [`signers`]), rejects
//!   replayed request ids and receipts past `expiry + fastpath_settle_window`, charges
//!   [`fee::fastpath_fee`] from the deposit and pays workers, head, burn and community pool
//!   ([`handlers::fastpath_split`]). A function may pin the heads allowed to settle for it
//!   ([`msgs::MsgSetPinnedHeads`]). Replay markers are forgotten once the window has closed
//!   ([`prune`]).
//! - Conflicting signed results are evidence anyone can submit
//!   ([`msgs::MsgSubmitEvidence`]; the rule in [`evidence`]).
//! - Heads sign what they serve and answer for it: a proven lie or an unanswered challenge
//!   of a charge slashes and jails the head and refunds the invoker ([`head`]).

pub mod error;
pub mod evidence;
pub mod fee;
pub mod genesis;
pub mod handlers;
pub mod head;
pub mod msgs;
pub mod prune;
pub mod queries;
pub mod request;
pub mod signers;
pub mod state;

pub use error::FastPathError;
