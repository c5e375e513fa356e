//! The world of a run: the chain, its actors with their fixed behaviours, what the model
//! expects of every tx, and the ledger the invariants compare the chain with.
//!
//! Actors act like the real daemons do: every block each worker answers its open assignments
//! (`JobsForWorker`, the worker daemon's query) as its behaviour says, each head settles what
//! it served, honest heads answer challenges of their charges from their outcome store (the
//! byzantine head never does, and asks to be unjailed when its jail ends). Random
//! [`Action`]s add everything else: invokers, the byzantine head's bad receipts, watchers'
//! reports, challenges, the forger, churn. Liars lie independently (every lie differs): a job whose majority colludes is
//! outside the trust model (the quorum decides), so the model never builds one.
//!
//! Jobs are assigned in the begin block after their invoke (deferred assignment, with the
//! beacon's randomness; the model's chain has no vote extensions, so the beacon falls back to
//! the block hash, which is all deferred assignment needs in-process).

use std::collections::BTreeMap;

use bls_client::keys::KeyPair;
use bls_client::msgs as client_msgs;
use bls_core::{Address, Coin, Coins};
use bls_orchestration::fastpath::msgs::Receipt;
use bls_registry::state::{Worker, WorkerStatus};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::ExecTxResult;

use super::actions::Action;
use super::actors::{Actor, Behaviour, FastInvoker, Function};
use super::fastpath::{LiarEvidence, Served, StatementRecord};
use super::heads::{OpenChallenge, SettledRequest};
use super::ledger::{OpenJob, Stats};
use super::rng::Rng;
use crate::app_chain::{check_coin_events, coin_flow, fund, genesis_doc, key, AppChain, CoinFlow};

