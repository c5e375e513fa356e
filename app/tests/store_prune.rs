//! Pruning (app.toml `pruning`): heights below the floor are refused with `HeightPruned`,
//! kept heights answer their own state with proofs against their own app hash, the app hash
//! never depends on pruning, the store's rows stay flat under steady traffic, and a backlog
//! (pruning switched on for a long chain) is worked off a bounded amount per commit.

use std::collections::BTreeMap;

use bls_app::store::{verify_proof, ChangeSet, PruningPolicy, Store, StoreError, ROWS_PER_COMMIT};
use cosmwasm_std::{Order, Storage};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// A small deterministic generator (tests must not depend on local randomness).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const KEYS: &[&[u8]] = &[
    b"a",
    b"a\0",
    b"a\xff",
    b"ab",
    b"b",
    b"\0",
    b"\xff\xff",
    b"c",
];

/// Height `h`'s writes: a few keys set or deleted.
fn block(rng: &mut Lcg, h: u64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    (0..3)
        .map(|_| {
            let key = KEYS[rng.next() as usize % KEYS.len()].to_vec();
            let value =
                (!rng.next().is_multiple_of(4)).then(|| format!("{h}:{}", rng.next()).into_bytes());
            (key, value)
        })
        .collect()
}

fn apply(
    store: &Store,
    model: &mut Model,
    h: u64,
    writes: &[(Vec<u8>, Option<Vec<u8>>)],
) -> Vec<u8> {
    let mut cs = ChangeSet::new();
    for (k, v) in writes {
        match v {
            Some(v) => {
                cs.set(k.clone(), v.clone());
                model.insert(k.clone(), v.clone());
            }
            None => {
                cs.remove(k.clone());
                model.remove(k);
            }
        }
    }
    store.commit(h, cs).expect("commit")
}

fn rows(store: &Store) -> BTreeMap<&'static str, u64> {
    store
        .read()
        .expect("read")
        .table_rows()
        .expect("rows")
        .into_iter()
        .collect()
}

#[test]
fn pruned_heights_are_refused_and_kept_heights_answer_with_proofs() {
    let archive = Store::open_in_memory().expect("open");
    let pruned = Store::open_in_memory().expect("open");
    pruned.set_pruning(PruningPolicy::KeepRecent {
        keep_recent: 5,
        interval: 3,
    });
    let mut rng = Lcg(7);
    let (mut model_a, mut model_p) = (Model::new(), Model::new());
    let mut states = vec![Model::new()];
    let mut hashes = vec![Vec::new()];
    for h in 1..=60u64 {
        let writes = block(&mut rng, h);
        let ha = apply(&archive, &mut model_a, h, &writes);
        let hp = apply(&pruned, &mut model_p, h, &writes);
        assert_eq!(ha, hp, "pruning changed the app hash at {h}");
        states.push(model_a.clone());
        hashes.push(ha);
    }
    // 60 is a multiple of the interval: the floor is 60 - 5.
    assert_eq!(pruned.prune_floor(), Some(55));
    assert_eq!(pruned.first_height().expect("first"), 55);
    assert_eq!(pruned.history_from(), Some(55));

    for h in 1..55u64 {
        for err in [
            pruned.query_at(b"a", true, h).map(|_| ()),
            pruned.query_at(b"a", false, h).map(|_| ()),
            pruned.snapshot_at(h).map(|_| ()),
            pruned.app_hash_at(h).map(|_| ()),
        ] {
            match err {
                Err(StoreError::HeightPruned {
                    height,
                    first: 55,
                    last: 60,
                }) => assert_eq!(height, h),
                other => panic!("height {h}: expected HeightPruned, got {other:?}"),
            }
        }
        // The archive still answers them: the refusal is pruning, not a missing height.
        archive.query_at(b"a", true, h).expect("archive answers");
    }
    let msg = pruned
        .query_at(b"a", true, 3)
        .expect_err("pruned")
        .to_string();
    assert!(msg.contains("pruned") && msg.contains("55..=60"), "{msg}");

    for h in 55..=60u64 {
        let state = &states[h as usize];
        assert_eq!(pruned.app_hash_at(h).expect("hash"), hashes[h as usize]);
        for key in KEYS {
            let want = state.get(*key).cloned();
            let got = pruned.query_at(key, true, h).expect("query kept height");
            assert_eq!(got.value, want, "key {key:?} at {h}");
            // Absence in an empty tree has no proof; otherwise every answer is proven.
            if let Some(proof) = got.proof {
                assert!(
                    verify_proof(&hashes[h as usize], key, want.as_deref(), &proof),
                    "proof of {key:?} at {h}"
                );
            } else {
                assert!(state.is_empty());
            }
        }
        let view = pruned.snapshot_at(h).expect("view");
        let seen: Model = view.range(None, None, Order::Ascending).collect();
        assert_eq!(&seen, state, "module view at {h}");
    }
}

