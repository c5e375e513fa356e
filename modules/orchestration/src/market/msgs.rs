//! Messages of the marketplace (`bls.orchestration.v1`).

use serde::{Deserialize, Serialize};

pub use bls_registry::msgs::ProtoCoin;

/// Type URL of [`MsgPublishListing`].
pub const MSG_PUBLISH_LISTING: &str = "/bls.orchestration.v1.MsgPublishListing";
/// Type URL of [`MsgPublishListingResponse`].
pub const MSG_PUBLISH_LISTING_RESPONSE: &str = "/bls.orchestration.v1.MsgPublishListingResponse";
/// Type URL of [`MsgUpdateListing`].
pub const MSG_UPDATE_LISTING: &str = "/bls.orchestration.v1.MsgUpdateListing";
/// Type URL of [`MsgUpdateListingResponse`].
pub const MSG_UPDATE_LISTING_RESPONSE: &str = "/bls.orchestration.v1.MsgUpdateListingResponse";
/// Type URL of [`MsgUnlistFunction`].
pub const MSG_UNLIST_FUNCTION: &str = "/bls.orchestration.v1.MsgUnlistFunction";
/// Type URL of [`MsgUnlistFunctionResponse`].
pub const MSG_UNLIST_FUNCTION_RESPONSE: &str = "/bls.orchestration.v1.MsgUnlistFunctionResponse";

/// A listing as `MsgPublishListing` and `MsgUpdateListing` carry it: the two messages have the
/// same fields (proto/), so one Rust type serves both and the type URL says which.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct ListingMsg {
    /// The function's owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Display name (one line).
    #[prost(string, tag = "3")]
    pub name: String,
    /// What it does.
    #[prost(string, tag = "4")]
    pub description: String,
    /// Tags (a-z, 0-9, '-').
    #[prost(string, repeated, tag = "5")]
    pub tags: Vec<String>,
    /// License (an SPDX expression).
    #[prost(string, tag = "6")]
    pub license: String,
    /// Where the source is (https://, http://, ipfs:// or git+https://).
    #[prost(string, tag = "7")]
    pub source_url: String,
    /// Price per invocation (ubls), paid to the owner on top of execution fees.
    #[prost(message, optional, tag = "8")]
    pub price: Option<ProtoCoin>,
    /// Terms of use.
    #[prost(string, tag = "9")]
    pub terms: String,
}

/// Lists a function in the marketplace (owner only; refused when it is listed already:
/// [`MsgUpdateListing`] replaces a listing).
pub type MsgPublishListing = ListingMsg;

/// Response to [`MsgPublishListing`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgPublishListingResponse {}

/// Replaces a function's listing (owner only); a new price applies to invocations after it.
pub type MsgUpdateListing = ListingMsg;

/// Response to [`MsgUpdateListing`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUpdateListingResponse {}

/// Removes a function's listing (owner only). Jobs invoked while it was listed keep the
/// price they escrowed; later invocations pay none.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnlistFunction {
    /// The function's owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
}

/// Response to [`MsgUnlistFunction`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUnlistFunctionResponse {}
