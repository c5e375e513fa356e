//! IPFS: read a file by CID (`cat`) through a kubo RPC API or any HTTP gateway, and add one
//! (`add`) through a kubo RPC API. The URL's origin must be in the manifest's `http`
//! allowlist.
//!
//! ```no_run
//! let node = bls_sdk::ipfs::Ipfs::rpc("https://ipfs.example.com:5001");
//! let cid = node.add(b"hello").unwrap();
//! assert_eq!(node.cat(&cid).unwrap(), b"hello");
//! ```

use crate::connector::{query_escape, send_ok, Error};
use crate::http::Request;

/// An IPFS node or gateway.
#[derive(Debug, Clone)]
pub struct Ipfs {
    base: String,
    gateway: bool,
}

/// Separates the parts of an `add` upload; lengthened until the content does not contain it
/// (kubo finds the part's end by the boundary).
const BOUNDARY: &str = "bls-ipfs-add-boundary";

impl Ipfs {
    /// A kubo RPC API, e.g. `http://127.0.0.1:5001` (its `/api/v0/...` calls are POSTs).
    pub fn rpc(api_url: &str) -> Ipfs {
        Ipfs {
            base: api_url.trim_end_matches('/').to_string(),
            gateway: false,
        }
    }

    /// An HTTP gateway, e.g. `https://ipfs.io` (`GET /ipfs/CID`; read only).
    pub fn gateway(url: &str) -> Ipfs {
        Ipfs {
            base: url.trim_end_matches('/').to_string(),
            gateway: true,
        }
    }

    /// The bytes of the file `cid` (a CID, or an IPFS path such as `CID/dir/file`).
    pub fn cat(&self, cid: &str) -> Result<Vec<u8>, Error> {
        let req = if self.gateway {
            Request {
                method: "GET".into(),
                url: format!("{}/ipfs/{}", self.base, cid.trim_start_matches("/ipfs/")),
                ..Request::default()
            }
        } else {
            Request {
                method: "POST".into(),
                url: format!("{}/api/v0/cat?arg={}", self.base, query_escape(cid)),
                ..Request::default()
            }
        };
        send_ok(&req)
    }

    /// Adds `bytes` as a file (CID version 1, pinned) and returns its CID. RPC API only.
    pub fn add(&self, bytes: &[u8]) -> Result<String, Error> {
        if self.gateway {
            return Err(Error::Service(
                "a gateway is read only: add through a kubo RPC API (Ipfs::rpc)".into(),
            ));
        }
        let mut boundary = BOUNDARY.to_string();
        while bytes
            .windows(boundary.len())
            .any(|w| w == boundary.as_bytes())
        {
            boundary.push('x');
        }
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let answer = send_ok(&Request {
            method: "POST".into(),
            url: format!("{}/api/v0/add?cid-version=1&pin=true", self.base),
            headers: vec![(
                "Content-Type".into(),
                format!("multipart/form-data; boundary={boundary}"),
            )],
            body,
        })?;
        let v: serde_json::Value = serde_json::from_slice(&answer)
            .map_err(|e| Error::Malformed(format!("add answer: {e}")))?;
        v["Hash"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::Malformed(format!("add answer without Hash: {v}")))
    }
}
