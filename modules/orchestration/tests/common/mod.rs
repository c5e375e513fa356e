//! Orchestration's part of the test chain: a [`TestChain`] driving registry and orchestration
//! with the harness params, k256-keyed simulated workers, and deploy / invoke / commit /
//! reveal helpers.

#![allow(dead_code)]

use std::io::Write;
use std::ops::{Deref, DerefMut};

use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::{Address, Module, ModuleError};
use bls_orchestration::msgs::*;
use bls_orchestration::state::{escrow_account, open_escrow_total};
use bls_orchestration::OrchestrationModule;
use bls_registry::msgs::{Capabilities, MsgRegisterWorker, MSG_REGISTER_WORKER};
use bls_registry::RegistryModule;
use bls_testkit::TestChain;
use cosmos_sdk_proto::Any;
use k256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

pub mod fastpath;

// What the tests name refusals with (not every test file uses each).
#[allow(unused_imports)]
pub use bls_orchestration::fastpath::head::error::HeadError;
#[allow(unused_imports)]
pub use bls_orchestration::fastpath::FastPathError;
#[allow(unused_imports)]
pub use bls_orchestration::OrchestrationError;
#[allow(unused_imports)]
pub use bls_registry::RegistryError;
#[allow(unused_imports)]
pub use bls_testkit::{assert_refused, copy_store, variant};

pub const BOND: u128 = 100_000_000;
/// The harness's `fastpath_request_ttl` (blocks).
pub const FASTPATH_TTL: u64 = 4;
/// The harness's `fastpath_settle_window` (blocks): with the TTL, the registry's
/// `unbonding_blocks` of 10.
pub const FASTPATH_SETTLE_WINDOW: u64 = 6;
/// The harness's `fastpath_withdraw_delay` (≥ ttl + settle window).
pub const FASTPATH_WITHDRAW_DELAY: u64 = 100;
/// The harness's `head_dispute_window` (ttl + 5 and 5 + challenge window + 1 fit in 10).
pub const HEAD_DISPUTE_WINDOW: u64 = 5;
/// The harness's `challenge_window`.
pub const CHALLENGE_WINDOW: u64 = 3;

/// A worker simulated in-process.
#[derive(Clone)]
pub struct SimWorker {
    pub key: SigningKey,
    pub addr: Address,
    pub region: String,
    pub network: String,
    /// Advertises outbound HTTP (placed on functions with `permissions.http`).
    pub http_allowed: bool,
}

impl SimWorker {
    pub fn new(n: u8, region: &str, network: &str) -> Self {
        let mut secret = [0u8; 32];
        secret[31] = n;
        secret[0] = 1;
        let key = SigningKey::from_slice(&secret).expect("valid scalar");
        let pubkey = key.verifying_key().to_encoded_point(true);
        let addr = Address::from_secp256k1_pubkey(pubkey.as_bytes());
        Self {
            key,
            addr,
            region: region.into(),
            network: network.into(),
            http_allowed: false,
        }
    }

    /// Its X25519 encryption key (a real point, from a fixed secret per worker).
    pub fn encryption_pubkey(&self) -> Vec<u8> {
        let secret = x25519_dalek::StaticSecret::from(self.encryption_secret());
        x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec()
    }

    /// The secret behind [`SimWorker::encryption_pubkey`].
    pub fn encryption_secret(&self) -> [u8; 32] {
        let mut s = [7u8; 32];
        s[..20].copy_from_slice(self.addr.as_bytes());
        s
    }

    pub fn pubkey(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec()
    }

    pub fn salt(&self, job: u64) -> Vec<u8> {
        let mut s = b"salt-".to_vec();
        s.extend_from_slice(&job.to_be_bytes());
        s.extend_from_slice(&self.addr.as_bytes()[..4]);
        s
    }
}

static REGISTRY: RegistryModule = RegistryModule;
static ORCHESTRATION: OrchestrationModule = OrchestrationModule;

/// The modules an orchestration test chain drives, in the app's hook order (balances through
/// the bank keeper).
pub fn modules() -> Vec<&'static dyn Module> {
    vec![&REGISTRY, &ORCHESTRATION]
}

/// A test chain driving registry and orchestration, with orchestration's scenario helpers.
pub struct Chain(pub TestChain);

impl Deref for Chain {
    type Target = TestChain;
    fn deref(&self) -> &TestChain {
        &self.0
    }
}

