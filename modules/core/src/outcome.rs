//! The result of one execution, its canonical byte encoding and its result hash.
//!
//! Workers commit to `sha256(canonical_bytes)` on chain and later reveal the canonical
//! bytes, so the encoding holds only what every honest worker computes identically:
//! the status, stdout/stderr (capped) with truncation flags, and fuel used. Wall time
//! and diagnostic trap messages are kept on [`Outcome`] for operators but never encoded.
//!
//! A timeout depends on machine speed, so a timed-out outcome encodes the kind alone
//! (no output, zero fuel): two workers that both hit the deadline agree.
//!
//! # Encoding (version 1)
//!
//! ```text
//! "BLSO" | 0x01
//! status: 0x00 | exit code (i32 LE)      -- the guest exited (or returned from its entry)
//!       | 0x01 | trap kind (u8)          -- see TrapKind::code
//! fuel_used (u64 LE)
//! stdout_truncated (0x00|0x01) | stdout_len (u32 LE) | stdout
//! stderr_truncated (0x00|0x01) | stderr_len (u32 LE) | stderr
//! [ 0x01 | count (u8, 1..=MAX_CALLS_PER_JOB) | count × (function_id (u64 LE) | ok (0x00|0x01)) ]
//! ```
//! The bracketed call log is present only when the job called other functions
//! ([`crate::composition`]), so an outcome without calls encodes exactly as before.
//! Decoding is strict: the only accepted inputs are exactly the encodings of some
//! outcome, so `decode(b)?.canonical_bytes() == b`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::composition::{Call, MAX_CALLS_PER_JOB};

/// Largest stdout or stderr capture the protocol accepts (1 MiB each).
pub const MAX_OUTPUT_BYTES: u32 = 1 << 20;

const MAGIC: &[u8; 4] = b"BLSO";
const VERSION: u8 = 1;
/// Tag of the optional call log after stderr.
const CALLS_TAG: u8 = 1;
/// Bytes of one call record: function id (8) and the ok flag (1).
const CALL_RECORD_BYTES: usize = 9;
/// Most bytes a call log adds to an outcome: tag, count and [`MAX_CALLS_PER_JOB`] records.
pub const MAX_CALL_LOG_BYTES: usize = 2 + CALL_RECORD_BYTES * MAX_CALLS_PER_JOB as usize;

/// Why a guest stopped without exiting on its own. Kept apart from exit codes: a guest
/// cannot fake a trap by choosing an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrapKind {
    /// The wall-clock deadline passed (in wasm code or in a host call).
    Timeout,
    /// The fuel budget ran out.
    OutOfFuel,
    /// The guest asked for more memory (or table space) than its limit.
    OutOfMemory,
    /// The wasm call stack overflowed.
    StackOverflow,
    /// The guest wrote more than the output cap to stdout or stderr.
    OutputLimitExceeded,
    /// Any other trap (unreachable, out-of-bounds access, bad import, ...).
    Other,
}

impl TrapKind {
    /// Stable one-byte code used in the canonical encoding.
    pub fn code(self) -> u8 {
        match self {
            TrapKind::Timeout => 1,
            TrapKind::OutOfFuel => 2,
            TrapKind::OutOfMemory => 3,
            TrapKind::StackOverflow => 4,
            TrapKind::OutputLimitExceeded => 5,
            TrapKind::Other => 6,
        }
    }

    /// Inverse of [`TrapKind::code`].
    pub fn from_code(code: u8) -> Option<TrapKind> {
        Some(match code {
            1 => TrapKind::Timeout,
            2 => TrapKind::OutOfFuel,
            3 => TrapKind::OutOfMemory,
            4 => TrapKind::StackOverflow,
            5 => TrapKind::OutputLimitExceeded,
            6 => TrapKind::Other,
            _ => return None,
        })
    }

    /// Short stable name, e.g. `out_of_fuel`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrapKind::Timeout => "timeout",
            TrapKind::OutOfFuel => "out_of_fuel",
            TrapKind::OutOfMemory => "out_of_memory",
            TrapKind::StackOverflow => "stack_overflow",
            TrapKind::OutputLimitExceeded => "output_limit_exceeded",
            TrapKind::Other => "other",
        }
    }
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the guest ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// The guest exited with this code (0 when its entry returned normally).
    Exited(i32),
    /// The guest was stopped by a trap or a limit.
    Trapped(TrapKind),
}

