//! Outbound HTTP through the worker's `bls_http` host extension.
//!
//! # ABI (module `bls_http`)
//!
//! All integers are little-endian; pointers and lengths are guest addresses/sizes.
//!
//! - `request(req_ptr, req_len, status_out, body_len_out) -> i32`: performs the request
//!   encoded at `req_ptr` (see below). Returns 0 on success and writes the HTTP status
//!   (u32) to `status_out` and the response body length (u32) to `body_len_out`;
//!   otherwise returns an [`ErrorKind`] code.
//! - `response_body(buf_ptr, buf_len) -> i32`: copies the last response's body into the
//!   buffer; returns the number of bytes copied or a negated [`ErrorKind`] code (the buffer
//!   must hold the whole body).
//! - `last_error(buf_ptr, buf_len) -> i32`: copies a human-readable message for the last
//!   failed request (truncated to `buf_len`); returns the bytes copied.
//!
//! Request encoding: `u32 len ‖ method`, `u32 len ‖ url`, `u32 count` then per header
//! `u32 len ‖ name ‖ u32 len ‖ value`, then `u32 len ‖ body`.

/// Why a request failed, as returned by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The URL's scheme/host/port is not in the manifest's allowlist, an address its host
    /// resolves to is not public (and the worker operator did not allow it), or the worker
    /// offers no outbound HTTP.
    Denied,
    /// The request is malformed (bad URL, method or header).
    InvalidRequest,
    /// Connection, TLS or protocol failure.
    Network,
    /// The response body exceeds the worker's cap.
    ResponseTooLarge,
    /// The per-job request budget is spent.
    TooManyRequests,
    /// The guest buffer is too small or out of bounds.
    BadBuffer,
    /// A code this SDK does not know.
    Unknown(i32),
}

impl ErrorKind {
    // Only the wasm32 host calls return codes.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn from_code(code: i32) -> Self {
        match code {
            1 => Self::Denied,
            2 => Self::InvalidRequest,
            3 => Self::Network,
            4 => Self::ResponseTooLarge,
            5 => Self::TooManyRequests,
            6 => Self::BadBuffer,
            other => Self::Unknown(other),
        }
    }

    /// Short stable name, e.g. `denied`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Denied => "denied",
            Self::InvalidRequest => "invalid-request",
            Self::Network => "network",
            Self::ResponseTooLarge => "response-too-large",
            Self::TooManyRequests => "too-many-requests",
            Self::BadBuffer => "bad-buffer",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// A failed request: the kind and the host's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The host's explanation.
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Body bytes (redirects are not followed: a 3xx is returned as is).
    pub body: Vec<u8>,
}

/// An HTTP request to send with [`send`].
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// Header name/value pairs.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "bls_http")]
extern "C" {
    #[link_name = "request"]
    fn host_request(
        req_ptr: *const u8,
        req_len: usize,
        status_out: *mut u32,
        body_len_out: *mut u32,
    ) -> i32;
    #[link_name = "response_body"]
    fn host_response_body(buf_ptr: *mut u8, buf_len: usize) -> i32;
    #[link_name = "last_error"]
    fn host_last_error(buf_ptr: *mut u8, buf_len: usize) -> i32;
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Encodes a request in the `bls_http` wire format (see the module docs).
pub fn encode_request(req: &Request) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + req.url.len() + req.body.len());
    push_field(&mut out, req.method.as_bytes());
    push_field(&mut out, req.url.as_bytes());
    out.extend_from_slice(&(req.headers.len() as u32).to_le_bytes());
    for (name, value) in &req.headers {
        push_field(&mut out, name.as_bytes());
        push_field(&mut out, value.as_bytes());
    }
    push_field(&mut out, &req.body);
    out
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response, Error> {
    send(&Request {
        method: "GET".into(),
        url: url.into(),
        ..Request::default()
    })
}

/// Sends a request through the host and waits for the response.
#[cfg(target_arch = "wasm32")]
pub fn send(req: &Request) -> Result<Response, Error> {
    let encoded = encode_request(req);
    let mut status: u32 = 0;
    let mut body_len: u32 = 0;
    // SAFETY: the pointers are to live locals/buffers of the stated lengths.
    let rc = unsafe { host_request(encoded.as_ptr(), encoded.len(), &mut status, &mut body_len) };
    if rc != 0 {
        return Err(last_error(ErrorKind::from_code(rc)));
    }
    let mut body = vec![0u8; body_len as usize];
    // SAFETY: `body` is a live buffer of `body.len()` bytes.
    let n = unsafe { host_response_body(body.as_mut_ptr(), body.len()) };
    if n < 0 {
        return Err(last_error(ErrorKind::from_code(-n)));
    }
    body.truncate(n as usize);
    Ok(Response {
        status: status as u16,
        body,
    })
}

/// Off wasm there is no host extension: every request fails.
#[cfg(not(target_arch = "wasm32"))]
pub fn send(_req: &Request) -> Result<Response, Error> {
    Err(Error {
        kind: ErrorKind::Denied,
        message: "bls_http is only available inside a bls worker".into(),
    })
}

#[cfg(target_arch = "wasm32")]
fn last_error(kind: ErrorKind) -> Error {
    let mut buf = vec![0u8; 1024];
    // SAFETY: `buf` is a live buffer of `buf.len()` bytes.
    let n = unsafe { host_last_error(buf.as_mut_ptr(), buf.len()) };
    buf.truncate(n.max(0) as usize);
    Error {
        kind,
        message: String::from_utf8_lossy(&buf).into_owned(),
    }
}
