//! Heads answer for what they serve (attack 8): watchers report signed statements, invokers
//! challenge settled charges, honest heads answer challenges from their outcome store, the
//! byzantine head stays silent. What the chain must do with each, and what the model learns
//! from the head events of a block.

use std::collections::BTreeMap;

use bls_core::module::encode_any;
use bls_orchestration::fastpath::head::events::{
    HEAD_CHALLENGED, HEAD_CHALLENGE_ANSWERED, HEAD_CHALLENGE_UNANSWERED, HEAD_REPORTED,
};
use bls_orchestration::fastpath::head::msgs::{
    MsgAnswerChallenge, MsgChallengeHead, MsgReportHead, MSG_ANSWER_CHALLENGE, MSG_CHALLENGE_HEAD,
    MSG_REPORT_HEAD,
};
use bls_orchestration::fastpath::head::state::open_challenges_of;

use super::world::{Expect, World, GAS_PER_MSG};

/// A request a head settled, as the model knows it.
pub struct SettledRequest {
    /// The head (actor index).
    pub head: usize,
    /// The invoker (index in `World::fast`).
    pub invoker: usize,
    /// Fee charged.
    pub fee: u128,
    /// Settlement height.
    pub height: u64,
    /// Paid back to the invoker (the head was punished for it).
    pub refunded: bool,
    /// Challenged once already.
    pub challenged: bool,
}

/// A challenge open on chain.
pub struct OpenChallenge {
    /// The head (actor index).
    pub head: usize,
    /// Deposit escrowed.
    pub deposit: u128,
    /// Last height the head may answer; end block of it punishes a silent head.
    pub deadline: u64,
}

impl World {
    /// A watcher reports a statement a head signed (`pick` even: a lying one, odd: an honest
    /// one, among the most recent): a lie is accepted (the head slashed, the invoker refunded)
    /// while the dispute window is open and the head was not punished for the request yet; an
    /// honest statement is always refused.
    pub(super) fn report_head(&mut self, pick: u8) {
        let want_lie = pick.is_multiple_of(2);
        let of_kind: Vec<usize> = (0..self.statements.len())
            .rev()
            .filter(|i| self.statements[*i].lie == want_lie)
            .take(4)
            .collect();
        if of_kind.is_empty() {
            return;
        }
        let s = self
            .statements
            .remove(of_kind[usize::from(pick / 2) % of_kind.len()]);
        let at = self.chain.height + 1;
        let open = at <= s.statement.height + self.params.head_dispute_window;
        let name = self.actors[s.head].name.clone();
        let expect = if !s.lie {
            Expect::Refused(format!("a report of {name}'s honest statement"))
        } else if open && !self.punished.contains(&(s.id, s.head)) && self.record(s.head).is_some()
        {
            self.reports_pending.insert(s.id);
            Expect::Ok(format!("a report of {name}'s lying statement"))
        } else {
            Expect::Refused(format!(
                "a report of {name}'s lie after its window or its punishment"
            ))
        };
        let msg = encode_any(
            &MsgReportHead {
                reporter: self.watcher.address().to_string(),
                request: Some(s.request),
                statement: Some(s.statement),
            },
            MSG_REPORT_HEAD,
        );
        let key = self.watcher.clone();
        self.push(&key, vec![msg], 1_000_000, expect);
    }

    /// An invoker challenges a settled charge (`kind % 4`: 0, 1 its own charge; 2 a charge
    /// challenged already, or its own; 3 someone else's charge). Accepted exactly when the
    /// signer is the request's invoker, within `head_dispute_window` of the settlement, the
    /// request was never challenged and its fee not refunded.
    pub(super) fn challenge(&mut self, kind: u8, pick: u8) {
        let ids: Vec<[u8; 32]> = match kind % 4 {
            2 => {
                let again: Vec<[u8; 32]> = self
                    .settlements
                    .iter()
                    .filter(|(_, s)| s.challenged)
                    .map(|(id, _)| *id)
                    .collect();
                if again.is_empty() {
                    self.settlements.keys().copied().collect()
                } else {
                    again
                }
            }
            _ => self.settlements.keys().copied().collect(),
        };
        if ids.is_empty() {
            return;
        }
        // Most recent first: most picks land inside the dispute window.
        let id = ids[ids.len() - 1 - usize::from(pick) % ids.len().min(8)];
        let at = self.chain.height + 1;
        let p = &self.params;
        let s = &self.settlements[&id];
        let signer = if kind % 4 == 3 {
            (s.invoker + 1) % self.fast.len()
        } else {
            s.invoker
        };
        let refunded = s.refunded || self.reports_pending.contains(&id);
        let ok = signer == s.invoker
            && at <= s.height + p.head_dispute_window
            && !s.challenged
            && !refunded;
        let name = &self.actors[s.head].name;
        let expect = if ok {
            Expect::Ok(format!("the invoker challenges {name}'s charge"))
        } else {
            Expect::Refused(format!(
                "a challenge of {name}'s charge (by its invoker: {}, height {at}, settled at \
                 {}, challenged {}, refunded {})",
                signer == s.invoker,
                s.height,
                s.challenged,
                refunded
            ))
        };
        if ok {
            let (head, deposit, deadline) = (s.head, p.challenge_deposit, at + p.challenge_window);
            self.challenges.insert(
                id,
                OpenChallenge {
                    head,
                    deposit,
                    deadline,
                },
            );
            if let Some(s) = self.settlements.get_mut(&id) {
                s.challenged = true;
            }
        }
        let key = self.fast[signer].key.clone();
        let msg = encode_any(
            &MsgChallengeHead {
                invoker: key.address().to_string(),
                request_id: id.to_vec(),
            },
            MSG_CHALLENGE_HEAD,
        );
        self.push(&key, vec![msg], 600_000, expect);
    }

