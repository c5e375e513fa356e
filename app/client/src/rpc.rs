//! A thin async client over CometBFT's JSON-RPC (`tendermint-rpc` `HttpClient`, v0.38 dialect):
//! node status, ABCI queries (Cosmos protobuf paths and our JSON module paths), broadcasting and
//! waiting for transactions, block results.

use std::time::Duration;

use bls_core::{Address, Coin, Coins};
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, ModuleAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use prost::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::error::ErrorDetail;
use tendermint_rpc::{Client, HttpClient, HttpClientUrl};

/// Default CometBFT RPC address.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:26657";

/// ABCI query path of an account.
pub const PATH_ACCOUNT: &str = "/cosmos.auth.v1beta1.Query/Account";
/// ABCI query path of one balance.
pub const PATH_BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";
/// ABCI query path of all balances.
pub const PATH_ALL_BALANCES: &str = "/cosmos.bank.v1beta1.Query/AllBalances";
/// ABCI query path of tx simulation.
pub const PATH_SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";
const MODULE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.ModuleAccount";

/// How long one HTTP request may take before it counts as a failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often [`RpcClient::wait_for_tx`] polls; blocks come every ~100 ms-1 s on devnets.
const TX_POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Page size for `AllBalances` (follows `next_key` until done).
const BALANCES_PAGE: u64 = 200;

/// Errors talking to the node.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The node URL does not parse or is not http(s).
    #[error("invalid node URL {url:?}: {reason} (expected e.g. {DEFAULT_NODE})")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Connection refused, DNS failure, timeout: nothing answered.
    #[error("cannot reach the node at {url}: is `blsd start` / cometbft running? ({detail})")]
    Unreachable {
        /// The node URL.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The node answered a JSON-RPC error, or an answer that does not parse.
    #[error("RPC {method} at {url} failed: {detail}")]
    Rpc {
        /// The RPC method.
        method: &'static str,
        /// The node URL.
        url: String,
        /// The error the node (or the decoder) gave.
        detail: String,
    },
    /// The application answered an ABCI query with a non-zero code.
    #[error("query {path} failed (code {code}, codespace {codespace:?}): {log}")]
    Query {
        /// The query path.
        path: String,
        /// The ABCI code.
        code: u32,
        /// The codespace.
        codespace: String,
        /// The application's log.
        log: String,
    },
    /// A query answer that does not decode as the expected type.
    #[error("query {path} returned a response that does not decode: {detail}")]
    Decode {
        /// The query path.
        path: String,
        /// The decoder's error.
        detail: String,
    },
    /// CheckTx rejected the transaction: it did not enter the mempool.
    #[error(
        "transaction {hash} rejected by CheckTx (code {code}, codespace {codespace:?}): {log}"
    )]
    CheckTx {
        /// The tx hash (upper-case hex).
        hash: String,
        /// The ABCI code.
        code: u32,
        /// The codespace.
        codespace: String,
        /// The application's log.
        log: String,
    },
    /// The transaction was not included in a block before the deadline.
    #[error("transaction {hash} was not included within {waited:?}: it may still be in the mempool; check later with `blsd query tx {hash}`")]
    TxTimeout {
        /// The tx hash.
        hash: String,
        /// How long we waited.
        waited: Duration,
    },
    /// A malformed tx hash.
    #[error("invalid tx hash {0:?}: expected 64 hex characters")]
    InvalidHash(String),
}

