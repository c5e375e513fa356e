//! Protobuf messages of `bls.registry.v1` (hand-written prost structs; serde for CLI JSON).

use serde::{Deserialize, Serialize};

/// Type URL of [`MsgRegisterWorker`].
pub const MSG_REGISTER_WORKER: &str = "/bls.registry.v1.MsgRegisterWorker";
/// Type URL of [`MsgRegisterWorkerResponse`].
pub const MSG_REGISTER_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgRegisterWorkerResponse";
/// Type URL of [`MsgUpdateWorker`].
pub const MSG_UPDATE_WORKER: &str = "/bls.registry.v1.MsgUpdateWorker";
/// Type URL of [`MsgUpdateWorkerResponse`].
pub const MSG_UPDATE_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgUpdateWorkerResponse";
/// Type URL of [`MsgDeregisterWorker`].
pub const MSG_DEREGISTER_WORKER: &str = "/bls.registry.v1.MsgDeregisterWorker";
/// Type URL of [`MsgDeregisterWorkerResponse`].
pub const MSG_DEREGISTER_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgDeregisterWorkerResponse";
/// Type URL of [`MsgUnjailWorker`].
pub const MSG_UNJAIL_WORKER: &str = "/bls.registry.v1.MsgUnjailWorker";
/// Type URL of [`MsgUnjailWorkerResponse`].
pub const MSG_UNJAIL_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgUnjailWorkerResponse";

/// Type URL of [`MsgBondWorker`].
pub const MSG_BOND_WORKER: &str = "/bls.registry.v1.MsgBondWorker";
/// Type URL of [`MsgBondWorkerResponse`].
pub const MSG_BOND_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgBondWorkerResponse";
/// Type URL of [`MsgUnbondWorker`].
pub const MSG_UNBOND_WORKER: &str = "/bls.registry.v1.MsgUnbondWorker";
/// Type URL of [`MsgUnbondWorkerResponse`].
pub const MSG_UNBOND_WORKER_RESPONSE: &str = "/bls.registry.v1.MsgUnbondWorkerResponse";

/// Every message type URL the registry handles.
pub const MSG_TYPE_URLS: &[&str] = &[
    MSG_REGISTER_WORKER,
    MSG_UPDATE_WORKER,
    MSG_DEREGISTER_WORKER,
    MSG_UNJAIL_WORKER,
    MSG_BOND_WORKER,
    MSG_UNBOND_WORKER,
];

/// A coin on the wire, identical to `cosmos.base.v1beta1.Coin` (denom, decimal amount).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct ProtoCoin {
    /// Denomination (`ubls`).
    #[prost(string, tag = "1")]
    pub denom: String,
    /// Decimal integer amount.
    #[prost(string, tag = "2")]
    pub amount: String,
}

impl ProtoCoin {
    /// An amount of `ubls`.
    pub fn ubls(amount: u128) -> Self {
        Self {
            denom: bls_core::DENOM.to_string(),
            amount: amount.to_string(),
        }
    }
}

/// What a worker can run.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct Capabilities {
    /// Largest linear memory the worker gives one job, in MiB.
    #[prost(uint64, tag = "1")]
    pub memory_mb: u64,
    /// Longest job timeout it accepts, in milliseconds.
    #[prost(uint64, tag = "2")]
    pub max_timeout_ms: u64,
    /// Whether it serves outbound HTTP for functions allowed to use it.
    #[prost(bool, tag = "3")]
    pub http_allowed: bool,
}

