//! Overlay semantics: range bounds and order, failed txs, and a model check of
//! tx overlay over block overlay over committed store (with commits in between).

use std::collections::BTreeMap;

use bls_app::store::{ChangeSet, Overlay, StagedView, Store};
use cosmwasm_std::{Order, Storage};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn collect(
    s: &dyn Storage,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
    order: Order,
) -> Vec<Vec<u8>> {
    s.range(start, end, order).map(|(k, _)| k).collect()
}

fn model_range(
    m: &Model,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
    order: Order,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<_> = m
        .iter()
        .filter(|(k, _)| {
            start.is_none_or(|s| k.as_slice() >= s) && end.is_none_or(|e| k.as_slice() < e)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if order == Order::Descending {
        out.reverse();
    }
    out
}

/// Committed {a, c, e}, block writes {b, delete c}, tx writes {d, delete e, overwrite a}:
/// visible keys through the tx overlay are a, b, d.
fn layered_store() -> (tempfile::TempDir, Store, ChangeSet) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("db")).expect("open");
    let mut base = ChangeSet::new();
    for k in [b"a", b"c", b"e"] {
        base.set(k.to_vec(), b"committed".to_vec());
    }
    store.commit(1, base).expect("commit");
    let mut block = ChangeSet::new();
    block.set(b"b".to_vec(), b"block".to_vec());
    block.remove(b"c".to_vec());
    (dir, store, block)
}

#[test]
fn range_bounds_and_order_across_layers() {
    let (_dir, store, block) = layered_store();
    let view = StagedView::new(&store, &block).expect("view");
    let mut tx = Overlay::new(&view);
    tx.set(b"d", b"tx");
    tx.remove(b"e");
    tx.set(b"a", b"tx");

    let keys = |v: &[&[u8]]| v.iter().map(|k| k.to_vec()).collect::<Vec<_>>();
    let asc = Order::Ascending;
    let desc = Order::Descending;
    // No bounds, both orders.
    assert_eq!(collect(&tx, None, None, asc), keys(&[b"a", b"b", b"d"]));
    assert_eq!(collect(&tx, None, None, desc), keys(&[b"d", b"b", b"a"]));
    // Start inclusive, end exclusive.
    assert_eq!(collect(&tx, Some(b"b"), Some(b"d"), asc), keys(&[b"b"]));
    assert_eq!(collect(&tx, Some(b"b"), Some(b"d"), desc), keys(&[b"b"]));
    assert_eq!(
        collect(&tx, Some(b"b"), Some(b"e"), desc),
        keys(&[b"d", b"b"])
    );
    // Bounds between keys.
    assert_eq!(collect(&tx, Some(b"aa"), Some(b"cc"), asc), keys(&[b"b"]));
    // One-sided bounds.
    assert_eq!(collect(&tx, Some(b"b"), None, asc), keys(&[b"b", b"d"]));
    assert_eq!(collect(&tx, None, Some(b"b"), desc), keys(&[b"a"]));
    // start >= end is empty, in either order, at every layer.
    for s in [&tx as &dyn Storage, &view] {
        assert!(collect(s, Some(b"d"), Some(b"b"), asc).is_empty());
        assert!(collect(s, Some(b"d"), Some(b"b"), desc).is_empty());
        assert!(collect(s, Some(b"b"), Some(b"b"), asc).is_empty());
        assert!(collect(s, Some(b"b"), Some(b"b"), desc).is_empty());
    }
    let snap = store.snapshot().expect("snapshot");
    assert!(collect(&snap, Some(b"e"), Some(b"a"), asc).is_empty());
    assert!(collect(&snap, Some(b"a"), Some(b"a"), desc).is_empty());
    assert_eq!(
        collect(&snap, Some(b"a"), Some(b"e"), desc),
        keys(&[b"c", b"a"])
    );
    // Values come from the topmost layer that touched the key.
    let records: Vec<_> = tx.range(None, None, asc).collect();
    assert_eq!(
        records,
        vec![
            (b"a".to_vec(), b"tx".to_vec()),
            (b"b".to_vec(), b"block".to_vec()),
            (b"d".to_vec(), b"tx".to_vec()),
        ]
    );
    assert!(view.take_error().is_none());
}

#[test]
fn failed_tx_leaves_no_writes() {
    let (_dir, store, block) = layered_store();
    let before = block.clone();
    {
        let view = StagedView::new(&store, &block).expect("view");
        let mut tx = Overlay::new(&view);
        tx.set(b"z", b"1");
        tx.remove(b"a");
        assert_eq!(tx.get(b"z"), Some(b"1".to_vec()));
        assert_eq!(tx.get(b"a"), None);
        // Failed: the overlay is dropped without into_changes().
    }
    assert_eq!(block, before);
    let view = StagedView::new(&store, &block).expect("view");
    assert_eq!(view.get(b"z"), None);
    assert_eq!(view.get(b"a"), Some(b"committed".to_vec()));
    drop(view);
    let hash_with_block_only = store.preview_app_hash(&block).expect("preview");
    store.commit(2, block).expect("commit");
    assert_eq!(store.app_hash(), hash_with_block_only);
    assert_eq!(store.query(b"z", false).expect("query").value, None);
}

