//! What a guest can observe of the world, made identical on every worker: a clock fixed
//! at the job's block time, randomness derived from the job id, and nothing ambient
//! (no host env, args, files or sockets).

use std::convert::Infallible;
use std::time::Duration;

use rand_core::TryRng;
use sha2::{Digest, Sha256};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// Wall clock that always reads the job's block time.
#[derive(Debug, Clone, Copy)]
pub struct FixedWallClock(pub Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

/// Monotonic clock frozen at [`FROZEN_MONOTONIC_NS`]. Timed waits still sleep for real (and
/// are cut off by the job deadline), but no reading of the clock differs between workers.
#[derive(Debug, Clone, Copy)]
pub struct FrozenMonotonicClock;

/// What the monotonic clock always reads: one second. Not zero, because some language
/// runtimes (Go's) refuse to start on a clock that reads zero.
pub const FROZEN_MONOTONIC_NS: u64 = 1_000_000_000;

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        FROZEN_MONOTONIC_NS
    }
}

/// Deterministic byte stream: SHA-256 in counter mode over a per-job seed.
/// Blocks are `sha256(domain ‖ seed ‖ counter)`.
pub struct JobRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl JobRng {
    /// An RNG for job `job_id`; `domain` separates independent streams of one job.
    pub fn new(domain: &[u8], job_id: &[u8; 32]) -> Self {
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"bls-worker/rng/v1/")
            .chain_update(domain)
            .chain_update(job_id)
            .finalize()
            .into();
        Self {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn next_byte(&mut self) -> u8 {
        if self.used == self.block.len() {
            self.block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_le_bytes())
                .finalize()
                .into();
            self.counter = self.counter.wrapping_add(1);
            self.used = 0;
        }
        let b = self.block.get(self.used).copied().unwrap_or(0);
        self.used += 1;
        b
    }
}

impl TryRng for JobRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst.iter_mut() {
            *b = self.next_byte();
        }
        Ok(())
    }
}

/// The `insecure_random_seed` WASI value for a job.
pub fn insecure_seed(job_id: &[u8; 32]) -> u128 {
    let mut rng = JobRng::new(b"insecure-seed", job_id);
    let mut b = [0u8; 16];
    let _ = rng.try_fill_bytes(&mut b);
    u128::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_depends_on_job_and_domain_only() {
        let mut a = JobRng::new(b"x", &[1; 32]);
        let mut b = JobRng::new(b"x", &[1; 32]);
        let mut c = JobRng::new(b"x", &[2; 32]);
        let mut d = JobRng::new(b"y", &[1; 32]);
        let (mut ba, mut bb, mut bc, mut bd) = ([0u8; 100], [0u8; 100], [0u8; 100], [0u8; 100]);
        for (rng, buf) in [
            (&mut a, &mut ba),
            (&mut b, &mut bb),
            (&mut c, &mut bc),
            (&mut d, &mut bd),
        ] {
            rng.try_fill_bytes(buf).unwrap();
        }
        assert_eq!(ba, bb);
        assert_ne!(ba, bc);
        assert_ne!(ba, bd);
        assert_ne!(ba[..32], ba[32..64]);
    }
}
