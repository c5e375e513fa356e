//! Finished jobs are deleted `job_retention_blocks` after they finish (settled or failed),
//! with their result and function index entry; queries for them then say "pruned", not
//! "unknown"; an open job is never deleted however old; ids are never reused; a genesis
//! import keeps imported finished jobs for the retention again; deletions are bounded per
//! block.

mod common;

use bls_core::AbciCode as _;
use bls_core::{Context, GasMeter, Module as _};
use bls_orchestration::error::OrchestrationError;
use bls_orchestration::handlers::job_prune::{self, MAX_JOB_PRUNES_PER_BLOCK};
use bls_orchestration::queries::{JobsResponse, ResultResponse};
use bls_orchestration::state::{must_get_job, JobStatus};
use bls_orchestration::OrchestrationModule;
use common::*;

const RETENTION: u64 = 10;

fn params(retention: u64) -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 0,
        "base_fee": "1000", "fuel_price": "1", "fuel_unit": 1000000,
        "job_retention_blocks": retention,
    })
}

fn settle(chain: &mut Chain, workers: &[SimWorker], job: u64) {
    let assigned: Vec<SimWorker> = chain
        .job(job)
        .assignments
        .iter()
        .map(|a| find(workers, a.worker.as_str()).clone())
        .collect();
    let out = outcome(b"hello", 1_000);
    for w in &assigned {
        chain.commit(w, job, &out).expect("commit");
    }
    for w in &assigned[..2] {
        chain.reveal(w, job, &out).expect("reveal");
    }
}

fn is_pruned(e: &bls_core::ModuleError, id: u64) -> bool {
    let want = OrchestrationError::JobPruned(id);
    e.code == want.code() && e.log.contains("pruned")
}

/// A chain with six registered workers, a funded invoker and one deployed function (3 of 2).
fn chain_with_function(p: serde_json::Value) -> (Chain, Vec<SimWorker>, bls_core::Address, u64) {
    let mut chain = Chain::new(p);
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let invoker = user(50);
    chain.fund(&invoker, 1_000_000);
    let f = chain
        .deploy(&user(51), gzip(&hello_wasm()), "{}", 3, 2)
        .expect("deploy");
    (chain, workers, invoker, f)
}

