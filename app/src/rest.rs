//! REST gateway: the Cosmos gRPC-gateway JSON routes Keplr and other wallets use, the Keplr
//! chain-suggest document, and Prometheus `/metrics`.
//!
//! | route | answer |
//! |---|---|
//! | `GET /cosmos/auth/v1beta1/accounts/{address}` | `{"account": BaseAccount}` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}` | `{"balances": [...], "pagination": ...}` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}/by_denom?denom=` | `{"balance": coin}` |
//! | `POST /cosmos/tx/v1beta1/simulate` `{"tx_bytes": b64}` | `{"gas_info": ..., "result": ...}` |
//! | `POST /cosmos/tx/v1beta1/txs` `{"tx_bytes": b64, "mode": ...}` | `{"tx_response": ...}` |
//! | `GET /cosmos/tx/v1beta1/txs/{hash}` | `{"tx_response": ...}` |
//! | `GET /cosmos/tx/v1beta1/txs?query=...` (or `events=...`) `&page=&limit=&order_by=` | `{"tx_responses": [...], "total": "N"}` |
//! | `GET /chain-info.json` | Keplr `experimentalSuggestChain` input |
//! | `GET /cosmos/staking/v1beta1/...`, `/cosmos/distribution/v1beta1/...`, `/cosmos/base/tendermint/v1beta1/node_info` | validators, delegations, unbonding, rewards, pool, node info ([`crate::rest_staking`]) |
//! | `GET /cosmos/gov/v1beta1/...`, `GET /cosmos/upgrade/v1beta1/...` | proposals, votes, deposits, tallies, params, plans ([`crate::rest_gov`]) |
//! | `GET /bls/{module}/{method}?req={json}` | our modules' JSON queries (an `outcome` envelope gains `outcome_decoded`) |
//! | `GET /metrics` | Prometheus text format |
//! | `GET /healthz` | 200 `{"status": "ok", "height", ...}` when the app answers and CometBFT is reachable and caught up; 503 with the reason otherwise |
//!
//! Query routes honour the Cosmos `x-cosmos-block-height` request header (0 or absent: the
//! latest height; otherwise that height's state, see [`crate::abci::query`]) and answer with
//! the height they read in the same header. A header that is not a non-negative integer is a
//! 400.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use prost::Message;
use serde::Deserialize;
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::{request, response, RequestQuery, ResponseQuery};

use crate::abci::AbciHandle;
use crate::metrics::AppMetrics;

/// Shared state of the HTTP handlers.
pub struct RestState {
    /// Handle to the app's owner thread.
    pub abci: AbciHandle,
    /// Metrics to render.
    pub metrics: AppMetrics,
    /// CometBFT RPC base URL (for broadcasts and tx lookups).
    pub cometbft_rpc: String,
    /// HTTP client for CometBFT RPC.
    pub http: reqwest::Client,
    /// The configured REST listen address (`host:port`): the chain-info `rest` URL when a
    /// request carries no usable Host header.
    pub api_listen: String,
    /// The web app's sign-in challenges and sessions.
    pub sign_in: crate::webapp::signin::SignIn,
}

pub(crate) type Shared = Arc<RestState>;

/// Builds the router.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/cosmos/auth/v1beta1/accounts/{address}", get(account))
        .route("/cosmos/bank/v1beta1/balances/{address}", get(balances))
        .route(
            "/cosmos/bank/v1beta1/balances/{address}/by_denom",
            get(balance_by_denom),
        )
        .route("/cosmos/tx/v1beta1/simulate", post(simulate))
        .route("/cosmos/tx/v1beta1/txs", post(broadcast).get(search_txs))
        .route("/cosmos/tx/v1beta1/txs/{hash}", get(get_tx))
        .route("/chain-info.json", get(chain_info))
        .route("/bls/{module}/{method}", get(bls_query))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .merge(crate::rest_gov::routes())
        .merge(crate::rest_staking::routes())
        .merge(crate::dashboard::routes())
        .merge(crate::webapp::routes())
        .with_state(state)
}

