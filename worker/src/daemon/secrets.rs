//! Sealed secrets on the worker: opening this worker's envelopes of a function before a run,
//! reporting the ones that do not open, and re-sealing what it holds to members that lack it.
//!
//! The encryption key is derived from the worker's account key
//! ([`bls_client::sealed::EncryptionKey`]); opened values live in a [`SecretEnv`] (wiped when
//! dropped) for one run and are never logged, counted by name or written to disk.

use bls_client::sealed::{seal, EncryptionKey, Envelope, SaltedValue, Scope};
use bls_client::secrets::SECRET_ENVELOPES_QUERY;
use bls_client::{KeyPair, RpcError};
use bls_core::Address;
use bls_orchestration::secrets::msgs::{MsgResealSecret, SealedEnvelope};
use bls_orchestration::secrets::queries::{SecretEnvelopesRequest, SecretEnvelopesResponse};
use bls_runtime::SecretEnv;
use std::sync::Arc;

use super::chain::Chain;
use super::signer::SignerHandle;
use crate::metrics::Metrics;

/// Why a function's secrets are not available for a run.
#[derive(Debug, thiserror::Error)]
pub enum SecretsFailure {
    /// Reading the envelopes failed (transient).
    #[error("reading the function's envelopes: {0}")]
    Query(#[from] RpcError),
    /// This worker has no envelope of a secret yet (it joined, or reported one; a reseal is
    /// pending).
    #[error("secret {name:?}: no envelope for this worker yet (a reseal is pending)")]
    Missing {
        /// The secret.
        name: String,
    },
    /// The function's secrets changed since the job was assigned: the worker declines rather
    /// than run with values the other members may not have used.
    #[error(
        "the function's secrets changed since the job was assigned (version {pinned}, now {now})"
    )]
    Stale {
        /// The job's version.
        pinned: u64,
        /// The function's version now.
        now: u64,
    },
    /// An envelope is stale, does not open or differs from its commitment: the worker reports
    /// it rather than run with a wrong value.
    #[error("secret {name:?}: {reason}")]
    Unopenable {
        /// The secret.
        name: String,
        /// Why.
        reason: String,
    },
}

/// This worker's side of sealed secrets.
pub struct WorkerSecrets {
    key: EncryptionKey,
    me: Address,
    chain_id: String,
    chain: Chain,
    signer: SignerHandle,
    metrics: Arc<Metrics>,
    /// Recent reads of envelopes for the fast path, by function.
    cache: std::sync::Mutex<std::collections::BTreeMap<u64, CachedEnvelopes>>,
    /// Reseals that failed, by (function, recipient): not retried before the instant.
    backoff: std::sync::Mutex<std::collections::BTreeMap<(u64, String), std::time::Instant>>,
}

/// How recent a read of envelopes must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Read from the chain now (jobs: the version pin is checked against it).
    Now,
    /// A fast-path request alive from `min_height` (its window start): a read made when the
    /// chain was at `min_height` or later already shows every change the chain does not excuse
    /// (fast-path dissent about a request alive since a change is not judged), so a cached one
    /// will do. `tip` is the tip the caller knows (the lower bound recorded for a new read).
    AtLeast {
        /// The request's window start.
        min_height: u64,
        /// The caller's chain tip.
        tip: u64,
    },
}

/// A cached read of this worker's envelopes of one function.
struct CachedEnvelopes {
    /// The chain tip known before the read (the read saw this height or later).
    height: u64,
    at: std::time::Instant,
    envelopes: Arc<SecretEnvelopesResponse>,
}

/// How long a cached read of envelopes serves fast-path requests.
const ENVELOPE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Most functions whose envelopes are cached (ciphertexts only, never values).
const ENVELOPE_CACHE_ENTRIES: usize = 1024;

/// How long a failed reseal waits before it is tried again.
const RESEAL_BACKOFF: std::time::Duration = std::time::Duration::from_secs(30);

impl WorkerSecrets {
    /// The secrets service of the worker whose account key is `key`.
    pub fn new(
        key: &KeyPair,
        chain_id: String,
        chain: Chain,
        signer: SignerHandle,
        metrics: Arc<Metrics>,
    ) -> WorkerSecrets {
        WorkerSecrets {
            key: EncryptionKey::derive(key),
            me: key.address().clone(),
            chain_id,
            chain,
            signer,
            metrics,
            cache: Default::default(),
            backoff: Default::default(),
        }
    }

    /// This worker's encryption key (request-scoped secrets are opened with it too).
    pub fn key(&self) -> &EncryptionKey {
        &self.key
    }

