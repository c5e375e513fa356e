//! `start --register`: registers the worker with its bond, unless this operator already
//! runs one (so restarting with `--register` is harmless).

use bls_client::sealed::EncryptionKey;
use bls_client::KeyPair;
use bls_core::module::encode_any;
use bls_core::Coins;
use bls_registry::msgs::{Capabilities, MsgRegisterWorker, ProtoCoin, MSG_REGISTER_WORKER};

use super::chain::Chain;
use super::peer_id::peer_id;
use super::signer::SignerHandle;
use crate::config::Config;

/// Registers unless already registered; returns the worker's status on chain.
pub async fn ensure_registered(
    chain: &Chain,
    signer: &SignerHandle,
    key: &KeyPair,
    config: &Config,
    multiaddrs: Vec<String>,
) -> anyhow::Result<String> {
    let me = key.address().to_string();
    if let Some(w) = chain.worker_of(&me).await? {
        let status = w.status.as_str().to_string();
        tracing::info!(worker = %me, status, "already registered; not registering again");
        return Ok(status);
    }
    let bond = bond_amount(&config.worker.bond)?;
    let w = &config.worker;
    let msg = MsgRegisterWorker {
        operator: me.clone(),
        result_pubkey: key.public_key_bytes().to_vec(),
        peer_id: peer_id(&key.public_key_bytes()),
        multiaddrs,
        region: w.region.clone(),
        network: w.network.clone(),
        capabilities: Some(Capabilities {
            memory_mb: w.memory_mb,
            max_timeout_ms: w.max_timeout_ms,
            http_allowed: w.http_allowed,
        }),
        role: w.role.clone(),
        bond: Some(ProtoCoin::ubls(bond)),
        encryption_pubkey: EncryptionKey::derive(key).public_bytes().to_vec(),
    };
    let r = signer
        .submit(encode_any(&msg, MSG_REGISTER_WORKER))
        .await
        .map_err(|e| anyhow::anyhow!("registering worker {me}: {e}"))?;
    tracing::info!(worker = %me, height = r.height, bond = %config.worker.bond, "registered");
    Ok("active".to_string())
}

/// A worker registered before encryption keys existed (or by a tool that left it out) sets
/// the key derived from its account key, so functions' secrets can be sealed to it. A
/// registered key that differs is left alone (it cannot change on chain) and logged: this
/// worker then cannot open secrets sealed to it.
pub async fn ensure_encryption_key(
    chain: &Chain,
    signer: &SignerHandle,
    key: &KeyPair,
) -> anyhow::Result<()> {
    let me = key.address().to_string();
    let Some(w) = chain.worker_of(&me).await? else {
        return Ok(());
    };
    let mine = hex::encode(EncryptionKey::derive(key).public_bytes());
    if w.encryption_pubkey == mine {
        return Ok(());
    }
    if !w.encryption_pubkey.is_empty() {
        tracing::error!(
            worker = %me,
            registered = %w.encryption_pubkey,
            derived = %mine,
            "the registered encryption key is not this worker's: it cannot open functions' secrets"
        );
        return Ok(());
    }
    let msg = bls_registry::msgs::MsgUpdateWorker {
        operator: me.clone(),
        worker: me.clone(),
        encryption_pubkey: EncryptionKey::derive(key).public_bytes().to_vec(),
        ..Default::default()
    };
    signer
        .submit(encode_any(&msg, bls_registry::msgs::MSG_UPDATE_WORKER))
        .await
        .map_err(|e| anyhow::anyhow!("setting the encryption key of worker {me}: {e}"))?;
    tracing::info!(worker = %me, pubkey = %mine, "encryption key registered");
    Ok(())
}

/// The bond in `ubls` from a coin string such as `1000000ubls`.
pub fn bond_amount(s: &str) -> anyhow::Result<u128> {
    let coins = Coins::parse(s).map_err(|e| anyhow::anyhow!("worker.bond {s:?}: {e}"))?;
    let amount = coins.amount_of(bls_core::DENOM);
    if amount == 0 || coins.to_vec().len() != 1 {
        anyhow::bail!(
            "worker.bond {s:?} must be a positive amount of {}",
            bls_core::DENOM
        );
    }
    Ok(amount)
}
