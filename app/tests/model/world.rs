//! The world of a run: the chain, its actors with their fixed behaviours, what the model
//! expects of every tx, and the ledger the invariants compare the chain with.
//!
//! Honest actors act like the real daemons do: every block each worker answers its open
//! assignments (`JobsForWorker`, the worker daemon's query), and each honest head settles what
//! it served. Random [`Action`]s add everything else: invokers, byzantine heads, watchers,
//! churn. Liars lie independently (every lie differs): a job whose majority colludes is
//! outside the trust model (the quorum decides), so the model never builds one.

use std::collections::{BTreeMap, BTreeSet};

use bls_client::fastpath::{fast_request_id, FastRequest};
use bls_client::keys::KeyPair;
use bls_client::msgs as client_msgs;
use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::{Address, Coin, Coins};
use bls_orchestration::fastpath::msgs::{
    payload_hash, result_digest, MsgSettleReceipts, MsgSubmitEvidence, ProtoCoin, Receipt,
    SignedRequest, SignedResult, WorkerSignature, MSG_SETTLE_RECEIPTS, MSG_SUBMIT_EVIDENCE,
};
use bls_orchestration::fastpath::state::WITHDRAW_DELAY_BLOCKS;
use bls_orchestration::queries::{JobsForWorkerRequest, JobsForWorkerResponse, NextAction};
use bls_orchestration::state::Job;
use bls_registry::state::{Worker, WorkerStatus};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::ResponseFinalizeBlock;

use super::actions::Action;
use super::rng::Rng;
use crate::app_chain::{fund, genesis_doc, key, AppChain};

/// 1 BLS in ubls.
pub const BLS: u128 = 1_000_000;
/// Worker keys in the pool (some register at the start, the rest on `Register`).
pub const WORKER_SLOTS: usize = 11;
/// Workers registered at the start.
pub const INITIAL_WORKERS: usize = 8;
/// Blocks end by themselves once this many txs wait.
pub const MAX_PENDING_TXS: usize = 12;
/// The deployed functions' (replication, quorum): tolerant, strict, unanimous.
const FUNCTIONS: [(u32, u32); 3] = [(3, 2), (2, 2), (3, 3)];
/// Gas per duty message (a commit or reveal) and per settled receipt.
const GAS_PER_MSG: u64 = 300_000;

/// How an actor behaves as a worker (fixed for its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Commits and reveals the correct result of every job; signs the correct fast-path
    /// result once per request.
    Honest,
    /// Commits and reveals its own wrong result; signs its own wrong fast-path result.
    Liar,
    /// Never answers.
    Silent,
    /// Commits the correct result but never reveals; signs nothing on the fast path.
    Withholder,
}

/// A worker or head.
pub struct Actor {
    /// Label in reports.
    pub name: String,
    /// Operator (account) key.
    pub operator: KeyPair,
    /// Result-signing key.
    pub result_key: KeyPair,
    /// As a worker.
    pub behaviour: Behaviour,
    /// Registered as a head.
    pub head: bool,
    /// A head that submits receipts it should not be paid for.
    pub lying_head: bool,
}

impl Actor {
    /// Its worker id.
    pub fn addr(&self) -> &Address {
        self.operator.address()
    }
}

/// A fast-path invoker as the model tracks it.
pub struct FastInvoker {
    /// Its key.
    pub key: KeyPair,
    /// What the chain must hold as its deposit.
    pub deposit: u128,
    /// Fees of served requests not settled yet.
    pub pending_fees: u128,
    /// A requested withdrawal: amount, release height.
    pub withdrawal: Option<(u128, u64)>,
    /// Next request nonce.
    pub nonce: u64,
}

/// A deployed function.
pub struct Function {
    /// Id.
    pub id: u64,
    /// sha256 of its code.
    pub code_hash: [u8; 32],
    /// Quorum `m`.
    pub quorum: u32,
}

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

