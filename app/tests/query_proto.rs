//! `bls.*` queries in protobuf as well as JSON, and proto/ as the schema of what the modules
//! really answer and emit, on a chain with a representative state: a validator with a
//! delegation and an unbonding, workers and a head, a deployed function with a finalized job,
//! a fast-path deposit with a pending withdrawal and pinned heads.
//!
//! - every rpc of every `bls.*` `service Query` in proto/ is asked in JSON: the answer is
//!   served (code 0) and parses as the rpc's response message with no field left over;
//! - the same request as the rpc's protobuf request message gets protobuf bytes with the same
//!   content as the JSON answer, and for one rpc per module they decode as the generated Rust
//!   response type;
//! - a method proto/ does not declare is an unknown path; a request that does not decode is an
//!   invalid request;
//! - every `bls.*` event the blocks emitted decodes into its proto/ event message.

mod app_chain;

use std::collections::BTreeSet;

use app_chain::{consensus_key, fund, genesis_doc, key, AppChain};
use bls_client::keys::KeyPair;
use bls_client::msgs as client_msgs;
use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::Coin;
use bls_orchestration::fastpath::msgs::{
    MsgFastPathDeposit, MsgFastPathWithdraw, MsgSetPinnedHeads, MSG_FASTPATH_DEPOSIT,
    MSG_FASTPATH_WITHDRAW, MSG_SET_PINNED_HEADS,
};
use bls_orchestration::msgs::ProtoCoin;
use bls_proto::prost_reflect::DynamicMessage;
use bls_proto::query::{json_to_message, Encoding, QueryRpc};
use bls_staking::msgs::{
    MsgCreateValidator, MsgDelegate, MsgUndelegate, MSG_CREATE_VALIDATOR, MSG_DELEGATE,
    MSG_UNDELEGATE,
};
use cosmos_sdk_proto::Any;
use prost::Message;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::{Event as AbciEvent, RequestQuery, ResponseQuery};

const BLS: u128 = 1_000_000;

/// The chain, the events of every block it ran, and who is who.
struct World {
    chain: AppChain,
    events: Vec<AbciEvent>,
    validator: KeyPair,
    delegator: KeyPair,
    owner: KeyPair,
    workers: Vec<KeyPair>,
    head: KeyPair,
    consensus: [u8; 32],
    code_hash: String,
}

impl World {
    /// Runs one block with `msgs` from `signer` (and every validator voting); the tx must pass.
    fn run(&mut self, signer: &KeyPair, msgs: Vec<Any>) {
        let tx = self.chain.sign(signer, msgs);
        self.block(vec![tx]);
    }

    fn block(&mut self, txs: Vec<Vec<u8>>) {
        let n = txs.len();
        let voters = if self.chain.height >= 3 {
            vec![self.consensus.to_vec()]
        } else {
            Vec::new()
        };
        let r = self.chain.block_with(txs, Vec::new(), voters);
        assert_eq!(r.tx_results.len(), n);
        for t in &r.tx_results {
            assert_eq!(t.code, 0, "{}", t.log);
            self.events.extend(t.events.iter().cloned());
        }
        self.events.extend(r.events);
    }

    fn query(&self, path: &str, data: Vec<u8>) -> ResponseQuery {
        self.chain.app.query(RequestQuery {
            path: path.into(),
            data: data.into(),
            ..Default::default()
        })
    }
}

fn outcome() -> Vec<u8> {
    Outcome {
        status: ExitStatus::Exited(0),
        stdout: b"hello".to_vec(),
        stdout_truncated: false,
        stderr: Vec::new(),
        stderr_truncated: false,
        fuel_used: 1_234,
        wall_time: std::time::Duration::ZERO,
        trap_message: None,
        calls: Vec::new(),
    }
    .canonical_bytes()
}

fn ubls(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin::ubls(amount))
}