impl RpcError {
    /// The ABCI code when the application rejected something (query or CheckTx).
    pub fn abci_code(&self) -> Option<u32> {
        match self {
            RpcError::Query { code, .. } | RpcError::CheckTx { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The application's log when it rejected something.
    pub fn abci_log(&self) -> Option<&str> {
        match self {
            RpcError::Query { log, .. } | RpcError::CheckTx { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// What `status` reports, in stable field names.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeStatus {
    /// `node_info.network`.
    pub chain_id: String,
    /// The node's moniker.
    pub moniker: String,
    /// The node's id.
    pub node_id: String,
    /// The last block the node has.
    pub latest_block_height: u64,
    /// RFC 3339 time of that block.
    pub latest_block_time: String,
    /// True while the node is syncing.
    pub catching_up: bool,
}

/// One ABCI event attribute.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventAttribute {
    /// Attribute key (lossy UTF-8).
    pub key: String,
    /// Attribute value (lossy UTF-8).
    pub value: String,
    /// Whether CometBFT indexes it.
    pub index: bool,
}

/// One ABCI event.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TxEvent {
    /// Event type, e.g. `transfer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its attributes in order.
    pub attributes: Vec<EventAttribute>,
}

impl TxEvent {
    fn from_abci(e: &tendermint::abci::Event) -> Self {
        Self {
            kind: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| EventAttribute {
                    key: String::from_utf8_lossy(a.key_bytes()).into_owned(),
                    value: String::from_utf8_lossy(a.value_bytes()).into_owned(),
                    index: a.index(),
                })
                .collect(),
        }
    }

    /// The first value of attribute `key`.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// The result of an included transaction (its DeliverTx / ExecTxResult).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TxResult {
    /// Upper-case hex SHA-256 of the tx bytes.
    pub hash: String,
    /// The block it is in.
    pub height: u64,
    /// 0 on success.
    pub code: u32,
    /// Module codespace of a failure.
    pub codespace: String,
    /// The application's log.
    pub log: String,
    /// Gas limit.
    pub gas_wanted: i64,
    /// Gas used.
    pub gas_used: i64,
    /// Events emitted.
    pub events: Vec<TxEvent>,
    /// Base64 of the result data (a `TxMsgData`).
    pub data: String,
}

impl TxResult {
    /// True when the transaction succeeded.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// The first value of attribute `key` in the first event of type `kind`.
    pub fn event_attr(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .find_map(|e| e.attr(key))
    }

    fn from_exec(hash: String, height: u64, r: &tendermint::abci::types::ExecTxResult) -> Self {
        Self {
            hash,
            height,
            code: r.code.value(),
            codespace: r.codespace.clone(),
            log: r.log.clone(),
            gas_wanted: r.gas_wanted,
            gas_used: r.gas_used,
            events: r.events.iter().map(TxEvent::from_abci).collect(),
            data: data_base64(&r.data),
        }
    }
}

/// tendermint-rpc 0.40 deserializes `ExecTxResult.data` without base64-decoding it: the bytes
/// it holds are the base64 text of the JSON answer. Keep that text when it is valid base64,
/// otherwise (raw bytes from another source) encode them.
fn data_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    match std::str::from_utf8(data) {
        Ok(text) if engine.decode(text).is_ok() => text.to_string(),
        _ => engine.encode(data),
    }
}

/// The results of one block.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlockResults {
    /// The block height.
    pub height: u64,
    /// One result per tx, in block order (`hash` is empty: block_results does not carry it).
    pub txs: Vec<TxResult>,
    /// Events from FinalizeBlock outside any tx.
    pub finalize_block_events: Vec<TxEvent>,
}

/// An async CometBFT RPC client.
#[derive(Clone, Debug)]
pub struct RpcClient {
    url: String,
    http: HttpClient,
    /// Height ABCI queries read (`None`: the latest).
    query_height: Option<tendermint::block::Height>,
}

impl RpcClient {
    /// A client for the node at `url` (e.g. [`DEFAULT_NODE`]). Does not connect yet.
    pub fn new(url: &str) -> Result<Self, RpcError> {
        let invalid = |reason: String| RpcError::InvalidUrl {
            url: url.to_string(),
            reason,
        };
        let parsed: HttpClientUrl = url
            .parse()
            .map_err(|e: tendermint_rpc::Error| invalid(e.detail().to_string()))?;
        let http = HttpClient::builder(parsed)
            .compat_mode(CompatMode::V0_38)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| invalid(e.detail().to_string()))?;
        Ok(Self {
            url: url.to_string(),
            http,
            query_height: None,
        })
    }

    /// This client with its ABCI queries (accounts, balances, module queries) reading the state
    /// committed at `height` instead of the latest; 0 means the latest. Fails above `i64::MAX`.
    pub fn at_height(mut self, height: u64) -> Result<Self, RpcError> {
        self.query_height = match height {
            0 => None,
            h => Some(
                tendermint::block::Height::try_from(h).map_err(|e| RpcError::Rpc {
                    method: "abci_query",
                    url: self.url.clone(),
                    detail: format!("invalid query height {h}: {e}"),
                })?,
            ),
        };
        Ok(self)
    }

    /// True when [`RpcClient::at_height`] pinned its queries to one height.
    pub fn is_pinned(&self) -> bool {
        self.query_height.is_some()
    }