#[test]
fn a_finished_job_is_deleted_after_retention_and_queries_say_pruned() {
    let (mut chain, workers, invoker, f) = chain_with_function(params(RETENTION));
    let job = chain.invoke(&invoker, f, 50_000).expect("invoke").job_id;
    settle(&mut chain, &workers, job);
    // Settlement happens at the reveal deadline.
    let reveal_deadline = chain.job(job).reveal_deadline;
    chain.until(reveal_deadline + 1);
    let finished = chain.job(job);
    assert_eq!(finished.status, JobStatus::Finalized);
    assert!(!finished.settling);
    let settled_at = chain.block.height;

    // Kept for the whole retention: the job, its result, its listing.
    chain.until(settled_at + RETENTION - 1);
    let r: ResultResponse = chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .expect("result within retention");
    assert_eq!(r.result.job_id, job);
    let listed: JobsResponse = chain
        .query(
            "orchestration",
            "Jobs",
            serde_json::json!({"function_id": f}),
        )
        .expect("jobs");
    assert_eq!(listed.jobs.len(), 1);

    // Then gone, and said so.
    chain.until(settled_at + RETENTION + 1);
    let e = must_get_job(&chain.store, job).expect_err("pruned");
    assert!(
        matches!(e, OrchestrationError::JobPruned(id) if id == job),
        "{e}"
    );
    let e = chain
        .query::<serde_json::Value>("orchestration", "Job", serde_json::json!({"id": job}))
        .expect_err("job query");
    assert!(is_pruned(&e, job), "{e:?}");
    assert!(
        e.log.contains("not found"),
        "REST maps 'not found' to 404: {}",
        e.log
    );
    let e = chain
        .query::<serde_json::Value>(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .expect_err("result query");
    assert!(is_pruned(&e, job), "{e:?}");
    let listed: JobsResponse = chain
        .query(
            "orchestration",
            "Jobs",
            serde_json::json!({"function_id": f}),
        )
        .expect("jobs");
    assert!(listed.jobs.is_empty());
    // An id never issued is unknown, not pruned.
    let e = must_get_job(&chain.store, job + 1).expect_err("never issued");
    assert!(matches!(e, OrchestrationError::UnknownJob(_)), "{e}");
    // Ids are not reused: the next job gets a fresh one.
    let next = chain.invoke(&invoker, f, 50_000).expect("invoke").job_id;
    assert_eq!(next, job + 1);
    // A late message about the pruned job is refused, not applied.
    let out = outcome(b"hello", 1_000);
    assert!(chain.reveal(&workers[0], job, &out).is_err());
    chain.assert_escrow_invariant();
}

#[test]
fn an_open_job_is_never_deleted_however_old() {
    let mut p = params(3);
    p["commit_window"] = serde_json::json!(60);
    let (mut chain, _, invoker, f) = chain_with_function(p);
    let job = chain.invoke(&invoker, f, 50_000).expect("invoke").job_id;
    let h = chain.block.height;
    // Far past the retention, the job still waits for commits and holds its escrow.
    chain.until(h + 40);
    let j = chain.job(job);
    assert!(j.status.is_open());
    assert_eq!(j.escrow, 50_000);
    chain.assert_escrow_invariant();
}

/// `chain`'s orchestration state alone, imported into a fresh store at `chain`'s height.
fn import_orchestration(chain: &Chain) -> cosmwasm_std::testing::MockStorage {
    let exported = OrchestrationModule
        .export_genesis(&chain.store)
        .expect("export");
    let mut fresh = cosmwasm_std::testing::MockStorage::new();
    let gas = GasMeter::infinite();
    let mut ctx = Context::new(&mut fresh, &chain.block, &gas);
    OrchestrationModule
        .init_genesis(&mut ctx, &exported)
        .expect("import");
    fresh
}

/// Runs the job-prune end block over `store` at `height`.
fn prune_at(store: &mut cosmwasm_std::testing::MockStorage, chain: &Chain, height: u64) {
    let mut block = chain.block.clone();
    block.height = height;
    let gas = GasMeter::infinite();
    let mut ctx = Context::new(store, &block, &gas);
    job_prune::end_block(&mut ctx).expect("end block");
}

/// Finished jobs imported from a genesis are all due in the same block (retention counts from
/// the import): that block deletes `MAX_JOB_PRUNES_PER_BLOCK`, the next the rest.
#[test]
fn imported_finished_jobs_are_kept_for_the_retention_and_deleted_a_bounded_number_per_block() {
    let mut chain = Chain::new(params(RETENTION));
    // Exactly three workers and n = 3: a job nobody commits to fails at its commit deadline
    // with no fresh workers to reassign to.
    let ws: Vec<SimWorker> = (1..=3u8).map(|i| SimWorker::new(i, "eu", "AS1")).collect();
    for w in &ws {
        chain.register(w);
    }
    let invoker = user(70);
    let failed = MAX_JOB_PRUNES_PER_BLOCK + 20;
    chain.fund(&invoker, 20_000 * failed as u128);
    let f = chain
        .deploy(&user(71), hello_wasm(), "{}", 3, 2)
        .expect("deploy");
    let ids: Vec<u64> = (0..failed)
        .map(|_| {
            chain
                .invoke_in_this_block(&invoker, f, 20_000)
                .expect("invoke")
                .job_id
        })
        .collect();
    chain.next_block();
    let deadline = chain.job(ids[0]).commit_deadline;
    // Deadlines are processed a bounded number per block too: give them a few blocks.
    chain.until(deadline + 3);
    for id in &ids {
        assert_eq!(chain.job(*id).status, JobStatus::Failed);
    }
    assert_eq!(
        chain.balance(&invoker),
        20_000 * failed as u128,
        "all refunded"
    );

    let mut store = import_orchestration(&chain);
    let imported_at = chain.block.height;
    let present = |s: &cosmwasm_std::testing::MockStorage| {
        ids.iter()
            .filter(|id| must_get_job(s, **id).is_ok())
            .count()
    };
    prune_at(&mut store, &chain, imported_at + RETENTION - 1);
    assert_eq!(
        present(&store),
        failed,
        "kept for the retention from the import"
    );
    prune_at(&mut store, &chain, imported_at + RETENTION);
    assert_eq!(
        present(&store),
        20,
        "one block deletes at most {MAX_JOB_PRUNES_PER_BLOCK}"
    );
    prune_at(&mut store, &chain, imported_at + RETENTION + 1);
    assert_eq!(present(&store), 0, "the rest go the next block");
    assert!(matches!(
        must_get_job(&store, ids[0]),
        Err(OrchestrationError::JobPruned(_))
    ));
}
