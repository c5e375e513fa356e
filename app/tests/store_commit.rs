//! Commit: deterministic app hash, replay, reopen, atomicity and error paths.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

use bls_app::store::{ChangeSet, Overlay, StagedView, Store, StoreError};
use cosmwasm_std::{Order, Storage};
use proptest::prelude::*;

fn changes(pairs: &[(&[u8], Option<&[u8]>)]) -> ChangeSet {
    let mut cs = ChangeSet::new();
    for (k, v) in pairs {
        match v {
            Some(v) => cs.set(k.to_vec(), v.to_vec()),
            None => cs.remove(k.to_vec()),
        }
    }
    cs
}

fn all_records(store: &Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    let snap = store.snapshot().expect("snapshot");
    snap.range(None, None, Order::Ascending).collect()
}

#[test]
fn empty_store_reports_height_zero_and_empty_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("db")).expect("open");
    assert_eq!(store.last_height(), 0);
    assert!(store.app_hash().is_empty());
    let q = store.query(b"k", true).expect("query");
    assert_eq!((q.height, q.value, q.proof), (0, None, None));
}

/// Writes through tx overlays in two different orders (and tx splits) give the same hash.
#[test]
fn app_hash_independent_of_write_order_within_block() {
    let writes: Vec<(&[u8], &[u8])> = vec![(b"a", b"1"), (b"b", b"2"), (b"c", b"3"), (b"a", b"4")];
    let run = |order: &[usize], split: usize| -> Vec<u8> {
        let store = Store::open_in_memory().expect("open");
        let mut block = ChangeSet::new();
        for chunk in order.chunks(split) {
            let ch = {
                let view = StagedView::new(&store, &block).expect("view");
                let mut tx = Overlay::new(&view);
                for &i in chunk {
                    let (k, v) = writes[i];
                    tx.set(k, v);
                }
                tx.into_changes()
            };
            block.extend(ch);
        }
        store.commit(1, block).expect("commit")
    };
    // The last write to `a` must stay last for the states to be equal: "4" after "1".
    let h1 = run(&[0, 1, 2, 3], 4);
    let h2 = run(&[2, 0, 1, 3], 1);
    let h3 = run(&[1, 0, 2, 3], 2);
    assert_eq!(h1, h2);
    assert_eq!(h1, h3);
    assert_eq!(h1.len(), 32);
    // A different final state gives a different hash.
    let h4 = run(&[3, 1, 2, 0], 4);
    assert_ne!(h1, h4);
}

#[test]
fn reopen_returns_same_height_hash_and_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let (hash, data) = {
        let store = Store::open(&path).expect("open");
        store
            .commit(5, changes(&[(b"x", Some(b"1")), (b"y", Some(b"2"))]))
            .expect("commit 5");
        let hash = store
            .commit(6, changes(&[(b"x", None), (b"z", Some(b"3"))]))
            .expect("commit 6");
        assert_eq!(store.app_hash(), hash);
        (hash, all_records(&store))
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.last_height(), 6);
    assert_eq!(store.app_hash(), hash);
    assert_eq!(all_records(&store), data);
    assert_eq!(
        data,
        vec![
            (b"y".to_vec(), b"2".to_vec()),
            (b"z".to_vec(), b"3".to_vec())
        ]
    );
    // The tree survived too: the next commit builds on version 6's root.
    store
        .commit(7, changes(&[(b"w", Some(b"4"))]))
        .expect("commit 7 after reopen");
    let q = store.query(b"y", true).expect("query");
    assert_eq!(q.value, Some(b"2".to_vec()));
}

#[test]
fn empty_block_keeps_hash_and_advances_height() {
    let store = Store::open_in_memory().expect("open");
    let h1 = store
        .commit(1, changes(&[(b"k", Some(b"v"))]))
        .expect("commit");
    let h2 = store.commit(2, ChangeSet::new()).expect("empty commit");
    assert_eq!(h1, h2);
    assert_eq!(store.last_height(), 2);
    // And the tree still works afterwards.
    let h3 = store.commit(3, changes(&[(b"k", None)])).expect("delete");
    assert_ne!(h3, h2);
}