fn world() -> World {
    let validator = key(5);
    let delegator = key(2);
    let owner = key(1);
    let workers: Vec<KeyPair> = (40..43).map(key).collect();
    let head = key(80);
    let mut state: Value =
        serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("devnet template");
    for k in [&validator, &delegator, &owner, &head]
        .into_iter()
        .chain(workers.iter())
    {
        fund(&mut state, k.address(), 1_000_000 * BLS);
    }
    let chain =
        AppChain::start(&genesis_doc("query-proto", state, &[], Some((999, 60)))).expect("genesis");
    let mut w = World {
        chain,
        events: Vec::new(),
        validator,
        delegator,
        owner,
        workers,
        head,
        consensus: consensus_key(5),
        code_hash: String::new(),
    };

    // Staking: a validator, a delegation, part of it unbonding.
    let (val, del) = (w.validator.clone(), w.delegator.clone());
    let create = encode_any(
        &MsgCreateValidator {
            operator: val.address().to_string(),
            consensus_pubkey: w.consensus.to_vec(),
            moniker: "v".into(),
            commission_bps: 500,
            self_bond: Some(bls_staking::msgs::ubls(100 * BLS)),
        },
        MSG_CREATE_VALIDATOR,
    );
    w.run(&val, vec![create]);
    let delegate = encode_any(
        &MsgDelegate {
            delegator: del.address().to_string(),
            validator: val.address().to_string(),
            amount: Some(bls_staking::msgs::ubls(10 * BLS)),
        },
        MSG_DELEGATE,
    );
    w.run(&del, vec![delegate]);
    let undelegate = encode_any(
        &MsgUndelegate {
            delegator: del.address().to_string(),
            validator: val.address().to_string(),
            amount: Some(bls_staking::msgs::ubls(BLS)),
        },
        MSG_UNDELEGATE,
    );
    w.run(&del, vec![undelegate]);

    // Gov: a parameter change whose vote a second deposit opens, voted on by the validator.
    let change = encode_any(
        &cosmos_sdk_proto::cosmos::params::v1beta1::ParameterChangeProposal {
            title: "fewer validators".into(),
            description: "d".into(),
            changes: vec![cosmos_sdk_proto::cosmos::params::v1beta1::ParamChange {
                subspace: "staking".into(),
                key: "max_validators".into(),
                value: "50".into(),
            }],
        },
        bls_gov::content::PARAMETER_CHANGE_PROPOSAL,
    );
    let gov_coins = |n: u128| {
        vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: "ubls".into(),
            amount: (n * BLS).to_string(),
        }]
    };
    w.run(
        &val,
        vec![encode_any(
            &bls_gov::msgs::MsgSubmitProposal {
                content: Some(change),
                initial_deposit: gov_coins(5),
                proposer: val.address().to_string(),
            },
            bls_gov::msgs::MSG_SUBMIT_PROPOSAL,
        )],
    );
    w.run(
        &del,
        vec![encode_any(
            &bls_gov::msgs::MsgDeposit {
                proposal_id: 1,
                depositor: del.address().to_string(),
                amount: gov_coins(5),
            },
            bls_gov::msgs::MSG_DEPOSIT,
        )],
    );
    w.run(
        &val,
        vec![encode_any(
            &bls_gov::msgs::MsgVote {
                proposal_id: 1,
                voter: val.address().to_string(),
                option: bls_gov::tally::YES,
            },
            bls_gov::msgs::MSG_VOTE,
        )],
    );

    // Registry: three workers and a head.
    let members: Vec<(KeyPair, &str, u128)> = w
        .workers
        .iter()
        .map(|k| (k.clone(), "worker", 150 * BLS))
        .chain([(w.head.clone(), "head", 1_500 * BLS)])
        .collect();
    for (i, (k, role, bond)) in members.iter().enumerate() {
        let result_key = key(120 + u8::try_from(i).expect("few"));
        let msg = client_msgs::register_worker(
            k.address(),
            &client_msgs::WorkerRegistration {
                result_pubkey: result_key.public_key_bytes().to_vec(),
                peer_id: format!("12D3KooW{i}"),
                multiaddrs: vec![format!("/ip4/127.0.0.1/tcp/{}", 4001 + i)],
                region: format!("region{i}"),
                network: format!("AS{}", 100 + i),
                memory_mb: 512,
                max_timeout_ms: 900_000,
                http_allowed: false,
                role: (*role).into(),
                bond: Coin::ubls(*bond),
                encryption_pubkey: bls_client::sealed::EncryptionKey::derive(k)
                    .public_bytes()
                    .to_vec(),
            },
        );
        w.run(k, vec![msg]);
    }

    // Orchestration: a function, pinned heads, a job carried to its result.
    let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
        .expect("wat");
    w.code_hash = hex::encode(Sha256::digest(&wasm));
    let owner = w.owner.clone();
    let deploy = client_msgs::deploy_function(
        owner.address(),
        &client_msgs::Deployment {
            wasm,
            code_hash: Vec::new(),
            source_uris: Vec::new(),
            manifest_json: "{}".into(),
            replication: 3,
            quorum: 2,
            code_size: 0,
        },
    );
    w.run(&owner, vec![deploy]);
    let listing = encode_any(
        &bls_orchestration::market::msgs::MsgPublishListing {
            owner: owner.address().to_string(),
            function_id: 1,
            name: "Empty".into(),
            description: "Does nothing".into(),
            tags: vec!["demo".into()],
            license: "MIT".into(),
            source_url: "https://example.org/empty".into(),
            price: Some(bls_orchestration::market::msgs::ProtoCoin::ubls(5)),
            terms: String::new(),
        },
        bls_orchestration::market::msgs::MSG_PUBLISH_LISTING,
    );
    w.run(&owner, vec![listing]);
    let pin = encode_any(
        &MsgSetPinnedHeads {
            owner: owner.address().to_string(),
            function_id: 1,
            heads: vec![w.head.address().to_string()],
        },
        MSG_SET_PINNED_HEADS,
    );
    w.run(&owner, vec![pin]);
    let invoke = client_msgs::invoke(
        del.address(),
        1,
        b"input".to_vec(),
        vec!["arg".into()],
        &Coin::ubls(10 * BLS),
    );
    w.run(&del, vec![invoke]);
    w.block(Vec::new()); // begin block assigns the job
    let out = outcome();
    let hash: [u8; 32] = Sha256::digest(&out).into();
    let salt = vec![7u8; 16];
    // The assigned members (the head may be one of them) commit, then reveal.
    let job = bls_orchestration::state::must_get_job(&w.chain.view(), 1).expect("job 1");
    let assigned: Vec<KeyPair> = job
        .assignments
        .iter()
        .map(|a| {
            w.workers
                .iter()
                .chain([&w.head])
                .find(|k| k.address() == &a.worker)
                .expect("an assigned member")
                .clone()
        })
        .collect();
    assert_eq!(assigned.len(), 3);
    let commits: Vec<Vec<u8>> = assigned
        .iter()
        .map(|k| {
            let msg = client_msgs::commit_result(k.address(), 1, &hash, &salt);
            w.chain.sign(k, vec![msg])
        })
        .collect();
    w.block(commits);
    let reveals: Vec<Vec<u8>> = assigned
        .iter()
        .map(|k| {
            let msg = client_msgs::reveal_result(k.address(), 1, out.clone(), salt.clone());
            w.chain.sign(k, vec![msg])
        })
        .collect();
    w.block(reveals);
    // A composed function (it calls the listed function 1) and its open job 2, which pins it.
    let composed = client_msgs::deploy_function(
        owner.address(),
        &client_msgs::Deployment {
            wasm: wat::parse_str(
                r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
            )
            .expect("wat"),
            code_hash: Vec::new(),
            source_uris: Vec::new(),
            manifest_json: r#"{"calls":[1]}"#.into(),
            replication: 3,
            quorum: 2,
            code_size: 0,
        },
    );
    w.run(&owner, vec![composed]);
    let invoke = client_msgs::invoke(
        del.address(),
        2,
        b"input".to_vec(),
        vec![],
        &Coin::ubls(10 * BLS),
    );
    w.run(&del, vec![invoke]);
    let job2 = bls_orchestration::state::must_get_job(&w.chain.view(), 2).expect("job 2");
    assert_eq!(job2.callees.len(), 1, "job 2 pins function 1");
    assert_eq!(job2.call_reserve, 16 * 5);

    // Fast path: a deposit with part of it requested back.
    let deposit = encode_any(
        &MsgFastPathDeposit {
            invoker: del.address().to_string(),
            amount: ubls(50 * BLS),
        },
        MSG_FASTPATH_DEPOSIT,
    );
    w.run(&del, vec![deposit]);
    let withdraw = encode_any(
        &MsgFastPathWithdraw {
            invoker: del.address().to_string(),
            amount: ubls(5 * BLS),
        },
        MSG_FASTPATH_WITHDRAW,
    );
    w.run(&del, vec![withdraw]);

    // Secrets: one sealed to every member of function 1's subnetwork.
    let members: Value = serde_json::from_slice(&ok(
        &w.query(
            "/bls.orchestration.v1.Query/Secrets",
            br#"{"function_id":1}"#.to_vec(),
        ),
        "secrets",
    ))
    .expect("json");
    let scope = bls_client::sealed::Scope::Function {
        chain_id: "query-proto",
        function_id: 1,
        name: "API_KEY",
        version: 1,
    };
    let value = bls_client::sealed::SaltedValue::new("v").expect("value");
    let envelopes = members["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let worker = m["worker"].as_str().expect("worker");
            let key = hex::decode(m["encryption_pubkey"].as_str().expect("key")).expect("hex");
            let e = bls_client::sealed::seal(worker, &key, &scope, &value).expect("seal");
            bls_orchestration::secrets::msgs::SealedEnvelope {
                worker: worker.into(),
                enc: e.enc,
                ciphertext: e.ciphertext,
            }
        })
        .collect();
    let set =
        bls_client::secrets::set_secret_msg(&bls_orchestration::secrets::msgs::MsgSetSecret {
            owner: owner.address().to_string(),
            function_id: 1,
            name: "API_KEY".into(),
            commitment: value.commitment(&scope).to_vec(),
            envelopes,
            version: 1,
        });
    w.run(&owner, vec![set]);
    w.block(Vec::new());
    w
}

