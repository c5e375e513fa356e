//! State sync in-process: a snapshot written by one node restores an empty node through the
//! ABCI snapshot calls to the same height, app hash and balances, and the restored node then
//! executes the next block to the same app hash as the source. Attacks: a corrupted chunk is
//! refused and fetched again from another peer; a snapshot whose chunks match its own
//! metadata but whose state is forged (or whose trusted app hash differs) is rejected whole
//! and writes nothing; offers to a node with state, of unknown formats or malformed metadata
//! are refused.

mod tx_common;

use bls_app::abci::BlsApp;
use bls_app::statesync::format::{self, CHUNK_BYTES};
use bls_app::statesync::{ChunkVerdict, Restore, RestoreError, SnapshotStore};
use bls_app::store::{ChangeSet, Store};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use prost::Message;
use tendermint_proto::v0_38::abci::{
    request, response, response_apply_snapshot_chunk::Result as Apply,
    response_offer_snapshot::Result as Offer, RequestApplySnapshotChunk, RequestInfo,
    RequestListSnapshots, RequestLoadSnapshotChunk, RequestOfferSnapshot, RequestQuery,
    ResponseApplySnapshotChunk, Snapshot,
};
use tx_common::*;

fn empty_app() -> BlsApp {
    BlsApp::with_store(Store::open_in_memory().expect("store"))
}

use tx_common::{commit_block as block, send_to_carol as send, start_app};

fn balance(app: &BlsApp, who: &bls_core::Address) -> u128 {
    let r = app.query(RequestQuery {
        data: QueryBalanceRequest {
            address: who.to_string(),
            denom: "ubls".into(),
        }
        .encode_to_vec()
        .into(),
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        height: 0,
        prove: false,
    });
    assert_eq!(r.code, 0, "{}", r.log);
    QueryBalanceResponse::decode(r.value.as_ref())
        .expect("decode")
        .balance
        .expect("coin")
        .amount
        .parse()
        .expect("amount")
}

/// A chain at height 3 with two sends, and a snapshot of it served from `dir`.
fn source(dir: &std::path::Path) -> (BlsApp, SnapshotStore, Snapshot) {
    let mut app = start_app(1);
    block(&mut app, 1, vec![]);
    let tx = send(&app, 1_000);
    block(&mut app, 2, vec![tx]);
    let tx = send(&app, 2_000);
    block(&mut app, 3, vec![tx]);
    let snapshots = SnapshotStore::open(dir, 2).expect("snapshots");
    snapshots
        .write(&app.store().read().expect("read"))
        .expect("write snapshot");
    let listed = match app_call(
        &app_with(&snapshots),
        request::Value::ListSnapshots(RequestListSnapshots {}),
    ) {
        response::Value::ListSnapshots(l) => l.snapshots,
        other => panic!("{other:?}"),
    };
    assert_eq!(listed.len(), 1);
    let snapshot = listed[0].clone();
    assert_eq!(snapshot.height, 3);
    (app, snapshots, snapshot)
}

/// A serving node: any app with `snapshots` set.
fn app_with(snapshots: &SnapshotStore) -> BlsApp {
    let mut app = empty_app();
    app.set_snapshots(snapshots.clone(), 0);
    app
}

/// What a serving node answers on its snapshot connection (served off the owner thread).
fn app_call(app: &BlsApp, req: request::Value) -> response::Value {
    let snapshots = app.snapshot_service();
    match req {
        request::Value::ListSnapshots(_) => response::Value::ListSnapshots(
            bls_app::abci::state_sync::list_snapshots(snapshots.as_ref()),
        ),
        request::Value::LoadSnapshotChunk(r) => response::Value::LoadSnapshotChunk(
            bls_app::abci::state_sync::load_snapshot_chunk(snapshots.as_ref(), &r),
        ),
        other => panic!("not a serving call: {other:?}"),
    }
}

fn load(snapshots: &SnapshotStore, s: &Snapshot, chunk: u32) -> Vec<u8> {
    snapshots
        .load_chunk(s.height, s.format, chunk)
        .expect("chunk on disk")
}

fn offer(app: &mut BlsApp, s: &Snapshot, app_hash: &[u8]) -> i32 {
    match app.handle(request::Value::OfferSnapshot(RequestOfferSnapshot {
        snapshot: Some(s.clone()),
        app_hash: app_hash.to_vec().into(),
    })) {
        response::Value::OfferSnapshot(r) => r.result,
        other => panic!("{other:?}"),
    }
}

