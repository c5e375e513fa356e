//! Ethereum (and every chain with its JSON-RPC API: BNB Chain, Polygon, …): block number,
//! balances, contract calls and logs through a JSON-RPC endpoint. The URL's origin must be in
//! the manifest's `http` allowlist.
//!
//! ```no_run
//! let eth = bls_sdk::ethereum::Ethereum::new("https://rpc.example.com:8545");
//! let height = eth.block_number().unwrap();
//! let wei = eth.balance("0x0000000000000000000000000000000000000000", "latest").unwrap();
//! ```
//!
//! Every worker asks its own endpoint: for a verified result, read at a fixed block number
//! (`"0x10"`, not `"latest"`) what does not change once mined.

use crate::connector::{hex, send_ok, Error};
use crate::http::Request;

/// A JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct Ethereum {
    rpc: String,
}

impl Ethereum {
    /// The endpoint at `rpc_url`, e.g. `http://127.0.0.1:8545`.
    pub fn new(rpc_url: &str) -> Ethereum {
        Ethereum {
            rpc: rpc_url.to_string(),
        }
    }

    /// Calls `method` with `params`; its `result`, or the node's error.
    pub fn request(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = send_ok(&Request {
            method: "POST".into(),
            url: self.rpc.clone(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        })?;
        let mut v: serde_json::Value = serde_json::from_slice(&answer)
            .map_err(|e| Error::Malformed(format!("{method} answer: {e}")))?;
        if let Some(err) = v.get("error") {
            return Err(Error::Service(format!(
                "{method}: {} (code {})",
                err["message"].as_str().unwrap_or("error"),
                err["code"]
            )));
        }
        Ok(v["result"].take())
    }

    /// The latest block number (`eth_blockNumber`).
    pub fn block_number(&self) -> Result<u64, Error> {
        let q = self.request("eth_blockNumber", serde_json::json!([]))?;
        quantity_u64(&q)
    }

    /// The balance of `address` at `block` (`"latest"`, `"0x1a"`, …) in wei, as a decimal
    /// string (`eth_getBalance`; a balance may exceed 2^128).
    pub fn balance(&self, address: &str, block: &str) -> Result<String, Error> {
        let q = self.request("eth_getBalance", serde_json::json!([address, block]))?;
        quantity_decimal(q.as_str().unwrap_or_default())
    }

    /// Calls contract `to` with `data` at `block`, without a transaction (`eth_call`).
    pub fn call(&self, to: &str, data: &[u8], block: &str) -> Result<Vec<u8>, Error> {
        let q = self.request(
            "eth_call",
            serde_json::json!([{"to": to, "data": format!("0x{}", hex(data))}, block]),
        )?;
        hex_bytes(q.as_str().unwrap_or_default())
    }

    /// The logs matching `filter` (`eth_getLogs`: `fromBlock`, `toBlock`, `address`,
    /// `topics`), as the node returns them.
    pub fn logs(&self, filter: serde_json::Value) -> Result<Vec<serde_json::Value>, Error> {
        match self.request("eth_getLogs", serde_json::json!([filter]))? {
            serde_json::Value::Array(logs) => Ok(logs),
            other => Err(Error::Malformed(format!("eth_getLogs answer {other}"))),
        }
    }
}

fn quantity_u64(v: &serde_json::Value) -> Result<u64, Error> {
    let s = v.as_str().unwrap_or_default();
    u64::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|_| Error::Malformed(format!("quantity {v}")))
}

/// `0x`-prefixed hex bytes.
fn hex_bytes(s: &str) -> Result<Vec<u8>, Error> {
    let h = s.trim_start_matches("0x");
    if h.len() % 2 != 0 {
        return Err(Error::Malformed(format!("odd hex {s:?}")));
    }
    (0..h.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| Error::Malformed(format!("hex {s:?}")))
        })
        .collect()
}

/// A hex quantity (up to 256 bits) in decimal.
fn quantity_decimal(s: &str) -> Result<String, Error> {
    let h = s.trim_start_matches("0x");
    if h.is_empty() || h.len() > 64 {
        return Err(Error::Malformed(format!("quantity {s:?}")));
    }
    // Base-1e9 limbs, least significant first: multiply by 16 and add each hex digit.
    let mut limbs: Vec<u64> = vec![0];
    for c in h.chars() {
        let d = u64::from(
            c.to_digit(16)
                .ok_or_else(|| Error::Malformed(format!("quantity {s:?}")))?,
        );
        let mut carry = d;
        for limb in &mut limbs {
            let v = *limb * 16 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut out = limbs.last().map(u64::to_string).unwrap_or_default();
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_bytes() {
        assert_eq!(quantity_decimal("0x0").unwrap(), "0");
        assert_eq!(quantity_decimal("0xff").unwrap(), "255");
        assert_eq!(
            quantity_decimal(&format!("0x{}", "f".repeat(64))).unwrap(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        assert!(quantity_decimal("0x").is_err() && quantity_decimal("0xzz").is_err());
        assert_eq!(
            hex_bytes("0xdeadbeef").unwrap(),
            vec![0xde, 0xad, 0xbe, 0xef]
        );
        assert!(hex_bytes("0xabc").is_err());
        assert_eq!(quantity_u64(&serde_json::json!("0x1a")).unwrap(), 26);
    }
}