/// What the model expects the chain to answer to a tx.
pub enum Expect {
    /// Accepted (why it must be).
    Ok(String),
    /// Refused (what it tried).
    Refused(String),
    /// Either, depending on state the model does not predict.
    Either,
}

/// A tx waiting for the block: signer, messages, gas limit, and what the chain must answer.
pub struct PendingTx {
    /// Signer.
    pub key: KeyPair,
    /// Messages.
    pub msgs: Vec<Any>,
    /// Gas limit (the fee is gas × 0.025 ubls).
    pub gas: u64,
    /// Expected answer.
    pub expect: Expect,
}

/// An on-chain job not yet settled or failed.
pub struct OpenJob {
    /// Escrowed.
    pub max_fee: u128,
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
    /// Byzantine txs refused as the model expected.
    pub refused: u64,
    /// Slashes (all of byzantine workers).
    pub slashes: u64,
    /// Per message type (of a tx's first message): (accepted, refused).
    pub by_msg: BTreeMap<String, (u64, u64)>,
}

/// The world.
pub struct World {
    /// The chain.
    pub chain: AppChain,
    /// Workers (`WORKER_SLOTS`), then heads.
    pub actors: Vec<Actor>,
    /// On-chain invokers (also the users of plain sends).
    pub invokers: Vec<KeyPair>,
    /// Fast-path invokers.
    pub fast: Vec<FastInvoker>,
    /// Deploys the functions.
    pub owner: KeyPair,
    /// Reports liars.
    pub watcher: KeyPair,
    /// Deployed functions.
    pub functions: Vec<Function>,
    /// Receipts each honest head (actor index) holds.
    pub served: BTreeMap<usize, Vec<Served>>,
    /// Receipts settled so far (what a replay reuses).
    pub settled_receipts: Vec<Receipt>,
    /// Evidence a watcher may report.
    pub evidence: Vec<LiarEvidence>,
    /// Txs of the coming block (signed when the block ends, in block order).
    pub pending: Vec<PendingTx>,
    /// Jobs not yet settled or failed.
    pub open_jobs: BTreeMap<u64, OpenJob>,
    /// Supply + burned at genesis.
    pub genesis_supply: u128,
    /// Orchestration params.
    pub params: bls_orchestration::Params,
    /// Counters.
    pub stats: Stats,
    /// Broken expectations found while processing the last block.
    pub violations: Vec<String>,
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(u64::try_from(p.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// The model's `app_state`: the devnet template with short windows.
fn app_state() -> Value {
    let mut s: Value =
        serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("devnet template");
    let o = &mut s["orchestration"]["params"];
    o["commit_window"] = json!(3);
    o["reveal_window"] = json!(3);
    o["max_retries"] = json!(2);
    o["subnetwork_size"] = json!(5);
    o["dissent_jail_blocks"] = json!(10);
    let r = &mut s["registry"]["params"];
    r["signed_jobs_window"] = json!(10);
    r["min_answered_per_window"] = json!(5);
    r["jail_blocks"] = json!(10);
    r["unbonding_blocks"] = json!(20);
    s
}

impl World {
    /// Genesis, then the first block: every initial worker and head registers, the owner
    /// deploys the functions.
    pub fn new(seed: u64) -> Result<Self, String> {
        let mut rng = Rng::new(seed ^ 0x5EED_0F_AC70_25);
        // Byzantine workers: two liars, a silent worker and a withholder, in random slots;
        // at least five honest workers keep every job answerable.
        let mut behaviours = vec![Behaviour::Honest; WORKER_SLOTS];
        let byzantine = [
            Behaviour::Liar,
            Behaviour::Liar,
            Behaviour::Silent,
            Behaviour::Withholder,
        ];
        let mut free: Vec<usize> = (0..WORKER_SLOTS).collect();
        for b in byzantine {
            let i = free.remove(usize::try_from(rng.below(free.len() as u64)).unwrap_or(0));
            behaviours[i] = b;
        }
        let mut actors = Vec::new();
        for (i, b) in behaviours.iter().enumerate() {
            let n = u8::try_from(i).expect("slot");
            actors.push(Actor {
                name: format!("worker{i}:{b:?}"),
                operator: key(40 + n),
                result_key: key(120 + n),
                behaviour: *b,
                head: false,
                lying_head: false,
            });
        }
        for (i, lying) in [false, false, true].into_iter().enumerate() {
            let n = u8::try_from(i).expect("head");
            actors.push(Actor {
                name: format!("head{i}{}", if lying { ":lying" } else { "" }),
                operator: key(80 + n),
                result_key: key(160 + n),
                behaviour: Behaviour::Honest,
                head: true,
                lying_head: lying,
            });
        }
        let invokers: Vec<KeyPair> = (10..13).map(key).collect();
        let fast: Vec<FastInvoker> = (20..23)
            .map(|n| FastInvoker {
                key: key(n),
                deposit: 0,
                pending_fees: 0,
                withdrawal: None,
                nonce: 0,
            })
            .collect();
        let owner = key(1);
        let watcher = key(2);

        let mut state = app_state();
        let mut genesis_supply = 0u128;
        let mut accounts: Vec<&Address> = vec![owner.address(), watcher.address()];
        accounts.extend(invokers.iter().map(KeyPair::address));
        accounts.extend(fast.iter().map(|f| f.key.address()));
        accounts.extend(actors.iter().map(Actor::addr));
        for a in accounts {
            fund(&mut state, a, 1_000_000 * BLS);
            genesis_supply += 1_000_000 * BLS;
        }
        let doc = genesis_doc("bls-model", state, &[], Some((999, 60)));
        let chain = AppChain::start(&doc).map_err(|e| format!("genesis: {e}"))?;
        let mut w = World {
            chain,
            actors,
            invokers,
            fast,
            owner,
            watcher,
            functions: Vec::new(),
            served: BTreeMap::new(),
            settled_receipts: Vec::new(),
            evidence: Vec::new(),
            pending: Vec::new(),
            open_jobs: BTreeMap::new(),
            genesis_supply,
            params: bls_orchestration::Params::default(),
            stats: Stats::default(),
            violations: Vec::new(),
        };
        let initial: Vec<usize> = (0..INITIAL_WORKERS)
            .chain(WORKER_SLOTS..w.actors.len())
            .collect();
        for i in initial {
            let msg = w.register_msg(i);
            let key = w.actors[i].operator.clone();
            let expect = Expect::Ok(format!("{} registers", w.actors[i].name));
            w.push(&key, vec![msg], 400_000, expect);
        }
        let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
            .expect("wat");
        for (n, m) in FUNCTIONS {
            let msg = client_msgs::deploy_function(
                w.owner.address(),
                &client_msgs::Deployment {
                    wasm: wasm.clone(),
                    code_hash: Vec::new(),
                    source_uris: Vec::new(),
                    manifest_json: "{}".into(),
                    replication: n,
                    quorum: m,
                },
            );
            let owner = w.owner.clone();
            w.push(&owner, vec![msg], 4_000_000, Expect::Ok("the owner deploys".into()));
        }
        w.end_block()?;
        w.params = bls_orchestration::state::params(&w.chain.view()).map_err(|e| e.to_string())?;
        let code_hash: [u8; 32] = Sha256::digest(&wasm).into();
        for (id, (_, quorum)) in (1u64..).zip(FUNCTIONS) {
            w.functions.push(Function {
                id,
                code_hash,
                quorum,
            });
        }
        Ok(w)
    }

    fn register_msg(&self, i: usize) -> Any {
        let a = &self.actors[i];
        // Bonds above the minimum (100 / 1 000 BLS), so a slashed worker can still unjail.
        let (role, bond) = if a.head {
            ("head", 1_500 * BLS)
        } else {
            ("worker", 150 * BLS)
        };
        client_msgs::register_worker(
            a.addr(),
            &client_msgs::WorkerRegistration {
                result_pubkey: a.result_key.public_key_bytes().to_vec(),
                peer_id: format!("12D3KooW{}", hex::encode(&a.addr().as_bytes()[..8])),
                multiaddrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
                region: format!("region{}", i % 3),
                network: format!("AS{}", 100 + i),
                memory_mb: 512,
                max_timeout_ms: 900_000,
                http_allowed: false,
                role: role.into(),
                bond: Coin::ubls(bond),
            },
        )
    }

    /// The registry record of actor `i`, if it has one.
    pub fn record(&self, i: usize) -> Option<Worker> {
        bls_registry::state::get_worker(&self.chain.view(), self.actors[i].addr())
            .expect("registry readable")
    }

    fn actor_of(&self, addr: &Address) -> Option<usize> {
        self.actors.iter().position(|a| a.addr() == addr)
    }

    fn push(&mut self, key: &KeyPair, msgs: Vec<Any>, gas: u64, expect: Expect) {
        self.pending.push(PendingTx {
            key: key.clone(),
            msgs,
            gas,
            expect,
        });
    }

    fn sign(&mut self, tx: &PendingTx) -> Vec<u8> {
        self.chain.gas_limit = tx.gas;
        self.chain.fee = u128::from(tx.gas) / 40;
        self.chain.sign(&tx.key, tx.msgs.clone())
    }

    /// Performs one action (its txs wait for the block, which ends when the action says so
    /// or when `MAX_PENDING_TXS` are waiting).
    pub fn apply(&mut self, action: &Action) -> Result<(), String> {
        match *action {
            Action::EndBlock => self.end_block()?,
            Action::Idle { n } => {
                for _ in 0..n {
                    self.end_block()?;
                }
            }
            Action::Invoke {
                invoker,
                function,
                fee_mult,
                input,
            } => self.invoke(invoker, function, fee_mult, input),
            Action::Deposit { invoker, amount } => {
                let i = usize::from(invoker) % self.fast.len();
                let amount = (u128::from(amount) + 1) * 10_000;
                self.fast[i].deposit += amount;
                let msg = bls_client::fastpath::deposit(self.fast[i].key.address(), amount);
                let key = self.fast[i].key.clone();
                self.push(&key, vec![msg], 400_000, Expect::Ok("a deposit".into()));
            }
            Action::Withdraw { invoker, amount } => self.withdraw(invoker, amount),
            Action::FastRequest {
                invoker,
                function,
                head,
                input,
            } => self.fast_request(invoker, function, head, input),
            Action::HeadLie { kind, pick } => self.head_lie(kind, pick),
            Action::ReportLiar { pick } => self.report_liar(pick),
            Action::Register { slot } => {
                let i = usize::from(slot) % WORKER_SLOTS;
                if self.record(i).is_none() {
                    let msg = self.register_msg(i);
                    let key = self.actors[i].operator.clone();
                    let expect = Expect::Ok(format!("{} registers", self.actors[i].name));
                    self.push(&key, vec![msg], 400_000, expect);
                }
            }
            Action::Deregister { slot } => {
                let i = usize::from(slot) % WORKER_SLOTS;
                let active = (0..WORKER_SLOTS)
                    .filter(|j| self.record(*j).is_some_and(|w| w.status == WorkerStatus::Active))
                    .count();
                if active > 5 && self.record(i).is_some_and(|w| w.status == WorkerStatus::Active)
                {
                    let msg = client_msgs::deregister_worker(self.actors[i].addr());
                    let key = self.actors[i].operator.clone();
                    let expect = Expect::Ok(format!("{} deregisters", self.actors[i].name));
                    self.push(&key, vec![msg], 400_000, expect);
                }
            }
            Action::Unjail { slot } => {
                let i = usize::from(slot) % self.actors.len();
                if self.record(i).is_some_and(|w| w.status == WorkerStatus::Jailed) {
                    let msg = client_msgs::unjail_worker(self.actors[i].addr());
                    let key = self.actors[i].operator.clone();
                    self.push(&key, vec![msg], 400_000, Expect::Either);
                }
            }
            Action::Send { from, to, amount } => {
                let n = self.invokers.len();
                let (f, t) = (usize::from(from) % n, usize::from(to) % n);
                let coins = Coins::from_coins([Coin::ubls((u128::from(amount) + 1) * 1_000)])
                    .expect("coins");
                let msg = client_msgs::bank_send(
                    self.invokers[f].address(),
                    self.invokers[t].address(),
                    &coins,
                );
                let key = self.invokers[f].clone();
                self.push(&key, vec![msg], 400_000, Expect::Ok("a plain send".into()));
            }
            Action::SendToModuleAccount { from, account } => {
                let accounts: Vec<_> = bls_app::module_accounts::module_accounts()
                    .iter()
                    .copied()
                    .collect();
                let target = accounts[usize::from(account) % accounts.len()];
                let f = usize::from(from) % self.invokers.len();
                let coins = Coins::from_coins([Coin::ubls(1_000)]).expect("coins");
                let msg = client_msgs::bank_send(
                    self.invokers[f].address(),
                    &target.account.address(),
                    &coins,
                );
                let key = self.invokers[f].clone();
                let expect =
                    Expect::Refused(format!("a send into module account {}", target.account.name()));
                self.push(&key, vec![msg], 400_000, expect);
            }
        }
        if self.pending.len() >= MAX_PENDING_TXS {
            self.end_block()?;
        }
        Ok(())
    }

    fn invoke(&mut self, invoker: u8, function: u8, fee_mult: u8, input: u8) {
        let i = usize::from(invoker) % self.invokers.len();
        let f = &self.functions[usize::from(function) % self.functions.len()];
        let base = self.params.base_fee;
        let (max_fee, expect) = if fee_mult == 0 {
            (
                base - 1,
                Expect::Refused("an invocation below the base fee".into()),
            )
        } else {
            // Not enough active workers is a legitimate refusal the model does not predict.
            (base * u128::from(fee_mult), Expect::Either)
        };
        let msg = client_msgs::invoke(
            self.invokers[i].address(),
            f.id,
            vec![input; usize::from(input % 7) + 1],
            Vec::new(),
            &Coin::ubls(max_fee),
        );
        let key = self.invokers[i].clone();
        self.push(&key, vec![msg], 600_000, expect);
    }

    fn withdraw(&mut self, invoker: u8, amount: u8) {
        let i = usize::from(invoker) % self.fast.len();
        let next = self.chain.height + 1;
        let inv = &mut self.fast[i];
        let (msg, expect) = match inv.withdrawal {
            Some((requested, release)) if next >= release => {
                // Heads settle every block, so nothing served is pending by now.
                if inv.pending_fees > 0 {
                    return;
                }
                let paid = requested.min(inv.deposit);
                inv.deposit -= paid;
                inv.withdrawal = None;
                (
                    bls_client::fastpath::withdraw(inv.key.address(), 1),
                    Expect::Ok("a released withdrawal".into()),
                )
            }
            Some(_) => (
                bls_client::fastpath::withdraw(inv.key.address(), 1),
                Expect::Refused("a withdrawal before its release".into()),
            ),
            None => {
                let free = inv.deposit - inv.pending_fees;
                let amount = ((u128::from(amount) + 1) * 5_000).min(free);
                if amount == 0 {
                    (
                        bls_client::fastpath::withdraw(inv.key.address(), inv.deposit + 1),
                        Expect::Refused("a withdrawal above the deposit".into()),
                    )
                } else {
                    inv.withdrawal = Some((amount, next + WITHDRAW_DELAY_BLOCKS));
                    (
                        bls_client::fastpath::withdraw(inv.key.address(), amount),
                        Expect::Ok("a withdrawal request".into()),
                    )
                }
            }
        };
        let key = inv.key.clone();
        self.push(&key, vec![msg], 400_000, expect);
    }

    /// A request signed by fast invoker `i` (its next nonce).
    fn signed_request(&mut self, i: usize, function: u64, input: u8) -> (SignedRequest, [u8; 32]) {
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
    fn members(&self, function: u64) -> Vec<Address> {
        bls_orchestration::state::SUBNETS
            .may_load(&self.chain.view(), function)
            .expect("subnets readable")
            .map(|s| s.workers)
            .unwrap_or_default()
    }

    /// The correct result of a fast request.
    fn fast_result(code_hash: &[u8; 32], request: &SignedRequest) -> [u8; 32] {
        sha256(&[b"fast", code_hash, &request.payload_hash])
    }

    fn sign_result(&self, a: usize, id: &[u8; 32], code: &[u8; 32], hash: &[u8; 32]) -> Vec<u8> {
        self.actors[a]
            .result_key
            .sign(&result_digest(id, code, hash))
            .to_vec()
    }

    fn fast_request(&mut self, invoker: u8, function: u8, head: u8, input: u8) {
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
        let heads: Vec<usize> = (WORKER_SLOTS..self.actors.len())
            .filter(|h| !self.actors[*h].lying_head)
            .filter(|h| self.record(*h).is_some_and(|w| w.status == WorkerStatus::Active))
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
            if self.record(a).is_none_or(|w| w.status != WorkerStatus::Active) {
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

    fn head_lie(&mut self, kind: u8, pick: u8) {
        let Some(liar) = (WORKER_SLOTS..self.actors.len()).find(|h| self.actors[*h].lying_head)
        else {
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
                ("replays a settled receipt", self.settled_receipts[n].clone())
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
    fn honest_signatures(
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

    fn report_liar(&mut self, pick: u8) {
        if self.evidence.is_empty() {
            return;
        }
        let e = self.evidence.remove(usize::from(pick) % self.evidence.len());
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

    /// What actor `a` commits to and reveals for `job`.
    fn outcome(&self, a: usize, job: &Job) -> Vec<u8> {
        let digest = sha256(&[
            job.code_hash.as_bytes(),
            job.input.as_slice(),
            job.seed.as_bytes(),
        ]);
        let stdout = match self.actors[a].behaviour {
            Behaviour::Liar => format!("lie {} {} {}", self.actors[a].addr(), job.id, job.round),
            _ => hex::encode(&digest[..8]),
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
        }
        .canonical_bytes()
    }

    fn salt(a: &Actor, job: &Job) -> Vec<u8> {
        sha256(&[a.addr().as_bytes(), &job.id.to_be_bytes(), &job.round.to_be_bytes()])[..16]
            .to_vec()
    }

    /// Every open assignment of actor `a`, as the worker daemon reads them.
    fn open_jobs_of(&self, a: usize) -> Vec<(Job, NextAction)> {
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
    /// workers answer, honest heads settle.
    fn duties(&mut self) {
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
                    NextAction::Reveal if behaviour != Behaviour::Withholder => {
                        msgs.push(client_msgs::reveal_result(
                            self.actors[a].addr(),
                            job.id,
                            outcome,
                            salt,
                        ))
                    }
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
        for h in heads {
            let served = self.served.remove(&h).unwrap_or_default();
            // A receipt whose signers left the subnetwork (or whose function lost its
            // quorum of them) cannot settle any more: the head drops it, nobody is charged.
            let mut receipts = Vec::new();
            let mut members: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
            for s in served {
                let req = s.receipt.request.as_ref().expect("request");
                let fid = req.function_id;
                let quorum = self.functions.iter().find(|f| f.id == fid).map_or(1, |f| f.quorum);
                let m = members
                    .entry(fid)
                    .or_insert_with(|| self.members(fid).iter().map(ToString::to_string).collect());
                let keep = s.receipt.signatures.iter().all(|sig| m.contains(&sig.worker))
                    && s.receipt.signatures.len() >= usize::try_from(quorum).unwrap_or(1);
                let fee = self.params.fastpath_fee;
                self.fast[s.invoker].pending_fees -= fee;
                if keep {
                    self.fast[s.invoker].deposit -= fee;
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
    }

    /// Ends the block: duties, FinalizeBlock + Commit, expectations, events, invariants.
    pub fn end_block(&mut self) -> Result<(), String> {
        let actions = std::mem::take(&mut self.pending);
        self.duties();
        let mut order = std::mem::take(&mut self.pending);
        order.extend(actions);
        let txs: Vec<Vec<u8>> = order.iter().map(|t| self.sign(t)).collect();
        let kinds: Vec<String> = order
            .iter()
            .map(|t| t.msgs[0].type_url.rsplit('.').next().unwrap_or("?").to_string())
            .collect();
        let expects: Vec<Expect> = order.into_iter().map(|t| t.expect).collect();
        self.stats.txs += txs.len() as u64;
        let r = self.chain.block(txs);
        self.stats.blocks += 1;
        for ((res, expect), kind) in r.tx_results.iter().zip(&expects).zip(kinds) {
            let counts = self.stats.by_msg.entry(kind).or_default();
            if res.code == 0 {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            match expect {
                Expect::Ok(why) if res.code != 0 => self
                    .violations
                    .push(format!("{why}: refused ({}/{}): {}", res.codespace, res.code, res.log)),
                Expect::Refused(what) if res.code == 0 => {
                    self.violations.push(format!("{what}: accepted"))
                }
                Expect::Refused(_) => self.stats.refused += 1,
                _ => {}
            }
        }
        self.process_events(&r);
        if !self.violations.is_empty() {
            return Err(std::mem::take(&mut self.violations).join("\n"));
        }
        super::invariants::check(self)
    }

    fn process_events(&mut self, r: &ResponseFinalizeBlock) {
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
        for e in events {
            let a = attrs(e);
            match e.r#type.as_str() {
                bls_orchestration::events::JOB_ASSIGNED if a.get("round").map(String::as_str) == Some("0") => {
                    let id: u64 = a["job_id"].parse().expect("job id");
                    let job = bls_orchestration::state::must_get_job(&self.chain.view(), id)
                        .expect("assigned job");
                    self.open_jobs.insert(
                        id,
                        OpenJob {
                            max_fee: job.max_fee,
                            height: job.height,
                        },
                    );
                }
                bls_orchestration::events::JOB_SETTLED => {
                    let id: u64 = a["job_id"].parse().expect("job id");
                    let Some(open) = self.open_jobs.remove(&id) else {
                        self.violations.push(format!("job {id} settled but was not open"));
                        continue;
                    };
                    let k = a["workers"].split(',').filter(|s| !s.is_empty()).count() as u128;
                    let (fee, per, burn, community, refund) = (
                        num(&a, "fee"),
                        num(&a, "per_worker"),
                        num(&a, "burn"),
                        num(&a, "community"),
                        num(&a, "refund"),
                    );
                    if per * k + burn + community != fee || fee + refund != open.max_fee {
                        self.violations.push(format!(
                            "job {id}: escrow {} != paid {per}×{k} + burned {burn} + community \
                             {community} + refunded {refund}",
                            open.max_fee
                        ));
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
                        None => self.violations.push(format!("job {id} failed but was not open")),
                    }
                    self.stats.jobs_failed += 1;
                }
                bls_registry::events::WORKER_SLASHED => {
                    let w = a["worker"].clone();
                    let who = Address::parse(&w).ok().and_then(|x| self.actor_of(&x));
                    if who.is_some_and(|i| self.actors[i].behaviour == Behaviour::Honest) {
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
                    self.violations
                        .push(format!("liar {} lost job {id}'s quorum unpunished", asg.worker));
                }
            }
        }
    }
}
