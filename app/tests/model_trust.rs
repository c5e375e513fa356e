//! Model-based test of "trust holds" (issue #12): seeded random sequences of honest and
//! byzantine workers (an on-chain and a fast-path liar, silent, withholding), honest heads
//! and a byzantine head, on-chain and fast-path invokers, watchers, a forger and churn,
//! played at the app level — `BlsApp` over an in-memory store, real signed txs, one FinalizeBlock + Commit per block, so gas
//! fees, the ante, begin block (deferred assignment, subnetwork repair) and every end block
//! are in. After every block:
//!
//! - total supply + burned = genesis supply (and every balance adds up to the supply);
//! - every escrow equals payouts + burns + refunds + the listing price fixed at invoke + the
//!   callee prices a composed job's calls paid, never more than its reserve (per settled or
//!   failed job; a composed function calls a listed one, honest workers log one or two calls,
//!   a liar claims the most a job may make; the escrow,
//!   deposit, bonds and challenge accounts hold exactly what their modules track);
//! - an honest worker or head is never slashed or jailed and always holds its whole bond; a
//!   liar that loses a quorum, or is reported with a member majority against it, is slashed;
//! - forged-majority evidence (attack 1) is refused and touches none of the signers it names;
//! - one request relayed through two heads (attack 2) gets identical answers, settles once,
//!   and its "evidence" is refused;
//! - a head's lying statement reported is slashed and the invoker refunded, an honest
//!   statement reported is refused; a challenged honest head answers and keeps its bond, a
//!   silent head is slashed at the deadline and the invoker refunded (attack 8);
//! - every job ends (final or refunded) within `(max_retries + 1) × (commit_window +
//!   reveal_window + 1)` blocks of its invoke;
//! - the owner of a listed function earns exactly the prices the events report, and its
//!   functions' figures say the same (on-chain jobs and fast-path receipts alike);
//! - every byzantine attempt the chain must refuse is refused, every honest duty accepted.
//!
//! By default two seeds (1 and 2) of 5 000 actions each run: 10 000 steps. Longer runs:
//! `BLS_MODEL_STEPS` sets the actions per seed, `BLS_MODEL_SEEDS` how many seeds run (1, 2,
//! …), `BLS_MODEL_SEED` one seed to replay, e.g. `BLS_MODEL_SEEDS=10 BLS_MODEL_STEPS=20000
//! cargo test -p bls-app --test model_trust`. A failure prints the seed, the step and the
//! action; `BLS_MODEL_SHRINK=1` then shrinks the failing list. `BLS_MODEL_OPEN_ATTACKS=1` adds
//! the attacks today's rules do not stop yet (`OPEN_ATTACK_WEIGHTS` in `model/actions.rs`,
//! empty today): the run is then expected to fail, showing the attack.
//!
//! Actions, invariants and actors live in `tests/model/` (actions.rs, invariants.rs,
//! world.rs, fastpath.rs, heads.rs): each is a table entry plus a function, so a new rule
//! brings its action and its invariant without touching the driver.

mod app_chain;
mod model;

use std::time::Instant;

use model::actions::generate;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

#[test]
fn model_trust_holds_over_random_runs() {
    let steps = usize::try_from(env_u64("BLS_MODEL_STEPS").unwrap_or(5_000)).expect("steps");
    let seeds: Vec<u64> = match env_u64("BLS_MODEL_SEED") {
        Some(s) => vec![s],
        None => (1..=env_u64("BLS_MODEL_SEEDS").unwrap_or(2)).collect(),
    };
    let open_attacks = std::env::var("BLS_MODEL_OPEN_ATTACKS").is_ok_and(|v| v == "1");
    for seed in seeds {
        let actions = generate(seed, steps, open_attacks);
        let started = Instant::now();
        match model::run(seed, &actions, open_attacks) {
            Ok(stats) => eprintln!(
                "model seed {seed}: {steps} steps in {:.1?}: {stats:?}",
                started.elapsed()
            ),
            Err(f) => {
                let at = f.step.map_or("setup or final block".to_string(), |s| {
                    format!("step {s} ({:?})", actions[s])
                });
                let mut report = format!(
                    "model seed {seed} failed at {at}, height {}:\n{}\nreplay: {}\
                     BLS_MODEL_SEED={seed} BLS_MODEL_STEPS={} cargo test -p bls-app --test \
                     model_trust",
                    f.height,
                    f.message,
                    if open_attacks {
                        "BLS_MODEL_OPEN_ATTACKS=1 "
                    } else {
                        ""
                    },
                    f.step.map_or(steps, |s| s + 1)
                );
                if std::env::var("BLS_MODEL_SHRINK").is_ok() {
                    let (small, f) = model::shrink(seed, open_attacks, actions, f);
                    report.push_str(&format!(
                        "\nshrunk to {} actions: {small:#?}\nfailing with: {}",
                        small.len(),
                        f.message
                    ));
                }
                panic!("{report}");
            }
        }
    }
}
