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
    /// A fast-path request served off chain through an honest head: the subnetwork signs
    /// (liars sign a lie), the head settles it on chain with the next block.
    FastRequest {
        invoker: u8,
        function: u8,
        head: u8,
        input: u8,
    },
    /// The lying head submits a receipt it should not be paid for (`kind` picks the lie).
    HeadLie { kind: u8, pick: u8 },
    /// A watcher reports a liar's fast-path signature together with the quorum's.
    ReportLiar { pick: u8 },
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
    /// Attack 1 of issue #12 (an open attack, see [`OPEN_ATTACK_WEIGHTS`]): the forger takes
    /// a settled (public) receipt, signs a zero result hash with its own worker and submits
    /// it as evidence under its own n = 1, m = 1 function, so the honest signers look like
    /// the minority.
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
    ("head_lie", 5),
    ("report_liar", 3),
    ("register", 2),
    ("deregister", 1),
    ("unjail", 4),
    ("send", 3),
    ("send_to_module_account", 2),
];

/// Attacks today's rules do not stop yet, drawn only when a run asks for them
/// (`BLS_MODEL_OPEN_ATTACKS=1`): each shows the model finding it. Move an entry into
/// [`WEIGHTS`] once the rule that stops it lands.
pub const OPEN_ATTACK_WEIGHTS: &[(&str, u64)] = &[("forge_evidence", 3)];

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
        "head_lie" => Action::HeadLie {
            kind: b(),
            pick: b(),
        },
        "report_liar" => Action::ReportLiar { pick: b() },
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