fn apply(app: &mut BlsApp, index: u32, chunk: Vec<u8>, sender: &str) -> ResponseApplySnapshotChunk {
    match app.handle(request::Value::ApplySnapshotChunk(
        RequestApplySnapshotChunk {
            index,
            chunk: chunk.into(),
            sender: sender.into(),
        },
    )) {
        response::Value::ApplySnapshotChunk(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_node_restores_a_snapshot_and_goes_on_with_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut src, snapshots, snapshot) = source(dir.path());
    let app_hash = src.store().app_hash();

    let mut joiner = empty_app();
    assert_eq!(
        offer(&mut joiner, &snapshot, &app_hash),
        Offer::Accept as i32
    );
    // The first chunk arrives corrupted from one peer: refused, fetched again, that peer
    // rejected; nothing is written.
    let mut bad = load(&snapshots, &snapshot, 0);
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let r = apply(&mut joiner, 0, bad, "liar");
    assert_eq!(r.result, Apply::Retry as i32);
    assert_eq!(r.refetch_chunks, vec![0]);
    assert_eq!(r.reject_senders, vec!["liar".to_string()]);
    assert_eq!(joiner.store().last_height(), 0);
    // The good copy from another peer completes the restore.
    for i in 0..snapshot.chunks {
        let r = apply(&mut joiner, i, load(&snapshots, &snapshot, i), "honest");
        assert_eq!(r.result, Apply::Accept as i32, "chunk {i}");
    }
    let info = joiner.info(RequestInfo::default());
    assert_eq!(info.last_block_height, 3);
    assert_eq!(info.last_block_app_hash.to_vec(), app_hash);
    assert_eq!(balance(&joiner, &carol()), 3_000);
    assert_eq!(
        balance(&joiner, &alice().addr),
        balance(&src, &alice().addr)
    );

    // Both execute block 4 with a new send: same app hash, so the joiner follows the chain.
    let tx = send(&src, 500);
    let a = block(&mut src, 4, vec![tx.clone()]);
    let b = block(&mut joiner, 4, vec![tx]);
    assert_eq!(a, b);
    assert_eq!(balance(&joiner, &carol()), 3_500);
}

#[test]
fn a_forged_snapshot_or_a_wrong_app_hash_is_rejected_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (src, snapshots, snapshot) = source(dir.path());
    let app_hash = src.store().app_hash();

    // The chain's app hash is not this state's: rejected at the last chunk, nothing written.
    let mut joiner = empty_app();
    let mut wrong = app_hash.clone();
    wrong[0] ^= 1;
    assert_eq!(offer(&mut joiner, &snapshot, &wrong), Offer::Accept as i32);
    let mut results = Vec::new();
    for i in 0..snapshot.chunks {
        results.push(apply(&mut joiner, i, load(&snapshots, &snapshot, i), "p").result);
    }
    assert_eq!(results.last(), Some(&(Apply::RejectSnapshot as i32)));
    assert_eq!(joiner.store().last_height(), 0);
    // A chunk after the rejection has no restore to go to.
    assert_eq!(
        apply(&mut joiner, 0, load(&snapshots, &snapshot, 0), "p").result,
        Apply::Abort as i32
    );

    // A peer forges a state (a balance raised) and describes it consistently: every chunk
    // matches the forged metadata, but the state does not have the chain's app hash.
    let mut records = Vec::new();
    for i in 0..snapshot.chunks {
        records
            .extend(format::decode_chunk(&load(&snapshots, &snapshot, i), None).expect("decode"));
    }
    let carol_key = bls_bank::keeper::store_keys::balance(&carol(), "ubls");
    let forged_value = records
        .iter_mut()
        .find(|(k, _)| *k == carol_key)
        .expect("carol's balance is in the snapshot");
    forged_value.1 = b"999999999".to_vec();
    let mut chunk = Vec::new();
    for (k, v) in &records {
        format::push_record(&mut chunk, k, v);
    }
    let metadata = format::chunk_hash(&chunk).to_vec();
    let forged = Snapshot {
        height: snapshot.height,
        format: format::FORMAT,
        chunks: 1,
        hash: format::snapshot_hash(&metadata).to_vec().into(),
        metadata: metadata.into(),
    };
    assert_eq!(offer(&mut joiner, &forged, &app_hash), Offer::Accept as i32);
    assert_eq!(
        apply(&mut joiner, 0, chunk, "forger").result,
        Apply::RejectSnapshot as i32
    );
    assert_eq!(joiner.store().last_height(), 0);

    // The honest snapshot still restores afterwards.
    assert_eq!(
        offer(&mut joiner, &snapshot, &app_hash),
        Offer::Accept as i32
    );
    for i in 0..snapshot.chunks {
        apply(&mut joiner, i, load(&snapshots, &snapshot, i), "honest");
    }
    assert_eq!(joiner.store().app_hash(), app_hash);
}

