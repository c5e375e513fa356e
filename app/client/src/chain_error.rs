//! Chain errors as a person meets them in `blsd` and `bls`: what went wrong first, in words,
//! then what to do (the command to run), the raw code last. The chain wraps a module's
//! message (`failed to execute message; message index: 0: orchestration error 6: unknown
//! function 999`) and the client wraps that again (`query .../Simulate failed (code 6, ...)`);
//! [`explain`] finds the (codespace, code) in an error's chain and says it plainly.
//!
//! A `--node` that is not CometBFT's RPC is recognised too: the REST gateway (1317 by
//! default) answers HTTP with 404 to JSON-RPC, blsd's ABCI socket (26658) does not speak HTTP
//! at all. Both are identified by asking them (an HTTP GET of a REST route, an ABCI `Echo`),
//! not by port number, and named with the port the user gave.

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use crate::rpc::{RpcError, DEFAULT_NODE};
use crate::send::SendError;

/// Which command line prints the error: the commands it suggests are its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `blsd` (node operators' client).
    Blsd,
    /// `bls` (function developers' client).
    Bls,
}

/// Where in a tx's life the chain refused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Gas simulation before signing (`/cosmos.tx.v1beta1.Service/Simulate`).
    Simulate,
    /// The mempool check (CheckTx): the tx was not accepted.
    Check,
    /// Execution in a block: the tx is on chain, failed (its fee is paid).
    Execute,
    /// A state query.
    Query,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Simulate => "during simulate",
            Stage::Check => "during the mempool check",
            Stage::Execute => "during execution",
            Stage::Query => "during a query",
        })
    }
}

/// A chain error reshaped: `what: todo [codespace code N, stage]`.
#[derive(Debug, thiserror::Error)]
#[error("{what}{}{} [{codespace} code {code}, {stage}{}]",
    if todo.is_empty() { "" } else { ": " }, todo,
    tx.as_deref().map(|t| format!(", tx {t}")).unwrap_or_default())]
pub struct ChainError {
    /// What went wrong, in the chain's words without its wrapping.
    pub what: String,
    /// What to do about it (may name a command); empty when there is nothing to advise.
    pub todo: String,
    /// The module's codespace (`sdk` for the tx pipeline).
    pub codespace: String,
    /// The ABCI code.
    pub code: u32,
    /// When it was refused.
    pub stage: Stage,
    /// Hash (and height) of the tx, when it was included.
    pub tx: Option<String>,
}

/// `--node` points at a service of the node that is not CometBFT's RPC.
#[derive(Debug, thiserror::Error)]
pub enum WrongService {
    /// The REST gateway (`[api] listen`, 1317 by default).
    #[error("--node {url}: that is the node's REST gateway (port {port}); --node wants CometBFT's RPC, by default {DEFAULT_NODE} [{detail}]")]
    RestGateway {
        /// The URL given.
        url: String,
        /// Its port.
        port: u16,
        /// The client's own error.
        detail: String,
    },
    /// blsd's ABCI socket (26658 by default), which only CometBFT talks to.
    #[error("--node {url}: that is blsd's ABCI port ({port}), which only CometBFT talks to; --node wants CometBFT's RPC, by default {DEFAULT_NODE} [{detail}]")]
    AbciSocket {
        /// The URL given.
        url: String,
        /// Its port.
        port: u16,
        /// The client's own error.
        detail: String,
    },
}

