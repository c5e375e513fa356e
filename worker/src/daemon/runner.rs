//! Running a job on this worker's sandbox, the one way both paths do it: the chain's jobs
//! ([`super::jobs`]) and fast-path work orders ([`crate::p2p::executor`]). Verified code is
//! compiled off the async threads; a run's outcome is counted, altered only under a test
//! [`Fault`], and handed back as the canonical bytes the worker commits or signs, with their
//! hash. Where the code comes from differs by path (the code store; peers, then the chain).

use std::sync::Arc;

use bls_runtime::{Job, Outcome, Runtime, RuntimeError};
use sha2::{Digest, Sha256};

use super::code::CodeError;
use super::fault::Fault;
use crate::metrics::Metrics;

/// The sandbox with this worker's outcome accounting and test fault. Clones share both.
#[derive(Clone)]
pub struct Runner {
    runtime: Arc<Runtime>,
    metrics: Arc<Metrics>,
    fault: Option<Fault>,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// The outcome (as this worker claims it: see [`Fault::tamper`]).
    pub outcome: Outcome,
    /// Its canonical bytes (what is committed, revealed and signed).
    pub bytes: Vec<u8>,
    /// sha256 of [`Ran::bytes`]: the result hash.
    pub result_hash: [u8; 32],
}

impl Runner {
    /// A runner over `runtime` counting outcomes in `metrics`; `fault` alters outcomes (tests).
    pub fn new(runtime: Arc<Runtime>, metrics: Arc<Metrics>, fault: Option<Fault>) -> Runner {
        Runner {
            runtime,
            metrics,
            fault,
        }
    }

    /// True when the module `code_hash` is compiled and ready.
    pub fn has_module(&self, code_hash: &[u8; 32]) -> bool {
        self.runtime.has_module(code_hash)
    }

    /// Compiles `wasm` on a blocking thread (compiling takes ~100 ms of CPU); the runtime
    /// refuses it unless it hashes to `code_hash`.
    pub async fn load(&self, code_hash: [u8; 32], wasm: Vec<u8>) -> Result<(), RuntimeError> {
        let runtime = self.runtime.clone();
        let loaded = tokio::task::spawn_blocking(move || runtime.load_expected(&code_hash, &wasm))
            .await
            .map_err(|e| RuntimeError::Setup(format!("compile task: {e}")))?;
        let (modules, bytes) = self.runtime.module_cache_usage();
        self.metrics.table_size("module_cache", modules);
        self.metrics
            .module_cache_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        loaded
    }

    /// [`Runner::load`] for code fetched off chain or from peers: a module that does not
    /// compile is [`CodeError::Invalid`] (a reason to decline).
    pub async fn load_code(&self, code_hash: [u8; 32], wasm: Vec<u8>) -> Result<(), CodeError> {
        self.load(code_hash, wasm)
            .await
            .map_err(|e| CodeError::Invalid {
                hash: hex::encode(code_hash),
                reason: e.to_string(),
            })
    }

    /// Runs `job` (its module loaded) and returns the outcome's canonical bytes and hash.
    pub async fn run(&self, job: &Job) -> Result<Ran, RuntimeError> {
        let outcome = self.runtime.run(job).await?;
        self.metrics.outcome(&outcome);
        let outcome = match self.fault {
            Some(f) => f.tamper(outcome),
            None => outcome,
        };
        let bytes = outcome.canonical_bytes();
        let result_hash = Sha256::digest(&bytes).into();
        Ok(Ran {
            outcome,
            bytes,
            result_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_runtime::{BlockTime, Manifest, RuntimeConfig};

    /// A WASI command that prints "hi" and exits 0.
    const HI: &str = r#"(module
        (import "wasi_snapshot_preview1" "fd_write"
            (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 8) "hi")
        (func (export "_start")
            (i32.store (i32.const 0) (i32.const 8))
            (i32.store (i32.const 4) (i32.const 2))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))"#;

    fn runtime() -> Arc<Runtime> {
        Arc::new(
            Runtime::new(RuntimeConfig {
                max_concurrent_jobs: 2,
                ..RuntimeConfig::default()
            })
            .unwrap(),
        )
    }

    fn job(code_hash: [u8; 32]) -> Job {
        Job {
            id: [1; 32],
            code_hash,
            manifest: Manifest::default(),
            input: Vec::new(),
            args: Vec::new(),
            block_time: BlockTime::default(),
            data_dir: None,
            secrets: Default::default(),
            callees: Vec::new(),
        }
    }

    #[tokio::test]
    async fn loads_off_thread_runs_counts_and_hashes_the_canonical_outcome() {
        let wasm = wat::parse_str(HI).unwrap();
        let hash: [u8; 32] = Sha256::digest(&wasm).into();
        let metrics = Arc::new(Metrics::new());
        let runner = Runner::new(runtime(), metrics.clone(), None);
        assert!(!runner.has_module(&hash));
        assert!(
            runner.load([0; 32], wasm.clone()).await.is_err(),
            "wrong hash"
        );
        runner.load(hash, wasm).await.unwrap();
        assert!(runner.has_module(&hash));
        let ran = runner.run(&job(hash)).await.unwrap();
        assert_eq!(ran.outcome.stdout, b"hi");
        assert_eq!(ran.bytes, ran.outcome.canonical_bytes());
        assert_eq!(
            ran.result_hash,
            <[u8; 32]>::from(Sha256::digest(&ran.bytes))
        );
        assert!(metrics
            .render()
            .contains("bls_worker_outcomes_total{kind=\"exit_ok\"} 1"));
    }

    #[tokio::test]
    async fn a_fault_alters_the_outcome_it_hands_back() {
        let wasm = wat::parse_str(HI).unwrap();
        let hash: [u8; 32] = Sha256::digest(&wasm).into();
        let rt = runtime();
        let honest = Runner::new(rt.clone(), Arc::new(Metrics::new()), None);
        let liar = Runner::new(rt, Arc::new(Metrics::new()), Some(Fault::WrongResult));
        honest.load(hash, wasm).await.unwrap();
        let a = honest.run(&job(hash)).await.unwrap();
        let b = liar.run(&job(hash)).await.unwrap();
        assert_ne!(a.result_hash, b.result_hash);
        // Wall time is not part of the result; the claimed output is the tampered one.
        assert_eq!(
            b.outcome.stdout,
            Fault::WrongResult.tamper(a.outcome).stdout
        );
    }
}
