//! The worker's libp2p layer: [`node`] (tcp + noise + yamux swarm, request-response for
//! work orders and code blobs), [`protocol`] (wire messages), [`identity`] (the worker key
//! as the libp2p identity, so the noise-authenticated peer id is the registered one) and
//! [`serve`] (answering work orders and code requests from registered peers only).

pub mod identity;
pub mod node;
pub mod protocol;
pub mod serve;

pub use node::{Incoming, P2pError, P2pHandle};
