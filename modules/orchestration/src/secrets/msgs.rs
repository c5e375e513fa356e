//! Messages of sealed secrets (`bls.orchestration.v1`).

use serde::{Deserialize, Serialize};

/// Type URL of [`MsgSetSecret`].
pub const MSG_SET_SECRET: &str = "/bls.orchestration.v1.MsgSetSecret";
/// Type URL of [`MsgSetSecretResponse`].
pub const MSG_SET_SECRET_RESPONSE: &str = "/bls.orchestration.v1.MsgSetSecretResponse";
/// Type URL of [`MsgUnsetSecret`].
pub const MSG_UNSET_SECRET: &str = "/bls.orchestration.v1.MsgUnsetSecret";
/// Type URL of [`MsgUnsetSecretResponse`].
pub const MSG_UNSET_SECRET_RESPONSE: &str = "/bls.orchestration.v1.MsgUnsetSecretResponse";
/// Type URL of [`MsgResealSecret`].
pub const MSG_RESEAL_SECRET: &str = "/bls.orchestration.v1.MsgResealSecret";
/// Type URL of [`MsgResealSecretResponse`].
pub const MSG_RESEAL_SECRET_RESPONSE: &str = "/bls.orchestration.v1.MsgResealSecretResponse";
/// Type URL of [`MsgReportUnopenableSecrets`].
pub const MSG_REPORT_UNOPENABLE_SECRETS: &str = "/bls.orchestration.v1.MsgReportUnopenableSecrets";
/// Type URL of [`MsgReportUnopenableSecretsResponse`].
pub const MSG_REPORT_UNOPENABLE_SECRETS_RESPONSE: &str =
    "/bls.orchestration.v1.MsgReportUnopenableSecretsResponse";

/// One value sealed to one worker (HPKE base mode: encapsulated key and ciphertext).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct SealedEnvelope {
    /// The worker it is sealed to.
    #[prost(string, tag = "1")]
    pub worker: String,
    /// HPKE encapsulated key (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub enc: Vec<u8>,
    /// ChaCha20-Poly1305 ciphertext of the salted value.
    #[prost(bytes = "vec", tag = "3")]
    pub ciphertext: Vec<u8>,
}

/// Sets (or replaces) a function's secret: the value sealed to every current subnetwork member
/// with an encryption key, and the commitment each member checks it against (owner only).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSetSecret {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Secret name (an environment variable name).
    #[prost(string, tag = "3")]
    pub name: String,
    /// sha256 commitment to the salted value (32 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub commitment: Vec<u8>,
    /// One envelope per member with an encryption key.
    #[prost(message, repeated, tag = "5")]
    pub envelopes: Vec<SealedEnvelope>,
    /// The version the envelopes were sealed for: the function's next secret version (query
    /// `Secrets`); a set racing another is refused rather than stored under the wrong one.
    #[prost(uint64, tag = "6")]
    pub version: u64,
}

/// Response to [`MsgSetSecret`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSetSecretResponse {
    /// The secret's new version.
    #[prost(uint64, tag = "1")]
    pub version: u64,
}

/// Removes a function's secret and every envelope of it (owner only).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnsetSecret {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Secret name.
    #[prost(string, tag = "3")]
    pub name: String,
}

/// Response to [`MsgUnsetSecret`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnsetSecretResponse {}

/// A member holding a secret re-seals it to a member that lacks it (a new member, or one whose
/// envelope did not open).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgResealSecret {
    /// The sealing member (signer).
    #[prost(string, tag = "1")]
    pub sealer: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Secret name.
    #[prost(string, tag = "3")]
    pub name: String,
    /// The secret's current version.
    #[prost(uint64, tag = "4")]
    pub version: u64,
    /// The envelope, sealed to the recipient.
    #[prost(message, optional, tag = "5")]
    pub envelope: Option<SealedEnvelope>,
}

/// Response to [`MsgResealSecret`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgResealSecretResponse {
    /// True when the recipient now holds every secret of the function.
    #[prost(bool, tag = "1")]
    pub complete: bool,
}

/// A member reports that its envelopes for a function do not open (or open to a value that
/// differs from the commitment). Its envelopes are deleted and it asks for a reseal; with a
/// `job_id` its slot in that job (assigned, not committed) is declined without penalty.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgReportUnopenableSecrets {
    /// The reporting worker (signer).
    #[prost(string, tag = "1")]
    pub worker: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// The job it cannot run, or 0.
    #[prost(uint64, tag = "3")]
    pub job_id: u64,
    /// What went wrong (for operators; at most 256 bytes).
    #[prost(string, tag = "4")]
    pub reason: String,
    /// The function's secrets changed since `job_id` was assigned (decline only: its
    /// envelopes are fine).
    #[prost(bool, tag = "5")]
    pub stale: bool,
    /// The secret whose envelope failed (empty: unknown; every sealer is then excluded).
    #[prost(string, tag = "6")]
    pub name: String,
}

/// Response to [`MsgReportUnopenableSecrets`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgReportUnopenableSecretsResponse {
    /// True when a job slot was declined.
    #[prost(bool, tag = "1")]
    pub declined: bool,
}
