//! The ante handler: everything checked and charged before a tx's messages run — structure,
//! memo, signer, public key, sequence, signature, fee and its deduction, sequence increment.
//!
//! Signatures are checked in `SIGN_MODE_DIRECT` (over the protobuf `SignDoc`; Cosmos keys) or
//! `SIGN_MODE_LEGACY_AMINO_JSON` (the amino-JSON `StdSignDoc` the chain rebuilds from the tx's
//! messages, `bls_proto::amino`): a Cosmos key (Keplr, Ledger, CosmJS) signs its JSON, an
//! Ethereum key (MetaMask) its EIP-712 typed data (`bls_proto::eip712`), an Aptos key (Martian)
//! the `signMessage` envelope around its JSON. See `bls_auth::pubkey`.
//!
//! Stateless checks ([`validate_basic`], [`route_messages`]) run before any gas is metered;
//! [`run_ante`] then works on an overlay through a gas-metered store, and its writes are kept
//! by the caller only if it succeeds.

use base64::Engine;
use bls_auth::params::Params;
use bls_auth::signature::{
    aptos_full_message, verify_aptos_ed25519, verify_eth_secp256k1, verify_secp256k1,
};
use bls_auth::PubKey;
use bls_auth::{get_account, set_account, GasPrice};
use bls_bank::keeper::send_with_events;
use bls_core::storage::GasStorage;
use bls_core::{Address, BlockInfo, Coin, Coins, Event, GasMeter, Module, DENOM};
use bls_proto::amino::{FeeCoin, StdSignDoc};
use bls_proto::eip712::TypedData;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, SignDoc};
use cosmwasm_std::Storage;
use prost::Message;

use super::decode::DecodedTx;
use super::error::TxError;
use super::sig_cache::SigCache;
use crate::store::Overlay;

/// Size of a secp256k1 signature, charged in simulation when the tx carries an empty one.
const SIM_SIGNATURE_BYTES: u64 = 64;
/// Size of an encoded public key `Any`, charged in simulation when the tx carries none.
const SIM_PUBKEY_BYTES: u64 = 70;

/// Size of a fee (one coin of up to 20 digits plus a gas limit), charged in simulation when the
/// tx carries none, as CosmJS's simulation txs do.
const SIM_FEE_BYTES: u64 = 48;

/// Which ABCI path runs the tx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mempool admission: ante only.
    Check,
    /// Block execution.
    Deliver,
    /// Gas estimation: signatures not verified, minimum fee not enforced.
    Simulate,
}

/// What the stateless checks established.
pub struct Routed<'m> {
    /// The single signer every message names.
    pub signer: Address,
    /// The module handling each message, in message order.
    pub handlers: Vec<&'m dyn Module>,
    /// Fee coins (validated).
    pub fee: Coins,
    /// Declared gas limit.
    pub gas_limit: u64,
}

/// Structure, memo, timeout, extensions, signature count, fee shape and gas limit.
pub fn validate_basic(
    tx: &DecodedTx,
    params: &Params,
    block: &BlockInfo,
    mode: Mode,
) -> Result<(), TxError> {
    let body = &tx.body;
    if body.messages.is_empty() {
        return Err(TxError::InvalidRequest(
            "must contain at least one message".into(),
        ));
    }
    let memo_len = body.memo.chars().count();
    if u64::try_from(memo_len).map_or(true, |l| l > params.max_memo_characters) {
        return Err(TxError::MemoTooLarge {
            len: memo_len,
            max: params.max_memo_characters,
        });
    }
    if body.timeout_height != 0 && block.height > body.timeout_height {
        return Err(TxError::TimeoutHeight {
            height: block.height,
            timeout: body.timeout_height,
        });
    }
    if !body.extension_options.is_empty() {
        return Err(TxError::UnknownExtensionOptions);
    }
    let sigs = tx.signatures.len();
    let infos = tx.auth_info.signer_infos.len();
    if sigs == 0 {
        return Err(TxError::NoSignatures);
    }
    if u64::try_from(sigs).map_or(true, |s| s > params.tx_sig_limit) {
        return Err(TxError::TooManySignatures {
            got: sigs,
            limit: params.tx_sig_limit,
        });
    }
    if infos != sigs {
        return Err(TxError::Unauthorized(format!(
            "wrong number of signatures; expected {infos}, got {sigs}"
        )));
    }
    if sigs != 1 {
        return Err(TxError::NotSupported(format!(
            "txs with {sigs} signers; only single-signer txs are supported"
        )));
    }
    #[allow(deprecated)] // tips are deprecated in the SDK; reject rather than ignore them
    let has_tip = tx.auth_info.tip.is_some();
    if has_tip {
        return Err(TxError::NotSupported("tips".into()));
    }
    if let Some(fee) = &tx.auth_info.fee {
        if !fee.granter.is_empty() {
            return Err(TxError::NotSupported("fee grants".into()));
        }
        if mode != Mode::Simulate && fee.gas_limit > params.max_gas_per_tx {
            return Err(TxError::InvalidGasLimit {
                limit: fee.gas_limit,
                max: params.max_gas_per_tx,
            });
        }
    }
    Ok(())
}

