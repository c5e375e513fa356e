//! Reads at past heights: `Store::query_at` (values and ics23 proofs against each height's
//! app hash) and `Store::snapshot_at` (`get` and `range` equal a model of each height's state),
//! refusals for future and unstored heights, and history starting at reopen for a database
//! that predates the history table.

use std::collections::BTreeMap;

use bls_app::store::{verify_proof, ChangeSet, Store, StoreError};
use cosmwasm_std::{Order, Storage};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;
/// One block's writes: key index → value (`None` or empty = delete).
type Block = Vec<(usize, Option<Vec<u8>>)>;

/// Keys that are prefixes of each other and straddle the (key, version) row order.
const KEYS: &[&[u8]] = &[b"a", b"a\0", b"a\xff", b"ab", b"b", b"\0", b"\xff\xff"];

/// Commits `blocks` (each: key index → Some(value) or None = delete) at heights 1.. and
/// returns the store, each height's app hash and each height's model state.
fn build(blocks: &[Block]) -> (Store, Vec<Vec<u8>>, Vec<Model>) {
    let store = Store::open_in_memory().expect("open");
    let mut model = Model::new();
    let (mut hashes, mut states) = (Vec::new(), Vec::new());
    for (i, ops) in blocks.iter().enumerate() {
        let mut cs = ChangeSet::new();
        for (k, v) in ops {
            let key = KEYS[*k % KEYS.len()].to_vec();
            match v {
                Some(v) if !v.is_empty() => {
                    cs.set(key.clone(), v.clone());
                    model.insert(key, v.clone());
                }
                _ => {
                    cs.remove(key.clone());
                    model.remove(&key);
                }
            }
        }
        hashes.push(store.commit(i as u64 + 1, cs).expect("commit"));
        states.push(model.clone());
    }
    (store, hashes, states)
}

fn range_of(s: &dyn Storage, start: Option<&[u8]>, end: Option<&[u8]>, o: Order) -> Model {
    let mut prev: Option<Vec<u8>> = None;
    let mut out = Model::new();
    for (k, v) in s.range(start, end, o) {
        if let Some(p) = &prev {
            match o {
                Order::Ascending => assert!(p < &k, "ascending order broken"),
                Order::Descending => assert!(p > &k, "descending order broken"),
            }
        }
        prev = Some(k.clone());
        out.insert(k, v);
    }
    out
}

