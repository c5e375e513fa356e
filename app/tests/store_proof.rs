//! ics23 proofs from `Store::query` verify against the app hash; tampering fails.

use bls_app::store::{verify_proof, ChangeSet, Store, EMPTY_TREE_ROOT};
use proptest::prelude::*;

fn store_with(pairs: &[(&[u8], &[u8])]) -> Store {
    let store = Store::open_in_memory().expect("open");
    let mut cs = ChangeSet::new();
    for (k, v) in pairs {
        cs.set(k.to_vec(), v.to_vec());
    }
    store.commit(1, cs).expect("commit");
    store
}

#[test]
fn membership_proof_verifies_and_tampering_fails() {
    let store = store_with(&[(b"alice", b"100"), (b"bob", b"7"), (b"carol", b"55")]);
    let root = store.app_hash();
    let q = store.query(b"bob", true).expect("query");
    assert_eq!(q.height, 1);
    assert_eq!(q.value.as_deref(), Some(b"7".as_slice()));
    let proof = q.proof.expect("proof");
    assert!(verify_proof(&root, b"bob", Some(b"7"), &proof));
    // Tampered value, wrong key, wrong root, non-membership claim: all fail.
    assert!(!verify_proof(&root, b"bob", Some(b"8"), &proof));
    assert!(!verify_proof(&root, b"alice", Some(b"7"), &proof));
    let mut bad_root = root.clone();
    bad_root[0] ^= 1;
    assert!(!verify_proof(&bad_root, b"bob", Some(b"7"), &proof));
    assert!(!verify_proof(&root, b"bob", None, &proof));
}

#[test]
fn non_membership_proof_verifies() {
    let store = store_with(&[(b"alice", b"100"), (b"bob", b"7"), (b"carol", b"55")]);
    let root = store.app_hash();
    let q = store.query(b"mallory", true).expect("query");
    assert_eq!(q.value, None);
    let proof = q.proof.expect("proof");
    assert!(verify_proof(&root, b"mallory", None, &proof));
    assert!(!verify_proof(&root, b"mallory", Some(b"1"), &proof));
    assert!(!verify_proof(&root, b"bob", None, &proof));
}

#[test]
fn proofs_follow_deletes_and_updates() {
    let store = store_with(&[(b"a", b"1"), (b"b", b"2")]);
    let mut cs = ChangeSet::new();
    cs.remove(b"a".to_vec());
    cs.set(b"b".to_vec(), b"3".to_vec());
    store.commit(2, cs).expect("commit");
    let root = store.app_hash();
    let a = store.query(b"a", true).expect("query a");
    assert_eq!(a.value, None);
    assert!(verify_proof(&root, b"a", None, &a.proof.expect("proof a")));
    let b = store.query(b"b", true).expect("query b");
    assert_eq!(b.value.as_deref(), Some(b"3".as_slice()));
    let proof = b.proof.expect("proof b");
    assert!(verify_proof(&root, b"b", Some(b"3"), &proof));
    assert!(!verify_proof(&root, b"b", Some(b"2"), &proof));
}

#[test]
fn empty_tree_answers_absence_without_proof() {
    let store = Store::open_in_memory().expect("open");
    let root = store.commit(1, ChangeSet::new()).expect("commit");
    assert_eq!(root, EMPTY_TREE_ROOT.to_vec());
    // ics23 has no absence proof in an empty tree: the well-known root is the evidence.
    let q = store.query(b"nothing", true).expect("query");
    assert_eq!((q.height, q.value, q.proof), (1, None, None));
    // Emptied again after deletes: same root, same answer.
    let mut cs = ChangeSet::new();
    cs.set(b"k".to_vec(), b"v".to_vec());
    let root2 = store.commit(2, cs).expect("commit");
    assert_ne!(root2, root);
    let mut cs = ChangeSet::new();
    cs.remove(b"k".to_vec());
    assert_eq!(store.commit(3, cs).expect("commit"), root);
    let q = store.query(b"k", true).expect("query");
    assert_eq!((q.value, q.proof), (None, None));
}

#[test]
fn query_without_proof_reads_kv() {
    let store = store_with(&[(b"a", b"1")]);
    let q = store.query(b"a", false).expect("query");
    assert_eq!(q.value.as_deref(), Some(b"1".as_slice()));
    assert!(q.proof.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_proofs_verify(
        entries in prop::collection::btree_map(
            prop::collection::vec(any::<u8>(), 1..6),
            prop::collection::vec(any::<u8>(), 1..6),
            1..40,
        ),
        probes in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..6), 1..10),
    ) {
        let store = Store::open_in_memory().expect("open");
        store.commit(1, ChangeSet::from(
            entries.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect::<std::collections::BTreeMap<_, _>>(),
        )).expect("commit");
        let root = store.app_hash();
        for key in entries.keys().take(5).chain(probes.iter()) {
            let q = store.query(key, true).expect("query");
            prop_assert_eq!(q.value.as_ref(), entries.get(key));
            let proof = q.proof.expect("proof");
            prop_assert!(verify_proof(&root, key, q.value.as_deref(), &proof));
        }
    }
}
