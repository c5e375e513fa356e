//! The tx pipeline end to end over real signatures: happy path, every ante rejection (state
//! untouched), message failure and out-of-gas (fee and sequence kept, messages reverted), and
//! the CheckTx state admitting consecutive sequences.

mod tx_common;

use base64::Engine;
use bls_auth::get_account;
use bls_core::Address;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use cosmos_sdk_proto::Any;
use k256::ecdsa::Signature;
use prost::Message;
use tx_common::*;

#[test]
fn msg_send_happy_path() {
    let mut s = genesis();
    let p = pipeline();
    let (a, c) = (alice(), carol());
    assert!(get_account(&s, &c).unwrap().is_none());
    assert!(account(&s, &a.addr).pub_key.is_none());

    let raw = send_tx(&s, &a, &c, 1_234);
    let o = p.deliver_tx(&mut s, &block(1), &raw);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(o.gas_wanted, GAS);
    assert!(o.gas_used > 0 && o.gas_used <= GAS);
    assert_eq!(ubls(&s, &c), 1_234);
    assert_eq!(ubls(&s, &a.addr), ALICE_FUNDS - 1_234 - FEE);
    assert_eq!(ubls(&s, &fee_collector()), FEE);
    let acc = account(&s, &a.addr);
    assert_eq!(acc.sequence, 1);
    assert_eq!(
        acc.pub_key,
        Some(bls_auth::PubKey::Secp256k1(a.pubkey.clone()))
    );
    // The recipient got an account with the next number (alice 0, poor 1, then the fee
    // collector's module account, created when the fee was paid into it, 2).
    assert_eq!(account(&s, &c).account_number, 3);

    let data = TxMsgData::decode(o.data.as_slice()).unwrap();
    assert_eq!(data.msg_responses.len(), 1);
    assert_eq!(
        data.msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    let find = |kind: &str, key: &str| {
        o.events
            .iter()
            .filter(|e| e.kind == kind)
            .find_map(|e| e.get(key).map(str::to_string))
    };
    assert_eq!(find("tx", "acc_seq"), Some(format!("{}/0", a.addr)));
    assert!(find("tx", "signature").is_some());
    assert_eq!(find("tx", "fee"), Some(format!("{FEE}ubls")));
    assert_eq!(
        find("message", "action").as_deref(),
        Some("/cosmos.bank.v1beta1.MsgSend")
    );
    assert_eq!(find("message", "sender"), Some(a.addr.to_string()));
    assert_eq!(find("message", "module").as_deref(), Some("bank"));
    let transfer = o
        .events
        .iter()
        .find(|e| e.kind == "transfer" && e.get("recipient") == Some(c.as_str()))
        .expect("transfer event to carol");
    assert_eq!(transfer.get("amount"), Some("1234ubls"));
    assert_eq!(transfer.get("sender"), Some(a.addr.as_str()));

    // Second tx: no pubkey in the signer info, the stored one is used.
    let acc = account(&s, &a.addr);
    let mut spec = TxSpec::new(
        vec![send_msg(&a.addr, &c, 1)],
        acc.account_number,
        acc.sequence,
    );
    spec.include_pubkey = false;
    let o = p.deliver_tx(&mut s, &block(2), &spec.build(&a));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(account(&s, &a.addr).sequence, 2);
    assert_eq!(ubls(&s, &c), 1_235);
    assert_conserved(&s, &all_holders());
}

#[test]
fn amino_json_signed_send_runs() {
    let mut s = genesis();
    let p = pipeline();
    let a = alice();
    let mut spec = TxSpec::new(vec![send_msg(&a.addr, &carol(), 7)], 0, 0);
    spec.sign_mode = SignMode::LegacyAminoJson;
    // Characters CosmJS escapes (`<`, `>`, `&`) and a quote in the memo; a timeout height
    // (written into the doc only when set).
    spec.memo = "a <b> & \"c\"".into();
    spec.timeout_height = 5;
    let o = p.deliver_tx(&mut s, &block(1), &spec.build(&a));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ubls(&s, &carol()), 7);
    assert_eq!(account(&s, &a.addr).sequence, 1);
    // The same signed doc cannot run twice (its sequence is spent).
    let o = p.deliver_tx(&mut s, &block(2), &spec.build(&a));
    assert_eq!(o.code, 32, "{o:?}");
    assert_eq!(ubls(&s, &carol()), 7);
}