impl DerefMut for Chain {
    fn deref_mut(&mut self) -> &mut TestChain {
        &mut self.0
    }
}

impl Chain {
    /// A chain at height 1 with genesis params for registry and orchestration.
    pub fn new(orch_params: serde_json::Value) -> Self {
        Self::with_seed(orch_params, 0)
    }

    /// [`Chain::new`] whose block hashes and randomness derive from `seed`.
    pub fn with_seed(orch_params: serde_json::Value, seed: u8) -> Self {
        let reg = serde_json::json!({"params": {
            "min_worker_bond": "1000", "min_head_bond": "5000", "unbonding_blocks": 10,
            "jail_blocks": 5, "signed_jobs_window": 10, "min_answered_per_window": 5,
            "max_multiaddrs": 4}});
        // Fast-path and head-dispute windows that fit the registry's unbonding_blocks of 10
        // (orchestration's genesis requires unbonding ≥ every evidence reach:
        // ttl + settle window, ttl + head dispute window, dispute + challenge window + 1)
        // unless a test sets its own.
        let mut orch_params = orch_params;
        if let Some(p) = orch_params.as_object_mut() {
            p.entry("fastpath_request_ttl")
                .or_insert(FASTPATH_TTL.into());
            p.entry("fastpath_settle_window")
                .or_insert(FASTPATH_SETTLE_WINDOW.into());
            p.entry("fastpath_withdraw_delay")
                .or_insert(FASTPATH_WITHDRAW_DELAY.into());
            p.entry("head_dispute_window")
                .or_insert(HEAD_DISPUTE_WINDOW.into());
            p.entry("challenge_window")
                .or_insert(CHALLENGE_WINDOW.into());
        }
        let orch = serde_json::json!({ "params": orch_params });
        let mut c = TestChain::with_seed(modules(), seed);
        c.genesis(&[("registry", reg), ("orchestration", orch)])
            .expect("registry and orchestration genesis");
        Chain(c)
    }

    /// Jails `worker` until `until` through the registry's penalty keeper.
    pub fn jail(&mut self, worker: &Address, until: u64) {
        let jailed = self.keeper(|ctx| bls_registry::penalty::jail(ctx, worker, until, "test"));
        assert!(jailed.unwrap().is_some(), "jailed");
    }

    /// Runs an orchestration message as a tx; its response.
    pub fn orch(&mut self, signer: &Address, msg: Any) -> Result<Any, ModuleError> {
        self.tx(signer, msg).map(|d| d.response)
    }

    pub fn register(&mut self, w: &SimWorker) {
        self.register_with_http(w, false);
    }

    /// Registers `w`; `http_allowed` is its capability to run functions that call HTTP.
    pub fn register_with_http(&mut self, w: &SimWorker, http_allowed: bool) {
        self.fund(&w.addr, BOND);
        let msg = MsgRegisterWorker {
            operator: w.addr.to_string(),
            result_pubkey: w.pubkey(),
            peer_id: format!("12D3KooW{}", hex::encode(&w.addr.as_bytes()[..8])),
            multiaddrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            region: w.region.clone(),
            network: w.network.clone(),
            capabilities: Some(Capabilities {
                memory_mb: 512,
                max_timeout_ms: 900_000,
                http_allowed: http_allowed || w.http_allowed,
            }),
            role: "worker".into(),
            bond: Some(ProtoCoin::ubls(BOND)),
            encryption_pubkey: w.encryption_pubkey(),
        };
        self.tx(&w.addr, encode_any(&msg, MSG_REGISTER_WORKER))
            .expect("register");
    }

    pub fn job(&self, id: u64) -> bls_orchestration::state::Job {
        bls_orchestration::state::must_get_job(&self.store, id).unwrap()
    }

    /// Escrow account balance equals the sum of open jobs' escrow.
    pub fn assert_escrow_invariant(&self) {
        assert_eq!(
            self.balance(&escrow_account()),
            open_escrow_total(&self.store).unwrap(),
            "escrow balance != sum of open escrow"
        );
    }

    // ---- message helpers ----

    pub fn deploy(
        &mut self,
        owner: &Address,
        wasm: Vec<u8>,
        manifest: &str,
        n: u32,
        m: u32,
    ) -> Result<u64, ModuleError> {
        let msg = MsgDeployFunction {
            owner: owner.to_string(),
            wasm,
            code_hash: vec![],
            source_uris: vec![],
            manifest_json: manifest.into(),
            replication: n,
            quorum: m,
            code_size: 0,
        };
        let r = self.orch(owner, encode_any(&msg, MSG_DEPLOY_FUNCTION))?;
        // The subnetwork is placed in the next block's begin block.
        self.next_block();
        Ok(
            <MsgDeployFunctionResponse as prost::Message>::decode(r.value.as_slice())
                .unwrap()
                .function_id,
        )
    }