/// An error as gRPC-gateway renders it: `{"code": N, "message": "...", "details": []}`.
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) u32, pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"code": self.1, "message": self.2, "details": []})),
        )
            .into_response()
    }
}

/// The Cosmos gRPC-gateway header naming the height a query reads (and answers at).
pub const BLOCK_HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// The height asked for by `x-cosmos-block-height` (0 when absent: the latest).
pub(crate) fn requested_height(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(raw) = headers.get(BLOCK_HEIGHT_HEADER) else {
        return Ok(0);
    };
    raw.to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|h| *h >= 0)
        .ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                3,
                format!(
                    "invalid {BLOCK_HEIGHT_HEADER} header {:?}: expected a non-negative integer (0 = latest)",
                    String::from_utf8_lossy(raw.as_bytes())
                ),
            )
        })
}

/// `body` with the `x-cosmos-block-height` header set to the height the query answered at.
pub(crate) fn at_height(q_height: i64, body: impl IntoResponse) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(BLOCK_HEIGHT_HEADER, HeaderValue::from(q_height));
    resp
}

pub(crate) async fn abci_query(
    s: &Shared,
    path: &str,
    data: Vec<u8>,
    height: i64,
) -> Result<ResponseQuery, ApiError> {
    let handle = s.abci.clone();
    let req = RequestQuery {
        data: data.into(),
        path: path.to_string(),
        height,
        prove: false,
    };
    let resp = tokio::task::spawn_blocking(move || handle.call(request::Value::Query(req)))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?;
    match resp {
        Some(response::Value::Query(q)) => Ok(q),
        _ => Err(ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            14,
            "application is not running".into(),
        )),
    }
}

/// Asks one of our modules' JSON queries; answers with its JSON and the height it read.
pub(crate) async fn ask_json(
    s: &Shared,
    headers: &HeaderMap,
    path: &str,
    req: Value,
) -> Result<(i64, Value), ApiError> {
    let q = abci_query(
        s,
        path,
        req.to_string().into_bytes(),
        requested_height(headers)?,
    )
    .await?;
    let height = q.height;
    let bytes = query_ok(q)?;
    let v = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))?;
    Ok((height, v))
}

pub(crate) fn query_ok(q: ResponseQuery) -> Result<Vec<u8>, ApiError> {
    if q.code == 0 {
        return Ok(q.value.to_vec());
    }
    let status = if q.log.contains("NotFound") || q.log.contains("not found") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    // gRPC code 5 = NOT_FOUND, 3 = INVALID_ARGUMENT.
    let code = if status == StatusCode::NOT_FOUND {
        5
    } else {
        3
    };
    Err(ApiError(status, code, q.log))
}

fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, ApiError> {
    M::decode(bytes).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, 13, e.to_string()))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn account_json(acc: &BaseAccount) -> Value {
    let pub_key = acc.pub_key.as_ref().map(|pk| {
        let key = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(pk.value.as_slice())
            .map(|k| b64(&k.key))
            .unwrap_or_default();
        json!({"@type": pk.type_url, "key": key})
    });
    json!({
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": acc.address,
        "pub_key": pub_key,
        "account_number": acc.account_number.to_string(),
        "sequence": acc.sequence.to_string(),
    })
}

async fn account(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(address): Path<String>,
) -> Result<Response, ApiError> {
    let req = QueryAccountRequest { address };
    let q = abci_query(
        &s,
        "/cosmos.auth.v1beta1.Query/Account",
        req.encode_to_vec(),
        requested_height(&headers)?,
    )
    .await?;
    let height = q.height;
    let resp: QueryAccountResponse = decode(&query_ok(q)?)?;
    let any = resp
        .account
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, 5, "account not found".into()))?;
    let acc: BaseAccount = decode(&any.value)?;
    Ok(at_height(
        height,
        Json(json!({"account": account_json(&acc)})),
    ))
}