fn model_range(m: &Model, start: Option<&[u8]>, end: Option<&[u8]>) -> Model {
    m.iter()
        .filter(|(k, _)| start.is_none_or(|s| k.as_slice() >= s))
        .filter(|(k, _)| end.is_none_or(|e| k.as_slice() < e))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn three_heights() -> (Store, Vec<Vec<u8>>, Vec<Model>) {
    build(&[
        vec![(0, Some(b"1".to_vec())), (4, Some(b"1".to_vec()))],
        vec![
            (0, Some(b"2".to_vec())),
            (3, Some(b"2".to_vec())),
            (4, None),
        ],
        vec![(0, Some(b"3".to_vec())), (1, Some(b"3".to_vec()))],
    ])
}

#[test]
fn each_height_answers_its_own_values_with_proofs_against_its_app_hash() {
    let (store, hashes, states) = three_heights();
    for h in 1..=3u64 {
        let hash = &hashes[h as usize - 1];
        assert_eq!(&store.app_hash_at(h).expect("hash"), hash);
        for key in KEYS {
            let want = states[h as usize - 1].get(*key).cloned();
            let plain = store.query_at(key, false, h).expect("query");
            assert_eq!(
                (plain.height, &plain.value),
                (h, &want),
                "key {key:?} at {h}"
            );
            let proven = store.query_at(key, true, h).expect("proven query");
            assert_eq!(proven.value, want);
            let proof = proven.proof.expect("proof");
            assert!(
                verify_proof(hash, key, want.as_deref(), &proof),
                "proof of {key:?} at {h}"
            );
        }
    }
    // A proof of an old value does not verify against a later app hash.
    let old = store.query_at(b"a", true, 1).expect("query");
    assert!(!verify_proof(
        &hashes[2],
        b"a",
        Some(b"1"),
        &old.proof.expect("proof")
    ));
    // Height 0 is the latest.
    assert_eq!(store.query_at(b"a", false, 0).expect("latest").height, 3);
}

#[test]
fn snapshot_at_reads_each_heights_state() {
    let (store, _, states) = three_heights();
    for h in 1..=3u64 {
        let view = store.snapshot_at(h).expect("view");
        assert_eq!(view.height(), h);
        let model = &states[h as usize - 1];
        for key in KEYS {
            assert_eq!(view.get(key), model.get(*key).cloned(), "{key:?} at {h}");
        }
        for o in [Order::Ascending, Order::Descending] {
            assert_eq!(&range_of(&view, None, None, o), model);
            assert_eq!(
                range_of(&view, Some(b"a\0"), Some(b"b"), o),
                model_range(model, Some(b"a\0"), Some(b"b"))
            );
        }
        assert!(view.take_error().is_none());
    }
    // The deleted key is gone at 2 and 3, present at 1.
    assert_eq!(store.snapshot_at(1).unwrap().get(b"b"), Some(b"1".to_vec()));
    assert_eq!(store.snapshot_at(2).unwrap().get(b"b"), None);
}

#[test]
fn future_zero_and_unstored_heights_are_refused() {
    let (store, _, _) = three_heights();
    assert!(matches!(
        store.snapshot_at(4),
        Err(StoreError::FutureHeight { height: 4, last: 3 })
    ));
    assert!(matches!(
        store.query_at(b"a", true, 4),
        Err(StoreError::FutureHeight { height: 4, last: 3 })
    ));
    assert!(matches!(
        store.query_at(b"a", false, u64::MAX),
        Err(StoreError::FutureHeight { .. })
    ));
    assert!(matches!(
        store.snapshot_at(0),
        Err(StoreError::HeightNotStored { height: 0, .. })
    ));

    // A chain whose first block is 10: heights below it were never stored.
    let late = Store::open_in_memory().expect("open");
    let mut cs = ChangeSet::new();
    cs.set(b"k".to_vec(), b"v".to_vec());
    late.commit(10, cs).expect("commit");
    late.commit(11, ChangeSet::new()).expect("commit");
    assert_eq!(late.first_height().expect("first"), 10);
    assert_eq!(late.history_from(), Some(10));
    let err = late.query_at(b"k", true, 9).expect_err("not stored");
    assert!(matches!(
        err,
        StoreError::HeightNotStored {
            height: 9,
            first: 10,
            last: 11
        }
    ));
    assert!(err.to_string().contains("10..=11"), "{err}");
    assert!(matches!(
        late.snapshot_at(3),
        Err(StoreError::HeightNotStored { first: 10, .. })
    ));
    assert_eq!(
        late.snapshot_at(10).expect("view").get(b"k"),
        Some(b"v".to_vec())
    );
}

#[test]
fn a_database_from_before_the_history_table_starts_history_at_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.redb");
    let mut hashes = Vec::new();
    {
        let store = Store::open(&path).expect("open");
        for h in 1..=2u64 {
            let mut cs = ChangeSet::new();
            cs.set(b"k".to_vec(), h.to_string().into_bytes());
            cs.set(format!("only{h}").into_bytes(), b"x".to_vec());
            hashes.push(store.commit(h, cs).expect("commit"));
        }
    }
    // Make it look like a database written before `kv_history` existed.
    {
        let db = redb::Database::open(&path).expect("redb");
        let txn = db.begin_write().expect("write");
        let history: redb::TableDefinition<(&[u8], u64), &[u8]> =
            redb::TableDefinition::new("kv_history");
        txn.delete_table(history).expect("drop history");
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        txn.open_table(meta)
            .expect("meta")
            .remove("history_from")
            .expect("remove");
        txn.commit().expect("commit");
    }
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.history_from(), Some(2));
    let view = store.snapshot_at(2).expect("view at 2");
    let all = range_of(&view, None, None, Order::Ascending);
    let want: Model = [
        (b"k".to_vec(), b"2".to_vec()),
        (b"only1".to_vec(), b"x".to_vec()),
        (b"only2".to_vec(), b"x".to_vec()),
    ]
    .into_iter()
    .collect();
    assert_eq!(all, want);
    drop(view);
    assert!(matches!(
        store.snapshot_at(1),
        Err(StoreError::HeightNotStored { first: 2, .. })
    ));
    // The tree still answers height 1, with a proof.
    let q = store.query_at(b"k", true, 1).expect("tree read");
    assert_eq!(q.value.as_deref(), Some(b"1".as_slice()));
    assert!(verify_proof(
        &hashes[0],
        b"k",
        Some(b"1"),
        &q.proof.unwrap()
    ));
    // New commits extend the history.
    let mut cs = ChangeSet::new();
    cs.remove(b"only1".to_vec());
    store.commit(3, cs).expect("commit 3");
    assert_eq!(store.snapshot_at(3).unwrap().get(b"only1"), None);
    assert_eq!(
        store.snapshot_at(2).unwrap().get(b"only1"),
        Some(b"x".to_vec())
    );
    assert_eq!(store.history_from(), Some(2));
    drop(store);
    assert_eq!(Store::open(&path).expect("again").history_from(), Some(2));
}

