//! The fast path as the model plays it: invokers sign v2 requests (chain id, function, code
//! hash, payload hash, nonce, max fee, expiry height, guest clock), the subnetwork signs
//! results over (request id, code hash, result hash) — liars sign their own lie — heads sign
//! a statement of what they served and hold receipts until they settle them, the byzantine
//! head submits receipts it should not be paid for, watchers report liars, the forger forges
//! evidence.

use bls_client::fastpath::{fast_request_id, FastRequest};
use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::Address;
use bls_orchestration::fastpath::evidence::{MIN_DISSENT_MAJORITY, MIN_DISSENT_MEMBERS};
use bls_orchestration::fastpath::head::msgs::{head_statement_digest, HeadStatement};
use bls_orchestration::fastpath::msgs::{
    result_digest, MsgSettleReceipts, MsgSubmitEvidence, Receipt, ResultOutcome, SignedRequest,
    SignedResult, WorkerSignature, MSG_SETTLE_RECEIPTS, MSG_SUBMIT_EVIDENCE,
};
use bls_registry::state::WorkerStatus;
use sha2::{Digest, Sha256};

use super::actors::Behaviour;
use super::world::{sha256, Expect, World, EXPIRES_IN, MAX_STATEMENTS};

/// A receipt a head holds until it settles it.
pub struct Served {
    /// The receipt.
    pub receipt: Receipt,
    /// Its request id.
    pub id: [u8; 32],
    /// Index of the invoker in `World::fast`.
    pub invoker: usize,
    /// A second head the same signed request also went through (induced equivocation): it
    /// tries to settle it too, after the first.
    pub echo: Option<usize>,
}

/// A liar's fast-path signature with the honest quorum's on the same request.
pub struct LiarEvidence {
    /// The invoker-signed request.
    pub request: SignedRequest,
    /// Its expiry height.
    pub expiry: u64,
    /// Its function.
    pub function: u64,
    /// The function's quorum.
    pub quorum: u32,
    /// The liar.
    pub liar: Address,
    /// The honest signers.
    pub honest: Vec<Address>,
    /// Every signer's signed result (liar last).
    pub results: Vec<SignedResult>,
    /// Outcome bytes of the honest result and of the lie.
    pub outcomes: Vec<ResultOutcome>,
}

/// A statement a head signed for what it served.
pub struct StatementRecord {
    /// The request it answers.
    pub request: SignedRequest,
    /// Its id.
    pub id: [u8; 32],
    /// The statement.
    pub statement: HeadStatement,
    /// The head (actor index).
    pub head: usize,
    /// Whether it proves a lie (the byzantine head's always do).
    pub lie: bool,
}

/// Canonical outcome bytes of a fast request: the honest answer, or `liar`'s own lie.
pub fn fast_outcome(code: &[u8; 32], id: &[u8; 32], liar: Option<&Address>) -> Vec<u8> {
    let stdout = match liar {
        Some(l) => format!("lie {l} {}", hex::encode(id)),
        None => hex::encode(&sha256(&[b"fast", code, id])[..8]),
    };
    Outcome {
        status: ExitStatus::Exited(0),
        stdout: stdout.into_bytes(),
        stdout_truncated: false,
        stderr: Vec::new(),
        stderr_truncated: false,
        fuel_used: 0,
        wall_time: std::time::Duration::ZERO,
        trap_message: None,
        calls: Vec::new(),
    }
    .canonical_bytes()
}

