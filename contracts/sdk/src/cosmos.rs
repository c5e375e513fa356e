//! Cosmos: ABCI queries (any gRPC query path, protobuf in and out) and bank balances, through
//! a CometBFT RPC endpoint — of the bls chain itself or any Cosmos chain. The URL's origin must
//! be in the manifest's `http` allowlist.
//!
//! ```no_run
//! let chain = bls_sdk::cosmos::Cosmos::new("https://rpc.example.com:26657");
//! let ubls = chain.bank_balance("bls1...", "ubls").unwrap();
//! ```
//!
//! A query reads the latest height each worker's endpoint knows: for a verified result, read
//! what does not change between blocks (or pass a height to [`Cosmos::abci_query_at`]).

use crate::connector::{base64_decode, hex, query_escape, send_ok, Error};
use crate::http::Request;

/// A CometBFT RPC endpoint.
#[derive(Debug, Clone)]
pub struct Cosmos {
    rpc: String,
}

/// An ABCI query's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbciResponse {
    /// The value (protobuf for gRPC query paths).
    pub value: Vec<u8>,
    /// The height it was read at.
    pub height: u64,
}

impl Cosmos {
    /// The endpoint at `rpc_url`, e.g. `http://127.0.0.1:26657`.
    pub fn new(rpc_url: &str) -> Cosmos {
        Cosmos {
            rpc: rpc_url.trim_end_matches('/').to_string(),
        }
    }

    /// Queries `path` (e.g. `/cosmos.bank.v1beta1.Query/Balance`) with `data` at the latest
    /// height.
    pub fn abci_query(&self, path: &str, data: &[u8]) -> Result<AbciResponse, Error> {
        self.abci_query_at(path, data, 0)
    }

    /// Queries `path` with `data` at `height` (0: the latest).
    pub fn abci_query_at(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
    ) -> Result<AbciResponse, Error> {
        let mut url = format!(
            "{}/abci_query?path={}&data=0x{}",
            self.rpc,
            query_escape(&format!("\"{path}\"")),
            hex(data)
        );
        if height > 0 {
            url.push_str(&format!("&height={height}"));
        }
        let answer = send_ok(&Request {
            method: "GET".into(),
            url,
            ..Request::default()
        })?;
        let v: serde_json::Value = serde_json::from_slice(&answer)
            .map_err(|e| Error::Malformed(format!("abci_query answer: {e}")))?;
        if let Some(err) = v.get("error") {
            return Err(Error::Service(format!("abci_query: {err}")));
        }
        let r = &v["result"]["response"];
        let code = r["code"].as_u64().unwrap_or(0);
        if code != 0 {
            return Err(Error::Service(format!(
                "query {path} failed with code {code} ({}): {}",
                r["codespace"].as_str().unwrap_or(""),
                r["log"].as_str().unwrap_or("")
            )));
        }
        Ok(AbciResponse {
            value: base64_decode(r["value"].as_str().unwrap_or(""))?,
            height: r["height"]
                .as_str()
                .and_then(|h| h.parse().ok())
                .unwrap_or(0),
        })
    }

    /// The bank balance of `address` in `denom` (`/cosmos.bank.v1beta1.Query/Balance`).
    pub fn bank_balance(&self, address: &str, denom: &str) -> Result<u128, Error> {
        // QueryBalanceRequest { address = 1; denom = 2; }
        let mut req = Vec::new();
        proto_string(&mut req, 1, address);
        proto_string(&mut req, 2, denom);
        let r = self.abci_query("/cosmos.bank.v1beta1.Query/Balance", &req)?;
        // QueryBalanceResponse { Coin balance = 1; }, Coin { denom = 1; amount = 2; }
        let Some(coin) = proto_field(&r.value, 1)? else {
            return Ok(0);
        };
        let amount = proto_field(coin, 2)?.unwrap_or_default();
        let text = std::str::from_utf8(amount)
            .map_err(|_| Error::Malformed("balance amount is not UTF-8".into()))?;
        if text.is_empty() {
            return Ok(0);
        }
        text.parse()
            .map_err(|_| Error::Malformed(format!("balance amount {text:?}")))
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn proto_string(out: &mut Vec<u8>, field: u64, s: &str) {
    varint(out, field << 3 | 2);
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Result<u64, Error> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes
            .get(*at)
            .ok_or_else(|| Error::Malformed("truncated protobuf".into()))?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::Malformed("varint too long".into()))
}

/// The first length-delimited field `field` of a protobuf message.
fn proto_field(msg: &[u8], field: u64) -> Result<Option<&[u8]>, Error> {
    let mut at = 0;
    while at < msg.len() {
        let key = read_varint(msg, &mut at)?;
        match key & 7 {
            0 => {
                read_varint(msg, &mut at)?;
            }
            2 => {
                let len = usize::try_from(read_varint(msg, &mut at)?).unwrap_or(usize::MAX);
                let end = at
                    .checked_add(len)
                    .filter(|e| *e <= msg.len())
                    .ok_or_else(|| Error::Malformed("truncated protobuf".into()))?;
                if key >> 3 == field {
                    return Ok(Some(&msg[at..end]));
                }
                at = end;
            }
            1 => at += 8,
            5 => at += 4,
            w => return Err(Error::Malformed(format!("protobuf wire type {w}"))),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_request_and_response_codecs() {
        let mut req = Vec::new();
        proto_string(&mut req, 1, "bls1x");
        proto_string(&mut req, 2, "ubls");
        assert_eq!(req, b"\x0a\x05bls1x\x12\x04ubls");
        // QueryBalanceResponse { balance: Coin { denom: "ubls", amount: "42" } }
        let resp = b"\x0a\x0a\x0a\x04ubls\x12\x0242";
        let coin = proto_field(resp, 1).unwrap().unwrap();
        assert_eq!(proto_field(coin, 2).unwrap().unwrap(), b"42");
        assert!(proto_field(b"\x0a\x09ab", 1).is_err(), "truncated");
    }
}