    /// Duties of heads: honest heads answer every open challenge naming them with the outcome
    /// they served (read through the chain, as the head daemon does). The byzantine head never
    /// answers; it asks to be unjailed as soon as its jail ends (refused once its bond fell
    /// below the minimum), so it keeps serving and lying.
    pub(super) fn answer_challenges(&mut self) {
        for h in 0..self.actors.len() {
            if !self.actors[h].head {
                continue;
            }
            if self.actors[h].byzantine_head {
                let next = self.chain.height + 1;
                if self.record(h).is_some_and(|w| {
                    w.status == bls_registry::state::WorkerStatus::Jailed && w.jailed_until <= next
                }) {
                    let msg = bls_client::msgs::unjail_worker(self.actors[h].addr());
                    let key = self.actors[h].operator.clone();
                    self.push(&key, vec![msg], 400_000, Expect::Either);
                }
                continue;
            }
            let open = open_challenges_of(&self.chain.view(), self.actors[h].addr(), None, 100)
                .expect("challenges readable");
            let mut msgs = Vec::new();
            for id_hex in open {
                let id: [u8; 32] = hex::decode(&id_hex)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .expect("request id");
                let outcome = self.outcomes.get(&id).cloned().unwrap_or_default();
                msgs.push(encode_any(
                    &MsgAnswerChallenge {
                        head: self.actors[h].addr().to_string(),
                        request_id: id.to_vec(),
                        outcome,
                    },
                    MSG_ANSWER_CHALLENGE,
                ));
            }
            if !msgs.is_empty() {
                let gas = GAS_PER_MSG * u64::try_from(msgs.len()).unwrap_or(1);
                let key = self.actors[h].operator.clone();
                let expect = Expect::Ok(format!(
                    "{} answers the challenges of its charges",
                    self.actors[h].name
                ));
                self.push(&key, msgs, gas, expect);
            }
        }
    }

    /// Reads one head event of a block: honest heads are never reported or left unanswered,
    /// every report or unanswered challenge of the byzantine head slashes it (unless it was
    /// punished for that request already) and pays the invoker back its fee once.
    pub(super) fn head_event(&mut self, kind: &str, a: &BTreeMap<String, String>) {
        let Some(id) = a
            .get("request_id")
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        else {
            return;
        };
        let head = a
            .get("head")
            .and_then(|h| bls_core::Address::parse(h).ok())
            .and_then(|h| self.actor_of(&h));
        let Some(h) = head else {
            self.violations.push(format!(
                "{kind} names a head the model does not know: {a:?}"
            ));
            return;
        };
        let num = |k: &str| -> u128 { a.get(k).and_then(|v| v.parse().ok()).unwrap_or(u128::MAX) };
        let name = self.actors[h].name.clone();
        match kind {
            HEAD_CHALLENGED => self.stats.challenges += 1,
            HEAD_CHALLENGE_ANSWERED => {
                self.stats.challenges_answered += 1;
                match self.challenges.remove(&id) {
                    Some(c) if c.head == h && num("deposit") == c.deposit => {}
                    _ => self.violations.push(format!(
                        "{name} answered challenge {} the model did not open, or with another \
                         deposit: {a:?}",
                        hex::encode(id)
                    )),
                }
                if self.actors[h].byzantine_head {
                    self.violations
                        .push(format!("the silent {name} answered a challenge"));
                }
            }
            HEAD_CHALLENGE_UNANSWERED | HEAD_REPORTED => {
                if self.actors[h].honest() {
                    self.violations
                        .push(format!("honest {name} punished by {kind}: {a:?}"));
                    return;
                }
                if kind == HEAD_CHALLENGE_UNANSWERED {
                    self.stats.challenges_unanswered += 1;
                    if self.challenges.remove(&id).is_none() {
                        self.violations.push(format!(
                            "challenge {} expired but the model had none open",
                            hex::encode(id)
                        ));
                    }
                } else {
                    self.stats.heads_reported += 1;
                }
                let first = self.punished.insert((id, h));
                if first && num("slashed") == 0 {
                    self.violations
                        .push(format!("{kind}: {name} lost no bond: {a:?}"));
                }
                let settled = self.settlements.get_mut(&id).filter(|s| s.head == h);
                let want = match settled {
                    Some(s) if !s.refunded => {
                        s.refunded = true;
                        s.fee
                    }
                    _ => 0,
                };
                if num("refunded") != want {
                    self.violations.push(format!(
                        "{kind}: {name} refunded {} of the fee {want}",
                        a.get("refunded").cloned().unwrap_or_default()
                    ));
                }
            }
            _ => {}
        }
    }

    /// Forgets settlements no challenge can reach any more.
    pub(super) fn forget_old_settlements(&mut self) {
        let keep = self.params.head_dispute_window + self.params.challenge_window + 1;
        let now = self.chain.height;
        self.settlements.retain(|_, s| s.height + keep >= now);
    }
}
