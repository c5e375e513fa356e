//! Governance through the modules' own interfaces on an in-process chain: each rule first
//! meets the input that tries to break it (a change the module refuses, a vote out of period,
//! a delegator overriding its validator, a proposal that fails when carried out, a veto).
// Plans are built with the deprecated `time` and `upgraded_client_state` fields (to refuse them).
#![allow(deprecated)]

use bls_bank::BankModule;
use bls_core::module::encode_any;
use bls_core::{Address, Module};
use bls_gov::content::{
    CANCEL_SOFTWARE_UPGRADE_PROPOSAL, PARAMETER_CHANGE_PROPOSAL, SOFTWARE_UPGRADE_PROPOSAL,
    TEXT_PROPOSAL,
};
use bls_gov::msgs::{
    MsgDeposit, MsgSubmitProposal, MsgVote, MSG_DEPOSIT, MSG_SUBMIT_PROPOSAL, MSG_VOTE,
};
use bls_gov::state::{Proposal, ProposalStatus};
use bls_gov::{GovError, GovModule};
use bls_staking::msgs::{
    ubls, MsgCreateValidator, MsgDelegate, MSG_CREATE_VALIDATOR, MSG_DELEGATE,
};
use bls_testkit::{addr, assert_refused, bank_genesis, TestChain};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1beta1::TextProposal;
use cosmos_sdk_proto::cosmos::params::v1beta1::{ParamChange, ParameterChangeProposal};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    CancelSoftwareUpgradeProposal, Plan, SoftwareUpgradeProposal,
};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};

static AUTH: bls_auth::AuthModule = bls_auth::AuthModule;
static BANK: BankModule = BankModule::new(|_| None);
static STAKING: bls_staking::StakingModule = bls_staking::StakingModule;
static SLASHING: bls_slashing::SlashingModule = bls_slashing::SlashingModule;
static REGISTRY: bls_registry::RegistryModule = bls_registry::RegistryModule;
static ORCHESTRATION: bls_orchestration::OrchestrationModule =
    bls_orchestration::OrchestrationModule;
static UPGRADE: bls_upgrade::UpgradeModule = bls_upgrade::UpgradeModule;
static GOV: GovModule = GovModule::new(modules);

fn modules() -> Vec<&'static dyn Module> {
    vec![
        &AUTH,
        &BANK,
        &STAKING,
        &SLASHING,
        &REGISTRY,
        &ORCHESTRATION,
        &UPGRADE,
        &GOV,
    ]
}

const BLS: u128 = 1_000_000;
/// Voting and deposit periods of the test chain (one block per second).
const PERIOD: u64 = 10;

/// Validators 1, 2, 3 with 40, 30, 30 BLS; account 9 holds coins for deposits; 5 and 6 are
/// plain accounts, 5 delegating 20 BLS to validator 1.
fn chain() -> TestChain {
    let balances: Vec<(Address, u128)> = [1, 2, 3, 5, 6, 9]
        .iter()
        .map(|n| (addr(*n), 1_000 * BLS))
        .collect();
    let (mut c, _) = TestChain::with_genesis(
        modules(),
        &[
            ("bank", bank_genesis(&balances)),
            (
                "gov",
                json!({"params": {
                    "min_deposit": (10 * BLS).to_string(),
                    "min_initial_deposit": BLS.to_string(),
                    "max_deposit_period_secs": PERIOD,
                    "voting_period_secs": PERIOD,
                    "quorum_bps": 3340, "threshold_bps": 5000, "veto_threshold_bps": 3340
                }}),
            ),
        ],
    )
    .expect("genesis");
    for (op, bond, commission_bps) in [(1u8, 40 * BLS, 0), (2, 30 * BLS, 0), (3, 30 * BLS, 1000)] {
        let mut key = vec![op; 32];
        key[0] = 0xED;
        c.tx(
            &addr(op),
            encode_any(
                &MsgCreateValidator {
                    operator: addr(op).to_string(),
                    consensus_pubkey: key,
                    moniker: format!("val-{op}"),
                    commission_bps,
                    self_bond: Some(ubls(bond)),
                },
                MSG_CREATE_VALIDATOR,
            ),
        )
        .expect("create validator");
    }
    c.next_block();
    c
}

