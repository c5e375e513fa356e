//! `bls-testkit`: the one in-process chain every module's integration tests run on.
//!
//! # Design
//!
//! A [`TestChain`] is what the app does to its modules, minus consensus, the tx pipeline and
//! the Merkle store: a `MockStorage`, the block being executed, and the list of
//! `&'static dyn bls_core::Module` it drives in hook order. Every call goes through the
//! `Module` trait, as the app's router does:
//!
//! - genesis: each module's `init_genesis` with its section of an `app_state`;
//! - [`TestChain::tx`]: the message's module (found by type URL) checks its signer, runs it,
//!   and a failure rolls the store back, as the app drops a failed tx's overlay;
//! - [`TestChain::keeper`]: a keeper call with a context of the current block, as another
//!   module makes it;
//! - [`TestChain::next_block`]: end block of every module, the next height (time, block hash
//!   and beacon randomness derived from the chain's seed, or given), begin block of every
//!   module;
//! - reads through the bank keeper ([`TestChain::balance`], [`TestChain::supply`],
//!   [`TestChain::burned`]) and JSON queries ([`TestChain::query`]).
//!
//! Events of every successful call are appended to [`TestChain::events`] and also returned by
//! the call, so a test can look at one message's events or at everything since it last
//! cleared the log.
//!
//! [`assert_refused`] checks that a call failed with a given typed error (its codespace and
//! code), so a test names the variant it expects instead of a bare number; [`variant!`] builds
//! the sample it compares with.
//!
//! Each module's `tests/common` keeps only what is its own (keys, workers, message builders,
//! scenario helpers) and wraps or aliases [`TestChain`].

mod chain;
mod refused;

pub use chain::{
    addr, bank_genesis, block_hash, copy_store, randomness, Delivered, Output, TestChain, CHAIN_ID,
    GENESIS_TIME_SECS,
};
pub use refused::{assert_refused, is_refusal};
