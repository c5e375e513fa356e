//! Builders for every message the client sends, as protobuf `Any`s ready for
//! [`crate::send::send_tx`]: bank send, registry worker lifecycle, orchestration deploy / invoke /
//! commit / reveal.

use bls_core::{Address, Coin, Coins};
use bls_orchestration::msgs::{
    self as orch, MsgCommitResult, MsgDeployFunction, MsgInvoke, MsgRetireFunction, MsgRevealResult,
};
use bls_registry::msgs::{
    self as reg, Capabilities, MsgBondWorker, MsgDeregisterWorker, MsgRegisterWorker,
    MsgUnbondWorker, MsgUnjailWorker, MsgUpdateWorker, ProtoCoin,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::Any;
use prost::Message;

/// Type URL of the bank `MsgSend`.
pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";

fn any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

fn proto_coin(c: &Coin) -> ProtoCoin {
    ProtoCoin {
        denom: c.denom.clone(),
        amount: c.amount.to_string(),
    }
}

/// `MsgSend` of `amount` from `from` to `to`.
pub fn bank_send(from: &Address, to: &Address, amount: &Coins) -> Any {
    any(
        MSG_SEND,
        &MsgSend {
            from_address: from.to_string(),
            to_address: to.to_string(),
            amount: amount.to_proto(),
        },
    )
}

/// Fields of a worker registration (the operator is the signer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerRegistration {
    /// 33-byte compressed secp256k1 result-signing key.
    pub result_pubkey: Vec<u8>,
    /// libp2p peer id.
    pub peer_id: String,
    /// libp2p multiaddrs.
    pub multiaddrs: Vec<String>,
    /// Region label.
    pub region: String,
    /// ASN or /24 subnet.
    pub network: String,
    /// Largest job memory, MiB.
    pub memory_mb: u64,
    /// Longest job timeout, ms.
    pub max_timeout_ms: u64,
    /// Serves outbound HTTP.
    pub http_allowed: bool,
    /// `worker` or `head`.
    pub role: String,
    /// Bond (ubls).
    pub bond: Coin,
    /// 32-byte X25519 key secrets are sealed to (`sealed::EncryptionKey`), or empty.
    pub encryption_pubkey: Vec<u8>,
}

/// `MsgRegisterWorker` for `operator`.
pub fn register_worker(operator: &Address, r: &WorkerRegistration) -> Any {
    any(
        reg::MSG_REGISTER_WORKER,
        &MsgRegisterWorker {
            operator: operator.to_string(),
            result_pubkey: r.result_pubkey.clone(),
            peer_id: r.peer_id.clone(),
            multiaddrs: r.multiaddrs.clone(),
            region: r.region.clone(),
            network: r.network.clone(),
            capabilities: Some(Capabilities {
                memory_mb: r.memory_mb,
                max_timeout_ms: r.max_timeout_ms,
                http_allowed: r.http_allowed,
            }),
            role: r.role.clone(),
            bond: Some(proto_coin(&r.bond)),
            encryption_pubkey: r.encryption_pubkey.clone(),
        },
    )
}

/// Changes to a worker; `None`/empty fields keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkerUpdate {
    /// New result-signing key.
    pub result_pubkey: Option<Vec<u8>>,
    /// New peer id.
    pub peer_id: Option<String>,
    /// New multiaddrs (replace the list when non-empty).
    pub multiaddrs: Vec<String>,
    /// New region.
    pub region: Option<String>,
    /// New network.
    pub network: Option<String>,
    /// New capabilities: (memory_mb, max_timeout_ms, http_allowed).
    pub capabilities: Option<(u64, u64, bool)>,
    /// Extra bond.
    pub add_bond: Option<Coin>,
    /// Encryption key for a worker registered without one.
    pub encryption_pubkey: Option<Vec<u8>>,
}

