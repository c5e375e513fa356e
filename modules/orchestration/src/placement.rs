//! Deterministic, stake-weighted, diversity-first worker selection.
//!
//! [`select`] picks `count` workers one at a time. Each pick first restricts the pool to the
//! candidates that add the most diversity given what is already chosen — a new region beats
//! a new network beats a new operator (lexicographic tiers) — then draws one of them with
//! probability proportional to its bond, using a counter-mode sha256 stream seeded by the
//! caller (block hash + function or job id). Same inputs, same output, on every node.
//!
//! Used for a function's subnetwork (placement and repair) and for choosing a job's `n`
//! workers inside it (assignment).

use std::collections::BTreeSet;

use bls_core::Address;
use sha2::{Digest, Sha256};

/// A worker as placement sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Worker id.
    pub id: Address,
    /// Region label.
    pub region: String,
    /// ASN or subnet.
    pub network: String,
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

/// Picks up to `count` workers from `pool` (ids not in `already`), maximizing distinct
/// regions, then networks, then operators relative to `already` and earlier picks.
/// Returns fewer than `count` only when the pool runs out. `pool` order does not matter.
pub fn select(
    pool: &[Candidate],
    already: &[Candidate],
    count: usize,
    seed: &[u8; 32],
) -> Vec<Address> {
    let mut regions: BTreeSet<&str> = already.iter().map(|c| c.region.as_str()).collect();
    let mut networks: BTreeSet<&str> = already.iter().map(|c| c.network.as_str()).collect();
    let mut operators: BTreeSet<&Address> = already.iter().map(|c| &c.operator).collect();
    let taken: BTreeSet<&Address> = already.iter().map(|c| &c.id).collect();
    // Sort by id so the caller's order cannot change the result.
    let mut remaining: Vec<&Candidate> = pool.iter().filter(|c| !taken.contains(&c.id)).collect();
    remaining.sort_by(|a, b| a.id.cmp(&b.id));
    remaining.dedup_by(|a, b| a.id == b.id);
    let mut out = Vec::new();
    let mut counter: u64 = 0;
    while out.len() < count && !remaining.is_empty() {
        let tier = |c: &Candidate| {
            (
                regions.contains(c.region.as_str()),
                networks.contains(c.network.as_str()),
                operators.contains(&c.operator),
            )
        };
        let Some(best) = remaining.iter().map(|c| tier(c)).min() else {
            break;
        };
        let tiered: Vec<usize> = (0..remaining.len())
            .filter(|&i| remaining.get(i).is_some_and(|c| tier(c) == best))
            .collect();
        let total = tiered
            .iter()
            .filter_map(|&i| remaining.get(i))
            .fold(0u128, |acc, c| acc.saturating_add(c.weight.max(1)));
        let r = draw(seed, counter, total);
        counter = counter.saturating_add(1);
        let mut acc: u128 = 0;
        let mut chosen = tiered.last().copied().unwrap_or(0);
        for &i in &tiered {
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
        regions.insert(c.region.as_str());
        networks.insert(c.network.as_str());
        operators.insert(&c.operator);
        out.push(c.id.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(n: u8, region: &str, network: &str, weight: u128) -> Candidate {
        let id = Address::from_bytes(&[n; 20]);
        Candidate {
            id: id.clone(),
            region: region.into(),
            network: network.into(),
            operator: id,
            weight,
        }
    }

    fn pool() -> Vec<Candidate> {
        vec![
            cand(1, "eu", "AS1", 100),
            cand(2, "eu", "AS1", 100),
            cand(3, "eu", "AS2", 100),
            cand(4, "us", "AS3", 100),
            cand(5, "us", "AS3", 100),
            cand(6, "ap", "AS4", 100),
        ]
    }

    #[test]
    fn spans_regions_first() {
        for s in 0..20u8 {
            let picked = select(&pool(), &[], 3, &[s; 32]);
            let regions: BTreeSet<String> = picked
                .iter()
                .map(|a| pool().into_iter().find(|c| &c.id == a).unwrap().region)
                .collect();
            assert_eq!(regions.len(), 3, "seed {s}: {picked:?}");
        }
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
        let p = vec![cand(1, "eu", "AS1", 1), cand(2, "eu", "AS1", 1_000_000)];
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
