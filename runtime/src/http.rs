//! The `bls_http` host extension: outbound HTTP for guests, allowed only to the
//! manifest's exact origins. ABI and wire format: see `contracts/sdk/src/http.rs`.
//!
//! Every failure (denied origin, private address, bad request, network error, oversized
//! response, bad guest pointer) is returned to the guest as an error code; nothing here
//! traps the guest or panics the worker. Redirects are not followed (a 3xx is returned
//! as is), so a redirect can never lead outside the allowlist. Where a request may connect
//! — every resolved address public or operator-allowed, the connection pinned to the vetted
//! addresses — is `destination.rs`'s. The ambient proxy settings are ignored.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use wasmtime::{Caller, Extern, Linker, Memory};

use crate::allowlist::{find_allowed, request_origin, Origin};
use crate::config::HttpConfig;
use crate::destination::{self, Refusal};

/// Name of the import module guests link against.
pub const MODULE: &str = "bls_http";

/// Error codes returned to the guest (mirrors `bls_sdk::http::ErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum HttpErrorCode {
    /// Origin not allowlisted, or resolves to a non-public address.
    Denied = 1,
    /// Malformed request.
    InvalidRequest = 2,
    /// Connect/TLS/protocol failure or timeout.
    Network = 3,
    /// Response body over the cap.
    ResponseTooLarge = 4,
    /// Per-job request budget spent.
    TooManyRequests = 5,
    /// Guest pointer/length out of bounds or buffer too small.
    BadBuffer = 6,
}

/// Per-job state of the extension.
#[derive(Debug)]
pub struct HttpCtx {
    allowlist: Vec<Origin>,
    config: HttpConfig,
    requests_made: u32,
    last_body: Vec<u8>,
    last_error: String,
}

impl HttpCtx {
    /// State for one job allowed to reach `allowlist`.
    pub fn new(allowlist: Vec<Origin>, config: HttpConfig) -> Self {
        Self {
            allowlist,
            config,
            requests_made: 0,
            last_body: Vec::new(),
            last_error: String::new(),
        }
    }
}

impl HttpCtx {
    /// Requests made so far (a call hands the count to its callee and takes it back, so one
    /// budget serves the whole job).
    pub(crate) fn requests_made(&self) -> u32 {
        self.requests_made
    }

    /// Sets the count of requests made (see [`HttpCtx::requests_made`]).
    pub(crate) fn set_requests_made(&mut self, n: u32) {
        self.requests_made = n;
    }
}

/// A failed request: code for the guest and a message for `last_error`.
#[derive(Debug)]
struct Failure {
    code: HttpErrorCode,
    message: String,
}

fn fail(code: HttpErrorCode, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// A decoded guest request.
#[derive(Debug, PartialEq, Eq)]
struct GuestRequest {
    method: Vec<u8>,
    url: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
}

/// Most headers one request may carry.
const MAX_HEADERS: u32 = 64;

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, tail) = self.rest.split_first_chunk::<4>()?;
        self.rest = tail;
        Some(u32::from_le_bytes(*head))
    }

    fn field(&mut self) -> Option<Vec<u8>> {
        let len = usize::try_from(self.u32()?).ok()?;
        if self.rest.len() < len {
            return None;
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Some(head.to_vec())
    }
}

fn decode_request(bytes: &[u8]) -> Option<GuestRequest> {
    let mut c = Cursor { rest: bytes };
    let method = c.field()?;
    let url = c.field()?;
    let count = c.u32()?;
    if count > MAX_HEADERS {
        return None;
    }
    let mut headers = Vec::new();
    for _ in 0..count {
        headers.push((c.field()?, c.field()?));
    }
    let body = c.field()?;
    if !c.rest.is_empty() {
        return None;
    }
    Some(GuestRequest {
        method,
        url,
        headers,
        body,
    })
}

fn guest_memory<T>(caller: &mut Caller<'_, T>) -> Option<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => None,
    }
}

fn offset(ptr: i32, len: i32) -> Option<(usize, usize)> {
    // Guest pointers are u32 addresses carried in i32.
    Some((ptr as u32 as usize, len as u32 as usize))
}

