//! The modules' hand-tagged prost structs encode exactly as the types generated from proto/,
//! for every `bls.*` tx message and response, and the set of messages the modules route is the
//! set of `Msg` rpcs in proto/.
//!
//! Each message is checked both ways:
//! - a hand-built module value with every field set (struct literals without `..Default`, so a
//!   field the test forgets does not compile) encodes to bytes the generated type decodes and
//!   re-encodes unchanged; decoded through the schema, every field is set and none is unknown
//!   (a module field missing from proto/ would show up as unknown); both print the same field
//!   names and values (which catches a signedness or width difference the wire hides);
//! - a value generated from the schema alone (every field of every message non-default, two
//!   elements per list, negative numbers in signed fields) decodes into the module struct and
//!   re-encodes byte for byte (a proto field the module lacks would be dropped).

mod common;

use std::collections::BTreeSet;

use bls_core::{Module, ModuleSpec};
use bls_proto::bls::{fees::v1 as fees, orchestration::v1 as orch, registry::v1 as reg};
use bls_proto::bls::{slashing::v1 as slashing, staking::v1 as staking};
use bls_proto::descriptor_pool;
use common::{assert_complete, filled, shape};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as SdkCoin;
use prost::{Message, Name};
use prost_reflect::DynamicMessage;

/// Checks one hand/generated pair; returns the message's full name.
fn check<H, G>(hand: H, type_url: Option<&str>) -> String
where
    H: Message + Default + std::fmt::Debug,
    G: Message + Default + Name + std::fmt::Debug,
{
    let name = G::full_name();
    if let Some(url) = type_url {
        assert_eq!(url, G::type_url(), "type URL of {name}");
    }
    let desc = descriptor_pool()
        .get_message_by_name(&name)
        .unwrap_or_else(|| panic!("{name} is in the pool"));

    // Module value → generated type.
    let bytes = hand.encode_to_vec();
    let generated = G::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        generated.encode_to_vec(),
        bytes,
        "{name}: generated re-encoding"
    );
    let dynamic = DynamicMessage::decode(desc.clone(), bytes.as_slice()).expect("schema decode");
    assert_complete(&dynamic, &name);
    assert_eq!(
        shape(&format!("{hand:?}")),
        shape(&format!("{generated:?}")),
        "{name}: field names and values"
    );
    let back = H::decode(generated.encode_to_vec().as_slice()).expect("module decode");
    assert_eq!(back.encode_to_vec(), bytes, "{name}: module re-encoding");

    // Schema value → module struct.
    let from_schema = filled(&desc).encode_to_vec();
    let hand = H::decode(from_schema.as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        hand.encode_to_vec(),
        from_schema,
        "{name}: schema value through the module"
    );
    let generated = G::decode(from_schema.as_slice()).expect("generated decode");
    assert_eq!(
        generated.encode_to_vec(),
        from_schema,
        "{name}: schema value, generated"
    );
    name
}

fn sdk_coin(amount: &str) -> Option<SdkCoin> {
    Some(SdkCoin {
        denom: "ubls".into(),
        amount: amount.into(),
    })
}

fn coin(amount: &str) -> Option<bls_registry::msgs::ProtoCoin> {
    Some(bls_registry::msgs::ProtoCoin {
        denom: "ubls".into(),
        amount: amount.into(),
    })
}

fn staking_msgs() -> Vec<String> {
    use bls_staking::msgs::*;
    vec![
        check::<_, staking::MsgCreateValidator>(
            MsgCreateValidator {
                operator: "bls1op".into(),
                consensus_pubkey: vec![1; 32],
                moniker: "val".into(),
                commission_bps: 500,
                self_bond: sdk_coin("1000000"),
            },
            Some(MSG_CREATE_VALIDATOR),
        ),
        check::<_, staking::MsgCreateValidatorResponse>(
            MsgCreateValidatorResponse {
                consensus_address: "ABCD".into(),
            },
            Some(MSG_CREATE_VALIDATOR_RESPONSE),
        ),
        check::<_, staking::MsgEditValidator>(
            MsgEditValidator {
                operator: "bls1op".into(),
                validator: "bls1val".into(),
                moniker: "new".into(),
                commission_bps: Some(700),
            },
            Some(MSG_EDIT_VALIDATOR),
        ),
        check::<_, staking::MsgEditValidatorResponse>(
            MsgEditValidatorResponse {},
            Some(MSG_EDIT_VALIDATOR_RESPONSE),
        ),
        check::<_, staking::MsgDelegate>(
            MsgDelegate {
                delegator: "bls1del".into(),
                validator: "bls1val".into(),
                amount: sdk_coin("5"),
            },
            Some(MSG_DELEGATE),
        ),
        check::<_, staking::MsgDelegateResponse>(
            MsgDelegateResponse {},
            Some(MSG_DELEGATE_RESPONSE),
        ),
        check::<_, staking::MsgUndelegate>(
            MsgUndelegate {
                delegator: "bls1del".into(),
                validator: "bls1val".into(),
                amount: sdk_coin("3"),
            },
            Some(MSG_UNDELEGATE),
        ),
        check::<_, staking::MsgUndelegateResponse>(
            MsgUndelegateResponse {
                completion_height: 99,
                unbonding_id: 4,
                completion_time: -1_700_000_000,
            },
            Some(MSG_UNDELEGATE_RESPONSE),
        ),
    ]
}

