//! The marketplace: owners list functions for others to use and earn a price per invocation.
//!
//! - An owner publishes a listing of its function ([`msgs::MsgPublishListing`]): name,
//!   description, tags, license, source link, terms and a price per invocation in ubls
//!   ([`rules`] bounds every field; a zero or absurd price is refused). It may replace the
//!   listing ([`msgs::MsgUpdateListing`], the new price applies to later invocations) or unlist
//!   the function ([`msgs::MsgUnlistFunction`]). New versions are published by updating the
//!   function's code (`MsgUpdateFunction`); a consumer pins the version it tested with
//!   (`MsgInvoke.version`, refused once the function has moved on) or follows the latest.
//! - Paying ([`royalty`]): an on-chain invocation of a listed function escrows the price on
//!   top of the worst-case fee (so `max_fee` must cover both); the price is fixed at invoke.
//!   When the job ends with an agreed result the owner is paid the price at settlement; a job
//!   that fails is refunded in full, price included. On the fast path each settled receipt
//!   charges the deposit the fast-path fee plus the lower of the price when the request's
//!   window opened and the price now, never more than the request's signed `max_fee` and the
//!   deposit leave beside the fee ([`royalty::fastpath_price`]).
//! - Figures ([`state::FunctionStats`], for every function, listed or not): invocations,
//!   agreed results, failures, revenue (prices paid), and on-chain latency in blocks from
//!   invoke to finality (a bounded histogram; the median comes from it).
//! - Composition ([`composition`]): a function calls listed functions its manifest declares
//!   (`calls`) through the `bls_call` host call; the chain pins them at invoke, escrows their
//!   prices and pays each call that exited 0 at settlement.
//! - Browse ([`queries`]): one listing with its figures; listings filtered by tag, owner and
//!   price range, by id or by popularity, paginated.

pub mod composition;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod queries;
pub mod royalty;
pub mod rules;
pub mod state;
