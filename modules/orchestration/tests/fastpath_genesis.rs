//! Fast-path state through genesis: deposits, a pending withdrawal, settled request ids,
//! pinned heads, evidence markers and the totals survive export → init on a fresh store →
//! export unchanged; a receipt settled before the export is refused as a replay after it;
//! bad fast-path genesis inputs are refused with errors that name the entry.

mod common;

use bls_bank::BankModule;

/// These tests send no `MsgSend`: the bank needs no module-account list.
static BANK: BankModule = BankModule::new(|_| None);
use bls_core::module::encode_any;
use bls_core::{Address, Module, ModuleError};
use bls_orchestration::fastpath::msgs::*;
use bls_orchestration::fastpath::queries::DepositResponse;
use bls_orchestration::fastpath::state::{deposit_of, fastpath_account, stats, FastPathStats};
use bls_orchestration::OrchestrationModule;
use bls_registry::RegistryModule;
use common::fastpath::*;
use common::*;
use serde_json::{json, Value};

/// A chain with six workers, a head, one function (n = 3, m = 2) and two funded invokers.
struct Fixture {
    chain: Chain,
    workers: Vec<SimWorker>,
    head: SimWorker,
    owner: Address,
    function: u64,
    code_hash: [u8; 32],
}

impl Fixture {
    fn new() -> Fixture {
        let mut chain = Chain::new(params());
        let workers = six_workers();
        for w in &workers {
            chain.register(w);
        }
        let head = SimWorker::new(50, "eu", "AS999");
        register_head(&mut chain, &head);
        let owner = user(200);
        let wasm = hello_wasm();
        let code_hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&wasm).into();
        let function = chain
            .deploy(&owner, gzip(&wasm), "{}", 3, 2)
            .expect("deploy");
        Fixture {
            chain,
            workers,
            head,
            owner,
            function,
            code_hash,
        }
    }

    /// The function's subnetwork members, as simulated workers.
    fn subnet(&self) -> Vec<SimWorker> {
        bls_orchestration::testing::SUBNETS
            .load(&self.chain.store, self.function)
            .unwrap()
            .workers
            .iter()
            // The head is a worker too and may hold a seat.
            .map(|a| {
                if *a == self.head.addr {
                    self.head.clone()
                } else {
                    find(&self.workers, a.as_str()).clone()
                }
            })
            .collect()
    }

    /// A receipt for `invoker`'s request `nonce` (expiring a TTL ahead), signed by
    /// `signers`.
    fn receipt(&self, invoker: &Invoker, nonce: u64, signers: &[SimWorker]) -> Receipt {
        let expiry = self.chain.block.height + FASTPATH_TTL;
        receipt(
            invoker,
            self.function,
            &self.code_hash,
            nonce,
            expiry,
            signers,
        )
        .0
    }
}

fn deposit_query(chain: &Chain, invoker: &Address) -> DepositResponse {
    chain
        .query(
            "orchestration",
            "FastPathDeposit",
            json!({"invoker": invoker.to_string()}),
        )
        .unwrap()
}

/// State built on a running chain, plus what the test needs to check it after import.
struct Built {
    fx: Fixture,
    alice: Invoker,
    bob: Invoker,
    settled: Vec<Receipt>,
    signers: Vec<SimWorker>,
}