/// sha256 of outcome bytes (a result hash).
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl World {
    /// What one fast request of the model's functions costs (they share the default
    /// manifest).
    pub fn fast_fee(&self) -> u128 {
        bls_orchestration::fastpath::fee::fastpath_fee(
            &self.params,
            &bls_core::manifest::Manifest::default(),
        )
    }

    /// What a settled fast request of function `fid` charges its invoker: the fee plus a
    /// listed function's price, at most what the signed `max_fee` (twice the fee) leaves.
    pub fn fast_charge(&self, fid: u64) -> u128 {
        let fee = self.fast_fee();
        let price = self
            .functions
            .iter()
            .find(|f| f.id == fid)
            .map_or(0, |f| f.price);
        fee + price.min(fee)
    }

    /// A request signed by fast invoker `i` (its next nonce), expiring [`EXPIRES_IN`] blocks
    /// after the tip, with the tip's time as the guest clock.
    pub(super) fn signed_request(
        &mut self,
        i: usize,
        function: u64,
        code: [u8; 32],
        input: u8,
    ) -> (SignedRequest, [u8; 32]) {
        let max_fee = self.fast_fee() * 2;
        let req = FastRequest {
            chain_id: self.chain.chain_id.clone(),
            function_id: function,
            code_hash: code,
            stdin: format!("input-{input}"),
            args: Vec::new(),
            env: Default::default(),
            sealed: Vec::new(),
            nonce: self.fast[i].nonce,
            max_fee,
            expiry_height: self.chain.height + EXPIRES_IN,
            time_secs: u64::try_from(self.chain.time_secs).unwrap_or(0),
            time_nanos: 0,
        };
        self.fast[i].nonce += 1;
        let key = &self.fast[i].key;
        (req.signed(key), fast_request_id(key, &req))
    }

    /// The subnetwork of `function` now.
    pub(super) fn members(&self, function: u64) -> Vec<Address> {
        bls_orchestration::state::subnetwork(&self.chain.view(), function)
            .expect("subnets readable")
            .map(|s| s.workers)
            .unwrap_or_default()
    }

    /// Whether actor `a` is registered and active.
    pub(super) fn active(&self, a: usize) -> bool {
        self.record(a)
            .is_some_and(|w| w.status == WorkerStatus::Active)
    }

    pub(super) fn sign_result(
        &self,
        a: usize,
        id: &[u8; 32],
        code: &[u8; 32],
        hash: &[u8; 32],
    ) -> Vec<u8> {
        self.actors[a]
            .result_key
            .sign(&result_digest(id, code, hash))
            .to_vec()
    }

    /// The signed results of the active members of `function` for request `id`: honest ones
    /// (the correct hash) and the liars' (each its own lie, with its outcome bytes).
    fn subnetwork_answers(
        &self,
        function: u64,
        id: &[u8; 32],
        code: &[u8; 32],
    ) -> (Vec<SignedResult>, Vec<(SignedResult, Vec<u8>)>) {
        let correct = hash(&fast_outcome(code, id, None));
        let mut honest = Vec::new();
        let mut lies = Vec::new();
        for m in self.members(function) {
            let Some(a) = self.actor_of(&m) else { continue };
            if !self.active(a) {
                continue;
            }
            match self.actors[a].behaviour {
                Behaviour::Honest => honest.push(SignedResult {
                    worker: m.to_string(),
                    result_hash: correct.to_vec(),
                    signature: self.sign_result(a, id, code, &correct),
                }),
                Behaviour::Liar | Behaviour::FastLiar => {
                    let outcome = fast_outcome(code, id, Some(&m));
                    let lie = hash(&outcome);
                    lies.push((
                        SignedResult {
                            worker: m.to_string(),
                            result_hash: lie.to_vec(),
                            signature: self.sign_result(a, id, code, &lie),
                        },
                        outcome,
                    ));
                }
                Behaviour::Silent | Behaviour::Withholder => {}
            }
        }
        (honest, lies)
    }

    /// Head `h`'s signed statement for request `id` of `function`: honest, or (the byzantine
    /// head) a lie of kind `lie % 3` — another outcome served, another code claimed, or a
    /// signature on another result presented as agreeing. Each is provable from the request
    /// and the statement alone.
    fn statement(
        &self,
        h: usize,
        function: u64,
        id: &[u8; 32],
        code: &[u8; 32],
        signatures: &[SignedResult],
        lie: Option<u8>,
    ) -> HeadStatement {
        let view = self.chain.view();
        let version =
            bls_orchestration::state::must_get_function(&view, function).map_or(0, |f| f.version);
        let subnetwork_height = bls_orchestration::state::subnetwork(&view, function)
            .expect("subnets readable")
            .map_or(0, |s| s.placed_height);
        let result = hash(&fast_outcome(code, id, None));
        let mut s = HeadStatement {
            head: self.actors[h].addr().to_string(),
            request_id: id.to_vec(),
            code_hash: code.to_vec(),
            result_hash: result.to_vec(),
            outcome_hash: result.to_vec(),
            height: self.chain.height,
            function_version: version,
            subnetwork_height,
            signatures: signatures.to_vec(),
            signature: Vec::new(),
        };
        match lie.map(|k| k % 3) {
            Some(0) => s.outcome_hash = sha256(&[b"served something else", id]).to_vec(),
            Some(1) => s.code_hash = sha256(&[b"other code", code]).to_vec(),
            Some(_) => {
                if let Some(first) = s.signatures.first_mut() {
                    first.result_hash = sha256(&[b"other result", id]).to_vec();
                }
            }
            None => {}
        }
        s.signature = self.actors[h]
            .result_key
            .sign(&head_statement_digest(&s))
            .to_vec();
        s
    }

    /// Active heads (honest and byzantine).
    fn active_heads(&self) -> Vec<usize> {
        (0..self.actors.len())
            .filter(|h| self.actors[*h].head && self.active(*h))
            .collect()
    }

    /// The `pick`th function the fast path serves: composed functions run on chain only.
    fn fast_function(&self, pick: u8) -> &super::actors::Function {
        let served: Vec<&super::actors::Function> = self
            .functions
            .iter()
            .filter(|f| f.calls.is_empty())
            .collect();
        served[usize::from(pick) % served.len()]
    }

    pub(super) fn fast_request(
        &mut self,
        invoker: u8,
        function: u8,
        head: u8,
        input: u8,
        other: Option<u8>,
    ) {
        let i = usize::from(invoker) % self.fast.len();
        let fid = self.fast_function(function).id;
        let fee = self.fast_charge(fid);
        // A head serves against the committed deposit, never against one with a withdrawal
        // pending.
        let committed = bls_orchestration::fastpath::state::deposit_of(
            &self.chain.view(),
            self.fast[i].key.address(),
        )
        .expect("deposit readable");
        let inv = &self.fast[i];
        if inv.withdrawal.is_some() || committed.saturating_sub(inv.pending_fees) < fee {
            return;
        }
        let heads = self.active_heads();
        if heads.is_empty() {
            return;
        }
        let h = heads[usize::from(head) % heads.len()];
        let echo = match other {
            None => None,
            Some(o) => {
                let rest: Vec<usize> = heads.iter().copied().filter(|x| *x != h).collect();
                if rest.is_empty() {
                    return;
                }
                Some(rest[usize::from(o) % rest.len()])
            }
        };
        let f = self.fast_function(function);
        let (fid, code, quorum) = (f.id, f.code_hash, f.quorum);
        let (request, id) = self.signed_request(i, fid, code, input);
        let (honest, lies) = self.subnetwork_answers(fid, &id, &code);
        if honest.len() < usize::try_from(quorum).unwrap_or(usize::MAX) {
            return; // not served: nothing is charged
        }
        if echo.is_some() {
            // The second head relays the same signed request: every worker returns the same
            // signed answer (what each persists per request id), byte for byte.
            let (again, _) = self.subnetwork_answers(fid, &id, &code);
            assert_eq!(
                again, honest,
                "workers answered a relayed request differently"
            );
        }
        let outcome = fast_outcome(&code, &id, None);
        let correct = hash(&outcome);
        let honest_signers: Vec<Address> = honest
            .iter()
            .map(|s| Address::parse(&s.worker).expect("address"))
            .collect();
        for (lie, lie_outcome) in lies {
            let liar = Address::parse(&lie.worker).expect("address");
            let mut results = honest.clone();
            results.push(lie.clone());
            self.evidence.push(LiarEvidence {
                request: request.clone(),
                expiry: request.expiry_height,
                function: fid,
                quorum,
                liar,
                honest: honest_signers.clone(),
                results,
                outcomes: vec![
                    ResultOutcome {
                        result_hash: correct.to_vec(),
                        outcome: outcome.clone(),
                    },
                    ResultOutcome {
                        result_hash: lie.result_hash.clone(),
                        outcome: lie_outcome,
                    },
                ],
            });
        }
        let byzantine = self.actors[h].byzantine_head;
        let statement = self.statement(h, fid, &id, &code, &honest, byzantine.then_some(input));
        self.statements.push(StatementRecord {
            request: request.clone(),
            id,
            statement,
            head: h,
            lie: byzantine,
        });
        if self.statements.len() > MAX_STATEMENTS {
            self.statements.remove(0);
        }
        self.outcomes.insert(id, outcome);
        let receipt = Receipt {
            request: Some(request),
            code_hash: code.to_vec(),
            result_hash: correct.to_vec(),
            signatures: honest
                .into_iter()
                .map(|s| WorkerSignature {
                    worker: s.worker,
                    signature: s.signature,
                })
                .collect(),
        };
        self.fast[i].pending_fees += fee;
        self.served.entry(h).or_default().push(Served {
            receipt,
            id,
            invoker: i,
            echo,
        });
    }

    pub(super) fn head_lie(&mut self, kind: u8, pick: u8) {
        let Some(liar) = (0..self.actors.len()).find(|h| self.actors[*h].byzantine_head) else {
            return;
        };
        let f = self.fast_function(pick);
        let (fid, code, quorum) = (f.id, f.code_hash, f.quorum);
        let i = usize::from(pick) % self.fast.len();
        let receipt_for =
            move |request: SignedRequest, result: [u8; 32], sigs: Vec<WorkerSignature>| Receipt {
                request: Some(request),
                code_hash: code.to_vec(),
                result_hash: result.to_vec(),
                signatures: sigs,
            };
        let (what, receipt) = match kind % 6 {
            0 => {
                if self.settled_receipts.is_empty() {
                    return;
                }
                let n = usize::from(pick) % self.settled_receipts.len();
                (
                    "replays a settled receipt",
                    self.settled_receipts[n].clone(),
                )
            }
            1 => {
                // Makes up a request in an invoker's name (signed with the head's key).
                let (mut request, id) = self.signed_request(i, fid, code, pick);
                request.signature = self.actors[liar].operator.sign(&id).to_vec();
                let result = hash(&fast_outcome(&code, &id, None));
                let signatures = self.honest_signatures(fid, &id, &code, &result);
                (
                    "settles a request the invoker never signed",
                    receipt_for(request, result, signatures),
                )
            }
            2 => {
                // Signs the workers' part itself.
                let (request, id) = self.signed_request(i, fid, code, pick);
                let result = hash(&fast_outcome(&code, &id, None));
                let signatures = self
                    .members(fid)
                    .into_iter()
                    .map(|m| WorkerSignature {
                        worker: m.to_string(),
                        signature: self.sign_result(liar, &id, &code, &result),
                    })
                    .collect();
                (
                    "forges the workers' signatures",
                    receipt_for(request, result, signatures),
                )
            }
            3 => {
                // Settles with fewer signatures than the quorum.
                let (request, id) = self.signed_request(i, fid, code, pick);
                let result = hash(&fast_outcome(&code, &id, None));
                let mut signatures = self.honest_signatures(fid, &id, &code, &result);
                signatures.truncate(usize::try_from(quorum).unwrap_or(1) - 1);
                (
                    "settles below the quorum",
                    receipt_for(request, result, signatures),
                )
            }
            4 => {
                // Claims a result the workers did not sign.
                let (request, id) = self.signed_request(i, fid, code, pick);
                let result = hash(&fast_outcome(&code, &id, None));
                let signatures = self.honest_signatures(fid, &id, &code, &result);
                (
                    "claims a result the workers did not sign",
                    receipt_for(request, sha256(&[b"other", &result]), signatures),
                )
            }
            _ => {
                // Edits the guest clock of a signed request (the workers ran the edited one).
                let (mut request, _) = self.signed_request(i, fid, code, pick);
                request.time_secs += 1;
                let edited = bls_orchestration::fastpath::msgs::request_id(
                    &self.chain.chain_id,
                    &request.terms().expect("terms"),
                );
                let result = hash(&fast_outcome(&code, &edited, None));
                let signatures = self.honest_signatures(fid, &edited, &code, &result);
                (
                    "settles a request whose clock it edited",
                    receipt_for(request, result, signatures),
                )
            }
        };
        let msg = encode_any(
            &MsgSettleReceipts {
                head: self.actors[liar].addr().to_string(),
                receipts: vec![receipt],
            },
            MSG_SETTLE_RECEIPTS,
        );
        let key = self.actors[liar].operator.clone();
        let expect = Expect::Refused(format!("the byzantine head {what}"));
        self.push(&key, vec![msg], 600_000, expect);
    }

    /// Signatures of the function's active honest members over `result`.
    pub(super) fn honest_signatures(
        &self,
        function: u64,
        id: &[u8; 32],
        code: &[u8; 32],
        result: &[u8; 32],
    ) -> Vec<WorkerSignature> {
        self.members(function)
            .into_iter()
            .filter_map(|m| self.actor_of(&m).map(|a| (m, a)))
            .filter(|(_, a)| self.actors[*a].behaviour == Behaviour::Honest)
            .map(|(m, a)| WorkerSignature {
                worker: m.to_string(),
                signature: self.sign_result(a, id, code, result),
            })
            .collect()
    }

    /// A watcher reports a liar. Whether the chain must accept depends on who is in the
    /// subnetwork when the evidence lands (begin block may have repaired it), so it is
    /// decided after the block: accepted, with the liar slashed, exactly when the request's
    /// window is open, the function has at least `MIN_DISSENT_MEMBERS` Active members, the
    /// liar is one of them and the honest signatures of Active members reach
    /// `max(quorum, ⌊n/2⌋ + 1, MIN_DISSENT_MAJORITY)`; refused otherwise.
    pub(super) fn report_liar(&mut self, pick: u8) {
        let at = self.chain.height + 1;
        let settle_window = self.params.fastpath_settle_window;
        // A watcher keeps evidence a while after its window closed (reporting it then is
        // refused), then forgets it.
        self.evidence.retain(|e| e.expiry + 2 * settle_window >= at);
        if self.evidence.is_empty() {
            return;
        }
        // Most recent first: most reports land inside the window.
        let n = self.evidence.len();
        let e = self.evidence.remove(n - 1 - usize::from(pick) % n.min(4));
        let (expiry, function, quorum, liar, honest) =
            (e.expiry, e.function, e.quorum, e.liar.clone(), e.honest);
        // Statuses when the evidence is built (before its block): the chain judges by the
        // statuses at the tx, and this tx itself jails the liar.
        let status_of = |w: &World, a: &Address| {
            bls_registry::state::get_worker(&w.chain.view(), a)
                .expect("registry readable")
                .map(|r| r.status)
        };
        let before: std::collections::BTreeMap<Address, Option<WorkerStatus>> = self
            .members(function)
            .iter()
            .chain(std::iter::once(&liar))
            .chain(honest.iter())
            .map(|a| (a.clone(), status_of(self, a)))
            .collect();
        let msg = encode_any(
            &MsgSubmitEvidence {
                submitter: self.watcher.address().to_string(),
                results: e.results,
                request: Some(e.request),
                outcomes: e.outcomes,
            },
            MSG_SUBMIT_EVIDENCE,
        );
        let check = move |w: &World, res: &tendermint_proto::v0_38::abci::ExecTxResult| {
            let registered = |a: &Address| {
                bls_registry::state::get_worker(&w.chain.view(), a)
                    .expect("registry readable")
                    .is_some()
            };
            // A signer whose record is gone makes its signature uncheckable: the watcher's
            // evidence may then be refused; the model does not predict it.
            if !registered(&liar) || !honest.iter().all(registered) {
                return Ok(());
            }
            // Only Active members count and are judged (jailed or unbonding ones neither), by
            // their status at the tx: the one before the block, except that this tx jails the
            // liar. A status that changed in the block for another reason (an end-block
            // liveness jail, an unjail) is not predicted.
            let jailed_here = res.code == 0
                && res.events.iter().any(|e| {
                    e.r#type == bls_registry::events::WORKER_JAILED
                        && e.attributes
                            .iter()
                            .any(|a| a.key == "worker" && a.value == liar.as_str())
                });
            let now_members = w.members(function);
            for a in now_members.iter().chain(std::iter::once(&liar)) {
                let now = status_of(w, a);
                // Placed in this block's begin block: its status then is its status now.
                let was = before.get(a).copied().unwrap_or(now);
                if now != was && !(jailed_here && *a == liar) {
                    return Ok(());
                }
            }
            let active = |a: &Address| {
                before.get(a).copied().unwrap_or_else(|| status_of(w, a))
                    == Some(WorkerStatus::Active)
            };
            // ...and seated by the time the request's key window opened.
            let subnet = bls_orchestration::state::subnetwork(&w.chain.view(), function)
                .expect("subnets readable")
                .unwrap_or_default();
            let window_start = expiry.saturating_sub(w.params.fastpath_request_ttl);
            let seated = |a: &Address| subnet.seated_for(a, window_start);
            let members: Vec<Address> = now_members
                .into_iter()
                .filter(|a| active(a) && seated(a))
                .collect();
            let counted = honest.iter().filter(|a| members.contains(a)).count();
            let bar = usize::try_from(quorum.max(1))
                .unwrap_or(usize::MAX)
                .max(members.len() / 2 + 1)
                .max(MIN_DISSENT_MAJORITY);
            let must = at <= expiry + settle_window
                && members.len() >= MIN_DISSENT_MEMBERS
                && members.contains(&liar)
                && counted >= bar;
            match (must, res.code == 0) {
                (true, false) => Err(format!(
                    "a watcher's evidence against liar {liar} ({counted} of {} members signed \
                     the majority, bar {bar}): refused ({}/{}): {}",
                    members.len(),
                    res.codespace,
                    res.code,
                    res.log
                )),
                (false, true) => Err(format!(
                    "evidence against {liar} without an Active member majority ({counted} < \
                     {bar}, {} Active members, liar a member: {}) or outside its window (height \
                     {at}, expiry {expiry}): accepted",
                    members.len(),
                    members.contains(&liar)
                )),
                (true, true) => {
                    let slashed = res.events.iter().any(|e| {
                        e.r#type == bls_registry::events::WORKER_SLASHED
                            && e.attributes
                                .iter()
                                .any(|a| a.key == "worker" && a.value == liar.as_str())
                    });
                    if slashed {
                        Ok(())
                    } else {
                        Err(format!(
                            "evidence against liar {liar} accepted, liar not slashed"
                        ))
                    }
                }
                (false, false) => Ok(()),
            }
        };
        let key = self.watcher.clone();
        self.push(&key, vec![msg], 1_000_000, Expect::Check(Box::new(check)));
    }

    /// Attack 1: forged-majority evidence from a settled receipt (see
    /// [`super::actions::Action::ForgeEvidence`]). The chain must refuse it and leave the
    /// receipt's honest signers untouched.
    pub(super) fn forge_evidence(&mut self, pick: u8) {
        if self.settled_receipts.is_empty() {
            return;
        }
        let receipt =
            self.settled_receipts[usize::from(pick) % self.settled_receipts.len()].clone();
        let mut request = receipt.request.clone().expect("request");
        let id = bls_orchestration::fastpath::msgs::request_id(
            &self.chain.chain_id,
            &request.terms().expect("terms"),
        );
        let code: [u8; 32] = receipt.code_hash.as_slice().try_into().expect("code hash");
        let forger = self.actors.len() - 1;
        let zero = [0u8; 32];
        let mut results: Vec<SignedResult> = receipt
            .signatures
            .iter()
            .map(|s| SignedResult {
                worker: s.worker.clone(),
                result_hash: receipt.result_hash.clone(),
                signature: s.signature.clone(),
            })
            .collect();
        results.push(SignedResult {
            worker: self.actors[forger].addr().to_string(),
            result_hash: zero.to_vec(),
            signature: self.sign_result(forger, &id, &code, &zero),
        });
        let what = match pick % 3 {
            // The request moved to the forger's own n = 1, m = 1 function: the invoker's
            // signature no longer verifies.
            0 => {
                request.function_id = self.forger_function;
                "forged-majority evidence under the forger's own function"
            }
            1 => "forged-majority evidence (a zero hash by a sybil)",
            _ => "forged-majority evidence carrying the honest outcome",
        };
        let outcomes = if pick % 3 == 2 {
            self.outcomes
                .get(&id)
                .map(|o| ResultOutcome {
                    result_hash: receipt.result_hash.clone(),
                    outcome: o.clone(),
                })
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        for s in &receipt.signatures {
            // Honest signers (the byzantine head may sit in a subnetwork too, and is punished
            // for its own lies).
            let Some(a) = Address::parse(&s.worker)
                .ok()
                .and_then(|x| self.actor_of(&x))
                .filter(|a| self.actors[*a].honest())
            else {
                continue;
            };
            if let Some(rec) = self.record(a) {
                let jailed = rec.status == WorkerStatus::Jailed;
                self.forge_victims.push((a, jailed, rec.slashed_total));
            }
        }
        let msg = encode_any(
            &MsgSubmitEvidence {
                submitter: self.actors[forger].addr().to_string(),
                results,
                request: Some(request),
                outcomes,
            },
            MSG_SUBMIT_EVIDENCE,
        );
        let key = self.actors[forger].operator.clone();
        let expect = Expect::Refused(format!("{what} against a receipt's honest signers"));
        self.push(&key, vec![msg], 1_000_000, expect);
    }

    /// After a block: no signer forged evidence named was slashed or jailed by it.
    pub(super) fn check_forge_victims(&mut self) {
        for (a, jailed, slashed) in std::mem::take(&mut self.forge_victims) {
            let Some(rec) = self.record(a) else { continue };
            let now_jailed = rec.status == WorkerStatus::Jailed;
            if rec.slashed_total != slashed || (now_jailed && !jailed) {
                self.violations.push(format!(
                    "forged evidence punished {}: slashed total {slashed} before, {} after, \
                     jailed {jailed} before, {now_jailed} after",
                    self.actors[a].name, rec.slashed_total
                ));
            }
        }
    }
}
