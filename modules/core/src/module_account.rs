//! Module accounts: addresses nobody holds a key for, whose coins a module accounts for itself
//! (escrow, bonds, deposits, pools).
//!
//! Each module declares its own accounts next to the code that owns their balances
//! ([`crate::spec::ModuleSpec::MODULE_ACCOUNTS`], [`crate::Module::module_accounts`]); the app
//! collects every module's declarations once ([`ModuleAccounts::collect`]) and the bank refuses
//! a plain `MsgSend` into every account not declared [`ModuleAccount::accepting_sends`]. This is
//! the Cosmos SDK's `maccPerms` table and the blocked addresses derived from it, with the
//! declaration living in the module rather than in a hand-kept list that can drift from it.

use std::collections::BTreeMap;

use crate::address::Address;
use crate::module::Module;

/// One module account as its module declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleAccount {
    name: &'static str,
    accepts_sends: bool,
}

impl ModuleAccount {
    /// An account only its module pays into: `MsgSend` to it is refused. The default, because
    /// such a balance must equal what the module tracks (a deposit sum, open escrow, bonds), and
    /// coins arriving from outside would break that equality.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            accepts_sends: false,
        }
    }

    /// An account anyone may pay into with `MsgSend`: only for a pool whose balance no module
    /// invariant pins (a donation sink).
    pub const fn accepting_sends(name: &'static str) -> Self {
        Self {
            name,
            accepts_sends: true,
        }
    }

    /// The account's name (what [`Address::module`] hashes).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// True when a plain `MsgSend` may pay into it.
    pub const fn accepts_sends(&self) -> bool {
        self.accepts_sends
    }

    /// Its address: [`Address::module`] of the name.
    pub fn address(&self) -> Address {
        Address::module(self.name)
    }
}

/// A module account together with the module that declared it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclaredAccount {
    /// The declaring module's name.
    pub module: &'static str,
    /// The declaration.
    pub account: ModuleAccount,
}

/// Every module account of a chain, collected from its modules' declarations, by address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleAccounts {
    by_address: BTreeMap<Address, DeclaredAccount>,
    conflicts: Vec<(DeclaredAccount, DeclaredAccount)>,
}

impl ModuleAccounts {
    /// Collects the declarations of `modules`, in their order.
    ///
    /// Two declarations of one address (one name declared by two modules) are a wiring
    /// mistake that [`ModuleAccounts::conflicts`] reports; the collection still refuses sends
    /// into the account if either declaration does, so a mistake never opens an account.
    pub fn collect(modules: &[&dyn Module]) -> Self {
        let mut out = Self::default();
        for m in modules {
            for account in m.module_accounts() {
                let declared = DeclaredAccount {
                    module: m.name(),
                    account: *account,
                };
                match out.by_address.get_mut(&account.address()) {
                    Some(first) => {
                        out.conflicts.push((*first, declared));
                        if !account.accepts_sends() {
                            first.account.accepts_sends = false;
                        }
                    }
                    None => {
                        out.by_address.insert(account.address(), declared);
                    }
                }
            }
        }
        out
    }

    /// The declaration behind `address`, if it is a module account.
    pub fn get(&self, address: &Address) -> Option<&DeclaredAccount> {
        self.by_address.get(address)
    }

    /// The module account `address` is, when a plain `MsgSend` may not pay into it.
    pub fn refusing_sends(&self, address: &Address) -> Option<&DeclaredAccount> {
        self.get(address).filter(|d| !d.account.accepts_sends())
    }

    /// Every declared account, in address order.
    pub fn iter(&self) -> impl Iterator<Item = &DeclaredAccount> {
        self.by_address.values()
    }

    /// Pairs of declarations of the same account (empty in a correctly wired app).
    pub fn conflicts(&self) -> &[(DeclaredAccount, DeclaredAccount)] {
        &self.conflicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AbciCode;
    use crate::spec::{ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};

    struct Never;
    impl std::fmt::Display for Never {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("never")
        }
    }
    impl AbciCode for Never {
        fn codespace(&self) -> &'static str {
            "test"
        }
        fn code(&self) -> u32 {
            1
        }
    }

    /// A module with the given name and accounts and nothing else.
    macro_rules! module_with_accounts {
        ($ty:ident, $name:literal, $accounts:expr) => {
            struct $ty;
            impl ModuleSpec for $ty {
                type Error = Never;
                type Genesis = ();
                const NAME: &'static str = $name;
                const MODULE_ACCOUNTS: &'static [ModuleAccount] = $accounts;
                const QUERY_PREFIX: &'static str = concat!("/", $name, "/");
                const QUERY: QueryFn<Never> = |_, _, _| Err(Never);
                const INVALID_GENESIS: fn(serde_json::Error) -> Never = |_| Never;
                const INIT_GENESIS: InitGenesisFn<(), Never> = |_, _| Ok(());
                const EXPORT_GENESIS: ExportGenesisFn<(), Never> = |_| Ok(());
                const EXPORT_CONTEXT: &'static str = $name;
            }
        };
    }

    module_with_accounts!(
        Escrow,
        "escrow",
        &[
            ModuleAccount::new("escrow_held"),
            ModuleAccount::accepting_sends("escrow_tips"),
        ]
    );
    module_with_accounts!(
        Thief,
        "thief",
        &[ModuleAccount::accepting_sends("escrow_held")]
    );

    #[test]
    fn collects_declarations_and_their_send_policy() {
        let all = ModuleAccounts::collect(&[&Escrow]);
        let held = Address::module("escrow_held");
        let tips = Address::module("escrow_tips");
        assert_eq!(all.iter().count(), 2);
        assert_eq!(all.refusing_sends(&held).map(|d| d.module), Some("escrow"));
        assert!(all.get(&tips).is_some());
        assert!(all.refusing_sends(&tips).is_none());
        assert!(all.get(&Address::from_bytes(&[1; 20])).is_none());
        assert!(all.conflicts().is_empty());
    }

    #[test]
    fn a_second_declaration_is_a_conflict_and_never_opens_the_account() {
        let all = ModuleAccounts::collect(&[&Escrow, &Thief]);
        assert_eq!(all.conflicts().len(), 1);
        assert_eq!(all.conflicts()[0].1.module, "thief");
        assert!(all
            .refusing_sends(&Address::module("escrow_held"))
            .is_some());
    }
}