fn coins(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: "ubls".into(),
        amount: amount.to_string(),
    }]
}

fn submit(
    c: &mut TestChain,
    proposer: u8,
    content: Any,
    deposit: u128,
) -> Result<u64, bls_core::ModuleError> {
    let d = c.tx(
        &addr(proposer),
        encode_any(
            &MsgSubmitProposal {
                content: Some(content),
                initial_deposit: coins(deposit),
                proposer: addr(proposer).to_string(),
            },
            MSG_SUBMIT_PROPOSAL,
        ),
    )?;
    let r: bls_gov::msgs::MsgSubmitProposalResponse =
        prost::Message::decode(d.response.value.as_slice()).expect("response");
    Ok(r.proposal_id)
}

fn vote(c: &mut TestChain, voter: u8, id: u64, option: i32) -> Result<(), bls_core::ModuleError> {
    c.tx(
        &addr(voter),
        encode_any(
            &MsgVote {
                proposal_id: id,
                voter: addr(voter).to_string(),
                option,
            },
            MSG_VOTE,
        ),
    )
    .map(|_| ())
}

fn deposit(
    c: &mut TestChain,
    who: u8,
    id: u64,
    amount: Vec<ProtoCoin>,
) -> Result<(), bls_core::ModuleError> {
    c.tx(
        &addr(who),
        encode_any(
            &MsgDeposit {
                proposal_id: id,
                depositor: addr(who).to_string(),
                amount,
            },
            MSG_DEPOSIT,
        ),
    )
    .map(|_| ())
}

/// (module, key, JSON value).
type Change<'a> = (&'a str, &'a str, &'a str);

fn param_change(changes: &[Change]) -> Any {
    encode_any(
        &ParameterChangeProposal {
            title: "change params".into(),
            description: "why".into(),
            changes: changes
                .iter()
                .map(|(m, k, v)| ParamChange {
                    subspace: m.to_string(),
                    key: k.to_string(),
                    value: v.to_string(),
                })
                .collect(),
        },
        PARAMETER_CHANGE_PROPOSAL,
    )
}

fn text() -> Any {
    encode_any(
        &TextProposal {
            title: "hello".into(),
            description: "a question".into(),
        },
        TEXT_PROPOSAL,
    )
}

fn upgrade(name: &str, height: i64) -> Any {
    encode_any(
        &SoftwareUpgradeProposal {
            title: "upgrade".into(),
            description: String::new(),
            plan: Some(Plan {
                name: name.into(),
                time: None,
                height,
                info: "{}".into(),
                upgraded_client_state: None,
            }),
        },
        SOFTWARE_UPGRADE_PROPOSAL,
    )
}

fn proposal(c: &TestChain, id: u64) -> Proposal {
    let r: Value = c
        .query("gov", "Proposal", json!({"proposal_id": id}))
        .expect("proposal");
    serde_json::from_value(r["proposal"].clone()).expect("proposal json")
}

fn params(c: &TestChain, module: &str) -> Value {
    c.module(module).params(&c.store).unwrap().unwrap()
}

/// Runs blocks until the voting (or deposit) period of a proposal made now has ended.
fn end_period(c: &mut TestChain) {
    let until = c.block.height + PERIOD + 1;
    c.until(until);
}

#[test]
fn a_passed_parameter_change_is_in_force_from_the_next_block_and_deposits_come_back() {
    let mut c = chain();
    let before = c.balance(&addr(9));
    let id = submit(
        &mut c,
        9,
        param_change(&[("staking", "max_validators", "50")]),
        10 * BLS,
    )
    .unwrap();
    let p = proposal(&c, id);
    assert_eq!(
        p.status,
        ProposalStatus::VotingPeriod,
        "the initial deposit reached min_deposit"
    );
    assert_eq!(c.balance(&addr(9)), before - 10 * BLS);
    vote(&mut c, 1, id, 1).unwrap();
    vote(&mut c, 2, id, 1).unwrap();
    assert_eq!(params(&c, "staking")["max_validators"], json!(100));
    end_period(&mut c);
    let p = proposal(&c, id);
    assert_eq!(p.status, ProposalStatus::Passed, "{}", p.failed_reason);
    assert_eq!(p.final_tally_result.yes, 70 * BLS);
    assert_eq!(params(&c, "staking")["max_validators"], json!(50));
    assert_eq!(c.balance(&addr(9)), before, "deposit refunded");
    assert!(!c.events_of("active_proposal").is_empty());
}

