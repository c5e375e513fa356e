//! Events of the beacon (block events of FinalizeBlock).

use bls_core::Event;

use crate::state::Randomness;

/// `bls.beacon`: the block's randomness and what went into it. Attributes: `height`,
/// `source` (`vote_extensions` | `block_hash` | `missing`), `randomness` (hex), `reveals`,
/// `withheld`, `mixed_power`, `total_power`, and `mismatched` (consensus addresses, hex,
/// comma-separated, whose reveal did not match their commitment: a validator that lost its
/// `beacon_secret` shows up here once).
pub const BEACON: &str = "bls.beacon";

/// The `bls.beacon` event of `r`.
pub fn beacon(r: &Randomness, mismatched: &[String]) -> Event {
    Event::new(BEACON)
        .attr("height", r.height)
        .attr("source", r.source.as_str())
        .attr("randomness", &r.value)
        .attr("reveals", r.reveals)
        .attr("withheld", r.withheld)
        .attr("mixed_power", r.mixed_power)
        .attr("total_power", r.total_power)
        .attr("mismatched", mismatched.join(","))
}
