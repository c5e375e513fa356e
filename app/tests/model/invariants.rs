//! What must hold after every block, whatever the actors did. Each invariant is a function
//! of the world in [`INVARIANTS`]; to add one, write the function and list it.
//!
//! Checked elsewhere, as the block's events are read (world.rs): each settled job's escrow is
//! exactly what its workers were paid plus what was burned, sent to the community pool and
//! refunded, a failed job's escrow is refunded whole; no honest worker is ever slashed, and a
//! liar whose result lost a settled quorum is slashed in the same block; a liar reported with
//! a member majority against it is slashed by that evidence; every report or unanswered
//! challenge of a head names the byzantine head, slashes it (once per request) and refunds the
//! invoker's fee once; forged evidence slashes or jails none of the signers it names; every tx
//! got the answer the model expects (honest duties accepted, byzantine attempts refused).

use bls_core::DENOM;
use bls_orchestration::fastpath::state::{deposit_of, fastpath_account, stats};
use bls_orchestration::state::{escrow_account, must_get_job, open_escrow_total};
use bls_registry::state::{all_workers, bonds_account, unbonding_total, WorkerStatus};

use bls_orchestration::fastpath::head::state::{challenge_account, open_deposits};

use super::world::World;

/// An invariant: `Err` says what broke.
pub type Invariant = fn(&World) -> Result<(), String>;

/// Every invariant, in the order checked.
pub const INVARIANTS: &[(&str, Invariant)] = &[
    ("supply + burned = genesis supply", supply_conserved),
    ("escrow = Σ open jobs' escrow", escrow_accounted),
    ("deposits = Σ deposits = model", deposits_accounted),
    ("bonds account = Σ bonds", bonds_accounted),
    (
        "honest workers and heads never slashed, jailed or short of bond",
        honest_unpunished,
    ),
    ("every job ends within its deadline bound", jobs_end_in_time),
    (
        "challenges account = Σ open challenge deposits = model",
        challenges_accounted,
    ),
    (
        "a silent head is punished at its challenge's deadline",
        silent_heads_punished,
    ),
    (
        "the owner earns exactly the prices paid, as its function's figures say",
        royalties_accounted,
    ),
];

fn royalties_accounted(w: &World) -> Result<(), String> {
    if w.owner_balance0 == 0 {
        return Ok(()); // still setting up: the owner deploys and lists
    }
    let owner = w.chain.balance(w.owner.address());
    if owner != w.owner_balance0 + w.royalties {
        return Err(format!(
            "owner holds {owner}, set up with {} and paid {} in prices",
            w.owner_balance0, w.royalties
        ));
    }
    let view = w.chain.view();
    let revenue: u128 = w
        .functions
        .iter()
        .map(|f| bls_orchestration::market::state::stats(&view, f.id).map(|s| s.revenue))
        .sum::<Result<u128, _>>()
        .map_err(|e| e.to_string())?;
    if revenue != w.royalties {
        return Err(format!(
            "the functions' figures say {revenue} in prices, the events {}",
            w.royalties
        ));
    }
    Ok(())
}

/// Runs every invariant.
pub fn check(w: &World) -> Result<(), String> {
    for (name, f) in INVARIANTS {
        f(w).map_err(|e| format!("invariant \"{name}\" broken: {e}"))?;
    }
    Ok(())
}

fn supply_conserved(w: &World) -> Result<(), String> {
    let (supply, burned) = (w.chain.supply(), w.chain.burned());
    if supply + burned != w.genesis_supply {
        return Err(format!(
            "supply {supply} + burned {burned} != genesis {}",
            w.genesis_supply
        ));
    }
    let held: u128 = bls_bank::keeper::every_balance(&w.chain.view())
        .expect("balances")
        .iter()
        .filter(|(_, c)| c.denom == DENOM)
        .map(|(_, c)| c.amount)
        .sum();
    if held != supply {
        return Err(format!("balances sum to {held}, supply is {supply}"));
    }
    Ok(())
}

fn escrow_accounted(w: &World) -> Result<(), String> {
    let view = w.chain.view();
    let mut open = 0u128;
    for (id, o) in &w.open_jobs {
        let job = must_get_job(&view, *id).map_err(|e| e.to_string())?;
        if job.escrow != o.max_fee {
            return Err(format!(
                "open job {id} holds {} of its escrow {}",
                job.escrow, o.max_fee
            ));
        }
        open += job.escrow;
    }
    let held = w.chain.balance(&escrow_account());
    if held != open {
        return Err(format!("escrow account holds {held}, open jobs {open}"));
    }
    // Every 64 blocks, also against every job on chain (not only those the model saw open).
    if w.chain.height.is_multiple_of(64) {
        let all = open_escrow_total(&view).map_err(|e| e.to_string())?;
        if all != held {
            return Err(format!(
                "escrow account holds {held}, all jobs' escrow {all}"
            ));
        }
    }
    Ok(())
}

