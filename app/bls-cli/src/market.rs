//! `bls market`: list a function you own with a price per invocation, change or remove the
//! listing, browse listings and show one with its figures. Every rule (who may list, field
//! and price bounds) is the chain's (`bls_orchestration::market`); this only builds the
//! messages and prints the answers.

use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::ClientContext;
use bls_client::market::{self, ListingFields};
use bls_core::{Address, DENOM};
use bls_orchestration::market::queries::{ListingView, ListingsRequest};
use serde::Serialize;

use crate::account::parse_amount;
use crate::cli::{ListingArgs, MarketSub, SignArgs};
use crate::errors::explain;
use crate::signer::{require_confirmable, require_funds, signer, tx_flags};

/// What a listing change prints.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// `published`, `updated` or `unlisted`.
    pub action: &'static str,
    /// Function id (a string, like uint64 in Cosmos JSON).
    pub function_id: String,
    /// Tx hash.
    pub txhash: String,
    /// Inclusion height.
    pub height: u64,
}

/// Runs a `bls market` subcommand.
pub async fn run(ctx: &ClientContext, from: Option<&str>, cmd: MarketSub) -> anyhow::Result<()> {
    match cmd {
        MarketSub::Publish { id, listing, sign } => {
            let fields = ListingFields {
                name: listing
                    .name
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("--name is required to publish"))?,
                price: parse_amount(
                    listing
                        .price
                        .as_deref()
                        .ok_or_else(|| anyhow::anyhow!("--price is required to publish"))?,
                )?,
                ..apply(ListingFields::default(), &listing)?
            };
            change(ctx, from, &sign, "published", id, |owner| {
                market::publish(owner, id, &fields)
            })
            .await
        }
        MarketSub::Update { id, listing, sign } => {
            let current = market::listing(&ctx.rpc()?, id)
                .await
                .map_err(|e| explain(e.into(), &ctx.node, None))?;
            let fields = apply(ListingFields::of(&current.listing), &listing)?;
            change(ctx, from, &sign, "updated", id, |owner| {
                market::update(owner, id, &fields)
            })
            .await
        }
        MarketSub::Unlist { id, sign } => {
            change(ctx, from, &sign, "unlisted", id, |owner| {
                market::unlist(owner, id)
            })
            .await
        }
        MarketSub::List {
            tag,
            owner,
            min_price,
            max_price,
            sort,
            after,
            limit,
        } => {
            let price = |p: Option<String>| -> anyhow::Result<Option<String>> {
                p.map(|p| parse_amount(&p).map(|a| a.to_string()))
                    .transpose()
            };
            let by_popularity = sort == "popularity";
            let req = ListingsRequest {
                tag,
                owner,
                min_price: price(min_price)?,
                max_price: price(max_price)?,
                order_by: Some(sort),
                start_after: if by_popularity { None } else { after },
                offset: if by_popularity { after } else { None },
                limit: Some(limit),
            };
            let page = market::listings(&ctx.rpc()?, &req)
                .await
                .map_err(|e| explain(e.into(), &ctx.node, None))?;
            ctx.emit(&page, |p| {
                let mut out = String::new();
                if p.listings.is_empty() {
                    out.push_str("no listing matches");
                }
                for v in &p.listings {
                    out.push_str(&format!(
                        "#{:<5} {:<24} {:>12}{DENOM}  v{}  {} invocations  [{}]\n",
                        v.listing.function_id,
                        v.listing.name,
                        v.listing.price,
                        v.version,
                        v.stats.invocations,
                        v.listing.tags.join(", ")
                    ));
                }
                if let Some(n) = p.next {
                    out.push_str(&format!("(more: --after {n})"));
                }
                out.trim_end().to_string()
            })
        }
        MarketSub::Show { id } => {
            let v = market::listing(&ctx.rpc()?, id)
                .await
                .map_err(|e| explain(e.into(), &ctx.node, None))?;
            ctx.emit(&v, show_text)
        }
    }
}

/// `base` with what the flags give replaced (tags all at once when any is given).
fn apply(mut base: ListingFields, a: &ListingArgs) -> anyhow::Result<ListingFields> {
    if let Some(n) = &a.name {
        base.name = n.clone();
    }
    if let Some(d) = &a.description {
        base.description = d.clone();
    }
    if !a.tags.is_empty() {
        base.tags = a.tags.clone();
    }
    if let Some(l) = &a.license {
        base.license = l.clone();
    }
    if let Some(s) = &a.source {
        base.source_url = s.clone();
    }
    if let Some(p) = &a.price {
        base.price = parse_amount(p)?;
    }
    if let Some(t) = &a.terms {
        base.terms = t.clone();
    }
    Ok(base)
}

async fn change(
    ctx: &ClientContext,
    from: Option<&str>,
    sign: &SignArgs,
    action: &'static str,
    function_id: u64,
    msg: impl FnOnce(&Address) -> cosmos_sdk_proto::Any,
) -> anyhow::Result<()> {
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    let addr = key.address().to_string();
    let out = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        let r = broadcast_and_wait(ctx, &flags, &key, vec![msg(key.address())]).await?;
        anyhow::Ok(Changed {
            action,
            function_id: function_id.to_string(),
            txhash: r.hash,
            height: r.height,
        })
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    ctx.emit(&out, |c| {
        format!(
            "function {} {}\ntxhash: {}\nheight: {}",
            c.function_id, c.action, c.txhash, c.height
        )
    })
}

fn show_text(v: &ListingView) -> String {
    let l = &v.listing;
    let s = &v.stats;
    format!(
        "function: {}\nname: {}\nowner: {}\nprice: {}{DENOM} per invocation\nversion: {}\n\
         tags: {}\nlicense: {}\nsource: {}\ndescription: {}\nterms: {}\n\
         invocations: {}\nresults: {}\nfailures: {}\nrevenue: {}{DENOM}\nmedian latency: {}",
        l.function_id,
        l.name,
        l.owner,
        l.price,
        v.version,
        l.tags.join(", "),
        l.license,
        l.source_url,
        l.description,
        l.terms,
        s.invocations,
        s.results,
        s.failures,
        s.revenue,
        s.median_latency_blocks
            .map_or("-".to_string(), |b| format!("{b} blocks")),
    )
}