#[test]
fn changes_a_module_would_refuse_are_refused_at_submission_and_write_nothing() {
    let mut c = chain();
    let snapshot = c.snapshot();
    let cases: &[(&[Change], &str)] = &[
        (&[("staking", "max_validators", "0")], "max_validators"),
        (&[("staking", "max_validators", "\"many\"")], "invalid type"),
        (&[("nosuch", "x", "1")], "no module named"),
        (&[("bank", "x", "1")], "no params governance may change"),
        (&[("staking", "no_such_key", "1")], "no such key"),
        (&[("staking", "max_validators", "fifty")], "not JSON"),
        (&[("gov", "quorum_bps", "0")], "quorum_bps"),
        (&[("auth", "min_gas_price", "\"-1\"")], "gas"),
        // Rules across modules: the registry's unbonding must outlast orchestration's
        // fast-path windows (orchestration's check, run again after any module's change).
        (
            &[("registry", "unbonding_blocks", "\"1\"")],
            "unbonding_blocks",
        ),
        (&[("registry", "unbonding_blocks", "1")], "unbonding_blocks"),
        // A liveness window is fixed after genesis (the missed-slot record is laid out by it).
        (
            &[("slashing", "signed_blocks_window", "200")],
            "fixed after genesis",
        ),
        (
            &[("registry", "signed_jobs_window", "200")],
            "fixed after genesis",
        ),
        // A commission bound below a validator's commission.
        (
            &[("staking", "max_commission_bps", "500")],
            "below validator",
        ),
        // Both keys of one module are checked together: each alone would be fine.
        (
            &[("gov", "min_initial_deposit", "\"20000000\"")],
            "min_initial_deposit",
        ),
    ];
    for (changes, why) in cases {
        let e = assert_refused(
            submit(&mut c, 9, param_change(changes), 10 * BLS),
            &GovError::InvalidParamChange {
                module: String::new(),
                key: String::new(),
                reason: String::new(),
            },
        );
        assert!(e.log.contains(why), "{changes:?}: {}", e.log);
    }
    assert_eq!(c.snapshot(), snapshot, "refused submissions wrote nothing");
    // Two keys that only fit together pass as one change.
    submit(
        &mut c,
        9,
        param_change(&[
            ("gov", "min_deposit", "\"30000000\""),
            ("gov", "min_initial_deposit", "\"20000000\""),
        ]),
        10 * BLS,
    )
    .unwrap();
}

#[test]
fn a_vote_without_quorum_is_rejected_and_refunds() {
    let mut c = chain();
    let before = c.balance(&addr(9));
    let id = submit(
        &mut c,
        9,
        param_change(&[("staking", "max_validators", "50")]),
        10 * BLS,
    )
    .unwrap();
    vote(&mut c, 2, id, 1).unwrap(); // 30 of 100 bonded: below 33.4%
    vote(&mut c, 6, id, 1).unwrap(); // no stake: weighs nothing
    end_period(&mut c);
    let p = proposal(&c, id);
    assert_eq!(p.status, ProposalStatus::Rejected);
    assert_eq!(p.final_tally_result.yes, 30 * BLS);
    assert_eq!(params(&c, "staking")["max_validators"], json!(100));
    assert_eq!(c.balance(&addr(9)), before);
}

#[test]
fn a_veto_burns_the_deposits() {
    let mut c = chain();
    let (supply, burned) = (c.supply(), c.burned());
    let id = submit(&mut c, 9, text(), 4 * BLS).unwrap();
    assert_eq!(proposal(&c, id).status, ProposalStatus::DepositPeriod);
    deposit(&mut c, 6, id, coins(6 * BLS)).unwrap();
    assert_eq!(proposal(&c, id).status, ProposalStatus::VotingPeriod);
    vote(&mut c, 1, id, 1).unwrap();
    vote(&mut c, 2, id, 4).unwrap();
    vote(&mut c, 3, id, 4).unwrap(); // 60% veto
    end_period(&mut c);
    assert_eq!(proposal(&c, id).status, ProposalStatus::Rejected);
    assert_eq!(c.supply(), supply - 10 * BLS);
    assert_eq!(c.burned(), burned + 10 * BLS);
    assert!(c.events_of("active_proposal").iter().any(|e| e
        .attributes
        .iter()
        .any(|(k, v)| k == "proposal_result" && v == "proposal_vetoed")));
}

