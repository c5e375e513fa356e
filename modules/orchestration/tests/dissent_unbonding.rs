//! Dissent slashing uses the job round's start height as the infraction height: a dissenter's
//! unbonding entry begun before the job was assigned is untouched, one begun after is cut by
//! exactly the slash fraction, like the bond.

mod common;

use bls_core::module::encode_any;
use bls_registry::msgs::{MsgUnbondWorker, ProtoCoin, MSG_UNBOND_WORKER};
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 2,
        "base_fee": "1000", "fuel_price": "1", "fuel_unit": 1000000,
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

fn unbond(chain: &mut Chain, w: &SimWorker, amount: u128) {
    let msg = MsgUnbondWorker {
        operator: w.addr.to_string(),
        amount: Some(ProtoCoin::ubls(amount)),
    };
    chain
        .tx(&w.addr, encode_any(&msg, MSG_UNBOND_WORKER))
        .expect("unbond");
}

#[test]
fn dissent_spares_entries_begun_before_the_job_and_cuts_later_ones() {
    let mut chain = Chain::new(params());
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let owner = user(200);
    let invoker = user(201);
    chain.fund(&invoker, 1_000_000);
    let function = chain
        .deploy(&owner, gzip(&hello_wasm()), "{}", 3, 2)
        .expect("deploy");

    // Every worker starts unbonding 1_000_003 before the job exists.
    const EARLY: u128 = 1_000_003;
    for w in &workers {
        unbond(&mut chain, w, EARLY);
    }
    let early_height = chain.block.height;
    chain.next_block();
    let job = chain
        .invoke(&invoker, function, 100_000)
        .expect("invoke")
        .job_id;
    let round_height = chain.job(job).round_height;
    assert!(round_height > early_height);
    let assigned: Vec<SimWorker> = chain
        .job(job)
        .assignments
        .iter()
        .map(|a| find(&workers, a.worker.as_str()).clone())
        .collect();
    let liar = &assigned[0];
    // After the assignment, the liar unbonds more before answering wrongly.
    chain.next_block();
    const LATE: u128 = 2_000_007;
    unbond(&mut chain, liar, LATE);
    let late_height = chain.block.height;

    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    chain.commit(liar, job, &bad).unwrap();
    chain.commit(&assigned[1], job, &good).unwrap();
    chain.commit(&assigned[2], job, &good).unwrap();
    chain.reveal(liar, job, &bad).unwrap();
    chain.reveal(&assigned[1], job, &good).unwrap();
    chain.reveal(&assigned[2], job, &good).unwrap();
    let burned0 = chain.burned();
    chain.next_block();

    let w = bls_registry::state::must_get_worker(&chain.store, &liar.addr).unwrap();
    let bond_before = BOND - EARLY - LATE;
    let late_cut = bls_core::amount::mul_bps(LATE, 500);
    assert_eq!(late_cut, 100_000); // floor(2_000_007 × 5%)
    assert_eq!(
        w.bond,
        bond_before - bls_core::amount::mul_bps(bond_before, 500)
    );
    let entries: Vec<(u64, u128)> = w
        .unbonding
        .iter()
        .map(|e| (e.start_height, e.amount))
        .collect();
    assert_eq!(
        entries,
        vec![(early_height, EARLY), (late_height, LATE - late_cut)]
    );
    let slashed = bls_core::amount::mul_bps(bond_before, 500) + late_cut;
    assert_eq!(w.slashed_total, slashed);
    assert_eq!(
        chain.burned() - burned0,
        slashed + 200,
        "slash + the fee's burn share"
    );
    // Honest workers' entries are untouched.
    for h in &assigned[1..] {
        let hw = bls_registry::state::must_get_worker(&chain.store, &h.addr).unwrap();
        assert_eq!(hw.unbonding[0].amount, EARLY);
        assert_eq!(hw.slashed_total, 0);
    }
    chain.assert_escrow_invariant();
}