fn slashing_and_fees_msgs() -> Vec<String> {
    use bls_fees::msgs::*;
    use bls_slashing::msgs::*;
    vec![
        check::<_, slashing::MsgUnjail>(
            MsgUnjail {
                operator: "bls1op".into(),
                validator: "bls1val".into(),
            },
            Some(MSG_UNJAIL),
        ),
        check::<_, slashing::MsgUnjailResponse>(MsgUnjailResponse {}, Some(MSG_UNJAIL_RESPONSE)),
        check::<_, fees::MsgWithdrawRewards>(
            MsgWithdrawRewards {
                address: "bls1acc".into(),
            },
            Some(MSG_WITHDRAW_REWARDS),
        ),
        check::<_, fees::MsgWithdrawRewardsResponse>(
            MsgWithdrawRewardsResponse {
                amount: sdk_coin("12"),
            },
            Some(MSG_WITHDRAW_REWARDS_RESPONSE),
        ),
    ]
}

fn capabilities() -> Option<bls_registry::msgs::Capabilities> {
    Some(bls_registry::msgs::Capabilities {
        memory_mb: 512,
        max_timeout_ms: 60_000,
        http_allowed: true,
    })
}

fn registry_msgs() -> Vec<String> {
    use bls_registry::msgs::*;
    vec![
        check::<_, reg::Capabilities>(capabilities().expect("some"), None),
        check::<_, reg::MsgRegisterWorker>(
            MsgRegisterWorker {
                operator: "bls1op".into(),
                result_pubkey: vec![2; 33],
                peer_id: "12D3Koo".into(),
                multiaddrs: vec!["/ip4/1.2.3.4/tcp/1".into(), "/ip4/5.6.7.8/tcp/2".into()],
                region: "eu-west".into(),
                network: "AS13335".into(),
                capabilities: capabilities(),
                role: "head".into(),
                bond: coin("150000000"),
                encryption_pubkey: vec![9; 32],
            },
            Some(MSG_REGISTER_WORKER),
        ),
        check::<_, reg::MsgRegisterWorkerResponse>(
            MsgRegisterWorkerResponse {
                worker_id: "bls1op".into(),
            },
            Some(MSG_REGISTER_WORKER_RESPONSE),
        ),
        check::<_, reg::MsgUpdateWorker>(
            MsgUpdateWorker {
                operator: "bls1op".into(),
                worker: "bls1op".into(),
                result_pubkey: vec![3; 33],
                peer_id: "12D3Koo2".into(),
                multiaddrs: vec!["/ip4/9.9.9.9/tcp/3".into()],
                region: "us-east".into(),
                network: "203.0.113.0/24".into(),
                capabilities: capabilities(),
                add_bond: coin("7"),
                encryption_pubkey: vec![8; 32],
            },
            Some(MSG_UPDATE_WORKER),
        ),
        check::<_, reg::MsgUpdateWorkerResponse>(
            MsgUpdateWorkerResponse {},
            Some(MSG_UPDATE_WORKER_RESPONSE),
        ),
        check::<_, reg::MsgDeregisterWorker>(
            MsgDeregisterWorker {
                operator: "bls1op".into(),
                worker: "bls1op".into(),
            },
            Some(MSG_DEREGISTER_WORKER),
        ),
        check::<_, reg::MsgDeregisterWorkerResponse>(
            MsgDeregisterWorkerResponse {
                completion_height: 77,
            },
            Some(MSG_DEREGISTER_WORKER_RESPONSE),
        ),
        check::<_, reg::MsgUnjailWorker>(
            MsgUnjailWorker {
                operator: "bls1op".into(),
                worker: "bls1op".into(),
            },
            Some(MSG_UNJAIL_WORKER),
        ),
        check::<_, reg::MsgUnjailWorkerResponse>(
            MsgUnjailWorkerResponse {},
            Some(MSG_UNJAIL_WORKER_RESPONSE),
        ),
        check::<_, reg::MsgBondWorker>(
            MsgBondWorker {
                operator: "bls1op".into(),
                amount: coin("8"),
            },
            Some(MSG_BOND_WORKER),
        ),
        check::<_, reg::MsgBondWorkerResponse>(
            MsgBondWorkerResponse { bond: "158".into() },
            Some(MSG_BOND_WORKER_RESPONSE),
        ),
        check::<_, reg::MsgUnbondWorker>(
            MsgUnbondWorker {
                operator: "bls1op".into(),
                amount: coin("9"),
            },
            Some(MSG_UNBOND_WORKER),
        ),
        check::<_, reg::MsgUnbondWorkerResponse>(
            MsgUnbondWorkerResponse {
                completion_height: 88,
            },
            Some(MSG_UNBOND_WORKER_RESPONSE),
        ),
    ]
}

