//! Sealed secrets on chain, attacked: who may set, reseal and report, what the envelopes must
//! match, who gets assigned, and that a worker whose envelope does not open is never penalized
//! (and nobody else is for it). The chain never sees a value: envelopes here are opaque bytes
//! (sealing and opening are tested in `bls-client`'s `sealed` and end to end).

mod common;

use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::secrets::msgs::*;
use bls_orchestration::secrets::queries::{
    PendingResealsResponse, SecretEnvelopesResponse, SecretsResponse,
};
use bls_orchestration::secrets::SecretsError;
use bls_orchestration::state::JobStatus;
use bls_orchestration::OrchestrationError;
use bls_testkit::{assert_refused, variant};
use common::*;

const FEE: u128 = 10_000_000;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "base_fee": "1000"
    })
}

struct S {
    c: Chain,
    ws: Vec<SimWorker>,
    owner: Address,
    f: u64,
}

impl S {
    /// Six workers with encryption keys; a 3-seat function n=3, m=2 owned by `user(1)`.
    fn new() -> S {
        let mut c = Chain::new(params());
        let ws = six_workers();
        for w in &ws {
            c.register(w);
        }
        let owner = user(1);
        c.fund(&owner, 1_000_000_000);
        c.fund(&user(2), 1_000_000_000);
        let f = c
            .deploy(&owner, hello_wasm(), r#"{"env":{"PLAIN":"x"}}"#, 3, 2)
            .unwrap();
        S { c, ws, owner, f }
    }

    fn members(&self) -> Vec<Address> {
        let r: bls_orchestration::queries::FunctionResponse = self
            .c
            .query(
                "orchestration",
                "Function",
                serde_json::json!({"id": self.f}),
            )
            .unwrap();
        r.subnetwork.expect("placed").workers
    }

    /// Invokes the function (as `user(2)`): the job id and its assigned workers, in order.
    fn invoke(&mut self) -> (u64, Vec<SimWorker>) {
        let job = self.c.invoke(&user(2), self.f, FEE).unwrap().job_id;
        let ws = self
            .c
            .job(job)
            .assignments
            .iter()
            .map(|a| find(&self.ws, a.worker.as_str()).clone())
            .collect();
        (job, ws)
    }

    fn member(&self, i: usize) -> &SimWorker {
        let m = self.members();
        find(&self.ws, m[i].as_str())
    }

    fn outsider(&self) -> &SimWorker {
        let m = self.members();
        self.ws.iter().find(|w| !m.contains(&w.addr)).unwrap()
    }

    fn envelope(worker: &Address, tag: u8) -> SealedEnvelope {
        SealedEnvelope {
            worker: worker.to_string(),
            enc: vec![tag; 32],
            ciphertext: vec![tag; 60],
        }
    }

    fn set_msg(&self, name: &str, version: u64, to: &[Address]) -> MsgSetSecret {
        MsgSetSecret {
            owner: self.owner.to_string(),
            function_id: self.f,
            name: name.into(),
            commitment: vec![9; 32],
            envelopes: to.iter().map(|w| Self::envelope(w, 1)).collect(),
            version,
        }
    }

    fn set(&mut self, signer: &Address, m: MsgSetSecret) -> Result<(), bls_core::ModuleError> {
        self.c
            .orch(signer, encode_any(&m, MSG_SET_SECRET))
            .map(|_| ())
    }

    fn set_ok(&mut self, name: &str) -> u64 {
        let v = self.secrets().last_version + 1;
        let m = self.set_msg(name, v, &self.members());
        let owner = self.owner.clone();
        self.set(&owner, m).unwrap();
        v
    }

    fn reseal(
        &mut self,
        sealer: &Address,
        name: &str,
        version: u64,
        to: &Address,
    ) -> Result<(), bls_core::ModuleError> {
        let m = MsgResealSecret {
            sealer: sealer.to_string(),
            function_id: self.f,
            name: name.into(),
            version,
            envelope: Some(Self::envelope(to, 2)),
        };
        self.c
            .orch(sealer, encode_any(&m, MSG_RESEAL_SECRET))
            .map(|_| ())
    }

    fn report(&mut self, w: &Address, job: u64) -> Result<(), bls_core::ModuleError> {
        self.report_with(w, job, "", false)
    }

    fn report_with(
        &mut self,
        w: &Address,
        job: u64,
        name: &str,
        stale: bool,
    ) -> Result<(), bls_core::ModuleError> {
        let m = MsgReportUnopenableSecrets {
            worker: w.to_string(),
            function_id: self.f,
            job_id: job,
            reason: "does not open".into(),
            stale,
            name: name.into(),
        };
        self.c
            .orch(w, encode_any(&m, MSG_REPORT_UNOPENABLE_SECRETS))
            .map(|_| ())
    }

    fn secrets(&self) -> SecretsResponse {
        self.c
            .query(
                "orchestration",
                "Secrets",
                serde_json::json!({"function_id": self.f}),
            )
            .unwrap()
    }

    fn missing(&self, w: &Address) -> Vec<String> {
        let r: SecretEnvelopesResponse = self
            .c
            .query(
                "orchestration",
                "SecretEnvelopes",
                serde_json::json!({"function_id": self.f, "worker": w.to_string()}),
            )
            .unwrap();
        let mut out = r.missing;
        out.extend(r.envelopes.into_iter().filter(|e| !e.valid).map(|e| e.name));
        out
    }

    fn pending(&self, w: &Address) -> PendingResealsResponse {
        self.c
            .query(
                "orchestration",
                "PendingReseals",
                serde_json::json!({"worker": w.to_string()}),
            )
            .unwrap()
    }
}

fn wrong_recipients() -> SecretsError {
    variant!(SecretsError::WrongRecipients {
        function,
        expected,
        problem
    })
}

fn invalid() -> SecretsError {
    variant!(SecretsError::InvalidField { field, reason })
}

fn not_allowed() -> SecretsError {
    variant!(SecretsError::NotAllowed {
        worker,
        function,
        reason
    })
}

#[test]
fn only_the_owner_sets_and_the_envelopes_must_be_exactly_the_members() {
    let mut s = S::new();
    let members = s.members();
    assert_eq!(members.len(), 3);
    let owner = s.owner.clone();

    // Someone else, even a member, cannot set the owner's secrets.
    let m = s.set_msg("API_KEY", 1, &members);
    let member = members[0].clone();
    assert_refused(
        s.set(
            &member,
            MsgSetSecret {
                owner: member.to_string(),
                ..m.clone()
            },
        ),
        &variant!(OrchestrationError::NotOwner {
            function,
            owner,
            signer
        }),
    );
    // Envelopes that leave a member out, add an outsider, or repeat one.
    let outsider = s.outsider().addr.clone();
    for to in [
        members[..2].to_vec(),
        [members.clone(), vec![outsider.clone()]].concat(),
        vec![members[0].clone(), members[0].clone(), members[1].clone()],
        vec![members[0].clone(), members[1].clone(), outsider],
    ] {
        assert_refused(
            s.set(&owner, s.set_msg("API_KEY", 1, &to)),
            &wrong_recipients(),
        );
    }
    // Malformed envelopes, names, commitments.
    let mut bad = s.set_msg("API_KEY", 1, &members);
    bad.envelopes[1].enc = vec![1; 31];
    assert_refused(s.set(&owner, bad), &invalid());
    let mut bad = s.set_msg("API_KEY", 1, &members);
    bad.envelopes[2].ciphertext = vec![1; 1 + 32 + 4096 + 16 + 1];
    assert_refused(s.set(&owner, bad), &invalid());
    let mut bad = s.set_msg("API_KEY", 1, &members);
    bad.commitment = vec![1; 31];
    assert_refused(s.set(&owner, bad), &invalid());
    for name in ["", "9LIVES", "A-B", "PATH=/x"] {
        assert_refused(s.set(&owner, s.set_msg(name, 1, &members)), &invalid());
    }
    // A plain manifest variable cannot be shadowed by a secret.
    assert_refused(s.set(&owner, s.set_msg("PLAIN", 1, &members)), &invalid());
    // The version must be the next one: a replayed or skipped version is refused.
    for v in [0, 2] {
        assert_refused(
            s.set(&owner, s.set_msg("API_KEY", v, &members)),
            &variant!(SecretsError::StaleVersion {
                function,
                name,
                current,
                given
            }),
        );
    }
    // Nothing of the refusals stuck.
    assert!(s.secrets().secrets.is_empty());

    assert_eq!(s.set_ok("API_KEY"), 1);
    let r = s.secrets();
    assert_eq!(r.secrets.len(), 1);
    assert_eq!(r.secrets[0].version, 1);
    assert!(r.members.iter().all(|m| m.missing.is_empty()));
    // Replaying the same set (same version) is refused; a new version replaces it.
    assert_refused(
        s.set(&owner, s.set_msg("API_KEY", 1, &members)),
        &variant!(SecretsError::StaleVersion {
            function,
            name,
            current,
            given
        }),
    );
    assert_eq!(s.set_ok("API_KEY"), 2);
    // An update of the manifest cannot add a plain variable with a secret's name.
    let upd = bls_orchestration::msgs::MsgUpdateFunction {
        owner: owner.to_string(),
        function_id: s.f,
        manifest_json: r#"{"env":{"API_KEY":"plain"}}"#.into(),
        ..Default::default()
    };
    assert_refused(
        s.c.orch(
            &owner,
            encode_any(&upd, bls_orchestration::msgs::MSG_UPDATE_FUNCTION),
        ),
        &variant!(OrchestrationError::InvalidField { field, reason }),
    );
}

#[test]
fn jobs_go_only_to_members_holding_every_secret() {
    let mut s = S::new();
    s.set_ok("API_KEY");
    let a = s.member(0).addr.clone();
    let b = s.member(1).addr.clone();
    // A reports that its envelope does not open: it no longer holds the secret, so the
    // function has only two runnable members for n = 3 and invoke refuses (nothing escrowed).
    s.report(&a, 0).unwrap();
    assert_eq!(s.missing(&a), vec!["API_KEY".to_string()]);
    let before = s.c.balance(&user(2));
    assert_refused(
        s.c.invoke(&user(2), s.f, FEE),
        &variant!(OrchestrationError::NotEnoughSealed {
            function,
            need,
            have
        }),
    );
    assert_eq!(s.c.balance(&user(2)), before);
    // B reseals to A: it can run again, and is assigned.
    let v = s.secrets().secrets[0].version;
    s.reseal(&b, "API_KEY", v, &a).unwrap();
    assert!(s.missing(&a).is_empty());
    let r = s.c.invoke(&user(2), s.f, FEE).unwrap();
    assert!(r.workers.contains(&a.to_string()));
}

#[test]
fn reseals_are_refused_from_outsiders_non_holders_stale_versions_and_excluded_sealers() {
    let mut s = S::new();
    let v = s.set_ok("API_KEY");
    let (a, b, c) = (
        s.member(0).addr.clone(),
        s.member(1).addr.clone(),
        s.member(2).addr.clone(),
    );
    let outsider = s.outsider().addr.clone();
    s.report(&a, 0).unwrap();
    // An outsider cannot reseal (it holds nothing) and cannot receive.
    assert_refused(s.reseal(&outsider, "API_KEY", v, &a), &not_allowed());
    assert_refused(s.reseal(&b, "API_KEY", v, &outsider), &invalid());
    // A member without the secret cannot reseal it; nobody reseals to itself or to a member
    // that already holds it.
    assert_refused(s.reseal(&a, "API_KEY", v, &c), &not_allowed());
    assert_refused(s.reseal(&b, "API_KEY", v, &b), &invalid());
    assert_refused(s.reseal(&b, "API_KEY", v, &c), &invalid());
    // Unknown names and stale versions.
    assert_refused(
        s.reseal(&b, "NOPE", v, &a),
        &variant!(SecretsError::UnknownSecret { function, name }),
    );
    assert_refused(
        s.reseal(&b, "API_KEY", v + 1, &a),
        &variant!(SecretsError::StaleVersion {
            function,
            name,
            current,
            given
        }),
    );
    // B reseals; A says B's envelope does not open either: B may not reseal to A again, C may.
    s.reseal(&b, "API_KEY", v, &a).unwrap();
    s.report(&a, 0).unwrap();
    let ev = s.c.events_of("bls.secrets_unopenable");
    let last = ev.last().unwrap();
    assert!(last
        .attributes
        .iter()
        .any(|(k, val)| k == "excluded" && val == b.as_str()));
    assert_refused(s.reseal(&b, "API_KEY", v, &a), &not_allowed());
    assert!(s.pending(&b).reseals.is_empty(), "B is not asked again");
    let pc = s.pending(&c);
    assert_eq!(pc.reseals.len(), 1);
    assert_eq!(pc.reseals[0].recipient, a.to_string());
    s.reseal(&c, "API_KEY", v, &a).unwrap();
    assert!(s.pending(&c).reseals.is_empty());
    // The owner sealed A's first envelope: the owner is never excluded (and cannot be a
    // resealer anyway), and a report needs the function to have secrets.
    let unset = MsgUnsetSecret {
        owner: s.owner.to_string(),
        function_id: s.f,
        name: "API_KEY".into(),
    };
    let owner = s.owner.clone();
    s.c.orch(&owner, encode_any(&unset, MSG_UNSET_SECRET))
        .unwrap();
    assert_refused(s.report(&a, 0), &not_allowed());
}

#[test]
fn a_declined_slot_is_neither_missed_nor_slashed_and_the_job_finalizes_from_the_others() {
    let mut s = S::new();
    s.set_ok("API_KEY");
    let (job, ws) = s.invoke();
    let (wa, wb, wc) = (ws[0].clone(), ws[1].clone(), ws[2].clone());
    let (a, b) = (wa.addr.clone(), wb.addr.clone());
    let out = outcome(b"mac", 5);

    // Not assigned, or already committed: no decline.
    let outsider = s.outsider().addr.clone();
    assert_refused(s.report(&outsider, job), &not_allowed());
    s.c.commit(&wb, job, &out).unwrap();
    assert_refused(s.report(&b, job), &not_allowed());

    // A declines: no penalty; C's commit closes the commit phase (A will never commit).
    s.report(&a, job).unwrap();
    assert!(s
        .c
        .job(job)
        .assignments
        .iter()
        .any(|x| x.worker == a && x.declined));
    assert_refused(s.report(&a, job), &not_allowed());
    // Having declined, A cannot commit after all (it would answer with what it said it could
    // not open).
    assert_refused(
        s.c.commit(&wa, job, &out),
        &variant!(OrchestrationError::WrongPhase { job, phase, action }),
    );
    s.c.commit(&wc, job, &out).unwrap();
    assert_eq!(s.c.job(job).status, JobStatus::Revealing);
    s.c.reveal(&wb, job, &out).unwrap();
    s.c.reveal(&wc, job, &out).unwrap();
    let (bal_b, bal_a) = (s.c.balance(&b), s.c.balance(&a));
    s.c.next_block();
    let j = s.c.job(job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert!(!j.settling);
    for w in [&wa, &wb, &wc] {
        let l = bls_registry::liveness::counters(&s.c.store, &w.addr).unwrap();
        assert_eq!(l.missed, 0, "nobody missed");
        let rec = bls_registry::state::get_worker(&s.c.store, &w.addr)
            .unwrap()
            .unwrap();
        assert_eq!(rec.slashed_total, 0, "nobody slashed");
        assert_eq!(rec.status, bls_registry::WorkerStatus::Active);
    }
    assert!(s.c.balance(&b) > bal_b, "the others are paid");
    assert_eq!(s.c.balance(&a), bal_a, "the decliner is not");
    s.c.assert_escrow_invariant();
}

#[test]
fn declines_that_leave_no_quorum_end_the_round_and_refund_in_full() {
    let mut s = S::new();
    s.set_ok("API_KEY");
    let before = s.c.balance(&user(2));
    let (job, ws) = s.invoke();
    let ids: Vec<Address> = ws.iter().map(|w| w.addr.clone()).collect();
    let third = ws[2].clone();
    s.report(&ids[0], job).unwrap();
    s.report(&ids[1], job).unwrap();
    // The third keeps its full commit window (nobody is missed early)...
    assert_eq!(s.c.job(job).status, JobStatus::Committing);
    s.c.next_block();
    assert_eq!(s.c.job(job).status, JobStatus::Committing);
    // ...and once it commits, one commit cannot make a quorum of two: the round ends in this
    // block's end block, and with no other member holding the secret it cannot be
    // reassigned: failed, refunded in full.
    s.c.commit(&third, job, &outcome(b"x", 1)).unwrap();
    s.c.next_block();
    s.c.next_block();
    let j = s.c.job(job);
    assert_eq!(j.status, JobStatus::Failed, "{}", j.failure);
    assert_eq!(s.c.balance(&user(2)), before);
    for w in &ids {
        let l = bls_registry::liveness::counters(&s.c.store, w).unwrap();
        assert_eq!(l.missed, 0);
    }
    s.c.assert_escrow_invariant();
}

#[test]
fn a_member_that_leaves_loses_its_envelopes_and_a_new_member_is_resealed_to() {
    let mut s = S::new();
    let v = s.set_ok("API_KEY");
    let before = s.members();
    let gone = before[0].clone();
    s.c.jail(&gone, 1_000);
    // Begin-block repair replaces it.
    for _ in 0..3 {
        s.c.next_block();
    }
    let after = s.members();
    assert!(!after.contains(&gone));
    let new = after
        .iter()
        .find(|w| !before.contains(w))
        .expect("a new member")
        .clone();
    // The jailed worker's envelopes are gone from the chain.
    let r: SecretEnvelopesResponse =
        s.c.query(
            "orchestration",
            "SecretEnvelopes",
            serde_json::json!({"function_id": s.f, "worker": gone.to_string()}),
        )
        .unwrap();
    assert!(r.envelopes.is_empty());
    assert_eq!(s.missing(&new), vec!["API_KEY".to_string()]);
    // Each holder is told, with a distinct place in the order.
    let holders: Vec<Address> = after.iter().filter(|w| **w != new).cloned().collect();
    let mut ranks: Vec<u64> = holders
        .iter()
        .map(|h| {
            let p = s.pending(h);
            assert_eq!(p.reseals.len(), 1, "{h}");
            assert_eq!(p.reseals[0].recipient, new.to_string());
            p.reseals[0].rank
        })
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, vec![0, 1]);
    s.reseal(&holders[0], "API_KEY", v, &new).unwrap();
    assert!(s.missing(&new).is_empty());
    assert!(holders.iter().all(|h| s.pending(h).reseals.is_empty()));
}

#[test]
fn unset_and_retire_remove_every_envelope_and_genesis_keeps_them() {
    let mut s = S::new();
    s.set_ok("A");
    s.set_ok("B");
    let exported = bls_orchestration::genesis::export_genesis(&s.c.store).unwrap();
    assert_eq!(exported.secrets.secrets.len(), 2);
    assert_eq!(exported.secrets.envelopes.len(), 6);
    // A chain started from the export holds the same secrets.
    let json = serde_json::to_value(&exported).unwrap();
    let back: bls_orchestration::genesis::GenesisState = serde_json::from_value(json).unwrap();
    assert_eq!(back.secrets, exported.secrets);

    let owner = s.owner.clone();
    // Only the owner unsets; unknown names are refused.
    let unset = |name: &str, by: &Address| MsgUnsetSecret {
        owner: by.to_string(),
        function_id: s.f,
        name: name.into(),
    };
    let m0 = s.member(0).addr.clone();
    assert_refused(
        s.c.orch(&m0, encode_any(&unset("A", &m0), MSG_UNSET_SECRET)),
        &variant!(OrchestrationError::NotOwner {
            function,
            owner,
            signer
        }),
    );
    assert_refused(
        s.c.orch(&owner, encode_any(&unset("C", &owner), MSG_UNSET_SECRET)),
        &variant!(SecretsError::UnknownSecret { function, name }),
    );
    s.c.orch(&owner, encode_any(&unset("A", &owner), MSG_UNSET_SECRET))
        .unwrap();
    let g = bls_orchestration::genesis::export_genesis(&s.c.store).unwrap();
    assert_eq!(g.secrets.envelopes.len(), 3);
    let retire = bls_orchestration::msgs::MsgRetireFunction {
        owner: owner.to_string(),
        function_id: s.f,
    };
    s.c.orch(
        &owner,
        encode_any(&retire, bls_orchestration::msgs::MSG_RETIRE_FUNCTION),
    )
    .unwrap();
    let g = bls_orchestration::genesis::export_genesis(&s.c.store).unwrap();
    assert!(g.secrets.secrets.is_empty());
    assert!(g.secrets.envelopes.is_empty());
}

#[test]
fn a_change_of_secrets_mid_job_is_declined_not_run_and_never_shields_a_liar() {
    // Workers read their envelopes when they run. A job pins the secrets version of its
    // assignment: a worker that finds another one declines (no penalty) instead of running
    // with values the others may not have used — so honest members never disagree over a
    // change, and a change never excuses a dissent.
    let mut s = S::new();
    s.set_ok("API_KEY");
    let (job, ws) = s.invoke();
    let ids: Vec<Address> = ws.iter().map(|w| w.addr.clone()).collect();
    let (right, wrong) = (outcome(b"mac", 5), outcome(b"not-the-mac", 5));
    // Nothing changed yet: a stale claim is refused.
    assert_refused(s.report_with(&ids[2], job, "", true), &not_allowed());
    assert_refused(s.report_with(&ids[2], 0, "", true), &invalid());
    s.c.commit(&ws[0], job, &right).unwrap();
    s.c.commit(&ws[1], job, &wrong).unwrap();
    s.set_ok("API_KEY"); // a new value lands mid-job
                         // The third reads after it: it declines, keeping its envelopes.
    s.report_with(&ids[2], job, "", true).unwrap();
    assert!(
        s.missing(&ids[2]).is_empty(),
        "a stale decline keeps the envelopes"
    );
    // The two others committed: reveals open at once.
    assert_eq!(s.c.job(job).status, JobStatus::Revealing);
    s.c.reveal(&ws[0], job, &right).unwrap();
    s.c.reveal(&ws[1], job, &wrong).unwrap();
    s.c.next_block();
    // One result each way, no quorum: the round fails; nobody is slashed for the decline.
    let rec = bls_registry::state::get_worker(&s.c.store, &ids[2])
        .unwrap()
        .unwrap();
    assert_eq!(rec.slashed_total, 0);

    // A liar whose dissent falls right after a change is still slashed: a change is no
    // excuse (the owner cannot shield a colluding worker by setting secrets every block).
    let (job, ws) = s.invoke();
    for w in &ws[..2] {
        s.c.commit(w, job, &right).unwrap();
    }
    s.c.commit(&ws[2], job, &wrong).unwrap();
    s.set_ok("OTHER");
    for w in &ws[..2] {
        s.c.reveal(w, job, &right).unwrap();
    }
    s.c.reveal(&ws[2], job, &wrong).unwrap();
    s.c.next_block();
    let rec = bls_registry::state::get_worker(&s.c.store, &ws[2].addr)
        .unwrap()
        .unwrap();
    assert!(rec.slashed_total > 0, "the liar is slashed");
}

#[test]
fn reports_cannot_be_repeated_without_a_reseal_and_each_sealer_reseals_to_a_reporter_once() {
    let mut s = S::new();
    let v = s.set_ok("API_KEY");
    let (a, b, c) = (
        s.member(0).addr.clone(),
        s.member(1).addr.clone(),
        s.member(2).addr.clone(),
    );
    s.report(&a, 0).unwrap();
    // Nothing held, nothing to report: refused (no free rounds of reseals for the others).
    assert_refused(s.report(&a, 0), &not_allowed());
    s.reseal(&b, "API_KEY", v, &a).unwrap();
    s.report_with(&a, 0, "API_KEY", false).unwrap();
    s.reseal(&c, "API_KEY", v, &a).unwrap();
    s.report_with(&a, 0, "API_KEY", false).unwrap();
    // Both other members have resealed to A once and been reported: neither may again, and
    // no reseal is asked of them (the exclusions outlive the completed reseals).
    assert_refused(s.reseal(&b, "API_KEY", v, &a), &not_allowed());
    assert_refused(s.reseal(&c, "API_KEY", v, &a), &not_allowed());
    assert!(s.pending(&b).reseals.is_empty());
    assert!(s.pending(&c).reseals.is_empty());
    // The owner can still give it the value (a set covers every member).
    s.set_ok("API_KEY");
    assert!(s.missing(&a).is_empty());
}

#[test]
fn keyless_workers_are_not_seated_on_functions_with_secrets() {
    let mut s = S::new();
    // Three more workers without an encryption key (registered by an older tool).
    let keyless: Vec<SimWorker> = (7..10u8)
        .map(|i| SimWorker::new(i, "eu", &format!("AS{}", 200 + i)))
        .collect();
    for w in &keyless {
        s.c.fund(&w.addr, BOND);
        let msg = bls_registry::msgs::MsgRegisterWorker {
            operator: w.addr.to_string(),
            result_pubkey: w.pubkey(),
            peer_id: format!("12D3KooW{}", hex::encode(&w.addr.as_bytes()[..8])),
            multiaddrs: vec![format!("/ip4/10.9.{}.1/tcp/4001", w.addr.as_bytes()[0])],
            region: w.region.clone(),
            network: w.network.clone(),
            capabilities: Some(bls_registry::msgs::Capabilities {
                memory_mb: 512,
                max_timeout_ms: 900_000,
                http_allowed: false,
            }),
            role: "worker".into(),
            bond: Some(bls_registry::msgs::ProtoCoin::ubls(BOND)),
            encryption_pubkey: Vec::new(),
        };
        s.c.tx(
            &w.addr,
            encode_any(&msg, bls_registry::msgs::MSG_REGISTER_WORKER),
        )
        .unwrap();
    }
    s.set_ok("API_KEY");
    // Jail every keyed member but one spare: repairs may seat only keyed workers.
    for w in s.members() {
        s.c.jail(&w, 1_000);
    }
    for _ in 0..3 {
        s.c.next_block();
    }
    let members = s.members();
    assert!(!members.is_empty());
    for m in &members {
        assert!(
            !keyless.iter().any(|k| &k.addr == m),
            "a keyless worker was seated: {m}"
        );
    }
}
