//! Harness for end-to-end tests: starts real `cometbft`, `blsd` (and later `bls-worker`)
//! processes on free loopback ports in a temp dir, waits on conditions with deadlines, and
//! kills everything on drop.
//!
//! Binaries are taken from the cargo target dir this test was built into (`scripts/test`
//! builds them first), and `cometbft` from `$COMETBFT_BIN`, `$PATH` or `~/go/bin`.

pub mod chain;
pub mod docs;
pub mod fastpath;
pub mod flood;
pub mod geth;
pub mod ipfs;
pub mod leak;
pub mod moto;
pub mod net;
pub mod node;
pub mod process;
pub mod sentinel;
pub mod wait;
pub mod worker;

pub use node::{Localnet, NodeOptions};
pub use process::{artifacts_dir, bin_path, bls_cli, cometbft_bin, json_of, test_keyring};
pub use wait::wait_until;