/// Registers the signer as a worker (or head worker), bonding `bond` from the signer.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRegisterWorker {
    /// Operator account (signer); also the worker id.
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Result-signing secp256k1 public key, 33 bytes compressed.
    #[prost(bytes = "vec", tag = "2")]
    pub result_pubkey: Vec<u8>,
    /// libp2p peer id.
    #[prost(string, tag = "3")]
    pub peer_id: String,
    /// libp2p multiaddrs (`/ip4/.../tcp/...`).
    #[prost(string, repeated, tag = "4")]
    pub multiaddrs: Vec<String>,
    /// Region label, e.g. `eu-west`.
    #[prost(string, tag = "5")]
    pub region: String,
    /// Network: ASN (`AS13335`) or /24 subnet (`203.0.113.0/24`).
    #[prost(string, tag = "6")]
    pub network: String,
    /// What the worker can run.
    #[prost(message, optional, tag = "7")]
    pub capabilities: Option<Capabilities>,
    /// `worker` or `head`.
    #[prost(string, tag = "8")]
    pub role: String,
    /// Bond in `ubls`, moved to the `registry_bonds` module account.
    #[prost(message, optional, tag = "9")]
    pub bond: Option<ProtoCoin>,
    /// X25519 public key (32 bytes) function secrets are sealed to (HPKE), or empty (the
    /// worker then cannot hold secrets).
    #[prost(bytes = "vec", tag = "10")]
    pub encryption_pubkey: Vec<u8>,
}

/// Response to [`MsgRegisterWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRegisterWorkerResponse {
    /// The new worker's id (its operator address).
    #[prost(string, tag = "1")]
    pub worker_id: String,
}

/// Updates a worker's descriptive fields. Empty fields keep their value; a non-empty
/// `multiaddrs` replaces the list; `add_bond` tops the bond up.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUpdateWorker {
    /// Operator (signer).
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Worker id.
    #[prost(string, tag = "2")]
    pub worker: String,
    /// New result-signing key (33 bytes) or empty.
    #[prost(bytes = "vec", tag = "3")]
    pub result_pubkey: Vec<u8>,
    /// New peer id or empty.
    #[prost(string, tag = "4")]
    pub peer_id: String,
    /// New multiaddrs or empty.
    #[prost(string, repeated, tag = "5")]
    pub multiaddrs: Vec<String>,
    /// New region or empty.
    #[prost(string, tag = "6")]
    pub region: String,
    /// New network or empty.
    #[prost(string, tag = "7")]
    pub network: String,
    /// New capabilities or absent.
    #[prost(message, optional, tag = "8")]
    pub capabilities: Option<Capabilities>,
    /// Extra bond (ubls) or absent.
    #[prost(message, optional, tag = "9")]
    pub add_bond: Option<ProtoCoin>,
    /// X25519 encryption key (32 bytes) for a worker registered without one, or empty. Once
    /// set it cannot change.
    #[prost(bytes = "vec", tag = "10")]
    pub encryption_pubkey: Vec<u8>,
}

/// Response to [`MsgUpdateWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUpdateWorkerResponse {}

/// Starts unbonding: the worker stops receiving work; its bond returns after `unbonding_blocks`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeregisterWorker {
    /// Operator (signer).
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Worker id.
    #[prost(string, tag = "2")]
    pub worker: String,
}

/// Response to [`MsgDeregisterWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeregisterWorkerResponse {
    /// Height at which the bond is returned.
    #[prost(uint64, tag = "1")]
    pub completion_height: u64,
}

/// Ends a jail once its period is over (the bond must still meet the minimum).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnjailWorker {
    /// Operator (signer).
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Worker id.
    #[prost(string, tag = "2")]
    pub worker: String,
}

/// Response to [`MsgUnjailWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnjailWorkerResponse {}

/// Adds `amount` to the bond of the signer's worker (same path as `MsgUpdateWorker.add_bond`).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgBondWorker {
    /// Operator (signer); also the worker id.
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Extra bond in `ubls`, moved to the `registry_bonds` module account.
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgBondWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgBondWorkerResponse {
    /// The worker's bond afterwards, decimal ubls.
    #[prost(string, tag = "1")]
    pub bond: String,
}

/// Starts unbonding part of the signer's worker's bond. The remaining bond must stay at or
/// above the role's minimum (to leave entirely, deregister). The amount returns after
/// `unbonding_blocks` and stays slashable until then.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnbondWorker {
    /// Operator (signer); also the worker id.
    #[prost(string, tag = "1")]
    pub operator: String,
    /// Amount to unbond, in `ubls`.
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgUnbondWorker`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnbondWorkerResponse {
    /// Height at whose end block the amount is returned.
    #[prost(uint64, tag = "1")]
    pub completion_height: u64,
}