/// Finds each message's module, and checks that all messages name one signer (the tx's).
pub fn route_messages<'m>(
    modules: &'m [&'m dyn Module],
    tx: &DecodedTx,
) -> Result<Routed<'m>, TxError> {
    let mut handlers = Vec::with_capacity(tx.body.messages.len());
    let mut signer: Option<Address> = None;
    for (i, msg) in tx.body.messages.iter().enumerate() {
        let module = modules
            .iter()
            .copied()
            .find(|m| m.msg_type_urls().contains(&msg.type_url.as_str()))
            .ok_or_else(|| TxError::UnknownMessage(msg.type_url.clone()))?;
        let s = module.msg_signer(msg).map_err(TxError::Module)?;
        match &signer {
            None => signer = Some(s),
            Some(first) if *first != s => {
                return Err(TxError::Unauthorized(format!(
                    "message {i} must be signed by {s} but the tx signer is {first}; \
                     only single-signer txs are supported"
                )))
            }
            Some(_) => {}
        }
        handlers.push(module);
    }
    let signer = signer
        .ok_or_else(|| TxError::InvalidRequest("must contain at least one message".into()))?;
    let (fee, gas_limit) = match &tx.auth_info.fee {
        Some(f) => {
            if !f.payer.is_empty() && f.payer != signer.as_str() {
                return Err(TxError::NotSupported(
                    "a fee payer other than the signer".into(),
                ));
            }
            let fee = Coins::from_proto(&f.amount)
                .map_err(|e| TxError::InvalidCoins(format!("fee: {e}")))?;
            (fee, f.gas_limit)
        }
        None => (Coins::new(), 0),
    };
    Ok(Routed {
        signer,
        handlers,
        fee,
        gas_limit,
    })
}

