//! Executing fast-path work: a work order is checked (the invoker's signature over the
//! recomputed request id, the request's window against the chain tip, its code hash against
//! the function's current code; that this worker is Active, a member of the function's
//! subnetwork and fits its manifest; that the invoker's deposit covers the fee; that the
//! answer store has room for the sending head — [`super::refusal`]), executed in the sandbox
//! with the clock the invoker signed and answered with the outcome and this worker's signature
//! over (request id, code hash, result hash). The answer is persisted before it is sent, and
//! every later copy of the request — from any head, after a restart — gets that same answer:
//! this worker never signs two results for one request ([`crate::daemon::answers`]).
//!
//! Code comes from [`super::code_fetch`]; the run itself is [`crate::daemon::runner`]'s, the
//! same as for the chain's jobs.

use std::sync::Arc;

use bls_client::fastpath::DEPOSIT_QUERY;
use bls_client::orchestration::PARAMS_QUERY;
use bls_client::KeyPair;
use bls_orchestration::fastpath::fee::fastpath_fee;
use bls_orchestration::fastpath::msgs::{payload_hash_sealed, result_digest};
use bls_orchestration::fastpath::queries::DepositResponse;
use bls_orchestration::fastpath::request::{key_window, serve_window, Window};
use bls_orchestration::handlers::results::max_outcome_len;
use bls_orchestration::queries::ParamsResponse;
use bls_registry::msgs::Capabilities;
use bls_runtime::{BlockTime, Job, Manifest};
use libp2p::PeerId;

use super::code_fetch::CodeFetcher;
use super::node::P2pHandle;
use super::peers::PeerBook;
use super::protocol::{WorkOrder, WorkReply};
use super::refusal::{admit, Refusal};
use crate::daemon::answers::{Answer, AnswerStore};
use crate::daemon::chain::Chain;
use crate::daemon::fault::Fault;
use crate::daemon::runner::{Ran, Runner};
use crate::daemon::secrets::{Freshness, SecretsFailure, WorkerSecrets};
use crate::keyed_locks::KeyedLocks;
use crate::metrics::Metrics;

/// Executes fast-path work orders; shared by the worker service ([`super::serve`]), discovery,
/// gossip and the head (which also runs its own share through it).
pub struct Executor {
    /// Chain queries.
    pub chain: Chain,
    /// Chain id (request ids bind it).
    pub chain_id: String,
    /// The worker key (result signatures).
    pub key: KeyPair,
    /// What this worker's config lets it run (`[worker]`); a work order for a manifest that
    /// does not fit is refused ([`crate::daemon::fit`]).
    pub caps: Capabilities,
    /// Where code comes from: the runtime's cache, providing peers, the chain.
    pub code: Arc<CodeFetcher>,
    /// The sandbox, with outcome metrics and the worker's test fault.
    pub runner: Runner,
    /// Every fast-path answer this worker signed, by request id (persisted before it is sent).
    pub answers: AnswerStore,
    /// One execution per request id at a time: concurrent copies of a request (through two
    /// heads) wait for the first and get its stored answer.
    pub requests: KeyedLocks<[u8; 32]>,
    /// The p2p node.
    pub p2p: P2pHandle,
    /// Registered peers (shared with the node's gate).
    pub peers: Arc<PeerBook>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Test-only misbehaviour (the head's faults read it; the runner applies the worker's).
    pub fault: Option<Fault>,
    /// Opening the function's sealed secrets.
    pub secrets: Arc<WorkerSecrets>,
}

impl Executor {
    /// Executes a work order (after checking it against the chain) and signs the result.
    /// `from` is the sending head (`None`: this worker, as a head, runs its own share). A
    /// refusal is logged, counted (`bls_worker_work_refusals_total{kind}`) and sent back.
    pub async fn execute(&self, order: &WorkOrder, from: Option<&PeerId>) -> WorkReply {
        match self.try_execute(order, from).await {
            Ok(r) => r,
            Err(why) => self.refuse(&why, from),
        }
    }

    /// The reply for a refused work order; counts and logs it.
    pub fn refuse(&self, why: &Refusal, from: Option<&PeerId>) -> WorkReply {
        self.metrics.work_refusal(why.kind());
        let head = from.map(|p| p.to_string()).unwrap_or_default();
        tracing::warn!(head, kind = why.kind(), why = %why, "work order refused");
        WorkReply::Refused(format!("{}: {why}", why.kind()))
    }

