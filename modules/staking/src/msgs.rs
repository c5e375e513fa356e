//! Protobuf messages of `bls.staking.v1` (hand-written prost structs).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

/// Type URL of [`MsgCreateValidator`].
pub const MSG_CREATE_VALIDATOR: &str = "/bls.staking.v1.MsgCreateValidator";
/// Type URL of [`MsgCreateValidatorResponse`].
pub const MSG_CREATE_VALIDATOR_RESPONSE: &str = "/bls.staking.v1.MsgCreateValidatorResponse";
/// Type URL of [`MsgEditValidator`].
pub const MSG_EDIT_VALIDATOR: &str = "/bls.staking.v1.MsgEditValidator";
/// Type URL of [`MsgEditValidatorResponse`].
pub const MSG_EDIT_VALIDATOR_RESPONSE: &str = "/bls.staking.v1.MsgEditValidatorResponse";
/// Type URL of [`MsgDelegate`].
pub const MSG_DELEGATE: &str = "/bls.staking.v1.MsgDelegate";
/// Type URL of [`MsgDelegateResponse`].
pub const MSG_DELEGATE_RESPONSE: &str = "/bls.staking.v1.MsgDelegateResponse";
/// Type URL of [`MsgUndelegate`].
pub const MSG_UNDELEGATE: &str = "/bls.staking.v1.MsgUndelegate";
/// Type URL of [`MsgUndelegateResponse`].
pub const MSG_UNDELEGATE_RESPONSE: &str = "/bls.staking.v1.MsgUndelegateResponse";

/// Every message type URL staking handles.
pub const MSG_TYPE_URLS: &[&str] = &[
    MSG_CREATE_VALIDATOR,
    MSG_EDIT_VALIDATOR,
    MSG_DELEGATE,
    MSG_UNDELEGATE,
];

/// Creates a validator operated by the signer, self-bonding `self_bond` from it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgCreateValidator {
    /// Operator account (signer); also the validator's id.
    #[prost(string, tag = "1")]
    pub operator: String,
    /// ed25519 consensus public key (32 bytes, CometBFT's `priv_validator_key.json`).
    #[prost(bytes = "vec", tag = "2")]
    pub consensus_pubkey: Vec<u8>,
    /// Display name.
    #[prost(string, tag = "3")]
    pub moniker: String,
    /// Commission on delegators' rewards, basis points.
    #[prost(uint32, tag = "4")]
    pub commission_bps: u32,
    /// Self-bond in `ubls`.
    #[prost(message, optional, tag = "5")]
    pub self_bond: Option<ProtoCoin>,
}

/// Response to [`MsgCreateValidator`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgCreateValidatorResponse {
    /// Hex consensus address (sha256(pubkey)[..20]), as CometBFT shows it.
    #[prost(string, tag = "1")]
    pub consensus_address: String,
}

/// Changes a validator's moniker and/or commission.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgEditValidator {
    /// Operator (signer).
    #[prost(string, tag = "1")]
    pub operator: String,
    /// The validator (its operator address).
    #[prost(string, tag = "2")]
    pub validator: String,
    /// New moniker, or empty to keep it.
    #[prost(string, tag = "3")]
    pub moniker: String,
    /// New commission in basis points, or absent to keep it.
    #[prost(uint32, optional, tag = "4")]
    pub commission_bps: Option<u32>,
}

/// Response to [`MsgEditValidator`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgEditValidatorResponse {}

/// Delegates `amount` from the signer to a validator.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgDelegate {
    /// Delegator (signer).
    #[prost(string, tag = "1")]
    pub delegator: String,
    /// Validator (its operator address).
    #[prost(string, tag = "2")]
    pub validator: String,
    /// Amount in `ubls`.
    #[prost(message, optional, tag = "3")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgDelegate`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgDelegateResponse {}

/// Starts unbonding `amount` of the signer's delegation; the coins return after
/// `unbonding_blocks`, and no earlier than CometBFT's evidence `max_age_duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUndelegate {
    /// Delegator (signer).
    #[prost(string, tag = "1")]
    pub delegator: String,
    /// Validator (its operator address).
    #[prost(string, tag = "2")]
    pub validator: String,
    /// Amount in `ubls`.
    #[prost(message, optional, tag = "3")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgUndelegate`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUndelegateResponse {
    /// Height at whose end block the coins are returned.
    #[prost(uint64, tag = "1")]
    pub completion_height: u64,
    /// Unbonding entry id.
    #[prost(uint64, tag = "2")]
    pub unbonding_id: u64,
    /// Earliest block time (Unix seconds) of that end block: the coins stay slashable until
    /// CometBFT's evidence window has passed in time as well as in blocks.
    #[prost(int64, tag = "3")]
    pub completion_time: i64,
}

/// A `ubls` proto coin (for building messages).
pub fn ubls(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: bls_core::DENOM.to_string(),
        amount: amount.to_string(),
    }
}
