//! The head worker's HTTP API (the fast path): `POST /api/v1/functions/execute` runs a
//! signed, funded request on workers picked from the function's on-chain subnetwork and
//! returns the quorum result with every agreeing worker's signature;
//! `POST /api/v1/functions/requests/result` returns a cached result by request id;
//! `GET /api/v1/health`. Served requests become receipts settled on chain ([`settle`]).
//!
//! Signed results that contradict the quorum are submitted as evidence
//! (`MsgSubmitEvidence`) by the head itself ([`evidence`]).
//!
//! The invoker signs everything that determines the result (request v2: code hash, input,
//! expiry height, guest clock); the head only relays it. It serves a request only while
//! `tip ≤ expiry_height ≤ tip + fastpath_request_ttl` and only for the function's current
//! code, and charges [`fastpath_fee`] (the flat fee plus the manifest's timeout priced per
//! second).
//!
//! The head answers for what it serves: every answer carries its signature over a statement
//! of the request (its v2 id), code, result, the outcome bytes served, the chain state it
//! read (dated by the tip it served at, which lies in the request's window) and the worker
//! signatures it presents ([`statement`]); a lie in it is provable on chain. The outcome of
//! every served request is kept ([`served`]) until no challenge of its charge can be answered
//! any more, and challenges are answered by the head itself ([`challenges`]).
//!
//! Refusals are 4xx with a reason: 400 malformed, expired or not yet valid, or for code that
//! is not the function's current code; 401 bad or missing signature; 402 unfunded deposit or
//! `max_fee` below the fee; 403 head not pinned, 404 unknown function, 409 already served
//! (result no longer cached), 413 too large, 422 an outcome too large to answer for on
//! chain, 429 rate limited; 503 when too few workers agree or the served-outcome store is
//! full.

pub mod answer_cache;
pub mod challenges;
pub mod deposits;
pub mod dispatch;
pub mod evidence;
pub mod limits;
pub mod served;
pub mod settle;
pub mod statement;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use bls_client::fastpath::DEPOSIT_QUERY;
use bls_client::fastpath::{signed_body, BodyError, SignedBody};
use bls_client::head_api::{ErrorBody, ExecuteRequest, ExecuteResponse, ResultRequest, WorkerSig};
use bls_client::orchestration::{PARAMS_QUERY, PINNED_HEADS_QUERY};
use bls_core::outcome::{ExitStatus, Outcome};
use bls_orchestration::fastpath::fee::fastpath_fee;
use bls_orchestration::fastpath::msgs::{Receipt, WorkerSignature};
use bls_orchestration::fastpath::queries::{DepositResponse, PinnedHeadsResponse};
use bls_orchestration::fastpath::request::{serve_window, RequestError, Window};
use bls_orchestration::queries::ParamsResponse;
use futures::future::join_all;

use crate::p2p::executor::Executor;
use crate::p2p::protocol::WorkOrder;

/// Limits of the head API.
#[derive(Debug, Clone)]
pub struct HeadConfig {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Web origins allowed to call the API from a browser (`*`: any; empty: no CORS).
    pub cors_origins: Vec<String>,
    /// Sustained requests per second per account.
    pub rate_per_sec: u32,
    /// Burst per account.
    pub burst: u32,
    /// How often pending receipts are settled.
    pub settle_interval: Duration,
    /// Where served-but-unsettled receipts are journaled (`None`: memory only, lost on a
    /// restart).
    pub receipts_journal: Option<std::path::PathBuf>,
    /// Where served outcomes are kept for challenges (`None`: memory only, lost on a
    /// restart).
    pub served_dir: Option<std::path::PathBuf>,
}

/// Largest outcome the head serves and charges for: an answer to a challenge carries it in
/// one transaction, which must fit CometBFT's default mempool limit (1 MiB) with room to
/// spare.
pub const MAX_ANSWERABLE_OUTCOME: usize = 768 << 10;

/// Shared state of the API.
pub struct Head {
    exec: Arc<Executor>,
    signer: crate::daemon::signer::SignerHandle,
    limiter: limits::RateLimiter,
    pending: Arc<settle::Pending>,
    /// Outcomes served, kept for challenges.
    served: Arc<served::ServedOutcomes>,
    /// Invokers' deposits as this head may still spend them.
    deposits: Arc<deposits::DepositBook>,
    /// One request at a time per paying account (check, run, charge).
    accounts: crate::keyed_locks::KeyedLocks<String>,
    /// Recent answers by request id (bounded by count and bytes).
    cache: answer_cache::AnswerCache,
}

