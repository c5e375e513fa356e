//! `MsgPublishListing`, `MsgUpdateListing`, `MsgUnlistFunction`: owner-only, on an active
//! function, every field checked by [`super::rules`]; a price changes at most once per
//! [`super::rules::price_change_cooldown`] blocks.

use bls_core::{Context, Event};

use super::events;
use super::msgs::*;
use super::rules::{check_fields, check_price, price_change_cooldown};
use super::state::{self, Listing};
use crate::error::OrchestrationError;
use crate::handlers::functions::owned_function;
use crate::handlers::parse_ubls;

/// The listing a publish or update describes, checked.
fn listing_of(ctx: &Context<'_>, m: &ListingMsg) -> Result<Listing, OrchestrationError> {
    let f = owned_function(ctx, &m.owner, m.function_id)?;
    check_fields(
        &m.name,
        &m.description,
        &m.tags,
        &m.license,
        &m.source_url,
        &m.terms,
    )?;
    let price = parse_ubls("price", m.price.as_ref())?;
    check_price(price)?;
    Ok(Listing {
        function_id: f.id,
        owner: f.owner,
        name: m.name.clone(),
        description: m.description.clone(),
        tags: m.tags.clone(),
        license: m.license.clone(),
        source_url: m.source_url.clone(),
        price,
        terms: m.terms.clone(),
        listed_height: ctx.block.height,
        updated_height: ctx.block.height,
        previous_price: price,
        price_changed_height: ctx.block.height,
    })
}

fn with_listing(e: Event, l: &Listing) -> Event {
    e.attr("function_id", l.function_id)
        .attr("owner", &l.owner)
        .attr("name", &l.name)
        .attr("price", l.price)
        .attr("tags", l.tags.join(","))
}

/// Lists a function (refused when it is listed already).
pub fn publish_listing(
    ctx: &mut Context<'_>,
    m: &MsgPublishListing,
) -> Result<MsgPublishListingResponse, OrchestrationError> {
    let l = listing_of(ctx, m)?;
    if state::listing(ctx.store, l.function_id)?.is_some() {
        return Err(OrchestrationError::AlreadyListed(l.function_id));
    }
    state::save_listing(ctx.store, None, &l)?;
    ctx.emit(with_listing(Event::new(events::LISTING_PUBLISHED), &l));
    Ok(MsgPublishListingResponse {})
}

/// Replaces a listing; its price applies to invocations from now on.
pub fn update_listing(
    ctx: &mut Context<'_>,
    m: &MsgUpdateListing,
) -> Result<MsgUpdateListingResponse, OrchestrationError> {
    let mut l = listing_of(ctx, m)?;
    let old = state::listing(ctx.store, l.function_id)?
        .ok_or(OrchestrationError::NotListed(l.function_id))?;
    l.listed_height = old.listed_height;
    if l.price == old.price {
        l.previous_price = old.previous_price;
        l.price_changed_height = old.price_changed_height;
    } else {
        let next = old
            .price_changed_height
            .saturating_add(price_change_cooldown(&crate::state::params(ctx.store)?));
        if ctx.block.height < next {
            return Err(OrchestrationError::PriceChangeTooSoon {
                function: l.function_id,
                next,
            });
        }
        l.previous_price = old.price;
    }
    state::save_listing(ctx.store, Some(&old), &l)?;
    ctx.emit(with_listing(Event::new(events::LISTING_UPDATED), &l));
    Ok(MsgUpdateListingResponse {})
}

/// Removes a listing.
pub fn unlist_function(
    ctx: &mut Context<'_>,
    m: &MsgUnlistFunction,
) -> Result<MsgUnlistFunctionResponse, OrchestrationError> {
    let f = owned_function(ctx, &m.owner, m.function_id)?;
    let old = state::listing(ctx.store, f.id)?.ok_or(OrchestrationError::NotListed(f.id))?;
    state::remove_listing(ctx.store, &old);
    ctx.emit(
        Event::new(events::FUNCTION_UNLISTED)
            .attr("function_id", f.id)
            .attr("owner", &f.owner),
    );
    Ok(MsgUnlistFunctionResponse {})
}
