//! The fast path as the model plays it: invokers sign requests, the subnetwork signs results
//! (liars sign their own lie), honest heads hold receipts until they settle them, the lying
//! head submits receipts it should not be paid for, watchers report liars.

use std::collections::BTreeMap;

use bls_client::fastpath::{fast_request_id, FastRequest};
use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::fastpath::msgs::{
    payload_hash, result_digest, MsgSettleReceipts, MsgSubmitEvidence, ProtoCoin, Receipt,
    SignedRequest, SignedResult, WorkerSignature, MSG_SETTLE_RECEIPTS, MSG_SUBMIT_EVIDENCE,
};
use bls_registry::state::WorkerStatus;

use super::actors::Behaviour;
use super::world::{sha256, Expect, World};

/// A receipt an honest head holds until it settles it.
pub struct Served {
    /// The receipt.
    pub receipt: Receipt,
    /// Index of the invoker in `World::fast`.
    pub invoker: usize,
}

/// A liar's fast-path signature with the honest quorum's on the same request.
pub struct LiarEvidence {
    /// Function.
    pub function: u64,
    /// Request id.
    pub request_id: [u8; 32],
    /// Code hash.
    pub code_hash: [u8; 32],
    /// The liar.
    pub liar: Address,
    /// Every signer's signed result (liar last).
    pub results: Vec<SignedResult>,
}

impl World {
    /// A request signed by fast invoker `i` (its next nonce).
    pub(super) fn signed_request(
        &mut self,
        i: usize,
        function: u64,
        input: u8,
    ) -> (SignedRequest, [u8; 32]) {
        let max_fee = self.params.fastpath_fee * 2;
        let inv = &mut self.fast[i];
        let req = FastRequest {
            chain_id: self.chain.chain_id.clone(),
            function_id: function,
            stdin: format!("input-{input}"),
            args: Vec::new(),
            env: BTreeMap::new(),
            nonce: inv.nonce,
            max_fee,
        };
        inv.nonce += 1;
        let id = fast_request_id(&inv.key, &req);
        let payload = payload_hash(req.stdin.as_bytes(), &req.args, &req.env);
        let signed = SignedRequest {
            invoker: inv.key.address().to_string(),
            invoker_pubkey: inv.key.public_key_bytes().to_vec(),
            function_id: function,
            nonce: req.nonce,
            max_fee: Some(ProtoCoin::ubls(max_fee)),
            payload_hash: payload.to_vec(),
            signature: inv.key.sign(&id).to_vec(),
        };
        (signed, id)
    }

    /// The subnetwork of `function` now.
    pub(super) fn members(&self, function: u64) -> Vec<Address> {
        bls_orchestration::state::SUBNETS
            .may_load(&self.chain.view(), function)
            .expect("subnets readable")
            .map(|s| s.workers)
            .unwrap_or_default()
    }

