//! A head worker's signed answer, checked against the chain before it is trusted, and the
//! messages that hold a head to account.
//!
//! Every answer of a head's `POST /api/v1/functions/execute` carries its signed statement
//! (`bls_orchestration::fastpath::head::msgs::HeadStatement`). [`verify_answer`] accepts an
//! answer only when: it answers our (v2) request; the head is a registered head and signed it
//! with a result key it held while the request was alive; its height lies in the request's
//! window and close to the chain's tip; the chain state it read is the current one; and the
//! chain's own rule ([`judge`]) — with the code our request asks for and every worker's keys
//! of the request's window — finds no lie in it. A lie the rule finds is [`AnswerError::Lie`]
//! — provable: keep the [`HeadEvidence`] and submit [`report_head`]. Any other failure means
//! the head gave no verifiable answer: if it still charges for the request
//! ([`head_challenge`]), challenge the charge ([`challenge_head`]).

use std::collections::{BTreeMap, BTreeSet};

use bls_core::outcome::Outcome;
use bls_core::Address;
use bls_orchestration::fastpath::head::judge::{judge, Facts, FunctionFacts, Lie, Verdict};
use bls_orchestration::fastpath::head::msgs::{
    verify_head_statement, HeadStatement, MsgChallengeHead, MsgReportHead, MSG_CHALLENGE_HEAD,
    MSG_REPORT_HEAD,
};
use bls_orchestration::fastpath::head::queries::{HeadChallengeRequest, HeadChallengeResponse};
use bls_orchestration::fastpath::msgs::{SignedRequest, SignedResult};
use bls_orchestration::fastpath::request::{key_window, VerifiedRequest};
use bls_registry::result_keys::ResultKey;
use bls_registry::Role;
use cosmos_sdk_proto::Any;
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rpc::{RpcClient, RpcError};

/// ABCI query path of a request's head settlement, challenge and published outcome.
pub const HEAD_CHALLENGE_QUERY: &str = "/bls.orchestration.v1.Query/HeadChallenge";

/// How many blocks a statement may be dated after the tip this client reads (its node may lag
/// the head's by a block or two).
pub const HEIGHT_SLACK: u64 = 2;

/// One presented worker signature, as in the head's JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSignature {
    /// Worker id.
    pub worker: String,
    /// Result hash it signed (hex).
    pub result_hash: String,
    /// Signature (hex).
    pub signature: String,
}

/// The verifiable part of a head's execute answer (its JSON fields; others are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadAnswer {
    /// Request id (hex).
    pub request_id: String,
    /// Code hash (hex).
    pub code_hash: String,
    /// Quorum result hash (hex).
    pub result_hash: String,
    /// Canonical outcome bytes served (hex).
    pub outcome: String,
    /// The quorum signatures presented.
    pub signatures: Vec<AnswerSignature>,
    /// The head's id.
    #[serde(default)]
    pub head: String,
    /// Height of the head's view.
    #[serde(default)]
    pub height: u64,
    /// Function record version the head read.
    #[serde(default)]
    pub function_version: u64,
    /// Subnetwork placement height the head read.
    #[serde(default)]
    pub subnetwork_height: u64,
    /// The head's signature over the statement (hex).
    #[serde(default)]
    pub head_signature: String,
}

/// Why an answer is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// A chain query failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A field is not what it must be (not provable against the head).
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The answer is for another request.
    #[error("the head answered request {got}, not ours ({want})")]
    WrongRequest {
        /// Our request id (hex).
        want: String,
        /// The answer's (hex).
        got: String,
    },
    /// The answer is not signed by a registered head's result key.
    #[error("the answer is not signed by a registered head: {0}")]
    Unsigned(String),
    /// The statement's height is too far from the chain's tip to be reported in time.
    #[error("the answer is dated at height {height}, the chain is at {tip}: {why}")]
    Stale {
        /// Statement height.
        height: u64,
        /// This client's tip.
        tip: u64,
        /// Why it is refused.
        why: String,
    },
    /// The function or its subnetwork changed since the head read them: the quorum cannot be
    /// checked against the state the head used.
    #[error("{0}; ask again")]
    StateChanged(String),
    /// The statement proves a lie: report it.
    #[error("the head lied: {0}")]
    Lie(Lie),
}

