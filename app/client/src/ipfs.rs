//! A client of an IPFS node's RPC API (kubo's `POST /api/v0/add`, `/api/v0/cat`,
//! `/api/v0/version`): the CLI adds function code with it, workers fetch code by CID with it.
//!
//! Nothing read here is trusted: callers check the sha256 the chain recorded before any use,
//! and [`IpfsClient::cat`] stops reading past a size bound, so a hostile or broken node can
//! neither make a worker run other code nor fill its memory.

use std::time::Duration;

/// The RPC API address of a local kubo node (`ipfs daemon`'s default).
pub const DEFAULT_IPFS_API: &str = "http://127.0.0.1:5001";

/// Most bytes read of an answer other than content (errors, JSON): a node cannot make a
/// caller read more.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// Why an IPFS call failed. Every variant names the API URL.
#[derive(Debug, thiserror::Error)]
pub enum IpfsError {
    /// The URL is not an `http(s)://host:port` API address.
    #[error("IPFS API URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// Nothing answered (connection refused, timed out).
    #[error("IPFS API {url} is unreachable ({reason}); is an IPFS node (kubo: `ipfs daemon`) running there? Set it with --ipfs-api or BLS_IPFS_API")]
    Unreachable {
        /// The API URL.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The node answered with an error.
    #[error("IPFS API {url}: {status}: {message}")]
    Api {
        /// The API URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The node's message.
        message: String,
    },
    /// The content is larger than the caller allows.
    #[error("IPFS content {cid} from {url} is larger than {max} bytes")]
    TooLarge {
        /// The API URL.
        url: String,
        /// The CID.
        cid: String,
        /// The bound.
        max: u64,
    },
    /// The node's answer could not be read.
    #[error("IPFS API {url}: unexpected answer: {reason}")]
    BadAnswer {
        /// The API URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// An IPFS node's RPC API.
#[derive(Debug, Clone)]
pub struct IpfsClient {
    base: String,
    http: reqwest::Client,
}

impl IpfsClient {
    /// A client of the API at `url` (`http://127.0.0.1:5001`); every call gives up after
    /// `timeout`. Does not connect yet.
    pub fn new(url: &str, timeout: Duration) -> Result<IpfsClient, IpfsError> {
        let invalid = |reason: &str| IpfsError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let base = url.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| invalid("must start with http:// or https://"))?;
        if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
            return Err(invalid(
                "must be scheme://host:port, without a path (e.g. http://127.0.0.1:5001)",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // The API is the node the operator named: never follow it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(IpfsClient {
            base: base.to_string(),
            http,
        })
    }

    /// The API URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: reqwest::Error) -> IpfsError {
        IpfsError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        }
    }

    async fn post(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: Option<(String, Vec<u8>)>,
    ) -> Result<reqwest::Response, IpfsError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).query(query);
        if let Some((content_type, bytes)) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        let resp = req.send().await.map_err(|e| self.unreachable(e))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        // kubo answers errors as {"Message": "...", "Code": 0, "Type": "error"}.
        let text =
            String::from_utf8_lossy(&self.read_at_most(resp, MAX_ANSWER_BYTES).await?).into_owned();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["Message"].as_str().map(str::to_string))
            .unwrap_or_else(|| text.chars().take(300).collect());
        Err(IpfsError::Api {
            url: self.base.clone(),
            status: status.as_u16(),
            message,
        })
    }

    /// At most `max` bytes of `resp`'s body (a node cannot make a caller read more).
    async fn read_at_most(
        &self,
        mut resp: reqwest::Response,
        max: usize,
    ) -> Result<Vec<u8>, IpfsError> {
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.unreachable(e))? {
            let room = max.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    /// A JSON answer of at most [`MAX_ANSWER_BYTES`].
    async fn json(&self, resp: reqwest::Response) -> Result<serde_json::Value, IpfsError> {
        let bytes = self.read_at_most(resp, MAX_ANSWER_BYTES).await?;
        serde_json::from_slice(&bytes).map_err(|e| self.bad(e.to_string()))
    }

    /// The node's version (`0.43.1`): a reachability check.
    pub async fn version(&self) -> Result<String, IpfsError> {
        let resp = self.post("/api/v0/version", &[], None).await?;
        let v = self.json(resp).await?;
        v["Version"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.bad("no Version field".into()))
    }

    fn bad(&self, reason: String) -> IpfsError {
        IpfsError::BadAnswer {
            url: self.base.clone(),
            reason,
        }
    }

    /// Adds `bytes` as one file and pins it; returns its CIDv1 (raw leaves, sha2-256).
    pub async fn add(&self, bytes: &[u8]) -> Result<String, IpfsError> {
        // One multipart part, written by hand (the boundary cannot occur in it: it is checked).
        let mut boundary = String::from("bls-ipfs-add-boundary");
        while bytes
            .windows(boundary.len())
            .any(|w| w == boundary.as_bytes())
        {
            boundary.push('x');
        }
        let mut body = Vec::with_capacity(bytes.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"code.wasm\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let resp = self
            .post(
                "/api/v0/add",
                &[("cid-version", "1"), ("pin", "true"), ("quieter", "true")],
                Some((format!("multipart/form-data; boundary={boundary}"), body)),
            )
            .await?;
        let text =
            String::from_utf8_lossy(&self.read_at_most(resp, MAX_ANSWER_BYTES).await?).into_owned();
        // One JSON object per line; the last names the file.
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .ok_or_else(|| self.bad("empty answer to add".into()))?;
        let v: serde_json::Value =
            serde_json::from_str(last).map_err(|e| self.bad(format!("{e}: {last}")))?;
        v["Hash"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.bad(format!("no Hash in {last}")))
    }

    /// The content of `cid`, at most `max_bytes` (more is an error, read no further).
    pub async fn cat(&self, cid: &str, max_bytes: u64) -> Result<Vec<u8>, IpfsError> {
        let limit = max_bytes.saturating_add(1).to_string();
        let mut resp = self
            .post("/api/v0/cat", &[("arg", cid), ("length", &limit)], None)
            .await?;
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.unreachable(e))? {
            out.extend_from_slice(&chunk);
            if u64::try_from(out.len()).unwrap_or(u64::MAX) > max_bytes {
                return Err(IpfsError::TooLarge {
                    url: self.base.clone(),
                    cid: cid.to_string(),
                    max: max_bytes,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_are_checked() {
        let t = Duration::from_secs(1);
        assert!(IpfsClient::new("http://127.0.0.1:5001", t).is_ok());
        assert_eq!(
            IpfsClient::new("http://127.0.0.1:5001/", t).unwrap().url(),
            "http://127.0.0.1:5001"
        );
        for bad in [
            "127.0.0.1:5001",
            "ftp://x:1",
            "http://",
            "http://h:1/api/v0",
        ] {
            assert!(IpfsClient::new(bad, t).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_node_that_is_down_is_named_in_the_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let c = IpfsClient::new(&url, Duration::from_secs(2)).unwrap();
        let e = c.add(b"\0asm").await.unwrap_err().to_string();
        assert!(e.contains(&url) && e.contains("unreachable"), "{e}");
    }
}