/// Keys that live a few blocks and die (finished jobs), beside keys rewritten every block
/// (balances): with pruning on, every table's row count stops growing; without, it grows.
#[test]
fn rows_stay_flat_under_steady_traffic_with_pruning_on() {
    fn run(policy: PruningPolicy, heights: u64) -> Vec<BTreeMap<&'static str, u64>> {
        let store = Store::open_in_memory().expect("open");
        store.set_pruning(policy);
        let mut model = Model::new();
        let mut rng = Lcg(11);
        let mut samples = Vec::new();
        for h in 1..=heights {
            let mut writes = Vec::new();
            for _ in 0..20 {
                let k = format!("balance/{}", rng.next() % 200).into_bytes();
                writes.push((k, Some(h.to_be_bytes().to_vec())));
            }
            for j in 0..5u64 {
                writes.push((format!("job/{h}/{j}").into_bytes(), Some(vec![1; 64])));
                if h > 3 {
                    writes.push((format!("job/{}/{j}", h - 3).into_bytes(), None));
                }
            }
            apply(&store, &mut model, h, &writes);
            if h % 100 == 0 {
                samples.push(rows(&store));
            }
        }
        samples
    }
    let pruned = run(
        PruningPolicy::KeepRecent {
            keep_recent: 10,
            interval: 5,
        },
        600,
    );
    let (at_200, at_600) = (&pruned[1], &pruned[5]);
    for (table, n) in at_600 {
        let before = at_200[table];
        assert!(
            *n <= before + before / 20 + 16,
            "table {table} grew from {before} to {n} rows with pruning on"
        );
    }
    // The same traffic without pruning grows: the check above can fail.
    let archive = run(PruningPolicy::KeepAll, 600);
    assert!(archive[5]["kv_history"] > 2 * archive[1]["kv_history"]);
    assert!(archive[5]["jmt_nodes"] > 2 * archive[1]["jmt_nodes"]);
}

/// Pruning switched on for a long chain: the floor moves at once (old heights refused from
/// the first commit), the rows go over several commits, never more than the budget each.
#[test]
fn a_backlog_is_pruned_a_bounded_amount_per_commit() {
    let store = Store::open_in_memory().expect("open");
    let mut model = Model::new();
    for h in 1..=40u64 {
        let writes: Vec<_> = (0..500u32)
            .map(|i| (i.to_be_bytes().to_vec(), Some(h.to_be_bytes().to_vec())))
            .collect();
        apply(&store, &mut model, h, &writes);
    }
    let total = |r: &BTreeMap<&str, u64>| r.values().sum::<u64>();
    let mut before = total(&rows(&store));
    store.set_pruning(PruningPolicy::KeepRecent {
        keep_recent: 0,
        interval: 1,
    });
    let mut commits = 0;
    let mut h = 40u64;
    loop {
        h += 1;
        apply(
            &store,
            &mut model,
            h,
            &[(b"tick".to_vec(), Some(h.to_be_bytes().to_vec()))],
        );
        commits += 1;
        assert_eq!(
            store.prune_floor(),
            Some(h),
            "the floor follows the tip at once"
        );
        assert!(matches!(
            store.query_at(b"tick", false, h - 1),
            Err(StoreError::HeightPruned { .. })
        ));
        let now = total(&rows(&store));
        // A commit adds a handful of rows and deletes at most the budget.
        assert!(before + 16 >= now, "rows grew while pruning a backlog");
        assert!(
            before <= now + ROWS_PER_COMMIT + 16,
            "one commit deleted more than the budget ({before} -> {now})"
        );
        if before.abs_diff(now) < 32 {
            break;
        }
        before = now;
        assert!(commits < 50, "backlog never cleared");
    }
    assert!(commits > 1, "the backlog should take several commits");
    // What is left is the live state: one row per key and version-free bookkeeping.
    let left = rows(&store);
    assert_eq!(left["heights"], 1);
    assert_eq!(left["kv_history"], left["kv"]);
    assert_eq!(left["jmt_values"], left["kv"]);
    for (i, v) in &model {
        assert_eq!(store.query(i, false).expect("q").value.as_ref(), Some(v));
    }
}