#[test]
fn multiple_messages_run_in_order() {
    let mut s = genesis();
    let a = alice();
    let spec = TxSpec::new(
        vec![
            send_msg(&a.addr, &carol(), 10),
            send_msg(&a.addr, &bob().addr, 20),
        ],
        0,
        0,
    );
    let o = pipeline().deliver_tx(&mut s, &block(1), &spec.build(&a));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        TxMsgData::decode(o.data.as_slice())
            .unwrap()
            .msg_responses
            .len(),
        2
    );
    assert_eq!((ubls(&s, &carol()), ubls(&s, &bob().addr)), (10, 20));
    let indices: Vec<_> = o
        .events
        .iter()
        .filter(|e| e.kind == "message")
        .filter_map(|e| e.get("msg_index"))
        .collect();
    assert_eq!(indices, ["0", "1"]);
    assert_conserved(&s, &all_holders());
}

/// Every tx here must be rejected by the ante in both CheckTx and DeliverTx, with the given
/// code and log fragment, leaving the state byte-for-byte unchanged.
#[test]
fn ante_rejections_change_nothing() {
    let mut s = genesis();
    let p = pipeline();
    let (a, b) = (alice(), bob());
    // Give alice a sequence of 1 and fund bob, so "too low" and "another key" are meaningful.
    let raw = send_tx(&s, &a, &b.addr, 100_000);
    assert_eq!(p.deliver_tx(&mut s, &block(1), &raw).code, 0);
    let acc = account(&s, &a.addr);
    assert_eq!((acc.account_number, acc.sequence), (0, 1));
    let bob_acc = account(&s, &b.addr);
    let ok = || TxSpec::new(vec![send_msg(&a.addr, &carol(), 5)], 0, 1);

    let mut cases: Vec<(&str, Vec<u8>, u32, String)> = Vec::new();
    cases.push((
        "malformed bytes",
        vec![0xde, 0xad, 0xbe, 0xef],
        2,
        "parse".into(),
    ));
    cases.push(("empty bytes", vec![], 2, "empty tx".into()));
    let mut flipped = ok().build(&a);
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01; // last byte of the signature
    cases.push((
        "wrong signature",
        flipped,
        4,
        "signature verification failed".into(),
    ));
    cases.push((
        "signed by another key",
        ok().build_with(&b, &a.pubkey),
        4,
        "signature verification failed".into(),
    ));
    let mut spec = ok();
    spec.chain_id = "other-chain".into();
    cases.push((
        "wrong chain id",
        spec.build(&a),
        4,
        "chain-id (bls-test-1)".into(),
    ));
    let mut spec = ok();
    spec.sequence = 0;
    cases.push((
        "sequence too low",
        spec.build(&a),
        32,
        "expected 1, got 0".into(),
    ));
    let mut spec = ok();
    spec.sequence = 2;
    cases.push((
        "sequence too high",
        spec.build(&a),
        32,
        "expected 1, got 2".into(),
    ));
    let mut spec = ok();
    spec.account_number = 7;
    cases.push((
        "wrong account number",
        spec.build(&a),
        4,
        "account number (0)".into(),
    ));
    let mut spec = ok();
    spec.fee = 4_999; // 200000 × 0.025 = 5000
    cases.push((
        "insufficient fee",
        spec.build(&a),
        13,
        "required: 5000ubls".into(),
    ));
    let pk = poor();
    let poor_acc = account(&s, &pk.addr);
    cases.push((
        "insufficient funds for fee",
        TxSpec::new(
            vec![send_msg(&pk.addr, &carol(), 1)],
            poor_acc.account_number,
            0,
        )
        .build(&pk),
        5,
        "insufficient funds to pay fee".into(),
    ));
    cases.push((
        "unknown message type",
        TxSpec::new(
            vec![Any {
                type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
                value: vec![],
            }],
            0,
            1,
        )
        .build(&a),
        6,
        "/cosmos.staking.v1beta1.MsgDelegate".into(),
    ));
    // Message from alice, tx signed and keyed by bob.
    cases.push((
        "message signer is not the tx signer",
        TxSpec::new(
            vec![send_msg(&a.addr, &carol(), 5)],
            bob_acc.account_number,
            0,
        )
        .build(&b),
        8,
        "pubkey does not match signer address".into(),
    ));
    cases.push((
        "messages with two signers",
        TxSpec::new(
            vec![
                send_msg(&a.addr, &carol(), 5),
                send_msg(&b.addr, &carol(), 5),
            ],
            0,
            1,
        )
        .build(&a),
        4,
        "only single-signer".into(),
    ));
    let mut spec = ok();
    spec.memo = "m".repeat(MAX_MEMO as usize + 1);
    cases.push(("memo too long", spec.build(&a), 12, "memo too large".into()));
    let mut spec = ok();
    spec.memo = "é".repeat(MAX_MEMO as usize); // counted in characters, not bytes
    let memo_ok = spec.build(&a);
    let mut spec = ok();
    spec.memo = "x".repeat(MAX_TX_BYTES as usize);
    cases.push(("oversized tx", spec.build(&a), 21, "tx too large".into()));
    let mut spec = ok();
    spec.gas_limit = MAX_GAS + 1;
    spec.fee = 1_000_000;
    cases.push((
        "gas limit above max",
        spec.build(&a),
        41,
        "exceeds the maximum".into(),
    ));
    let mut spec = ok();
    spec.gas_limit = 1_000;
    cases.push((
        "out of gas in the ante",
        spec.build(&a),
        11,
        "out of gas in location: txSize".into(),
    ));
    // High-S: the same signature with s negated verifies mathematically; it must be refused.
    let spec = ok();
    let low = Signature::from_slice(&a.sign(&spec.sign_doc(&a.pubkey))).unwrap();
    let (r, sv) = low.split_scalars();
    let high = Signature::from_scalars(r, -*sv).unwrap();
    cases.push((
        "high-S signature",
        spec.raw(&a.pubkey, high.to_bytes().to_vec()),
        4,
        "high S".into(),
    ));
    // Unknown field appended to TxRaw: same signed content, different tx hash → refused.
    let mut extended = ok().build(&a);
    extended.extend_from_slice(&[0x20, 0x01]); // field 4, varint 1
    cases.push(("unknown TxRaw field", extended, 2, "canonical".into()));
    // Amino JSON: a direct signature declared as amino, an amino signature declared as direct,
    // an amino doc for another chain, a memo changed after signing, and bytes the doc cannot
    // show (unsigned extension options, unknown message fields) are all refused.
    let mut spec = ok();
    spec.sign_mode = SignMode::Direct;
    let direct_sig = a.sign(&spec.sign_doc(&a.pubkey));
    spec.sign_mode = SignMode::LegacyAminoJson;
    cases.push((
        "direct signature in amino mode",
        spec.raw(&a.pubkey, direct_sig),
        4,
        "signature verification failed".into(),
    ));
    let amino_sig = a.sign(&spec.sign_doc(&a.pubkey));
    spec.sign_mode = SignMode::Direct;
    cases.push((
        "amino signature in direct mode",
        spec.raw(&a.pubkey, amino_sig),
        4,
        "signature verification failed".into(),
    ));
    let mut spec = ok();
    spec.sign_mode = SignMode::LegacyAminoJson;
    let other_chain = a.sign(spec.amino_doc("bls-other-1").as_bytes());
    cases.push((
        "amino doc of another chain",
        spec.raw(&a.pubkey, other_chain),
        4,
        "chain-id (bls-test-1)".into(),
    ));
    let sig = a.sign(&spec.sign_doc(&a.pubkey));
    spec.memo = "changed after signing".into();
    cases.push((
        "amino memo changed after signing",
        spec.raw(&a.pubkey, sig),
        4,
        "signature verification failed".into(),
    ));
    let mut spec = ok();
    spec.sign_mode = SignMode::LegacyAminoJson;
    let sig = a.sign(&spec.sign_doc(&a.pubkey));
    let mut body = TxBody::decode(spec.body_bytes().as_slice()).unwrap();
    body.non_critical_extension_options = vec![Any {
        type_url: "/some.Extension".into(),
        value: vec![],
    }];
    cases.push((
        "unsigned extension option in amino mode",
        TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: spec.auth_info_bytes(&a.pubkey),
            signatures: vec![sig.clone()],
        }
        .encode_to_vec(),
        37,
        "extension options in a tx signed in amino JSON".into(),
    ));
    // Second encodings of the same signed tx (each would change its hash unsigned): unknown
    // bytes in the body, a message encoded out of field order, an explicit fee payer.
    let mut body_bytes = spec.body_bytes();
    body_bytes.extend_from_slice(&[0x98, 0x06, 0x01]); // TxBody field 99: unknown
    cases.push((
        "unknown body field in amino mode",
        TxRaw {
            body_bytes,
            auth_info_bytes: spec.auth_info_bytes(&a.pubkey),
            signatures: vec![sig.clone()],
        }
        .encode_to_vec(),
        37,
        "a non-canonical TxBody".into(),
    ));
    let mut body = TxBody::decode(spec.body_bytes().as_slice()).unwrap();
    let send =
        cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend::decode(body.messages[0].value.as_slice())
            .unwrap();
    let mut reordered = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        amount: send.amount.clone(),
        ..Default::default()
    }
    .encode_to_vec();
    reordered.extend(
        cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
            amount: vec![],
            ..send
        }
        .encode_to_vec(),
    );
    body.messages[0].value = reordered;
    cases.push((
        "message fields out of order in amino mode",
        TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: spec.auth_info_bytes(&a.pubkey),
            signatures: vec![sig.clone()],
        }
        .encode_to_vec(),
        4,
        "not canonically encoded".into(),
    ));
    let mut payer = spec.clone();
    payer.fee_payer = a.addr.to_string();
    cases.push((
        "explicit fee payer in amino mode",
        payer.raw(&a.pubkey, sig.clone()),
        37,
        "a fee payer in a tx signed in amino JSON".into(),
    ));
    let mut auth = cosmos_sdk_proto::cosmos::tx::v1beta1::AuthInfo::decode(
        spec.auth_info_bytes(&a.pubkey).as_slice(),
    )
    .unwrap();
    if let Some(key) = auth.signer_infos[0].public_key.as_mut() {
        key.value.extend_from_slice(&[0x10, 0x01]); // PubKey field 2: unknown, same key
    }
    cases.push((
        "public key encoded another way in amino mode",
        TxRaw {
            body_bytes: spec.body_bytes(),
            auth_info_bytes: auth.encode_to_vec(),
            signatures: vec![sig.clone()],
        }
        .encode_to_vec(),
        37,
        "a non-canonical public key in a tx signed in amino JSON".into(),
    ));
    let mut body = TxBody::decode(spec.body_bytes().as_slice()).unwrap();
    body.messages[0]
        .value
        .extend_from_slice(&[0x98, 0x06, 0x01]); // field 99: unknown
    cases.push((
        "unknown message field in amino mode",
        TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: spec.auth_info_bytes(&a.pubkey),
            signatures: vec![sig],
        }
        .encode_to_vec(),
        4,
        "fields its schema does not know (field 99)".into(),
    ));
    let mut spec = ok();
    spec.sign_mode = SignMode::Unspecified;
    cases.push((
        "unspecified sign mode outside simulate",
        spec.build(&a),
        37,
        "sign mode".into(),
    ));
    cases.push((
        "empty signature outside simulate",
        ok().raw(&a.pubkey, vec![]),
        4,
        "signature".into(),
    ));
    let mut spec = TxSpec::new(
        vec![send_msg(&b.addr, &carol(), 5)],
        bob_acc.account_number,
        0,
    );
    spec.include_pubkey = false;
    cases.push(("no pubkey anywhere", spec.build(&b), 8, "not set".into()));
    let unknown = bls_app::tx::decode_tx(&ok().build(&a), true).map(|_| ()); // sanity
    assert!(unknown.is_ok());
    let stranger = tx_common::Key::new(9);
    cases.push((
        "signer without account",
        TxSpec::new(vec![send_msg(&stranger.addr, &carol(), 1)], 0, 0).build(&stranger),
        9,
        "not found".into(),
    ));
    cases.push((
        "no messages",
        TxSpec::new(vec![], 0, 1).build(&a),
        18,
        "at least one message".into(),
    ));

    let mut spec = ok();
    spec.timeout_height = 1; // the test block is at height 2
    cases.push((
        "past timeout height",
        spec.build(&a),
        30,
        "timeout height: 1".into(),
    ));
    let mut spec = ok();
    spec.fee_payer = b.addr.to_string();
    cases.push((
        "fee payer other than signer",
        spec.build(&a),
        37,
        "fee payer".into(),
    ));
    let mut spec = ok();
    spec.fee_granter = b.addr.to_string();
    cases.push(("fee granter", spec.build(&a), 37, "fee grants".into()));
    let mut spec = ok();
    spec.extension_options = vec![Any {
        type_url: "/some.Extension".into(),
        value: vec![],
    }];
    cases.push(("extension options", spec.build(&a), 31, "extension".into()));

    assert_refused_and_unchanged(&p, &mut s, &cases);

    // A timeout height not yet reached is fine, as is the fee payer named explicitly.
    let mut spec = ok();
    spec.timeout_height = 2;
    spec.fee_payer = a.addr.to_string();
    assert_eq!(
        p.check_tx(&mut copy(&s), &block(2), &spec.build(&a)).code,
        0
    );
    // The non-ASCII memo at exactly the limit is fine.
    let o = p.deliver_tx(&mut s, &block(2), &memo_ok);
    assert_eq!(o.code, 0, "{o:?}");
    assert_conserved(&s, &all_holders());
}

