//! Sealed secrets: a function's environment variables that no one but the workers running it
//! can read.
//!
//! - Each worker registers an X25519 encryption key (`bls-registry`, `encryption_pubkey`).
//! - The owner sets a secret with [`msgs::MsgSetSecret`]: the value sealed (HPKE, RFC 9180) to
//!   every current member of the function's subnetwork that has a key, one envelope each, and a
//!   commitment to the value ([`rules`]; the sealing and the commitment are `bls_client::sealed`).
//!   Only envelopes and the commitment go on chain. Each set gets a new version.
//! - A member runs a job of a function with secrets only when it holds a valid envelope for
//!   every secret (sealed to its registered key for the current version): [`state::holds_secrets`].
//!   Assignment and reassignment draw only such members, and invoke refuses a function with
//!   fewer of them than its replication.
//! - When the subnetwork changes (repair, growth), the envelopes of members that left are
//!   deleted and each new member is marked as needing its secrets ([`state::ResealNeed`]);
//!   any member holding them re-seals them to it ([`msgs::MsgResealSecret`], no action by the
//!   owner). Members take turns by a deterministic rank so they do not all pay for the same
//!   reseal ([`queries`], `PendingReseals`).
//! - A member whose envelope does not open, or opens to a value that differs from the
//!   commitment, reports it ([`msgs::MsgReportUnopenableSecrets`]): its envelopes for the
//!   function are deleted, whoever sealed the bad one (unless the owner) may not reseal to it
//!   again, it asks for a reseal, and if it names an assigned job its slot is declined — no
//!   miss, no slash, the job finishes with the others or is reassigned or refunded.
//!
//! What this does not protect: a worker's memory while it runs the function (the value is in
//! the guest's environment), and a former member may remember old values — rotate the value
//! itself (`bls function secrets rotate`) after a member you no longer trust has left.

pub mod error;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod queries;
pub mod rules;
pub mod state;

pub use error::SecretsError;