/// Everything one execution produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Exit code or trap kind.
    pub status: ExitStatus,
    /// Captured stdout (at most the manifest's `output_bytes`).
    pub stdout: Vec<u8>,
    /// True when the guest wrote more to stdout than was kept.
    pub stdout_truncated: bool,
    /// Captured stderr (at most the manifest's `output_bytes`).
    pub stderr: Vec<u8>,
    /// True when the guest wrote more to stderr than was kept.
    pub stderr_truncated: bool,
    /// Fuel consumed (deterministic for a given module and input).
    pub fuel_used: u64,
    /// Wall-clock time of the execution. Not part of the canonical encoding.
    pub wall_time: Duration,
    /// Human-readable trap detail for operators. Not part of the canonical encoding.
    pub trap_message: Option<String>,
    /// Every call to another function, in the order they started (empty when the function
    /// called none). Encoded only when non-empty.
    pub calls: Vec<Call>,
}

/// Why bytes are not a canonical outcome encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended early.
    #[error("truncated input")]
    Truncated,
    /// Wrong magic bytes.
    #[error("bad magic")]
    BadMagic,
    /// Unknown encoding version.
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// Unknown status tag.
    #[error("bad status tag {0}")]
    BadStatus(u8),
    /// Unknown trap kind code.
    #[error("bad trap kind {0}")]
    BadTrapKind(u8),
    /// A flag byte other than 0 or 1.
    #[error("bad flag byte {0}")]
    BadFlag(u8),
    /// An output longer than the protocol allows.
    #[error("output of {0} bytes exceeds the cap")]
    OutputTooLong(u32),
    /// Extra bytes after the outcome.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// A timeout encoding that carries output or fuel.
    #[error("a timeout outcome carries no output, no fuel and no calls")]
    NonCanonicalTimeout,
    /// A call log with an unknown tag, no calls, or more than a job may make.
    #[error("bad call log (tag {tag}, {count} calls; at most {MAX_CALLS_PER_JOB})")]
    BadCalls {
        /// The tag byte.
        tag: u8,
        /// The count byte (0 when the tag was wrong).
        count: u8,
    },
}

impl Outcome {
    /// The outcome as it appears in the canonical encoding: a timeout drops its
    /// machine-dependent output and fuel; wall time and trap message are cleared.
    pub fn canonical(&self) -> Outcome {
        if self.status == ExitStatus::Trapped(TrapKind::Timeout) {
            return Outcome {
                status: self.status,
                stdout: Vec::new(),
                stdout_truncated: false,
                stderr: Vec::new(),
                stderr_truncated: false,
                fuel_used: 0,
                wall_time: Duration::ZERO,
                trap_message: None,
                calls: Vec::new(),
            };
        }
        Outcome {
            wall_time: Duration::ZERO,
            trap_message: None,
            ..self.clone()
        }
    }

    /// Canonical byte encoding (see the module docs). Deterministic fields only.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let c = self.canonical();
        let mut out = Vec::with_capacity(32 + c.stdout.len() + c.stderr.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        match c.status {
            ExitStatus::Exited(code) => {
                out.push(0);
                out.extend_from_slice(&code.to_le_bytes());
            }
            ExitStatus::Trapped(kind) => {
                out.push(1);
                out.push(kind.code());
            }
        }
        out.extend_from_slice(&c.fuel_used.to_le_bytes());
        for (truncated, bytes) in [
            (c.stdout_truncated, &c.stdout),
            (c.stderr_truncated, &c.stderr),
        ] {
            out.push(u8::from(truncated));
            // Captures never exceed MAX_OUTPUT_BYTES; clamp anyway so the length
            // prefix always matches the bytes written.
            let kept = &bytes[..bytes.len().min(MAX_OUTPUT_BYTES as usize)];
            out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
            out.extend_from_slice(kept);
        }
        if !c.calls.is_empty() {
            // The runtime never makes more; clamp anyway so the count matches the records.
            let kept = &c.calls[..c.calls.len().min(MAX_CALLS_PER_JOB as usize)];
            out.push(CALLS_TAG);
            out.push(kept.len() as u8);
            for call in kept {
                out.extend_from_slice(&call.function_id.to_le_bytes());
                out.push(u8::from(call.ok));
            }
        }
        out
    }