#[test]
fn failing_message_keeps_fee_and_sequence_only() {
    let mut s = genesis();
    let p = pipeline();
    let a = alice();
    let before_alice = ubls(&s, &a.addr);
    // Pays the fee, then tries to send more than is left.
    let raw = send_tx(&s, &a, &carol(), ALICE_FUNDS);
    let o = p.deliver_tx(&mut s, &block(1), &raw);
    assert_eq!((o.codespace.as_str(), o.code), ("bank", 5), "{o:?}");
    assert!(
        o.log
            .contains("failed to execute message; message index: 0"),
        "{}",
        o.log
    );
    assert!(o.data.is_empty());
    assert_eq!(ubls(&s, &a.addr), before_alice - FEE);
    assert_eq!(ubls(&s, &fee_collector()), FEE);
    assert_eq!(account(&s, &a.addr).sequence, 1);
    // The recipient's account creation was part of the failed message: reverted.
    assert!(get_account(&s, &carol()).unwrap().is_none());
    // Ante events survive (the fee was charged); no message events.
    assert!(o.events.iter().any(|e| e.get("acc_seq").is_some()));
    assert!(!o.events.iter().any(|e| e.kind == "message"));
    // A partially successful multi-message tx is reverted as a whole.
    let ok_then_bad = TxSpec::new(
        vec![
            send_msg(&a.addr, &carol(), 1),
            send_msg(&a.addr, &carol(), ALICE_FUNDS),
        ],
        0,
        1,
    )
    .build(&a);
    let o = p.deliver_tx(&mut s, &block(2), &ok_then_bad);
    assert_eq!(o.code, 5);
    assert!(o.log.contains("message index: 1"), "{}", o.log);
    assert_eq!(ubls(&s, &carol()), 0);
    assert_eq!(account(&s, &a.addr).sequence, 2);
    assert_eq!(ubls(&s, &a.addr), before_alice - 2 * FEE);
    assert_conserved(&s, &all_holders());
}

