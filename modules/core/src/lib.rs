//! `bls-core`: what every chain module shares.
//!
//! - [`context::Context`]: the view a message handler gets (store, block, gas, events);
//! - [`gas::GasMeter`]: deterministic gas accounting, charged per store op, byte and signature;
//! - [`events::Event`]: ABCI events emitted by handlers;
//! - [`coins::Coin`] / [`coins::Coins`]: amounts in `ubls` and other denoms;
//! - [`address::Address`]: bech32 `bls1...` account addresses;
//! - [`amount`]: `u128` amounts as JSON strings, `mul_div` / `mul_bps` (floors, no overflow);
//! - [`error::ModuleError`]: the code / codespace / log triple every module error maps to;
//! - [`route::MsgRouter`]: a module's message table (type URL → signer, handler, response);
//! - [`module_account::ModuleAccount`]: a module account as its module declares it, and
//!   [`module_account::ModuleAccounts`], every module's declarations collected by the app;
//! - [`governed_params::GovernedParams`]: params governance may change, through each module's
//!   own checks;
//! - [`spec::ModuleSpec`]: a module declared as a table of its parts, which is then a [`Module`];
//! - [`manifest::Manifest`]: how to run a function, validated the same on chain and in workers;
//! - [`origin::Origin`]: an HTTP origin a manifest may allow, which must be public;
//! - [`public_ip`] / [`public_name`]: the one definition of a public address and a public
//!   host name, shared by the chain (manifest origins) and workers (every resolved address);
//! - [`outcome::Outcome`]: the canonical execution outcome workers commit to and reveal;
//! - [`composition`]: the bounds on one function calling another, and the call record;
//! - [`storage::GasStorage`]: a `cosmwasm_std::Storage` wrapper that charges gas per op.

pub mod address;
pub mod amount;
pub mod changeset;
pub mod coins;
pub mod composition;
pub mod context;
pub mod error;
pub mod events;
pub mod gas;
pub mod governed_params;
pub mod manifest;
pub mod module;
pub mod module_account;
pub mod origin;
pub mod outcome;
pub mod overlay;
pub mod public_ip;
pub mod public_name;
pub mod route;
pub mod spec;
pub mod storage;

pub use address::Address;
pub use changeset::ChangeSet;
pub use coins::{Coin, Coins, DENOM};
pub use context::{BlockInfo, Context, Misbehavior, ValidatorUpdate, VoteInfo};
pub use error::{AbciCode, ModuleError};
pub use events::Event;
pub use gas::{GasConfig, GasMeter};
pub use module::Module;
pub use module_account::{ModuleAccount, ModuleAccounts};
pub use overlay::Overlay;
pub use route::{MsgRoute, MsgRouter};
pub use spec::ModuleSpec;