    /// sha256 of [`Outcome::canonical_bytes`]: what workers commit to on chain.
    pub fn result_hash(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Decodes a canonical encoding. Strict and bounded: never panics, never allocates
    /// more than the input's length.
    pub fn decode(bytes: &[u8]) -> Result<Outcome, DecodeError> {
        let mut r = Reader { rest: bytes };
        if r.take(4)? != MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::BadVersion(version));
        }
        let status = match r.u8()? {
            0 => ExitStatus::Exited(i32::from_le_bytes(r.array()?)),
            1 => {
                let code = r.u8()?;
                ExitStatus::Trapped(
                    TrapKind::from_code(code).ok_or(DecodeError::BadTrapKind(code))?,
                )
            }
            tag => return Err(DecodeError::BadStatus(tag)),
        };
        let fuel_used = u64::from_le_bytes(r.array()?);
        let (stdout_truncated, stdout) = r.output()?;
        let (stderr_truncated, stderr) = r.output()?;
        let calls = if r.rest.is_empty() {
            Vec::new()
        } else {
            r.calls()?
        };
        if !r.rest.is_empty() {
            return Err(DecodeError::TrailingBytes(r.rest.len()));
        }
        let outcome = Outcome {
            status,
            stdout,
            stdout_truncated,
            stderr,
            stderr_truncated,
            fuel_used,
            wall_time: Duration::ZERO,
            trap_message: None,
            calls,
        };
        if status == ExitStatus::Trapped(TrapKind::Timeout) && outcome != outcome.canonical() {
            return Err(DecodeError::NonCanonicalTimeout);
        }
        Ok(outcome)
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn output(&mut self) -> Result<(bool, Vec<u8>), DecodeError> {
        let truncated = match self.u8()? {
            0 => false,
            1 => true,
            other => return Err(DecodeError::BadFlag(other)),
        };
        let len = u32::from_le_bytes(self.array()?);
        if len > MAX_OUTPUT_BYTES {
            return Err(DecodeError::OutputTooLong(len));
        }
        // `take` checks the length against the input before anything is allocated.
        let bytes = self.take(len as usize)?.to_vec();
        Ok((truncated, bytes))
    }