/// The stateful ante: runs on `overlay` through a gas-metered store and returns the `tx`
/// events. On error the caller drops the overlay, so nothing it wrote survives.
#[allow(clippy::too_many_arguments)]
pub fn run_ante(
    overlay: &mut Overlay<'_>,
    meter: &GasMeter,
    block: &BlockInfo,
    tx: &DecodedTx,
    raw_len: usize,
    params: &Params,
    gas_price: GasPrice,
    routed: &Routed<'_>,
    mode: Mode,
    sig_cache: Option<&SigCache>,
) -> Result<Vec<Event>, TxError> {
    let signer = &routed.signer;
    // Indexing is safe: validate_basic guarantees exactly one signer info and signature.
    let (Some(info), Some(signature)) = (tx.auth_info.signer_infos.first(), tx.signatures.first())
    else {
        return Err(TxError::NoSignatures);
    };

    // Size gas first (cheap, bounds everything after). In simulation an empty signature or a
    // missing key stands in for bytes the real tx will carry.
    let mut size = u64::try_from(raw_len).unwrap_or(u64::MAX);
    if mode == Mode::Simulate {
        if signature.is_empty() {
            size = size.saturating_add(SIM_SIGNATURE_BYTES);
        }
        if info.public_key.is_none() {
            size = size.saturating_add(SIM_PUBKEY_BYTES);
        }
        if routed.fee.is_empty() {
            size = size.saturating_add(SIM_FEE_BYTES);
        }
    }
    meter.charge(size.saturating_mul(params.tx_size_cost_per_byte), "txSize")?;

    let mut account = {
        let gs = GasStorage::new(overlay, meter);
        get_account(&gs, signer).map_err(|e| TxError::Internal(e.to_string()))?
    }
    .ok_or_else(|| TxError::UnknownAddress(signer.to_string()))?;
    meter.check()?;

    let sign_mode = match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) => s.mode,
        Some(mode_info::Sum::Multi(_)) => {
            return Err(TxError::NotSupported("multisig signer info".into()))
        }
        None => SignMode::Unspecified as i32,
    };
    let direct = sign_mode == SignMode::Direct as i32;
    let amino = sign_mode == SignMode::LegacyAminoJson as i32;
    let unspecified = sign_mode == SignMode::Unspecified as i32;
    if !(direct || amino || (mode == Mode::Simulate && unspecified)) {
        return Err(TxError::NotSupported(format!(
            "sign mode {sign_mode}; only SIGN_MODE_DIRECT (1) and SIGN_MODE_LEGACY_AMINO_JSON (127)"
        )));
    }
    // Amino JSON signs only what its doc holds: anything else in the body would ride unsigned.
    if amino && !tx.body.non_critical_extension_options.is_empty() {
        return Err(TxError::NotSupported(
            "extension options in a tx signed in amino JSON (they are not in its sign doc)".into(),
        ));
    }
    if amino && mode != Mode::Simulate {
        check_amino_envelope(tx)?;
    }

    // The key: from the tx if given (it must control the signer's address), else the account's.
    let tx_key = match &info.public_key {
        Some(any) => {
            let key = PubKey::from_any(any).map_err(|e| TxError::InvalidPubKey(e.to_string()))?;
            key.check_address(signer)
                .map_err(|e| TxError::InvalidPubKey(e.to_string()))?;
            // Amino mode does not sign the key's bytes: only their one encoding is taken.
            if amino && mode != Mode::Simulate && key.to_any().value != any.value {
                return Err(amino_refusal("a non-canonical public key"));
            }
            Some(key)
        }
        None => None,
    };
    if let (Some(stored), Some(given)) = (&account.pub_key, &tx_key) {
        if stored != given {
            return Err(TxError::InvalidPubKey(format!(
                "pubkey does not match the one stored for {signer}"
            )));
        }
    }
    let key = tx_key.or_else(|| account.pub_key.clone());
    // Ethereum and Aptos keys sign only through their wallets' envelopes around the amino doc.
    if direct {
        match &key {
            Some(PubKey::EthSecp256k1(_)) => {
                return Err(TxError::NotSupported(
                    "SIGN_MODE_DIRECT with an Ethereum key: it signs EIP-712 typed data, in \
                     SIGN_MODE_LEGACY_AMINO_JSON"
                        .into(),
                ))
            }
            Some(PubKey::AptosEd25519(_)) => {
                return Err(TxError::NotSupported(
                    "SIGN_MODE_DIRECT with an Aptos key: it signs the signMessage envelope, in \
                     SIGN_MODE_LEGACY_AMINO_JSON"
                        .into(),
                ))
            }
            _ => {}
        }
    }

    // Simulate reads committed state, which does not hold the signer's txs still in the
    // mempool: a sequence ahead of the committed one is theirs to follow, so it is taken as is.
    if mode == Mode::Simulate && info.sequence > account.sequence {
        account.sequence = info.sequence;
    }
    if info.sequence != account.sequence {
        return Err(TxError::WrongSequence {
            expected: account.sequence,
            got: info.sequence,
        });
    }

    meter.charge(params.sig_verify_cost_secp256k1, "ante verify: secp256k1")?;
    if mode != Mode::Simulate {
        let key = key.as_ref().ok_or_else(|| {
            TxError::InvalidPubKey(format!("pubkey on account {signer} is not set"))
        })?;
        // What direct mode signs; it also fixes everything an amino-mode signature covers (the
        // doc is rebuilt from the same body, auth info, chain id and account number), so it is
        // the cache's record of this tx's signing context: a recheck of an amino tx finds its
        // entry without rebuilding the doc.
        let context = SignDoc {
            body_bytes: tx.body_bytes.clone(),
            auth_info_bytes: tx.auth_info_bytes.clone(),
            chain_id: block.chain_id.clone(),
            account_number: account.account_number,
        }
        .encode_to_vec();
        let verify = || {
            let amino_bytes;
            let signed: &[u8] = if amino {
                let doc =
                    amino_sign_doc(tx, &block.chain_id, account.account_number, info.sequence);
                amino_bytes = signed_amino_bytes(key, &doc)?;
                &amino_bytes
            } else {
                &context
            };
            verify_signature(key, signed, signature).map_err(|e| {
                TxError::Unauthorized(format!(
                    "signature verification failed; please verify account number ({}) and \
                     chain-id ({}): {e}",
                    account.account_number, block.chain_id
                ))
            })
        };
        match sig_cache {
            Some(cache) => {
                // The key's type is part of what was verified (the same bytes under another
                // type are another key).
                let typed_key = [key.type_url().as_bytes(), key.bytes()].concat();
                cache.verify_once(&typed_key, &context, signature, verify)?
            }
            None => verify()?,
        }
    }

    let mut events = Vec::new();
    if mode != Mode::Simulate {
        let required =
            gas_price
                .fee_for(routed.gas_limit)
                .ok_or_else(|| TxError::InsufficientFee {
                    got: routed.fee.to_string(),
                    required: "more than u128 (gas limit × min gas price overflows)".into(),
                })?;
        if routed.fee.amount_of(DENOM) < required {
            return Err(TxError::InsufficientFee {
                got: routed.fee.to_string(),
                required: Coin::new(required, DENOM).to_string(),
            });
        }
    }
    // The fees module owns the account (its end block distributes what gathers there).
    let collector = bls_fees::state::fee_collector();
    if !routed.fee.is_empty() {
        let mut gs = GasStorage::new(overlay, meter);
        let fee_events =
            send_with_events(&mut gs, signer, &collector, &routed.fee).map_err(|e| {
                TxError::InsufficientFunds(format!(
                    "insufficient funds to pay fee {}: {e}",
                    routed.fee
                ))
            })?;
        events.extend(fee_events.0);
    } else if mode == Mode::Simulate {
        charge_simulated_fee_deduction(overlay, meter, signer, &collector)?;
    }
    meter.check()?;

    let used_sequence = account.sequence;
    if account.pub_key.is_none() {
        account.pub_key = key;
    }
    account.sequence = account
        .sequence
        .checked_add(1)
        .ok_or_else(|| TxError::Internal(format!("sequence of {signer} overflows")))?;
    {
        let mut gs = GasStorage::new(overlay, meter);
        set_account(&mut gs, &account).map_err(|e| TxError::Internal(e.to_string()))?;
    }
    meter.check()?;

    events.push(
        Event::new("tx")
            .attr("fee", &routed.fee)
            .attr("fee_payer", signer),
    );
    events.push(Event::new("tx").attr("acc_seq", format!("{signer}/{used_sequence}")));
    events.push(Event::new("tx").attr(
        "signature",
        base64::engine::general_purpose::STANDARD.encode(signature),
    ));
    Ok(events)
}