fn deposits_accounted(w: &World) -> Result<(), String> {
    let view = w.chain.view();
    let sum = bls_orchestration::fastpath::state::deposits_total(&view).expect("deposits");
    let held = w.chain.balance(&fastpath_account());
    let s = stats(&view).map_err(|e| e.to_string())?;
    if held != sum || s.deposits != sum {
        return Err(format!(
            "deposit account {held}, Σ deposits {sum}, stats {}",
            s.deposits
        ));
    }
    if s.fees_charged != s.burned + s.to_heads + s.to_workers + s.to_community + s.to_owners {
        return Err(format!("fast-path fees do not add up: {s:?}"));
    }
    for f in &w.fast {
        let chain = deposit_of(&view, f.key.address()).map_err(|e| e.to_string())?;
        if chain != f.deposit {
            return Err(format!(
                "{} holds {chain} on chain, the model says {}",
                f.key.address(),
                f.deposit
            ));
        }
    }
    Ok(())
}

fn bonds_accounted(w: &World) -> Result<(), String> {
    let view = w.chain.view();
    let bonded: u128 = all_workers(&view)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|x| x.bond + unbonding_total(x))
        .sum();
    let held = w.chain.balance(&bonds_account());
    if held != bonded {
        return Err(format!("bonds account {held}, Σ bonds {bonded}"));
    }
    Ok(())
}

fn honest_unpunished(w: &World) -> Result<(), String> {
    for (i, a) in w.actors.iter().enumerate() {
        if !a.honest() {
            continue;
        }
        if let Some(rec) = w.record(i) {
            let held = rec.bond + unbonding_total(&rec);
            // Unbonding completes entry by entry; until then bond + unbonding is all of it.
            if rec.slashed_total != 0
                || rec.status == WorkerStatus::Jailed
                || (held != a.bond && rec.status != WorkerStatus::Unbonding)
            {
                return Err(format!(
                    "honest {} has slashed_total {}, status {:?}, holds {held} of its bond {} \
                     ({})",
                    a.name, rec.slashed_total, rec.status, a.bond, rec.last_penalty
                ));
            }
        }
    }
    Ok(())
}

fn challenges_accounted(w: &World) -> Result<(), String> {
    let view = w.chain.view();
    let held = w.chain.balance(&challenge_account());
    let open = open_deposits(&view).map_err(|e| e.to_string())?;
    let model: u128 = w.challenges.values().map(|c| c.deposit).sum();
    if held != open || open != model {
        return Err(format!(
            "challenges account {held}, open challenges' deposits {open}, model {model}"
        ));
    }
    Ok(())
}

fn silent_heads_punished(w: &World) -> Result<(), String> {
    match w
        .challenges
        .iter()
        .find(|(_, c)| c.deadline <= w.chain.height)
    {
        Some((id, c)) => Err(format!(
            "challenge {} of {} is still open after its deadline {} (height {})",
            hex::encode(id),
            w.actors[c.head].name,
            c.deadline,
            w.chain.height
        )),
        None => Ok(()),
    }
}

fn jobs_end_in_time(w: &World) -> Result<(), String> {
    let p = &w.params;
    let rounds = p.max_retries + 1;
    // A commit window lasts `commit_window` blocks and at least the manifest's timeout plus
    // `commit_grace_ms` of block time (the model's functions have the default manifest), and
    // ends in the first block at or past that time.
    let block_ms = u64::try_from(w.chain.block_secs).unwrap_or(1).max(1) * 1000;
    let timeout_ms = bls_core::manifest::Manifest::default().limits.timeout_ms;
    let by_time = (timeout_ms + p.commit_grace_ms).div_ceil(block_ms) + 1;
    let commit = p.commit_window.max(by_time);
    // Each round waits one block for its assignment (begin block after the invoke or the
    // failed round).
    let bound = u64::from(rounds) * (commit + p.reveal_window + 1);
    let view = w.chain.view();
    for (id, o) in &w.open_jobs {
        if w.chain.height > o.height + bound {
            let job = must_get_job(&view, *id).map_err(|e| e.to_string())?;
            return Err(format!(
                "job {id} invoked at {} is still {:?} (round {}) at {}, bound {bound} blocks",
                o.height, job.status, job.round, w.chain.height
            ));
        }
    }
    Ok(())
}