    /// Opens every secret of `function_id` sealed to this worker (empty when the function has
    /// none). Any secret that cannot be opened fails the whole set: a run with one missing
    /// would compute a different result than the other members'. With `pinned` (a job's
    /// `secrets_version`), secrets at another version fail as [`SecretsFailure::Stale`]: the
    /// others may have run with the values of the pinned version.
    ///
    /// `fresh` says how recent the envelopes must be ([`Freshness`]); a failure is never
    /// concluded from a cached read (it is read again from the chain first).
    pub async fn open_for(
        &self,
        function_id: u64,
        pinned: Option<u64>,
        fresh: Freshness,
    ) -> Result<SecretEnv, SecretsFailure> {
        let (version, opened) = match self.open_all(function_id, fresh).await? {
            (_, Err(_)) if fresh != Freshness::Now => {
                self.open_all(function_id, Freshness::Now).await?
            }
            read => read,
        };
        if let Some(p) = pinned.filter(|p| *p != version) {
            return Err(SecretsFailure::Stale {
                pinned: p,
                now: version,
            });
        }
        let opened = opened?;
        let mut env = SecretEnv::default();
        for (name, _, value) in opened {
            env.insert(&name, zeroize::Zeroizing::new(value.value().to_string()));
        }
        if !env.is_empty() {
            self.metrics.secret("opened");
        }
        Ok(env)
    }

    /// The function's secrets version and every secret sealed to this worker, opened: name,
    /// version, salted value (or why not).
    #[allow(clippy::type_complexity)]
    async fn open_all(
        &self,
        function_id: u64,
        fresh: Freshness,
    ) -> Result<(u64, Result<Vec<(String, u64, SaltedValue)>, SecretsFailure>), SecretsFailure>
    {
        let held = self.envelopes(function_id, fresh).await?;
        Ok((held.last_version, self.open_held(function_id, &held)))
    }

    /// This worker's envelopes of `function_id`: from the cache when `fresh` allows it, else
    /// read from the chain (and cached with the tip known before the read, a lower bound of
    /// the height the read saw).
    async fn envelopes(
        &self,
        function_id: u64,
        fresh: Freshness,
    ) -> Result<Arc<SecretEnvelopesResponse>, RpcError> {
        let now = std::time::Instant::now();
        if let Freshness::AtLeast { min_height, .. } = fresh {
            if let Ok(cache) = self.cache.lock() {
                if let Some(c) = cache.get(&function_id) {
                    if c.height >= min_height && now.duration_since(c.at) < ENVELOPE_CACHE_TTL {
                        return Ok(c.envelopes.clone());
                    }
                }
            }
        }
        let req = SecretEnvelopesRequest {
            function_id,
            worker: self.me.to_string(),
        };
        let held: Arc<SecretEnvelopesResponse> = Arc::new(
            self.chain
                .rpc()
                .query_json(SECRET_ENVELOPES_QUERY, &req)
                .await?,
        );
        if let Freshness::AtLeast { tip, .. } = fresh {
            if let Ok(mut cache) = self.cache.lock() {
                if cache.len() >= ENVELOPE_CACHE_ENTRIES {
                    cache.retain(|_, c| now.duration_since(c.at) < ENVELOPE_CACHE_TTL);
                }
                if cache.len() < ENVELOPE_CACHE_ENTRIES {
                    cache.insert(
                        function_id,
                        CachedEnvelopes {
                            height: tip,
                            at: now,
                            envelopes: held.clone(),
                        },
                    );
                }
            }
        }
        Ok(held)
    }

    fn open_held(
        &self,
        function_id: u64,
        held: &SecretEnvelopesResponse,
    ) -> Result<Vec<(String, u64, SaltedValue)>, SecretsFailure> {
        let mut out = Vec::new();
        if let Some(name) = held.missing.first() {
            return Err(SecretsFailure::Missing { name: name.clone() });
        }
        for e in &held.envelopes {
            let unopenable = |reason: String| SecretsFailure::Unopenable {
                name: e.name.clone(),
                reason,
            };
            if !e.valid {
                return Err(unopenable(
                    "the envelope is for an older version or another key".into(),
                ));
            }
            let commitment =
                hex::decode(&e.commitment).map_err(|_| unopenable("bad commitment".into()))?;
            let scope = Scope::Function {
                chain_id: &self.chain_id,
                function_id,
                name: &e.name,
                version: e.version,
            };
            let envelope = Envelope {
                enc: e.enc.to_vec(),
                ciphertext: e.ciphertext.to_vec(),
            };
            let value = self
                .key
                .open(self.me.as_str(), &scope, &envelope, &commitment)
                .map_err(|err| unopenable(format!("{err} (sealed by {})", e.sealed_by)))?;
            out.push((e.name.clone(), e.version, value));
        }
        Ok(out)
    }

