//! The worker's libp2p layer: [`node`] (tcp + noise + yamux swarm, request-response for
//! work orders and code blobs), [`protocol`] (wire messages), [`identity`] (the worker key
//! as the libp2p identity, so the noise-authenticated peer id is the registered one),
//! [`serve`] (answering work orders and code requests from registered peers only),
//! [`gate`] (registered peers only), [`discovery`] (Kademlia bootstrap from the chain's
//! head workers) and [`gossip`] (subnetwork topics and prefetch notices).

pub mod code_fetch;
pub mod discovery;
pub mod executor;
pub mod gate;
pub mod gossip;
pub mod identity;
pub mod node;
pub mod peers;
pub mod protocol;
pub mod refusal;
pub mod serve;

pub use node::{Incoming, P2pError, P2pHandle};
