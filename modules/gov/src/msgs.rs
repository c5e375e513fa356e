//! Gov messages: the Cosmos SDK's `cosmos.gov.v1beta1` messages, so Keplr's governance page
//! and any Cosmos client vote and deposit unchanged.

pub use cosmos_sdk_proto::cosmos::gov::v1beta1::{
    MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse, MsgVote,
    MsgVoteResponse,
};

/// `MsgSubmitProposal`'s type URL.
pub const MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1beta1.MsgSubmitProposal";
/// Its response's type URL.
pub const MSG_SUBMIT_PROPOSAL_RESPONSE: &str = "/cosmos.gov.v1beta1.MsgSubmitProposalResponse";
/// `MsgDeposit`'s type URL.
pub const MSG_DEPOSIT: &str = "/cosmos.gov.v1beta1.MsgDeposit";
/// Its response's type URL.
pub const MSG_DEPOSIT_RESPONSE: &str = "/cosmos.gov.v1beta1.MsgDepositResponse";
/// `MsgVote`'s type URL.
pub const MSG_VOTE: &str = "/cosmos.gov.v1beta1.MsgVote";
/// Its response's type URL.
pub const MSG_VOTE_RESPONSE: &str = "/cosmos.gov.v1beta1.MsgVoteResponse";

/// Every message gov handles.
pub const MSG_TYPE_URLS: &[&str] = &[MSG_SUBMIT_PROPOSAL, MSG_DEPOSIT, MSG_VOTE];
