//! The one door through which head accountability punishes a head: slash and jail through the
//! registry's penalty keeper ([`bls_registry::penalty::punish`]), then pay the invoker back
//! through its restitution keeper ([`bls_registry::restitution::pay_from_bond`]), at most once
//! per (request, head). The keepers emit `bls.worker_slashed`, `bls.worker_jailed` and
//! `bls.worker_restitution` themselves.

use bls_core::{Address, Context};
use bls_registry::penalty::{punish, Infraction};

use super::error::HeadError;
use super::state::PUNISHED;
use crate::Params;

/// What a punishment took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Punishment {
    /// Slashed (burnt) from the head's bond and unbonding entries.
    pub slashed: u128,
    /// Paid back to the invoker from the head's bond.
    pub refunded: u128,
}

/// Punishes `head` for request `request` (hex): slashes `head_slash_fraction_bps` of its
/// bond (and of unbonding entries begun at or after `infraction_height`), jails it for
/// `head_jail_blocks` (unless it is unbonding), then pays `restitution` (invoker, amount) from
/// what is left of its bond. Fails with [`HeadError::AlreadyPunished`] when it was punished
/// for this request.
pub fn punish_head(
    ctx: &mut Context<'_>,
    p: &Params,
    head: &Address,
    request: &str,
    infraction_height: u64,
    reason: &str,
    restitution: Option<(&Address, u128)>,
) -> Result<Punishment, HeadError> {
    if PUNISHED.has(ctx.store, (request, head.as_str())) {
        return Err(HeadError::AlreadyPunished {
            request: request.to_string(),
            head: head.to_string(),
        });
    }
    PUNISHED.save(ctx.store, (request, head.as_str()), &())?;
    let penalty = punish(
        ctx,
        head,
        &Infraction {
            fraction_bps: p.head_slash_fraction_bps,
            height: infraction_height,
            jail_blocks: p.head_jail_blocks,
            reason,
        },
    )?;
    let refunded = match restitution {
        Some((to, amount)) if amount > 0 => {
            bls_registry::restitution::pay_from_bond(ctx, head, to, amount, reason)?
        }
        _ => 0,
    };
    Ok(Punishment {
        slashed: penalty.slashed,
        refunded,
    })
}