/// Rewrites the chain errors and wrong-service errors found in `err`'s chain (see the module
/// docs); other errors pass through unchanged. `node` is the `--node` in use.
pub fn explain(err: anyhow::Error, node: &str, tool: Tool) -> anyhow::Error {
    if err.downcast_ref::<ChainError>().is_some() || err.downcast_ref::<WrongService>().is_some() {
        return err;
    }
    // The client's own words for an RPC that failed below the application (HTTP, socket).
    let mut transport: Option<String> = None;
    for cause in err.chain() {
        let rpc =
            cause
                .downcast_ref::<RpcError>()
                .or_else(|| match cause.downcast_ref::<SendError>() {
                    Some(SendError::Rpc(r)) => Some(r),
                    _ => None,
                });
        let raw = match rpc {
            Some(RpcError::Query {
                path,
                code,
                codespace,
                log,
            }) => {
                let stage = if path.contains("Simulate") {
                    Stage::Simulate
                } else {
                    Stage::Query
                };
                Some((codespace.as_str(), *code, log.as_str(), stage, None))
            }
            Some(RpcError::CheckTx {
                code,
                codespace,
                log,
                ..
            }) => Some((codespace.as_str(), *code, log.as_str(), Stage::Check, None)),
            Some(RpcError::Unreachable { detail, .. }) | Some(RpcError::Rpc { detail, .. }) => {
                transport = Some(detail.clone());
                None
            }
            _ => match cause.downcast_ref::<SendError>() {
                Some(SendError::Failed {
                    hash,
                    height,
                    code,
                    codespace,
                    log,
                }) => Some((
                    codespace.as_str(),
                    *code,
                    log.as_str(),
                    Stage::Execute,
                    Some(format!("{hash} at height {height}")),
                )),
                _ => None,
            },
        };
        if let Some((codespace, code, log, stage, tx)) = raw {
            return reshape(codespace, code, log, stage, tx, node, tool).into();
        }
    }
    if let Some(detail) = transport {
        if let Some(wrong) = identify_service(node, &detail) {
            return wrong.into();
        }
    }
    err
}

/// The module's own message: the log without the tx pipeline's and the module's prefixes.
pub fn message_of(log: &str, codespace: &str, code: u32) -> String {
    let mut m = log.trim();
    if let Some(rest) = m.strip_prefix("failed to execute message; message index: ") {
        m = rest.split_once(": ").map_or(rest, |(_, r)| r);
    }
    let prefix = format!("{codespace} error {code}: ");
    m.strip_prefix(prefix.as_str()).unwrap_or(m).to_string()
}

/// The (codespace, code) table: what to do about each error a newcomer meets.
fn reshape(
    codespace: &str,
    code: u32,
    log: &str,
    stage: Stage,
    tx: Option<String>,
    node: &str,
    tool: Tool,
) -> ChainError {
    let what = message_of(log, codespace, code);
    let nf = if node == DEFAULT_NODE {
        String::new()
    } else {
        format!(" --node {node}")
    };
    let by_tool = |bls: String, blsd: String| if tool == Tool::Bls { bls } else { blsd };
    let fund = by_tool(
        format!("fund the signer (on a devnet: `blsd tx bank send alice ADDRESS 100000000ubls --keyring-dir .devnet/node/keyring --keyring-backend test --yes --wait{nf}`), see its balance with `bls account --from KEY{nf}`"),
        format!("fund the signer with `blsd tx bank send FUNDED_KEY ADDRESS AMOUNT --yes --wait{nf}`, see its balance with `blsd query bank balances ADDRESS{nf}`"),
    );
    let todo = match (codespace, code) {
        ("orchestration", 6) | ("orchestration", 8) => by_tool(
            format!("list the functions with `bls function list{nf}`"),
            format!("list the functions with `blsd query orchestration functions{nf}`"),
        ),
        ("orchestration", 11) => {
            format!("list the jobs with `blsd query orchestration jobs{nf}`")
        }
        ("orchestration", 28) => format!(
            "the chain keeps finished jobs for job_retention_blocks (see `blsd query orchestration params{nf}`); read results when they land, or from the bls.job_finalized events of an archive node"
        ),
        ("registry", 4) => format!("list the workers with `blsd query registry workers{nf}`"),
        ("orchestration", 7) => by_tool(
            format!("sign with the owner's key (--from); see the owner with `bls function show ID{nf}`"),
            format!("sign with the owner's key (--from); see the owner with `blsd query orchestration function ID{nf}`"),
        ),
        ("registry", 5) | ("staking", 4) | ("slashing", 3) => {
            "sign with the operator's key (--from)".to_string()
        }
        ("sdk", 4) => "sign with the key of the account this acts for (--from)".to_string(),
        ("sdk", 5) | ("bank", 5) | ("orchestration", 24) | ("registry", 11) => fund,
        ("sdk", 9) | ("sdk", 22) => format!(
            "an account exists on chain once it has received coins: {fund}"
        ),
        ("orchestration", 10) => by_tool(
            "raise --max-fee to at least the amount named, or leave --max-fee out (bls then offers the worst case)".to_string(),
            "raise --max-fee to at least the amount named".to_string(),
        ),
        ("sdk", 13) => "raise --fees (or --gas-prices) to at least the required fee".to_string(),
        ("sdk", 32) => {
            "an earlier tx from this account is probably still in the mempool: wait for it (use --wait) and retry".to_string()
        }
        ("sdk", 11) | ("orchestration", 27) => by_tool(
            "state changed between gas simulation and execution: retry".to_string(),
            "raise --gas, or keep --gas auto and raise --gas-adjustment".to_string(),
        ),
        ("orchestration", 9) => format!(
            "wait for more workers to register (see `blsd query registry workers --status active{nf}`), or lower the replication"
        ),
        _ => String::new(),
    };
    ChainError {
        what,
        todo,
        codespace: if codespace.is_empty() {
            "sdk".into()
        } else {
            codespace.into()
        },
        code,
        stage,
        tx,
    }
}