#[test]
fn preview_and_prepare_match_commit() {
    let store = Store::open_in_memory().expect("open");
    store
        .commit(1, changes(&[(b"a", Some(b"1"))]))
        .expect("commit");
    let cs = changes(&[(b"b", Some(b"2")), (b"a", None)]);
    let preview = store.preview_app_hash(&cs).expect("preview");
    // Preview writes nothing.
    assert_eq!(store.last_height(), 1);
    assert_eq!(store.snapshot().expect("snap").get(b"b"), None);
    let prepared = store.prepare(2, cs).expect("prepare");
    assert_eq!(prepared.app_hash(), preview);
    let committed = store.commit_prepared(prepared).expect("commit");
    assert_eq!(committed, preview);
}

#[test]
fn wrong_height_is_rejected_and_state_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let store = Store::open(&path).expect("open");
    // Height 0 can never be committed.
    assert!(matches!(
        store.commit(0, changes(&[(b"a", Some(b"1"))])),
        Err(StoreError::HeightMismatch { last: 0, got: 0 })
    ));
    let hash = store
        .commit(3, changes(&[(b"a", Some(b"1"))]))
        .expect("commit");
    for bad in [3, 5, 2] {
        let err = store.commit(bad, changes(&[(b"a", Some(b"2"))]));
        assert!(
            matches!(err, Err(StoreError::HeightMismatch { last: 3, .. })),
            "{err:?}"
        );
    }
    assert_eq!(store.last_height(), 3);
    assert_eq!(store.app_hash(), hash);
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.last_height(), 3);
    assert_eq!(store.app_hash(), hash);
    assert_eq!(all_records(&store), vec![(b"a".to_vec(), b"1".to_vec())]);
}

#[test]
fn stale_prepared_commit_is_rejected() {
    let store = Store::open_in_memory().expect("open");
    store
        .commit(1, changes(&[(b"a", Some(b"1"))]))
        .expect("commit");
    let stale = store
        .prepare(2, changes(&[(b"b", Some(b"2"))]))
        .expect("prepare");
    let hash = store
        .commit(2, changes(&[(b"c", Some(b"3"))]))
        .expect("commit");
    assert!(matches!(
        store.commit_prepared(stale),
        Err(StoreError::StalePrepared { height: 2 })
    ));
    assert_eq!(store.app_hash(), hash);
    assert_eq!(store.snapshot().expect("snap").get(b"b"), None);
}

/// A file backend whose writes can be made to fail, to interrupt a commit midway.
#[derive(Debug)]
struct FlakyBackend {
    inner: redb::backends::FileBackend,
    fail_writes: Arc<AtomicBool>,
    fail_reads: Arc<AtomicBool>,
}

impl redb::StorageBackend for FlakyBackend {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        if self.fail_reads.load(AtomicOrdering::SeqCst) {
            return Err(std::io::Error::other("injected read fault"));
        }
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.check()?;
        self.inner.write(offset, data)
    }
}

impl FlakyBackend {
    fn check(&self) -> Result<(), std::io::Error> {
        if self.fail_writes.load(AtomicOrdering::SeqCst) {
            Err(std::io::Error::other("injected write fault"))
        } else {
            Ok(())
        }
    }
}

fn file_backend(path: &Path) -> redb::backends::FileBackend {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .expect("open file");
    redb::backends::FileBackend::new(file).expect("backend")
}

fn open_flaky(path: &Path, fail_writes: Arc<AtomicBool>) -> Store {
    Store::open_with_backend(FlakyBackend {
        inner: file_backend(path),
        fail_writes,
        fail_reads: Arc::default(),
    })
    .expect("open store")
}

