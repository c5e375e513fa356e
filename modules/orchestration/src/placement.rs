//! Who gets a seat: bond-weighted sampling without replacement under diversity caps.
//!
//! The rule, for a subnetwork (placement and repair) and for a job's `n` workers inside it
//! (assignment and reassignment) alike, with `size` = seats already taken + seats to fill:
//! - every seat is drawn with probability proportional to bond among the candidates the caps
//!   allow, from a counter-mode sha256 stream over a caller's seed;
//! - caps: at most one seat per operator, at most one per address group (the /24 or /48 of the
//!   worker's registered address, `bls_registry::address_group`; a worker without a routable
//!   address is in no group — the address cap does not apply to it, since lumping all such
//!   workers into one group would let one hidden-address sybil block every honest worker
//!   behind NAT or a DNS name), and per region label at most
//!   `max(ceil(size / 2), ceil(size × region's bond / total bond))` — half the seats, or the
//!   region's bond share of them if that is more (bond counted over the pool and the seats
//!   already taken);
//! - when no candidate satisfies every cap, the region cap is lifted first (labels are free
//!   text), then the address-group cap; the operator cap is never lifted. A cap is lifted
//!   only for the seat the pool cannot otherwise fill.
//!
//! Caps only ever exclude candidates; nothing prefers one. So a rare or unique label, or a
//! unique address, buys no more than its bond: unlike "a new region first", which handed
//! every seat after the first few to sybils with made-up regions. What a label can still do
//! is benefit from the region cap: the cap cuts the seats a region would have drawn above its
//! limit and those go to other regions by bond. Scaling the limit with the region's bond keeps
//! that to the tail of the draw: a region holding most of the bond is never held to half the
//! seats (a plain "half per region" would hand the other half to whoever claims another
//! region, at any bond). Determinism: candidates are taken in id order, the caller's order
//! does not matter, integer math only.

use std::collections::{BTreeMap, BTreeSet};

use bls_core::Address;
use bls_registry::address_group::AddressGroup;
use sha2::{Digest, Sha256};

/// A worker as placement sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Worker id.
    pub id: Address,
    /// Region label (free text: capped, never preferred).
    pub region: String,
    /// Address group of its registered multiaddrs.
    pub group: AddressGroup,
    /// Operator account.
    pub operator: Address,
    /// Draw weight (its bond; at least 1).
    pub weight: u128,
}

/// Derives a 32-byte seed from labelled parts (domain separation between uses).
pub fn seed(label: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    for p in parts {
        h.update(u64::try_from(p.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn draw(seed: &[u8; 32], counter: u64, total: u128) -> u128 {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(counter.to_be_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    if total == 0 {
        0
    } else {
        u128::from_be_bytes(b) % total
    }
}

/// Which caps hold for a draw, strictest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caps {
    /// Operator, address group and region caps.
    All,
    /// Operator and address group (region lifted).
    NoRegion,
    /// Operator only.
    OperatorOnly,
}

/// Seats taken so far, by what the caps count.
struct Taken<'a> {
    operators: BTreeSet<&'a Address>,
    groups: BTreeSet<AddressGroup>,
    regions: BTreeMap<&'a str, usize>,
    /// Seat limit per region.
    region_caps: BTreeMap<&'a str, usize>,
}

impl<'a> Taken<'a> {
    fn add(&mut self, c: &'a Candidate) {
        self.operators.insert(&c.operator);
        self.groups.insert(c.group);
        let n = self.regions.entry(c.region.as_str()).or_insert(0);
        *n = n.saturating_add(1);
    }

    fn allows(&self, c: &Candidate, caps: Caps) -> bool {
        if self.operators.contains(&c.operator) {
            return false;
        }
        if caps == Caps::OperatorOnly {
            return true;
        }
        // Unknown is not a group: workers without a routable address are capped only by
        // operator and region, so one hidden-address sybil cannot take the seat of every
        // honest worker behind NAT or a DNS name.
        if c.group != AddressGroup::Unknown && self.groups.contains(&c.group) {
            return false;
        }
        caps == Caps::NoRegion
            || self.regions.get(c.region.as_str()).copied().unwrap_or(0)
                < self
                    .region_caps
                    .get(c.region.as_str())
                    .copied()
                    .unwrap_or(0)
    }
}

/// Per region: `max(ceil(size / 2), ceil(size × region bond / total bond))` over `candidates`.
fn region_caps<'a>(candidates: &[&'a Candidate], size: usize) -> BTreeMap<&'a str, usize> {
    let mut bond: BTreeMap<&str, u128> = BTreeMap::new();
    let mut total: u128 = 0;
    for c in candidates {
        let w = c.weight.max(1);
        let b = bond.entry(c.region.as_str()).or_insert(0);
        *b = b.saturating_add(w);
        total = total.saturating_add(w);
    }
    let half = size.div_ceil(2);
    let seats = u128::try_from(size).unwrap_or(u128::MAX);
    bond.into_iter()
        .map(|(region, b)| {
            let share = seats.saturating_mul(b).div_ceil(total.max(1));
            let share = usize::try_from(share).unwrap_or(usize::MAX);
            (region, half.max(share))
        })
        .collect()
}