    async fn try_execute(
        &self,
        order: &WorkOrder,
        from: Option<&PeerId>,
    ) -> Result<WorkReply, Refusal> {
        let req = order
            .request
            .verify(&self.chain_id)
            .map_err(|e| Refusal::BadRequest(e.to_string()))?;
        let sealed = bls_client::secrets::request_commitments(&order.sealed_env)
            .map_err(Refusal::BadRequest)?;
        let payload = payload_hash_sealed(&order.input, &order.args, &order.env, &sealed);
        if req.terms.payload_hash != payload {
            return Err(Refusal::PayloadMismatch);
        }
        let id = req.id;
        let head = from.map(|p| p.to_string()).unwrap_or_default();
        // Concurrent copies of this request run once; every later copy, whichever head sends
        // it and even after a restart, gets the answer stored for it.
        let _turn = self.requests.lock(&id).await;
        if let Some(a) = self
            .answers
            .get(&id)
            .map_err(|e| Refusal::Store(e.into()))?
        {
            tracing::info!(request = %hex::encode(id), "answered from the stored answer");
            return answer_reply(a).map_err(Refusal::Execution);
        }
        let view = self.chain.view();
        let no_args = serde_json::json!({});
        let me = self.key.address().to_string();
        let (tip, params, f, record) = tokio::join!(
            view.tip(),
            view.query::<_, ParamsResponse>(PARAMS_QUERY, &no_args),
            self.chain.function(req.terms.function_id),
            self.chain.worker_of_cached(&me),
        );
        let tip = tip
            .map_err(|e| Refusal::Chain(format!("chain tip: {e}")))?
            .height;
        let params = params
            .map_err(|e| Refusal::Chain(format!("params: {e}")))?
            .params;
        let ttl = params.fastpath_request_ttl;
        match serve_window(req.terms.expiry_height, tip, ttl) {
            Window::Open => {}
            Window::Closed { until } => {
                return Err(Refusal::Window(format!(
                    "request expired at height {until} (tip {tip})"
                )))
            }
            Window::TooEarly { from } => {
                return Err(Refusal::Window(format!(
                    "request expires more than fastpath_request_ttl ({ttl}) blocks ahead of the tip {tip} (valid from height {from})"
                )))
            }
        }
        let f =
            f.map_err(|e| Refusal::Chain(format!("function {}: {e}", req.terms.function_id)))?;
        let record = record.map_err(|e| Refusal::Chain(format!("this worker's record: {e}")))?;
        let function = f.function;
        let code_hash = bls_orchestration::state::parse_hash(&function.code_hash)
            .ok_or_else(|| Refusal::Code("bad code hash on chain".into()))?;
        if req.terms.code_hash != code_hash {
            return Err(Refusal::Code(format!(
                "requested code hash {} is not the function's code {}",
                hex::encode(req.terms.code_hash),
                function.code_hash
            )));
        }
        let manifest = Manifest::from_json(function.manifest_json.as_bytes())
            .and_then(|m| m.with_request_env(&order.env))
            .map_err(|e| Refusal::Code(format!("manifest: {e}")))?;
        if !manifest.calls.is_empty() {
            return Err(Refusal::Code(format!(
                "function {}: {}",
                req.terms.function_id,
                bls_core::composition::FAST_PATH_REFUSAL
            )));
        }
        let members = f
            .subnetwork
            .as_ref()
            .map(|s| s.workers.as_slice())
            .unwrap_or_default();
        admit(
            &me,
            record.as_ref(),
            req.terms.function_id,
            members,
            &manifest,
            &self.caps,
        )?;
        let fee = fastpath_fee(&params, &manifest);
        if req.terms.max_fee < fee {
            return Err(Refusal::MaxFeeBelowFee {
                function: req.terms.function_id,
                max_fee: req.terms.max_fee,
                fee,
            });
        }
        let invoker = req.invoker.to_string();
        let mut spendable = self.spendable(&invoker, true).await?;
        if spendable < fee {
            // A refusal never rests on a cached read: the invoker may have just topped up.
            spendable = self.spendable(&invoker, false).await?;
        }
        if spendable < fee {
            return Err(Refusal::Unfunded {
                invoker,
                spendable,
                fee,
            });
        }
        // Room for the largest answer this function can produce, before spending a run on it.
        let most = AnswerStore::answer_size(max_outcome_len(manifest.limits.output_bytes));
        self.answers.check_room(&head, most, tip)?;
        self.code
            .ensure(
                code_hash,
                from,
                &crate::daemon::code::CodeSources::of_function(&function),
            )
            .await
            .map_err(|e| Refusal::Code(e.to_string()))?;
        let fresh = Freshness::AtLeast {
            min_height: key_window(req.terms.expiry_height, ttl).0,
            tip,
        };
        let secrets = match self
            .secrets
            .open_for(req.terms.function_id, None, fresh)
            .await
        {
            Ok(s) => s,
            Err(SecretsFailure::Query(e)) => return Err(Refusal::Chain(format!("secrets: {e}"))),
            Err(failure) => {
                // An envelope that does not open is reported (no job to decline) so the chain
                // deletes it and a member re-seals it; a missing one is already waiting for
                // that. Either way this worker refuses rather than run without it.
                if matches!(failure, SecretsFailure::Unopenable { .. }) {
                    self.secrets
                        .report(req.terms.function_id, 0, &failure)
                        .await;
                }
                return Err(Refusal::Secrets(failure.to_string()));
            }
        };
        let mut secrets = secrets;
        // `manifest.env` already holds the request's env (which may not shadow the manifest's).
        let clash = order.env.keys().find(|k| secrets.contains(k)).or_else(|| {
            sealed
                .keys()
                .find(|k| secrets.contains(k) || manifest.env.contains_key(*k))
        });
        if let Some(name) = clash {
            return Err(Refusal::Code(format!(
                "the request's env or sealed_env names {name:?}, already a variable of the function"
            )));
        }
        self.open_request_secrets(order, &req.terms, &mut secrets)?;
        let job = Job {
            id,
            code_hash,
            manifest,
            input: order.input.clone(),
            args: order.args.clone(),
            // The clock the invoker signed: the same for every worker, whoever relays it.
            block_time: BlockTime {
                seconds: req.terms.time_secs,
                nanos: req.terms.time_nanos,
            },
            data_dir: None,
            secrets,
            // Refused above: a fast-path job calls nothing.
            callees: Vec::new(),
        };
        let Ran {
            bytes, result_hash, ..
        } = self
            .runner
            .run(&job)
            .await
            .map_err(|e| Refusal::Execution(e.to_string()))?;
        let signature = self
            .key
            .sign(&result_digest(&id, &code_hash, &result_hash))
            .to_vec();
        let answer = Answer {
            request_id: hex::encode(id),
            expiry_height: req.terms.expiry_height,
            worker: self.key.address().to_string(),
            outcome: hex::encode(&bytes),
            result_hash: hex::encode(result_hash),
            signature: hex::encode(&signature),
            head,
        };
        // Durable before it leaves: a crash after sending must not allow a second signature.
        self.answers.put(&id, &answer, tip)?;
        Ok(WorkReply::Done {
            worker: answer.worker,
            outcome: bytes,
            result_hash: result_hash.to_vec(),
            signature,
        })
    }