/// A representative JSON request of every rpc, by path.
fn requests(w: &World) -> Vec<(&'static str, Value)> {
    let val = w.validator.address().to_string();
    let del = w.delegator.address().to_string();
    let worker = w.workers[0].address().to_string();
    let zero_id = "00".repeat(32);
    vec![
        ("/bls.staking.v1.Query/Params", json!({})),
        ("/bls.staking.v1.Query/Validators", json!({"limit": 10})),
        ("/bls.staking.v1.Query/Validator", json!({"operator": val})),
        (
            "/bls.staking.v1.Query/Delegations",
            json!({"delegator": del}),
        ),
        (
            "/bls.staking.v1.Query/ValidatorDelegations",
            json!({"operator": val}),
        ),
        (
            "/bls.staking.v1.Query/UnbondingDelegations",
            json!({"delegator": del}),
        ),
        ("/bls.staking.v1.Query/Pool", json!({})),
        ("/bls.gov.v1.Query/Params", json!({})),
        ("/bls.gov.v1.Query/Proposal", json!({"proposal_id": 1})),
        ("/bls.gov.v1.Query/Proposals", json!({})),
        (
            "/bls.gov.v1.Query/Vote",
            json!({"proposal_id": 1, "voter": val}),
        ),
        ("/bls.gov.v1.Query/Votes", json!({"proposal_id": 1})),
        ("/bls.gov.v1.Query/Deposits", json!({"proposal_id": 1})),
        ("/bls.gov.v1.Query/Tally", json!({"proposal_id": 1})),
        (
            "/bls.gov.v1.Query/ModuleParams",
            json!({"module": "staking"}),
        ),
        ("/bls.upgrade.v1.Query/CurrentPlan", json!({})),
        ("/bls.upgrade.v1.Query/AppliedPlan", json!({"name": "v2"})),
        ("/bls.slashing.v1.Query/Params", json!({})),
        (
            "/bls.slashing.v1.Query/SigningInfo",
            json!({"validator": val}),
        ),
        ("/bls.slashing.v1.Query/SigningInfos", json!({})),
        ("/bls.fees.v1.Query/Params", json!({})),
        ("/bls.fees.v1.Query/Rewards", json!({"address": val})),
        ("/bls.fees.v1.Query/Totals", json!({})),
        ("/bls.fees.v1.Query/InvocationSplit", json!({})),
        ("/bls.registry.v1.Query/Worker", json!({"id": worker})),
        ("/bls.registry.v1.Query/Workers", json!({"limit": 2})),
        (
            "/bls.registry.v1.Query/WorkersByOperator",
            json!({"operator": worker}),
        ),
        ("/bls.registry.v1.Query/Params", json!({})),
        ("/bls.orchestration.v1.Query/Function", json!({"id": 1})),
        ("/bls.orchestration.v1.Query/Function", json!({"id": 2})),
        ("/bls.orchestration.v1.Query/Job", json!({"id": 2})),
        (
            "/bls.orchestration.v1.Query/Functions",
            json!({"owner": w.owner.address().to_string()}),
        ),
        (
            "/bls.orchestration.v1.Query/Code",
            json!({"hash": w.code_hash}),
        ),
        ("/bls.orchestration.v1.Query/Job", json!({"id": 1})),
        (
            "/bls.orchestration.v1.Query/Jobs",
            json!({"function_id": 1}),
        ),
        ("/bls.orchestration.v1.Query/Result", json!({"job_id": 1})),
        (
            "/bls.orchestration.v1.Query/JobsForWorker",
            json!({"worker": worker}),
        ),
        ("/bls.orchestration.v1.Query/Params", json!({})),
        (
            "/bls.orchestration.v1.Query/FastPathDeposit",
            json!({"invoker": del}),
        ),
        (
            "/bls.orchestration.v1.Query/PinnedHeads",
            json!({"function_id": 1}),
        ),
        (
            "/bls.orchestration.v1.Query/FastPathSettled",
            json!({"request_id": zero_id}),
        ),
        ("/bls.orchestration.v1.Query/FastPathStats", json!({})),
        (
            "/bls.orchestration.v1.Query/HeadChallenge",
            json!({"request_id": zero_id}),
        ),
        (
            "/bls.orchestration.v1.Query/OpenHeadChallenges",
            json!({"head": w.head.address().to_string()}),
        ),
        (
            "/bls.orchestration.v1.Query/Secrets",
            json!({"function_id": 1}),
        ),
        (
            "/bls.orchestration.v1.Query/SecretEnvelopes",
            json!({"function_id": 1, "worker": worker}),
        ),
        (
            "/bls.orchestration.v1.Query/PendingReseals",
            json!({"worker": worker}),
        ),
        (
            "/bls.orchestration.v1.Query/Listing",
            json!({"function_id": 1}),
        ),
        (
            "/bls.orchestration.v1.Query/Listings",
            json!({"tag": "demo", "order_by": "popularity", "limit": 5}),
        ),
        (
            "/bls.orchestration.v1.Query/FunctionStats",
            json!({"function_id": 1}),
        ),
        ("/bls.beacon.v1.Query/Randomness", json!({})),
    ]
}