fn orchestration_msgs() -> Vec<String> {
    use bls_orchestration::msgs::*;
    vec![
        check::<_, orch::MsgDeployFunction>(
            MsgDeployFunction {
                owner: "bls1owner".into(),
                wasm: vec![0, 0x61, 0x73, 0x6d],
                code_hash: vec![4; 32],
                source_uris: vec!["ipfs://a".into(), "https://b".into()],
                manifest_json: "manifest".into(),
                replication: 3,
                quorum: 2,
                code_size: 20 << 20,
            },
            Some(MSG_DEPLOY_FUNCTION),
        ),
        check::<_, orch::MsgDeployFunctionResponse>(
            MsgDeployFunctionResponse {
                function_id: 5,
                code_hash: "0404".into(),
            },
            Some(MSG_DEPLOY_FUNCTION_RESPONSE),
        ),
        check::<_, orch::MsgUpdateFunction>(
            MsgUpdateFunction {
                owner: "bls1owner".into(),
                function_id: 5,
                wasm: vec![0x1f, 0x8b],
                code_hash: vec![5; 32],
                source_uris: vec!["ipfs://c".into()],
                manifest_json: "manifest2".into(),
                replication: 5,
                quorum: 3,
                code_size: 9,
            },
            Some(MSG_UPDATE_FUNCTION),
        ),
        check::<_, orch::MsgUpdateFunctionResponse>(
            MsgUpdateFunctionResponse {
                version: 2,
                code_hash: "0505".into(),
            },
            Some(MSG_UPDATE_FUNCTION_RESPONSE),
        ),
        check::<_, orch::MsgRetireFunction>(
            MsgRetireFunction {
                owner: "bls1owner".into(),
                function_id: 5,
            },
            Some(MSG_RETIRE_FUNCTION),
        ),
        check::<_, orch::MsgRetireFunctionResponse>(
            MsgRetireFunctionResponse {},
            Some(MSG_RETIRE_FUNCTION_RESPONSE),
        ),
        check::<_, orch::MsgInvoke>(
            MsgInvoke {
                invoker: "bls1inv".into(),
                function_id: 5,
                input: b"stdin".to_vec(),
                args: vec!["a".into(), "b".into()],
                max_fee: coin("1000"),
                version: 3,
            },
            Some(MSG_INVOKE),
        ),
        check::<_, orch::MsgInvokeResponse>(
            MsgInvokeResponse {
                job_id: 9,
                workers: vec!["bls1w".into()],
            },
            Some(MSG_INVOKE_RESPONSE),
        ),
        check::<_, orch::MsgCommitResult>(
            MsgCommitResult {
                worker: "bls1w".into(),
                job_id: 9,
                commitment: vec![6; 32],
            },
            Some(MSG_COMMIT_RESULT),
        ),
        check::<_, orch::MsgCommitResultResponse>(
            MsgCommitResultResponse { reveals_open: true },
            Some(MSG_COMMIT_RESULT_RESPONSE),
        ),
        check::<_, orch::MsgRevealResult>(
            MsgRevealResult {
                worker: "bls1w".into(),
                job_id: 9,
                outcome: vec![7; 40],
                salt: vec![8; 16],
            },
            Some(MSG_REVEAL_RESULT),
        ),
        check::<_, orch::MsgRevealResultResponse>(
            MsgRevealResultResponse { finalized: true },
            Some(MSG_REVEAL_RESULT_RESPONSE),
        ),
        check::<_, orch::MsgDeclineJob>(
            MsgDeclineJob {
                worker: "bls1w".into(),
                job_id: 9,
                reason: DeclineReason::CodeMismatch as i32,
                detail: "ipfs: sha256 differs".into(),
            },
            Some(MSG_DECLINE_JOB),
        ),
        check::<_, orch::MsgDeclineJobResponse>(
            MsgDeclineJobResponse {
                commits_closed: true,
            },
            Some(MSG_DECLINE_JOB_RESPONSE),
        ),
    ]
}