impl AnswerError {
    /// The lie, when the answer proves one (then `MsgReportHead` slashes the head).
    pub fn lie(&self) -> Option<&Lie> {
        match self {
            AnswerError::Lie(l) => Some(l),
            _ => None,
        }
    }
}

/// An accepted answer.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The outcome served (equal to the quorum result).
    pub outcome: Outcome,
    /// Subnetwork members whose signatures verified.
    pub signers: Vec<String>,
    /// The head that signed it.
    pub head: String,
}

fn unhex(field: &str, s: &str) -> Result<Vec<u8>, AnswerError> {
    hex::decode(s).map_err(|_| AnswerError::Malformed(format!("{field} must be hex")))
}

impl HeadAnswer {
    /// The statement the head signed, rebuilt from the answer (the outcome hash is computed
    /// from the outcome bytes served).
    pub fn statement(&self) -> Result<HeadStatement, AnswerError> {
        let outcome = unhex("outcome", &self.outcome)?;
        let mut signatures = Vec::with_capacity(self.signatures.len());
        for s in &self.signatures {
            signatures.push(SignedResult {
                worker: s.worker.clone(),
                result_hash: unhex("signatures.result_hash", &s.result_hash)?,
                signature: unhex("signatures.signature", &s.signature)?,
            });
        }
        Ok(HeadStatement {
            head: self.head.clone(),
            request_id: unhex("request_id", &self.request_id)?,
            code_hash: unhex("code_hash", &self.code_hash)?,
            result_hash: unhex("result_hash", &self.result_hash)?,
            outcome_hash: Sha256::digest(&outcome).to_vec(),
            height: self.height,
            function_version: self.function_version,
            subnetwork_height: self.subnetwork_height,
            signatures,
            signature: unhex("head_signature", &self.head_signature)?,
        })
    }
}

/// What [`check_answer`] checks an answer against: our request's terms and what the chain
/// says now.
#[derive(Debug, Clone)]
pub struct ChainFacts {
    /// The code hash our signed request asks for.
    pub requested_code: [u8; 32],
    /// The heights our request is alive, `expiry - fastpath_request_ttl ..= expiry`
    /// ([`key_window`]): a head may sign only inside it, and the keys below are those held in
    /// it.
    pub window: (u64, u64),
    /// The result keys the head held in `window` (empty: not a registered head, or no key of
    /// the window).
    pub head_keys: Vec<Vec<u8>>,
    /// The request's function as of now.
    pub function: FunctionFacts,
    /// Result keys each presented worker that is registered held in `window`.
    pub keys: BTreeMap<String, Vec<Vec<u8>>>,
    /// The result hash this head settled for the request, if it did.
    pub settled_result: Option<[u8; 32]>,
    /// The chain's tip.
    pub tip: u64,
    /// `head_dispute_window` (reports are accepted this many blocks after the statement).
    pub dispute_window: u64,
}