/// `MsgUpdateWorker` for the worker run by `operator`.
pub fn update_worker(operator: &Address, u: &WorkerUpdate) -> Any {
    any(
        reg::MSG_UPDATE_WORKER,
        &MsgUpdateWorker {
            operator: operator.to_string(),
            worker: operator.to_string(),
            result_pubkey: u.result_pubkey.clone().unwrap_or_default(),
            peer_id: u.peer_id.clone().unwrap_or_default(),
            multiaddrs: u.multiaddrs.clone(),
            region: u.region.clone().unwrap_or_default(),
            network: u.network.clone().unwrap_or_default(),
            capabilities: u
                .capabilities
                .map(|(memory_mb, max_timeout_ms, http_allowed)| Capabilities {
                    memory_mb,
                    max_timeout_ms,
                    http_allowed,
                }),
            add_bond: u.add_bond.as_ref().map(proto_coin),
            encryption_pubkey: u.encryption_pubkey.clone().unwrap_or_default(),
        },
    )
}

/// `MsgDeregisterWorker` for the worker run by `operator`.
pub fn deregister_worker(operator: &Address) -> Any {
    any(
        reg::MSG_DEREGISTER_WORKER,
        &MsgDeregisterWorker {
            operator: operator.to_string(),
            worker: operator.to_string(),
        },
    )
}

/// `MsgUnjailWorker` for the worker run by `operator`.
pub fn unjail_worker(operator: &Address) -> Any {
    any(
        reg::MSG_UNJAIL_WORKER,
        &MsgUnjailWorker {
            operator: operator.to_string(),
            worker: operator.to_string(),
        },
    )
}

/// `MsgBondWorker`: adds `amount` to the bond of the worker run by `operator`.
pub fn bond_worker(operator: &Address, amount: &Coin) -> Any {
    any(
        reg::MSG_BOND_WORKER,
        &MsgBondWorker {
            operator: operator.to_string(),
            amount: Some(proto_coin(amount)),
        },
    )
}

/// `MsgUnbondWorker`: starts unbonding `amount` of the bond of the worker run by `operator`.
pub fn unbond_worker(operator: &Address, amount: &Coin) -> Any {
    any(
        reg::MSG_UNBOND_WORKER,
        &MsgUnbondWorker {
            operator: operator.to_string(),
            amount: Some(proto_coin(amount)),
        },
    )
}

/// What to deploy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deployment {
    /// Inline code (gzip or raw WASM), or empty with `code_hash` (+ `source_uris` and
    /// `code_size` for code on IPFS).
    pub wasm: Vec<u8>,
    /// sha256 of the raw WASM (optional with inline code).
    pub code_hash: Vec<u8>,
    /// Where workers fetch off-chain code (`ipfs://CID`).
    pub source_uris: Vec<String>,
    /// Raw WASM size of code on IPFS (0 otherwise).
    pub code_size: u64,
    /// Manifest JSON.
    pub manifest_json: String,
    /// Replication `n`.
    pub replication: u32,
    /// Quorum `m`.
    pub quorum: u32,
}

/// `MsgDeployFunction` owned by `owner`.
pub fn deploy_function(owner: &Address, d: &Deployment) -> Any {
    any(
        orch::MSG_DEPLOY_FUNCTION,
        &MsgDeployFunction {
            owner: owner.to_string(),
            wasm: d.wasm.clone(),
            code_hash: d.code_hash.clone(),
            source_uris: d.source_uris.clone(),
            manifest_json: d.manifest_json.clone(),
            replication: d.replication,
            quorum: d.quorum,
            code_size: d.code_size,
        },
    )
}

/// `MsgRetireFunction`.
pub fn retire_function(owner: &Address, function_id: u64) -> Any {
    any(
        orch::MSG_RETIRE_FUNCTION,
        &MsgRetireFunction {
            owner: owner.to_string(),
            function_id,
        },
    )
}

/// `MsgInvoke` of `function_id` with stdin `input`, extra `args`, paying at most `max_fee`.
pub fn invoke(
    invoker: &Address,
    function_id: u64,
    input: Vec<u8>,
    args: Vec<String>,
    max_fee: &Coin,
) -> Any {
    invoke_version(invoker, function_id, 0, input, args, max_fee)
}