    /// The correct result of a fast request.
    pub(super) fn fast_result(code_hash: &[u8; 32], request: &SignedRequest) -> [u8; 32] {
        sha256(&[b"fast", code_hash, &request.payload_hash])
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

    pub(super) fn fast_request(&mut self, invoker: u8, function: u8, head: u8, input: u8) {
        let i = usize::from(invoker) % self.fast.len();
        let fee = self.params.fastpath_fee;
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
        let heads: Vec<usize> = (0..self.actors.len())
            .filter(|h| self.actors[*h].head && !self.actors[*h].lying_head)
            .filter(|h| {
                self.record(*h)
                    .is_some_and(|w| w.status == WorkerStatus::Active)
            })
            .collect();
        if heads.is_empty() {
            return;
        }
        let h = heads[usize::from(head) % heads.len()];
        let f = &self.functions[usize::from(function) % self.functions.len()];
        let (fid, code, quorum) = (f.id, f.code_hash, f.quorum);
        let (request, id) = self.signed_request(i, fid, input);
        let correct = Self::fast_result(&code, &request);
        let mut honest = Vec::new();
        let mut lies = Vec::new();
        for m in self.members(fid) {
            let Some(a) = self.actor_of(&m) else { continue };
            if self
                .record(a)
                .is_none_or(|w| w.status != WorkerStatus::Active)
            {
                continue;
            }
            match self.actors[a].behaviour {
                Behaviour::Honest => honest.push(SignedResult {
                    worker: m.to_string(),
                    result_hash: correct.to_vec(),
                    signature: self.sign_result(a, &id, &code, &correct),
                }),
                Behaviour::Liar => {
                    let lie = sha256(&[b"lie", m.as_bytes(), &id]);
                    lies.push(SignedResult {
                        worker: m.to_string(),
                        result_hash: lie.to_vec(),
                        signature: self.sign_result(a, &id, &code, &lie),
                    });
                }
                Behaviour::Silent | Behaviour::Withholder => {}
            }
        }
        if honest.len() < usize::try_from(quorum).unwrap_or(usize::MAX) {
            return; // not served: nothing is charged
        }
        for lie in lies {
            let liar = Address::parse(&lie.worker).expect("address");
            let mut results = honest.clone();
            results.push(lie);
            self.evidence.push(LiarEvidence {
                function: fid,
                request_id: id,
                code_hash: code,
                liar,
                results,
            });
        }
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
            invoker: i,
        });
    }

    pub(super) fn head_lie(&mut self, kind: u8, pick: u8) {
        let Some(liar) = (0..self.actors.len()).find(|h| self.actors[*h].lying_head) else {
            return;
        };
        let f = &self.functions[usize::from(pick) % self.functions.len()];
        let (fid, code, quorum) = (f.id, f.code_hash, f.quorum);
        let i = usize::from(pick) % self.fast.len();
        let (what, receipt) = match kind % 5 {
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
                let (mut request, _) = self.signed_request(i, fid, pick);
                let id = fast_request_id(
                    &self.fast[i].key,
                    &FastRequest {
                        chain_id: self.chain.chain_id.clone(),
                        function_id: fid,
                        stdin: format!("input-{pick}"),
                        args: Vec::new(),
                        env: BTreeMap::new(),
                        nonce: request.nonce,
                        max_fee: self.params.fastpath_fee * 2,
                    },
                );
                request.signature = self.actors[liar].operator.sign(&id).to_vec();
                let result = Self::fast_result(&code, &request);
                let signatures = self.honest_signatures(fid, &id, &code, &result);
                (
                    "settles a request the invoker never signed",
                    Receipt {
                        request: Some(request),
                        code_hash: code.to_vec(),
                        result_hash: result.to_vec(),
                        signatures,
                    },
                )
            }
            2 => {
                // Signs the workers' part itself.
                let (request, id) = self.signed_request(i, fid, pick);
                let result = Self::fast_result(&code, &request);
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
                    Receipt {
                        request: Some(request),
                        code_hash: code.to_vec(),
                        result_hash: result.to_vec(),
                        signatures,
                    },
                )
            }
            3 => {
                // Settles with fewer signatures than the quorum.
                let (request, id) = self.signed_request(i, fid, pick);
                let result = Self::fast_result(&code, &request);
                let mut signatures = self.honest_signatures(fid, &id, &code, &result);
                signatures.truncate(usize::try_from(quorum).unwrap_or(1) - 1);
                (
                    "settles below the quorum",
                    Receipt {
                        request: Some(request),
                        code_hash: code.to_vec(),
                        result_hash: result.to_vec(),
                        signatures,
                    },
                )
            }
            _ => {
                // Claims a result the workers did not sign.
                let (request, id) = self.signed_request(i, fid, pick);
                let result = Self::fast_result(&code, &request);
                let signatures = self.honest_signatures(fid, &id, &code, &result);
                (
                    "claims a result the workers did not sign",
                    Receipt {
                        request: Some(request),
                        code_hash: code.to_vec(),
                        result_hash: sha256(&[b"other", &result]).to_vec(),
                        signatures,
                    },
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
        let expect = Expect::Refused(format!("the lying head {what}"));
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

    pub(super) fn report_liar(&mut self, pick: u8) {
        if self.evidence.is_empty() {
            return;
        }
        let e = self
            .evidence
            .remove(usize::from(pick) % self.evidence.len());
        // Every signer must still have a registry record for its signature to be checked.
        let all_known = e.results.iter().all(|r| {
            let a = Address::parse(&r.worker).expect("address");
            bls_registry::state::get_worker(&self.chain.view(), &a)
                .expect("registry readable")
                .is_some()
        });
        let expect = if all_known {
            Expect::Ok(format!("a watcher reports liar {}", e.liar))
        } else {
            Expect::Either
        };
        let msg = encode_any(
            &MsgSubmitEvidence {
                submitter: self.watcher.address().to_string(),
                function_id: e.function,
                request_id: e.request_id.to_vec(),
                code_hash: e.code_hash.to_vec(),
                results: e.results,
            },
            MSG_SUBMIT_EVIDENCE,
        );
        let key = self.watcher.clone();
        self.push(&key, vec![msg], 800_000, expect);
    }

    /// Attack 1: forged-majority evidence from a settled receipt (see
    /// [`super::actions::Action::ForgeEvidence`]). The chain must refuse it.
    pub(super) fn forge_evidence(&mut self, pick: u8) {
        let Some(function) = self.forger_function else {
            return;
        };
        if self.settled_receipts.is_empty() {
            return;
        }
        let receipt =
            self.settled_receipts[usize::from(pick) % self.settled_receipts.len()].clone();
        let request = receipt.request.clone().expect("request");
        let max_fee: u128 = request
            .max_fee
            .as_ref()
            .map_or(0, |c| c.amount.parse().expect("amount"));
        let id = bls_orchestration::fastpath::msgs::request_id(
            &self.chain.chain_id,
            &request.invoker,
            request.function_id,
            request.nonce,
            max_fee,
            &request.payload_hash,
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
        let msg = encode_any(
            &MsgSubmitEvidence {
                submitter: self.actors[forger].addr().to_string(),
                function_id: function,
                request_id: id.to_vec(),
                code_hash: code.to_vec(),
                results,
            },
            MSG_SUBMIT_EVIDENCE,
        );
        let key = self.actors[forger].operator.clone();
        let expect =
            Expect::Refused("forged-majority evidence against a receipt's honest signers".into());
        self.push(&key, vec![msg], 800_000, expect);
    }
}