#[test]
fn delegators_inherit_their_validators_vote_unless_they_vote() {
    // Account 5 delegates 20 BLS to validator 1 (now 60 of 120 bonded).
    let setup = || {
        let mut c = chain();
        c.tx(
            &addr(5),
            encode_any(
                &MsgDelegate {
                    delegator: addr(5).to_string(),
                    validator: addr(1).to_string(),
                    amount: Some(ubls(20 * BLS)),
                },
                MSG_DELEGATE,
            ),
        )
        .unwrap();
        c.next_block();
        let id = submit(&mut c, 9, text(), 10 * BLS).unwrap();
        vote(&mut c, 1, id, 1).unwrap();
        vote(&mut c, 2, id, 3).unwrap();
        (c, id)
    };
    // Inherited: validator 1 votes its 60 yes, 2 votes 30 no → 60/90 passes.
    let (mut c, id) = setup();
    end_period(&mut c);
    let p = proposal(&c, id);
    assert_eq!(
        (p.final_tally_result.yes, p.final_tally_result.no),
        (60 * BLS, 30 * BLS)
    );
    assert_eq!(p.status, ProposalStatus::Passed);
    // Overridden: 5 votes no with its 20 → 40 yes, 50 no: rejected.
    let (mut c, id) = setup();
    vote(&mut c, 5, id, 3).unwrap();
    let live: Value = c.query("gov", "Tally", json!({"proposal_id": id})).unwrap();
    assert_eq!(live["tally"]["yes"], json!((40 * BLS).to_string()));
    assert_eq!(live["total_bonded"], json!((120 * BLS).to_string()));
    end_period(&mut c);
    let p = proposal(&c, id);
    assert_eq!(
        (p.final_tally_result.yes, p.final_tally_result.no),
        (40 * BLS, 50 * BLS)
    );
    assert_eq!(p.status, ProposalStatus::Rejected);
}

#[test]
fn votes_and_deposits_outside_their_periods_or_malformed_are_refused() {
    let mut c = chain();
    let wrong = GovError::WrongStatus {
        id: 0,
        status: "",
        action: "",
    };
    // Initial deposit below the minimum, in another denom, or nothing.
    assert_refused(
        submit(&mut c, 9, text(), BLS - 1),
        &GovError::InitialDepositTooLow { got: 0, need: 0 },
    );
    let other = vec![ProtoCoin {
        denom: "uatom".into(),
        amount: "5".into(),
    }];
    assert_refused(
        c.tx(
            &addr(9),
            encode_any(
                &MsgSubmitProposal {
                    content: Some(text()),
                    initial_deposit: other.clone(),
                    proposer: addr(9).to_string(),
                },
                MSG_SUBMIT_PROPOSAL,
            ),
        ),
        &GovError::InvalidDeposit(String::new()),
    );
    // An unknown content type and an empty title.
    let unknown = Any {
        type_url: "/cosmos.gov.v1beta1.Evil".into(),
        value: vec![],
    };
    assert_refused(
        submit(&mut c, 9, unknown, BLS),
        &GovError::InvalidContent(String::new()),
    );
    let untitled = encode_any(
        &TextProposal {
            title: " ".into(),
            description: String::new(),
        },
        TEXT_PROPOSAL,
    );
    assert_refused(
        submit(&mut c, 9, untitled, BLS),
        &GovError::InvalidField {
            field: "",
            reason: String::new(),
        },
    );

    let id = submit(&mut c, 9, text(), BLS).unwrap();
    assert_refused(vote(&mut c, 1, id, 1), &wrong); // still gathering deposits
    assert_refused(
        deposit(&mut c, 6, id, other),
        &GovError::InvalidDeposit(String::new()),
    );
    assert_refused(
        deposit(&mut c, 6, id, coins(0)),
        &GovError::InvalidDeposit(String::new()),
    );
    assert_refused(
        deposit(&mut c, 6, 99, coins(BLS)),
        &GovError::UnknownProposal(0),
    );
    deposit(&mut c, 6, id, coins(9 * BLS)).unwrap();
    for bad in [0, 5, -1] {
        assert_refused(vote(&mut c, 1, id, bad), &GovError::InvalidVoteOption(0));
    }
    assert_refused(vote(&mut c, 1, 99, 1), &GovError::UnknownProposal(0));
    // Voting again replaces the vote.
    vote(&mut c, 1, id, 3).unwrap();
    vote(&mut c, 1, id, 1).unwrap();
    let v: Value = c
        .query(
            "gov",
            "Vote",
            json!({"proposal_id": id, "voter": addr(1).to_string()}),
        )
        .unwrap();
    assert_eq!(v["vote"]["option"], json!("VOTE_OPTION_YES"));
    end_period(&mut c);
    assert_eq!(proposal(&c, id).status, ProposalStatus::Passed);
    assert_refused(vote(&mut c, 2, id, 1), &wrong);
    assert_refused(deposit(&mut c, 6, id, coins(BLS)), &wrong);
}

