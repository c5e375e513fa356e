//! The marketplace in process: listings (owner only, every field and price bounded, refusals
//! change nothing), royalties on chain (escrowed at invoke on top of the worst case, paid to
//! the owner at settlement of an agreed result, refunded with the rest when the job fails,
//! fixed at invoke whatever the owner does next), version pinning, the figures, and browse
//! queries with filters and pagination.

mod common;

use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::market::msgs::*;
use bls_orchestration::market::queries::{ListingView, ListingsResponse, StatsView};
use bls_orchestration::msgs::{MsgInvoke, MSG_INVOKE};
use bls_orchestration::state::{escrow_account, JobStatus};
use common::*;

const FEE: u128 = 1_000;
const PRICE: u128 = 5_000;
const MAX_FEE: u128 = 100_000;
const FUNDS: u128 = 1_000_000;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 0,
        "base_fee": FEE.to_string(), "fuel_price": "1", "fuel_unit": 1000000,
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

struct Market {
    chain: Chain,
    owner: Address,
    invoker: Address,
    function: u64,
    workers: Vec<SimWorker>,
}

fn market() -> Market {
    let mut chain = Chain::new(params());
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let (owner, invoker) = (user(200), user(201));
    chain.fund(&invoker, FUNDS);
    let function = chain
        .deploy(&owner, gzip(&hello_wasm()), "{}", 3, 2)
        .unwrap();
    Market {
        chain,
        owner,
        invoker,
        function,
        workers,
    }
}

fn publish(owner: &Address, function_id: u64, price: u128, tags: &[&str]) -> MsgPublishListing {
    MsgPublishListing {
        owner: owner.to_string(),
        function_id,
        name: "Hello".into(),
        description: "Greets".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        license: "MIT".into(),
        source_url: "https://example.org/hello".into(),
        price: Some(ProtoCoin::ubls(price)),
        terms: "".into(),
    }
}