/// In amino mode the body and auth info are not signed as bytes, only what the doc shows of
/// them: so they must be the one encoding of what they hold (no unknown fields, no reordering),
/// the signer's key must be in the tx (in its one encoding: checked where it is decoded), and the
/// fee payer unset — otherwise a
/// relayer could change the tx's hash (and so its identity for the sender) without touching the
/// signature. Messages get the same check as they are written into the doc.
fn check_amino_envelope(tx: &DecodedTx) -> Result<(), TxError> {
    if tx.body.encode_to_vec() != tx.body_bytes {
        return Err(amino_refusal("a non-canonical TxBody"));
    }
    if tx.auth_info.encode_to_vec() != tx.auth_info_bytes {
        return Err(amino_refusal("a non-canonical AuthInfo"));
    }
    // Exactly one signer info (validate_basic); its key is checked where the ante decodes it.
    if tx
        .auth_info
        .signer_infos
        .first()
        .is_none_or(|i| i.public_key.is_none())
    {
        return Err(amino_refusal("a signer without its public key"));
    }
    if tx
        .auth_info
        .fee
        .as_ref()
        .is_some_and(|f| !f.payer.is_empty())
    {
        return Err(amino_refusal("a fee payer"));
    }
    Ok(())
}

/// Why an amino-mode tx carrying `what` is refused.
fn amino_refusal(what: &str) -> TxError {
    TxError::NotSupported(format!(
        "{what} in a tx signed in amino JSON (only what its sign doc shows is signed: the body \
         and auth info must be canonical, carry the signer's key and no fee payer)"
    ))
}

