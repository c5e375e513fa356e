//! HTTP allowlist: exact scheme/host/port origins.
//!
//! String prefixes are never compared: `https://api.x.com` must not admit
//! `https://api.x.com.evil.net` or `https://api.x.com@evil.net`. URLs are parsed and
//! scheme, host and port compared as values. Which addresses a matched request may then
//! reach is `destination.rs`'s; what counts as public is `bls_core::public_ip`'s.

pub use bls_core::origin::{find_allowed, request_origin, Origin, OriginError, OriginHost};
pub use bls_core::public_ip::is_public;

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> Vec<Origin> {
        entries.iter().map(|e| Origin::parse(e).unwrap()).collect()
    }

    fn allowed(list: &[Origin], url: &str) -> bool {
        match request_origin(url) {
            Ok((_, o)) => find_allowed(list, &o).is_some(),
            Err(_) => false,
        }
    }

    #[test]
    fn exact_match_only() {
        let list = allow(&["https://api.example.com", "http://93.184.215.14:8080"]);
        assert!(allowed(&list, "https://api.example.com/v1?q=1"));
        assert!(allowed(&list, "https://API.example.com:443/"));
        assert!(allowed(&list, "http://93.184.215.14:8080/x"));
        assert!(allowed(&list, "http://1572394766:8080/x"));
        assert!(!allowed(&list, "https://api.example.com.evil.net/"));
        assert!(!allowed(&list, "https://api.example.com@evil.net/"));
        assert!(!allowed(&list, "https://evil.net/?https://api.example.com"));
        assert!(!allowed(&list, "http://api.example.com/"));
        assert!(!allowed(&list, "https://api.example.com:8443/"));
        assert!(!allowed(&list, "http://93.184.215.14:8081/"));
        assert!(!allowed(&list, "http://[::ffff:93.184.215.14]:8080/"));
        assert!(!allowed(&list, "https://api.example.com./"));
        assert!(!allowed(&list, "http://localhost:8080/"));
        assert!(!allowed(&list, "file:///etc/passwd"));
    }

    #[test]
    fn origin_entries_are_plain() {
        assert!(Origin::parse("https://a.example.com/").is_ok());
        assert_eq!(
            Origin::parse("https://a.example.com/p"),
            Err(OriginError::NotAnOrigin)
        );
        assert_eq!(
            Origin::parse("ftp://a.example.com"),
            Err(OriginError::Scheme)
        );
        assert_eq!(
            Origin::parse("https://u:p@a.example.com"),
            Err(OriginError::UserInfo)
        );
        assert!(Origin::parse("not a url").is_err());
        assert!(matches!(
            Origin::parse("http://[::1]:80"),
            Err(OriginError::NonPublicAddress { .. })
        ));
    }
}