    fn calls(&mut self) -> Result<Vec<Call>, DecodeError> {
        let tag = self.u8()?;
        if tag != CALLS_TAG {
            return Err(DecodeError::BadCalls { tag, count: 0 });
        }
        let count = self.u8()?;
        if count == 0 || u32::from(count) > MAX_CALLS_PER_JOB {
            return Err(DecodeError::BadCalls { tag, count });
        }
        (0..count)
            .map(|_| {
                let function_id = u64::from_le_bytes(self.array()?);
                let ok = match self.u8()? {
                    0 => false,
                    1 => true,
                    other => return Err(DecodeError::BadFlag(other)),
                };
                Ok(Call { function_id, ok })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Outcome {
        Outcome {
            status: ExitStatus::Exited(-3),
            stdout: b"hello".to_vec(),
            stdout_truncated: true,
            stderr: b"warn".to_vec(),
            stderr_truncated: false,
            fuel_used: 12345,
            wall_time: Duration::from_millis(7),
            trap_message: Some("x".into()),
            calls: Vec::new(),
        }
    }

    #[test]
    fn a_call_log_is_encoded_only_when_there_is_one_and_decodes_strictly() {
        let plain = sample();
        let mut composed = sample();
        composed.calls = vec![
            Call {
                function_id: 7,
                ok: true,
            },
            Call {
                function_id: u64::MAX,
                ok: false,
            },
        ];
        let bytes = composed.canonical_bytes();
        assert_eq!(bytes.len(), plain.canonical_bytes().len() + 2 + 2 * 9);
        assert_ne!(composed.result_hash(), plain.result_hash());
        assert_eq!(Outcome::decode(&bytes).unwrap(), composed.canonical());
        let at = plain.canonical_bytes().len();
        let mut bad_tag = bytes.clone();
        bad_tag[at] = 9;
        assert!(matches!(
            Outcome::decode(&bad_tag),
            Err(DecodeError::BadCalls { tag: 9, .. })
        ));
        let mut zero = plain.canonical_bytes();
        zero.extend_from_slice(&[1, 0]);
        assert!(matches!(
            Outcome::decode(&zero),
            Err(DecodeError::BadCalls { count: 0, .. })
        ));
        let mut too_many = plain.canonical_bytes();
        too_many.extend_from_slice(&[1, MAX_CALLS_PER_JOB as u8 + 1]);
        too_many.extend(std::iter::repeat_n(0, 9 * (MAX_CALLS_PER_JOB as usize + 1)));
        assert!(Outcome::decode(&too_many).is_err());
        let mut bad_ok = bytes.clone();
        bad_ok[at + 2 + 8] = 2;
        assert_eq!(Outcome::decode(&bad_ok), Err(DecodeError::BadFlag(2)));
        for cut in at + 1..bytes.len() {
            assert!(Outcome::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut timed_out = composed.clone();
        timed_out.status = ExitStatus::Trapped(TrapKind::Timeout);
        assert!(timed_out.canonical().calls.is_empty());
        let mut forged = timed_out.canonical().canonical_bytes();
        forged.extend_from_slice(&[1, 1, 7, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            Outcome::decode(&forged),
            Err(DecodeError::NonCanonicalTimeout)
        );
        let max = Outcome {
            calls: vec![
                Call {
                    function_id: 1,
                    ok: true
                };
                MAX_CALLS_PER_JOB as usize
            ],
            ..sample()
        };
        assert_eq!(
            max.canonical_bytes().len(),
            plain.canonical_bytes().len() + MAX_CALL_LOG_BYTES
        );
    }

    #[test]
    fn wall_time_and_message_not_encoded() {
        let a = sample();
        let mut b = sample();
        b.wall_time = Duration::from_secs(9);
        b.trap_message = None;
        assert_eq!(a.result_hash(), b.result_hash());
        b.fuel_used += 1;
        assert_ne!(a.result_hash(), b.result_hash());
    }

    #[test]
    fn exit_code_and_trap_do_not_collide() {
        let mut a = sample();
        let mut b = sample();
        a.status = ExitStatus::Exited(i32::from(TrapKind::OutOfFuel.code()));
        b.status = ExitStatus::Trapped(TrapKind::OutOfFuel);
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn timeout_encodes_kind_only() {
        let mut a = sample();
        a.status = ExitStatus::Trapped(TrapKind::Timeout);
        let mut b = a.clone();
        b.stdout = b"different progress".to_vec();
        b.fuel_used = 1;
        assert_eq!(a.result_hash(), b.result_hash());
        let decoded = Outcome::decode(&a.canonical_bytes()).unwrap();
        assert_eq!(decoded, a.canonical());
    }

    #[test]
    fn strict_decode() {
        let bytes = sample().canonical_bytes();
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            Outcome::decode(&trailing),
            Err(DecodeError::BadCalls { tag: 0, count: 0 })
        );
        let mut after_calls = bytes.clone();
        after_calls.extend_from_slice(&[1, 1, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(
            Outcome::decode(&after_calls),
            Err(DecodeError::TrailingBytes(1))
        );
        let mut bad_flag = bytes.clone();
        bad_flag[18] = 2; // stdout_truncated flag: 4 magic + 1 version + 5 status + 8 fuel
        assert_eq!(Outcome::decode(&bad_flag), Err(DecodeError::BadFlag(2)));
        let mut huge = bytes.clone();
        huge[19..23].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Outcome::decode(&huge),
            Err(DecodeError::OutputTooLong(u32::MAX))
        );
        for cut in 0..bytes.len() {
            assert!(Outcome::decode(&bytes[..cut]).is_err());
        }
    }
}
