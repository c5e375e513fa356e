//! Every event the `bls.*` modules emit has its `Event*` message in proto/, and no message is
//! left without an event: the event type constants of the modules (each one listed here and
//! found, by a scan of the modules' sources, to be the only thing `Event::new` is built from)
//! are exactly the `(bls.options.v1.event_type)` values of proto/. That each emitted event's
//! attributes fit its message is checked on real blocks by the app's `query_proto` test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bls_orchestration::fastpath::handlers as fastpath;
use bls_orchestration::fastpath::head::events as head;
use bls_orchestration::market::events as market;

/// Every event type constant of the `bls.*` modules, by the name the sources use.
fn constants() -> BTreeMap<&'static str, &'static str> {
    use bls_beacon::events as beacon;
    use bls_fees::events as fees;
    use bls_gov::events as gov;
    use bls_orchestration::events as orch;
    use bls_registry::events as reg;
    use bls_slashing::events as slashing;
    use bls_staking::events as staking;
    BTreeMap::from([
        ("CREATE_VALIDATOR", staking::CREATE_VALIDATOR),
        ("EDIT_VALIDATOR", staking::EDIT_VALIDATOR),
        ("DELEGATE", staking::DELEGATE),
        ("UNBOND", staking::UNBOND),
        ("COMPLETE_UNBONDING", staking::COMPLETE_UNBONDING),
        ("JAIL_LOW_SELF_BOND", staking::JAIL_LOW_SELF_BOND),
        ("POWER_CHANGE", staking::POWER_CHANGE),
        ("EMPTY_SET_AVOIDED", staking::EMPTY_SET_AVOIDED),
        ("SLASH", slashing::SLASH),
        ("LIVENESS", slashing::LIVENESS),
        ("UNJAIL", slashing::UNJAIL),
        ("EVIDENCE_IGNORED", slashing::EVIDENCE_IGNORED),
        ("SUBMIT_PROPOSAL", gov::SUBMIT_PROPOSAL),
        ("PROPOSAL_DEPOSIT", gov::PROPOSAL_DEPOSIT),
        ("PROPOSAL_VOTE", gov::PROPOSAL_VOTE),
        ("INACTIVE_PROPOSAL", gov::INACTIVE_PROPOSAL),
        ("ACTIVE_PROPOSAL", gov::ACTIVE_PROPOSAL),
        ("FEE_DISTRIBUTION", fees::FEE_DISTRIBUTION),
        ("WITHDRAW_REWARDS", fees::WITHDRAW_REWARDS),
        ("WORKER_REGISTERED", reg::WORKER_REGISTERED),
        ("WORKER_UPDATED", reg::WORKER_UPDATED),
        ("WORKER_DEREGISTERED", reg::WORKER_DEREGISTERED),
        ("WORKER_UNBONDED", reg::WORKER_UNBONDED),
        ("WORKER_KEY_ROTATED", reg::WORKER_KEY_ROTATED),
        ("WORKER_ENCRYPTION_KEY_SET", reg::WORKER_ENCRYPTION_KEY_SET),
        ("WORKER_UNJAILED", reg::WORKER_UNJAILED),
        ("WORKER_SLASHED", reg::WORKER_SLASHED),
        ("WORKER_JAILED", reg::WORKER_JAILED),
        ("WORKER_MISSED", reg::WORKER_MISSED),
        ("WORKER_BONDED", reg::WORKER_BONDED),
        ("WORKER_UNBOND_STARTED", reg::WORKER_UNBOND_STARTED),
        ("WORKER_UNBOND_COMPLETED", reg::WORKER_UNBOND_COMPLETED),
        ("WORKER_RESTITUTION", reg::WORKER_RESTITUTION),
        ("FUNCTION_DEPLOYED", orch::FUNCTION_DEPLOYED),
        ("FUNCTION_UPDATED", orch::FUNCTION_UPDATED),
        ("FUNCTION_RETIRED", orch::FUNCTION_RETIRED),
        ("SUBNETWORK_PLACED", orch::SUBNETWORK_PLACED),
        ("SUBNETWORK_REPAIRED", orch::SUBNETWORK_REPAIRED),
        ("JOB_QUEUED", orch::JOB_QUEUED),
        ("JOB_ASSIGNED", orch::JOB_ASSIGNED),
        ("JOB_REASSIGNED", orch::JOB_REASSIGNED),
        ("JOB_COMMITTED", orch::JOB_COMMITTED),
        ("JOB_REVEALS_OPEN", orch::JOB_REVEALS_OPEN),
        ("JOB_REVEALED", orch::JOB_REVEALED),
        ("JOB_FINALIZED", orch::JOB_FINALIZED),
        ("JOB_SETTLED", orch::JOB_SETTLED),
        ("JOB_FAILED", orch::JOB_FAILED),
        ("JOB_DEADLINE_FAILED", orch::JOB_DEADLINE_FAILED),
        ("JOB_ASSIGNMENT_FAILED", orch::JOB_ASSIGNMENT_FAILED),
        ("SUBNETWORK_REPAIR_FAILED", orch::SUBNETWORK_REPAIR_FAILED),
        ("PLACEMENT_FAILED", orch::PLACEMENT_FAILED),
        ("SECRET_SET", orch::SECRET_SET),
        ("SECRET_UNSET", orch::SECRET_UNSET),
        ("SECRET_RESEALED", orch::SECRET_RESEALED),
        ("SECRETS_RESEAL_NEEDED", orch::SECRETS_RESEAL_NEEDED),
        ("SECRETS_UNOPENABLE", orch::SECRETS_UNOPENABLE),
        ("JOB_DECLINED", orch::JOB_DECLINED),
        ("FASTPATH_DEPOSIT", fastpath::FASTPATH_DEPOSIT),
        (
            "FASTPATH_WITHDRAW_REQUESTED",
            fastpath::FASTPATH_WITHDRAW_REQUESTED,
        ),
        ("FASTPATH_WITHDRAW", fastpath::FASTPATH_WITHDRAW),
        ("FASTPATH_SETTLED", fastpath::FASTPATH_SETTLED),
        ("FASTPATH_EVIDENCE", fastpath::FASTPATH_EVIDENCE),
        ("PINNED_HEADS_SET", fastpath::PINNED_HEADS_SET),
        ("HEAD_REPORTED", head::HEAD_REPORTED),
        ("HEAD_CHALLENGED", head::HEAD_CHALLENGED),
        ("HEAD_CHALLENGE_ANSWERED", head::HEAD_CHALLENGE_ANSWERED),
        ("HEAD_CHALLENGE_UNANSWERED", head::HEAD_CHALLENGE_UNANSWERED),
        ("BEACON", beacon::BEACON),
        ("LISTING_PUBLISHED", market::LISTING_PUBLISHED),
        ("LISTING_UPDATED", market::LISTING_UPDATED),
        ("FUNCTION_UNLISTED", market::FUNCTION_UNLISTED),
        ("ROYALTY_PAID", market::ROYALTY_PAID),
    ])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The argument of every `Event::new(..)` in the `bls.*` modules' sources (the Cosmos bank's
/// events and the core's own type are not `bls.*` events).
fn event_constructions() -> Vec<(PathBuf, String)> {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../modules");
    let mut files = Vec::new();
    for m in [
        "staking",
        "slashing",
        "fees",
        "registry",
        "orchestration",
        "beacon",
        "gov",
    ] {
        rust_files(&modules.join(m).join("src"), &mut files);
    }
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        for (i, _) in text.match_indices("Event::new(") {
            let arg: String = text[i + "Event::new(".len()..]
                .chars()
                .take_while(|c| *c != ')')
                .collect();
            out.push((file.clone(), arg.trim().to_string()));
        }
    }
    out
}

#[test]
fn every_event_constant_has_its_message_and_every_message_an_event() {
    let constants = constants();
    let in_modules: BTreeSet<&str> = constants.values().copied().collect();
    let in_proto: BTreeSet<&str> = bls_proto::events::event_messages()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        in_modules, in_proto,
        "module event types vs proto/ event messages"
    );
}

#[test]
fn events_are_built_only_from_the_listed_constants() {
    let constants = constants();
    let built = event_constructions();
    assert!(
        built.len() >= 40,
        "scan found {} constructions",
        built.len()
    );
    for (file, arg) in built {
        // `events::JOB_ASSIGNED` or `JOB_ASSIGNED`: the constant's name.
        let name = arg.rsplit("::").next().unwrap_or_default();
        assert!(
            constants.contains_key(name),
            "{}: Event::new({arg}) is not a listed event constant (add its message to proto/ \
             and its constant here)",
            file.display()
        );
    }
}