fn ok(r: &ResponseQuery, what: &str) -> Vec<u8> {
    assert_eq!(r.code, 0, "{what}: {}", r.log);
    assert!(r.height > 0, "{what}: height");
    r.value.to_vec()
}

/// The JSON answer and the protobuf answer of one request, checked against each other.
fn ask_both(w: &World, rpc: &QueryRpc, request: &Value) -> (Vec<u8>, Vec<u8>) {
    let path = rpc.path();
    let json_answer = ok(
        &w.query(&path, serde_json::to_vec(request).expect("json")),
        &path,
    );
    // The schema describes the JSON answer: it parses as the response message, no field left.
    let from_json = json_to_message(&rpc.output(), &json_answer)
        .unwrap_or_else(|e| panic!("{path}: JSON answer does not fit proto/: {e}"));

    let request_msg = json_to_message(&rpc.input(), &serde_json::to_vec(request).expect("json"))
        .unwrap_or_else(|e| panic!("{path}: request does not fit proto/: {e}"));
    let proto_request = request_msg.encode_to_vec();
    assert_eq!(Encoding::of(&proto_request), Encoding::Protobuf);
    let proto_answer = ok(&w.query(&path, proto_request), &path);
    let from_proto = DynamicMessage::decode(rpc.output(), proto_answer.as_slice())
        .unwrap_or_else(|e| panic!("{path}: protobuf answer does not decode: {e}"));
    // Through its encoding, the JSON answer's message holds exactly what the protobuf answer
    // holds (a default written out in JSON is no field on the wire).
    let canonical = DynamicMessage::decode(rpc.output(), from_json.encode_to_vec().as_slice())
        .expect("re-decodes");
    assert_eq!(
        from_proto, canonical,
        "{path}: protobuf and JSON answers differ"
    );
    assert_eq!(proto_answer, from_json.encode_to_vec(), "{path}: bytes");
    (json_answer, proto_answer)
}