type Reply = (StatusCode, Json<serde_json::Value>);

fn refuse(status: StatusCode, why: impl Into<String>) -> Reply {
    let body = ErrorBody {
        code: status.as_u16().to_string(),
        error: why.into(),
    };
    (status, Json(serde_json::to_value(body).unwrap_or_default()))
}

/// A running head: where its API listens, and the inbox of challenges naming it (the chain
/// follower sends each challenged request id).
pub struct Started {
    /// The API's bound address.
    pub bound: SocketAddr,
    /// Request ids (hex) of `bls.head_challenged` events naming this head.
    pub challenges: tokio::sync::mpsc::Sender<String>,
}

/// Starts the API on `cfg.listen`, the settlement loop and the challenge answerer.
pub async fn start(
    exec: Arc<Executor>,
    signer: crate::daemon::signer::SignerHandle,
    cfg: HeadConfig,
) -> anyhow::Result<Started> {
    let pending = Arc::new(match &cfg.receipts_journal {
        Some(path) => settle::Pending::open(path)?,
        None => settle::Pending::in_memory(),
    });
    let served = Arc::new(match &cfg.served_dir {
        Some(dir) => served::ServedOutcomes::open(dir)?,
        None => served::ServedOutcomes::in_memory(),
    });
    // A pending outcome whose receipt did not survive (an unsynced journal) is never charged.
    served.retain_pending(|id| pending.contains(id));
    let challenges = challenges::spawn(
        exec.chain.clone(),
        signer.clone(),
        exec.key.address().to_string(),
        served.clone(),
        exec.fault,
    );
    let head = Arc::new(Head {
        limiter: limits::RateLimiter::new(cfg.rate_per_sec, cfg.burst),
        pending: pending.clone(),
        served: served.clone(),
        deposits: Arc::new(deposits::DepositBook::new(exec.chain.view().ttl())),
        accounts: crate::keyed_locks::KeyedLocks::default(),
        cache: answer_cache::AnswerCache::new(answer_cache::MAX_ENTRIES, answer_cache::MAX_BYTES),
        exec: exec.clone(),
        signer: signer.clone(),
    });
    tokio::spawn(report_table_sizes(head.clone()));
    tokio::spawn(settle::run(
        pending,
        served,
        exec.chain.clone(),
        signer,
        exec.key.address().to_string(),
        cfg.settle_interval,
    ));
    let app = Router::new()
        .route(
            "/api/v1/health",
            get(|| async { Json(serde_json::json!({"code": "200", "status": "ok"})) }),
        )
        .route("/api/v1/functions/execute", post(execute))
        .route("/api/v1/functions/requests/result", post(result))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .layer(bls_client::cors::layer(&cfg.cors_origins)?)
        .with_state(head);
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "head API stopped");
        }
    });
    Ok(Started { bound, challenges })
}

/// How often the sizes of the head's tables are sampled into `/metrics`.
const TABLE_SIZES_EVERY: Duration = Duration::from_secs(5);

/// Samples the head's in-memory tables keyed by outside input into `bls_worker_table_entries`
/// (every one is bounded; the gauges show how close to their bounds they run).
async fn report_table_sizes(head: Arc<Head>) {
    let mut every = tokio::time::interval(TABLE_SIZES_EVERY);
    loop {
        every.tick().await;
        let m = &head.exec.metrics;
        m.table_size("chain_reads", head.exec.chain.view().cached_reads());
        m.table_size("head_deposit_accounts", head.deposits.len());
        m.table_size("head_rate_buckets", head.limiter.len());
        m.table_size("head_account_locks", head.accounts.len());
        m.table_size("head_pending_receipts", head.pending.len());
        m.table_size("head_served_outcomes", head.served.len());
    }
}

async fn result(
    State(head): State<Arc<Head>>,
    body: Result<Json<ResultRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let Ok(Json(req)) = body else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "body must be {\"request_id\": \"<hex>\"}",
        );
    };
    match head.cached(&req.request_id.to_ascii_lowercase()) {
        Some(r) => (
            StatusCode::OK,
            Json(serde_json::to_value(r).unwrap_or_default()),
        ),
        None => refuse(
            StatusCode::NOT_FOUND,
            format!("no result for request {}", req.request_id),
        ),
    }
}

