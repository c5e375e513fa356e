//! A function's sealed secrets from the client side: sealing a value to every member that
//! should hold it ([`seal_secret`]), the messages, and the queries of what the chain holds
//! (names, versions, commitments, envelopes — never a value).

use bls_core::Address;
use bls_orchestration::secrets::msgs::{
    MsgReportUnopenableSecrets, MsgResealSecret, MsgSetSecret, MsgUnsetSecret, SealedEnvelope,
    MSG_REPORT_UNOPENABLE_SECRETS, MSG_RESEAL_SECRET, MSG_SET_SECRET, MSG_UNSET_SECRET,
};
use bls_orchestration::secrets::queries::{
    PendingResealsRequest, PendingResealsResponse, SecretEnvelopesRequest, SecretEnvelopesResponse,
    SecretsRequest, SecretsResponse,
};
use cosmos_sdk_proto::Any;
use prost::Message;

use crate::head_api::{RequestEnvelope, RequestSecret};
use crate::rpc::{RpcClient, RpcError};
use crate::sealed::{seal, SaltedValue, Scope, SealError};

/// `Secrets` query path.
pub const SECRETS_QUERY: &str = "/bls.orchestration.v1.Query/Secrets";
/// `SecretEnvelopes` query path.
pub const SECRET_ENVELOPES_QUERY: &str = "/bls.orchestration.v1.Query/SecretEnvelopes";
/// `PendingReseals` query path.
pub const PENDING_RESEALS_QUERY: &str = "/bls.orchestration.v1.Query/PendingReseals";

/// Why a secret could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SecretsClientError {
    /// A chain query failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The name or value breaks the rules.
    #[error("{0}")]
    Invalid(String),
    /// No member can receive it yet.
    #[error("function {0}'s subnetwork has no member with an encryption key yet (it is placed in the block after the deploy, and workers register their key when they start): try again shortly")]
    NoRecipients(u64),
    /// A member's key cannot be sealed to.
    #[error("member {worker}: {source}")]
    Seal {
        /// The member.
        worker: String,
        /// Why.
        source: SealError,
    },
}

/// `Secrets` query.
pub async fn secrets(rpc: &RpcClient, function_id: u64) -> Result<SecretsResponse, RpcError> {
    rpc.query_json(SECRETS_QUERY, &SecretsRequest { function_id })
        .await
}

/// `SecretEnvelopes` query.
pub async fn envelopes(
    rpc: &RpcClient,
    function_id: u64,
    worker: &Address,
) -> Result<SecretEnvelopesResponse, RpcError> {
    rpc.query_json(
        SECRET_ENVELOPES_QUERY,
        &SecretEnvelopesRequest {
            function_id,
            worker: worker.to_string(),
        },
    )
    .await
}

/// `PendingReseals` query: every page.
pub async fn pending_reseals(
    rpc: &RpcClient,
    worker: &Address,
) -> Result<Vec<bls_orchestration::secrets::queries::PendingReseal>, RpcError> {
    let mut req = PendingResealsRequest {
        worker: worker.to_string(),
        ..Default::default()
    };
    let mut out = Vec::new();
    loop {
        let page: PendingResealsResponse = rpc.query_json(PENDING_RESEALS_QUERY, &req).await?;
        out.extend(page.reseals);
        if page.next_function == 0 {
            return Ok(out);
        }
        req.start_after_function = page.next_function;
        req.start_after_worker = page.next_worker;
    }
}

/// The function's current members with an encryption key: (worker, key bytes).
async fn keyed_members(
    rpc: &RpcClient,
    function_id: u64,
) -> Result<(SecretsResponse, Vec<(String, Vec<u8>)>), SecretsClientError> {
    let current = secrets(rpc, function_id).await?;
    let mut members = Vec::new();
    for m in current
        .members
        .iter()
        .filter(|m| !m.encryption_pubkey.is_empty())
    {
        let key = hex::decode(&m.encryption_pubkey).map_err(|_| SecretsClientError::Seal {
            worker: m.worker.clone(),
            source: SealError::BadRecipientKey,
        })?;
        members.push((m.worker.clone(), key));
    }
    if members.is_empty() {
        return Err(SecretsClientError::NoRecipients(function_id));
    }
    Ok((current, members))
}

