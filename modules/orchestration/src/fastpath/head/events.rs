//! Events of head accountability (attributes listed per event).

/// A report proved a head's lie: `request_id`, `head`, `reporter`, `lie` (its kind),
/// `detail`, `slashed`, `refunded`.
pub const HEAD_REPORTED: &str = "bls.head_reported";
/// An invoker challenged a settled charge: `request_id`, `head`, `invoker`, `result_hash`,
/// `deposit`, `deadline`. A head watches for these naming it and answers.
pub const HEAD_CHALLENGED: &str = "bls.head_challenged";
/// The head answered a challenge with the settled outcome: `request_id`, `head`, `deposit`
/// (paid to the head).
pub const HEAD_CHALLENGE_ANSWERED: &str = "bls.head_challenge_answered";
/// The deadline passed without an answer: `request_id`, `head`, `invoker`, `slashed`,
/// `refunded`, `deposit` (returned to the invoker).
pub const HEAD_CHALLENGE_UNANSWERED: &str = "bls.head_challenge_unanswered";
