//! Attack 11, module accounts: a plain `MsgSend` into an account whose balance a module
//! accounts for (fast-path deposits, escrow, bonds, pools) would break that module's
//! invariant. Every module declares its accounts; the app collects them once; the bank
//! refuses sends into all of them unless declared open; no name is spelled twice.

mod app_chain;

use std::path::{Path, PathBuf};

use app_chain::{fund, genesis_doc, key, AppChain};
use bls_app::module_accounts::{module_accounts, refusing_sends};
use bls_client::keys::KeyPair;
use bls_core::module::encode_any;
use bls_core::{Address, Coin, Coins};
use bls_orchestration::fastpath::msgs::{MsgFastPathDeposit, MSG_FASTPATH_DEPOSIT};
use bls_orchestration::fastpath::state::{fastpath_account, stats};
use serde_json::Value;

const BLS: u128 = 1_000_000;

#[test]
fn every_declared_module_account_refuses_msg_send_unless_declared_open() {
    let all = module_accounts();
    assert!(all.conflicts().is_empty(), "{:?}", all.conflicts());
    let names: Vec<&str> = all.iter().map(|d| d.account.name()).collect();
    // The account the hand-kept list missed is declared, by its module.
    let fastpath = all
        .get(&fastpath_account())
        .expect("fast-path account declared");
    assert_eq!(fastpath.module, "orchestration");
    assert!(names.len() >= 8, "{names:?}");
    for d in all.iter() {
        let addr = d.account.address();
        assert_eq!(
            refusing_sends(&addr).is_some(),
            !d.account.accepts_sends(),
            "{} of {}",
            d.account.name(),
            d.module
        );
        // The app's bank is wired to exactly this collection.
        assert_eq!(all.get(&addr).map(|x| x.module), Some(d.module));
    }
    assert!(refusing_sends(key(1).address()).is_none());
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "target" && name != "node_modules" && !name.starts_with('.') {
                source_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The contents of the string literals on one line of Rust (escapes kept; good enough for
/// finding names).
fn string_literals(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for c in line.chars() {
        match current.as_mut() {
            None if c == '"' => current = Some(String::new()),
            None => {}
            Some(s) if escaped => {
                s.push(c);
                escaped = false;
            }
            Some(_) if c == '\\' => escaped = true,
            Some(_) if c == '"' => out.extend(current.take()),
            Some(s) => s.push(c),
        }
    }
    out
}

fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[test]
fn no_module_account_name_literal_outside_its_declaration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["app", "modules", "worker", "tests"] {
        source_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut problems = Vec::new();
    for d in module_accounts().iter() {
        let name = d.account.name();
        let mut declarations = 0;
        for f in &files {
            let text = std::fs::read_to_string(f).expect("read source");
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                if !string_literals(line).iter().any(|s| mentions(s, name)) {
                    continue;
                }
                if line.contains("ModuleAccount::") {
                    declarations += 1;
                } else {
                    problems.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
        if declarations != 1 {
            problems.push(format!("{name} is declared {declarations} times"));
        }
    }
    assert!(
        problems.is_empty(),
        "module-account names spelled outside their declaration (use the module's \
         ModuleAccount constant):\n{}",
        problems.join("\n")
    );
}

fn send(from: &KeyPair, to: &Address, amount: u128) -> cosmos_sdk_proto::Any {
    bls_client::msgs::bank_send(
        from.address(),
        to,
        &Coins::from_coins([Coin::ubls(amount)]).expect("coins"),
    )
}

/// Σ deposits == the module account's balance == the stored total.
fn assert_deposits_invariant(chain: &AppChain) {
    let view = chain.view();
    let sum = bls_orchestration::fastpath::state::deposits_total(&view).expect("deposits");
    drop(view);
    assert_eq!(chain.balance(&fastpath_account()), sum, "deposit account");
    assert_eq!(stats(&chain.view()).expect("stats").deposits, sum, "stats");
}

#[test]
fn attack_module_account_send() {
    let attacker = key(1);
    let invoker = key(2);
    let mut state: Value =
        serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("template");
    fund(&mut state, attacker.address(), 1_000 * BLS);
    fund(&mut state, invoker.address(), 1_000 * BLS);
    let mut chain =
        AppChain::start(&genesis_doc("macc", state, &[], Some((999, 60)))).expect("genesis");
    let deposit = encode_any(
        &MsgFastPathDeposit {
            invoker: invoker.address().to_string(),
            amount: Some(bls_orchestration::msgs::ProtoCoin::ubls(7 * BLS)),
        },
        MSG_FASTPATH_DEPOSIT,
    );
    let r = chain.exec(&invoker, vec![deposit]);
    assert_eq!(r.code, 0, "{}", r.log);
    assert_deposits_invariant(&chain);
    assert_eq!(chain.balance(&fastpath_account()), 7 * BLS);

    // The send the hand-kept list let through, then every other declared account.
    let mut targets: Vec<_> = module_accounts().iter().copied().collect();
    targets.sort_by_key(|d| d.account.address() != fastpath_account());
    let before = chain.balance(attacker.address());
    for d in &targets {
        let r = chain.exec(&attacker, vec![send(&attacker, &d.account.address(), BLS)]);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("sdk", 4),
            "send to {} accepted: {}",
            d.account.name(),
            r.log
        );
        assert!(
            r.log.contains(d.account.name()) && r.log.contains(d.module),
            "{}",
            r.log
        );
        // The ante's fee transfer is the tx's only transfer: the message's writes are gone.
        let amount = Coin::ubls(BLS).to_string();
        assert!(
            !r.events.iter().any(|e| e.r#type == "transfer"
                && e.attributes
                    .iter()
                    .any(|a| a.key == "amount" && a.value == amount)),
            "{:?}",
            r.events
        );
        assert_deposits_invariant(&chain);
    }
    // Only the fees left the attacker; the deposit account holds exactly the deposit.
    let n = u128::try_from(targets.len()).expect("count");
    assert_eq!(chain.balance(attacker.address()), before - n * chain.fee);
    assert_eq!(chain.balance(&fastpath_account()), 7 * BLS);

    // Control: a send between ordinary accounts goes through.
    let r = chain.exec(&attacker, vec![send(&attacker, invoker.address(), BLS)]);
    assert_eq!(r.code, 0, "{}", r.log);
}
