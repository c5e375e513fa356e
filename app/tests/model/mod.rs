//! A model-based test of the trust rules at the app level (see `model_trust.rs`): a seeded
//! list of [`actions::Action`]s played against a [`world::World`], with every
//! [`invariants::INVARIANTS`] checked after every block.

#![allow(dead_code)] // `coin_events.rs` uses the world without the random runs

pub mod actions;
pub mod actors;
pub mod duties;
pub mod fastpath;
pub mod heads;
pub mod invariants;
pub mod ledger;
pub mod rng;
pub mod world;

use actions::Action;
use ledger::Stats;
use world::World;

/// Where and why a run failed.
#[derive(Debug)]
pub struct Failure {
    /// Index of the action during which it failed (`None`: setup or the final block).
    pub step: Option<usize>,
    /// Height of the last block.
    pub height: u64,
    /// What broke.
    pub message: String,
}

/// Plays `actions` from `seed`'s world (with the open attacks' actors when `open_attacks`);
/// ends with a block so every action is judged.
pub fn run(seed: u64, actions: &[Action], open_attacks: bool) -> Result<Stats, Failure> {
    let mut w = World::new(seed, open_attacks).map_err(|message| Failure {
        step: None,
        height: 0,
        message,
    })?;
    for (step, a) in actions.iter().enumerate() {
        w.apply(a).map_err(|message| Failure {
            step: Some(step),
            height: w.chain.height,
            message,
        })?;
    }
    w.end_block().map_err(|message| Failure {
        step: None,
        height: w.chain.height,
        message,
    })?;
    Ok(w.stats)
}

/// Greedy shrinking: drops chunks of actions (halving the chunk size down to one) as long as
/// the run still fails; returns the smallest failing list found and its failure.
pub fn shrink(
    seed: u64,
    open_attacks: bool,
    mut actions: Vec<Action>,
    mut failure: Failure,
) -> (Vec<Action>, Failure) {
    if let Some(step) = failure.step {
        actions.truncate(step + 1);
    }
    let mut chunk = actions.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < actions.len() {
            let mut candidate = actions.clone();
            candidate.drain(i..(i + chunk).min(candidate.len()));
            match run(seed, &candidate, open_attacks) {
                Err(f) => {
                    actions = candidate;
                    if let Some(step) = f.step {
                        actions.truncate(step + 1);
                    }
                    failure = f;
                }
                Ok(_) => i += chunk,
            }
        }
        if chunk == 1 {
            return (actions, failure);
        }
        chunk = chunk.div_ceil(2);
    }
}
