//! ABCI `Query` honours `RequestQuery.height` in-process: balances written at heights 1..3 are
//! read back at each height through the bank module and through `/store/key` with ics23 proofs
//! against each height's app hash; height 0 is the latest; future, negative and unstored heights
//! get a non-zero code and a log saying why.

mod tx_common;

use bls_app::abci::query::{PROOF_OP_TYPE, SIMULATE_PATH, STORE_PATH};
use bls_app::abci::BlsApp;
use bls_app::store::verify_proof;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use prost::Message;
use tendermint_proto::v0_38::abci::RequestQuery;
use tx_common::*;

const BALANCE: &str = "/cosmos.bank.v1beta1.Query/Balance";

use tx_common::{commit_block as block, send_to_carol as send, start_app as start};

fn query(
    app: &BlsApp,
    path: &str,
    data: Vec<u8>,
    height: i64,
    prove: bool,
) -> (u32, i64, String, Vec<u8>) {
    let r = app.query(RequestQuery {
        data: data.into(),
        path: path.into(),
        height,
        prove,
    });
    (r.code, r.height, r.log, r.value.to_vec())
}

fn balance_at(app: &BlsApp, who: &bls_core::Address, height: i64) -> (i64, u128) {
    let req = QueryBalanceRequest {
        address: who.to_string(),
        denom: "ubls".into(),
    };
    let (code, h, log, value) = query(app, BALANCE, req.encode_to_vec(), height, false);
    assert_eq!(code, 0, "balance at {height}: {log}");
    let coin = QueryBalanceResponse::decode(value.as_slice())
        .expect("decode")
        .balance
        .expect("coin");
    (h, coin.amount.parse().expect("amount"))
}

fn balance_key(who: &bls_core::Address) -> Vec<u8> {
    bls_bank::keeper::store_keys::balance(who, "ubls")
}

#[test]
fn past_heights_answer_their_own_state_with_proofs() {
    let mut app = start(1);
    let mut hashes = vec![block(&mut app, 1, vec![])];
    let tx = send(&app, 1_000);
    hashes.push(block(&mut app, 2, vec![tx]));
    let tx = send(&app, 2_000);
    hashes.push(block(&mut app, 3, vec![tx]));

    let carol_at = [0u128, 1_000, 3_000];
    let alice_at = [
        ALICE_FUNDS,
        ALICE_FUNDS - 1_000 - FEE,
        ALICE_FUNDS - 3_000 - 2 * FEE,
    ];
    for h in 1..=3i64 {
        let i = h as usize - 1;
        assert_eq!(balance_at(&app, &carol(), h), (h, carol_at[i]));
        assert_eq!(balance_at(&app, &alice().addr, h), (h, alice_at[i]));

        // `/store/key` with a proof against that height's app hash.
        let key = balance_key(&carol());
        let r = app.query(RequestQuery {
            data: key.clone().into(),
            path: STORE_PATH.into(),
            height: h,
            prove: true,
        });
        assert_eq!((r.code, r.height), (0, h), "{}", r.log);
        let want = (carol_at[i] > 0).then(|| r.value.to_vec());
        if let Some(v) = &want {
            assert_eq!(
                serde_json::from_slice::<String>(v).expect("json amount"),
                carol_at[i].to_string()
            );
        } else {
            assert!(r.value.is_empty());
        }
        let ops = r.proof_ops.expect("proof ops").ops;
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].r#type, PROOF_OP_TYPE);
        let proof = ics23::CommitmentProof::decode(ops[0].data.as_slice()).expect("proof");
        assert!(
            verify_proof(&hashes[i], &key, want.as_deref(), &proof),
            "height {h}"
        );
        let other = (i + 1) % 3;
        assert!(
            !verify_proof(&hashes[other], &key, want.as_deref(), &proof),
            "a proof at {h} must not verify against height {}",
            other + 1
        );
    }
    // Height 0 is the latest, and says so.
    assert_eq!(balance_at(&app, &carol(), 0), (3, 3_000));
    // bls module JSON queries read past heights too.
    let (code, h, log, _) = query(
        &app,
        "/bls.registry.v1.Query/Params",
        b"{}".to_vec(),
        1,
        false,
    );
    assert_eq!((code, h), (0, 1), "{log}");
}