/// Checks `answer` to the request `want` offline against `facts`. See the module docs.
pub fn check_answer(
    want: &[u8; 32],
    answer: &HeadAnswer,
    facts: &ChainFacts,
) -> Result<Verified, AnswerError> {
    let stmt = answer.statement()?;
    if stmt.request_id != want {
        return Err(AnswerError::WrongRequest {
            want: hex::encode(want),
            got: answer.request_id.clone(),
        });
    }
    if facts.head_keys.is_empty() {
        return Err(AnswerError::Unsigned(format!(
            "{:?} is not a registered head worker with a result key of the request's window",
            answer.head
        )));
    }
    let mut why = String::new();
    if !facts
        .head_keys
        .iter()
        .any(|k| verify_head_statement(k, &stmt).map_err(|e| why = e).is_ok())
    {
        return Err(AnswerError::Unsigned(format!(
            "head {}: {why}",
            answer.head
        )));
    }
    let stale = |why: String| AnswerError::Stale {
        height: stmt.height,
        tip: facts.tip,
        why,
    };
    let (lo, hi) = facts.window;
    if stmt.height < lo || stmt.height > hi {
        return Err(stale(format!(
            "outside the request's window {lo}..={hi}: the chain would not hear a report of it"
        )));
    }
    if stmt.height > facts.tip.saturating_add(HEIGHT_SLACK) {
        return Err(stale("dated in the future".into()));
    }
    // At least half the report window must remain, or a lie in it could not be reported.
    if facts.tip > stmt.height.saturating_add(facts.dispute_window / 2) {
        return Err(stale(format!(
            "older than half the head_dispute_window ({} blocks)",
            facts.dispute_window
        )));
    }
    let judged = judge(
        &stmt,
        &Facts {
            requested_code: facts.requested_code,
            function: &facts.function,
            keys: &facts.keys,
            settled_result: facts.settled_result,
        },
    );
    if let Verdict::Lie(l) = judged {
        return Err(AnswerError::Lie(l));
    }
    let f = &facts.function;
    if f.version != stmt.function_version || f.subnetwork_height != stmt.subnetwork_height {
        return Err(AnswerError::StateChanged(format!(
            "the head read function version {} and a subnetwork placed at {}, the chain now has \
             {} and {}",
            stmt.function_version, stmt.subnetwork_height, f.version, f.subnetwork_height
        )));
    }
    // The rule found no lie with the state the head read; a signature it could not judge
    // (its worker no longer registered) is not accepted either.
    if let Some(s) = stmt
        .signatures
        .iter()
        .find(|s| facts.keys.get(&s.worker).is_none_or(Vec::is_empty))
    {
        return Err(AnswerError::StateChanged(format!(
            "{} is no longer registered: its signature cannot be checked",
            s.worker
        )));
    }
    let bytes = unhex("outcome", &answer.outcome)?;
    let outcome =
        Outcome::decode(&bytes).map_err(|e| AnswerError::Malformed(format!("outcome: {e}")))?;
    let signers: BTreeSet<String> = stmt.signatures.iter().map(|s| s.worker.clone()).collect();
    Ok(Verified {
        outcome,
        signers: signers.into_iter().collect(),
        head: answer.head.clone(),
    })
}

/// The keys of `history` current somewhere in `window`, decoded.
fn keys_in(history: &[ResultKey], (lo, hi): (u64, u64)) -> Vec<Vec<u8>> {
    history
        .iter()
        .filter(|k| k.overlaps(lo, hi))
        .filter_map(|k| hex::decode(&k.pubkey).ok())
        .collect()
}