    /// The node URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying tendermint-rpc client, for calls this wrapper does not cover.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Node status; `chain_id` is `node_info.network`.
    pub async fn status(&self) -> Result<NodeStatus, RpcError> {
        let s = self
            .http
            .status()
            .await
            .map_err(|e| self.map_err("status", e))?;
        Ok(NodeStatus {
            chain_id: s.node_info.network.to_string(),
            moniker: s.node_info.moniker.to_string(),
            node_id: s.node_info.id.to_string(),
            latest_block_height: s.sync_info.latest_block_height.value(),
            latest_block_time: s.sync_info.latest_block_time.to_rfc3339(),
            catching_up: s.sync_info.catching_up,
        })
    }

    /// The chain id the node runs.
    pub async fn chain_id(&self) -> Result<String, RpcError> {
        Ok(self.status().await?.chain_id)
    }

    /// Runs an ABCI query at the latest height (or at [`RpcClient::at_height`]'s); a non-zero
    /// code is [`RpcError::Query`].
    pub async fn abci_query(&self, path: &str, data: Vec<u8>) -> Result<Vec<u8>, RpcError> {
        let r = self
            .http
            .abci_query(Some(path.to_string()), data, self.query_height, false)
            .await
            .map_err(|e| self.map_err("abci_query", e))?;
        if r.code.is_err() {
            return Err(RpcError::Query {
                path: path.to_string(),
                code: r.code.value(),
                codespace: r.codespace,
                log: r.log,
            });
        }
        Ok(r.value)
    }

    /// Runs a protobuf query: encodes `req`, decodes the answer as `Resp`.
    pub async fn query_proto<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, RpcError> {
        let bytes = self.abci_query(path, req.encode_to_vec()).await?;
        Resp::decode(bytes.as_slice()).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// Runs one of our modules' JSON queries (`/bls.<module>.v1.Query/<Method>`).
    pub async fn query_json<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, RpcError> {
        let bytes = self.query_json_raw(path, req).await?;
        serde_json::from_slice(&bytes).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// Like [`RpcClient::query_json`] but returns the raw answer bytes.
    pub async fn query_json_raw<Req: Serialize + ?Sized>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Vec<u8>, RpcError> {
        let data = serde_json::to_vec(req).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: format!("cannot encode request: {e}"),
        })?;
        self.abci_query(path, data).await
    }