/// Registers `bls_http.request`, `bls_http.response_body` and `bls_http.last_error`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut HttpCtx,
) -> wasmtime::Result<()> {
    linker.func_wrap_async(
        MODULE,
        "request",
        move |mut caller: Caller<'_, T>,
              (req_ptr, req_len, status_out, body_len_out): (i32, i32, i32, i32)| {
            Box::new(async move {
                let result = request(&mut caller, get, req_ptr, req_len).await;
                let ctx = get(caller.data_mut());
                let (status, body) = match result {
                    Ok(ok) => ok,
                    Err(f) => {
                        ctx.last_body.clear();
                        ctx.last_error = f.message;
                        return Ok(f.code as i32);
                    }
                };
                let body_len = u32::try_from(body.len()).unwrap_or(u32::MAX);
                ctx.last_body = body;
                ctx.last_error.clear();
                let Some(mem) = guest_memory(&mut caller) else {
                    return Ok(HttpErrorCode::BadBuffer as i32);
                };
                let (status_at, _) = offset(status_out, 4).unwrap_or_default();
                let (len_at, _) = offset(body_len_out, 4).unwrap_or_default();
                let wrote = mem
                    .write(&mut caller, status_at, &u32::from(status).to_le_bytes())
                    .and_then(|()| mem.write(&mut caller, len_at, &body_len.to_le_bytes()));
                Ok(match wrote {
                    Ok(()) => 0,
                    Err(_) => HttpErrorCode::BadBuffer as i32,
                })
            })
        },
    )?;

    linker.func_wrap(
        MODULE,
        "response_body",
        move |mut caller: Caller<'_, T>, buf_ptr: i32, buf_len: i32| -> i32 {
            let Some(mem) = guest_memory(&mut caller) else {
                return -(HttpErrorCode::BadBuffer as i32);
            };
            let Some((at, cap)) = offset(buf_ptr, buf_len) else {
                return -(HttpErrorCode::BadBuffer as i32);
            };
            let body = std::mem::take(&mut get(caller.data_mut()).last_body);
            if body.len() > cap {
                get(caller.data_mut()).last_body = body;
                return -(HttpErrorCode::BadBuffer as i32);
            }
            let result = match mem.write(&mut caller, at, &body) {
                Ok(()) => i32::try_from(body.len()).unwrap_or(-(HttpErrorCode::BadBuffer as i32)),
                Err(_) => -(HttpErrorCode::BadBuffer as i32),
            };
            get(caller.data_mut()).last_body = body;
            result
        },
    )?;

    linker.func_wrap(
        MODULE,
        "last_error",
        move |mut caller: Caller<'_, T>, buf_ptr: i32, buf_len: i32| -> i32 {
            let Some(mem) = guest_memory(&mut caller) else {
                return 0;
            };
            let Some((at, cap)) = offset(buf_ptr, buf_len) else {
                return 0;
            };
            let message = get(caller.data_mut()).last_error.clone().into_bytes();
            let n = message.len().min(cap);
            let Some(prefix) = message.get(..n) else {
                return 0;
            };
            match mem.write(&mut caller, at, prefix) {
                Ok(()) => i32::try_from(n).unwrap_or(0),
                Err(_) => 0,
            }
        },
    )?;
    Ok(())
}

async fn request<T: Send>(
    caller: &mut Caller<'_, T>,
    get: fn(&mut T) -> &mut HttpCtx,
    req_ptr: i32,
    req_len: i32,
) -> Result<(u16, Vec<u8>), Failure> {
    let (config, allowlist) = {
        let ctx = get(caller.data_mut());
        if ctx.requests_made >= ctx.config.max_requests_per_job {
            return Err(fail(
                HttpErrorCode::TooManyRequests,
                format!(
                    "at most {} requests per job",
                    ctx.config.max_requests_per_job
                ),
            ));
        }
        ctx.requests_made += 1;
        (ctx.config.clone(), ctx.allowlist.clone())
    };
    let (at, len) =
        offset(req_ptr, req_len).ok_or_else(|| fail(HttpErrorCode::BadBuffer, "bad pointer"))?;
    if len > config.max_request_bytes {
        return Err(fail(HttpErrorCode::InvalidRequest, "request too large"));
    }
    let mem =
        guest_memory(caller).ok_or_else(|| fail(HttpErrorCode::BadBuffer, "no memory export"))?;
    let mut raw = vec![0u8; len];
    mem.read(&*caller, at, &mut raw)
        .map_err(|_| fail(HttpErrorCode::BadBuffer, "request out of bounds"))?;
    let req = decode_request(&raw)
        .ok_or_else(|| fail(HttpErrorCode::InvalidRequest, "malformed request encoding"))?;
    perform(&config, &allowlist, req).await
}

