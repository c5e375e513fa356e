//! What daemons do by themselves every block, first in it (they react to the last block):
//! each worker answers its open assignments as its behaviour says, read through
//! `JobsForWorker` as the worker daemon reads them; each head settles what it served; honest
//! heads answer the challenges of their charges.

use std::collections::{BTreeMap, BTreeSet};

use bls_client::msgs as client_msgs;
use bls_core::composition::{Call, MAX_CALLS_PER_JOB};
use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_orchestration::fastpath::msgs::{
    MsgSettleReceipts, MsgSubmitEvidence, SignedResult, MSG_SETTLE_RECEIPTS, MSG_SUBMIT_EVIDENCE,
};
use bls_orchestration::queries::{JobsForWorkerRequest, JobsForWorkerResponse, NextAction};
use bls_orchestration::state::Job;
use sha2::{Digest, Sha256};

use super::actors::{Actor, Behaviour};
use super::heads::SettledRequest;
use super::world::{sha256, Expect, World, GAS_PER_MSG};

impl World {
    /// What actor `a` commits to and reveals for `job`.
    pub(super) fn outcome(&self, a: usize, job: &Job) -> Vec<u8> {
        let digest = sha256(&[
            job.code_hash.as_bytes(),
            job.input.as_slice(),
            job.seed.as_bytes(),
        ]);
        let liar = self.actors[a].behaviour == Behaviour::Liar;
        let stdout = if liar {
            format!("lie {} {} {}", self.actors[a].addr(), job.id, job.round)
        } else {
            hex::encode(&digest[..8])
        };
        // A composed job calls its callee once or twice (each exiting 0 or not, as the digest
        // says); a liar claims every call the job may make, all paid.
        let calls = match job.callees.first() {
            None => Vec::new(),
            Some(c) if liar => vec![
                Call {
                    function_id: c.function_id,
                    ok: true
                };
                MAX_CALLS_PER_JOB as usize
            ],
            Some(c) => (0..1 + digest[1] % 2)
                .map(|k| Call {
                    function_id: c.function_id,
                    ok: (digest[2] >> k) & 1 == 0,
                })
                .collect(),
        };
        Outcome {
            status: ExitStatus::Exited(0),
            stdout: stdout.into_bytes(),
            stdout_truncated: false,
            stderr: Vec::new(),
            stderr_truncated: false,
            fuel_used: u64::from(digest[0]) * 10_000,
            wall_time: std::time::Duration::ZERO,
            trap_message: None,
            calls,
        }
        .canonical_bytes()
    }

    pub(super) fn salt(a: &Actor, job: &Job) -> Vec<u8> {
        sha256(&[
            a.addr().as_bytes(),
            &job.id.to_be_bytes(),
            &job.round.to_be_bytes(),
        ])[..16]
            .to_vec()
    }

    /// Every open assignment of actor `a`, as the worker daemon reads them.
    pub(super) fn open_jobs_of(&self, a: usize) -> Vec<(Job, NextAction)> {
        let view = self.chain.view();
        let mut out = Vec::new();
        let mut start_after = None;
        loop {
            let req = JobsForWorkerRequest {
                worker: self.actors[a].addr().to_string(),
                start_after,
                limit: Some(100),
            };
            let bytes = bls_orchestration::queries::query(
                &view,
                "JobsForWorker",
                &serde_json::to_vec(&req).expect("json"),
            )
            .expect("JobsForWorker");
            let page: JobsForWorkerResponse = serde_json::from_slice(&bytes).expect("response");
            out.extend(page.jobs.into_iter().map(|j| (j.job, j.next_action)));
            match page.next {
                Some(n) => start_after = Some(n),
                None => return out,
            }
        }
    }