    /// The account at `addr`, or `None` when the chain has never seen it.
    pub async fn account(&self, addr: &Address) -> Result<Option<BaseAccount>, RpcError> {
        let req = QueryAccountRequest {
            address: addr.to_string(),
        };
        let resp: QueryAccountResponse = match self.query_proto(PATH_ACCOUNT, &req).await {
            Ok(r) => r,
            Err(RpcError::Query { log, .. }) if log.contains("NotFound") => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(any) = resp.account else {
            return Ok(None);
        };
        let decode_err = |e: prost::DecodeError| RpcError::Decode {
            path: PATH_ACCOUNT.to_string(),
            detail: e.to_string(),
        };
        match any.type_url.as_str() {
            BASE_ACCOUNT_TYPE_URL => Ok(Some(
                BaseAccount::decode(any.value.as_slice()).map_err(decode_err)?,
            )),
            MODULE_ACCOUNT_TYPE_URL => Ok(ModuleAccount::decode(any.value.as_slice())
                .map_err(decode_err)?
                .base_account),
            other => Err(RpcError::Decode {
                path: PATH_ACCOUNT.to_string(),
                detail: format!("unsupported account type {other}"),
            }),
        }
    }

    /// The balance of `denom` at `addr` (0 when none).
    pub async fn balance(&self, addr: &Address, denom: &str) -> Result<u128, RpcError> {
        let req = QueryBalanceRequest {
            address: addr.to_string(),
            denom: denom.to_string(),
        };
        let resp: QueryBalanceResponse = self.query_proto(PATH_BALANCE, &req).await?;
        match resp.balance {
            None => Ok(0),
            Some(c) => Coin::from_parts(&c.denom, &c.amount)
                .map(|c| c.amount)
                .map_err(|e| RpcError::Decode {
                    path: PATH_BALANCE.to_string(),
                    detail: e.to_string(),
                }),
        }
    }

    /// All balances at `addr` (follows pagination).
    pub async fn all_balances(&self, addr: &Address) -> Result<Coins, RpcError> {
        let mut out = Coins::new();
        let mut next_key = Vec::new();
        loop {
            let req = QueryAllBalancesRequest {
                address: addr.to_string(),
                pagination: Some(PageRequest {
                    key: next_key.clone(),
                    offset: 0,
                    limit: BALANCES_PAGE,
                    count_total: false,
                    reverse: false,
                }),
                resolve_denom: false,
            };
            let resp: QueryAllBalancesResponse = self.query_proto(PATH_ALL_BALANCES, &req).await?;
            let page = Coins::from_proto(&resp.balances).map_err(|e| RpcError::Decode {
                path: PATH_ALL_BALANCES.to_string(),
                detail: e.to_string(),
            })?;
            for c in page.to_vec() {
                out.add(&c).map_err(|e| RpcError::Decode {
                    path: PATH_ALL_BALANCES.to_string(),
                    detail: e.to_string(),
                })?;
            }
            match resp.pagination {
                // A server that repeats the key would loop forever: stop on no progress.
                Some(p) if !p.next_key.is_empty() && p.next_key != next_key => {
                    next_key = p.next_key
                }
                _ => return Ok(out),
            }
        }
    }

    /// Simulates a tx (built with [`crate::tx::TxBuilder::simulation_bytes`]); returns gas used.
    pub async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, RpcError> {
        #[allow(deprecated)]
        let req = SimulateRequest { tx: None, tx_bytes };
        let resp: SimulateResponse = self.query_proto(PATH_SIMULATE, &req).await?;
        resp.gas_info
            .map(|g| g.gas_used)
            .ok_or_else(|| RpcError::Decode {
                path: PATH_SIMULATE.to_string(),
                detail: "no gas_info in the answer".to_string(),
            })
    }

    /// Broadcasts with `broadcast_tx_sync`; returns the tx hash once CheckTx accepted it.
    pub async fn broadcast_tx_sync(&self, tx_bytes: Vec<u8>) -> Result<String, RpcError> {
        let r = self
            .http
            .broadcast_tx_sync(tx_bytes)
            .await
            .map_err(|e| self.map_err("broadcast_tx_sync", e))?;
        let hash = r.hash.to_string();
        if r.code.is_err() {
            return Err(RpcError::CheckTx {
                hash,
                code: r.code.value(),
                codespace: r.codespace,
                log: r.log,
            });
        }
        Ok(hash)
    }

    /// The included tx with this hash, or `None` while it is not (yet) in a block.
    pub async fn tx(&self, hash: &str) -> Result<Option<TxResult>, RpcError> {
        let h = parse_hash(hash)?;
        match self.http.tx(h, false).await {
            Ok(r) => Ok(Some(TxResult::from_exec(
                r.hash.to_string(),
                r.height.value(),
                &r.tx_result,
            ))),
            Err(e) if is_tx_not_found(&e) => Ok(None),
            Err(e) => Err(self.map_err("tx", e)),
        }
    }

    /// Polls `tx` until the tx is in a block (returns its result) or `timeout` passes.
    pub async fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxResult, RpcError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.tx(hash).await? {
                return Ok(r);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(RpcError::TxTimeout {
                    hash: hash.to_string(),
                    waited: timeout,
                });
            }
            tokio::time::sleep(TX_POLL_INTERVAL).await;
        }
    }

    /// The results of block `height`.
    pub async fn block_results(&self, height: u64) -> Result<BlockResults, RpcError> {
        let h = tendermint::block::Height::try_from(height).map_err(|e| RpcError::Rpc {
            method: "block_results",
            url: self.url.clone(),
            detail: e.to_string(),
        })?;
        let r = self
            .http
            .block_results(h)
            .await
            .map_err(|e| self.map_err("block_results", e))?;
        let height = r.height.value();
        Ok(BlockResults {
            height,
            txs: r
                .txs_results
                .unwrap_or_default()
                .iter()
                .map(|t| TxResult::from_exec(String::new(), height, t))
                .collect(),
            finalize_block_events: r
                .finalize_block_events
                .iter()
                .map(TxEvent::from_abci)
                .collect(),
        })
    }

    fn map_err(&self, method: &'static str, e: tendermint_rpc::Error) -> RpcError {
        classify_error(&self.url, method, e)
    }
}