async fn balances(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(address): Path<String>,
) -> Result<Response, ApiError> {
    let req = QueryAllBalancesRequest {
        address,
        pagination: None,
        resolve_denom: false,
    };
    let q = abci_query(
        &s,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        req.encode_to_vec(),
        requested_height(&headers)?,
    )
    .await?;
    let height = q.height;
    let resp: QueryAllBalancesResponse = decode(&query_ok(q)?)?;
    let list: Vec<Value> = resp
        .balances
        .iter()
        .map(|c| json!({"denom": c.denom, "amount": c.amount}))
        .collect();
    let total = list.len().to_string();
    Ok(at_height(
        height,
        Json(json!({"balances": list, "pagination": {"next_key": null, "total": total}})),
    ))
}

#[derive(Deserialize)]
struct DenomParam {
    denom: String,
}

async fn balance_by_denom(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(address): Path<String>,
    Query(p): Query<DenomParam>,
) -> Result<Response, ApiError> {
    let req = QueryBalanceRequest {
        address,
        denom: p.denom,
    };
    let q = abci_query(
        &s,
        "/cosmos.bank.v1beta1.Query/Balance",
        req.encode_to_vec(),
        requested_height(&headers)?,
    )
    .await?;
    let height = q.height;
    let resp: QueryBalanceResponse = decode(&query_ok(q)?)?;
    let coin = resp
        .balance
        .map(|c| json!({"denom": c.denom, "amount": c.amount}));
    Ok(at_height(height, Json(json!({"balance": coin}))))
}

#[derive(Deserialize)]
struct TxBytesBody {
    tx_bytes: String,
    #[serde(default)]
    mode: Option<String>,
}

fn decode_b64(s: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| {
            ApiError(
                StatusCode::BAD_REQUEST,
                3,
                format!("tx_bytes is not base64: {e}"),
            )
        })
}

#[allow(deprecated)] // SimulateResponse.result.{data,log} are deprecated in v0.50 but wallets read them.
async fn simulate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<TxBytesBody>,
) -> Result<Json<Value>, ApiError> {
    #[allow(deprecated)]
    let req = SimulateRequest {
        tx: None,
        tx_bytes: decode_b64(&body.tx_bytes)?,
    };
    let q = abci_query(
        &s,
        crate::abci::query::SIMULATE_PATH,
        req.encode_to_vec(),
        requested_height(&headers)?,
    )
    .await?;
    let resp: SimulateResponse = decode(&query_ok(q)?)?;
    let gas = resp.gas_info.unwrap_or_default();
    let result = resp.result.unwrap_or_default();
    #[allow(deprecated)]
    let events: Vec<Value> = result
        .events
        .iter()
        .map(|e| {
            json!({"type": e.r#type, "attributes": e.attributes.iter().map(|a| json!({"key": a.key, "value": a.value, "index": a.index})).collect::<Vec<_>>()})
        })
        .collect();
    #[allow(deprecated)]
    let log = result.log.clone();
    Ok(Json(json!({
        "gas_info": {"gas_wanted": gas.gas_wanted.to_string(), "gas_used": gas.gas_used.to_string()},
        "result": {"data": b64(&result.data), "log": log, "events": events, "msg_responses": []},
    })))
}

pub(crate) async fn rpc_get(s: &Shared, path_and_query: &str) -> Result<Value, ApiError> {
    let url = format!(
        "{}/{}",
        s.cometbft_rpc.trim_end_matches('/'),
        path_and_query
    );
    rpc_answer(s, s.http.get(&url)).await
}

/// A JSON-RPC call in a POST body: a tx of any size fits (a URL does not).
async fn rpc_post(s: &Shared, method: &str, params: Value) -> Result<Value, ApiError> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    rpc_answer(s, s.http.post(&s.cometbft_rpc).json(&body)).await
}

async fn rpc_answer(s: &Shared, request: reqwest::RequestBuilder) -> Result<Value, ApiError> {
    let resp = request.send().await.map_err(|e| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            14,
            format!(
                "cannot reach CometBFT at {}: {}",
                s.cometbft_rpc,
                e.without_url()
            ),
        )
    })?;
    let v: Value = resp
        .json()
        .await
        .map_err(|e| ApiError(StatusCode::BAD_GATEWAY, 13, e.to_string()))?;
    if let Some(err) = v.get("error") {
        let msg = err["data"]
            .as_str()
            .or(err["message"].as_str())
            .unwrap_or("rpc error");
        let status = if msg.contains("not found") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        return Err(ApiError(
            status,
            if status == StatusCode::NOT_FOUND {
                5
            } else {
                3
            },
            msg.to_string(),
        ));
    }
    Ok(v["result"].clone())
}

