//! What the model learns from each block's events: jobs opening and closing (with the escrow
//! equation checked per job), slashes (never of an honest worker; always of a liar that lost a
//! settled quorum), counters for the report.

use std::collections::{BTreeMap, BTreeSet};

use bls_core::Address;
use tendermint_proto::v0_38::abci::ResponseFinalizeBlock;

use bls_orchestration::fastpath::head::events::{
    HEAD_CHALLENGED, HEAD_CHALLENGE_ANSWERED, HEAD_CHALLENGE_UNANSWERED, HEAD_REPORTED,
};

use super::actors::Behaviour;
use super::world::World;

/// An on-chain job not yet settled or failed.
pub struct OpenJob {
    /// Escrowed.
    pub max_fee: u128,
    /// The listing price fixed at invoke (part of the escrow).
    pub royalty: u128,
    /// Escrowed for the prices of its calls (part of the escrow).
    pub call_reserve: u128,
    /// Invocation height.
    pub height: u64,
}

/// Counters reported at the end of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Blocks.
    pub blocks: u64,
    /// Txs.
    pub txs: u64,
    /// Jobs settled with a result.
    pub jobs_settled: u64,
    /// Jobs failed (refunded).
    pub jobs_failed: u64,
    /// Fast-path receipts settled.
    pub receipts_settled: u64,
    /// Jobs whose settlement paid callee prices (composition).
    pub calls_paid: u64,
    /// Listing prices paid to the owner (on chain and fast path).
    pub royalties_paid: u64,
    /// Byzantine txs refused as the model expected.
    pub refused: u64,
    /// Slashes (all of byzantine workers and the byzantine head).
    pub slashes: u64,
    /// Challenges opened.
    pub challenges: u64,
    /// Challenges an honest head answered.
    pub challenges_answered: u64,
    /// Challenges the byzantine head left unanswered (it was punished at the deadline).
    pub challenges_unanswered: u64,
    /// Lying statements reported (the byzantine head punished).
    pub heads_reported: u64,
    /// Coin events (`coin_spent`, `coin_received`, `burn`) checked against balance changes.
    pub coin_events: u64,
    /// Per message type (of a tx's first message): (accepted, refused).
    pub by_msg: BTreeMap<String, (u64, u64)>,
}

impl World {
    pub(super) fn process_events(&mut self, r: &ResponseFinalizeBlock) {
        let events = r
            .tx_results
            .iter()
            .filter(|t| t.code == 0)
            .flat_map(|t| t.events.iter())
            .chain(r.events.iter());
        let mut slashed: BTreeSet<String> = BTreeSet::new();
        let mut settled = Vec::new();
        let attrs = |e: &tendermint_proto::v0_38::abci::Event| -> BTreeMap<String, String> {
            e.attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect()
        };
        let num = |m: &BTreeMap<String, String>, k: &str| -> u128 {
            m.get(k).and_then(|v| v.parse().ok()).unwrap_or(u128::MAX)
        };
        let mut head_events = Vec::new();
        for e in events {
            let a = attrs(e);
            match e.r#type.as_str() {
                // Escrowed at the invoke, assigned in the next begin block.
                bls_orchestration::events::JOB_QUEUED
                    if a.get("round").map(String::as_str) == Some("0") =>
                {
                    let id: u64 = a["job_id"].parse().expect("job id");
                    let job = bls_orchestration::state::must_get_job(&self.chain.view(), id)
                        .expect("assigned job");
                    self.open_jobs.insert(
                        id,
                        OpenJob {
                            max_fee: job.max_fee,
                            royalty: job.royalty,
                            call_reserve: job.call_reserve,
                            height: job.height,
                        },
                    );
                }
                bls_orchestration::events::JOB_SETTLED => {
                    let id: u64 = a["job_id"].parse().expect("job id");
                    let Some(open) = self.open_jobs.remove(&id) else {
                        self.violations
                            .push(format!("job {id} settled but was not open"));
                        continue;
                    };
                    let k = a["workers"].split(',').filter(|s| !s.is_empty()).count() as u128;
                    let (fee, per, burn, community, refund, royalty, calls_paid) = (
                        num(&a, "fee"),
                        num(&a, "per_worker"),
                        num(&a, "burn"),
                        num(&a, "community"),
                        num(&a, "refund"),
                        num(&a, "royalty"),
                        num(&a, "calls_paid"),
                    );
                    if per * k + burn + community != fee
                        || fee + refund + royalty + calls_paid != open.max_fee
                        || royalty != open.royalty
                        || calls_paid > open.call_reserve
                    {
                        self.violations.push(format!(
                            "job {id}: escrow {} != paid {per}×{k} + burned {burn} + community \
                             {community} + refunded {refund} + price {royalty} (fixed at \
                             invoke: {}) + calls {calls_paid} (reserve {})",
                            open.max_fee, open.royalty, open.call_reserve
                        ));
                    }
                    if calls_paid > 0 {
                        self.stats.calls_paid += 1;
                    }
                    self.stats.jobs_settled += 1;
                    settled.push(id);
                }
                bls_orchestration::events::JOB_FAILED => {
                    let id: u64 = a["job_id"].parse().expect("job id");
                    match self.open_jobs.remove(&id) {
                        Some(open) if num(&a, "refund") == open.max_fee => {}
                        Some(open) => self.violations.push(format!(
                            "failed job {id} refunded {} of its escrow {}",
                            a["refund"], open.max_fee
                        )),
                        None => self
                            .violations
                            .push(format!("job {id} failed but was not open")),
                    }
                    self.stats.jobs_failed += 1;
                }
                bls_orchestration::market::events::ROYALTY_PAID => {
                    if a.get("owner").map(String::as_str) != Some(self.owner.address().as_str()) {
                        self.violations.push(format!(
                            "a price paid to someone else than the owner: {a:?}"
                        ));
                    }
                    self.royalties += num(&a, "amount");
                    self.stats.royalties_paid += 1;
                }
                k @ (HEAD_REPORTED
                | HEAD_CHALLENGED
                | HEAD_CHALLENGE_ANSWERED
                | HEAD_CHALLENGE_UNANSWERED) => head_events.push((k.to_string(), a)),
                bls_registry::events::WORKER_SLASHED => {
                    let w = a["worker"].clone();
                    let who = Address::parse(&w).ok().and_then(|x| self.actor_of(&x));
                    if who.is_some_and(|i| self.actors[i].honest()) {
                        self.violations.push(format!(
                            "honest {} slashed: {}",
                            self.actors[who.unwrap_or(0)].name,
                            a.get("reason").cloned().unwrap_or_default()
                        ));
                    }
                    self.stats.slashes += 1;
                    slashed.insert(w);
                }
                _ => {}
            }
        }
        for (kind, a) in head_events {
            self.head_event(&kind, &a);
        }
        self.forget_old_settlements();
        // A cheater is penalized: every liar whose revealed result lost a settled quorum is
        // slashed in the same block.
        for id in settled {
            let job = bls_orchestration::state::must_get_job(&self.chain.view(), id)
                .expect("settled job");
            for asg in &job.assignments {
                let lost = asg.result_hash.is_some() && asg.result_hash != job.result_hash;
                let liar = self
                    .actor_of(&asg.worker)
                    .is_some_and(|i| self.actors[i].behaviour == Behaviour::Liar);
                if lost && liar && !slashed.contains(asg.worker.as_str()) {
                    self.violations.push(format!(
                        "liar {} lost job {id}'s quorum unpunished",
                        asg.worker
                    ));
                }
            }
        }
    }
}