/// A commit whose disk writes fail leaves the previous state on reopen.
#[test]
fn failed_commit_write_leaves_previous_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    let fail = Arc::new(AtomicBool::new(false));
    let (hash, data) = {
        let store = open_flaky(&path, fail.clone());
        let hash = store
            .commit(1, changes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]))
            .expect("commit 1");
        let data = all_records(&store);
        // Large enough to need new pages: the commit must write.
        let mut big = ChangeSet::new();
        for i in 0u32..2000 {
            big.set(i.to_be_bytes().to_vec(), vec![7; 100]);
        }
        fail.store(true, AtomicOrdering::SeqCst);
        let err = store.commit(2, big);
        let err = err.expect_err("commit must fail when the disk fails");
        assert!(
            format!("{err:?}").contains("injected write fault"),
            "{err:?}"
        );
        // The in-memory view did not advance either.
        assert_eq!(store.last_height(), 1);
        assert_eq!(store.app_hash(), hash);
        (hash, data)
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.last_height(), 1);
    assert_eq!(store.app_hash(), hash);
    assert_eq!(all_records(&store), data);
}

/// A read that fails inside a `Storage` view is reported by the view and poisons the store:
/// the block computed from it can never be committed.
#[test]
fn read_error_in_view_is_reported_and_blocks_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("db");
    {
        let store = Store::open(&path).expect("open");
        let mut big = ChangeSet::new();
        for i in 0u32..5000 {
            big.set(i.to_be_bytes().to_vec(), vec![9; 64]);
        }
        store.commit(1, big).expect("commit");
    }
    let fail_reads = Arc::new(AtomicBool::new(false));
    // No read cache, so reads after open reach the (failing) disk.
    let mut builder = redb::Builder::new();
    builder.set_cache_size(0);
    let store = Store::open_with_builder(
        &builder,
        FlakyBackend {
            inner: file_backend(&path),
            fail_writes: Arc::default(),
            fail_reads: fail_reads.clone(),
        },
    )
    .expect("open store");
    let block = ChangeSet::new();
    let view = StagedView::new(&store, &block).expect("view");
    // The leaf pages were never read since reopening, so these reads reach the disk.
    fail_reads.store(true, AtomicOrdering::SeqCst);
    let got = view.get(&4321u32.to_be_bytes());
    let ranged = view.range(None, None, Order::Descending).count();
    fail_reads.store(false, AtomicOrdering::SeqCst);
    assert_eq!(got, None, "a failed read yields nothing");
    assert!(ranged < 5000, "a failed range row ends the iteration");
    let err = view.take_error().expect("view reports the read error");
    assert!(
        format!("{err:?}").contains("injected read fault"),
        "{err:?}"
    );
    drop(view);
    assert!(matches!(store.health(), Err(StoreError::Faulted(_))));
    assert!(matches!(
        store.commit(2, changes(&[(b"k", Some(b"v"))])),
        Err(StoreError::Faulted(_))
    ));
    assert_eq!(store.last_height(), 1);
}

type Block = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

fn block_strategy() -> impl Strategy<Value = Vec<Block>> {
    let key = prop::collection::vec(0u8..6, 1..=2);
    let value = prop::option::of(prop::collection::vec(any::<u8>(), 1..=4));
    prop::collection::vec(prop::collection::btree_map(key, value, 0..10), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Replaying the same blocks on a fresh store reproduces every height's hash, and the
    /// final hash depends only on the final state (not on the history that led to it).
    #[test]
    fn replay_reproduces_every_hash(blocks in block_strategy()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Store::open(&dir.path().join("a")).expect("open a");
        let second = Store::open_in_memory().expect("open b");
        let mut state: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for (i, block) in blocks.iter().enumerate() {
            let height = u64::try_from(i).expect("small") + 1;
            let h1 = first.commit(height, ChangeSet::from(block.clone())).expect("commit a");
            let h2 = second.commit(height, ChangeSet::from(block.clone())).expect("commit b");
            prop_assert_eq!(&h1, &h2);
            for (k, v) in block {
                match v {
                    Some(v) => { state.insert(k.clone(), v.clone()); }
                    None => { state.remove(k); }
                }
            }
        }
        let one_shot = Store::open_in_memory().expect("open c");
        let all: Block = state.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let h3 = one_shot.commit(1, ChangeSet::from(all)).expect("commit c");
        prop_assert_eq!(h3, first.app_hash());
        let got: Vec<_> = all_records(&first);
        let want: Vec<_> = state.into_iter().collect();
        prop_assert_eq!(got, want);
    }
}