async fn execute(
    State(head): State<Arc<Head>>,
    body: Result<Json<ExecuteRequest>, axum::extract::rejection::JsonRejection>,
) -> Reply {
    let req = match body {
        Ok(Json(r)) => r,
        Err(e) => return refuse(e.status(), e.body_text()),
    };
    match head.execute(req).await {
        Ok(r) => (
            StatusCode::OK,
            Json(serde_json::to_value(r).unwrap_or_default()),
        ),
        Err((status, why)) => {
            tracing::info!(status = status.as_u16(), why, "execute refused");
            refuse(status, why)
        }
    }
}

type Refusal = (StatusCode, String);

fn bad(why: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, why.into())
}

/// Reads `invoker`'s deposit from the chain into `book` (snapshot of this head's unsettled
/// charges first); returns what the invoker may spend now.
async fn read_deposit(
    rpc: &bls_client::RpcClient,
    book: &deposits::DepositBook,
    pending: &settle::Pending,
    invoker: &str,
) -> Result<u128, bls_client::RpcError> {
    let started = Instant::now();
    let snap = book.snapshot(invoker, || pending.owed(invoker));
    let dep: DepositResponse = rpc
        .query_json(DEPOSIT_QUERY, &serde_json::json!({ "invoker": invoker }))
        .await?;
    // Money requested for withdrawal may leave before this request settles.
    let spendable = dep
        .deposit
        .parse::<u128>()
        .unwrap_or(0)
        .saturating_sub(dep.withdrawing.parse::<u128>().unwrap_or(0));
    Ok(book
        .store(invoker, snap, spendable, started)
        .unwrap_or_else(|| spendable.saturating_sub(pending.owed(invoker))))
}

impl Head {
    /// The answer already given to request `id_hex`, if still cached.
    fn cached(&self, id_hex: &str) -> Option<ExecuteResponse> {
        self.cache.get(id_hex)
    }

    /// What `invoker` may still spend on this head: the on-chain deposit minus requested
    /// withdrawals and this head's unsettled charges (from the deposit book while its read
    /// is valid; re-read in the background once it is half a TTL old).
    async fn available_deposit(&self, invoker: &str) -> Result<u128, bls_client::RpcError> {
        let rpc = self.exec.chain.rpc();
        match self.deposits.available(invoker, Instant::now()) {
            deposits::Available::Fresh(a) => Ok(a),
            deposits::Available::Refresh(a) => {
                let (rpc, book, pending) =
                    (rpc.clone(), self.deposits.clone(), self.pending.clone());
                let invoker = invoker.to_string();
                tokio::spawn(async move {
                    if let Err(e) = read_deposit(&rpc, &book, &pending, &invoker).await {
                        tracing::debug!(error = %e, "deposit re-read failed");
                        book.refresh_failed(&invoker);
                    }
                });
                Ok(a)
            }
            deposits::Available::Miss => {
                read_deposit(rpc, &self.deposits, &self.pending, invoker).await
            }
        }
    }

