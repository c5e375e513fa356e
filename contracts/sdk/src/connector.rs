//! What the connectors ([`crate::ipfs`], [`crate::cosmos`], [`crate::ethereum`], [`crate::s3`])
//! share: their error, and the small
//! encodings they need (base64, hex, URL query escaping). Every connector talks HTTP through
//! [`crate::http`], so the manifest's origin allowlist and the worker's limits apply to it.

use crate::http;

/// Why a connector call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The host refused or failed the request (an origin not in the manifest is `denied`).
    Http(http::Error),
    /// The server answered with an error status; its body, as text.
    Status {
        /// The HTTP status.
        status: u16,
        /// The body (the server's error message).
        body: String,
    },
    /// The server's answer is not what the protocol says.
    Malformed(String),
    /// The service answered with its own error (e.g. an ABCI query's code and log).
    Service(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Http(e) => write!(f, "http: {e}"),
            Error::Status { status, body } => write!(f, "status {status}: {}", body.trim()),
            Error::Malformed(m) => write!(f, "malformed answer: {m}"),
            Error::Service(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<http::Error> for Error {
    fn from(e: http::Error) -> Self {
        Error::Http(e)
    }
}

/// Sends `req`; the body of a 2xx answer, else [`Error::Status`].
pub(crate) fn send_ok(req: &http::Request) -> Result<Vec<u8>, Error> {
    let r = http::send(req)?;
    if (200..300).contains(&r.status) {
        Ok(r.body)
    } else {
        Err(Error::Status {
            status: r.status,
            body: String::from_utf8_lossy(&r.body).into_owned(),
        })
    }
}

/// Percent-encodes a URL query value (RFC 3986 unreserved characters stay).
pub(crate) fn query_escape(s: &str) -> String {
    percent_encode(s, b"")
}

/// Percent-encodes every byte of `s` but RFC 3986 unreserved characters and those in `keep`
/// (`/` for a path).
pub(crate) fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes standard base64 (padding optional).
pub(crate) fn base64_decode(s: &str) -> Result<Vec<u8>, Error> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u8> = s.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = value(*c).ok_or_else(|| Error::Malformed(format!("bad base64 {s:?}")))?;
            acc |= v << (18 - 6 * i);
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        match chunk.len() {
            4 => out.extend_from_slice(&bytes),
            3 => out.extend_from_slice(&bytes[..2]),
            2 => out.push(bytes[0]),
            _ => return Err(Error::Malformed(format!("bad base64 length {s:?}"))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_escapes() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a").is_err() && base64_decode("a*==").is_err());
        assert_eq!(query_escape("\"/a b\""), "%22%2Fa%20b%22");
        assert_eq!(hex(&[0, 255]), "00ff");
    }
}
