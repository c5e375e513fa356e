//! Inline code handling at deploy: format detection, bounded gzip decompression (a gzip bomb
//! stops at `max_wasm_bytes + 1` bytes) and WASM validation with `wasmparser` (the module
//! must validate under the worker's feature set and export its entry as a function).

use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmparser::{ExternalKind, Parser, Payload, Validator, WasmFeatures};

use crate::error::OrchestrationError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const WASM_MAGIC: [u8; 4] = *b"\0asm";

/// How code bytes are stored on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// A gzip stream of the WASM module.
    Gzip,
    /// The raw WASM module.
    None,
}

/// Inline code after checks: the bytes as sent, their format, and the raw WASM's size/hash.
#[derive(Clone, Debug)]
pub struct CheckedCode {
    /// Bytes as sent (stored on chain; workers fetch them).
    pub stored: Vec<u8>,
    /// Their format.
    pub compression: Compression,
    /// The raw WASM.
    pub wasm: Vec<u8>,
    /// sha256 of the raw WASM: the code hash.
    pub hash: [u8; 32],
}

/// Detects the format and returns the raw WASM, decompressing at most `max_wasm` bytes.
pub fn decompress(
    bytes: &[u8],
    max_code: u64,
    max_wasm: u64,
) -> Result<(Compression, Vec<u8>), OrchestrationError> {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > max_code {
        return Err(OrchestrationError::CodeTooLarge {
            what: "compressed",
            size: len,
            limit: max_code,
        });
    }
    if bytes.starts_with(&WASM_MAGIC) {
        if len > max_wasm {
            return Err(OrchestrationError::CodeTooLarge {
                what: "decompressed",
                size: len,
                limit: max_wasm,
            });
        }
        return Ok((Compression::None, bytes.to_vec()));
    }
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Err(OrchestrationError::InvalidWasm(
            "code is neither gzip (1f 8b) nor raw wasm (\\0asm)".into(),
        ));
    }
    let mut out = Vec::new();
    // Read one byte past the cap so "exactly at the cap" and "above it" are distinguishable
    // without ever holding more than cap + 1 bytes.
    let reader = flate2::read::GzDecoder::new(bytes);
    reader
        .take(max_wasm.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| OrchestrationError::InvalidWasm(format!("gzip: {e}")))?;
    let out_len = u64::try_from(out.len()).unwrap_or(u64::MAX);
    if out_len > max_wasm {
        return Err(OrchestrationError::CodeTooLarge {
            what: "decompressed",
            size: out_len,
            limit: max_wasm,
        });
    }
    Ok((Compression::Gzip, out))
}

/// The WASM features workers run: no threads, no component model, no GC (wasmtime on the
/// worker is built without them), so such modules are refused at deploy, not at run time.
fn features() -> WasmFeatures {
    let mut f = WasmFeatures::default();
    f.remove(WasmFeatures::THREADS);
    f.remove(WasmFeatures::SHARED_EVERYTHING_THREADS);
    f.remove(WasmFeatures::COMPONENT_MODEL);
    f.remove(WasmFeatures::GC);
    f.remove(WasmFeatures::GC_TYPES);
    f
}

/// Validates a core WASM module and checks that it exports `entry` as a function.
pub fn validate_wasm(wasm: &[u8], entry: &str) -> Result<(), OrchestrationError> {
    Validator::new_with_features(features())
        .validate_all(wasm)
        .map_err(|e| OrchestrationError::InvalidWasm(e.to_string()))?;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| OrchestrationError::InvalidWasm(e.to_string()))?;
        if let Payload::ExportSection(reader) = payload {
            for export in reader {
                let export = export.map_err(|e| OrchestrationError::InvalidWasm(e.to_string()))?;
                if export.name == entry {
                    if export.kind == ExternalKind::Func {
                        return Ok(());
                    }
                    return Err(OrchestrationError::InvalidWasm(format!(
                        "export {entry:?} is not a function"
                    )));
                }
            }
        }
    }
    Err(OrchestrationError::InvalidWasm(format!(
        "module does not export the entry function {entry:?}"
    )))
}

/// Full check of inline code: size caps, decompression, validation, entry export, hash.
pub fn check_inline(
    bytes: &[u8],
    entry: &str,
    max_code: u64,
    max_wasm: u64,
) -> Result<CheckedCode, OrchestrationError> {
    let (compression, wasm) = decompress(bytes, max_code, max_wasm)?;
    validate_wasm(&wasm, entry)?;
    let hash: [u8; 32] = Sha256::digest(&wasm).into();
    Ok(CheckedCode {
        stored: bytes.to_vec(),
        compression,
        wasm,
        hash,
    })
}