async fn perform(
    config: &HttpConfig,
    allowlist: &[Origin],
    req: GuestRequest,
) -> Result<(u16, Vec<u8>), Failure> {
    let url_text = String::from_utf8(req.url)
        .map_err(|_| fail(HttpErrorCode::InvalidRequest, "URL is not UTF-8"))?;
    let (url, origin) = request_origin(&url_text)
        .map_err(|e| fail(HttpErrorCode::InvalidRequest, format!("bad URL: {e}")))?;
    if !config.enabled {
        return Err(fail(
            HttpErrorCode::Denied,
            "this worker does not offer outbound HTTP",
        ));
    }
    let allowed = find_allowed(allowlist, &origin).ok_or_else(|| {
        fail(
            HttpErrorCode::Denied,
            format!("{origin} is not in the manifest's http allowlist"),
        )
    })?;
    let pinned = destination::vet(config, allowed, &url)
        .await
        .map_err(|r| match r {
            Refusal::Denied(m) => fail(HttpErrorCode::Denied, m),
            Refusal::Unresolved(m) => fail(HttpErrorCode::Network, m),
        })?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.request_timeout)
        .connect_timeout(config.request_timeout)
        .dns_resolver(Arc::new(pinned))
        .build()
        .map_err(|e| fail(HttpErrorCode::Network, format!("client: {e}")))?;

    let method = reqwest::Method::from_bytes(&req.method)
        .map_err(|_| fail(HttpErrorCode::InvalidRequest, "bad method"))?;
    let mut headers = HeaderMap::new();
    for (name, value) in req.headers {
        let name = HeaderName::from_bytes(&name)
            .map_err(|_| fail(HttpErrorCode::InvalidRequest, "bad header name"))?;
        if name == reqwest::header::HOST {
            return Err(fail(
                HttpErrorCode::InvalidRequest,
                "the Host header is set by the worker",
            ));
        }
        let value = HeaderValue::from_bytes(&value)
            .map_err(|_| fail(HttpErrorCode::InvalidRequest, "bad header value"))?;
        headers.append(name, value);
    }
    let mut response = client
        .request(method, url)
        .headers(headers)
        .body(req.body)
        .send()
        .await
        .map_err(|e| fail(HttpErrorCode::Network, format!("request failed: {e}")))?;
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > config.max_response_bytes as u64)
    {
        return Err(fail(
            HttpErrorCode::ResponseTooLarge,
            "response body over the cap",
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| fail(HttpErrorCode::Network, format!("reading body: {e}")))?
    {
        if body.len().saturating_add(chunk.len()) > config.max_response_bytes {
            return Err(fail(
                HttpErrorCode::ResponseTooLarge,
                "response body over the cap",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::OriginHost;

    fn encode(method: &[u8], url: &[u8], headers: &[(&[u8], &[u8])], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let field = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        };
        field(&mut out, method);
        field(&mut out, url);
        out.extend_from_slice(&(headers.len() as u32).to_le_bytes());
        for (k, v) in headers {
            field(&mut out, k);
            field(&mut out, v);
        }
        field(&mut out, body);
        out
    }

    #[test]
    fn decode_round_trip_and_garbage() {
        let bytes = encode(b"GET", b"http://a/", &[(b"x", b"y")], b"body");
        let req = decode_request(&bytes).unwrap();
        assert_eq!(req.method, b"GET");
        assert_eq!(req.headers, vec![(b"x".to_vec(), b"y".to_vec())]);
        assert_eq!(req.body, b"body");
        for cut in 0..bytes.len() {
            assert!(decode_request(&bytes[..cut]).is_none());
        }
        let mut trailing = bytes.clone();
        trailing.push(1);
        assert!(decode_request(&trailing).is_none());
        assert!(decode_request(&[0xff; 64]).is_none());
    }

    fn get(url: &str) -> GuestRequest {
        GuestRequest {
            method: b"GET".to_vec(),
            url: url.as_bytes().to_vec(),
            headers: vec![],
            body: vec![],
        }
    }

    #[tokio::test]
    async fn denied_before_any_network() {
        let allow = vec![Origin::parse("http://93.184.215.14:9").unwrap()];
        let cfg = HttpConfig::default();
        for url in [
            "http://93.184.215.14:10/",
            "http://93.184.215.14.evil.net:9/",
            "http://localhost:9/",
            "http://127.0.0.1:9/",
            "https://93.184.215.14:9/",
        ] {
            let err = perform(&cfg, &allow, get(url)).await.unwrap_err();
            assert_eq!(err.code, HttpErrorCode::Denied, "{url}");
        }
        let err = perform(&cfg, &allow, get("not a url")).await.unwrap_err();
        assert_eq!(err.code, HttpErrorCode::InvalidRequest);
    }

    /// An allowlist entry that is not public (a manifest validated before the rule, or
    /// built by hand) still reaches nothing: the address itself is judged per request.
    #[tokio::test]
    async fn attack_ssrf_private_ip_literal_in_allowlist_is_denied() {
        let allow = vec![Origin {
            scheme: "http".into(),
            host: OriginHost::Ip("127.0.0.1".parse().unwrap()),
            port: 9,
        }];
        let err = perform(&HttpConfig::default(), &allow, get("http://127.0.0.1:9/"))
            .await
            .unwrap_err();
        assert_eq!(err.code, HttpErrorCode::Denied);
        assert!(
            err.message.contains("not a public address"),
            "{}",
            err.message
        );
    }

    /// The operating system's answer for a name is judged like any other: `localhost`
    /// (which a manifest cannot list, but a resolver can return for other names) is denied.
    #[tokio::test]
    async fn attack_ssrf_system_resolver_loopback_answer_is_denied() {
        let allow = vec![Origin {
            scheme: "http".into(),
            host: OriginHost::Domain("localhost".into()),
            port: 9,
        }];
        let err = perform(&HttpConfig::default(), &allow, get("http://localhost:9/"))
            .await
            .unwrap_err();
        // "denied" when localhost resolves, "network" if this machine cannot resolve it.
        assert!(
            err.code == HttpErrorCode::Denied || err.code == HttpErrorCode::Network,
            "{err:?}"
        );
    }
}
