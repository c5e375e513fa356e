//! Who this node deals with: peers registered on chain. The node asks a [`PeerAuthority`]
//! about every newly connected peer (and every gossip author and relayer), and again about
//! every connected peer whenever discovery re-reads the registry; unknown peers are
//! disconnected, kept out of the Kademlia routing table and their gossip rejected.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use libp2p::{Multiaddr, PeerId};

/// What the node needs to know of a registered peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// Its published multiaddrs (added to the routing table once it is let in).
    pub addrs: Vec<Multiaddr>,
    /// An active head worker (a Kademlia bootstrap node).
    pub head: bool,
}

/// A boxed future of a registration lookup.
pub type Lookup<'a> = Pin<Box<dyn Future<Output = Option<Registered>> + Send + 'a>>;

/// Answers "is this peer registered?" (the chain's registry in the daemon).
pub trait PeerAuthority: Send + Sync + 'static {
    /// The registration of `peer`, or `None` when it is not registered.
    fn registered<'a>(&'a self, peer: &'a PeerId) -> Lookup<'a>;
}

/// A fixed, editable set of registered peers (tests and tools without a chain).
#[derive(Debug, Default)]
pub struct StaticPeers(RwLock<BTreeMap<PeerId, Registered>>);

impl StaticPeers {
    /// Registers (or re-registers) `peer`.
    pub fn insert(&self, peer: PeerId, reg: Registered) {
        if let Ok(mut m) = self.0.write() {
            m.insert(peer, reg);
        }
    }

    /// Deregisters `peer`.
    pub fn remove(&self, peer: &PeerId) {
        if let Ok(mut m) = self.0.write() {
            m.remove(peer);
        }
    }
}

impl PeerAuthority for StaticPeers {
    fn registered<'a>(&'a self, peer: &'a PeerId) -> Lookup<'a> {
        let r = self.0.read().ok().and_then(|m| m.get(peer).cloned());
        Box::pin(async move { r })
    }
}