/// `MsgInvoke` pinned to function version `version` (0: the latest): refused once the
/// function runs another version.
pub fn invoke_version(
    invoker: &Address,
    function_id: u64,
    version: u64,
    input: Vec<u8>,
    args: Vec<String>,
    max_fee: &Coin,
) -> Any {
    any(
        orch::MSG_INVOKE,
        &MsgInvoke {
            invoker: invoker.to_string(),
            function_id,
            input,
            args,
            max_fee: Some(proto_coin(max_fee)),
            version,
        },
    )
}

/// `MsgCommitResult`: commits to `result_hash` with `salt` (the commitment binds `worker`).
pub fn commit_result(worker: &Address, job_id: u64, result_hash: &[u8; 32], salt: &[u8]) -> Any {
    any(
        orch::MSG_COMMIT_RESULT,
        &MsgCommitResult {
            worker: worker.to_string(),
            job_id,
            commitment: orch::commitment(result_hash, salt, worker).to_vec(),
        },
    )
}

/// `MsgRevealResult`: the canonical outcome bytes and the salt used in the commit.
pub fn reveal_result(worker: &Address, job_id: u64, outcome: Vec<u8>, salt: Vec<u8>) -> Any {
    any(
        orch::MSG_REVEAL_RESULT,
        &MsgRevealResult {
            worker: worker.to_string(),
            job_id,
            outcome,
            salt,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_any() {
        let a = Address::from_bytes(&[1; 20]);
        let b = Address::from_bytes(&[2; 20]);
        let m = bank_send(&a, &b, &Coins::parse("5ubls").unwrap());
        assert_eq!(m.type_url, MSG_SEND);
        let d = MsgSend::decode(m.value.as_slice()).unwrap();
        assert_eq!(d.to_address, b.to_string());
        assert_eq!(d.amount, vec![Coin::ubls(5).to_proto()]);

        let hash = [7u8; 32];
        let salt = [9u8; 16];
        let c = commit_result(&a, 3, &hash, &salt);
        assert_eq!(c.type_url, orch::MSG_COMMIT_RESULT);
        let d = MsgCommitResult::decode(c.value.as_slice()).unwrap();
        assert_eq!(d.commitment, orch::commitment(&hash, &salt, &a).to_vec());
        assert_eq!(d.job_id, 3);

        let u = update_worker(
            &a,
            &WorkerUpdate {
                region: Some("eu".into()),
                ..WorkerUpdate::default()
            },
        );
        let d = MsgUpdateWorker::decode(u.value.as_slice()).unwrap();
        assert_eq!((d.worker.as_str(), d.region.as_str()), (a.as_str(), "eu"));
        assert!(d.capabilities.is_none() && d.add_bond.is_none());

        let bm = bond_worker(&a, &Coin::ubls(7));
        assert_eq!(bm.type_url, "/bls.registry.v1.MsgBondWorker");
        let d = MsgBondWorker::decode(bm.value.as_slice()).unwrap();
        assert_eq!(
            (d.operator.as_str(), d.amount),
            (a.as_str(), Some(ProtoCoin::ubls(7)))
        );
        let um = unbond_worker(&a, &Coin::ubls(8));
        assert_eq!(um.type_url, "/bls.registry.v1.MsgUnbondWorker");
        let d = MsgUnbondWorker::decode(um.value.as_slice()).unwrap();
        assert_eq!(
            (d.operator.as_str(), d.amount),
            (a.as_str(), Some(ProtoCoin::ubls(8)))
        );

        let i = invoke(&a, 4, b"in".to_vec(), vec!["x".into()], &Coin::ubls(100));
        let d = MsgInvoke::decode(i.value.as_slice()).unwrap();
        assert_eq!(d.max_fee, Some(ProtoCoin::ubls(100)));
    }
}