/// Transport failures (nothing answered) vs. errors the node answered with.
fn classify_error(url: &str, method: &'static str, e: tendermint_rpc::Error) -> RpcError {
    match e.detail() {
        ErrorDetail::Http(_) => RpcError::Unreachable {
            url: url.to_string(),
            // The detail alone says "HTTP error"; the cause (e.g. "Connection refused") is in
            // the error's source chain.
            detail: error_chain(&e),
        },
        ErrorDetail::Io(_) | ErrorDetail::Timeout(_) => RpcError::Unreachable {
            url: url.to_string(),
            detail: e.detail().to_string(),
        },
        other => RpcError::Rpc {
            method,
            url: url.to_string(),
            detail: other.to_string(),
        },
    }
}

/// A tendermint-rpc error's detail and its causes, joined with ": " (repeats skipped). Its
/// own `Display` is avoided: with the eyre tracer it can include a backtrace.
fn error_chain(e: &tendermint_rpc::Error) -> String {
    let mut parts: Vec<String> = vec![e.detail().to_string()];
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let msg = c.to_string();
        if !parts.contains(&msg) {
            parts.push(msg);
        }
        cur = c.source();
    }
    parts.join(": ")
}

/// CometBFT answers `tx` for an unknown hash with an internal error "tx (HASH) not found".
fn is_tx_not_found(e: &tendermint_rpc::Error) -> bool {
    match e.detail() {
        ErrorDetail::Response(r) => {
            let data = r.source.data().unwrap_or_default();
            data.contains("not found") || r.source.message().contains("not found")
        }
        _ => false,
    }
}

fn parse_hash(hash: &str) -> Result<tendermint::Hash, RpcError> {
    let bytes = hex::decode(hash).map_err(|_| RpcError::InvalidHash(hash.to_string()))?;
    tendermint::Hash::from_bytes(tendermint::hash::Algorithm::Sha256, &bytes)
        .map_err(|_| RpcError::InvalidHash(hash.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_urls_are_rejected() {
        assert!(matches!(
            RpcClient::new("not a url"),
            Err(RpcError::InvalidUrl { .. })
        ));
        assert!(matches!(
            RpcClient::new("ftp://127.0.0.1:1"),
            Err(RpcError::InvalidUrl { .. })
        ));
        assert!(RpcClient::new(DEFAULT_NODE).is_ok());
    }

    #[test]
    fn tx_result_data_is_the_answers_base64() {
        use base64::Engine as _;
        let payload = vec![0x12u8, 0x03, 0x0a, 0x01, 0x78];
        let b64 = base64::engine::general_purpose::STANDARD.encode(&payload);
        let json = serde_json::json!({
            "hash": "AB".repeat(32),
            "height": "7",
            "index": 0,
            "tx_result": {
                "code": 0, "data": b64, "log": "", "info": "", "gas_wanted": "10",
                "gas_used": "5", "events": [{"type": "t", "attributes": [
                    {"key": "k", "value": "v", "index": true}]}], "codespace": ""
            },
            "tx": "",
        });
        let resp: tendermint_rpc::endpoint::tx::Response = serde_json::from_value(json).unwrap();
        let r = TxResult::from_exec(resp.hash.to_string(), resp.height.value(), &resp.tx_result);
        assert_eq!(r.data, b64);
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&r.data)
                .unwrap(),
            payload
        );
        assert_eq!(r.event_attr("t", "k"), Some("v"));
        assert_eq!(r.height, 7);
        // Raw (non-base64) bytes are encoded.
        assert_eq!(data_base64(&[0xff, 0x00]), "/wA=");
    }

    #[test]
    fn hashes_are_validated() {
        assert!(parse_hash(&"AB".repeat(32)).is_ok());
        assert!(matches!(parse_hash("xyz"), Err(RpcError::InvalidHash(_))));
        assert!(matches!(parse_hash("abcd"), Err(RpcError::InvalidHash(_))));
    }

    #[tokio::test]
    async fn unreachable_node_has_a_helpful_error() {
        // Bind then drop a listener: the port is free and nothing answers on it.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{port}");
        let rpc = RpcClient::new(&url).unwrap();
        let err = rpc.status().await.unwrap_err();
        assert!(matches!(err, RpcError::Unreachable { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&url) && msg.contains("blsd start"), "{msg}");
        assert!(
            msg.to_lowercase().contains("refused"),
            "cause is shown: {msg}"
        );
    }
}