fn signed_request() -> bls_orchestration::fastpath::msgs::SignedRequest {
    bls_orchestration::fastpath::msgs::SignedRequest {
        invoker: "bls1inv".into(),
        invoker_pubkey: vec![2; 33],
        function_id: 5,
        nonce: 42,
        max_fee: coin("500"),
        payload_hash: vec![9; 32],
        signature: vec![10; 64],
        code_hash: vec![4; 32],
        expiry_height: 120,
        time_secs: 1_800_000_000,
        time_nanos: 999,
        sign_scheme: 2,
    }
}

fn signed_results() -> Vec<bls_orchestration::fastpath::msgs::SignedResult> {
    use bls_orchestration::fastpath::msgs::SignedResult;
    vec![
        SignedResult {
            worker: "bls1w1".into(),
            result_hash: vec![11; 32],
            signature: vec![12; 64],
        },
        SignedResult {
            worker: "bls1w2".into(),
            result_hash: vec![13; 32],
            signature: vec![14; 64],
        },
    ]
}

fn fastpath_msgs() -> Vec<String> {
    use bls_orchestration::fastpath::msgs::*;
    let receipt = Receipt {
        request: Some(signed_request()),
        code_hash: vec![4; 32],
        result_hash: vec![11; 32],
        signatures: vec![
            WorkerSignature {
                worker: "bls1w1".into(),
                signature: vec![12; 64],
            },
            WorkerSignature {
                worker: "bls1w2".into(),
                signature: vec![15; 64],
            },
        ],
    };
    vec![
        check::<_, orch::SignedRequest>(signed_request(), None),
        check::<_, orch::Receipt>(receipt.clone(), None),
        check::<_, orch::MsgFastPathDeposit>(
            MsgFastPathDeposit {
                invoker: "bls1inv".into(),
                amount: coin("77"),
            },
            Some(MSG_FASTPATH_DEPOSIT),
        ),
        check::<_, orch::MsgFastPathDepositResponse>(
            MsgFastPathDepositResponse {
                deposit: "77".into(),
            },
            Some(MSG_FASTPATH_DEPOSIT_RESPONSE),
        ),
        check::<_, orch::MsgFastPathWithdraw>(
            MsgFastPathWithdraw {
                invoker: "bls1inv".into(),
                amount: coin("7"),
            },
            Some(MSG_FASTPATH_WITHDRAW),
        ),
        check::<_, orch::MsgFastPathWithdrawResponse>(
            MsgFastPathWithdrawResponse {
                deposit: "70".into(),
                withdrawn: "7".into(),
                release_height: 300,
            },
            Some(MSG_FASTPATH_WITHDRAW_RESPONSE),
        ),
        check::<_, orch::MsgSettleReceipts>(
            MsgSettleReceipts {
                head: "bls1head".into(),
                receipts: vec![receipt.clone(), receipt],
            },
            Some(MSG_SETTLE_RECEIPTS),
        ),
        check::<_, orch::MsgSettleReceiptsResponse>(
            MsgSettleReceiptsResponse {
                settled: 2,
                charged: "1000".into(),
            },
            Some(MSG_SETTLE_RECEIPTS_RESPONSE),
        ),
        check::<_, orch::MsgSubmitEvidence>(
            MsgSubmitEvidence {
                submitter: "bls1watch".into(),
                results: signed_results(),
                request: Some(signed_request()),
                outcomes: vec![
                    ResultOutcome {
                        result_hash: vec![11; 32],
                        outcome: vec![1, 2, 3],
                    },
                    ResultOutcome {
                        result_hash: vec![13; 32],
                        outcome: vec![4, 5],
                    },
                ],
            },
            Some(MSG_SUBMIT_EVIDENCE),
        ),
        check::<_, orch::MsgSubmitEvidenceResponse>(
            MsgSubmitEvidenceResponse {
                slashed: vec!["bls1w2".into()],
                missed: vec!["bls1w3".into()],
            },
            Some(MSG_SUBMIT_EVIDENCE_RESPONSE),
        ),
        check::<_, orch::MsgSetPinnedHeads>(
            MsgSetPinnedHeads {
                owner: "bls1owner".into(),
                function_id: 5,
                heads: vec!["bls1head".into(), "bls1head2".into()],
            },
            Some(MSG_SET_PINNED_HEADS),
        ),
        check::<_, orch::MsgSetPinnedHeadsResponse>(
            MsgSetPinnedHeadsResponse {},
            Some(MSG_SET_PINNED_HEADS_RESPONSE),
        ),
    ]
}

