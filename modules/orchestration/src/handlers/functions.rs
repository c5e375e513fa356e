//! `MsgDeployFunction`, `MsgUpdateFunction`, `MsgRetireFunction`.

use bls_core::{Context, Event};

use crate::code::{self, CheckedCode};
use crate::error::{invalid, OrchestrationError};
use crate::events;
use crate::handlers::assign::queue_placement;
use crate::handlers::parse_addr;
use crate::manifest::Manifest;
use crate::msgs::{
    MsgDeployFunction, MsgDeployFunctionResponse, MsgRetireFunction, MsgRetireFunctionResponse,
    MsgUpdateFunction, MsgUpdateFunctionResponse,
};
use crate::params::Params;
use crate::source;
use crate::state::{
    self, CodeInfo, Function, FunctionStatus, CODES, FN_SEQ, FUNCTIONS, FUNCTIONS_BY_OWNER, SUBNETS,
};

fn validate_replication(p: &Params, n: u32, m: u32) -> Result<(), OrchestrationError> {
    if n == 0 || n > p.max_replication {
        return Err(invalid(
            "replication",
            format!("must be 1..={}, got {n}", p.max_replication),
        ));
    }
    // m > n/2 (a strict majority) and m ≤ n, in integers: 2m > n.
    if m == 0 || m > n || u64::from(m) * 2 <= u64::from(n) {
        return Err(invalid(
            "quorum",
            format!("must satisfy n/2 < m <= n, got n={n} m={m}"),
        ));
    }
    Ok(())
}

/// Parses a manifest under the shared bounds, then the chain's own: `limits.fuel` at most
/// `max_fuel` (the shared type has no such bound; the worker runs any budget it is given, the
/// chain bounds what a job may cost), and `limits.output_bytes` small enough that every
/// honest outcome fits a reveal tx and dissent evidence fits one too
/// ([`crate::reveal_size`]; `max_tx` is [`crate::reveal_size::max_reveal_tx_bytes`]).
fn validate_manifest_json(
    p: &Params,
    json: &str,
    max_tx: u64,
) -> Result<Manifest, OrchestrationError> {
    let len = u64::try_from(json.len()).unwrap_or(u64::MAX);
    if len > p.max_manifest_bytes {
        return Err(OrchestrationError::InvalidManifest(format!(
            "{len} bytes exceeds the {} byte cap",
            p.max_manifest_bytes
        )));
    }
    let manifest = Manifest::from_json(json.as_bytes())?;
    if manifest.limits.fuel > p.max_fuel {
        return Err(OrchestrationError::FuelAboveMax {
            fuel: manifest.limits.fuel,
            max_fuel: p.max_fuel,
        });
    }
    crate::reveal_size::check_deployable(&manifest, max_tx)?;
    Ok(manifest)
}

/// Charges validation gas per raw WASM byte and stops early when the tx is out of gas.
fn charge_wasm_gas(
    ctx: &Context<'_>,
    p: &Params,
    wasm_len: usize,
) -> Result<(), OrchestrationError> {
    let bytes = u64::try_from(wasm_len).unwrap_or(u64::MAX);
    ctx.gas
        .charge(p.wasm_gas_per_byte.saturating_mul(bytes), "ValidateWasm")
        .map_err(|e| invalid("wasm", e.to_string()))
}

/// The code a deploy or update names, once checked.
struct ResolvedCode {
    /// Hex sha256 of the raw WASM.
    hash: String,
    /// Stored on chain (else on IPFS).
    on_chain: bool,
    /// Canonical `ipfs://` sources.
    source_uris: Vec<String>,
    /// Raw size of code on IPFS (0 for code on chain).
    code_size: u64,
}