async fn broadcast(
    State(s): State<Shared>,
    Json(body): Json<TxBytesBody>,
) -> Result<Json<Value>, ApiError> {
    let tx = decode_b64(&body.tx_bytes)?;
    let method = match body.mode.as_deref() {
        Some("BROADCAST_MODE_ASYNC") => "broadcast_tx_async",
        _ => "broadcast_tx_sync",
    };
    let r = rpc_post(
        &s,
        method,
        json!({"tx": base64::engine::general_purpose::STANDARD.encode(&tx)}),
    )
    .await?;
    // What CometBFT's broadcast answers (CheckTx's verdict for sync, nothing for async) is
    // passed on; the rest is what the SDK's gateway leaves unset before inclusion (height 0,
    // no gas, no events), and its `data` is CheckTx's data as upper-case hex.
    let data = r["data"]
        .as_str()
        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
        .map(hex::encode_upper)
        .unwrap_or_default();
    Ok(Json(json!({"tx_response": {
        "height": "0",
        "txhash": r["hash"],
        "codespace": r["codespace"],
        "code": r["code"],
        "data": data,
        "raw_log": r["log"],
        "logs": [],
        "info": "",
        "gas_wanted": "0",
        "gas_used": "0",
        "tx": null,
        "timestamp": "",
        "events": [],
    }})))
}

async fn get_tx(
    State(s): State<Shared>,
    Path(hash): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            3,
            "tx hash must be 64 hex characters".into(),
        ));
    }
    let r = rpc_get(&s, &format!("tx?hash=0x{hash}")).await?;
    Ok(Json(json!({"tx_response": tx_response(&r)})))
}

/// A CometBFT `/tx` (or `tx_search` item) answer as a Cosmos `TxResponse`.
fn tx_response(r: &Value) -> Value {
    let res = &r["tx_result"];
    json!({
        "height": r["height"],
        "txhash": r["hash"],
        "codespace": res["codespace"],
        "code": res["code"],
        "data": res["data"],
        "raw_log": res["log"],
        "gas_wanted": res["gas_wanted"],
        "gas_used": res["gas_used"],
        "events": res["events"],
    })
}

/// Longest tx search query accepted.
const MAX_TX_QUERY_LEN: usize = 1024;
/// Most txs per search page (CometBFT's own cap).
const MAX_TX_PAGE: u32 = 100;

#[derive(Deserialize)]
struct TxSearchParams {
    /// Cosmos SDK ≥ 0.50: a CometBFT query, e.g. `message.sender='bls1...'`.
    #[serde(default)]
    query: Option<String>,
    /// Older SDKs: one event condition (`message.action='/cosmos.bank.v1beta1.MsgSend'`).
    #[serde(default)]
    events: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    order_by: Option<String>,
}