impl Market {
    fn send<M: prost::Message>(
        &mut self,
        signer: &Address,
        m: &M,
        url: &str,
    ) -> Result<(), String> {
        self.chain
            .orch(signer, encode_any(m, url))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn publish(&mut self, price: u128, tags: &[&str]) -> Result<(), String> {
        let (o, f) = (self.owner.clone(), self.function);
        self.send(&o, &publish(&o, f, price, tags), MSG_PUBLISH_LISTING)
    }

    fn listing(&self, f: u64) -> Result<ListingView, String> {
        self.chain
            .query(
                "orchestration",
                "Listing",
                serde_json::json!({"function_id": f}),
            )
            .map_err(|e| e.to_string())
    }

    fn stats(&self) -> StatsView {
        self.chain
            .query(
                "orchestration",
                "FunctionStats",
                serde_json::json!({"function_id": self.function}),
            )
            .unwrap()
    }

    /// Runs job `job` to an agreed result (all three reveal the same outcome) and settles it.
    fn finish(&mut self, job: u64) {
        let out = outcome(b"hi", 0);
        let ws: Vec<SimWorker> = self
            .chain
            .job(job)
            .assignments
            .iter()
            .map(|a| find(&self.workers, a.worker.as_str()).clone())
            .collect();
        for w in &ws {
            self.chain.commit(w, job, &out).unwrap();
        }
        for w in &ws {
            self.chain.reveal(w, job, &out).unwrap();
        }
        self.chain.next_block();
        assert_eq!(self.chain.job(job).status, JobStatus::Finalized);
        assert_eq!(self.chain.job(job).escrow, 0);
    }
}

#[test]
fn bad_listings_are_refused_and_change_nothing() {
    let mut m = market();
    let (o, f) = (m.owner.clone(), m.function);
    let cases: Vec<(Address, MsgPublishListing, &str)> = vec![
        (user(9), publish(&user(9), f, PRICE, &[]), "is owned by"),
        (o.clone(), publish(&o, f, 0, &[]), "must be positive"),
        (
            o.clone(),
            publish(&o, f, 1_000_000_000_001, &[]),
            "more than",
        ),
        (
            o.clone(),
            publish(&o, 999, PRICE, &[]),
            "unknown function 999",
        ),
        (
            o.clone(),
            publish(&o, f, PRICE, &["Bad Tag"]),
            "invalid tags",
        ),
        (
            o.clone(),
            MsgPublishListing {
                name: "".into(),
                ..publish(&o, f, PRICE, &[])
            },
            "invalid name",
        ),
        (
            o.clone(),
            MsgPublishListing {
                source_url: "javascript:x".into(),
                ..publish(&o, f, PRICE, &[])
            },
            "invalid source_url",
        ),
        (
            o.clone(),
            MsgPublishListing {
                price: Some(ProtoCoin {
                    denom: "uatom".into(),
                    amount: "5".into(),
                }),
                ..publish(&o, f, PRICE, &[])
            },
            "invalid price",
        ),
    ];
    for (signer, msg, want) in cases {
        let e = m.send(&signer, &msg, MSG_PUBLISH_LISTING).unwrap_err();
        assert!(e.contains(want), "{want}: {e}");
        assert!(m.listing(f).is_err(), "{want}: listed anyway");
    }
    let unlist = MsgUnlistFunction {
        owner: o.to_string(),
        function_id: f,
    };
    let e = m.send(&o, &unlist, MSG_UNLIST_FUNCTION).unwrap_err();
    assert!(e.contains("is not listed"), "{e}");
    // An update carries the same fields as a publish (one `ListingMsg`).
    let update: MsgUpdateListing = publish(&o, f, 1, &[]);
    let e = m.send(&o, &update, MSG_UPDATE_LISTING).unwrap_err();
    assert!(e.contains("is not listed"), "{e}");

    m.publish(PRICE, &["greeting"]).unwrap();
    let e = m.publish(PRICE, &[]).unwrap_err();
    assert!(e.contains("listed already"), "{e}");
    // Another account cannot unlist or reprice it.
    let thief = user(9);
    let e = m
        .send(
            &thief,
            &MsgUnlistFunction {
                owner: thief.to_string(),
                function_id: f,
            },
            MSG_UNLIST_FUNCTION,
        )
        .unwrap_err();
    assert!(e.contains("is owned by"), "{e}");
    let e = m
        .send(
            &thief,
            &MsgUpdateListing {
                owner: thief.to_string(),
                ..update.clone()
            },
            MSG_UPDATE_LISTING,
        )
        .unwrap_err();
    assert!(e.contains("is owned by"), "{e}");
    assert_eq!(m.listing(f).unwrap().listing.price, PRICE);
}

#[test]
fn an_agreed_result_pays_the_owner_its_price_exactly() {
    let mut m = market();
    m.publish(PRICE, &["greeting"]).unwrap();
    let (supply0, burned0) = (m.chain.supply(), m.chain.burned());
    // max_fee must cover the worst case (at least the base fee) and the price.
    let e = m
        .chain
        .invoke(&m.invoker.clone(), m.function, FEE + PRICE - 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_fee"), "{e}");
    assert_eq!(m.chain.balance(&m.invoker), FUNDS, "nothing escrowed");
    let job = m
        .chain
        .invoke(&m.invoker.clone(), m.function, MAX_FEE)
        .unwrap()
        .job_id;
    assert_eq!(m.chain.job(job).royalty, PRICE);
    assert_eq!(m.chain.balance(&escrow_account()), MAX_FEE);
    m.finish(job);
    let fee = m
        .chain
        .query::<bls_orchestration::queries::ResultResponse>(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap()
        .result
        .fee;
    assert_eq!(
        m.chain.balance(&m.owner),
        PRICE,
        "the owner earns the price"
    );
    assert_eq!(
        m.chain.balance(&m.invoker),
        FUNDS - fee - PRICE,
        "refund of the rest"
    );
    assert_eq!(m.chain.balance(&escrow_account()), 0);
    m.chain.assert_escrow_invariant();
    assert_eq!(
        supply0 - m.chain.supply(),
        m.chain.burned() - burned0,
        "the price moves coins, it creates or destroys none"
    );
    let paid = m.chain.events_of("bls.royalty_paid");
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].get("amount"), Some(PRICE.to_string().as_str()));
    let s = m.stats();
    assert_eq!((s.invocations, s.results, s.failures), (1, 1, 0));
    assert_eq!(s.revenue, PRICE.to_string());
    assert!(s.median_latency_blocks.is_some());
}

#[test]
fn a_failed_job_pays_no_price_and_is_refunded_in_full() {
    let mut m = market();
    m.publish(PRICE, &[]).unwrap();
    let job = m
        .chain
        .invoke(&m.invoker.clone(), m.function, MAX_FEE)
        .unwrap()
        .job_id;
    // Nobody commits: the round fails and, with no retries, the job fails.
    let d = m.chain.job(job).commit_deadline;
    m.chain.until(d + 1);
    assert_eq!(m.chain.job(job).status, JobStatus::Failed);
    assert_eq!(m.chain.balance(&m.owner), 0, "no price for a failed job");
    assert_eq!(
        m.chain.balance(&m.invoker),
        FUNDS,
        "refunded in full, price included"
    );
    assert!(m.chain.events_of("bls.royalty_paid").is_empty());
    m.chain.assert_escrow_invariant();
    let s = m.stats();
    assert_eq!((s.invocations, s.results, s.failures), (1, 0, 1));
    assert_eq!(s.revenue, "0");
}

#[test]
fn the_price_is_fixed_at_invoke_whatever_the_owner_does_next() {
    let mut m = market();
    m.publish(PRICE, &[]).unwrap();
    // Past the price-change cooldown (fast-path ttl 4 + settle window 6 in this harness).
    let h = m.chain.block.height;
    m.chain.until(h + 10);
    let job = m
        .chain
        .invoke(&m.invoker.clone(), m.function, MAX_FEE)
        .unwrap()
        .job_id;
    // Repriced, then unlisted mid-flight: the job pays what it escrowed.
    let (o, f) = (m.owner.clone(), m.function);
    let update: MsgUpdateListing = publish(&o, f, 50_000, &[]);
    m.send(&o, &update, MSG_UPDATE_LISTING).unwrap();
    m.send(
        &o,
        &MsgUnlistFunction {
            owner: o.to_string(),
            function_id: f,
        },
        MSG_UNLIST_FUNCTION,
    )
    .unwrap();
    m.finish(job);
    assert_eq!(m.chain.balance(&m.owner), PRICE);
    // Unlisted: the next invocation pays no price.
    let job2 = m
        .chain
        .invoke(&m.invoker.clone(), m.function, MAX_FEE)
        .unwrap()
        .job_id;
    assert_eq!(m.chain.job(job2).royalty, 0);
    m.finish(job2);
    assert_eq!(m.chain.balance(&m.owner), PRICE);
    m.chain.assert_escrow_invariant();
}

#[test]
fn a_price_changes_at_most_once_per_cooldown() {
    let mut m = market();
    m.publish(PRICE, &[]).unwrap();
    let h = m.chain.block.height;
    let (o, f) = (m.owner.clone(), m.function);
    let update = |price: u128, name: &str| MsgUpdateListing {
        name: name.into(),
        ..publish(&o, f, price, &[])
    };
    // Other fields change any time; the price not before the cooldown.
    m.send(&o, &update(PRICE, "Renamed"), MSG_UPDATE_LISTING)
        .unwrap();
    let e = m
        .send(&o, &update(PRICE * 2, "Renamed"), MSG_UPDATE_LISTING)
        .unwrap_err();
    assert!(e.contains(&format!("from height {}", h + 10)), "{e}");
    assert_eq!(m.listing(f).unwrap().listing.price, PRICE);
    m.chain.until(h + 10);
    m.send(&o, &update(PRICE * 2, "Renamed"), MSG_UPDATE_LISTING)
        .unwrap();
    let l = m.listing(f).unwrap().listing;
    assert_eq!(
        (l.price, l.previous_price, l.price_changed_height),
        (PRICE * 2, PRICE, h + 10)
    );
    assert_eq!(l.name, "Renamed");
}

#[test]
fn a_pinned_version_is_refused_once_the_function_moved_on() {
    let mut m = market();
    let (invoker, function) = (m.invoker.to_string(), m.function);
    let msg = |version| MsgInvoke {
        invoker: invoker.clone(),
        function_id: function,
        input: vec![],
        args: vec![],
        max_fee: Some(ProtoCoin::ubls(MAX_FEE)),
        version,
    };
    let (inv, pinned2) = (m.invoker.clone(), msg(2));
    let e = m.send(&inv, &pinned2, MSG_INVOKE).unwrap_err();
    assert!(
        e.contains("runs version 1, not the pinned version 2"),
        "{e}"
    );
    assert_eq!(m.chain.balance(&m.invoker), FUNDS, "nothing escrowed");
    let pinned1 = msg(1);
    m.send(&inv, &pinned1, MSG_INVOKE).unwrap();
}

#[test]
fn listings_filter_order_and_page() {
    let mut m = market();
    m.publish(PRICE, &["greeting", "demo"]).unwrap();
    let owner2 = user(202);
    let mut ids = vec![m.function];
    for (i, price) in [(0u8, 100u128), (1, 20_000)] {
        let f = m
            .chain
            .deploy(&owner2, gzip(&hello_wasm()), "{}", 3, 2)
            .unwrap();
        let tags: &[&str] = if i == 0 { &["demo"] } else { &["math"] };
        m.send(
            &owner2,
            &publish(&owner2, f, price, tags),
            MSG_PUBLISH_LISTING,
        )
        .unwrap();
        ids.push(f);
    }
    // Two invocations of the last one: the most popular.
    m.chain.fund(&m.invoker.clone(), FUNDS);
    for _ in 0..2 {
        m.chain.invoke(&m.invoker.clone(), ids[2], MAX_FEE).unwrap();
    }
    let q = |m: &Market, req: serde_json::Value| -> ListingsResponse {
        m.chain.query("orchestration", "Listings", req).unwrap()
    };
    let fids = |r: &ListingsResponse| {
        r.listings
            .iter()
            .map(|l| l.listing.function_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(fids(&q(&m, serde_json::json!({}))), ids);
    assert_eq!(
        fids(&q(&m, serde_json::json!({"tag": "demo"}))),
        vec![ids[0], ids[1]]
    );
    assert_eq!(
        fids(&q(&m, serde_json::json!({"owner": owner2.to_string()}))),
        vec![ids[1], ids[2]]
    );
    assert_eq!(
        fids(&q(
            &m,
            serde_json::json!({"min_price": "1000", "max_price": "10000"})
        )),
        vec![ids[0]]
    );
    let first = q(&m, serde_json::json!({"limit": 2}));
    assert_eq!(fids(&first), vec![ids[0], ids[1]]);
    assert_eq!(first.next, Some(ids[1]));
    let second = q(&m, serde_json::json!({"limit": 2, "start_after": ids[1]}));
    assert_eq!(fids(&second), vec![ids[2]]);
    assert_eq!(second.next, None);
    let popular = q(
        &m,
        serde_json::json!({"order_by": "popularity", "limit": 1}),
    );
    assert_eq!(fids(&popular), vec![ids[2]]);
    assert_eq!(popular.listings[0].stats.invocations, 2);
    assert_eq!(popular.next, Some(1));
    let rest = q(
        &m,
        serde_json::json!({"order_by": "popularity", "offset": 1}),
    );
    assert_eq!(fids(&rest), vec![ids[0], ids[1]]);
    let bad: Result<ListingsResponse, _> = m.chain.query(
        "orchestration",
        "Listings",
        serde_json::json!({"order_by": "price"}),
    );
    assert!(bad.is_err());
    // Retiring a function removes its listing.
    let retire = bls_orchestration::msgs::MsgRetireFunction {
        owner: owner2.to_string(),
        function_id: ids[1],
    };
    m.send(
        &owner2,
        &retire,
        bls_orchestration::msgs::MSG_RETIRE_FUNCTION,
    )
    .unwrap();
    assert_eq!(
        fids(&q(&m, serde_json::json!({"tag": "demo"}))),
        vec![ids[0]]
    );
}