/// One rpc through the generated Rust response type `G`.
fn typed<G: Message + Default + PartialEq + std::fmt::Debug>(
    w: &World,
    path: &str,
    request: Value,
) -> (Value, G) {
    let rpc = QueryRpc::for_path(path).expect("bls path").expect("rpc");
    let (json_answer, proto_answer) = ask_both(w, &rpc, &request);
    let typed = G::decode(proto_answer.as_slice()).expect("generated type decodes");
    let via_json = G::decode(
        json_to_message(&rpc.output(), &json_answer)
            .expect("fits")
            .encode_to_vec()
            .as_slice(),
    )
    .expect("decodes");
    assert_eq!(typed, via_json, "{path}");
    (
        serde_json::from_slice(&json_answer).expect("json answer"),
        typed,
    )
}

#[test]
fn every_bls_query_answers_in_json_and_protobuf_alike() {
    let w = world();
    let requests = requests(&w);
    let asked: BTreeSet<&str> = requests.iter().map(|(p, _)| *p).collect();
    let rpcs: BTreeSet<String> = QueryRpc::all().iter().map(QueryRpc::path).collect();
    assert_eq!(
        asked,
        rpcs.iter().map(String::as_str).collect(),
        "one request per rpc of proto/"
    );
    for (path, request) in &requests {
        let rpc = QueryRpc::for_path(path).expect("bls path").expect("rpc");
        ask_both(&w, &rpc, request);
    }

    // One rpc per module through its generated type, with content spot-checked against JSON.
    use bls_proto::bls::{beacon, fees, orchestration as orch, registry, slashing, staking};
    let (j, t) = typed::<staking::v1::ValidatorInfo>(
        &w,
        "/bls.staking.v1.Query/Validator",
        json!({"operator": w.validator.address().to_string()}),
    );
    let v = t.validator.expect("validator");
    assert_eq!(
        v.operator,
        j["validator"]["operator"].as_str().expect("str")
    );
    assert_eq!(v.tokens, j["validator"]["tokens"].as_str().expect("str"));
    assert!(t.bonded);
    let (j, t) = typed::<slashing::v1::QuerySigningInfoResponse>(
        &w,
        "/bls.slashing.v1.Query/SigningInfo",
        json!({"validator": w.validator.address().to_string()}),
    );
    assert_eq!(
        t.info.expect("info").start_height,
        j["info"]["start_height"].as_u64().expect("u64")
    );
    let (j, t) = typed::<fees::v1::QueryTotalsResponse>(&w, "/bls.fees.v1.Query/Totals", json!({}));
    assert_eq!(
        t.totals.expect("totals").distributed,
        j["totals"]["distributed"].as_str().expect("str")
    );
    let (j, t) = typed::<registry::v1::QueryWorkerResponse>(
        &w,
        "/bls.registry.v1.Query/Worker",
        json!({"id": w.workers[0].address().to_string()}),
    );
    let worker = t.worker.expect("worker");
    assert_eq!(worker.status, "active");
    assert_eq!(worker.bond, j["worker"]["bond"].as_str().expect("str"));
    assert_eq!(t.result_keys.len(), 1);
    assert_eq!(t.result_keys[0].until_height, None);
    let (j, t) = typed::<orch::v1::QueryResultResponse>(
        &w,
        "/bls.orchestration.v1.Query/Result",
        json!({"job_id": 1}),
    );
    let result = t.result.expect("result");
    assert_eq!(result.outcome, outcome(), "bytes, base64 in JSON");
    assert_eq!(result.fee, j["result"]["fee"].as_str().expect("str"));
    assert!(result.workers.len() >= 2);
    let (_, t) = typed::<orch::v1::QueryFastPathSettledResponse>(
        &w,
        "/bls.orchestration.v1.Query/FastPathSettled",
        json!({"request_id": "00".repeat(32)}),
    );
    assert_eq!(t.height, None, "JSON null is an absent field");
    let (_, t) = typed::<orch::v1::QueryFunctionsResponse>(
        &w,
        "/bls.orchestration.v1.Query/Functions",
        json!({"limit": 1}),
    );
    assert_eq!(t.functions.len(), 1);
    assert_eq!(t.next, Some(1), "function 2 follows");
    let (_, t) = typed::<orch::v1::QueryJobResponse>(
        &w,
        "/bls.orchestration.v1.Query/Job",
        json!({"id": 2}),
    );
    let job2 = t.job.expect("job 2");
    assert_eq!(job2.callees.len(), 1);
    assert_eq!(job2.callees[0].function_id, 1);
    assert_eq!(job2.callees[0].price, "5");
    assert_eq!(job2.call_reserve, "80");
    let (j, t) = typed::<beacon::v1::QueryRandomnessResponse>(
        &w,
        "/bls.beacon.v1.Query/Randomness",
        json!({}),
    );
    assert_eq!(
        t.randomness.expect("randomness").value,
        j["randomness"]["value"].as_str().expect("str")
    );
}