#[test]
fn a_proposal_short_of_its_deposit_is_dropped_and_refunded() {
    let mut c = chain();
    let before = (c.balance(&addr(9)), c.balance(&addr(6)));
    let id = submit(&mut c, 9, text(), 2 * BLS).unwrap();
    deposit(&mut c, 6, id, coins(3 * BLS)).unwrap();
    end_period(&mut c);
    assert!(c
        .query::<Value>("gov", "Proposal", json!({"proposal_id": id}))
        .is_err());
    assert_eq!((c.balance(&addr(9)), c.balance(&addr(6))), before);
    assert_eq!(c.balance(&bls_gov::state::DEPOSITS_ACCOUNT.address()), 0);
}

#[test]
fn a_passed_proposal_that_fails_when_carried_out_applies_nothing() {
    let mut c = chain();
    // B: valid now (9 BLS ≤ min_deposit 10 BLS), together with a quorum change.
    let b = submit(
        &mut c,
        9,
        param_change(&[
            ("gov", "quorum_bps", "5000"),
            ("gov", "min_initial_deposit", "\"9000000\""),
        ]),
        10 * BLS,
    )
    .unwrap();
    c.next_block();
    // A, voted on one block later: lowers min_deposit to 5 BLS, which makes B invalid.
    let a = submit(
        &mut c,
        9,
        param_change(&[("gov", "min_deposit", "\"5000000\"")]),
        10 * BLS,
    )
    .unwrap();
    for v in [1, 2, 3] {
        vote(&mut c, v, a, 1).unwrap();
        vote(&mut c, v, b, 1).unwrap();
    }
    // B's vote ends one block before A's: B passes, and then A no longer fits.
    end_period(&mut c);
    let (pa, pb) = (proposal(&c, a), proposal(&c, b));
    assert_eq!(pb.status, ProposalStatus::Passed, "{}", pb.failed_reason);
    assert_eq!(pa.status, ProposalStatus::Failed);
    assert!(
        pa.failed_reason.contains("min_initial_deposit"),
        "{}",
        pa.failed_reason
    );
    let g = params(&c, "gov");
    assert_eq!(
        g["min_deposit"],
        json!((10 * BLS).to_string()),
        "A applied nothing"
    );
    assert_eq!(g["quorum_bps"], json!(5000));
}