fn secrets_msgs() -> Vec<String> {
    use bls_orchestration::secrets::msgs::*;
    let envelope = |w: &str| SealedEnvelope {
        worker: w.into(),
        enc: vec![1; 32],
        ciphertext: vec![2; 60],
    };
    vec![
        check::<_, orch::SealedEnvelope>(envelope("bls1w"), None),
        check::<_, orch::MsgSetSecret>(
            MsgSetSecret {
                owner: "bls1owner".into(),
                function_id: 3,
                name: "API_KEY".into(),
                commitment: vec![5; 32],
                envelopes: vec![envelope("bls1a"), envelope("bls1b")],
                version: 4,
            },
            Some(MSG_SET_SECRET),
        ),
        check::<_, orch::MsgSetSecretResponse>(
            MsgSetSecretResponse { version: 4 },
            Some(MSG_SET_SECRET_RESPONSE),
        ),
        check::<_, orch::MsgUnsetSecret>(
            MsgUnsetSecret {
                owner: "bls1owner".into(),
                function_id: 3,
                name: "API_KEY".into(),
            },
            Some(MSG_UNSET_SECRET),
        ),
        check::<_, orch::MsgUnsetSecretResponse>(
            MsgUnsetSecretResponse {},
            Some(MSG_UNSET_SECRET_RESPONSE),
        ),
        check::<_, orch::MsgResealSecret>(
            MsgResealSecret {
                sealer: "bls1a".into(),
                function_id: 3,
                name: "API_KEY".into(),
                version: 4,
                envelope: Some(envelope("bls1c")),
            },
            Some(MSG_RESEAL_SECRET),
        ),
        check::<_, orch::MsgResealSecretResponse>(
            MsgResealSecretResponse { complete: true },
            Some(MSG_RESEAL_SECRET_RESPONSE),
        ),
        check::<_, orch::MsgReportUnopenableSecrets>(
            MsgReportUnopenableSecrets {
                worker: "bls1a".into(),
                function_id: 3,
                job_id: 9,
                reason: "does not open".into(),
                stale: true,
                name: "API_KEY".into(),
            },
            Some(MSG_REPORT_UNOPENABLE_SECRETS),
        ),
        check::<_, orch::MsgReportUnopenableSecretsResponse>(
            MsgReportUnopenableSecretsResponse { declined: true },
            Some(MSG_REPORT_UNOPENABLE_SECRETS_RESPONSE),
        ),
    ]
}

