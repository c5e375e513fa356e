//! Protobuf messages of `bls.slashing.v1` (hand-written prost structs).

/// Type URL of [`MsgUnjail`].
pub const MSG_UNJAIL: &str = "/bls.slashing.v1.MsgUnjail";
/// Type URL of [`MsgUnjailResponse`].
pub const MSG_UNJAIL_RESPONSE: &str = "/bls.slashing.v1.MsgUnjailResponse";

/// Every message type URL slashing handles.
pub const MSG_TYPE_URLS: &[&str] = &[MSG_UNJAIL];

/// Returns a jailed validator to the candidate set once its jail period is over (never after
/// a double sign).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUnjail {
    /// Operator (signer).
    #[prost(string, tag = "1")]
    pub operator: String,
    /// The validator (its operator address).
    #[prost(string, tag = "2")]
    pub validator: String,
}

/// Response to [`MsgUnjail`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUnjailResponse {}