    /// Reports that this worker cannot open `function_id`'s secrets (declining `job_id`'s slot
    /// when non-zero): no penalty; the envelopes are deleted and re-sealed to it. A stale job
    /// (the secrets changed since it was assigned) is only declined.
    pub async fn report(&self, function_id: u64, job_id: u64, failure: &SecretsFailure) {
        let (name, stale) = match failure {
            SecretsFailure::Unopenable { name, .. } | SecretsFailure::Missing { name } => {
                (name.as_str(), false)
            }
            SecretsFailure::Stale { .. } => ("", true),
            SecretsFailure::Query(_) => return,
        };
        self.metrics
            .secret(if stale { "stale" } else { "unopenable" });
        let reason = failure.to_string();
        tracing::warn!(function = function_id, job = job_id, %reason, "secrets unopenable; reporting");
        let msg = bls_client::secrets::report_unopenable_msg(
            &self.me,
            function_id,
            job_id,
            name,
            stale,
            &reason,
        );
        if let Err(e) = self.signer.submit(msg).await {
            tracing::warn!(function = function_id, job = job_id, error = %e, "report of unopenable secrets failed");
        }
    }

    fn back_off(&self, key: (u64, String), now: std::time::Instant) {
        if let Ok(mut b) = self.backoff.lock() {
            b.retain(|_, until| *until > now);
            b.insert(key, now + RESEAL_BACKOFF);
        }
    }

    /// Re-seals, to each member waiting for them, the secrets this worker holds, when its turn
    /// in the reseal order has come at height `tip`.
    pub async fn reseal_pending(&self, tip: u64) {
        let pending = match bls_client::secrets::pending_reseals(self.chain.rpc(), &self.me).await {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(error = %e, "reading pending reseals failed");
                return;
            }
        };
        let now = std::time::Instant::now();
        for p in pending.into_iter().filter(|p| p.from_height <= tip) {
            // A reseal that failed here (this worker cannot open its own envelope, or the
            // chain refused) is not retried every block: wait a while.
            let key = (p.function_id, p.recipient.clone());
            if self
                .backoff
                .lock()
                .is_ok_and(|b| b.get(&key).is_some_and(|until| *until > now))
            {
                continue;
            }
            let Ok(recipient_key) = hex::decode(&p.recipient_key) else {
                continue;
            };
            let mine = match self
                .open_all(p.function_id, Freshness::Now)
                .await
                .and_then(|(_, o)| o)
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::debug!(function = p.function_id, error = %e, "cannot reseal what this worker cannot open");
                    self.back_off(key, now);
                    continue;
                }
            };
            for n in &p.names {
                let Some((_, version, value)) = mine.iter().find(|(name, _, _)| *name == n.name)
                else {
                    continue;
                };
                let scope = Scope::Function {
                    chain_id: &self.chain_id,
                    function_id: p.function_id,
                    name: &n.name,
                    version: *version,
                };
                let envelope = match seal(&p.recipient, &recipient_key, &scope, value) {
                    Ok(e) => e,
                    Err(e) => {
                        self.metrics.secret("reseal_failed");
                        tracing::warn!(function = p.function_id, recipient = %p.recipient, error = %e, "reseal failed");
                        continue;
                    }
                };
                let msg = MsgResealSecret {
                    sealer: self.me.to_string(),
                    function_id: p.function_id,
                    name: n.name.clone(),
                    version: *version,
                    envelope: Some(SealedEnvelope {
                        worker: p.recipient.clone(),
                        enc: envelope.enc,
                        ciphertext: envelope.ciphertext,
                    }),
                };
                match self
                    .signer
                    .submit(bls_client::secrets::reseal_secret_msg(&msg))
                    .await
                {
                    Ok(_) => {
                        self.metrics.secret("resealed");
                        tracing::info!(function = p.function_id, recipient = %p.recipient, name = %n.name, "secret resealed");
                    }
                    Err(e) => {
                        // Usually another member was first.
                        self.back_off(key.clone(), now);
                        self.metrics.secret("reseal_failed");
                        tracing::debug!(function = p.function_id, recipient = %p.recipient, error = %e, "reseal not taken");
                    }
                }
            }
        }
    }
}