fn market_msgs() -> Vec<String> {
    use bls_orchestration::market::msgs::*;
    let fields = |owner: &str| {
        (
            owner.to_string(),
            "Hello".to_string(),
            "Greets".to_string(),
            vec!["demo".to_string(), "greeting".to_string()],
            "MIT".to_string(),
            "https://example.org/hello".to_string(),
            "Use freely".to_string(),
        )
    };
    let (owner, name, description, tags, license, source_url, terms) = fields("bls1owner");
    vec![
        check::<_, orch::MsgPublishListing>(
            MsgPublishListing {
                owner: owner.clone(),
                function_id: 5,
                name: name.clone(),
                description: description.clone(),
                tags: tags.clone(),
                license: license.clone(),
                source_url: source_url.clone(),
                price: coin("5000"),
                terms: terms.clone(),
            },
            Some(MSG_PUBLISH_LISTING),
        ),
        check::<_, orch::MsgPublishListingResponse>(
            MsgPublishListingResponse {},
            Some(MSG_PUBLISH_LISTING_RESPONSE),
        ),
        check::<_, orch::MsgUpdateListing>(
            MsgUpdateListing {
                owner: owner.clone(),
                function_id: 5,
                name,
                description,
                tags,
                license,
                source_url,
                price: coin("7000"),
                terms,
            },
            Some(MSG_UPDATE_LISTING),
        ),
        check::<_, orch::MsgUpdateListingResponse>(
            MsgUpdateListingResponse {},
            Some(MSG_UPDATE_LISTING_RESPONSE),
        ),
        check::<_, orch::MsgUnlistFunction>(
            MsgUnlistFunction {
                owner,
                function_id: 5,
            },
            Some(MSG_UNLIST_FUNCTION),
        ),
        check::<_, orch::MsgUnlistFunctionResponse>(
            MsgUnlistFunctionResponse {},
            Some(MSG_UNLIST_FUNCTION_RESPONSE),
        ),
    ]
}

fn head_msgs() -> Vec<String> {
    use bls_orchestration::fastpath::head::msgs::*;
    let statement = HeadStatement {
        head: "bls1head".into(),
        request_id: vec![16; 32],
        code_hash: vec![4; 32],
        result_hash: vec![11; 32],
        outcome_hash: vec![17; 32],
        height: 100,
        function_version: 2,
        subnetwork_height: 50,
        signatures: signed_results(),
        signature: vec![18; 64],
    };
    vec![
        check::<_, orch::HeadStatement>(statement.clone(), None),
        check::<_, orch::MsgReportHead>(
            MsgReportHead {
                reporter: "bls1rep".into(),
                request: Some(signed_request()),
                statement: Some(statement),
            },
            Some(MSG_REPORT_HEAD),
        ),
        check::<_, orch::MsgReportHeadResponse>(
            MsgReportHeadResponse {
                lie: "wrong_result".into(),
                slashed: "100".into(),
                refunded: "5".into(),
            },
            Some(MSG_REPORT_HEAD_RESPONSE),
        ),
        check::<_, orch::MsgChallengeHead>(
            MsgChallengeHead {
                invoker: "bls1inv".into(),
                request_id: vec![16; 32],
            },
            Some(MSG_CHALLENGE_HEAD),
        ),
        check::<_, orch::MsgChallengeHeadResponse>(
            MsgChallengeHeadResponse {
                head: "bls1head".into(),
                deadline: 140,
            },
            Some(MSG_CHALLENGE_HEAD_RESPONSE),
        ),
        check::<_, orch::MsgAnswerChallenge>(
            MsgAnswerChallenge {
                head: "bls1head".into(),
                request_id: vec![16; 32],
                outcome: vec![1, 2, 3],
            },
            Some(MSG_ANSWER_CHALLENGE),
        ),
        check::<_, orch::MsgAnswerChallengeResponse>(
            MsgAnswerChallengeResponse {
                deposit: "10".into(),
            },
            Some(MSG_ANSWER_CHALLENGE_RESPONSE),
        ),
    ]
}

/// `(type URL, response type URL)` of every `bls.*` message the modules route (what the app's
/// tx router accepts and answers).
fn routes() -> BTreeSet<(String, String)> {
    let routers = [
        &bls_staking::StakingModule::MSGS,
        &bls_slashing::SlashingModule::MSGS,
        &bls_fees::FeesModule::MSGS,
        &bls_registry::RegistryModule::MSGS,
        &bls_orchestration::OrchestrationModule::MSGS,
        &bls_beacon::BeaconModule::MSGS,
    ];
    routers
        .iter()
        .flat_map(|r| r.routes.iter())
        .map(|r| (r.type_url().to_string(), r.response_type_url().to_string()))
        .collect()
}