#[test]
fn successful_tx_reaches_block_and_nested_overlay_applies() {
    let (_dir, store, mut block) = layered_store();
    let changes = {
        let view = StagedView::new(&store, &block).expect("view");
        let mut tx = Overlay::new(&view);
        tx.set(b"fee", b"paid");
        let msg_changes = {
            let mut msg = Overlay::new(&tx);
            msg.set(b"msg", b"ok");
            assert_eq!(msg.get(b"fee"), Some(b"paid".to_vec()));
            msg.into_changes()
        };
        {
            // A failed message: dropped, the fee write stays.
            let mut msg = Overlay::new(&tx);
            msg.set(b"bad", b"x");
        }
        tx.apply(msg_changes);
        tx.into_changes()
    };
    block.extend(changes);
    let view = StagedView::new(&store, &block).expect("view");
    assert_eq!(view.get(b"fee"), Some(b"paid".to_vec()));
    assert_eq!(view.get(b"msg"), Some(b"ok".to_vec()));
    assert_eq!(view.get(b"bad"), None);
}

#[test]
fn empty_value_is_a_delete() {
    let (_dir, store, block) = layered_store();
    let view = StagedView::new(&store, &block).expect("view");
    let mut tx = Overlay::new(&view);
    tx.set(b"a", b"");
    assert_eq!(tx.get(b"a"), None);
    assert_eq!(tx.changes().get(b"a"), Some(None));
}

#[test]
fn writes_to_read_only_views_are_reported() {
    let (_dir, store, block) = layered_store();
    let mut snap = store.snapshot().expect("snapshot");
    snap.set(b"a", b"x");
    assert!(snap.take_error().is_some());
    assert!(snap.take_error().is_none(), "take_error clears");
    assert_eq!(snap.get(b"a"), Some(b"committed".to_vec()));
    let mut view = StagedView::new(&store, &block).expect("view");
    view.remove(b"b");
    assert!(view.take_error().is_some());
    assert_eq!(view.get(b"b"), Some(b"block".to_vec()));
    // A caller bug is not a disk fault: the store still commits.
    assert!(store.health().is_ok());
}

#[derive(Clone, Debug)]
enum Op {
    Set(Vec<u8>, Vec<u8>),
    Remove(Vec<u8>),
    Get(Vec<u8>),
    Range(Option<Vec<u8>>, Option<Vec<u8>>, bool),
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0xff]), 0..=3)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), prop::collection::vec(any::<u8>(), 0..=3)).prop_map(|(k, v)| Op::Set(k, v)),
        2 => key().prop_map(Op::Remove),
        2 => key().prop_map(Op::Get),
        3 => (prop::option::of(key()), prop::option::of(key()), any::<bool>())
            .prop_map(|(s, e, d)| Op::Range(s, e, d)),
    ]
}

/// A message: its ops and whether it succeeds.
type Msg = (Vec<Op>, bool);
/// A tx: its messages and whether it succeeds as a whole.
type Tx = (Vec<Msg>, bool);

fn blocks() -> impl Strategy<Value = Vec<Vec<Tx>>> {
    let msg = (prop::collection::vec(op(), 0..8), any::<bool>());
    let tx = (prop::collection::vec(msg, 0..3), prop::bool::weighted(0.7));
    prop::collection::vec(prop::collection::vec(tx, 0..4), 1..5)
}

fn apply_op(s: &mut dyn Storage, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Set(k, v) => {
            s.set(k, v);
            if v.is_empty() {
                m.remove(k);
            } else {
                m.insert(k.clone(), v.clone());
            }
        }
        Op::Remove(k) => {
            s.remove(k);
            m.remove(k);
        }
        Op::Get(k) => prop_assert_eq!(s.get(k), m.get(k).cloned()),
        Op::Range(start, end, desc) => {
            let order = if *desc {
                Order::Descending
            } else {
                Order::Ascending
            };
            let got: Vec<_> = s.range(start.as_deref(), end.as_deref(), order).collect();
            prop_assert_eq!(got, model_range(m, start.as_deref(), end.as_deref(), order));
        }
    }
    Ok(())
}

fn assert_matches(s: &dyn Storage, m: &Model) -> Result<(), TestCaseError> {
    for order in [Order::Ascending, Order::Descending] {
        let got: Vec<_> = s.range(None, None, order).collect();
        prop_assert_eq!(got, model_range(m, None, None, order));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn overlays_match_btreemap_model(blocks in blocks()) {
        let store = Store::open_in_memory().expect("open");
        let mut committed = Model::new();
        for (i, txs) in blocks.iter().enumerate() {
            let mut block = ChangeSet::new();
            let mut block_model = committed.clone();
            for (msgs, tx_ok) in txs {
                let mut tx_model = block_model.clone();
                let tx_changes = {
                    let view = StagedView::new(&store, &block).expect("view");
                    assert_matches(&view, &block_model)?;
                    let mut tx = Overlay::new(&view);
                    for (ops, msg_ok) in msgs {
                        let mut msg_model = tx_model.clone();
                        let changes = {
                            let mut msg = Overlay::new(&tx);
                            for op in ops {
                                apply_op(&mut msg, &mut msg_model, op)?;
                            }
                            msg.into_changes()
                        };
                        if *msg_ok {
                            tx.apply(changes);
                            tx_model = msg_model;
                        }
                        assert_matches(&tx, &tx_model)?;
                    }
                    prop_assert!(view.take_error().is_none());
                    tx.into_changes()
                };
                if *tx_ok {
                    block.extend(tx_changes);
                    block_model = tx_model;
                }
            }
            let height = u64::try_from(i).expect("small") + 1;
            store.commit(height, block).expect("commit");
            committed = block_model;
            let snap = store.snapshot().expect("snapshot");
            assert_matches(&snap, &committed)?;
            for (k, v) in &committed {
                prop_assert_eq!(snap.get(k), Some(v.clone()));
            }
            prop_assert!(snap.take_error().is_none());
        }
    }
}