#[test]
fn a_protobuf_request_at_a_past_height_and_refusals() {
    let w = world();
    // Past heights answer protobuf too.
    let r = w.chain.app.query(RequestQuery {
        path: "/bls.registry.v1.Query/Params".into(),
        data: Vec::new().into(),
        height: 2,
        ..Default::default()
    });
    let bytes = ok(&r, "params at height 2");
    assert_eq!(r.height, 2);
    let params = bls_proto::bls::registry::v1::QueryParamsResponse::decode(bytes.as_slice())
        .expect("decodes")
        .params
        .expect("params");
    assert!(!params.min_worker_bond.is_empty());

    // A method the schema does not declare is an unknown path, in either encoding.
    for data in [b"{}".to_vec(), Vec::new()] {
        let r = w.query("/bls.registry.v1.Query/Nope", data);
        assert_eq!((r.codespace.as_str(), r.code), ("sdk", 6), "{}", r.log);
        assert!(r.log.contains("no such rpc in proto/"), "{}", r.log);
    }
    // Bytes that are not the request message are an invalid request.
    let r = w.query("/bls.orchestration.v1.Query/Job", vec![0xff, 0xff, 0xff]);
    assert_eq!((r.codespace.as_str(), r.code), ("sdk", 18), "{}", r.log);
    assert!(
        r.log.contains("bls.orchestration.v1.QueryJobRequest"),
        "{}",
        r.log
    );
    // A module's own refusal keeps its code in protobuf as in JSON.
    let json = w.query("/bls.orchestration.v1.Query/Job", br#"{"id":99}"#.to_vec());
    let proto = w.query(
        "/bls.orchestration.v1.Query/Job",
        bls_proto::bls::orchestration::v1::QueryJobRequest { id: 99 }.encode_to_vec(),
    );
    assert_ne!(json.code, 0);
    assert_eq!(
        (json.code, json.codespace.as_str(), json.log.as_str()),
        (proto.code, proto.codespace.as_str(), proto.log.as_str())
    );
}

#[test]
fn every_bls_event_the_blocks_emitted_fits_its_proto_message() {
    let w = world();
    let mut seen = BTreeSet::new();
    for e in &w.events {
        let attrs: Vec<(String, String)> = e
            .attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect();
        match bls_proto::events::decode(&e.r#type, &attrs) {
            Ok(Some(_)) => {
                seen.insert(e.r#type.clone());
            }
            Ok(None) => assert!(
                !e.r#type.starts_with("bls."),
                "{} has no message in proto/",
                e.r#type
            ),
            Err(err) => panic!("{err}"),
        }
    }
    // The scenario reaches the events of every module that emits on these paths.
    for kind in [
        "create_validator",
        "delegate",
        "unbond",
        "validator_power_change",
        "fee_distribution",
        "submit_proposal",
        "proposal_deposit",
        "proposal_vote",
        "bls.worker_registered",
        "bls.function_deployed",
        "bls.subnetwork_placed",
        "bls.pinned_heads_set",
        "bls.job_queued",
        "bls.job_assigned",
        "bls.job_committed",
        "bls.job_reveals_open",
        "bls.job_revealed",
        "bls.job_finalized",
        "bls.fastpath_deposit",
        "bls.fastpath_withdraw_requested",
        "bls.beacon",
    ] {
        assert!(seen.contains(kind), "{kind} not emitted: {seen:?}");
    }
}
