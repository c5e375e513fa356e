//! Whether a function's manifest fits this worker: the one check both execution paths make
//! before running anything (the on-chain job path in [`super::jobs`] and the fast path in
//! [`crate::p2p::serve`]).
//!
//! The capabilities are this worker's own config (`[worker] memory_mb`, `max_timeout_ms`,
//! `http_allowed`) — what its runtime actually gives a job — and the rule is the chain's
//! placement rule (`bls_orchestration::handlers::subnet::fits`), reason by reason, so a
//! worker never runs (and signs or commits for) a function it would not have been placed on
//! with the capabilities it really has. A unit test keeps the two rules in agreement.

use bls_registry::msgs::Capabilities;
use bls_runtime::Manifest;

/// Why a manifest does not fit a worker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Misfit {
    /// The manifest asks for more memory than the worker gives one job.
    #[error("the manifest asks for {wanted} bytes of memory; this worker gives at most {max}")]
    Memory {
        /// Requested.
        wanted: u64,
        /// Allowed.
        max: u64,
    },
    /// The manifest's timeout is longer than the worker accepts.
    #[error("the manifest's timeout is {wanted} ms; this worker accepts at most {max} ms")]
    Timeout {
        /// Requested.
        wanted: u64,
        /// Allowed.
        max: u64,
    },
    /// The manifest uses outbound HTTP and the worker does not serve it.
    #[error("the manifest uses outbound HTTP; this worker has http_allowed = false")]
    Http,
}

/// Checks `m` against `caps` (the chain's placement rule, with the reason).
pub fn check(caps: &Capabilities, m: &Manifest) -> Result<(), Misfit> {
    let max = caps.memory_mb.saturating_mul(1 << 20);
    if m.limits.memory_bytes > max {
        return Err(Misfit::Memory {
            wanted: m.limits.memory_bytes,
            max,
        });
    }
    if m.limits.timeout_ms > caps.max_timeout_ms {
        return Err(Misfit::Timeout {
            wanted: m.limits.timeout_ms,
            max: caps.max_timeout_ms,
        });
    }
    if !m.permissions.http.is_empty() && !caps.http_allowed {
        return Err(Misfit::Http);
    }
    Ok(())
}

/// This worker's capabilities from its `[worker]` config section.
pub fn capabilities(w: &crate::config::WorkerConfig) -> Capabilities {
    Capabilities {
        memory_mb: w.memory_mb,
        max_timeout_ms: w.max_timeout_ms,
        http_allowed: w.http_allowed,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A registered worker record with `status` (for rules that read one).
    pub(crate) fn test_worker(status: bls_registry::WorkerStatus) -> bls_registry::Worker {
        bls_registry::Worker {
            operator: bls_core::Address::from_bytes(&[7; 20]),
            result_pubkey: String::new(),
            peer_id: String::new(),
            multiaddrs: vec![],
            region: "r".into(),
            network: "n".into(),
            capabilities: Capabilities {
                memory_mb: 256,
                max_timeout_ms: 60_000,
                http_allowed: false,
            },
            role: bls_registry::Role::Worker,
            bond: 1,
            status,
            jailed_until: 0,
            unbonding_height: 0,
            slashed_total: 0,
            last_penalty: String::new(),
            registered_height: 1,
            unbonding: vec![],
            encryption_pubkey: String::new(),
        }
    }

    fn manifest(memory_bytes: u64, timeout_ms: u64, http: bool) -> Manifest {
        let mut m = Manifest::default();
        m.limits.memory_bytes = memory_bytes;
        m.limits.timeout_ms = timeout_ms;
        if http {
            m.permissions.http = vec!["https://example.com".into()];
        }
        m
    }

    #[test]
    fn reasons() {
        let caps = Capabilities {
            memory_mb: 64,
            max_timeout_ms: 1_000,
            http_allowed: false,
        };
        assert_eq!(check(&caps, &manifest(64 << 20, 1_000, false)), Ok(()));
        assert!(matches!(
            check(&caps, &manifest((64 << 20) + 1, 1_000, false)),
            Err(Misfit::Memory { .. })
        ));
        assert!(matches!(
            check(&caps, &manifest(1 << 20, 1_001, false)),
            Err(Misfit::Timeout { .. })
        ));
        assert_eq!(
            check(&caps, &manifest(1 << 20, 10, true)),
            Err(Misfit::Http)
        );
    }

    /// The worker refuses exactly what the chain would not place on it.
    #[test]
    fn agrees_with_the_chains_placement_rule() {
        let mut w = test_worker(bls_registry::WorkerStatus::Active);
        for memory_mb in [1u64, 64, 128] {
            for max_timeout_ms in [500u64, 1_000, 5_000] {
                for http_allowed in [false, true] {
                    let caps = Capabilities {
                        memory_mb,
                        max_timeout_ms,
                        http_allowed,
                    };
                    w.capabilities = caps.clone();
                    for mem in [1u64 << 20, 64 << 20, (64 << 20) + 1, 128 << 20] {
                        for t in [1u64, 1_000, 1_001, 5_000] {
                            for http in [false, true] {
                                let m = manifest(mem, t, http);
                                assert_eq!(
                                    check(&caps, &m).is_ok(),
                                    bls_orchestration::handlers::subnet::fits(&w, &m),
                                    "caps {caps:?}, manifest mem {mem} timeout {t} http {http}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
