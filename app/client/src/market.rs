//! Marketplace client side: the listing messages and the browse queries
//! (`bls_orchestration::market`).

use bls_core::Address;
use bls_orchestration::market::msgs::{
    ListingMsg, MsgUnlistFunction, ProtoCoin, MSG_PUBLISH_LISTING, MSG_UNLIST_FUNCTION,
    MSG_UPDATE_LISTING,
};
use bls_orchestration::market::queries::{
    FunctionIdRequest, ListingView, ListingsRequest, ListingsResponse, StatsView,
};
use cosmos_sdk_proto::Any;
use prost::Message;

use crate::rpc::{RpcClient, RpcError};

/// ABCI query path of one listing.
pub const LISTING_QUERY: &str = "/bls.orchestration.v1.Query/Listing";
/// ABCI query path of a page of listings.
pub const LISTINGS_QUERY: &str = "/bls.orchestration.v1.Query/Listings";
/// ABCI query path of a function's figures.
pub const FUNCTION_STATS_QUERY: &str = "/bls.orchestration.v1.Query/FunctionStats";

/// What a listing says (the fields of publish and update).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingFields {
    /// Display name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// License.
    pub license: String,
    /// Source link.
    pub source_url: String,
    /// Price per invocation, ubls.
    pub price: u128,
    /// Terms of use.
    pub terms: String,
}

fn any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

fn listing_msg(type_url: &str, owner: &Address, function_id: u64, f: &ListingFields) -> Any {
    any(
        type_url,
        &ListingMsg {
            owner: owner.to_string(),
            function_id,
            name: f.name.clone(),
            description: f.description.clone(),
            tags: f.tags.clone(),
            license: f.license.clone(),
            source_url: f.source_url.clone(),
            price: Some(ProtoCoin::ubls(f.price)),
            terms: f.terms.clone(),
        },
    )
}

/// `MsgPublishListing` of `function_id` by its owner.
pub fn publish(owner: &Address, function_id: u64, f: &ListingFields) -> Any {
    listing_msg(MSG_PUBLISH_LISTING, owner, function_id, f)
}

/// `MsgUpdateListing`: replaces the listing of `function_id` with `f`.
pub fn update(owner: &Address, function_id: u64, f: &ListingFields) -> Any {
    listing_msg(MSG_UPDATE_LISTING, owner, function_id, f)
}

/// `MsgUnlistFunction`.
pub fn unlist(owner: &Address, function_id: u64) -> Any {
    any(
        MSG_UNLIST_FUNCTION,
        &MsgUnlistFunction {
            owner: owner.to_string(),
            function_id,
        },
    )
}

/// The listing of `function_id` with its version and figures (an error when not listed).
pub async fn listing(rpc: &RpcClient, function_id: u64) -> Result<ListingView, RpcError> {
    rpc.query_json(LISTING_QUERY, &FunctionIdRequest { function_id })
        .await
}

/// A page of listings.
pub async fn listings(
    rpc: &RpcClient,
    req: &ListingsRequest,
) -> Result<ListingsResponse, RpcError> {
    rpc.query_json(LISTINGS_QUERY, req).await
}

/// The figures of `function_id` (listed or not).
pub async fn stats(rpc: &RpcClient, function_id: u64) -> Result<StatsView, RpcError> {
    rpc.query_json(FUNCTION_STATS_QUERY, &FunctionIdRequest { function_id })
        .await
}

impl ListingFields {
    /// The fields of an existing listing (what an update starts from).
    pub fn of(l: &bls_orchestration::market::state::Listing) -> ListingFields {
        ListingFields {
            name: l.name.clone(),
            description: l.description.clone(),
            tags: l.tags.clone(),
            license: l.license.clone(),
            source_url: l.source_url.clone(),
            price: l.price,
            terms: l.terms.clone(),
        }
    }
}