/// Resolves the code of a deploy/update: validates and stores inline code; or accepts the hash
/// of code stored on chain; or the hash and size of code on IPFS with at least one
/// `ipfs://CID` source. Source URIs must all be IPFS CIDs (the one scheme workers fetch).
fn resolve_code(
    ctx: &mut Context<'_>,
    p: &Params,
    wasm: &[u8],
    code_hash: &[u8],
    uris: &[String],
    code_size: u64,
    entry: &str,
) -> Result<ResolvedCode, OrchestrationError> {
    let source_uris = source::canonical_sources(uris).map_err(|e| invalid("source_uris", e))?;
    let on_chain = |hash: String| ResolvedCode {
        hash,
        on_chain: true,
        source_uris: source_uris.clone(),
        code_size: 0,
    };
    if !wasm.is_empty() {
        let (compression, raw) = code::decompress(wasm, p.max_code_bytes, p.max_wasm_bytes)?;
        charge_wasm_gas(ctx, p, raw.len())?;
        code::validate_wasm(&raw, entry)?;
        let checked = CheckedCode {
            stored: wasm.to_vec(),
            compression,
            hash: sha256(&raw),
            wasm: raw,
        };
        if !code_hash.is_empty() && code_hash != checked.hash.as_slice() {
            return Err(invalid(
                "code_hash",
                format!(
                    "does not match sha256 of the wasm ({})",
                    hex::encode(checked.hash)
                ),
            ));
        }
        let hex_hash = hex::encode(checked.hash);
        if !CODES.has(ctx.store, &hex_hash) {
            CODES.save(
                ctx.store,
                &hex_hash,
                &CodeInfo {
                    hash: hex_hash.clone(),
                    compression: checked.compression,
                    size: u64::try_from(checked.stored.len()).unwrap_or(u64::MAX),
                    wasm_size: u64::try_from(checked.wasm.len()).unwrap_or(u64::MAX),
                    height: ctx.block.height,
                },
            )?;
            state::save_code_blob(ctx.store, &checked.hash, &checked.stored);
        }
        return Ok(on_chain(hex_hash));
    }
    let hash: [u8; 32] = code_hash.try_into().map_err(|_| {
        invalid(
            "code_hash",
            "send the wasm, or a 32-byte sha256 code hash (of code on chain, or on IPFS with code_size and source_uris)",
        )
    })?;
    let hex_hash = hex::encode(hash);
    if let Some(stored) = state::load_code_blob(ctx.store, &hash) {
        // Already on chain: the entry must still be exported.
        let (_, raw) = code::decompress(
            &stored,
            u64::MAX,
            p.max_wasm_bytes.max(raw_cap(ctx, &hex_hash)),
        )?;
        charge_wasm_gas(ctx, p, raw.len())?;
        code::validate_wasm(&raw, entry)?;
        return Ok(on_chain(hex_hash));
    }
    // Code on IPFS: workers fetch it by CID (from their IPFS node or a peer), check its sha256
    // against this hash before compiling, and decline the job when they cannot get it
    // (`MsgDeclineJob`: reassigned or refunded, nobody slashed).
    if source_uris.is_empty() {
        return Err(invalid(
            "code_hash",
            format!(
                "no code {hex_hash} is stored on chain: send the WASM itself, or name where it \
                 is on IPFS (source_uris ipfs://CID and code_size)"
            ),
        ));
    }
    if code_size < 8 {
        return Err(invalid(
            "code_size",
            "the raw WASM size of code on IPFS is required (at least 8 bytes)",
        ));
    }
    if code_size > p.max_remote_wasm_bytes {
        return Err(OrchestrationError::CodeTooLarge {
            what: "on IPFS",
            size: code_size,
            limit: p.max_remote_wasm_bytes,
        });
    }
    Ok(ResolvedCode {
        hash: hex_hash,
        on_chain: false,
        source_uris,
        code_size,
    })
}

/// The recorded raw size of stored code (so lowering `max_wasm_bytes` never breaks it).
fn raw_cap(ctx: &Context<'_>, hex_hash: &str) -> u64 {
    CODES
        .may_load(ctx.store, hex_hash)
        .ok()
        .flatten()
        .map_or(0, |c| c.wasm_size)
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).into()
}

/// Deploys a function and queues the placement of its subnetwork.
pub fn deploy_function(
    ctx: &mut Context<'_>,
    msg: &MsgDeployFunction,
) -> Result<MsgDeployFunctionResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let owner = parse_addr("owner", &msg.owner)?;
    validate_replication(&p, msg.replication, msg.quorum)?;
    let max_tx = crate::reveal_size::max_reveal_tx_bytes(ctx.store)?;
    let manifest = validate_manifest_json(&p, &msg.manifest_json, max_tx)?;
    let code = resolve_code(
        ctx,
        &p,
        &msg.wasm,
        &msg.code_hash,
        &msg.source_uris,
        msg.code_size,
        manifest.entry(),
    )?;
    let code_hash = code.hash;
    let id = state::next_id(ctx.store, &FN_SEQ)?;
    crate::market::composition::check_declared(ctx.store, id, &manifest)?;
    let f = Function {
        id,
        owner: owner.clone(),
        code_hash: code_hash.clone(),
        code_on_chain: code.on_chain,
        source_uris: code.source_uris,
        code_size: code.code_size,
        manifest_json: msg.manifest_json.clone(),
        replication: msg.replication,
        quorum: msg.quorum,
        status: FunctionStatus::Active,
        version: 1,
        created_height: ctx.block.height,
        updated_height: ctx.block.height,
    };
    FUNCTIONS.save(ctx.store, id, &f)?;
    FUNCTIONS_BY_OWNER.save(ctx.store, (owner.as_str(), id), &())?;
    ctx.emit(
        Event::new(events::FUNCTION_DEPLOYED)
            .attr("function_id", id)
            .attr("owner", &owner)
            .attr("code_hash", &code_hash)
            .attr("code_on_chain", f.code_on_chain)
            .attr("version", 1),
    );
    // Placed in the next begin block, with randomness nobody choosing this block's
    // transactions knew; it may come up short before workers register (assignment repairs it).
    queue_placement(ctx, id)?;
    Ok(MsgDeployFunctionResponse {
        function_id: id,
        code_hash,
    })
}