/// Reads the [`ChainFacts`] for `answer` to our verified request `req`.
pub async fn chain_facts(
    rpc: &RpcClient,
    req: &VerifiedRequest,
    answer: &HeadAnswer,
) -> Result<ChainFacts, AnswerError> {
    let params = crate::orchestration::params(rpc).await?.params;
    let window = key_window(req.terms.expiry_height, params.fastpath_request_ttl);
    let head_keys = match Address::parse(&answer.head) {
        Ok(a) => match crate::registry::worker(rpc, &a).await {
            Ok(w) if w.worker.role == Role::Head => keys_in(&w.result_keys, window),
            Ok(_) => Vec::new(),
            Err(e) if e.abci_code().is_some() => Vec::new(), // not registered
            Err(e) => return Err(e.into()),
        },
        Err(_) => Vec::new(),
    };
    let f = crate::orchestration::function(rpc, req.terms.function_id).await?;
    let function = FunctionFacts {
        quorum: f.function.quorum,
        version: f.function.version,
        subnetwork_height: f.subnetwork.as_ref().map_or(0, |s| s.placed_height),
        members: f
            .subnetwork
            .map(|s| s.workers.iter().map(|w| w.to_string()).collect())
            .unwrap_or_default(),
    };
    let mut keys = BTreeMap::new();
    // Only members' keys are read: a signature by anyone else is a lie the judge finds
    // without them, and an answer naming thousands of workers costs one read per member.
    let presented: BTreeSet<&str> = answer
        .signatures
        .iter()
        .map(|s| s.worker.as_str())
        .filter(|w| function.members.contains(*w))
        .collect();
    for w in presented {
        let Ok(a) = Address::parse(w) else { continue };
        match crate::registry::worker(rpc, &a).await {
            Ok(r) => {
                keys.insert(w.to_string(), keys_in(&r.result_keys, window));
            }
            Err(e) if e.abci_code().is_some() => {} // not registered
            Err(e) => return Err(e.into()),
        }
    }
    let settled_result = head_challenge(rpc, &answer.request_id)
        .await?
        .settlement
        .filter(|s| s.head.as_str() == answer.head)
        .and_then(|s| bls_orchestration::state::parse_hash(&s.result_hash));
    let tip = rpc.status().await?.latest_block_height;
    Ok(ChainFacts {
        requested_code: req.terms.code_hash,
        window,
        head_keys,
        function,
        keys,
        settled_result,
        tip,
        dispute_window: params.head_dispute_window,
    })
}

/// [`check_answer`] of `answer` to our signed `request` (signed for `chain_id`), with the
/// facts read from the chain.
pub async fn verify_answer(
    rpc: &RpcClient,
    chain_id: &str,
    request: &SignedRequest,
    answer: &HeadAnswer,
) -> Result<Verified, AnswerError> {
    let req = request
        .verify(chain_id)
        .map_err(|e| AnswerError::Malformed(format!("our own signed request: {e}")))?;
    let facts = chain_facts(rpc, &req, answer).await?;
    check_answer(&req.id, answer, &facts)
}

/// Everything a report needs, as a file: the invoker's signed request (hex protobuf) and the
/// head's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeadEvidence {
    /// `SignedRequest` protobuf, hex.
    pub signed_request: String,
    /// The head's answer.
    pub answer: HeadAnswer,
}

impl HeadEvidence {
    /// Evidence of `answer` to `request`.
    pub fn new(request: &SignedRequest, answer: HeadAnswer) -> HeadEvidence {
        HeadEvidence {
            signed_request: hex::encode(request.encode_to_vec()),
            answer,
        }
    }

    /// The signed request.
    pub fn request(&self) -> Result<SignedRequest, AnswerError> {
        let bytes = unhex("signed_request", &self.signed_request)?;
        SignedRequest::decode(bytes.as_slice())
            .map_err(|e| AnswerError::Malformed(format!("signed_request: {e}")))
    }
}

fn any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

/// `MsgReportHead` of `evidence` by `reporter`.
pub fn report_head(reporter: &Address, evidence: &HeadEvidence) -> Result<Any, AnswerError> {
    Ok(any(
        MSG_REPORT_HEAD,
        &MsgReportHead {
            reporter: reporter.to_string(),
            request: Some(evidence.request()?),
            statement: Some(evidence.answer.statement()?),
        },
    ))
}

/// `MsgChallengeHead`: the invoker challenges the charge for request `request_id`.
pub fn challenge_head(invoker: &Address, request_id: &[u8; 32]) -> Any {
    any(
        MSG_CHALLENGE_HEAD,
        &MsgChallengeHead {
            invoker: invoker.to_string(),
            request_id: request_id.to_vec(),
        },
    )
}