#[test]
fn out_of_gas_in_messages_reverts_them_and_keeps_the_fee() {
    let s0 = genesis();
    let p = pipeline();
    let a = alice();
    // Find a gas limit that the ante fits in but the MsgSend does not: measure the ante with
    // CheckTx (which runs only the ante) and leave a little room.
    let mut limit = 50_000;
    let mut raw = Vec::new();
    for _ in 0..4 {
        let mut spec = TxSpec::new(vec![send_msg(&a.addr, &carol(), 10)], 0, 0);
        spec.gas_limit = limit;
        spec.fee = 10_000;
        raw = spec.build(&a);
        let mut probe = copy(&s0);
        let ante = p.check_tx(&mut probe, &block(1), &raw);
        assert_eq!(ante.code, 0, "{ante:?}");
        if limit == ante.gas_used + 100 {
            break;
        }
        limit = ante.gas_used + 100;
    }
    let mut s = copy(&s0);
    let o = p.deliver_tx(&mut s, &block(1), &raw);
    assert_eq!(o.code, 11, "{o:?}");
    assert_eq!(o.codespace, "sdk");
    assert!(
        o.log.starts_with("out of gas in location: ")
            && o.log
                .contains(&format!("; gasWanted: {limit}, gasUsed: {}", o.gas_used)),
        "{}",
        o.log
    );
    assert!(o.gas_used > limit);
    assert_eq!(o.gas_wanted, limit);
    assert_eq!(ubls(&s, &a.addr), ALICE_FUNDS - 10_000);
    assert_eq!(ubls(&s, &fee_collector()), 10_000);
    assert_eq!(account(&s, &a.addr).sequence, 1);
    assert_eq!(ubls(&s, &carol()), 0);
    assert!(get_account(&s, &carol()).unwrap().is_none());
    assert_conserved(&s, &all_holders());
}

