//! The head answers challenges of its charges by itself.
//!
//! An invoker may challenge a charge this head settled (`MsgChallengeHead`); the head must
//! publish the settled outcome (`MsgAnswerChallenge`) before the challenge's deadline or be
//! slashed. The chain follower hands every `bls.head_challenged` event naming this head to
//! [`spawn`]'s inbox; at start the head also asks the chain for the challenges still open
//! against it (`OpenHeadChallenges`), so one raised while it was down is answered too. Each
//! answer is retried until the chain records it or the deadline passes. The outcome comes
//! from the served-outcome store ([`super::served`]).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bls_client::head::head_challenge;
use bls_client::orchestration::OPEN_HEAD_CHALLENGES_QUERY;
use bls_core::module::encode_any;
use bls_orchestration::fastpath::head::msgs::{MsgAnswerChallenge, MSG_ANSWER_CHALLENGE};
use bls_orchestration::fastpath::head::queries::{
    OpenHeadChallengesRequest, OpenHeadChallengesResponse,
};
use bls_orchestration::fastpath::head::state::ChallengeStatus;
use tokio::sync::mpsc;

use super::served::ServedOutcomes;
use crate::daemon::chain::Chain;
use crate::daemon::fault::Fault;
use crate::daemon::signer::SignerHandle;

/// Pause between attempts at one answer.
const RETRY: Duration = Duration::from_secs(1);
/// Most challenge notices waiting for the answerer.
const INBOX: usize = 1_024;

/// What the answerer needs.
pub struct Answerer {
    /// Chain queries.
    pub chain: Chain,
    /// The head's signer.
    pub signer: SignerHandle,
    /// This head's id.
    pub me: String,
    /// Where served outcomes are kept.
    pub served: Arc<ServedOutcomes>,
    /// Test-only misbehaviour (`head-silent` never answers).
    pub fault: Option<Fault>,
    /// Challenges being answered now.
    busy: Mutex<BTreeSet<String>>,
}

/// Starts the answerer: answers the challenges open against this head now, then every
/// request id sent to the returned inbox (the follower's `bls.head_challenged` events).
pub fn spawn(
    chain: Chain,
    signer: SignerHandle,
    me: String,
    served: Arc<ServedOutcomes>,
    fault: Option<Fault>,
) -> mpsc::Sender<String> {
    let (tx, mut rx) = mpsc::channel::<String>(INBOX);
    let a = Arc::new(Answerer {
        chain,
        signer,
        me,
        served,
        fault,
        busy: Mutex::new(BTreeSet::new()),
    });
    tokio::spawn(async move {
        a.clone().answer_open().await;
        while let Some(id) = rx.recv().await {
            tokio::spawn(a.clone().answer(id));
        }
    });
    tx
}

impl Answerer {
    /// Answers every challenge the chain lists as open against this head.
    async fn answer_open(self: Arc<Self>) {
        let mut start_after: Option<String> = None;
        loop {
            let req = OpenHeadChallengesRequest {
                head: self.me.clone(),
                start_after: start_after.clone(),
                limit: Some(100),
            };
            let page: OpenHeadChallengesResponse = match self
                .chain
                .rpc()
                .query_json(OPEN_HEAD_CHALLENGES_QUERY, &req)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "listing open challenges");
                    return;
                }
            };
            for id in page.request_ids {
                tokio::spawn(self.clone().answer(id));
            }
            match page.next {
                Some(n) if Some(&n) != start_after.as_ref() => start_after = Some(n),
                _ => return,
            }
        }
    }

    /// Answers the challenge of request `id` (hex) until the chain records an answer or the
    /// deadline passes.
    async fn answer(self: Arc<Self>, id: String) {
        if self.fault == Some(Fault::HeadSilent) {
            tracing::warn!(request = %id, "fault injection: not answering the challenge");
            return;
        }
        let first = self.busy.lock().is_ok_and(|mut b| b.insert(id.clone()));
        if !first {
            return; // already being answered
        }
        self.answer_until_done(&id).await;
        if let Ok(mut b) = self.busy.lock() {
            b.remove(&id);
        }
    }

    async fn answer_until_done(&self, id: &str) {
        loop {
            let q = match head_challenge(self.chain.rpc(), id).await {
                Ok(q) => q,
                Err(e) => {
                    tracing::warn!(request = %id, error = %e, "reading a challenge");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let Some(c) = q.challenge else { return };
            if c.status != ChallengeStatus::Open || c.head.as_str() != self.me {
                return;
            }
            match self.chain.view().tip().await {
                Ok(tip) if tip.height > c.deadline => {
                    tracing::error!(request = %id, deadline = c.deadline, "challenge deadline passed unanswered");
                    return;
                }
                _ => {}
            }
            let Some(outcome) = self.served.get(id) else {
                tracing::error!(request = %id, "challenged, but the served outcome is not kept: the head will be slashed");
                return;
            };
            let msg = MsgAnswerChallenge {
                head: self.me.clone(),
                request_id: hex::decode(id).unwrap_or_default(),
                outcome,
            };
            match self
                .signer
                .submit(encode_any(&msg, MSG_ANSWER_CHALLENGE))
                .await
            {
                Ok(r) => {
                    tracing::info!(request = %id, height = r.height, "answered a challenge of a charge");
                    return;
                }
                Err(e) => {
                    tracing::warn!(request = %id, error = %e, "answering a challenge; retrying");
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }
}