/// 1 BLS in ubls.
pub const BLS: u128 = 1_000_000;
/// Worker keys in the pool (some register at the start, the rest on `Register`).
pub const WORKER_SLOTS: usize = 11;
/// Workers registered at the start.
pub const INITIAL_WORKERS: usize = 8;
/// Blocks end by themselves once this many txs wait.
pub const MAX_PENDING_TXS: usize = 12;
/// The deployed functions' (replication, quorum): tolerant, strict, unanimous.
/// Replication, quorum and manifest of each function the owner deploys; the last one calls the
/// first (composition: on chain only, its calls paid from a reserve escrowed at invoke).
const FUNCTIONS: [(u32, u32, &str); 4] = [
    (3, 2, "{}"),
    (2, 2, "{}"),
    (3, 3, "{}"),
    (3, 2, r#"{"calls":[1]}"#),
];
/// The owner lists the first function at this price per invocation (below the fast-path fee,
/// so a fast request's `max_fee` of twice the fee covers it whole).
pub const LISTED_PRICE: u128 = 700;
/// Gas per duty message (a commit or reveal) and per settled receipt.
pub const GAS_PER_MSG: u64 = 300_000;
/// Blocks after the tip a fast request expires (well inside `fastpath_request_ttl`).
pub const EXPIRES_IN: u64 = 5;
/// Statements kept for `ReportHead` (the oldest are dropped: their dispute window is long
/// closed).
pub const MAX_STATEMENTS: usize = 64;

/// A check of one tx's result against the state after its block.
pub type TxCheck = Box<dyn Fn(&World, &ExecTxResult) -> Result<(), String>>;

/// What the model expects the chain to answer to a tx.
pub enum Expect {
    /// Accepted (why it must be).
    Ok(String),
    /// Refused (what it tried).
    Refused(String),
    /// Either, depending on state the model does not predict.
    Either,
    /// Decided after the block, from the state it left (when the answer depends on what
    /// the block's begin block did, e.g. who is in a subnetwork).
    Check(TxCheck),
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

/// The world.
pub struct World {
    /// The chain.
    pub chain: AppChain,
    /// Workers (`WORKER_SLOTS`), then heads, then the forger's worker.
    pub actors: Vec<Actor>,
    /// The forger's own n = 1, m = 1 function.
    pub forger_function: u64,
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
    /// Statements heads signed for what they served (what a `ReportHead` picks from).
    pub statements: Vec<StatementRecord>,
    /// Outcome bytes of every served request, by request id (what an honest head answers a
    /// challenge with: its outcome store).
    pub outcomes: BTreeMap<[u8; 32], Vec<u8>>,
    /// Requests settled by a head, as the chain must remember them for challenges.
    pub settlements: BTreeMap<[u8; 32], SettledRequest>,
    /// Challenges open on chain.
    pub challenges: BTreeMap<[u8; 32], OpenChallenge>,
    /// (request, head actor) pairs a head was punished for.
    pub punished: std::collections::BTreeSet<([u8; 32], usize)>,
    /// Requests whose head report waits in the coming block (it refunds the charge before a
    /// later challenge in the block runs).
    pub reports_pending: std::collections::BTreeSet<[u8; 32]>,
    /// (signer, jailed, slashed total) of the signers forged evidence named, taken when it
    /// was submitted: none may be slashed or jailed by its block.
    pub forge_victims: Vec<(usize, bool, u128)>,
    /// Txs of the coming block (signed when the block ends, in block order).
    pub pending: Vec<PendingTx>,
    /// Jobs not yet settled or failed.
    pub open_jobs: BTreeMap<u64, OpenJob>,
    /// Every block's coin events so far, summed.
    pub coin_flow: CoinFlow,
    /// Supply + burned at genesis.
    pub genesis_supply: u128,
    /// Orchestration params.
    pub params: bls_orchestration::Params,
    /// Counters.
    pub stats: Stats,
    /// Broken expectations found while processing the last block.
    pub violations: Vec<String>,
    /// The owner's balance once set up (it sends nothing afterwards).
    pub owner_balance0: u128,
    /// Listing prices paid to the owner so far (`bls.royalty_paid` events).
    pub royalties: u128,
}

pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
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
    o["max_retries"] = json!(1);
    o["subnetwork_size"] = json!(5);
    o["dissent_jail_blocks"] = json!(10);
    o["fastpath_request_ttl"] = json!(10);
    o["fastpath_settle_window"] = json!(10);
    o["head_dispute_window"] = json!(10);
    o["challenge_window"] = json!(4);
    o["head_jail_blocks"] = json!(10);
    // Finished jobs are deleted a few blocks after they finish, so every run exercises it.
    o["job_retention_blocks"] = json!(4);
    // Small, so the byzantine head keeps a bond above the minimum through many punishments.
    o["head_slash_fraction_bps"] = json!(100);
    let r = &mut s["registry"]["params"];
    r["signed_jobs_window"] = json!(10);
    r["min_answered_per_window"] = json!(5);
    r["jail_blocks"] = json!(10);
    // Above every fast-path reach above (ttl + settle 20, ttl + dispute 20, dispute +
    // challenge + 1 = 15), as genesis requires.
    r["unbonding_blocks"] = json!(30);
    s
}

impl World {
    /// Genesis, then the first block: every initial worker and head registers, the owner
    /// deploys the functions, a forger registers a worker and deploys its own n = 1, m = 1
    /// function. `open_attacks` adds the actors of attacks not stopped yet (none today).
    pub fn new(seed: u64, open_attacks: bool) -> Result<Self, String> {
        let _ = open_attacks;
        let mut rng = Rng::new(seed ^ 0x5EED_0FAC_7025);
        // Byzantine workers: a liar, a fast-path liar, a silent worker and a withholder, in random slots;
        // at least five honest workers keep every job answerable.
        let mut behaviours = [Behaviour::Honest; WORKER_SLOTS];
        let byzantine = [
            Behaviour::Liar,
            Behaviour::FastLiar,
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
                byzantine_head: false,
                bond: 150 * BLS,
            });
        }
        for (i, byzantine) in [false, false, true].into_iter().enumerate() {
            let n = u8::try_from(i).expect("head");
            actors.push(Actor {
                name: format!("head{i}{}", if byzantine { ":byzantine" } else { "" }),
                operator: key(80 + n),
                result_key: key(160 + n),
                behaviour: Behaviour::Honest,
                head: true,
                byzantine_head: byzantine,
                bond: 1_500 * BLS,
            });
        }
        actors.push(Actor {
            name: "forger".into(),
            operator: key(3),
            result_key: key(200),
            behaviour: Behaviour::Silent,
            head: false,
            byzantine_head: false,
            bond: 150 * BLS,
        });
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
            forger_function: u64::try_from(FUNCTIONS.len()).expect("count") + 1,
            served: BTreeMap::new(),
            settled_receipts: Vec::new(),
            evidence: Vec::new(),
            statements: Vec::new(),
            outcomes: BTreeMap::new(),
            settlements: BTreeMap::new(),
            challenges: BTreeMap::new(),
            punished: Default::default(),
            reports_pending: Default::default(),
            forge_victims: Vec::new(),
            pending: Vec::new(),
            open_jobs: BTreeMap::new(),
            coin_flow: CoinFlow::default(),
            genesis_supply,
            params: bls_orchestration::Params::default(),
            stats: Stats::default(),
            violations: Vec::new(),
            owner_balance0: 0,
            royalties: 0,
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
        let wasm =
            wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
                .expect("wat");
        for (n, m, manifest) in FUNCTIONS {
            let msg = client_msgs::deploy_function(
                w.owner.address(),
                &client_msgs::Deployment {
                    wasm: wasm.clone(),
                    code_hash: Vec::new(),
                    source_uris: Vec::new(),
                    manifest_json: manifest.into(),
                    replication: n,
                    quorum: m,
                    code_size: 0,
                },
            );
            let owner = w.owner.clone();
            w.push(
                &owner,
                vec![msg],
                4_000_000,
                Expect::Ok("the owner deploys".into()),
            );
        }
        {
            let forger = w.actors[w.actors.len() - 1].operator.clone();
            let msg = client_msgs::deploy_function(
                forger.address(),
                &client_msgs::Deployment {
                    wasm: wasm.clone(),
                    code_hash: Vec::new(),
                    source_uris: Vec::new(),
                    manifest_json: "{}".into(),
                    replication: 1,
                    quorum: 1,
                    code_size: 0,
                },
            );
            w.push(
                &forger,
                vec![msg],
                4_000_000,
                Expect::Ok("the forger deploys".into()),
            );
        }
        w.end_block()?;
        w.params = bls_orchestration::state::params(&w.chain.view()).map_err(|e| e.to_string())?;
        let code_hash: [u8; 32] = Sha256::digest(&wasm).into();
        for (id, (_, quorum, manifest)) in (1u64..).zip(FUNCTIONS) {
            let calls = bls_core::manifest::Manifest::from_json(manifest.as_bytes())
                .expect("manifest")
                .calls;
            // Every callee is function 1, listed at LISTED_PRICE.
            let call_reserve = if calls.is_empty() {
                0
            } else {
                u128::from(bls_core::composition::MAX_CALLS_PER_JOB) * LISTED_PRICE
            };
            w.functions.push(Function {
                id,
                code_hash,
                quorum,
                price: if id == 1 { LISTED_PRICE } else { 0 },
                calls,
                call_reserve,
            });
        }
        let owner = w.owner.clone();
        let listing = bls_client::market::publish(
            owner.address(),
            1,
            &bls_client::market::ListingFields {
                name: "tolerant".into(),
                price: LISTED_PRICE,
                ..Default::default()
            },
        );
        w.push(
            &owner,
            vec![listing],
            400_000,
            Expect::Ok("the owner lists its first function".into()),
        );
        w.end_block()?;
        w.owner_balance0 = w.chain.balance(owner.address());
        Ok(w)
    }

    fn register_msg(&self, i: usize) -> Any {
        let a = &self.actors[i];
        // Bonds above the minimum (100 / 1 000 BLS), so a slashed worker can still unjail.
        let (role, bond) = if a.head {
            ("head", a.bond)
        } else {
            ("worker", a.bond)
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
                encryption_pubkey: Vec::new(),
            },
        )
    }

    /// The registry record of actor `i`, if it has one.
    pub fn record(&self, i: usize) -> Option<Worker> {
        bls_registry::state::get_worker(&self.chain.view(), self.actors[i].addr())
            .expect("registry readable")
    }

    pub(super) fn actor_of(&self, addr: &Address) -> Option<usize> {
        self.actors.iter().position(|a| a.addr() == addr)
    }

    pub(super) fn push(&mut self, key: &KeyPair, msgs: Vec<Any>, gas: u64, expect: Expect) {
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
            } => self.fast_request(invoker, function, head, input, None),
            Action::FastRequestTwice {
                invoker,
                function,
                head,
                other,
                input,
            } => self.fast_request(invoker, function, head, input, Some(other)),
            Action::HeadLie { kind, pick } => self.head_lie(kind, pick),
            Action::ReportHead { pick } => self.report_head(pick),
            Action::Challenge { kind, pick } => self.challenge(kind, pick),
            Action::ReportLiar { pick } => self.report_liar(pick),
            Action::Register { slot } => {
                let i = usize::from(slot) % WORKER_SLOTS;
                // Not twice in one block.
                let queued = self
                    .pending
                    .iter()
                    .any(|t| t.key.address() == self.actors[i].addr());
                if self.record(i).is_none() && !queued {
                    let msg = self.register_msg(i);
                    let key = self.actors[i].operator.clone();
                    let expect = Expect::Ok(format!("{} registers", self.actors[i].name));
                    self.push(&key, vec![msg], 400_000, expect);
                }
            }
            Action::Deregister { slot } => {
                let i = usize::from(slot) % WORKER_SLOTS;
                let active = (0..WORKER_SLOTS)
                    .filter(|j| {
                        self.record(*j)
                            .is_some_and(|w| w.status == WorkerStatus::Active)
                    })
                    .count();
                if active > 5
                    && self
                        .record(i)
                        .is_some_and(|w| w.status == WorkerStatus::Active)
                {
                    let msg = client_msgs::deregister_worker(self.actors[i].addr());
                    let key = self.actors[i].operator.clone();
                    let expect = Expect::Ok(format!("{} deregisters", self.actors[i].name));
                    self.push(&key, vec![msg], 400_000, expect);
                }
            }
            Action::Unjail { slot } => {
                let i = usize::from(slot) % self.actors.len();
                if self
                    .record(i)
                    .is_some_and(|w| w.status == WorkerStatus::Jailed)
                {
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
            Action::ForgeEvidence { pick } => self.forge_evidence(pick),
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
                let expect = Expect::Refused(format!(
                    "a send into module account {}",
                    target.account.name()
                ));
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
        // The model's functions all have the default manifest.
        let worst = bls_orchestration::pricing::worst_case_fee(
            &self.params,
            &bls_core::manifest::Manifest::default().limits,
        );
        // A listed function's price and its calls' reserve are escrowed on top of the worst case.
        let least = worst + f.price + f.call_reserve;
        let (max_fee, expect) = if fee_mult == 0 {
            (
                least - 1,
                Expect::Refused("an invocation below its worst-case fee and price".into()),
            )
        } else {
            // Not enough active workers is a legitimate refusal the model does not predict.
            (least * u128::from(fee_mult), Expect::Either)
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
                    inv.withdrawal = Some((amount, next + self.params.fastpath_withdraw_delay));
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

    /// Ends the block: duties, FinalizeBlock + Commit, expectations, events, invariants.
    pub fn end_block(&mut self) -> Result<(), String> {
        let actions = std::mem::take(&mut self.pending);
        self.reports_pending.clear();
        self.duties();
        let mut order = std::mem::take(&mut self.pending);
        order.extend(actions);
        let txs: Vec<Vec<u8>> = order.iter().map(|t| self.sign(t)).collect();
        let kinds: Vec<String> = order
            .iter()
            .map(|t| {
                t.msgs[0]
                    .type_url
                    .rsplit('.')
                    .next()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        let expects: Vec<Expect> = order.into_iter().map(|t| t.expect).collect();
        self.stats.txs += txs.len() as u64;
        let (holdings, supply) = (self.chain.holdings(), self.chain.supply());
        let r = self.chain.block(txs);
        self.stats.blocks += 1;
        // Every coin that moved, appeared or vanished in the block has its coin events. The
        // genesis state is committed with the first block, so that one has no state before it
        // to compare with.
        let supply_change = i128::try_from(self.chain.supply()).expect("supply")
            - i128::try_from(supply).expect("supply");
        let first_block = self.chain.height == 1;
        match coin_flow(&r).and_then(|flow| {
            if first_block {
                return Ok(flow);
            }
            check_coin_events(&holdings, &self.chain.holdings(), supply_change, &flow)?;
            Ok(flow)
        }) {
            Ok(flow) => {
                self.stats.coin_events += flow.events as u64;
                self.coin_flow.add(&flow);
            }
            Err(e) => self.violations.push(format!("coin events: {e}")),
        }
        self.process_events(&r);
        for ((res, expect), kind) in r.tx_results.iter().zip(&expects).zip(kinds) {
            let counts = self.stats.by_msg.entry(kind).or_default();
            if res.code == 0 {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
            match expect {
                Expect::Ok(why) if res.code != 0 => self.violations.push(format!(
                    "{why}: refused ({}/{}): {}",
                    res.codespace, res.code, res.log
                )),
                Expect::Refused(what) if res.code == 0 => {
                    self.violations.push(format!("{what}: accepted"))
                }
                Expect::Refused(_) => self.stats.refused += 1,
                Expect::Check(check) => {
                    if let Err(e) = check(self, res) {
                        self.violations.push(e);
                    } else if res.code != 0 {
                        self.stats.refused += 1;
                    }
                }
                _ => {}
            }
        }
        self.check_forge_victims();
        if !self.violations.is_empty() {
            return Err(std::mem::take(&mut self.violations).join("\n"));
        }
        super::invariants::check(self)
    }
}
