//! The `bls.*` wire schema: the `.proto` files beside this crate are the source of truth for
//! every message, query and event of the chain's own modules (staking, slashing, fees,
//! registry, orchestration, beacon, gov, upgrade).
//!
//! - [`FILE_DESCRIPTOR_SET`] / [`descriptor_pool`]: the compiled schema (protox at build time),
//!   for reflection: dynamic messages, the JSON mapping, custom options.
//! - [`bls`], [`cosmos`]: Rust types prost-build generates from it. The modules keep their own
//!   hand-tagged prost structs; this crate's tests prove each encodes exactly as its generated
//!   twin.
//! - [`events`]: the `Event*` messages by ABCI event type, and [`events::decode`] to read an
//!   emitted event back into its message.
//! - [`query`]: the query codec the app uses to answer a `bls.*` query in protobuf: the request
//!   becomes the module's JSON request, the module's JSON answer becomes the rpc's protobuf
//!   response (see proto/README.md for the rule that picks the encoding).

use std::sync::OnceLock;

/// The reflection library the descriptors and dynamic messages come from (same version).
pub use prost_reflect;
use prost_reflect::DescriptorPool;

pub mod amino;
pub mod eip712;
pub mod events;
pub mod query;

/// The compiled schema: a `google.protobuf.FileDescriptorSet` of every file under proto/ and
/// its imports, with source info (comments).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/bls_descriptor.bin"));

/// The schema's descriptors, decoded once.
pub fn descriptor_pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        // The bytes are the build's own output: a failure here is a broken build, not input.
        DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the embedded descriptor set decodes")
    })
}

/// Types generated from `proto/bls/**` (`bls.options.v1` declares only an extension, which
/// prost does not generate: read it through [`descriptor_pool`]; `bls.gov.v1` holds a
/// proposal's content as `Any`, which this crate does not link, so it is read through
/// [`descriptor_pool`] too).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod bls {
    /// `bls.staking.v1`.
    pub mod staking {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.staking.v1.rs"));
        }
    }
    /// `bls.slashing.v1`.
    pub mod slashing {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.slashing.v1.rs"));
        }
    }
    /// `bls.fees.v1`.
    pub mod fees {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.fees.v1.rs"));
        }
    }
    /// `bls.registry.v1`.
    pub mod registry {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.registry.v1.rs"));
        }
    }
    /// `bls.orchestration.v1`.
    pub mod orchestration {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.orchestration.v1.rs"));
        }
    }
    /// `bls.crypto.v1`.
    pub mod crypto {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.crypto.v1.rs"));
        }
    }
    /// `bls.beacon.v1`.
    pub mod beacon {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.beacon.v1.rs"));
        }
    }
    /// `bls.upgrade.v1`.
    pub mod upgrade {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/bls.upgrade.v1.rs"));
        }
    }
}

/// Types generated from the trimmed Cosmos SDK protos under `proto/cosmos/**`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod cosmos {
    /// `cosmos.bank`.
    pub mod bank {
        /// `cosmos.bank.v1beta1` (`MsgSend` only).
        pub mod v1beta1 {
            include!(concat!(env!("OUT_DIR"), "/cosmos.bank.v1beta1.rs"));
        }
    }
    /// `cosmos.evm` (the Ethereum key type only).
    pub mod evm {
        /// `cosmos.evm.crypto`.
        pub mod crypto {
            /// `cosmos.evm.crypto.v1`.
            pub mod v1 {
                /// `cosmos.evm.crypto.v1.ethsecp256k1`.
                pub mod ethsecp256k1 {
                    include!(concat!(
                        env!("OUT_DIR"),
                        "/cosmos.evm.crypto.v1.ethsecp256k1.rs"
                    ));
                }
            }
        }
    }
    /// `cosmos.base`.
    pub mod base {
        /// `cosmos.base.v1beta1`.
        pub mod v1beta1 {
            include!(concat!(env!("OUT_DIR"), "/cosmos.base.v1beta1.rs"));
        }
    }
}
