//! Where code that is not stored on chain comes from: `ipfs://CID` sources.
//!
//! IPFS is the one scheme every worker can fetch (from its IPFS node, or from a peer that has
//! the blob), so it is the only one the chain accepts: an `https://` or `ar://` source would
//! be a deployment no worker runs. The CID addresses the content as IPFS stores it (chunked
//! UnixFS); the chain's code hash is the sha256 of the raw WASM, which workers check before
//! compiling, so a CID that names other bytes is refused, never run.

use cid::Cid;

/// Most source URIs per deployment.
pub const MAX_SOURCE_URIS: usize = 8;
/// Longest source URI, bytes.
pub const MAX_URI_BYTES: usize = 512;
/// The scheme.
pub const IPFS_SCHEME: &str = "ipfs://";

/// Multihash code of sha2-256 (CIDv0 and kubo's default CIDv1).
const SHA2_256: u64 = 0x12;
/// Codecs of a file's root: dag-pb (chunked UnixFS) and raw (a single block).
const DAG_PB: u64 = 0x70;
const RAW: u64 = 0x55;

/// An `ipfs://` source, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpfsSource {
    cid: Cid,
}

impl IpfsSource {
    /// Parses `ipfs://<CID>` (CIDv0 `Qm…` or CIDv1 in any multibase; no path), a sha2-256
    /// dag-pb or raw CID.
    pub fn parse(uri: &str) -> Result<IpfsSource, String> {
        let shown: String = uri.chars().take(80).collect();
        if uri.len() > MAX_URI_BYTES {
            return Err(format!("{shown:?}… is longer than {MAX_URI_BYTES} bytes"));
        }
        let Some(rest) = uri.strip_prefix(IPFS_SCHEME) else {
            return Err(format!(
                "{shown:?}: only ipfs://CID sources are accepted (workers fetch code from IPFS and \
                 from each other; https and ar sources are not fetched)"
            ));
        };
        let cid = Cid::try_from(rest).map_err(|e| format!("{shown:?}: not a CID ({e})"))?;
        if cid.hash().code() != SHA2_256 || cid.hash().size() != 32 {
            return Err(format!("{shown:?}: the CID's hash must be sha2-256"));
        }
        if cid.codec() != DAG_PB && cid.codec() != RAW {
            return Err(format!(
                "{shown:?}: the CID must name a file (dag-pb or raw codec)"
            ));
        }
        Ok(IpfsSource { cid })
    }

    /// The CID in its canonical text form (base58 for v0, base32 for v1), as IPFS APIs take it.
    pub fn cid(&self) -> String {
        self.cid.to_string()
    }

    /// The canonical URI, `ipfs://<cid>`.
    pub fn uri(&self) -> String {
        format!("{IPFS_SCHEME}{}", self.cid)
    }
}

/// Parses every source URI (at most [`MAX_SOURCE_URIS`]) and returns them canonical, in order,
/// without duplicates.
pub fn canonical_sources(uris: &[String]) -> Result<Vec<String>, String> {
    if uris.len() > MAX_SOURCE_URIS {
        return Err(format!("at most {MAX_SOURCE_URIS} entries"));
    }
    let mut out: Vec<String> = Vec::with_capacity(uris.len());
    for u in uris {
        let c = IpfsSource::parse(u)?.uri();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The IPFS sources among `uris` (stored URIs are canonical; others are skipped).
pub fn ipfs_sources(uris: &[String]) -> Vec<IpfsSource> {
    uris.iter()
        .filter_map(|u| IpfsSource::parse(u).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // kubo 0.43.1: `ipfs add --cid-version=1` and `ipfs add` (v0) of "hello world".
    const V1: &str = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
    const V0: &str = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD";

    #[test]
    fn accepts_v0_and_v1_cids_and_canonicalizes() {
        assert_eq!(
            IpfsSource::parse(&format!("ipfs://{V1}")).unwrap().cid(),
            V1
        );
        assert_eq!(
            IpfsSource::parse(&format!("ipfs://{V0}")).unwrap().cid(),
            V0
        );
        let upper = format!("ipfs://B{}", V1[1..].to_ascii_uppercase());
        assert_eq!(
            IpfsSource::parse(&upper).unwrap().uri(),
            format!("ipfs://{V1}")
        );
        let dup = vec![format!("ipfs://{V1}"), upper];
        assert_eq!(
            canonical_sources(&dup).unwrap(),
            vec![format!("ipfs://{V1}")]
        );
    }

    #[test]
    fn refuses_what_no_worker_fetches() {
        for bad in [
            "https://example.com/f.wasm",
            "http://127.0.0.1/f.wasm",
            "ar://abc",
            "ipfs://",
            "ipfs://not-a-cid",
            &format!("ipfs://{V1}/path"),
            &format!("ipfs:/{V1}"),
            // identity multihash: not content-addressed storage
            "ipfs://bafkqaaa",
        ] {
            assert!(IpfsSource::parse(bad).is_err(), "{bad} was accepted");
        }
        let long = format!("ipfs://{}", "b".repeat(MAX_URI_BYTES));
        assert!(IpfsSource::parse(&long).is_err());
        let many = vec![format!("ipfs://{V1}"); MAX_SOURCE_URIS + 1];
        assert!(canonical_sources(&many).is_err());
    }
}