/// Two deposits, five settled receipts, a pending withdrawal, pinned heads and an
/// equivocation punished on evidence.
fn build() -> Built {
    let mut fx = Fixture::new();
    let alice = Invoker::new(77);
    let bob = Invoker::new(78);
    fx.chain.fund(&alice.addr, 1_000_000);
    fx.chain.fund(&bob.addr, 1_000_000);
    deposit(&mut fx.chain, &alice.addr, 100_000).expect("deposit");
    deposit(&mut fx.chain, &bob.addr, 7_000).expect("deposit");

    let subnet = fx.subnet();
    let signers: Vec<SimWorker> = subnet[1..3].to_vec();
    let settled: Vec<Receipt> = (1..=5).map(|n| fx.receipt(&alice, n, &signers)).collect();
    let head = fx.head.addr.clone();
    settle(&mut fx.chain, &head, settled[..3].to_vec()).expect("settle 3");
    fx.chain.next_block();
    settle(&mut fx.chain, &head, settled[3..].to_vec()).expect("settle 2");

    let w = MsgFastPathWithdraw {
        invoker: alice.addr.to_string(),
        amount: Some(ProtoCoin::ubls(30_000)),
    };
    let a = alice.addr.clone();
    fx.chain
        .orch(&a, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("withdrawal request");

    let pin = MsgSetPinnedHeads {
        owner: fx.owner.to_string(),
        function_id: fx.function,
        heads: vec![head.to_string()],
    };
    let owner = fx.owner.clone();
    fx.chain
        .orch(&owner, encode_any(&pin, MSG_SET_PINNED_HEADS))
        .expect("pin");

    // subnet[0] signs two results for one request: punished, and marked as such.
    let eq = &subnet[0];
    let expiry = fx.chain.block.height + FASTPATH_TTL;
    let (req, id) = alice.request(CHAIN_ID, fx.function, &fx.code_hash, 99, MAX_FEE, expiry);
    let ev = evidence(
        &user(9),
        &req,
        vec![
            signed_result(eq, &eq.key, &id, &fx.code_hash, &[1u8; 32]),
            signed_result(eq, &eq.key, &id, &fx.code_hash, &[2u8; 32]),
        ],
        &[],
    );
    submit(&mut fx.chain, &ev).expect("evidence");
    fx.chain.next_block();
    Built {
        fx,
        alice,
        bob,
        settled,
        signers,
    }
}

/// The bank, registry and orchestration `app_state` sections of a chain.
#[derive(Clone, Debug, PartialEq)]
struct Sections {
    bank: Value,
    registry: Value,
    orchestration: Value,
}

fn export(chain: &Chain) -> Sections {
    Sections {
        bank: BANK.export_genesis(&chain.store).expect("bank"),
        registry: RegistryModule
            .export_genesis(&chain.store)
            .expect("registry"),
        orchestration: OrchestrationModule
            .export_genesis(&chain.store)
            .expect("orchestration"),
    }
}

/// A new chain (same chain id) at `height` from `sections`, applied in app order.
fn import(sections: &Sections, height: u64) -> Result<Chain, ModuleError> {
    let modules: Vec<&'static dyn Module> = vec![&BANK, &RegistryModule, &OrchestrationModule];
    let mut chain = bls_testkit::TestChain::with_seed(modules, 3);
    chain.block.height = height;
    chain.block.time_secs = 1_800_000_000;
    chain.block.hash = vec![7u8; 32];
    chain.block.randomness = [0; 32];
    chain.genesis(&[
        ("bank", sections.bank.clone()),
        ("registry", sections.registry.clone()),
        ("orchestration", sections.orchestration.clone()),
    ])?;
    Ok(Chain(chain))
}

#[test]
fn fast_path_state_round_trips_through_genesis() {
    let b = build();
    let chain = &b.fx.chain;
    let exported = export(chain);
    let fp = &exported.orchestration["fastpath"];

    // What the export holds, in key order.
    let mut invokers = vec![b.alice.addr.to_string(), b.bob.addr.to_string()];
    invokers.sort();
    let listed: Vec<&str> = fp["deposits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["invoker"].as_str().unwrap())
        .collect();
    assert_eq!(listed, invokers);
    let alice_left = 100_000 - 5 * FEE;
    assert!(fp["deposits"]
        .as_array()
        .unwrap()
        .contains(&json!({"invoker": b.alice.addr.to_string(), "amount": alice_left.to_string()})));
    let withdrawal = deposit_query(chain, &b.alice.addr);
    assert_eq!(
        fp["withdrawals"],
        json!([{"invoker": b.alice.addr.to_string(), "amount": "30000",
                "release_height": withdrawal.release_height}])
    );
    let ids: Vec<&str> = fp["settled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending: {ids:?}");
    assert_eq!(
        fp["pinned_heads"],
        json!([{"function_id": b.fx.function, "heads": [b.fx.head.addr.to_string()]}])
    );
    assert_eq!(fp["evidence_handled"].as_array().unwrap().len(), 1);
    // Every settled and punished request is queued to be forgotten after its window.
    assert_eq!(fp["prune_queue"].as_array().unwrap().len(), 6);
    let totals = stats(&chain.store).unwrap();
    assert_eq!(totals.settlements, 2);
    assert_eq!(totals.receipts_settled, 5);
    assert_eq!(totals.deposits, alice_left + 7_000);
    assert_eq!(
        serde_json::from_value::<FastPathStats>(fp["stats"].clone()).unwrap(),
        totals
    );

    // Init on a fresh store, export again: identical.
    let next = chain.block.height + 1;
    let mut restored = import(&exported, next).expect("import");
    assert_eq!(export(&restored), exported);
    assert_eq!(stats(&restored.store).unwrap(), totals);
    let q = deposit_query(&restored, &b.alice.addr);
    assert_eq!(
        (q.deposit.as_str(), q.withdrawing.as_str(), q.release_height),
        (
            alice_left.to_string().as_str(),
            "30000",
            withdrawal.release_height
        )
    );
    assert_eq!(
        restored.balance(&fastpath_account()),
        alice_left + 7_000,
        "the deposit account keeps exactly Σ deposits"
    );

    // Every receipt settled before the export is a replay after it, and changes nothing.
    let head = b.fx.head.addr.clone();
    for r in &b.settled {
        let e = assert_refused(
            settle(&mut restored, &head, vec![r.clone()]),
            &variant!(FastPathError::Replayed(_)),
        );
        assert!(e.log.contains("already settled"), "{e}");
    }
    assert_eq!(
        deposit_of(&restored.store, &b.alice.addr).unwrap(),
        alice_left
    );
    // A new receipt settles (so the refusals were replays, not a broken import) and the
    // totals continue from the imported ones.
    let fresh = b.fx.receipt(&b.bob, 1, &b.signers);
    settle(&mut restored, &head, vec![fresh]).expect("fresh receipt");
    assert_eq!(
        deposit_of(&restored.store, &b.bob.addr).unwrap(),
        7_000 - FEE
    );
    let after = stats(&restored.store).unwrap();
    assert_eq!(
        (after.settlements, after.receipts_settled, after.deposits),
        (3, 6, alice_left + 7_000 - FEE)
    );
    // The pin is still enforced: another registered head cannot settle for the function.
    let other = SimWorker::new(51, "us", "AS998");
    register_head(&mut restored, &other);
    let fresh = b.fx.receipt(&b.bob, 2, &b.signers);
    assert_refused(
        settle(&mut restored, &other.addr, vec![fresh]),
        &variant!(FastPathError::HeadNotPinned { function, head }),
    );
    // The pending withdrawal completes at its height on the restored chain.
    restored.until(withdrawal.release_height);
    let w = MsgFastPathWithdraw {
        invoker: b.alice.addr.to_string(),
        amount: None,
    };
    let a = b.alice.addr.clone();
    let before = restored.balance(&a);
    restored
        .orch(&a, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("complete the imported withdrawal");
    assert_eq!(restored.balance(&a), before + 30_000);
    assert_eq!(
        restored.balance(&fastpath_account()),
        stats(&restored.store).unwrap().deposits
    );
}

#[test]
fn genesis_without_a_fastpath_section_still_loads() {
    let b = build();
    let mut exported = export(&b.fx.chain);
    let orch = exported.orchestration.as_object_mut().unwrap();
    assert!(orch.remove("fastpath").is_some());
    // Older files have no `fastpath`; the deposit account's coins are then simply unclaimed.
    let restored = import(&exported, 1).expect("older genesis loads");
    assert_eq!(deposit_of(&restored.store, &b.alice.addr).unwrap(), 0);
    assert_eq!(stats(&restored.store).unwrap(), FastPathStats::default());
}

/// Imports `b`'s export with `edit` applied to its fast-path section; the error log.
fn refused(b: &Built, edit: impl FnOnce(&mut Value)) -> String {
    let mut exported = export(&b.fx.chain);
    edit(&mut exported.orchestration["fastpath"]);
    match import(&exported, 1) {
        Ok(_) => panic!("bad genesis was accepted"),
        Err(e) => {
            assert_eq!(e.codespace, "orchestration");
            e.log
        }
    }
}

/// A change to an exported fast-path section.
type Edit = Box<dyn FnOnce(&mut Value)>;

#[test]
fn bad_fast_path_genesis_is_refused_with_a_clear_error() {
    let b = build();
    let cases: Vec<(&str, Edit)> = vec![
        (
            "fastpath.deposits[0]: amount \"12x\" is not a decimal ubls amount",
            Box::new(|fp| fp["deposits"][0]["amount"] = json!("12x")),
        ),
        (
            "fastpath.deposits[0]: amount \"-5\" is not a decimal",
            Box::new(|fp| fp["deposits"][0]["amount"] = json!("-5")),
        ),
        (
            "fastpath.deposits[1]: amount must be positive",
            Box::new(|fp| fp["deposits"][1]["amount"] = json!("0")),
        ),
        (
            "is not a decimal ubls amount (u128)",
            Box::new(|fp| {
                fp["deposits"][0]["amount"] = json!("340282366920938463463374607431768211456")
            }),
        ),
        (
            "fastpath.deposits[0]: invalid bech32",
            Box::new(|fp| fp["deposits"][0]["invoker"] = json!("not-an-address")),
        ),
        (
            "fastpath.deposits[1]: second deposit for",
            Box::new(|fp| {
                let first = fp["deposits"][0].clone();
                fp["deposits"][1] = first;
            }),
        ),
        (
            "fastpath.withdrawals[0]: release_height must be positive",
            Box::new(|fp| fp["withdrawals"][0]["release_height"] = json!(0)),
        ),
        (
            "fastpath.withdrawals[0]: amount must be positive",
            Box::new(|fp| fp["withdrawals"][0]["amount"] = json!("0")),
        ),
        (
            "must be 64 lowercase hex characters",
            Box::new(|fp| {
                let id = fp["settled"][0]["request_id"]
                    .as_str()
                    .unwrap()
                    .to_uppercase();
                fp["settled"][0]["request_id"] = json!(id);
            }),
        ),
        (
            "fastpath.settled[2]: request id \"abcd\" must be 64 lowercase hex",
            Box::new(|fp| fp["settled"][2]["request_id"] = json!("abcd")),
        ),
        (
            "fastpath.settled[1]: request",
            Box::new(|fp| {
                let first = fp["settled"][0].clone();
                fp["settled"][1] = first;
            }),
        ),
        (
            "fastpath.settled[0]: height must be positive",
            Box::new(|fp| fp["settled"][0]["height"] = json!(0)),
        ),
        (
            "fastpath.pinned_heads[0]: function 99 does not exist",
            Box::new(|fp| fp["pinned_heads"][0]["function_id"] = json!(99)),
        ),
        (
            "fastpath.pinned_heads[0]: 1..=16 heads required",
            Box::new(|fp| fp["pinned_heads"][0]["heads"] = json!([])),
        ),
        (
            "fastpath.pinned_heads[0]: head",
            Box::new(|fp| {
                let h = fp["pinned_heads"][0]["heads"][0].clone();
                fp["pinned_heads"][0]["heads"] = json!([h.clone(), h]);
            }),
        ),
        (
            "fastpath.evidence_handled[0]: request id",
            Box::new(|fp| fp["evidence_handled"][0]["request_id"] = json!("zz")),
        ),
        (
            "fastpath.prune_queue[0]: height must be positive",
            Box::new(|fp| fp["prune_queue"][0]["height"] = json!(0)),
        ),
        (
            "is neither settled nor in evidence_handled",
            Box::new(|fp| fp["prune_queue"][0]["request_id"] = json!("ab".repeat(32))),
        ),
        (
            "fastpath.stats.deposits is 1 but the deposits sum to",
            Box::new(|fp| fp["stats"]["deposits"] = json!("1")),
        ),
        (
            "unknown field `bogus`",
            Box::new(|fp| fp["bogus"] = json!(1)),
        ),
    ];
    for (want, edit) in cases {
        let log = refused(&b, edit);
        assert!(log.contains(want), "want {want:?} in {log:?}");
    }
}

#[test]
fn deposits_the_bank_genesis_does_not_fund_are_refused() {
    let b = build();
    let mut exported = export(&b.fx.chain);
    let account = fastpath_account().to_string();
    let held = b.fx.chain.balance(&fastpath_account());
    let balances = exported.bank["balances"].as_array_mut().unwrap();
    let entry = balances
        .iter_mut()
        .find(|e| e["address"] == json!(account))
        .expect("the deposit account has a bank balance");
    entry["coins"] = json!([{"denom": "ubls", "amount": (held - 1).to_string()}]);
    let e = import(&exported, 1).map(|_| ()).unwrap_err();
    assert!(
        e.log.contains(&format!(
            "{} holds {}ubls but the deposits sum to {held}ubls",
            bls_orchestration::fastpath::state::FASTPATH_ACCOUNT.name(),
            held - 1
        )),
        "{e}"
    );
}