/// Asks what answers at `node` when RPC calls to it failed: the REST gateway or blsd's ABCI
/// socket ([`WrongService`]), or `None` (nothing, or something else).
pub fn identify_service(node: &str, detail: &str) -> Option<WrongService> {
    let (host, port) = host_port(node)?;
    let addr = (host.as_str(), port).to_socket_addrs().ok()?.next()?;
    let connect = || -> Option<TcpStream> {
        let s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
        Some(s)
    };
    let detail = detail.to_string();
    if is_abci(connect()?) {
        return Some(WrongService::AbciSocket {
            url: node.to_string(),
            port,
            detail,
        });
    }
    if is_rest_gateway(connect()?, &host) {
        return Some(WrongService::RestGateway {
            url: node.to_string(),
            port,
            detail,
        });
    }
    None
}

/// `http(s)://host:port/...` → (host, port), the port defaulting by scheme.
fn host_port(node: &str) -> Option<(String, u16)> {
    let (scheme, rest) = node.split_once("://")?;
    let authority = rest.split('/').next()?;
    let default = if scheme == "https" { 443 } else { 80 };
    let with_port = authority
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)));
    Some(match with_port {
        Some((h, p)) => (h.trim_matches(['[', ']']).to_string(), p),
        None => (authority.to_string(), default),
    })
}

/// An ABCI `Echo` request, then `Flush`, each preceded by its length as a varint (the ABCI
/// socket protocol): `Request{echo: {message: "bls"}}`, `Request{flush: {}}`.
const ABCI_ECHO_FLUSH: &[u8] = &[
    7, 0x0a, 5, 0x0a, 3, b'b', b'l', b's', // echo
    2, 0x12, 0, // flush
];

/// True when the peer answers the ABCI echo with `Response{echo: {message: "bls"}}`.
fn is_abci(mut s: TcpStream) -> bool {
    if s.write_all(ABCI_ECHO_FLUSH).is_err() {
        return false;
    }
    let mut buf = [0u8; 8];
    // Length 7, Response.echo (field 2), ResponseEcho{message (field 1): "bls"}.
    s.read_exact(&mut buf).is_ok() && buf == [7, 0x12, 5, 0x0a, 3, b'b', b'l', b's']
}