fn op() -> impl Strategy<Value = (usize, Option<Vec<u8>>)> {
    (
        0..KEYS.len(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..3)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn views_at_every_height_match_the_model(
        blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..6), 1..7),
        lo in 0..KEYS.len(),
        hi in 0..KEYS.len(),
    ) {
        let (store, hashes, states) = build(&blocks);
        let (start, end) = (KEYS[lo], KEYS[hi]);
        for (i, model) in states.iter().enumerate() {
            let h = i as u64 + 1;
            let view = store.snapshot_at(h).expect("view");
            for o in [Order::Ascending, Order::Descending] {
                prop_assert_eq!(&range_of(&view, None, None, o), model);
                prop_assert_eq!(
                    range_of(&view, Some(start), Some(end), o),
                    model_range(model, Some(start), Some(end))
                );
                prop_assert_eq!(
                    range_of(&view, Some(start), None, o),
                    model_range(model, Some(start), None)
                );
                prop_assert_eq!(
                    range_of(&view, None, Some(end), o),
                    model_range(model, None, Some(end))
                );
            }
            for key in KEYS {
                prop_assert_eq!(view.get(key), model.get(*key).cloned());
                let q = store.query_at(key, true, h).expect("query");
                prop_assert_eq!(&q.value, &model.get(*key).cloned());
                // An empty tree answers absence without a proof (see store_proof.rs).
                if let Some(proof) = q.proof {
                    prop_assert!(verify_proof(&hashes[i], key, q.value.as_deref(), &proof));
                } else {
                    prop_assert!(model.is_empty());
                }
            }
        }
    }
}

#[test]
fn a_range_over_too_many_keys_absent_at_the_height_stops_with_a_clear_error() {
    use bls_app::store::MAX_ABSENT_KEYS_SCANNED;
    let store = Store::open_in_memory().expect("open");
    let mut cs = ChangeSet::new();
    cs.set(b"a".to_vec(), b"1".to_vec());
    store.commit(1, cs).expect("commit");
    // Height 2 creates many keys after "a": none of them exists at height 1.
    let mut cs = ChangeSet::new();
    for i in 0..=MAX_ABSENT_KEYS_SCANNED {
        cs.set(format!("k{i:08}").into_bytes(), b"x".to_vec());
    }
    store.commit(2, cs).expect("commit");

    let at1 = store.snapshot_at(1).expect("height 1");
    let seen: Vec<_> = at1.range(None, None, Order::Ascending).collect();
    assert_eq!(seen, vec![(b"a".to_vec(), b"1".to_vec())]);
    match at1.take_error() {
        Some(StoreError::HistoryScanLimit { height: 1, limit }) => {
            assert_eq!(limit, MAX_ABSENT_KEYS_SCANNED)
        }
        other => panic!("expected the scan limit, got {other:?}"),
    }
    // A narrow range at the same height is fine, and so is the full range at height 2.
    let narrow: Vec<_> = at1
        .range(Some(b"a"), Some(b"b"), Order::Ascending)
        .collect();
    assert_eq!(narrow.len(), 1);
    assert!(at1.take_error().is_none());
    let at2 = store.snapshot_at(2).expect("height 2");
    assert_eq!(
        at2.range(None, None, Order::Descending).count() as u64,
        MAX_ABSENT_KEYS_SCANNED + 2
    );
    assert!(at2.take_error().is_none());
}