/// The `HeadChallenge` query: who settled request `request_id` (hex), its challenge and the
/// outcome the head published.
pub async fn head_challenge(
    rpc: &RpcClient,
    request_id: &str,
) -> Result<HeadChallengeResponse, RpcError> {
    rpc.query_json(
        HEAD_CHALLENGE_QUERY,
        &HeadChallengeRequest {
            request_id: request_id.to_string(),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;
    use bls_orchestration::fastpath::head::msgs::head_statement_digest;
    use bls_orchestration::fastpath::msgs::result_digest;

    struct Fixture {
        id: [u8; 32],
        head: KeyPair,
        workers: Vec<KeyPair>,
        facts: ChainFacts,
        answer: HeadAnswer,
    }

    fn outcome_bytes(text: &[u8]) -> Vec<u8> {
        Outcome {
            status: bls_core::outcome::ExitStatus::Exited(0),
            stdout: text.to_vec(),
            stdout_truncated: false,
            stderr: Vec::new(),
            stderr_truncated: false,
            fuel_used: 7,
            wall_time: std::time::Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
        .canonical_bytes()
    }

    /// Signs `a` as `head` (the statement rebuilt from the answer).
    fn sign(head: &KeyPair, a: &mut HeadAnswer) {
        a.head_signature = String::new();
        let mut st = a.statement().unwrap();
        st.signature = vec![];
        a.head_signature = hex::encode(head.sign(&head_statement_digest(&st)));
    }

    fn fixture() -> Fixture {
        let id = [1u8; 32];
        let code = [7u8; 32];
        let bytes = outcome_bytes(b"Hello, Ada!\n");
        let result: [u8; 32] = Sha256::digest(&bytes).into();
        let (head, _) = KeyPair::generate().unwrap();
        let workers: Vec<KeyPair> = (0..3).map(|_| KeyPair::generate().unwrap().0).collect();
        let mut answer = HeadAnswer {
            request_id: hex::encode(id),
            code_hash: hex::encode(code),
            result_hash: hex::encode(result),
            outcome: hex::encode(&bytes),
            signatures: workers
                .iter()
                .map(|k| AnswerSignature {
                    worker: k.address().to_string(),
                    result_hash: hex::encode(result),
                    signature: hex::encode(k.sign(&result_digest(&id, &code, &result))),
                })
                .collect(),
            head: head.address().to_string(),
            height: 100,
            function_version: 2,
            subnetwork_height: 50,
            head_signature: String::new(),
        };
        sign(&head, &mut answer);
        let facts = ChainFacts {
            requested_code: code,
            window: (90, 110),
            head_keys: vec![head.public_key_bytes().to_vec()],
            function: FunctionFacts {
                quorum: 2,
                version: 2,
                subnetwork_height: 50,
                members: workers.iter().map(|k| k.address().to_string()).collect(),
            },
            keys: workers
                .iter()
                .map(|k| (k.address().to_string(), vec![k.public_key_bytes().to_vec()]))
                .collect(),
            settled_result: None,
            tip: 101,
            dispute_window: 300,
        };
        Fixture {
            id,
            head,
            workers,
            facts,
            answer,
        }
    }

    #[test]
    fn an_honest_answer_verifies() {
        let f = fixture();
        let v = check_answer(&f.id, &f.answer, &f.facts).unwrap();
        assert_eq!(v.outcome.stdout, b"Hello, Ada!\n");
        assert_eq!(v.signers.len(), 3);
        assert_eq!(v.head, f.head.address().to_string());
    }

    #[test]
    fn lies_are_provable_and_everything_else_is_refused_as_unverifiable() {
        let f = fixture();
        // A tampered outcome the head signed: a provable lie.
        let mut a = f.answer.clone();
        a.outcome = hex::encode(outcome_bytes(b"Hello, Eve!\n"));
        sign(&f.head, &mut a);
        let e = check_answer(&f.id, &a, &f.facts).unwrap_err();
        assert_eq!(e.lie().map(Lie::kind), Some("served_other_outcome"), "{e}");
        // Two presented signatures by one worker: short of a quorum of 3.
        let mut facts = f.facts.clone();
        facts.function.quorum = 3;
        let mut a = f.answer.clone();
        a.signatures[1] = a.signatures[0].clone();
        sign(&f.head, &mut a);
        let e = check_answer(&f.id, &a, &facts).unwrap_err();
        assert_eq!(e.lie().map(Lie::kind), Some("short_of_quorum"), "{e}");
        // The same tampered outcome, not re-signed: nothing provable.
        let mut a = f.answer.clone();
        a.outcome = hex::encode(outcome_bytes(b"Hello, Eve!\n"));
        let e = check_answer(&f.id, &a, &f.facts).unwrap_err();
        assert!(matches!(e, AnswerError::Unsigned(_)), "{e}");
        // Not a registered head.
        let mut facts = f.facts.clone();
        facts.head_keys = Vec::new();
        assert!(matches!(
            check_answer(&f.id, &f.answer, &facts),
            Err(AnswerError::Unsigned(_))
        ));
        // Another request, a stale or future height, a changed subnetwork.
        assert!(matches!(
            check_answer(&[2; 32], &f.answer, &f.facts),
            Err(AnswerError::WrongRequest { .. })
        ));
        let mut facts = f.facts.clone();
        facts.tip = 100 + 151;
        assert!(matches!(
            check_answer(&f.id, &f.answer, &facts),
            Err(AnswerError::Stale { .. })
        ));
        facts.tip = 97;
        assert!(matches!(
            check_answer(&f.id, &f.answer, &facts),
            Err(AnswerError::Stale { .. })
        ));
        let mut facts = f.facts.clone();
        facts.function.subnetwork_height = 60;
        assert!(matches!(
            check_answer(&f.id, &f.answer, &facts),
            Err(AnswerError::StateChanged(_))
        ));
        let _ = &f.workers;
    }

    #[test]
    fn keys_of_the_request_window_code_of_the_request_and_the_window_itself() {
        let f = fixture();
        // The head and a worker rotated since: their old keys (held while the request was
        // alive) still verify what they signed.
        let mut facts = f.facts.clone();
        let (rotated, _) = KeyPair::generate().unwrap();
        facts.head_keys = vec![
            rotated.public_key_bytes().to_vec(),
            f.head.public_key_bytes().to_vec(),
        ];
        let w0 = f.workers[0].address().to_string();
        facts
            .keys
            .get_mut(&w0)
            .unwrap()
            .insert(0, rotated.public_key_bytes().to_vec());
        check_answer(&f.id, &f.answer, &facts).expect("old keys of the window verify");
        // Only the head's new key: the statement is not provably the head's.
        facts.head_keys = vec![rotated.public_key_bytes().to_vec()];
        assert!(matches!(
            check_answer(&f.id, &f.answer, &facts),
            Err(AnswerError::Unsigned(_))
        ));
        // Our request asks for other code: the head's claim is a provable lie.
        let mut facts = f.facts.clone();
        facts.requested_code = [8; 32];
        let e = check_answer(&f.id, &f.answer, &facts).unwrap_err();
        assert_eq!(e.lie().map(Lie::kind), Some("wrong_code"), "{e}");
        // A statement dated outside our request's window would not be heard by the chain.
        for window in [(101, 120), (80, 99)] {
            let mut facts = f.facts.clone();
            facts.window = window;
            assert!(
                matches!(
                    check_answer(&f.id, &f.answer, &facts),
                    Err(AnswerError::Stale { .. })
                ),
                "{window:?}"
            );
        }
    }

    #[test]
    fn evidence_round_trips_into_a_report() {
        let f = fixture();
        let req = SignedRequest {
            invoker: "bls1x".into(),
            nonce: 4,
            ..Default::default()
        };
        let ev = HeadEvidence::new(&req, f.answer.clone());
        let json = serde_json::to_string(&ev).unwrap();
        let back: HeadEvidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back.request().unwrap(), req);
        let any = report_head(f.head.address(), &back).unwrap();
        let m = MsgReportHead::decode(any.value.as_slice()).unwrap();
        assert_eq!(m.statement.unwrap(), f.answer.statement().unwrap());
    }
}