    pub fn invoke(
        &mut self,
        invoker: &Address,
        function_id: u64,
        max_fee: u128,
    ) -> Result<MsgInvokeResponse, ModuleError> {
        let mut resp = self.invoke_in_this_block(invoker, function_id, max_fee)?;
        // The job is assigned in the next block's begin block; report who it got, as the
        // `bls.job_assigned` event of that block does.
        self.next_block();
        resp.workers = self
            .job(resp.job_id)
            .assignments
            .iter()
            .map(|a| a.worker.to_string())
            .collect();
        Ok(resp)
    }

    /// Delivers an invoke in the current block; its workers are drawn in the next one.
    pub fn invoke_in_this_block(
        &mut self,
        invoker: &Address,
        function_id: u64,
        max_fee: u128,
    ) -> Result<MsgInvokeResponse, ModuleError> {
        let msg = MsgInvoke {
            invoker: invoker.to_string(),
            function_id,
            input: b"input".to_vec(),
            args: vec!["--x".into()],
            max_fee: Some(ProtoCoin::ubls(max_fee)),
            version: 0,
        };
        let r = self.orch(invoker, encode_any(&msg, MSG_INVOKE))?;
        Ok(<MsgInvokeResponse as prost::Message>::decode(r.value.as_slice()).unwrap())
    }

    pub fn commit(&mut self, w: &SimWorker, job: u64, outcome: &[u8]) -> Result<Any, ModuleError> {
        let rh: [u8; 32] = Sha256::digest(outcome).into();
        let c = commitment(&rh, &w.salt(job), &w.addr);
        self.commit_raw(w, job, c.to_vec())
    }

    pub fn commit_raw(&mut self, w: &SimWorker, job: u64, c: Vec<u8>) -> Result<Any, ModuleError> {
        let msg = MsgCommitResult {
            worker: w.addr.to_string(),
            job_id: job,
            commitment: c,
        };
        self.orch(&w.addr, encode_any(&msg, MSG_COMMIT_RESULT))
    }

    pub fn reveal(&mut self, w: &SimWorker, job: u64, outcome: &[u8]) -> Result<Any, ModuleError> {
        self.reveal_with_salt(w, job, outcome, w.salt(job))
    }

    pub fn reveal_with_salt(
        &mut self,
        w: &SimWorker,
        job: u64,
        outcome: &[u8],
        salt: Vec<u8>,
    ) -> Result<Any, ModuleError> {
        let msg = MsgRevealResult {
            worker: w.addr.to_string(),
            job_id: job,
            outcome: outcome.to_vec(),
            salt,
        };
        self.orch(&w.addr, encode_any(&msg, MSG_REVEAL_RESULT))
    }
}

pub fn outcome(stdout: &[u8], fuel: u64) -> Vec<u8> {
    Outcome {
        status: ExitStatus::Exited(0),
        stdout: stdout.to_vec(),
        stdout_truncated: false,
        stderr: vec![],
        stderr_truncated: false,
        fuel_used: fuel,
        wall_time: std::time::Duration::ZERO,
        trap_message: None,
        calls: Vec::new(),
    }
    .canonical_bytes()
}

pub fn wasm(wat_src: &str) -> Vec<u8> {
    wat::parse_str(wat_src).expect("wat")
}

pub fn hello_wasm() -> Vec<u8> {
    wasm(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The keyless account `[n; 20]` (an invoker or function owner).
pub fn user(n: u8) -> Address {
    bls_testkit::addr(n)
}

/// Workers w1..w6: two each in eu, us, ap, each on its own network.
pub fn six_workers() -> Vec<SimWorker> {
    let regions = ["eu", "eu", "us", "us", "ap", "ap"];
    (0..6u8)
        .map(|i| SimWorker::new(i + 1, regions[usize::from(i)], &format!("AS{}", 100 + i)))
        .collect()
}

pub fn find<'a>(ws: &'a [SimWorker], a: &str) -> &'a SimWorker {
    ws.iter()
        .find(|w| w.addr.as_str() == a)
        .expect("known worker")
}