#[test]
fn offers_a_node_cannot_honour_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut src, _snapshots, snapshot) = source(dir.path());
    let app_hash = src.store().app_hash();
    // A node with state never restores over it.
    assert_eq!(offer(&mut src, &snapshot, &app_hash), Offer::Abort as i32);

    let mut joiner = empty_app();
    let mut other_format = snapshot.clone();
    other_format.format = 2;
    assert_eq!(
        offer(&mut joiner, &other_format, &app_hash),
        Offer::RejectFormat as i32
    );
    let mut short_meta = snapshot.clone();
    short_meta.chunks += 1;
    assert_eq!(
        offer(&mut joiner, &short_meta, &app_hash),
        Offer::Reject as i32
    );
    assert_eq!(
        offer(&mut joiner, &snapshot, b"short"),
        Offer::Reject as i32
    );
    let mut zero = snapshot.clone();
    zero.height = 0;
    assert_eq!(offer(&mut joiner, &zero, &app_hash), Offer::Reject as i32);
    // A chunk with no snapshot accepted.
    assert_eq!(
        apply(&mut joiner, 0, vec![1], "p").result,
        Apply::Abort as i32
    );
    // Chunks not served: unknown height, chunk or format answer empty.
    let snaps = SnapshotStore::open(dir.path(), 2).expect("open");
    for (h, f, c) in [
        (snapshot.height + 1, 1, 0),
        (snapshot.height, 1, 999),
        (snapshot.height, 2, 0),
    ] {
        match app_call(
            &app_with(&snaps),
            request::Value::LoadSnapshotChunk(RequestLoadSnapshotChunk {
                height: h,
                format: f,
                chunk: c,
            }),
        ) {
            response::Value::LoadSnapshotChunk(r) => assert!(r.chunk.is_empty()),
            other => panic!("{other:?}"),
        }
    }
}

/// A state of several chunks: a chunk corrupted in the middle is refused, chunks out of order
/// reject the snapshot, and the full restore reproduces every key.
#[test]
fn a_multi_chunk_snapshot_restores_every_key() {
    let src = Store::open_in_memory().expect("store");
    let mut cs = ChangeSet::new();
    let value = vec![7u8; 64 * 1024];
    // ~10 MiB: three chunks.
    for i in 0u32..160 {
        cs.set(format!("k{i:05}").into_bytes(), value.clone());
    }
    src.commit(9, cs).expect("commit");
    let dir = tempfile::tempdir().expect("tempdir");
    let snaps = SnapshotStore::open(dir.path(), 1).expect("open");
    let taken = snaps.write(&src.read().expect("read")).expect("write");
    assert!(taken.chunks >= 3, "{taken:?}");
    assert!(taken.bytes >= 160 * 64 * 1024);
    let s = snaps.list().remove(0);
    for i in 0..s.chunks {
        assert!(load(&snaps, &s, i).len() <= CHUNK_BYTES + 64 * 1024 + 64);
    }

    let dst = Store::open_in_memory().expect("store");
    let mut r = Restore::offer(&dst, &s, &src.app_hash()).expect("offer");
    assert_eq!(
        r.apply(&dst, 0, &load(&snaps, &s, 0)).expect("apply"),
        ChunkVerdict::Accepted
    );
    let mut bad = load(&snaps, &s, 1);
    bad[100] ^= 0xff;
    assert_eq!(
        r.apply(&dst, 1, &bad).expect("apply"),
        ChunkVerdict::Refetch
    );
    for i in 1..s.chunks - 1 {
        assert_eq!(
            r.apply(&dst, i, &load(&snaps, &s, i)).expect("apply"),
            ChunkVerdict::Accepted
        );
    }
    assert_eq!(
        r.apply(&dst, s.chunks - 1, &load(&snaps, &s, s.chunks - 1))
            .expect("apply"),
        ChunkVerdict::Restored { height: 9 }
    );
    assert_eq!(dst.app_hash(), src.app_hash());
    assert_eq!(dst.last_height(), 9);
    for i in [0u32, 80, 159] {
        let key = format!("k{i:05}").into_bytes();
        assert_eq!(
            dst.query(&key, false).expect("q").value,
            Some(value.clone())
        );
    }

    // Out of order: the sync went astray, the snapshot is dropped.
    let dst2 = Store::open_in_memory().expect("store");
    let mut r = Restore::offer(&dst2, &s, &src.app_hash()).expect("offer");
    assert!(matches!(
        r.apply(&dst2, 1, &load(&snaps, &s, 1)).expect("apply"),
        ChunkVerdict::RejectSnapshot(_)
    ));
    assert_eq!(dst2.last_height(), 0);
    assert_eq!(
        Restore::offer(&dst, &s, &src.app_hash()).err(),
        Some(RestoreError::NotEmpty(9))
    );
}

/// Snapshots beyond `keep_recent` are removed, and a snapshot interrupted midway (its
/// temporary directory) is never listed and is removed when the store is opened again.
#[test]
fn old_and_unfinished_snapshots_are_removed() {
    let store = Store::open_in_memory().expect("store");
    let dir = tempfile::tempdir().expect("tempdir");
    let snaps = SnapshotStore::open(dir.path(), 2).expect("open");
    for h in 1..=4u64 {
        let mut cs = ChangeSet::new();
        cs.set(b"h".to_vec(), h.to_be_bytes().to_vec());
        store.commit(h, cs).expect("commit");
        snaps.write(&store.read().expect("read")).expect("write");
    }
    let heights: Vec<u64> = snaps.list().iter().map(|s| s.height).collect();
    assert_eq!(heights, vec![4, 3]);
    // What a crash during a snapshot leaves behind.
    let tmp = dir.path().join(".tmp-5");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    std::fs::write(tmp.join("chunk-0"), b"half").expect("write");
    assert_eq!(snaps.list().len(), 2);
    let reopened = SnapshotStore::open(dir.path(), 2).expect("reopen");
    assert!(!tmp.exists());
    assert_eq!(reopened.list().len(), 2);
}
