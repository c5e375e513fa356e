//! S3 and S3-compatible stores (MinIO, moto, R2, …): list, get and put objects and create
//! buckets, with requests signed inside the guest by AWS Signature Version 4. Path-style URLs
//! (`ENDPOINT/BUCKET/KEY`); the endpoint's origin must be in the manifest's `http` allowlist.
//! Keep the credentials in the function's sealed secrets (`bls function secrets set`), which
//! the guest reads as environment variables.
//!
//! ```no_run
//! let key = bls_sdk::env("S3_ACCESS_KEY").unwrap_or_default();
//! let secret = bls_sdk::env("S3_SECRET_KEY").unwrap_or_default();
//! let s3 = bls_sdk::s3::S3::new("https://s3.example.com", "us-east-1", &key, &secret);
//! s3.put("bucket", "a/b.txt", b"hello").unwrap();
//! assert_eq!(s3.get("bucket", "a/b.txt").unwrap(), b"hello");
//! ```
//!
//! The signature's time is the guest's clock — the job's block time, the same on every
//! worker — so the servers must accept it (S3 allows 15 minutes of skew).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::connector::{hex, percent_encode, query_escape, send_ok as send_raw, Error};
use crate::http::Request;

/// An S3 endpoint with credentials.
#[derive(Clone)]
pub struct S3 {
    endpoint: String,
    host: String,
    region: String,
    access_key: String,
    secret_key: String,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret key.
        f.debug_struct("S3")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .finish()
    }
}

impl S3 {
    /// The store at `endpoint` (`scheme://host[:port]`) in `region`, signing with these
    /// credentials.
    pub fn new(endpoint: &str, region: &str, access_key: &str, secret_key: &str) -> S3 {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let host = endpoint
            .split_once("://")
            .map_or(endpoint.as_str(), |(_, rest)| rest)
            .to_string();
        S3 {
            endpoint,
            host,
            region: region.to_string(),
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
        }
    }

    /// Creates `bucket`.
    pub fn create_bucket(&self, bucket: &str) -> Result<(), Error> {
        send_ok(&self.signed("PUT", &format!("/{}", encode_path(bucket)), &[], Vec::new()))
            .map(drop)
    }

    /// Stores `bytes` as `key` in `bucket`.
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = format!("/{}/{}", encode_path(bucket), encode_path(key));
        send_ok(&self.signed("PUT", &path, &[], bytes.to_vec())).map(drop)
    }

    /// The object `key` of `bucket`.
    pub fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, Error> {
        let path = format!("/{}/{}", encode_path(bucket), encode_path(key));
        send_ok(&self.signed("GET", &path, &[], Vec::new()))
    }

    /// The keys in `bucket` starting with `prefix` (the first 1000, in key order).
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, Error> {
        let query = [("list-type", "2"), ("prefix", prefix)];
        let body = send_ok(&self.signed(
            "GET",
            &format!("/{}", encode_path(bucket)),
            &query,
            Vec::new(),
        ))?;
        let xml = String::from_utf8_lossy(&body);
        Ok(xml
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| unescape_xml(k)))
            .collect())
    }

    /// A request signed with AWS Signature Version 4 at the guest's clock.
    fn signed(&self, method: &str, path: &str, query: &[(&str, &str)], body: Vec<u8>) -> Request {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (date, stamp) = amz_date(secs);
        let payload = hex(&Sha256::digest(&body));
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (query_escape(k), query_escape(v)))
            .collect();
        pairs.sort();
        let canonical_query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let signed_headers = "host;x-amz-content-sha256;x-amz-date";
        let canonical = format!(
            "{method}\n{path}\n{canonical_query}\nhost:{}\nx-amz-content-sha256:{payload}\nx-amz-date:{stamp}\n\n{signed_headers}\n{payload}",
            self.host
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            date.as_bytes(),
        );
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        let url = if canonical_query.is_empty() {
            format!("{}{path}", self.endpoint)
        } else {
            format!("{}{path}?{canonical_query}", self.endpoint)
        };
        Request {
            method: method.into(),
            url,
            headers: vec![
                ("x-amz-date".into(), stamp),
                ("x-amz-content-sha256".into(), payload),
                (
                    "Authorization".into(),
                    format!(
                        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                        self.access_key
                    ),
                ),
            ],
            body,
        }
    }
}

/// Sends a request; an S3 error answer becomes its `Code: Message` alone — the same on every
/// worker, unlike its request ids.
fn send_ok(req: &Request) -> Result<Vec<u8>, Error> {
    send_raw(req).map_err(|e| match e {
        Error::Status { status, body } => {
            let field = |tag: &str| {
                body.split_once(&format!("<{tag}>"))
                    .and_then(|(_, rest)| rest.split_once(&format!("</{tag}>")))
                    .map(|(v, _)| unescape_xml(v))
            };
            let body = match (field("Code"), field("Message")) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code,
                _ => String::new(),
            };
            Error::Status { status, body }
        }
        other => other,
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// URI-encodes a path the way SigV4 wants: every byte but unreserved characters and `/`.
fn encode_path(s: &str) -> String {
    percent_encode(s, b"/")
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `(YYYYMMDD, YYYYMMDDTHHMMSSZ)` of a Unix time (UTC).
fn amz_date(secs: u64) -> (String, String) {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let stamp = format!(
        "{date}T{:02}{:02}{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    );
    (date, stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_paths_and_the_signing_key() {
        assert_eq!(amz_date(0), ("19700101".into(), "19700101T000000Z".into()));
        // 2013-05-24T00:00:00Z, the date of AWS's SigV4 examples; a leap day.
        assert_eq!(amz_date(1_369_353_600).1, "20130524T000000Z");
        assert_eq!(amz_date(951_782_400).1, "20000229T000000Z");
        assert_eq!(encode_path("a b/c+d"), "a%20b/c%2Bd");
        assert_eq!(unescape_xml("a&amp;b&lt;c"), "a&b<c");
        // AWS's documented signing-key example (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215, us-east-1, iam).
        let mut k = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20120215");
        for part in ["us-east-1", "iam", "aws4_request"] {
            k = hmac(&k, part.as_bytes());
        }
        assert_eq!(
            hex(&k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