/// `(request, response)` full names of every `Msg` rpc of a `bls.*` package.
fn msg_rpcs() -> Vec<(String, String)> {
    descriptor_pool()
        .services()
        .filter(|s| s.package_name().starts_with("bls.") && s.name() == "Msg")
        .flat_map(|s| s.methods().collect::<Vec<_>>())
        .map(|m| {
            (
                m.input().full_name().to_string(),
                m.output().full_name().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_tx_message_encodes_as_its_generated_type() {
    let checked: BTreeSet<String> = [
        staking_msgs(),
        slashing_and_fees_msgs(),
        registry_msgs(),
        orchestration_msgs(),
        fastpath_msgs(),
        head_msgs(),
        secrets_msgs(),
        market_msgs(),
    ]
    .concat()
    .into_iter()
    .collect();
    // Every request and response of every Msg rpc went through `check`.
    for (input, output) in msg_rpcs() {
        assert!(checked.contains(&input), "{input} is not checked");
        assert!(checked.contains(&output), "{output} is not checked");
    }
}

#[test]
fn the_routed_messages_are_exactly_the_msg_rpcs() {
    let routed = routes();
    let rpcs: BTreeSet<(String, String)> = msg_rpcs()
        .into_iter()
        .map(|(input, output)| (format!("/{input}"), format!("/{output}")))
        .collect();
    assert!(!routed.is_empty());
    assert_eq!(
        routed, rpcs,
        "routed (type URL, response URL) vs Msg rpcs in proto/"
    );
    // The modules' own lists agree with their routers.
    let modules: [&dyn Module; 6] = [
        &bls_staking::StakingModule,
        &bls_slashing::SlashingModule,
        &bls_fees::FeesModule,
        &bls_registry::RegistryModule,
        &bls_orchestration::OrchestrationModule,
        &bls_beacon::BeaconModule,
    ];
    let listed: BTreeSet<String> = modules
        .iter()
        .flat_map(|m| m.msg_type_urls().iter())
        .map(|u| u.to_string())
        .collect();
    let routed_urls: BTreeSet<String> = routed.into_iter().map(|(u, _)| u).collect();
    assert_eq!(listed, routed_urls);
}

/// The trimmed copies of the SDK's tx envelope and key types (for other languages' clients)
/// decode the SDK's own encoding with every field known and re-encode it byte for byte.
#[test]
fn the_tx_envelope_copies_are_the_sdks() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{
        mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
    };
    use cosmos_sdk_proto::Any;
    let any = |url: &str| Any {
        type_url: url.into(),
        value: vec![10, 3, 1, 2, 3],
    };
    let body = TxBody {
        messages: vec![any("/bls.orchestration.v1.MsgInvoke")],
        memo: "m".into(),
        timeout_height: 9,
        extension_options: vec![any("/x.A")],
        non_critical_extension_options: vec![any("/x.B")],
    };
    #[allow(deprecated)]
    let auth = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(any("/cosmos.evm.crypto.v1.ethsecp256k1.PubKey")),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode: 127 })),
            }),
            sequence: 4,
        }],
        fee: Some(Fee {
            amount: vec![sdk_coin("5").unwrap()],
            gas_limit: 100,
            payer: "p".into(),
            granter: "g".into(),
        }),
        tip: None,
    };
    let raw = TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth.encode_to_vec(),
        signatures: vec![vec![7; 65]],
    };
    let doc = SignDoc {
        body_bytes: vec![1],
        auth_info_bytes: vec![2],
        chain_id: "c".into(),
        account_number: 3,
    };
    for (name, bytes) in [
        ("cosmos.tx.v1beta1.TxBody", body.encode_to_vec()),
        ("cosmos.tx.v1beta1.AuthInfo", auth.encode_to_vec()),
        ("cosmos.tx.v1beta1.TxRaw", raw.encode_to_vec()),
        ("cosmos.tx.v1beta1.SignDoc", doc.encode_to_vec()),
    ] {
        let desc = descriptor_pool().get_message_by_name(name).expect(name);
        let msg = DynamicMessage::decode(desc, bytes.as_slice()).expect(name);
        assert_eq!(msg.unknown_fields().count(), 0, "{name}");
        assert_eq!(msg.encode_to_vec(), bytes, "{name}");
    }
    // Both key copies are `{bytes key = 1}`, as the SDK's secp256k1 key.
    let key = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: vec![2; 33] };
    for name in [
        "cosmos.evm.crypto.v1.ethsecp256k1.PubKey",
        "bls.crypto.v1.AptosPubKey",
    ] {
        let desc = descriptor_pool().get_message_by_name(name).expect(name);
        let msg = DynamicMessage::decode(desc, key.encode_to_vec().as_slice()).unwrap();
        assert_eq!(msg.encode_to_vec(), key.encode_to_vec(), "{name}");
    }
}
