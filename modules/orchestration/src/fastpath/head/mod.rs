//! Head workers answer for what they serve.
//!
//! A head is a registered worker with role `head` and a bond. Two things it could get away
//! with are made provable on chain, and both cost it `head_slash_fraction_bps` of its bond, a
//! jail of `head_jail_blocks` and the invoker's fee paid back from its bond (at most once per
//! request and head, through [`penalty::punish_head`]):
//!
//! - **A lie in an answer.** Every answer a head serves carries its signature over a
//!   [`msgs::HeadStatement`] (request, code, result, sha256 of the outcome served, the chain
//!   state it judged the quorum against, the worker signatures it presents). Anyone holding
//!   the statement and the invoker's signed request can submit [`msgs::MsgReportHead`]; the
//!   chain re-checks it with [`judge::judge`] — the same rule invokers run before accepting an
//!   answer — and punishes a proven lie ([`report`]). A report that proves nothing is refused
//!   with the reason and changes nothing.
//! - **A charge for an answer never given.** The invoker of a settled request challenges it
//!   ([`msgs::MsgChallengeHead`], with a deposit); the head must publish the settled outcome
//!   on chain ([`msgs::MsgAnswerChallenge`]) within `challenge_window` blocks or be punished in
//!   end block ([`challenge`]).
//!
//! Every record is kept only as long as a report or challenge about it can be accepted and is
//! pruned by a queue keyed by height ([`state`]). Genesis requires `head_dispute_window +
//! challenge_window < unbonding_blocks`, so a head cannot unbond out of reach of either.

pub mod challenge;
pub mod error;
pub mod events;
pub mod genesis;
pub mod judge;
pub mod msgs;
pub mod penalty;
pub mod queries;
pub mod report;
pub mod state;

pub use error::HeadError;