/// The amino-JSON `StdSignDoc` of a tx, rebuilt from the tx itself (see `bls_proto::amino`):
/// what is signed is exactly what runs.
fn amino_sign_doc(
    tx: &DecodedTx,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> StdSignDoc {
    let (fee, gas) = match &tx.auth_info.fee {
        Some(f) => (
            f.amount
                .iter()
                .map(|c| FeeCoin {
                    denom: c.denom.clone(),
                    amount: c.amount.clone(),
                })
                .collect(),
            f.gas_limit,
        ),
        None => (Vec::new(), 0),
    };
    StdSignDoc {
        chain_id: chain_id.to_string(),
        account_number,
        sequence,
        fee,
        gas,
        memo: tx.body.memo.clone(),
        timeout_height: tx.body.timeout_height,
        msgs: tx
            .body
            .messages
            .iter()
            .map(|m| (m.type_url.clone(), m.value.clone()))
            .collect(),
    }
}

/// What `key` signed for an amino-mode tx: the doc's JSON (Cosmos key), the EIP-712 hash of
/// the doc's typed data (Ethereum key), or the Aptos `signMessage` text around the doc's JSON
/// with the sequence as nonce (Aptos key).
fn signed_amino_bytes(key: &PubKey, doc: &StdSignDoc) -> Result<Vec<u8>, TxError> {
    let refused = |e: String| TxError::Unauthorized(format!("amino JSON sign doc: {e}"));
    match key {
        PubKey::Secp256k1(_) => doc
            .sign_text()
            .map(String::into_bytes)
            .map_err(|e| refused(e.to_string())),
        PubKey::EthSecp256k1(_) => TypedData::from_sign_doc(doc)
            .and_then(|t| t.signing_hash())
            .map(|h| h.to_vec())
            .map_err(|e| refused(e.to_string())),
        PubKey::AptosEd25519(_) => {
            let json = doc.sign_text().map_err(|e| refused(e.to_string()))?;
            Ok(aptos_full_message(&json, &doc.sequence.to_string()).into_bytes())
        }
    }
}

/// Verifies `signature` by `key` over `signed` (from [`signed_amino_bytes`] or the direct doc).
fn verify_signature(
    key: &PubKey,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), bls_auth::AuthError> {
    match key {
        PubKey::Secp256k1(k) => verify_secp256k1(k, signed, signature),
        PubKey::EthSecp256k1(k) => {
            let digest: [u8; 32] = signed.try_into().map_err(|_| {
                bls_auth::AuthError::Unauthorized("an EIP-712 digest is 32 bytes".into())
            })?;
            verify_eth_secp256k1(k, &digest, signature)
        }
        PubKey::AptosEd25519(k) => verify_aptos_ed25519(k, signed, signature),
    }
}

/// CosmJS simulates with an empty fee, but the real tx will pay one: charge the gas of that
/// deduction (a 1ubls transfer on a scratch overlay that is then dropped), so the estimate
/// covers it without changing simulated balances.
fn charge_simulated_fee_deduction(
    overlay: &Overlay<'_>,
    meter: &GasMeter,
    signer: &Address,
    collector: &Address,
) -> Result<(), TxError> {
    let mut scratch = Overlay::new(overlay as &dyn Storage);
    let probe = GasMeter::new(u64::MAX, *meter.config());
    let one = Coins::from_coins([Coin::ubls(1)]).map_err(|e| TxError::Internal(e.to_string()))?;
    let mut gs = GasStorage::new(&mut scratch, &probe);
    // A signer without 1ubls cannot pay any fee; the real tx fails on that, not simulation.
    let _ = send_with_events(&mut gs, signer, collector, &one);
    meter.charge(probe.consumed(), "simulated fee deduction")?;
    Ok(())
}