    /// The automatic part of a block, first in it (the daemons react to the last block):
    /// workers answer, heads settle, honest heads answer challenges; then the second copies
    /// of requests sent through two heads are settled again and reported (both refused).
    pub(super) fn duties(&mut self) {
        for a in 0..self.actors.len() {
            let behaviour = self.actors[a].behaviour;
            if behaviour == Behaviour::Silent || self.record(a).is_none() {
                continue;
            }
            let mut msgs = Vec::new();
            for (job, next) in self.open_jobs_of(a) {
                let outcome = self.outcome(a, &job);
                let salt = Self::salt(&self.actors[a], &job);
                match next {
                    NextAction::Commit => msgs.push(client_msgs::commit_result(
                        self.actors[a].addr(),
                        job.id,
                        &Sha256::digest(&outcome).into(),
                        &salt,
                    )),
                    NextAction::Reveal if behaviour != Behaviour::Withholder => msgs.push(
                        client_msgs::reveal_result(self.actors[a].addr(), job.id, outcome, salt),
                    ),
                    _ => {}
                }
            }
            if !msgs.is_empty() {
                let gas = GAS_PER_MSG * u64::try_from(msgs.len()).unwrap_or(1);
                let key = self.actors[a].operator.clone();
                let expect = Expect::Ok(format!("duties of {}", self.actors[a].name));
                self.push(&key, msgs, gas, expect);
            }
        }
        let heads: Vec<usize> = self.served.keys().copied().collect();
        let mut echoes = Vec::new();
        let settle_height = self.chain.height + 1;
        for h in heads {
            let served = self.served.remove(&h).unwrap_or_default();
            // A head jailed since it served cannot settle: it drops what it holds.
            let head_active = self.active(h);
            // A receipt whose signers are no longer active members (begin block drops
            // inactive members from the subnetwork) cannot settle any more: the head drops
            // it, nobody is charged.
            let mut receipts = Vec::new();
            let mut members: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
            for s in served {
                let req = s.receipt.request.as_ref().expect("request");
                let fid = req.function_id;
                let fee = self.fast_charge(fid);
                let quorum = self
                    .functions
                    .iter()
                    .find(|f| f.id == fid)
                    .map_or(1, |f| f.quorum);
                let m = members.entry(fid).or_insert_with(|| {
                    self.members(fid)
                        .iter()
                        .filter(|a| self.actor_of(a).is_some_and(|i| self.active(i)))
                        .map(ToString::to_string)
                        .collect()
                });
                let keep = head_active
                    && s.receipt
                        .signatures
                        .iter()
                        .all(|sig| m.contains(&sig.worker))
                    && s.receipt.signatures.len() >= usize::try_from(quorum).unwrap_or(1);
                self.fast[s.invoker].pending_fees -= fee;
                if keep {
                    self.fast[s.invoker].deposit -= fee;
                    self.settlements.insert(
                        s.id,
                        SettledRequest {
                            head: h,
                            invoker: s.invoker,
                            // What a punished head's bond refunds: its fee, not the price.
                            fee: self.fast_fee(),
                            height: settle_height,
                            refunded: false,
                            challenged: false,
                        },
                    );
                    if let Some(other) = s.echo {
                        echoes.push((other, s.receipt.clone()));
                    }
                    receipts.push(s.receipt);
                }
            }
            if receipts.is_empty() {
                continue;
            }
            self.stats.receipts_settled += receipts.len() as u64;
            self.settled_receipts.extend(receipts.iter().cloned());
            let gas = GAS_PER_MSG * u64::try_from(receipts.len()).unwrap_or(1) + 200_000;
            let msg = encode_any(
                &MsgSettleReceipts {
                    head: self.actors[h].addr().to_string(),
                    receipts,
                },
                MSG_SETTLE_RECEIPTS,
            );
            let key = self.actors[h].operator.clone();
            let expect = Expect::Ok(format!("{} settles what it served", self.actors[h].name));
            self.push(&key, vec![msg], gas, expect);
        }
        self.answer_challenges();
        for (other, receipt) in echoes {
            // Induced equivocation: the second head holds the very same signed answers.
            let results: Vec<SignedResult> = receipt
                .signatures
                .iter()
                .chain(&receipt.signatures)
                .map(|s| SignedResult {
                    worker: s.worker.clone(),
                    result_hash: receipt.result_hash.clone(),
                    signature: s.signature.clone(),
                })
                .collect();
            let evidence = encode_any(
                &MsgSubmitEvidence {
                    submitter: self.watcher.address().to_string(),
                    results,
                    request: receipt.request.clone(),
                    outcomes: Vec::new(),
                },
                MSG_SUBMIT_EVIDENCE,
            );
            let name = self.actors[other].name.clone();
            let msg = encode_any(
                &MsgSettleReceipts {
                    head: self.actors[other].addr().to_string(),
                    receipts: vec![receipt],
                },
                MSG_SETTLE_RECEIPTS,
            );
            let key = self.actors[other].operator.clone();
            self.push(
                &key,
                vec![msg],
                600_000,
                Expect::Refused(format!("{name} settles a request another head settled")),
            );
            let watcher = self.watcher.clone();
            self.push(
                &watcher,
                vec![evidence],
                1_000_000,
                Expect::Refused(
                    "evidence from the answers of one request relayed through two heads".into(),
                ),
            );
        }
    }
}