/// True when the peer answers a REST route of the Cosmos gateway with a JSON document.
fn is_rest_gateway(mut s: TcpStream, host: &str) -> bool {
    let req = format!(
        "GET /cosmos/bank/v1beta1/balances/bls1probe HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    // HTTP/1.0: the server closes after answering; a read timeout ends a silent peer.
    let _ = s.take(64 * 1024).read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    text.starts_with("http/1.") && text.contains("content-type: application/json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const WRAPPED: &str =
        "failed to execute message; message index: 0: orchestration error 6: unknown function 999";

    fn simulate_error(codespace: &str, code: u32, log: &str) -> anyhow::Error {
        anyhow::Error::new(SendError::Rpc(RpcError::Query {
            path: "/cosmos.tx.v1beta1.Service/Simulate".into(),
            code,
            codespace: codespace.into(),
            log: log.into(),
        }))
        .context("signing")
    }

    #[test]
    fn unknown_function_says_what_then_what_to_do_then_the_code() {
        let e = explain(
            simulate_error("orchestration", 6, WRAPPED),
            DEFAULT_NODE,
            Tool::Bls,
        );
        assert_eq!(
            e.to_string(),
            "unknown function 999: list the functions with `bls function list` [orchestration code 6, during simulate]"
        );
        let e = explain(
            simulate_error("orchestration", 6, WRAPPED),
            "http://10.0.0.1:26657",
            Tool::Blsd,
        );
        assert_eq!(
            e.to_string(),
            "unknown function 999: list the functions with `blsd query orchestration functions --node http://10.0.0.1:26657` [orchestration code 6, during simulate]"
        );
    }

    #[test]
    fn the_common_errors_each_name_a_fix() {
        let cases: &[(&str, u32, &str, &str)] = &[
            (
                "orchestration",
                11,
                "orchestration error 11: unknown job 5",
                "blsd query orchestration jobs",
            ),
            (
                "registry",
                4,
                "registry error 4: unknown worker bls1x",
                "blsd query registry workers",
            ),
            (
                "sdk",
                5,
                "0ubls is smaller than 5ubls: insufficient funds",
                "blsd tx bank send",
            ),
            (
                "bank",
                5,
                "bank error 5: insufficient funds in bls1x: ...",
                "blsd tx bank send",
            ),
            (
                "orchestration",
                10,
                "orchestration error 10: max_fee 1ubls is below 5ubls",
                "raise --max-fee",
            ),
            (
                "sdk",
                13,
                "insufficient fees; got: 1ubls required: 5ubls: insufficient fee",
                "raise --fees",
            ),
            (
                "sdk",
                32,
                "account sequence mismatch, expected 5, got 4: incorrect account sequence",
                "wait for it",
            ),
            (
                "orchestration",
                7,
                "orchestration error 7: function 1 is owned by bls1a, not bls1b",
                "owner's key",
            ),
            ("sdk", 4, "signature mismatch: unauthorized", "--from"),
            (
                "sdk",
                11,
                "out of gas in location: x; gasWanted: 1, gasUsed: 2: out of gas",
                "--gas-adjustment",
            ),
            (
                "sdk",
                22,
                "account bls1x not found",
                "once it has received coins",
            ),
        ];
        for (codespace, code, log, fix) in cases {
            let e = explain(
                simulate_error(codespace, *code, log),
                DEFAULT_NODE,
                Tool::Blsd,
            );
            let msg = e.to_string();
            let c = e
                .downcast_ref::<ChainError>()
                .unwrap_or_else(|| panic!("{msg}"));
            assert!(c.todo.contains(fix), "{codespace} {code}: {msg}");
            assert!(
                msg.ends_with(&format!("[{codespace} code {code}, during simulate]")),
                "{msg}"
            );
            assert!(!msg.starts_with("failed to execute"), "{msg}");
        }
    }

    #[test]
    fn check_tx_and_included_failures_are_reshaped_too() {
        let e = anyhow::Error::new(RpcError::CheckTx {
            hash: "AB".into(),
            code: 13,
            codespace: "sdk".into(),
            log: "insufficient fees; got: 1ubls required: 5ubls: insufficient fee".into(),
        });
        let msg = explain(e, DEFAULT_NODE, Tool::Blsd).to_string();
        assert!(msg.starts_with("insufficient fees; got: 1ubls"), "{msg}");
        assert!(
            msg.ends_with("[sdk code 13, during the mempool check]"),
            "{msg}"
        );

        let e = anyhow::Error::new(SendError::Failed {
            hash: "CD".into(),
            height: 9,
            code: 7,
            codespace: "orchestration".into(),
            log: "failed to execute message; message index: 0: orchestration error 7: function 1 is owned by bls1a, not bls1b".into(),
        });
        let msg = explain(e, DEFAULT_NODE, Tool::Bls).to_string();
        assert!(
            msg.starts_with("function 1 is owned by bls1a, not bls1b: sign with the owner's key"),
            "{msg}"
        );
        assert!(
            msg.ends_with("[orchestration code 7, during execution, tx CD at height 9]"),
            "{msg}"
        );
    }

    #[test]
    fn other_errors_pass_through() {
        let msg = explain(anyhow::anyhow!("disk full"), DEFAULT_NODE, Tool::Bls).to_string();
        assert_eq!(msg, "disk full");
    }

    /// A loopback server answering each connection with `answer(request bytes)`.
    fn serve(answer: fn(&mut TcpStream)) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten() {
                std::thread::spawn(move || answer(&mut c));
            }
        });
        url
    }

    /// Like blsd's REST gateway (axum): JSON on its routes, a bare 404 on `POST /`.
    fn rest_gateway(c: &mut TcpStream) {
        let mut buf = [0u8; 4096];
        let n = c.read(&mut buf).unwrap_or(0);
        let req = String::from_utf8_lossy(&buf[..n]);
        let answer = if req.starts_with("GET /cosmos/") {
            let body = r#"{"code":3,"message":"invalid address","details":[]}"#;
            format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
        } else {
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()
        };
        let _ = c.write_all(answer.as_bytes());
    }

    /// Like blsd's ABCI socket: varint-framed protobuf; answers Echo and Flush, and closes
    /// the connection on a frame that is not a request (such as HTTP).
    fn abci_socket(c: &mut TcpStream) {
        loop {
            let mut len = [0u8; 1];
            if c.read_exact(&mut len).is_err() {
                return;
            }
            let mut frame = vec![0u8; usize::from(len[0] & 0x7f)];
            if c.read_exact(&mut frame).is_err() {
                return;
            }
            match frame.first() {
                // Request.echo: answer Response.echo with the same message.
                Some(0x0a) => {
                    let mut out = vec![u8::try_from(frame.len()).unwrap(), 0x12];
                    out.extend_from_slice(&frame[1..]);
                    let _ = c.write_all(&out);
                }
                // Request.flush: Response.flush.
                Some(0x12) => {
                    let _ = c.write_all(&[2, 0x1a, 0]);
                }
                _ => return,
            }
        }
    }

    async fn status_error(url: &str) -> anyhow::Error {
        let rpc = crate::rpc::RpcClient::new(url).unwrap();
        anyhow::Error::new(rpc.status().await.unwrap_err()).context("asking the node")
    }

    #[tokio::test]
    async fn the_rest_port_is_named_as_such() {
        let url = serve(rest_gateway);
        let port = url.rsplit(':').next().unwrap().to_string();
        let msg = explain(status_error(&url).await, &url, Tool::Bls).to_string();
        assert!(
            msg.starts_with(&format!("--node {url}: that is the node's REST gateway (port {port}); --node wants CometBFT's RPC, by default http://127.0.0.1:26657")),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn the_abci_port_is_named_as_such() {
        let url = serve(abci_socket);
        let msg = explain(status_error(&url).await, &url, Tool::Blsd).to_string();
        assert!(msg.contains("that is blsd's ABCI port"), "{msg}");
        assert!(msg.contains("by default http://127.0.0.1:26657"), "{msg}");
        assert!(!msg.contains("is `blsd start`"), "{msg}");
    }

    #[tokio::test]
    async fn nothing_listening_stays_unreachable() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        let e = explain(status_error(&url).await, &url, Tool::Bls);
        assert!(e.downcast_ref::<WrongService>().is_none(), "{e:#}");
    }

    #[test]
    fn splits_node_urls() {
        assert_eq!(
            host_port("http://127.0.0.1:1317"),
            Some(("127.0.0.1".into(), 1317))
        );
        assert_eq!(
            host_port("https://node.example/x"),
            Some(("node.example".into(), 443))
        );
        assert_eq!(host_port("http://[::1]:26658"), Some(("::1".into(), 26658)));
    }
}