/// `name = value` checked and salted, then sealed under `scope` to each of `members`.
fn seal_to_members(
    members: &[(String, Vec<u8>)],
    name: &str,
    value: &str,
    scope: &Scope<'_>,
) -> Result<(SaltedValue, Vec<(String, crate::sealed::Envelope)>), SecretsClientError> {
    crate::sealed::validate_secret_name(name).map_err(SecretsClientError::Invalid)?;
    let salted =
        SaltedValue::new(value).map_err(|e| SecretsClientError::Invalid(format!("{name}: {e}")))?;
    let mut out = Vec::with_capacity(members.len());
    for (worker, key) in members {
        let e = seal(worker, key, scope, &salted).map_err(|source| SecretsClientError::Seal {
            worker: worker.clone(),
            source,
        })?;
        out.push((worker.clone(), e));
    }
    Ok((salted, out))
}

/// Seals each `(name, value)` as a secret of `function_id` to every current member with an
/// encryption key, for the function's next secret versions (one `MsgSetSecret` each, in
/// order: send them in one transaction, in this order), and names the members.
pub async fn seal_secrets(
    rpc: &RpcClient,
    chain_id: &str,
    owner: &Address,
    function_id: u64,
    entries: &[(String, String)],
) -> Result<(Vec<MsgSetSecret>, Vec<String>), SecretsClientError> {
    let (current, members) = keyed_members(rpc, function_id).await?;
    let mut msgs = Vec::new();
    for (i, (name, value)) in entries.iter().enumerate() {
        let version = current
            .last_version
            .saturating_add(u64::try_from(i).unwrap_or(u64::MAX))
            .saturating_add(1);
        let scope = Scope::Function {
            chain_id,
            function_id,
            name,
            version,
        };
        let (salted, sealed) = seal_to_members(&members, name, value, &scope)?;
        msgs.push(MsgSetSecret {
            owner: owner.to_string(),
            function_id,
            name: name.clone(),
            commitment: salted.commitment(&scope).to_vec(),
            envelopes: sealed
                .into_iter()
                .map(|(worker, e)| SealedEnvelope {
                    worker,
                    enc: e.enc,
                    ciphertext: e.ciphertext,
                })
                .collect(),
            version,
        });
    }
    Ok((msgs, members.into_iter().map(|(w, _)| w).collect()))
}

fn any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

/// `MsgSetSecret` as an `Any`.
pub fn set_secret_msg(m: &MsgSetSecret) -> Any {
    any(MSG_SET_SECRET, m)
}

/// `MsgUnsetSecret` for `owner`.
pub fn unset_secret_msg(owner: &Address, function_id: u64, name: &str) -> Any {
    any(
        MSG_UNSET_SECRET,
        &MsgUnsetSecret {
            owner: owner.to_string(),
            function_id,
            name: name.to_string(),
        },
    )
}

/// `MsgResealSecret` as an `Any`.
pub fn reseal_secret_msg(m: &MsgResealSecret) -> Any {
    any(MSG_RESEAL_SECRET, m)
}

/// `MsgReportUnopenableSecrets` for `worker`: secret `name` (empty: unknown) did not open, or,
/// `stale`, the function's secrets changed since `job_id` was assigned.
pub fn report_unopenable_msg(
    worker: &Address,
    function_id: u64,
    job_id: u64,
    name: &str,
    stale: bool,
    reason: &str,
) -> Any {
    any(
        MSG_REPORT_UNOPENABLE_SECRETS,
        &MsgReportUnopenableSecrets {
            worker: worker.to_string(),
            function_id,
            job_id,
            // The chain takes at most 256 bytes: cut at a character boundary below that.
            reason: reason
                .char_indices()
                .take_while(|(i, c)| i + c.len_utf8() <= 250)
                .map(|(_, c)| c)
                .collect(),
            stale,
            name: name.to_string(),
        },
    )
}