    /// Opens this worker's envelope of each of the request's sealed secrets (sealed for this
    /// invoker and nonce) and adds the values to `env`. A missing envelope, one that does not
    /// open or a value that differs from the signed commitment: refused, nothing run.
    fn open_request_secrets(
        &self,
        order: &WorkOrder,
        terms: &bls_orchestration::fastpath::request::RequestTerms,
        env: &mut bls_runtime::SecretEnv,
    ) -> Result<(), Refusal> {
        let me = self.key.address().to_string();
        for s in &order.sealed_env {
            let refuse =
                |why: String| Refusal::Secrets(format!("request secret {}: {why}", s.name));
            let e = s
                .envelopes
                .iter()
                .find(|e| e.worker == me)
                .ok_or_else(|| refuse("no envelope for this worker".into()))?;
            let envelope = bls_client::sealed::Envelope {
                enc: hex::decode(&e.enc).map_err(|_| refuse("enc is not hex".into()))?,
                ciphertext: hex::decode(&e.ciphertext)
                    .map_err(|_| refuse("ciphertext is not hex".into()))?,
            };
            let commitment =
                hex::decode(&s.commitment).map_err(|_| refuse("commitment is not hex".into()))?;
            let scope = bls_client::sealed::Scope::Request {
                chain_id: &self.chain_id,
                function_id: terms.function_id,
                invoker: &terms.invoker,
                nonce: terms.nonce,
                name: &s.name,
            };
            let value = self
                .secrets
                .key()
                .open(&me, &scope, &envelope, &commitment)
                .map_err(|err| refuse(err.to_string()))?;
            env.insert(&s.name, zeroize::Zeroizing::new(value.value().to_string()));
        }
        Ok(())
    }

    /// What `invoker` may spend from its fast-path deposit (deposit minus requested
    /// withdrawals), from the short-lived cache when `cached`.
    async fn spendable(&self, invoker: &str, cached: bool) -> Result<u128, Refusal> {
        let q = serde_json::json!({ "invoker": invoker });
        let dep: Result<DepositResponse, _> = if cached {
            self.chain.view().query(DEPOSIT_QUERY, &q).await
        } else {
            self.chain.rpc().query_json(DEPOSIT_QUERY, &q).await
        };
        let dep = dep.map_err(|e| Refusal::Chain(format!("deposit of {invoker}: {e}")))?;
        Ok(dep
            .deposit
            .parse::<u128>()
            .unwrap_or(0)
            .saturating_sub(dep.withdrawing.parse::<u128>().unwrap_or(0)))
    }
}

/// A stored answer as a work reply.
fn answer_reply(a: Answer) -> Result<WorkReply, String> {
    let bytes = |what: &str, h: &str| {
        hex::decode(h).map_err(|_| format!("stored answer: {what} is not hex"))
    };
    Ok(WorkReply::Done {
        worker: a.worker,
        outcome: bytes("outcome", &a.outcome)?,
        result_hash: bytes("result_hash", &a.result_hash)?,
        signature: bytes("signature", &a.signature)?,
    })
}