#[test]
fn check_state_admits_consecutive_sequences() {
    let deliver_state = genesis();
    let mut check_state = copy(&deliver_state);
    let p = pipeline();
    let a = alice();
    let tx0 = TxSpec::new(vec![send_msg(&a.addr, &carol(), 1)], 0, 0).build(&a);
    let tx1 = TxSpec::new(vec![send_msg(&a.addr, &carol(), 2)], 0, 1).build(&a);
    let o0 = p.check_tx(&mut check_state, &block(1), &tx0);
    assert_eq!(o0.code, 0, "{o0:?}");
    assert!(o0.data.is_empty(), "CheckTx runs no messages");
    let o1 = p.check_tx(&mut check_state, &block(1), &tx1);
    assert_eq!(o1.code, 0, "{o1:?}");
    // CheckTx applied the ante: fees taken, sequence at 2; the messages did not run.
    assert_eq!(account(&check_state, &a.addr).sequence, 2);
    assert_eq!(ubls(&check_state, &a.addr), ALICE_FUNDS - 2 * FEE);
    assert_eq!(ubls(&check_state, &carol()), 0);
    // Replaying tx1 in the mempool is refused.
    assert_code(
        &p.check_tx(&mut check_state, &block(1), &tx1),
        32,
        "expected 2, got 1",
    );

    // The block runs both, in order.
    let mut s = deliver_state;
    assert_eq!(p.deliver_tx(&mut s, &block(1), &tx0).code, 0);
    assert_eq!(p.deliver_tx(&mut s, &block(1), &tx1).code, 0);
    assert_eq!(ubls(&s, &carol()), 3);
    assert_code(
        &p.deliver_tx(&mut s, &block(1), &tx0),
        32,
        "expected 2, got 0",
    );
    assert_conserved(&s, &all_holders());
}

#[test]
fn zero_min_gas_price_accepts_feeless_txs() {
    let mut s = genesis();
    let mut params = bls_auth::params::load(&s).unwrap();
    params.min_gas_price = "0".into();
    bls_auth::params::save(&mut s, &params).unwrap();
    let a = alice();
    let mut spec = TxSpec::new(vec![send_msg(&a.addr, &carol(), 7)], 0, 0);
    spec.fee = 0;
    let o = pipeline().deliver_tx(&mut s, &block(1), &spec.build(&a));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ubls(&s, &a.addr), ALICE_FUNDS - 7);
    assert_eq!(ubls(&s, &fee_collector()), 0);
}

#[test]
fn tx_signature_event_is_the_base64_signature() {
    let mut s = genesis();
    let a = alice();
    let raw = send_tx(&s, &a, &carol(), 1);
    let sig = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(raw.as_slice())
        .unwrap()
        .signatures
        .remove(0);
    let o = pipeline().deliver_tx(&mut s, &block(1), &raw);
    let got = o.events.iter().find_map(|e| e.get("signature")).unwrap();
    assert_eq!(got, base64::engine::general_purpose::STANDARD.encode(sig));
    let _: &Address = &a.addr;
}