#[test]
fn software_upgrades_are_scheduled_replaced_and_cancelled_by_vote() {
    let mut c = chain();
    let h = c.block.height as i64;
    // A plan at or below the current height, with a path in its name, or with a time.
    assert_refused(
        submit(&mut c, 9, upgrade("v2", h), BLS),
        &GovError::InvalidContent(String::new()),
    );
    assert_refused(
        submit(&mut c, 9, upgrade("../v2", h + 100), BLS),
        &GovError::InvalidContent(String::new()),
    );
    let timed = encode_any(
        &SoftwareUpgradeProposal {
            title: "t".into(),
            description: String::new(),
            plan: Some(Plan {
                name: "v2".into(),
                time: Some(Default::default()),
                height: h + 100,
                info: String::new(),
                upgraded_client_state: None,
            }),
        },
        SOFTWARE_UPGRADE_PROPOSAL,
    );
    assert_refused(
        submit(&mut c, 9, timed, BLS),
        &GovError::InvalidContent(String::new()),
    );

    // A plan whose height the vote outlasts fails when carried out.
    let late = submit(&mut c, 9, upgrade("late", h + 5), 10 * BLS).unwrap();
    let id = submit(&mut c, 9, upgrade("v2", h + 100), 10 * BLS).unwrap();
    for v in [1, 2, 3] {
        vote(&mut c, v, late, 1).unwrap();
        vote(&mut c, v, id, 1).unwrap();
    }
    end_period(&mut c);
    let p = proposal(&c, late);
    assert_eq!(p.status, ProposalStatus::Failed);
    assert!(
        p.failed_reason.contains("not after the current height"),
        "{}",
        p.failed_reason
    );
    assert_eq!(proposal(&c, id).status, ProposalStatus::Passed);
    let plan: Value = c.query("upgrade", "CurrentPlan", json!({})).unwrap();
    assert_eq!(plan["plan"]["name"], json!("v2"));
    assert_eq!(plan["plan"]["height"], json!(h + 100));

    let cancel = encode_any(
        &CancelSoftwareUpgradeProposal {
            title: "stop".into(),
            description: String::new(),
        },
        CANCEL_SOFTWARE_UPGRADE_PROPOSAL,
    );
    let id = submit(&mut c, 9, cancel, 10 * BLS).unwrap();
    for v in [1, 2, 3] {
        vote(&mut c, v, id, 1).unwrap();
    }
    end_period(&mut c);
    let plan: Value = c.query("upgrade", "CurrentPlan", json!({})).unwrap();
    assert_eq!(plan["plan"], Value::Null);
}

#[test]
fn genesis_export_keeps_open_proposals_deposits_and_votes() {
    let mut c = chain();
    let open = submit(&mut c, 9, text(), 10 * BLS).unwrap();
    vote(&mut c, 1, open, 1).unwrap();
    let gathering = submit(&mut c, 6, text(), 2 * BLS).unwrap();
    let exported = c.export();
    assert_eq!(exported["gov"]["proposals"].as_array().unwrap().len(), 2);
    let (mut again, _) = c.reimport().expect("reimport");
    assert_eq!(again.export(), exported);
    // The reimported chain carries both proposals to their end.
    end_period(&mut again);
    assert_eq!(proposal(&again, open).status, ProposalStatus::Passed);
    assert!(again
        .query::<Value>("gov", "Proposal", json!({"proposal_id": gathering}))
        .is_err());
    // A genesis whose deposits do not match the gov account is refused.
    let mut bad = exported.clone();
    bad["gov"]["deposits"][0]["amount"] = json!("1");
    let sections: Vec<(&str, Value)> = bad
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    assert!(TestChain::with_genesis(modules(), &sections).is_err());
}

#[test]
fn one_end_block_settles_a_bounded_number_of_proposals() {
    let mut c = chain();
    let n = bls_gov::lifecycle::MAX_SETTLED_PER_BLOCK + 4;
    let ids: Vec<u64> = (0..n)
        .map(|_| submit(&mut c, 9, text(), 10 * BLS).unwrap())
        .collect();
    let settled = |c: &TestChain| {
        ids.iter()
            .filter(|id| proposal(c, **id).status != ProposalStatus::VotingPeriod)
            .count()
    };
    let mut seen = Vec::new();
    while settled(&c) < n {
        assert!(seen.len() < 3 * PERIOD as usize, "never settled");
        c.next_block();
        seen.push(settled(&c));
    }
    // The block their votes ended in settled the first ones, the next block the rest.
    let first = seen.iter().position(|s| *s > 0).unwrap();
    assert_eq!(
        seen[first],
        bls_gov::lifecycle::MAX_SETTLED_PER_BLOCK,
        "{seen:?}"
    );
    assert_eq!(seen[first + 1], n, "{seen:?}");
}