#[test]
fn future_negative_and_unstored_heights_are_refused_clearly() {
    let mut app = start(1);
    block(&mut app, 1, vec![]);
    block(&mut app, 2, vec![]);
    let req = QueryBalanceRequest {
        address: carol().to_string(),
        denom: "ubls".into(),
    }
    .encode_to_vec();
    for (height, code, needle) in [
        (3, 26, "future"),
        (i64::MAX, 26, "future"),
        (-1, 26, "invalid height -1"),
        (i64::MIN, 26, "invalid height"),
    ] {
        for path in [BALANCE, STORE_PATH] {
            let (c, h, log, value) = query(&app, path, req.clone(), height, true);
            assert_eq!(c, code, "{path} at {height}: {log}");
            assert!(log.contains(needle), "{path} at {height}: {log}");
            assert_eq!(h, 2, "refusals carry the latest height");
            assert!(value.is_empty());
        }
    }
    // Simulate runs on the latest state only.
    let (c, _, log, _) = query(&app, SIMULATE_PATH, vec![], 1, false);
    assert_eq!(c, 26, "{log}");
    assert!(log.contains("latest state only"), "{log}");

    // A chain that starts at height 10 never stored heights below it.
    let mut late = start(10);
    block(&mut late, 10, vec![]);
    block(&mut late, 11, vec![]);
    for path in [BALANCE, STORE_PATH] {
        let (c, _, log, _) = query(&late, path, req.clone(), 9, false);
        assert_eq!(c, 38, "{path}: {log}");
        assert!(log.contains("failed to load state at height 9"), "{log}");
        assert!(log.contains("10..=11"), "{log}");
    }
    let (c, h, log, _) = query(&late, BALANCE, req, 10, false);
    assert_eq!((c, h), (0, 10), "{log}");
}

/// Queries run on their own threads ([`BlsApp::query_service`]) while the consensus thread
/// executes and commits blocks. Every answer belongs to one whole commit: the balance a
/// thread reads at the height the answer names is that height's balance, and the proof it got
/// verifies against that height's app hash, however the commits interleave.
#[test]
fn queries_on_other_threads_see_whole_commits_while_blocks_commit() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const BLOCKS: i64 = 40;
    let mut app = start(1);
    let mut hashes = vec![block(&mut app, 1, vec![])];
    let service = app.query_service();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (service, stop) = (service.clone(), stop.clone());
            std::thread::spawn(move || {
                let key = balance_key(&carol());
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let r = service.answer(RequestQuery {
                        data: key.clone().into(),
                        path: STORE_PATH.into(),
                        height: 0,
                        prove: true,
                    });
                    assert_eq!(r.code, 0, "{}", r.log);
                    let proof = r.proof_ops.expect("proof ops").ops[0].data.clone();
                    seen.push((r.height, r.value.to_vec(), proof));
                }
                seen
            })
        })
        .collect();
    // Carol receives 1 ubls per block from height 2 on: at height h she has h - 1.
    for h in 2..=BLOCKS {
        let tx = send(&app, 1);
        hashes.push(block(&mut app, h, vec![tx]));
    }
    stop.store(true, Ordering::SeqCst);
    let mut heights = std::collections::BTreeSet::new();
    for reader in readers {
        for (h, value, proof) in reader.join().expect("reader thread") {
            let want = h - 1;
            let got = if value.is_empty() {
                0
            } else {
                serde_json::from_slice::<String>(&value)
                    .expect("json amount")
                    .parse::<i64>()
                    .expect("amount")
            };
            assert_eq!(got, want, "balance answered for height {h}");
            let proof = ics23::CommitmentProof::decode(proof.as_slice()).expect("proof");
            let hash = &hashes[usize::try_from(h - 1).expect("height")];
            let expected = (!value.is_empty()).then_some(value.as_slice());
            assert!(
                verify_proof(hash, &balance_key(&carol()), expected, &proof),
                "the proof answered at height {h} verifies against that height's app hash"
            );
            heights.insert(h);
        }
    }
    // The readers ran alongside the blocks, not only before or after them.
    assert!(
        heights.len() > 2,
        "answers came from heights {heights:?} only"
    );
}
