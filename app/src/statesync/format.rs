//! Snapshot format 1: the state's key-value records in key order, cut into chunks.
//!
//! - chunk: records back to back, each `key length (u32 BE) ‖ key ‖ value length (u32 BE) ‖
//!   value`; keys strictly ascending within and across chunks, values never empty;
//! - metadata: the sha256 of each chunk, 32 bytes each, in chunk order;
//! - snapshot hash: sha256 of the metadata.

use sha2::{Digest as _, Sha256};

/// The only snapshot format this node writes and reads.
pub const FORMAT: u32 = 1;

/// Chunks are cut after the record that reaches this size (CometBFT's limit is 16 MiB; a
/// single larger record gets a chunk of its own).
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Chunks a snapshot may have (CometBFT's own default cap, `max_snapshot_chunks`).
pub const MAX_CHUNKS: u32 = 100_000;

/// Why chunk bytes are not a valid part of a snapshot.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    /// A record is cut short.
    #[error("chunk ends inside a record at byte {0}")]
    Truncated(usize),
    /// A key is not above the one before it.
    #[error("keys out of order at byte {0}")]
    OutOfOrder(usize),
    /// A record has an empty value (the store has no empty values).
    #[error("empty value at byte {0}")]
    EmptyValue(usize),
    /// Metadata is not a whole number of 32-byte hashes, or does not match the chunk count.
    #[error("metadata holds {len} bytes for {chunks} chunks (32 bytes per chunk expected)")]
    Metadata {
        /// Metadata length.
        len: usize,
        /// Chunks the snapshot claims.
        chunks: u32,
    },
}

/// A decoded record: key and value.
pub type Record = (Vec<u8>, Vec<u8>);

/// Appends one record to `chunk`.
pub fn push_record(chunk: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    for part in [key, value] {
        // Keys and values are far below 4 GiB (txs are capped at a few MiB).
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        chunk.extend_from_slice(&len.to_be_bytes());
        chunk.extend_from_slice(part);
    }
}

/// Decodes a chunk's records, checking that keys ascend from `after` (the last key of the
/// chunk before; `None` for the first chunk).
pub fn decode_chunk(chunk: &[u8], after: Option<&[u8]>) -> Result<Vec<Record>, FormatError> {
    let mut out: Vec<Record> = Vec::new();
    let mut at = 0usize;
    let part = |at: &mut usize| -> Result<Vec<u8>, FormatError> {
        let start = *at;
        let len_bytes = chunk
            .get(start..start.saturating_add(4))
            .ok_or(FormatError::Truncated(start))?;
        let len = u32::from_be_bytes(
            len_bytes
                .try_into()
                .map_err(|_| FormatError::Truncated(start))?,
        );
        let body_start = start + 4;
        let body_end = body_start
            .checked_add(usize::try_from(len).map_err(|_| FormatError::Truncated(start))?)
            .ok_or(FormatError::Truncated(start))?;
        let body = chunk
            .get(body_start..body_end)
            .ok_or(FormatError::Truncated(start))?;
        *at = body_end;
        Ok(body.to_vec())
    };
    while at < chunk.len() {
        let record_at = at;
        let key = part(&mut at)?;
        let value = part(&mut at)?;
        if value.is_empty() {
            return Err(FormatError::EmptyValue(record_at));
        }
        let prev = out.last().map(|(k, _)| k.as_slice()).or(after);
        if prev.is_some_and(|p| p >= key.as_slice()) {
            return Err(FormatError::OutOfOrder(record_at));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// The sha256 of a chunk (what the metadata lists).
pub fn chunk_hash(chunk: &[u8]) -> [u8; 32] {
    Sha256::digest(chunk).into()
}

/// The snapshot hash CometBFT compares peers' snapshots by: sha256 of the metadata.
pub fn snapshot_hash(metadata: &[u8]) -> [u8; 32] {
    Sha256::digest(metadata).into()
}

/// Splits metadata into the chunk hashes of a snapshot of `chunks` chunks.
pub fn chunk_hashes(metadata: &[u8], chunks: u32) -> Result<Vec<[u8; 32]>, FormatError> {
    let bad = || FormatError::Metadata {
        len: metadata.len(),
        chunks,
    };
    let (hashes, rest) = metadata.as_chunks::<32>();
    if !rest.is_empty()
        || chunks == 0
        || chunks > MAX_CHUNKS
        || u32::try_from(hashes.len()).ok() != Some(chunks)
    {
        return Err(bad());
    }
    Ok(hashes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_chunks_are_refused() {
        let mut chunk = Vec::new();
        push_record(&mut chunk, b"a", b"1");
        push_record(&mut chunk, b"b", b"22");
        assert_eq!(
            decode_chunk(&chunk, None).unwrap(),
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"22".to_vec())
            ]
        );
        // Keys must ascend across chunks too.
        assert_eq!(
            decode_chunk(&chunk, Some(b"a")),
            Err(FormatError::OutOfOrder(0))
        );
        // Truncated anywhere but at the record boundary (10 bytes: two lengths, "a", "1").
        for cut in (1..chunk.len()).filter(|c| *c != 10) {
            assert!(decode_chunk(&chunk[..cut], None).is_err(), "cut at {cut}");
        }
        // A length that points past the end, or wraps.
        let mut huge = u32::MAX.to_be_bytes().to_vec();
        huge.extend_from_slice(b"x");
        assert!(decode_chunk(&huge, None).is_err());
        let mut empty = Vec::new();
        push_record(&mut empty, b"k", b"");
        assert_eq!(decode_chunk(&empty, None), Err(FormatError::EmptyValue(0)));
        let mut dup = Vec::new();
        push_record(&mut dup, b"k", b"1");
        push_record(&mut dup, b"k", b"2");
        assert!(matches!(
            decode_chunk(&dup, None),
            Err(FormatError::OutOfOrder(_))
        ));
    }

    #[test]
    fn metadata_must_list_one_hash_per_chunk() {
        let meta = [[1u8; 32], [2u8; 32]].concat();
        assert_eq!(chunk_hashes(&meta, 2).unwrap().len(), 2);
        assert!(chunk_hashes(&meta, 3).is_err());
        assert!(chunk_hashes(&meta[..40], 1).is_err());
        assert!(chunk_hashes(&[], 0).is_err());
    }
}
