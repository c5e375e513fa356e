//! The ABCI state machine in-process: arbitrary bytes as txs never panic FinalizeBlock and
//! change nothing; two apps fed the same blocks reach the same app hash; Info after a reopen
//! reports the committed height and app hash (what CometBFT's handshake replays from).

use bls_app::abci::BlsApp;
use bls_app::store::Store;
use proptest::prelude::*;
use tendermint_proto::v0_38::abci::{RequestFinalizeBlock, RequestInfo, RequestInitChain};

fn genesis() -> Vec<u8> {
    let addr = bls_core::Address::from_bytes(&[7; 20]).to_string();
    serde_json::to_vec(&serde_json::json!({
        "auth": {"accounts": [{"address": addr}]},
        "bank": {"balances": [{"address": addr, "coins": [{"denom": "ubls", "amount": "1000000"}]}]},
    }))
    .expect("json")
}

fn init(app: &mut BlsApp) -> Vec<u8> {
    app.init_chain(RequestInitChain {
        chain_id: "test-chain".into(),
        app_state_bytes: genesis().into(),
        initial_height: 1,
        ..Default::default()
    })
    .expect("init chain")
    .app_hash
    .to_vec()
}

fn block(height: i64, txs: &[Vec<u8>]) -> RequestFinalizeBlock {
    RequestFinalizeBlock {
        txs: txs.iter().map(|t| t.clone().into()).collect(),
        height,
        hash: vec![height as u8; 32].into(),
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_tx_bytes_never_panic_and_change_nothing(
        txs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8)
    ) {
        let mut app = BlsApp::with_store(Store::open_in_memory().expect("store"));
        init(&mut app);
        let empty = app.finalize_block(block(1, &[])).expect("empty block");

        let mut app2 = BlsApp::with_store(Store::open_in_memory().expect("store"));
        init(&mut app2);
        let r = app2.finalize_block(block(1, &txs)).expect("block with garbage");
        prop_assert_eq!(r.tx_results.len(), txs.len());
        for t in &r.tx_results {
            prop_assert!(t.code != 0, "garbage accepted: {:?}", t);
            prop_assert!(!t.log.is_empty());
        }
        // Rejected garbage writes nothing: same app hash as an empty block.
        prop_assert_eq!(r.app_hash, empty.app_hash);
    }
}

#[test]
fn same_blocks_same_app_hash_and_info_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.redb");
    let mut a = BlsApp::open(&path).expect("open");
    let mut b = BlsApp::with_store(Store::open_in_memory().expect("store"));
    assert_eq!(init(&mut a), init(&mut b));
    let mut last = Vec::new();
    for h in 1..=5 {
        let ra = a.finalize_block(block(h, &[vec![h as u8; 3]])).expect("a");
        let rb = b.finalize_block(block(h, &[vec![h as u8; 3]])).expect("b");
        assert_eq!(ra.app_hash, rb.app_hash, "height {h}");
        a.commit().expect("commit a");
        b.commit().expect("commit b");
        last = ra.app_hash.to_vec();
    }
    drop(a);
    let reopened = BlsApp::open(&path).expect("reopen");
    let info = reopened.info(RequestInfo::default());
    assert_eq!(info.last_block_height, 5);
    assert_eq!(info.last_block_app_hash.to_vec(), last);
}
