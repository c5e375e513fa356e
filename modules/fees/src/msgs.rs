//! Protobuf messages of `bls.fees.v1` (hand-written prost structs).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

/// Type URL of [`MsgWithdrawRewards`].
pub const MSG_WITHDRAW_REWARDS: &str = "/bls.fees.v1.MsgWithdrawRewards";
/// Type URL of [`MsgWithdrawRewardsResponse`].
pub const MSG_WITHDRAW_REWARDS_RESPONSE: &str = "/bls.fees.v1.MsgWithdrawRewardsResponse";

/// Every message type URL fees handles.
pub const MSG_TYPE_URLS: &[&str] = &[MSG_WITHDRAW_REWARDS];

/// Pays out everything the signer accumulated (as delegator and as validator commission).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgWithdrawRewards {
    /// The account (signer).
    #[prost(string, tag = "1")]
    pub address: String,
}

/// Response to [`MsgWithdrawRewards`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgWithdrawRewardsResponse {
    /// What was paid.
    #[prost(message, optional, tag = "1")]
    pub amount: Option<ProtoCoin>,
}