/// Picks up to `count` workers from `pool` (ids not in `already`) under the rule above, the
/// caps counting `already` as taken seats. Returns fewer than `count` only when the pool runs
/// out. `pool` order does not matter.
pub fn select(
    pool: &[Candidate],
    already: &[Candidate],
    count: usize,
    seed: &[u8; 32],
) -> Vec<Address> {
    let size = already.len().saturating_add(count);
    let ids: BTreeSet<&Address> = already.iter().map(|c| &c.id).collect();
    // Sort by id so the caller's order cannot change the result.
    let mut remaining: Vec<&Candidate> = pool.iter().filter(|c| !ids.contains(&c.id)).collect();
    remaining.sort_by(|a, b| a.id.cmp(&b.id));
    remaining.dedup_by(|a, b| a.id == b.id);
    let everyone: Vec<&Candidate> = already.iter().chain(remaining.iter().copied()).collect();
    let mut taken = Taken {
        operators: BTreeSet::new(),
        groups: BTreeSet::new(),
        regions: BTreeMap::new(),
        region_caps: region_caps(&everyone, size),
    };
    for c in already {
        taken.add(c);
    }
    let mut out = Vec::new();
    let mut counter: u64 = 0;
    while out.len() < count {
        let allowed: Vec<usize> = [Caps::All, Caps::NoRegion, Caps::OperatorOnly]
            .into_iter()
            .map(|caps| {
                (0..remaining.len())
                    .filter(|&i| remaining.get(i).is_some_and(|c| taken.allows(c, caps)))
                    .collect::<Vec<usize>>()
            })
            .find(|a| !a.is_empty())
            .unwrap_or_default();
        if allowed.is_empty() {
            break;
        }
        let total = allowed
            .iter()
            .filter_map(|&i| remaining.get(i))
            .fold(0u128, |acc, c| acc.saturating_add(c.weight.max(1)));
        let r = draw(seed, counter, total);
        counter = counter.saturating_add(1);
        let mut acc: u128 = 0;
        let mut chosen = allowed.last().copied().unwrap_or(0);
        for &i in &allowed {
            if let Some(c) = remaining.get(i) {
                acc = acc.saturating_add(c.weight.max(1));
                if r < acc {
                    chosen = i;
                    break;
                }
            }
        }
        if chosen >= remaining.len() {
            break;
        }
        let c = remaining.remove(chosen);
        taken.add(c);
        out.push(c.id.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(n: u8, region: &str, group: u8, weight: u128) -> Candidate {
        let id = Address::from_bytes(&[n; 20]);
        Candidate {
            id: id.clone(),
            region: region.into(),
            group: AddressGroup::V4([45, group, 0]),
            operator: id,
            weight,
        }
    }

    fn pool() -> Vec<Candidate> {
        vec![
            cand(1, "eu", 1, 100),
            cand(2, "eu", 2, 100),
            cand(3, "eu", 3, 100),
            cand(4, "us", 4, 100),
            cand(5, "us", 5, 100),
            cand(6, "ap", 6, 100),
        ]
    }

    fn region_of(p: &[Candidate], a: &Address) -> String {
        p.iter().find(|c| &c.id == a).unwrap().region.clone()
    }

    #[test]
    fn region_cap_holds_while_the_pool_allows_it() {
        let p = pool();
        for s in 0..50u8 {
            let picked = select(&p, &[], 4, &[s; 32]);
            let eu = picked.iter().filter(|a| region_of(&p, a) == "eu").count();
            assert!(eu <= 2, "seed {s}: {picked:?}");
        }
    }

    #[test]
    fn caps_lift_in_order_only_when_the_pool_cannot_fill() {
        // Three workers, one region, one address group: every cap but the operator's must go.
        let p = vec![
            cand(1, "eu", 1, 1),
            cand(2, "eu", 1, 1),
            cand(3, "eu", 1, 1),
        ];
        assert_eq!(select(&p, &[], 3, &[0; 32]).len(), 3);
        // Region lifted before the group: two groups in one region fill two seats of two,
        // never two seats of one group while another group is available.
        let p = vec![
            cand(1, "eu", 1, 1_000_000),
            cand(2, "eu", 1, 1_000_000),
            cand(3, "eu", 2, 1),
        ];
        for s in 0..30u8 {
            let picked = select(&p, &[], 2, &[s; 32]);
            assert!(picked.contains(&p[2].id), "seed {s}: {picked:?}");
        }
    }

    #[test]
    fn a_region_holding_most_of_the_bond_is_not_held_to_half_the_seats() {
        // 90% of the bond in eu: eu may take ceil(5 × 0.9) = 5 seats, so nobody else gets a
        // seat its bond would not give it.
        let mut p: Vec<Candidate> = (1..=5u8).map(|i| cand(i, "eu", i, 900)).collect();
        p.extend((6..=10u8).map(|i| cand(i, &format!("r{i}"), i, 100)));
        let caps = region_caps(&p.iter().collect::<Vec<_>>(), 5);
        assert_eq!(caps.get("eu"), Some(&5));
        assert_eq!(caps.get("r6"), Some(&3));
    }

    #[test]
    fn deterministic_order_independent_and_seed_sensitive() {
        let a = select(&pool(), &[], 4, &[7; 32]);
        let mut reversed = pool();
        reversed.reverse();
        assert_eq!(a, select(&reversed, &[], 4, &[7; 32]));
        let differs = (0..32u8).any(|s| select(&pool(), &[], 4, &[s; 32]) != a);
        assert!(differs);
    }

    #[test]
    fn stake_weighting_prefers_heavy() {
        let p = vec![cand(1, "eu", 1, 1), cand(2, "eu", 2, 1_000_000)];
        let heavy = (0..50u8)
            .filter(|s| select(&p, &[], 1, &[*s; 32]) == vec![p[1].id.clone()])
            .count();
        assert!(heavy >= 45, "heavy picked {heavy}/50");
    }

    #[test]
    fn respects_already_and_pool_exhaustion() {
        let p = pool();
        let already = vec![p[0].clone()];
        let picked = select(&p, &already, 10, &[1; 32]);
        assert_eq!(picked.len(), 5);
        assert!(!picked.contains(&p[0].id));
    }
}
