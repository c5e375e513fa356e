//! What the actors do, as data: an [`Action`] names its actor and targets by index (taken
//! modulo what exists when it runs), so a list drawn from a seed replays exactly and stays
//! valid when entries are removed (shrinking).
//!
//! To add an action: a variant here, its weight in [`WEIGHTS`] and a draw in [`draw`], and its
//! effect in `World::apply` (world.rs), saying what the chain must answer.

use super::rng::Rng;

/// One step of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ends the block: honest duties (commits, reveals, head settlements) ride along, then
    /// every invariant is checked.
    EndBlock,
    /// `n` blocks go by with only duties in them (windows expire, unbondings complete).
    Idle { n: u8 },
    /// An on-chain invocation; `fee_mult` 0 offers less than the base fee (refused).
    Invoke {
        invoker: u8,
        function: u8,
        fee_mult: u8,
        input: u8,
    },
    /// A fast-path invoker tops up its deposit.
    Deposit { invoker: u8, amount: u8 },
    /// A fast-path invoker requests a withdrawal, or completes a released one.
    Withdraw { invoker: u8, amount: u8 },
    /// A fast-path request (v2, invoker-signed) served off chain through an active head:
    /// the subnetwork signs (liars sign a lie), the head signs a statement of what it served
    /// (the byzantine head's statement is a lie) and settles the receipt with the next block.
    FastRequest {
        invoker: u8,
        function: u8,
        head: u8,
        input: u8,
    },
    /// Induced equivocation (attack 2): the same signed request sent through two heads. The
    /// workers answer both copies identically; the second head's settlement is refused as a
    /// replay and the evidence built from both copies is refused (nothing conflicts).
    FastRequestTwice {
        invoker: u8,
        function: u8,
        head: u8,
        other: u8,
        input: u8,
    },
    /// The byzantine head submits a receipt it should not be paid for (`kind` picks the lie).
    HeadLie { kind: u8, pick: u8 },
    /// A watcher reports a liar's fast-path signature together with the quorum's.
    ReportLiar { pick: u8 },
    /// A watcher reports a head's signed statement (attack 8): a lie is slashed and the
    /// invoker refunded, an honest statement is refused.
    ReportHead { pick: u8 },
    /// An invoker challenges a settled charge (attack 8): the honest head answers and keeps
    /// its bond (the deposit goes to it), the byzantine head stays silent and is slashed at
    /// the deadline; `kind` also tries a second challenge, a challenge by someone else and a
    /// challenge after the dispute window (refused).
    Challenge { kind: u8, pick: u8 },
    /// A worker from the pool registers (with its fixed behaviour).
    Register { slot: u8 },
    /// A worker leaves (its bond unbonds, still slashable).
    Deregister { slot: u8 },
    /// A worker asks to be unjailed (refused while its jail lasts).
    Unjail { slot: u8 },
    /// A plain send between users.
    Send { from: u8, to: u8, amount: u8 },
    /// A plain send into a module account (always refused).
    SendToModuleAccount { from: u8, account: u8 },
    /// Attack 1 of issue #12, forged-majority evidence: the forger takes a settled (public)
    /// receipt, signs a zero result hash with its own worker and submits it as evidence (or
    /// moves the request to its own n = 1, m = 1 function), so the honest signers would look
    /// like the minority. Always refused; the honest signers' bonds are checked untouched.
    ForgeEvidence { pick: u8 },
}

/// Relative frequency of each kind of action (see [`draw`]).
pub const WEIGHTS: &[(&str, u64)] = &[
    ("end_block", 32),
    ("idle", 2),
    ("invoke", 20),
    ("deposit", 3),
    ("withdraw", 1),
    ("fast_request", 16),
    ("fast_request_twice", 2),
    ("head_lie", 5),
    ("report_liar", 3),
    ("report_head", 3),
    ("challenge", 3),
    ("forge_evidence", 3),
    ("register", 2),
    ("deregister", 1),
    ("unjail", 4),
    ("send", 3),
    ("send_to_module_account", 2),
];

/// Attacks today's rules do not stop yet, drawn only when a run asks for them
/// (`BLS_MODEL_OPEN_ATTACKS=1`): each shows the model finding it. Move an entry into
/// [`WEIGHTS`] once the rule that stops it lands (forged-majority evidence moved when
/// `fastpath/evidence.rs` landed; none is open today).
pub const OPEN_ATTACK_WEIGHTS: &[(&str, u64)] = &[];

/// Draws one action (open attacks too when `open_attacks`).
pub fn draw(rng: &mut Rng, open_attacks: bool) -> Action {
    let extra: &[(&str, u64)] = if open_attacks {
        OPEN_ATTACK_WEIGHTS
    } else {
        &[]
    };
    let weights: Vec<(&str, u64)> = WEIGHTS.iter().chain(extra).copied().collect();
    let total: u64 = weights.iter().map(|(_, w)| w).sum();
    let mut pick = rng.below(total);
    let mut kind = weights[0].0;
    for (name, w) in &weights {
        if pick < *w {
            kind = name;
            break;
        }
        pick -= w;
    }
    let mut b = || rng.byte();
    match kind {
        "end_block" => Action::EndBlock,
        "idle" => Action::Idle { n: 1 + b() % 8 },
        "invoke" => Action::Invoke {
            invoker: b(),
            function: b(),
            fee_mult: b() % 5,
            input: b(),
        },
        "deposit" => Action::Deposit {
            invoker: b(),
            amount: b(),
        },
        "withdraw" => Action::Withdraw {
            invoker: b(),
            amount: b(),
        },
        "fast_request" => Action::FastRequest {
            invoker: b(),
            function: b(),
            head: b(),
            input: b(),
        },
        "fast_request_twice" => Action::FastRequestTwice {
            invoker: b(),
            function: b(),
            head: b(),
            other: b(),
            input: b(),
        },
        "head_lie" => Action::HeadLie {
            kind: b(),
            pick: b(),
        },
        "report_liar" => Action::ReportLiar { pick: b() },
        "report_head" => Action::ReportHead { pick: b() },
        "challenge" => Action::Challenge {
            kind: b(),
            pick: b(),
        },
        "register" => Action::Register { slot: b() },
        "deregister" => Action::Deregister { slot: b() },
        "unjail" => Action::Unjail { slot: b() },
        "forge_evidence" => Action::ForgeEvidence { pick: b() },
        "send" => Action::Send {
            from: b(),
            to: b(),
            amount: b(),
        },
        _ => Action::SendToModuleAccount {
            from: b(),
            account: b(),
        },
    }
}

/// `steps` actions drawn from `seed` (open attacks too when `open_attacks`).
pub fn generate(seed: u64, steps: usize, open_attacks: bool) -> Vec<Action> {
    let mut rng = Rng::new(seed);
    (0..steps).map(|_| draw(&mut rng, open_attacks)).collect()
}