    async fn execute(&self, req: ExecuteRequest) -> Result<ExecuteResponse, Refusal> {
        let exec = &self.exec;
        let t_start = Instant::now();
        // --- who pays, and may they ---
        let body = signed_body(&req).map_err(|e| match e {
            BodyError::Unsigned => (StatusCode::UNAUTHORIZED, e.to_string()),
            BodyError::Malformed(m) => bad(m),
        })?;
        let SignedBody {
            request: signed,
            input,
            args,
            env,
        } = body;
        let verified = signed.verify(&exec.chain_id).map_err(|e| match e {
            RequestError::Malformed { .. } => bad(e.to_string()),
            RequestError::BadSignature(why) => (
                StatusCode::UNAUTHORIZED,
                format!("request signature: {why}"),
            ),
        })?;
        let id = verified.id;
        let invoker = verified.invoker.clone();
        let function_id = verified.terms.function_id;
        let max_fee = verified.terms.max_fee;
        // Counted only once the account signed it: forged requests cannot spend a victim's
        // allowance.
        if !self.limiter.allow(invoker.as_str()) {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limit exceeded for {invoker}"),
            ));
        }
        let id_hex = hex::encode(id);
        if let Some(r) = self.cached(&id_hex) {
            return Ok(r); // idempotent: the same signed request is served (and charged) once
        }
        // From the deposit check to the charge, this account's requests go one at a time;
        // a copy of this request that was served meanwhile is answered from the cache.
        let _turn = self.accounts.lock(&invoker.to_string()).await;
        if let Some(r) = self.cached(&id_hex) {
            return Ok(r);
        }
        // Served before, its answer evicted from the cache or lost in a restart: it is not
        // run (or charged) again. (Once settled, the chain refuses a second receipt.)
        if self.pending.contains(&id_hex) {
            return Err((
                StatusCode::CONFLICT,
                format!("request {id_hex} was already served and awaits settlement; its result is no longer cached"),
            ));
        }
        if self.pending.backlog_full() {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{} served requests await settlement on chain, the most this head holds: try again once they settle",
                    settle::MAX_PENDING_RECEIPTS
                ),
            ));
        }
        let t_checked = Instant::now();
        let chain_err = |e: bls_client::RpcError| (StatusCode::BAD_GATEWAY, format!("chain: {e}"));
        // Every chain read this request needs, at once and through the short-lived cache
        // (`ChainView`; at most one TTL old). The deposit has its own book that also counts
        // what this head charged since the read.
        let view = exec.chain.view();
        let no_args = serde_json::json!({});
        let of_function = serde_json::json!({ "function_id": function_id });
        let (params, available, f, pinned, tip) = tokio::join!(
            view.query::<_, ParamsResponse>(PARAMS_QUERY, &no_args),
            self.available_deposit(invoker.as_str()),
            exec.chain.function(function_id),
            view.query::<_, PinnedHeadsResponse>(PINNED_HEADS_QUERY, &of_function),
            view.tip(),
        );
        let params = params.map_err(chain_err)?.params;
        let tip = tip.map_err(chain_err)?;
        match serve_window(verified.terms.expiry_height, tip.height, params.fastpath_request_ttl) {
            Window::Open => {}
            Window::Closed { until } => {
                return Err(bad(format!(
                    "request expired at height {until} (chain tip {}): sign a new one",
                    tip.height
                )))
            }
            Window::TooEarly { from } => {
                return Err(bad(format!(
                    "expiry_height {} is more than fastpath_request_ttl ({}) blocks ahead of the chain tip {} (valid from height {from})",
                    verified.terms.expiry_height, params.fastpath_request_ttl, tip.height
                )))
            }
        }
        let f = f.map_err(|e| match e.abci_log() {
            Some(log) if log.contains("unknown function") => {
                (StatusCode::NOT_FOUND, log.to_string())
            }
            _ => chain_err(e),
        })?;
        let manifest = bls_runtime::Manifest::from_json(f.function.manifest_json.as_bytes())
            .map_err(|e| {
                (
                    StatusCode::BAD_GATEWAY,
                    format!("the function's manifest: {e}"),
                )
            })?;
        if !manifest.calls.is_empty() {
            return Err(bad(format!(
                "function {function_id}: {}",
                bls_core::composition::FAST_PATH_REFUSAL
            )));
        }
        let exec_fee = fastpath_fee(&params, &manifest);
        // A listed function's price is charged on top (the chain caps it at what max_fee
        // leaves, so a head that serves only when max_fee covers both is always paid its fee).
        let price: u128 = f.royalty.parse().unwrap_or(0);
        let fee = exec_fee.saturating_add(price);
        if max_fee < fee {
            return Err((
                StatusCode::PAYMENT_REQUIRED,
                if price == 0 {
                    format!(
                        "max_fee {max_fee} is below the fast-path fee {fee} of function {function_id} (fastpath_fee + timeout_ms × fastpath_price_per_second / 1000)"
                    )
                } else {
                    format!(
                        "max_fee {max_fee} is below what function {function_id} costs: the fast-path fee {exec_fee} plus its listing price {price}"
                    )
                },
            ));
        }
        let mut available = available.map_err(chain_err)?;
        if available < fee {
            // A refusal never rests on a cached read: the invoker may have just topped up.
            available = read_deposit(
                exec.chain.rpc(),
                &self.deposits,
                &self.pending,
                invoker.as_str(),
            )
            .await
            .map_err(chain_err)?;
        }
        if available < fee {
            return Err((StatusCode::PAYMENT_REQUIRED, format!("fast-path deposit of {invoker}: {available} left after withdrawals and this head's unsettled charges; {fee} needed (MsgFastPathDeposit)")));
        }

        // --- what runs, and where ---
        if f.function.status != bls_orchestration::state::FunctionStatus::Active {
            return Err((
                StatusCode::NOT_FOUND,
                format!("function {function_id} is retired"),
            ));
        }
        let pinned = pinned.map_err(chain_err)?;
        if !pinned.heads.is_empty() && !pinned.heads.contains(exec.key.address()) {
            return Err((
                StatusCode::FORBIDDEN,
                format!("this head is not pinned for function {function_id}"),
            ));
        }
        let code_hash =
            bls_orchestration::state::parse_hash(&f.function.code_hash).ok_or_else(|| {
                (
                    StatusCode::BAD_GATEWAY,
                    "bad code hash on chain".to_string(),
                )
            })?;
        if verified.terms.code_hash != code_hash {
            return Err(bad(format!(
                "the request asks for code {} but function {function_id} runs {} (updated?): sign a new request",
                hex::encode(verified.terms.code_hash),
                f.function.code_hash
            )));
        }
        if !env.is_empty() {
            // The workers apply the same check; refusing here gives the invoker the reason.
            manifest
                .with_request_env(&env)
                .map_err(|e| bad(format!("config.env_vars: {e}")))?;
        }
        exec.p2p.announce_function(function_id, code_hash); // members prefetch the code
        let subnet_height = f.subnetwork.as_ref().map_or(0, |s| s.placed_height);
        let members = f
            .subnetwork
            .as_ref()
            .map(|s| s.workers.clone())
            .unwrap_or_default();
        let lookups = join_all(members.iter().map(|m| exec.chain.worker(m.as_str()))).await;
        let mut workers = Vec::new();
        for (m, r) in members.iter().zip(lookups) {
            match r {
                Ok(w) => workers.push(w),
                Err(e) => tracing::warn!(worker = %m, error = %e, "subnetwork member lookup"),
            }
        }
        let t_read = Instant::now();
        let candidates = dispatch::order_members(&id, workers);
        let n = usize::try_from(f.function.replication).unwrap_or(1);
        let nodes = req
            .config
            .number_of_nodes
            .map_or(n, |x| usize::try_from(x).unwrap_or(n).max(n))
            .min(candidates.len());
        let m = usize::try_from(f.function.quorum).unwrap_or(1).max(1);
        let by_threshold = req
            .config
            .threshold
            .filter(|t| t.is_finite() && *t > 0.0 && *t <= 1.0)
            .map_or(0, |t| (t * nodes as f64).ceil() as usize);
        let quorum = m.max(by_threshold);
        if candidates.len() < quorum {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "function {function_id} has {} active workers, quorum is {quorum}",
                    candidates.len()
                ),
            ));
        }
        let order = WorkOrder {
            request: signed.clone(),
            input,
            args,
            env,
            sealed_env: req.config.sealed_env.clone(),
        };
        let t_dispatch = Instant::now();
        let key_window = bls_orchestration::fastpath::request::key_window(
            verified.terms.expiry_height,
            params.fastpath_request_ttl,
        );
        let agg = dispatch::run(
            exec,
            &order,
            &id,
            &code_hash,
            &candidates,
            nodes,
            quorum,
            key_window,
            dispatch::order_wait(&manifest),
        )
        .await;
        let t_answered = Instant::now();
        let Some((best, count)) = agg.best().filter(|(_, c)| *c >= quorum) else {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "no quorum of {quorum} agreeing workers: {}",
                    agg.failures.join("; ")
                ),
            ));
        };
        let _ = count;
        let (outcome_bytes, sigs) = agg.by_hash.get(&best).cloned().unwrap_or_default();
        Outcome::decode(&outcome_bytes).map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        if outcome_bytes.len() > MAX_ANSWERABLE_OUTCOME {
            // Charging for it would leave the head unable to answer a challenge on chain.
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the outcome is {} bytes, more than the {MAX_ANSWERABLE_OUTCOME} a head can \
                     publish on chain if its charge is challenged: invoke this request on chain",
                    outcome_bytes.len()
                ),
            ));
        }
        let dissent: Vec<WorkerSig> = agg
            .by_hash
            .iter()
            .filter(|(h, _)| **h != best)
            .flat_map(|(_, (_, s))| s.clone())
            .collect();
        if !dissent.is_empty() {
            tracing::warn!(request = %id_hex, dissent = ?dissent, "workers disagree with the quorum");
            let asked: Vec<String> = agg
                .by_hash
                .values()
                .flat_map(|(_, s)| s.iter().map(|s| s.worker.clone()))
                .chain(
                    agg.failures
                        .iter()
                        .filter_map(|f| f.split(':').next().map(str::to_string)),
                )
                .collect();
            let rest: Vec<bls_registry::Worker> = candidates
                .iter()
                .filter(|w| !asked.iter().any(|a| a == w.operator.as_str()))
                .cloned()
                .collect();
            tokio::spawn(evidence::report(evidence::Conflict {
                exec: exec.clone(),
                signer: self.signer.clone(),
                order: order.clone(),
                request_id: id,
                code_hash,
                members: members.len(),
                quorum: m,
                manifest: manifest.clone(),
                by_hash: agg.by_hash.clone(),
                rest,
                key_window,
            }));
        }
        // What is served: the quorum outcome (a lying head, in tests, serves another).
        let served_bytes = match exec.fault {
            Some(f) => f.served_outcome(&outcome_bytes),
            None => outcome_bytes.clone(),
        };
        let served_outcome =
            Outcome::decode(&served_bytes).map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?;
        let statement = statement::sign(
            &exec.key,
            &statement::Answer {
                request_id: id,
                code_hash,
                result_hash: best,
                served: &served_bytes,
                height: tip.height,
                function_version: f.function.version,
                subnetwork_height: subnet_height,
                signatures: &sigs,
            },
        )
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("signing the answer: {e}")))?;
        // Kept before the receipt exists: a charge this head cannot back with its outcome
        // would get it slashed when challenged.
        self.served
            .put(&id_hex, &outcome_bytes)
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        let receipt = Receipt {
            request: Some(signed),
            code_hash: code_hash.to_vec(),
            result_hash: best.to_vec(),
            signatures: sigs
                .iter()
                .filter_map(|s| {
                    Some(WorkerSignature {
                        worker: s.worker.clone(),
                        signature: hex::decode(&s.signature).ok()?,
                    })
                })
                .collect(),
        };
        self.pending.push(&id_hex, receipt, invoker.as_str(), fee);
        // After the push: a deposit snapshot racing it counts the fee twice, never zero times.
        self.deposits.charge(invoker.as_str(), fee);
        let resp = ExecuteResponse {
            code: "200".into(),
            request_id: id_hex.clone(),
            function_id,
            code_hash: hex::encode(code_hash),
            result_hash: hex::encode(best),
            outcome: hex::encode(&served_bytes),
            stdout: String::from_utf8_lossy(&served_outcome.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&served_outcome.stderr).into_owned(),
            exit_code: match served_outcome.status {
                ExitStatus::Exited(c) => Some(c),
                ExitStatus::Trapped(_) => None,
            },
            fuel_used: served_outcome.fuel_used,
            signatures: sigs,
            dissent,
            failures: agg.failures,
            head: statement.head,
            height: statement.height,
            function_version: statement.function_version,
            subnetwork_height: statement.subnetwork_height,
            head_signature: hex::encode(&statement.signature),
        };
        self.cache.insert(id_hex, resp.clone());
        let (entries, bytes) = self.cache.usage();
        self.exec
            .metrics
            .head_cache_entries
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
        self.exec
            .metrics
            .head_cache_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        // Where a request's time goes (`BLS_LOG=bls_worker::head=debug`; bls-bench reads it).
        let us = |a: Instant, b: Instant| b.saturating_duration_since(a).as_micros();
        tracing::debug!(
            checks_us = us(t_start, t_checked),
            reads_us = us(t_checked, t_read),
            dispatch_us = us(t_dispatch, t_answered),
            verify_us = agg.verify_time.as_micros(),
            finish_us = us(t_answered, Instant::now()),
            total_us = us(t_start, Instant::now()),
            "fast-path request served"
        );
        Ok(resp)
    }
}
