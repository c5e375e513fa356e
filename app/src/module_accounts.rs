//! The chain's module accounts: every module's declarations ([`bls_core::ModuleSpec`]'s
//! `MODULE_ACCOUNTS`), collected once from [`all_modules`]. The bank's `MsgSend` refuses every
//! account here that its module did not declare open to sends ([`refusing_sends`]).

use std::sync::LazyLock;

use bls_core::module_account::DeclaredAccount;
use bls_core::{Address, ModuleAccounts};

use crate::modules::all_modules;

static ACCOUNTS: LazyLock<ModuleAccounts> =
    LazyLock::new(|| ModuleAccounts::collect(&all_modules()));

/// Every module account of the chain, by address.
pub fn module_accounts() -> &'static ModuleAccounts {
    &ACCOUNTS
}

/// The module account `address` is, when plain `MsgSend` may not pay into it (what the bank is
/// built with).
pub fn refusing_sends(address: &Address) -> Option<DeclaredAccount> {
    ACCOUNTS.refusing_sends(address).copied()
}