/// Included txs matching a CometBFT event query (CometBFT's `tx_search`), newest first with
/// `order_by=ORDER_BY_DESC`. The decoded `txs` of the Cosmos SDK's answer are not given: each
/// `tx_response` carries what CometBFT recorded (events, code, gas).
async fn search_txs(
    State(s): State<Shared>,
    Query(p): Query<TxSearchParams>,
) -> Result<Json<Value>, ApiError> {
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, 3, m);
    let query = p
        .query
        .or(p.events)
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| bad("give query= (e.g. query=tx.height=5) or events=".into()))?;
    if query.len() > MAX_TX_QUERY_LEN {
        return Err(bad(format!(
            "query is longer than {MAX_TX_QUERY_LEN} bytes"
        )));
    }
    let order = match p.order_by.as_deref().unwrap_or("") {
        "" | "ORDER_BY_UNSPECIFIED" | "ORDER_BY_ASC" => "asc",
        "ORDER_BY_DESC" => "desc",
        other => {
            return Err(bad(format!(
                "order_by {other:?}: ORDER_BY_ASC or ORDER_BY_DESC"
            )))
        }
    };
    let limit = p.limit.unwrap_or(MAX_TX_PAGE).clamp(1, MAX_TX_PAGE);
    let page = p.page.unwrap_or(1).max(1);
    let r = rpc_post(
        &s,
        "tx_search",
        json!({"query": query, "prove": false, "page": page.to_string(),
            "per_page": limit.to_string(), "order_by": order}),
    )
    .await?;
    let list: Vec<Value> = r["txs"]
        .as_array()
        .map(|l| l.iter().map(tx_response).collect())
        .unwrap_or_default();
    Ok(Json(json!({
        "txs": [],
        "tx_responses": list,
        "pagination": null,
        "total": r["total_count"],
    })))
}

async fn chain_info(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let status = rpc_get(&s, "status").await?;
    let chain_id = status["node_info"]["network"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    let rest = rest_url(host, &s.api_listen);
    Ok(Json(keplr_chain_info(&chain_id, &s.cometbft_rpc, &rest)))
}

/// The REST URL a wallet should use: the address the client reached us at (its Host header),
/// else the configured listen address. A Host with characters outside a URL authority is
/// ignored, so a crafted header cannot inject into the document.
pub fn rest_url(host: Option<&str>, api_listen: &str) -> String {
    let authority_char = |b: u8| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b);
    match host.map(str::trim) {
        Some(h) if !h.is_empty() && h.len() <= 255 && h.bytes().all(authority_char) => {
            format!("http://{h}")
        }
        _ => format!("http://{api_listen}"),
    }
}

/// The Keplr `experimentalSuggestChain` document for this chain.
pub fn keplr_chain_info(chain_id: &str, rpc: &str, rest: &str) -> Value {
    let currency = json!({"coinDenom": "BLS", "coinMinimalDenom": "ubls", "coinDecimals": 6});
    json!({
        "chainId": chain_id,
        "chainName": format!("bls ({chain_id})"),
        "rpc": rpc,
        "rest": rest,
        "bip44": {"coinType": 118},
        "bech32Config": {
            "bech32PrefixAccAddr": "bls",
            "bech32PrefixAccPub": "blspub",
            "bech32PrefixValAddr": "blsvaloper",
            "bech32PrefixValPub": "blsvaloperpub",
            "bech32PrefixConsAddr": "blsvalcons",
            "bech32PrefixConsPub": "blsvalconspub"
        },
        "currencies": [currency],
        "feeCurrencies": [{"coinDenom": "BLS", "coinMinimalDenom": "ubls", "coinDecimals": 6,
            "gasPriceStep": {"low": 0.025, "average": 0.03, "high": 0.05}}],
        "stakeCurrency": currency,
        "features": []
    })
}

#[derive(Deserialize)]
struct BlsQueryParams {
    #[serde(default)]
    req: Option<String>,
}

async fn bls_query(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((module, method)): Path<(String, String)>,
    Query(p): Query<BlsQueryParams>,
) -> Result<Response, ApiError> {
    let ok_name =
        |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok_name(&module) || !ok_name(&method) {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            3,
            "bad module or method name".into(),
        ));
    }
    let path = format!("/bls.{module}.v1.Query/{method}");
    let body = p.req.unwrap_or_else(|| "{}".into()).into_bytes();
    let q = abci_query(&s, &path, body, requested_height(&headers)?).await?;
    let height = q.height;
    let mut bytes = query_ok(q)?;
    // A job's outcome is a base64 binary envelope: add its stdout/stderr/exit code beside it.
    if let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) {
        if crate::outcome_view::annotate(&mut v) {
            bytes = serde_json::to_vec(&v).unwrap_or(bytes);
        }
    }
    Ok(at_height(
        height,
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            bytes,
        ),
    ))
}

