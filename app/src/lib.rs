//! `bls-app`: the bls chain's ABCI application and the `blsd` binary's library.
//!
//! - [`store`]: redb + jmt state store with tx/block overlays and ics23 proofs;
//! - [`tx`]: the Cosmos tx pipeline (decode, ante, gas, routing);
//! - [`modules`]: the chain's modules in execution order;
//! - [`module_accounts`]: every module's declared module accounts, collected once;
//! - [`abci`]: the ABCI 2.0 state machine and its owner thread;
//! - [`beacon_secret`]: the validator's randomness-beacon secret on disk;
//! - [`config`], [`node`], [`rest`], [`cli`]: the `blsd` node process and commands;
//! - [`dashboard`], [`webapp`]: the pages `blsd start` serves (the read-only network dashboard,
//!   and the web app where wallets sign in and send transactions).

pub mod abci;
pub mod beacon_secret;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod metrics;
pub mod module_accounts;
pub mod modules;
pub mod node;
pub mod outcome_view;
pub mod rest;
pub mod rest_gov;
pub mod rest_staking;
pub mod statesync;
pub mod store;
pub mod toml_patch;
pub mod tx;
pub mod upgrades;
pub mod webapp;