pub(crate) fn owned_function(
    ctx: &Context<'_>,
    owner: &str,
    id: u64,
) -> Result<Function, OrchestrationError> {
    let signer = parse_addr("owner", owner)?;
    let f = state::must_get_function(ctx.store, id)?;
    if f.owner != signer {
        return Err(OrchestrationError::NotOwner {
            function: id,
            owner: f.owner.to_string(),
            signer: signer.to_string(),
        });
    }
    if f.status == FunctionStatus::Retired {
        return Err(OrchestrationError::FunctionRetired(id));
    }
    Ok(f)
}

/// Replaces code and/or manifest and/or replication; open jobs keep what they were pinned to.
pub fn update_function(
    ctx: &mut Context<'_>,
    msg: &MsgUpdateFunction,
) -> Result<MsgUpdateFunctionResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let mut f = owned_function(ctx, &msg.owner, msg.function_id)?;
    let manifest_json = if msg.manifest_json.is_empty() {
        f.manifest_json.clone()
    } else {
        msg.manifest_json.clone()
    };
    let max_tx = crate::reveal_size::max_reveal_tx_bytes(ctx.store)?;
    let manifest = validate_manifest_json(&p, &manifest_json, max_tx)?;
    crate::market::composition::check_declared(ctx.store, f.id, &manifest)?;
    for (name, _) in crate::secrets::state::secrets(ctx.store, f.id)? {
        if manifest.env.contains_key(&name) {
            return Err(invalid(
                "manifest_json",
                format!("env {name:?} is one of the function's secrets (unset it first)"),
            ));
        }
    }
    let n = if msg.replication == 0 {
        f.replication
    } else {
        msg.replication
    };
    let m = if msg.quorum == 0 {
        f.quorum
    } else {
        msg.quorum
    };
    validate_replication(&p, n, m)?;
    let new_code = !msg.wasm.is_empty() || !msg.code_hash.is_empty();
    let (hash_bytes, uris, size) = if new_code {
        (
            msg.code_hash.clone(),
            msg.source_uris.clone(),
            msg.code_size,
        )
    } else {
        let old = state::parse_hash(&f.code_hash)
            .ok_or_else(|| OrchestrationError::Store("stored code hash is not hex".into()))?;
        // Kept as they are; sources a function may have recorded before only IPFS was
        // accepted (https/ar references beside code on chain) are dropped, not refused.
        let kept = source::ipfs_sources(&f.source_uris)
            .iter()
            .map(source::IpfsSource::uri)
            .collect();
        (old.to_vec(), kept, f.code_size)
    };
    let code = resolve_code(
        ctx,
        &p,
        &msg.wasm,
        &hash_bytes,
        &uris,
        size,
        manifest.entry(),
    )?;
    let code_hash = code.hash;
    f.code_hash = code_hash.clone();
    f.code_on_chain = code.on_chain;
    f.source_uris = code.source_uris;
    f.code_size = code.code_size;
    f.manifest_json = manifest_json;
    f.replication = n;
    f.quorum = m;
    f.version = f.version.saturating_add(1);
    f.updated_height = ctx.block.height;
    FUNCTIONS.save(ctx.store, f.id, &f)?;
    ctx.emit(
        Event::new(events::FUNCTION_UPDATED)
            .attr("function_id", f.id)
            .attr("code_hash", &code_hash)
            .attr("code_on_chain", f.code_on_chain)
            .attr("version", f.version),
    );
    Ok(MsgUpdateFunctionResponse {
        version: f.version,
        code_hash,
    })
}

/// Retires a function: no new invocations, subnetwork released.
pub fn retire_function(
    ctx: &mut Context<'_>,
    msg: &MsgRetireFunction,
) -> Result<MsgRetireFunctionResponse, OrchestrationError> {
    let mut f = owned_function(ctx, &msg.owner, msg.function_id)?;
    f.status = FunctionStatus::Retired;
    f.updated_height = ctx.block.height;
    FUNCTIONS.save(ctx.store, f.id, &f)?;
    SUBNETS.remove(ctx.store, f.id);
    crate::secrets::state::clear_function(ctx.store, f.id, ctx.block.height)?;
    // A retired function is no longer offered; jobs already invoked keep their price.
    if let Some(l) = crate::market::state::listing(ctx.store, f.id)? {
        crate::market::state::remove_listing(ctx.store, &l);
    }
    ctx.emit(Event::new(events::FUNCTION_RETIRED).attr("function_id", f.id));
    Ok(MsgRetireFunctionResponse {})
}