/// Liveness and readiness for service managers and load balancers: the application answers
/// (its owner thread is alive), CometBFT answers, and it is not catching up.
async fn healthz(State(s): State<Shared>) -> Response {
    let unhealthy = |status: &str, detail: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": status, "detail": detail})),
        )
            .into_response()
    };
    let handle = s.abci.clone();
    let info =
        tokio::task::spawn_blocking(move || handle.call(request::Value::Info(Default::default())))
            .await;
    let app_height = match info {
        Ok(Some(response::Value::Info(i))) => i.last_block_height,
        _ => return unhealthy("app_unavailable", "the application does not answer".into()),
    };
    let status = match rpc_get(&s, "status").await {
        Ok(v) => v,
        Err(ApiError(_, _, msg)) => return unhealthy("cometbft_unreachable", msg),
    };
    let catching_up = status["sync_info"]["catching_up"].as_bool().unwrap_or(true);
    let height = status["sync_info"]["latest_block_height"].clone();
    if catching_up {
        return unhealthy(
            "catching_up",
            format!("CometBFT is at height {height}, syncing"),
        );
    }
    Json(json!({"status": "ok", "app_height": app_height.to_string(), "height": height}))
        .into_response()
}

async fn metrics(State(s): State<Shared>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

#[cfg(test)]
mod chain_info_tests {
    use super::*;

    #[test]
    fn rest_url_prefers_the_host_header() {
        assert_eq!(
            rest_url(Some("node.example:1317"), "127.0.0.1:1317"),
            "http://node.example:1317"
        );
        assert_eq!(rest_url(Some("[::1]:1317"), "x:1"), "http://[::1]:1317");
    }

    #[test]
    fn rest_url_falls_back_to_api_listen() {
        assert_eq!(rest_url(None, "127.0.0.1:1317"), "http://127.0.0.1:1317");
        assert_eq!(
            rest_url(Some(""), "127.0.0.1:1317"),
            "http://127.0.0.1:1317"
        );
        assert_eq!(
            rest_url(Some("evil\"/x"), "127.0.0.1:1317"),
            "http://127.0.0.1:1317"
        );
    }

    #[test]
    fn chain_info_carries_the_rest_url() {
        let v = keplr_chain_info("bls-1", "http://127.0.0.1:26657", "http://h:1317");
        assert_eq!(v["rest"], "http://h:1317");
        assert_eq!(v["rpc"], "http://127.0.0.1:26657");
    }
}

#[cfg(test)]
mod height_header_tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{requested_height, BLOCK_HEIGHT_HEADER};

    fn asked(value: Option<&[u8]>) -> Result<i64, String> {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(
                BLOCK_HEIGHT_HEADER,
                HeaderValue::from_bytes(v).expect("header value"),
            );
        }
        requested_height(&h).map_err(|e| format!("{} {} {}", e.0, e.1, e.2))
    }

    #[test]
    fn block_height_header_is_parsed_or_refused() {
        assert_eq!(asked(None), Ok(0));
        assert_eq!(asked(Some(b"0")), Ok(0));
        assert_eq!(asked(Some(b"42")), Ok(42));
        assert_eq!(asked(Some(b" 7 ")), Ok(7));
        for bad in [
            &b"-1"[..],
            b"abc",
            b"1.5",
            b"",
            b"99999999999999999999",
            b"\xff",
        ] {
            let err = asked(Some(bad)).expect_err("refused");
            assert!(
                err.starts_with("400 Bad Request 3 invalid x-cosmos-block-height"),
                "{err}"
            );
        }
    }
}