/// Most sealed secrets one fast-path request may carry.
pub const MAX_REQUEST_SECRETS: usize = 16;
/// Most envelopes one request secret may carry (one per worker that may run it).
pub const MAX_REQUEST_ENVELOPES: usize = 64;

/// Checks a request's sealed secrets (names, commitments, envelope sizes, no repeats) and
/// returns the commitments by name: what the payload hash binds. The head and every worker
/// run this same check.
pub fn request_commitments(
    sealed: &[RequestSecret],
) -> Result<std::collections::BTreeMap<String, [u8; 32]>, String> {
    use bls_orchestration::secrets::rules::{
        ENC_BYTES, MAX_CIPHERTEXT_BYTES, MIN_CIPHERTEXT_BYTES,
    };
    if sealed.len() > MAX_REQUEST_SECRETS {
        return Err(format!(
            "config.sealed_env: at most {MAX_REQUEST_SECRETS} secrets"
        ));
    }
    let mut out = std::collections::BTreeMap::new();
    for s in sealed {
        crate::sealed::validate_secret_name(&s.name)
            .map_err(|e| format!("config.sealed_env: {e}"))?;
        let c: [u8; 32] = hex::decode(&s.commitment)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                format!(
                    "config.sealed_env {}: commitment must be 32 bytes of hex",
                    s.name
                )
            })?;
        if s.envelopes.is_empty() || s.envelopes.len() > MAX_REQUEST_ENVELOPES {
            return Err(format!(
                "config.sealed_env {}: 1..={MAX_REQUEST_ENVELOPES} envelopes",
                s.name
            ));
        }
        let mut workers = std::collections::BTreeSet::new();
        for e in &s.envelopes {
            let enc_ok = e.enc.len() == 2 * ENC_BYTES;
            let ct = e.ciphertext.len() / 2;
            if !enc_ok
                || e.ciphertext.len() % 2 != 0
                || !(MIN_CIPHERTEXT_BYTES..=MAX_CIPHERTEXT_BYTES).contains(&ct)
                || !workers.insert(e.worker.as_str())
            {
                return Err(format!(
                    "config.sealed_env {}: a malformed or repeated envelope for {:?}",
                    s.name,
                    e.worker.chars().take(64).collect::<String>()
                ));
            }
        }
        if out.insert(s.name.clone(), c).is_some() {
            return Err(format!("config.sealed_env names {} twice", s.name));
        }
    }
    Ok(out)
}

/// Seals each `(name, value)` for one fast-path request (`invoker`, `nonce`) of `function_id`
/// to every current member of its subnetwork with an encryption key: the workers a head may
/// pick. Only they can open it; the head relays it.
pub async fn seal_request_secrets(
    rpc: &RpcClient,
    chain_id: &str,
    function_id: u64,
    invoker: &str,
    nonce: u64,
    entries: &[(String, String)],
) -> Result<Vec<RequestSecret>, SecretsClientError> {
    let (_, members) = keyed_members(rpc, function_id).await?;
    let mut out = Vec::new();
    for (name, value) in entries {
        let scope = Scope::Request {
            chain_id,
            function_id,
            invoker,
            nonce,
            name,
        };
        let (salted, sealed) = seal_to_members(&members, name, value, &scope)?;
        out.push(RequestSecret {
            name: name.clone(),
            commitment: hex::encode(salted.commitment(&scope)),
            envelopes: sealed
                .into_iter()
                .map(|(worker, e)| RequestEnvelope {
                    worker,
                    enc: hex::encode(e.enc),
                    ciphertext: hex::encode(e.ciphertext),
                })
                .collect(),
        });
    }
    Ok(out)
}
