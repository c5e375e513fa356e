//! The libp2p node: TCP + noise (encrypted, authenticated by peer id) + yamux, carrying the
//! work-order and code-blob request-response protocols, Kademlia (discovery from the
//! chain's head workers, code-blob provider records), identify, and gossipsub (subnetwork
//! topics, every message validated before it is relayed). One task owns the swarm; the
//! rest of the worker talks to it through a [`P2pHandle`].
//!
//! Gating: each newly connected peer is looked up in the [`PeerAuthority`]; an unregistered
//! one is disconnected and never enters the routing table (inserts are manual). Gossip
//! whose author or relayer is unregistered, or whose payload is malformed, is rejected.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId};
use libp2p::kad::store::{MemoryStore, RecordStore as _};
use libp2p::kad::{self, GetProvidersOk, QueryId, QueryResult};
use libp2p::request_response::{self, cbor, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, identity, noise, tcp, yamux, Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use super::gate::PeerAuthority;
use super::protocol::*;

/// How long a work order may take end to end at most, execution included: the longest
/// function timeout (15 minutes) plus the head's margin for fetching and compiling code. The
/// head waits each order only its function's timeout plus that margin
/// ([`crate::head::dispatch::order_wait`]).
pub const WORK_TIMEOUT: Duration =
    Duration::from_millis(bls_core::manifest::MAX_TIMEOUT_MS + 60_000);
/// How long a code-blob request may take (callers wait less: see `code_fetch`).
pub const CODE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest code-blob response accepted (the largest WASM plus CBOR framing).
const MAX_CODE_RESPONSE: u64 = crate::daemon::code::MAX_WASM_BYTES + (1 << 20);
/// Largest gossipsub RPC frame (control messages included).
const MAX_GOSSIP_FRAME: usize = 64 << 10;
/// Established connections accepted from others at most (registered peers need one each;
/// unregistered ones are dropped by the gate, but each holds resources until then).
const MAX_INCOMING_CONNECTIONS: u32 = 512;
/// Incoming connections still in their handshake at most.
const MAX_PENDING_INCOMING: u32 = 128;
/// Connections to one peer at most (two nodes dialing each other at once make two).
const MAX_CONNECTIONS_PER_PEER: u32 = 4;
/// A function's prefetch notice is published at most this often by one node.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(30);

/// Why a p2p call failed.
#[derive(Debug, thiserror::Error)]
pub enum P2pError {
    /// Setting up the swarm failed.
    #[error("p2p setup: {0}")]
    Setup(String),
    /// The peer could not be reached or did not answer.
    #[error("p2p request to {peer}: {reason}")]
    Request {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// Publishing gossip failed (e.g. nobody subscribed yet).
    #[error("p2p publish: {0}")]
    Publish(String),
    /// The node task stopped.
    #[error("p2p node stopped")]
    Stopped,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    /// Caps connections (any peer can connect before the registration check runs).
    limits: libp2p::connection_limits::Behaviour,
    work: cbor::Behaviour<WorkOrder, WorkReply>,
    code: cbor::Behaviour<CodeRequest, CodeReply>,
    kad: kad::Behaviour<MemoryStore>,
    identify: identify::Behaviour,
    gossip: gossipsub::Behaviour,
}

/// Something that arrived from a peer. Answer requests with [`P2pHandle::respond_work`] /
/// [`P2pHandle::respond_code`]; judge a prefetch with [`P2pHandle::validate`].
pub enum Incoming {
    /// A work order.
    Work {
        /// Authenticated sender.
        peer: PeerId,
        /// The order.
        order: Box<WorkOrder>,
        /// Where the answer goes.
        channel: ResponseChannel<WorkReply>,
    },
    /// A code request.
    Code {
        /// Authenticated sender.
        peer: PeerId,
        /// The request.
        request: CodeRequest,
        /// Where the answer goes.
        channel: ResponseChannel<CodeReply>,
    },
    /// A well-formed prefetch notice from a registered author via a registered relayer,
    /// not yet checked against the chain: report the verdict with [`P2pHandle::validate`].
    Prefetch {
        /// The (signed) author.
        author: PeerId,
        /// The peer that relayed it to us.
        relayer: PeerId,
        /// Gossip message id.
        id: MessageId,
        /// The function.
        function_id: u64,
        /// The claimed code hash.
        code_hash: [u8; 32],
    },
}

enum Command {
    Work {
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        order: Box<WorkOrder>,
        reply: oneshot::Sender<Result<WorkReply, P2pError>>,
    },
    Code {
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        request: CodeRequest,
        reply: oneshot::Sender<Result<CodeReply, P2pError>>,
    },
    RespondWork(ResponseChannel<WorkReply>, WorkReply),
    RespondCode(ResponseChannel<CodeReply>, CodeReply),
    AddBootstrap(PeerId, Vec<Multiaddr>),
    Bootstrap,
    Recheck,
    Provide([u8; 32]),
    Providers([u8; 32], Vec<PeerId>, oneshot::Sender<Vec<PeerId>>),
    Subscribe(String),
    Unsubscribe(String),
    Publish(String, Vec<u8>, oneshot::Sender<Result<(), P2pError>>),
    Validate(MessageId, PeerId, MessageAcceptance),
    Gated(PeerId, Option<Vec<Multiaddr>>),
    RoutingPeers(oneshot::Sender<Vec<PeerId>>),
    TopicPeers(String, oneshot::Sender<Vec<PeerId>>),
}

/// Counters of the node (read by the metrics and by tests).
#[derive(Debug, Default)]
pub struct NodeStats {
    /// Connected peers that passed the registration check.
    pub peers: AtomicUsize,
    /// Connections dropped because the peer is not registered.
    pub rejected_peers: AtomicU64,
    /// Gossip messages rejected (unregistered author/relayer, malformed, or refused by
    /// the application).
    pub gossip_rejected: AtomicU64,
    /// Gossip messages accepted.
    pub gossip_accepted: AtomicU64,
}

/// Talks to the node task.
#[derive(Clone)]
pub struct P2pHandle {
    tx: mpsc::Sender<Command>,
    /// This node's peer id.
    pub peer_id: PeerId,
    /// Live counters.
    pub stats: Arc<NodeStats>,
    announced: Arc<Mutex<BTreeMap<u64, Instant>>>,
}

impl P2pHandle {
    async fn send(&self, c: Command) -> Result<(), P2pError> {
        self.tx.send(c).await.map_err(|_| P2pError::Stopped)
    }

    /// Sends a work order to `peer` (dialled at `addrs` if not connected).
    pub async fn work(
        &self,
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        order: WorkOrder,
    ) -> Result<WorkReply, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Work {
            peer,
            addrs,
            order: Box::new(order),
            reply,
        })
        .await?;
        rx.await.map_err(|_| P2pError::Stopped)?
    }

    /// Asks `peer` for a code blob.
    pub async fn code(
        &self,
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        request: CodeRequest,
    ) -> Result<CodeReply, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.send(Command::Code {
            peer,
            addrs,
            request,
            reply,
        })
        .await?;
        rx.await.map_err(|_| P2pError::Stopped)?
    }

    /// Answers an incoming work order.
    pub async fn respond_work(&self, channel: ResponseChannel<WorkReply>, r: WorkReply) {
        let _ = self.send(Command::RespondWork(channel, r)).await;
    }

    /// Answers an incoming code request.
    pub async fn respond_code(&self, channel: ResponseChannel<CodeReply>, r: CodeReply) {
        let _ = self.send(Command::RespondCode(channel, r)).await;
    }

    /// Adds a bootstrap peer (a head worker from the chain) to the routing table.
    pub async fn add_bootstrap(&self, peer: PeerId, addrs: Vec<Multiaddr>) {
        let _ = self.send(Command::AddBootstrap(peer, addrs)).await;
    }

    /// Runs a Kademlia bootstrap (a no-op while the routing table is empty).
    pub async fn bootstrap(&self) {
        let _ = self.send(Command::Bootstrap).await;
    }

    /// Checks every admitted peer against the registry again: a peer deregistered since
    /// it connected is disconnected and dropped from routing (discovery runs this on each
    /// registry refresh).
    pub async fn recheck_peers(&self) {
        let _ = self.send(Command::Recheck).await;
    }

    /// Announces this node as a provider of the code blob `hash`.
    pub async fn provide(&self, hash: [u8; 32]) {
        let _ = self.send(Command::Provide(hash)).await;
    }

    /// Providers of the code blob `hash` other than this node and `exclude` (may include
    /// unregistered peers: check before use), found within `timeout`. The walk stops at the
    /// first answer naming such a provider.
    pub async fn providers(
        &self,
        hash: [u8; 32],
        exclude: &[PeerId],
        timeout: Duration,
    ) -> Vec<PeerId> {
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Providers(hash, exclude.to_vec(), reply);
        if self.send(cmd).await.is_err() {
            return Vec::new();
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(p)) => p,
            _ => Vec::new(),
        }
    }

    /// Subscribes to a gossip topic.
    pub async fn subscribe(&self, topic: &str) {
        let _ = self.send(Command::Subscribe(topic.to_string())).await;
    }

    /// Unsubscribes from a gossip topic.
    pub async fn unsubscribe(&self, topic: &str) {
        let _ = self.send(Command::Unsubscribe(topic.to_string())).await;
    }

    /// Publishes raw bytes (at most [`MAX_GOSSIP_BYTES`]) on a gossip topic.
    pub async fn publish(&self, topic: &str, data: Vec<u8>) -> Result<(), P2pError> {
        if data.len() > MAX_GOSSIP_BYTES {
            return Err(P2pError::Publish(format!(
                "{} bytes is over the gossip limit",
                data.len()
            )));
        }
        let (reply, rx) = oneshot::channel();
        self.send(Command::Publish(topic.to_string(), data, reply))
            .await?;
        rx.await.map_err(|_| P2pError::Stopped)?
    }

    /// Reports the application's verdict on an [`Incoming::Prefetch`] (accepted messages
    /// are relayed, rejected ones penalize the relayer).
    pub async fn validate(&self, id: MessageId, relayer: PeerId, accept: bool) {
        let verdict = if accept {
            MessageAcceptance::Accept
        } else {
            MessageAcceptance::Reject
        };
        let _ = self.send(Command::Validate(id, relayer, verdict)).await;
    }

    /// Tells the function's subnetwork to fetch and compile `code_hash` now (a head calls
    /// this when it serves the function). Rate-limited per function; never blocks: a full
    /// command queue drops the notice (it is only a hint).
    pub fn announce_function(&self, function_id: u64, code_hash: [u8; 32]) {
        let recent = self.announced.lock().is_ok_and(|m| {
            m.get(&function_id)
                .is_some_and(|t| t.elapsed() < ANNOUNCE_EVERY)
        });
        if recent {
            return;
        }
        let notice = Prefetch {
            function_id,
            code_hash: hex::encode(code_hash),
        };
        let (reply, rx) = oneshot::channel();
        let cmd = Command::Publish(subnet_topic(function_id), notice.encode(), reply);
        if self.tx.try_send(cmd).is_ok() {
            let announced = self.announced.clone();
            tokio::spawn(async move {
                match rx.await {
                    // Only a notice that went out counts: until the members have
                    // subscribed, every request tries again.
                    Ok(Ok(())) => {
                        if let Ok(mut m) = announced.lock() {
                            m.insert(function_id, Instant::now());
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(function_id, error = %e, "prefetch notice not published")
                    }
                    Err(_) => {}
                }
            });
        }
    }

    /// Peers in the Kademlia routing table.
    pub async fn routing_peers(&self) -> Vec<PeerId> {
        let (reply, rx) = oneshot::channel();
        if self.send(Command::RoutingPeers(reply)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Connected peers known to be subscribed to `topic`.
    pub async fn topic_peers(&self, topic: &str) -> Vec<PeerId> {
        let (reply, rx) = oneshot::channel();
        if self
            .send(Command::TopicPeers(topic.to_string(), reply))
            .await
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Connected peers that passed the registration check.
    pub fn peer_count(&self) -> usize {
        self.stats.peers.load(Ordering::Relaxed)
    }
}

fn build_swarm(keypair: identity::Keypair) -> Result<libp2p::Swarm<Behaviour>, P2pError> {
    let setup = |e: &dyn std::fmt::Display| P2pError::Setup(e.to_string());
    let work_cfg = request_response::Config::default().with_request_timeout(WORK_TIMEOUT);
    let code_cfg = request_response::Config::default().with_request_timeout(CODE_TIMEOUT);
    let gcfg = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        // Whole RPC frames (control messages, subscriptions to many topics); the payload
        // limit of one notice is MAX_GOSSIP_BYTES, checked on publish and on receipt.
        .max_transmit_size(MAX_GOSSIP_FRAME)
        .heartbeat_interval(Duration::from_secs(1))
        .build()
        .map_err(|e| setup(&e))?;
    let gossip = gossipsub::Behaviour::new(
        gossipsub::MessageAuthenticity::Signed(keypair.clone()),
        gcfg,
    )
    .map_err(|e| setup(&e))?;
    let peer_id = keypair.public().to_peer_id();
    let mut kcfg = kad::Config::new(KAD_PROTOCOL);
    kcfg.set_query_timeout(Duration::from_secs(10))
        // Only peers that passed the registration check enter the routing table.
        .set_kbucket_inserts(kad::BucketInserts::Manual)
        // The daemon bootstraps on its own chain-refresh tick.
        .set_periodic_bootstrap_interval(None)
        // Records and provider records pushed by peers are judged before they are stored:
        // only registered peers' provider records are kept (see `kad_event`), so nobody can
        // fill the store and make this node's own announcements fail.
        .set_record_filtering(kad::StoreInserts::FilterBoth);
    let mut kad = kad::Behaviour::with_config(peer_id, MemoryStore::new(peer_id), kcfg);
    kad.set_mode(Some(kad::Mode::Server));
    let identify = identify::Behaviour::new(identify::Config::new(
        IDENTIFY_PROTOCOL.to_string(),
        keypair.public(),
    ));
    let code_codec = cbor::codec::Codec::default().set_response_size_maximum(MAX_CODE_RESPONSE);
    let limits = libp2p::connection_limits::ConnectionLimits::default()
        .with_max_established_incoming(Some(MAX_INCOMING_CONNECTIONS))
        .with_max_pending_incoming(Some(MAX_PENDING_INCOMING))
        .with_max_established_per_peer(Some(MAX_CONNECTIONS_PER_PEER));
    let behaviour = Behaviour {
        limits: libp2p::connection_limits::Behaviour::new(limits),
        work: cbor::Behaviour::new([(WORK_PROTOCOL, ProtocolSupport::Full)], work_cfg),
        code: cbor::Behaviour::with_codec(
            code_codec,
            [(CODE_PROTOCOL, ProtocolSupport::Full)],
            code_cfg,
        ),
        kad,
        identify,
        gossip,
    };
    Ok(libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build())
}

/// Starts the node listening on `listen`, gating peers through `authority`; incoming
/// requests and gossip go to the returned receiver. Returns the handle and the first
/// listen address actually bound.
pub async fn start(
    keypair: identity::Keypair,
    listen: Multiaddr,
    authority: Arc<dyn PeerAuthority>,
) -> Result<(P2pHandle, mpsc::Receiver<Incoming>, Multiaddr), P2pError> {
    let mut swarm = build_swarm(keypair)?;
    swarm
        .listen_on(listen)
        .map_err(|e| P2pError::Setup(e.to_string()))?;
    let bound = loop {
        match swarm.next().await {
            Some(SwarmEvent::NewListenAddr { address, .. }) => break address,
            Some(_) => continue,
            None => return Err(P2pError::Stopped),
        }
    };
    let peer_id = *swarm.local_peer_id();
    let (tx, rx) = mpsc::channel::<Command>(1024);
    let (in_tx, in_rx) = mpsc::channel::<Incoming>(1024);
    let stats = Arc::new(NodeStats::default());
    let task = NodeTask {
        swarm,
        me: peer_id,
        cmd_tx: tx.downgrade(),
        in_tx,
        authority,
        stats: stats.clone(),
        pending_work: HashMap::new(),
        pending_code: HashMap::new(),
        pending_providers: HashMap::new(),
        allowed: HashSet::new(),
        identified: HashMap::new(),
    };
    tokio::spawn(task.run(rx));
    Ok((
        P2pHandle {
            tx,
            peer_id,
            stats,
            announced: Default::default(),
        },
        in_rx,
        bound,
    ))
}

type ProviderLookup = (HashSet<PeerId>, Vec<PeerId>, oneshot::Sender<Vec<PeerId>>);

type Pending<T> = HashMap<OutboundRequestId, (String, oneshot::Sender<Result<T, P2pError>>)>;

struct NodeTask {
    swarm: libp2p::Swarm<Behaviour>,
    me: PeerId,
    /// Weak, so the task ends when the last handle is dropped.
    cmd_tx: mpsc::WeakSender<Command>,
    in_tx: mpsc::Sender<Incoming>,
    authority: Arc<dyn PeerAuthority>,
    stats: Arc<NodeStats>,
    pending_work: Pending<WorkReply>,
    pending_code: Pending<CodeReply>,
    /// Provider lookups: found so far, peers not wanted, where the answer goes.
    pending_providers: HashMap<QueryId, ProviderLookup>,
    /// Connected peers found registered.
    allowed: HashSet<PeerId>,
    /// Listen addresses peers told us (identify), used once they are let in.
    identified: HashMap<PeerId, Vec<Multiaddr>>,
}

impl NodeTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => return,
                    Some(c) => self.command(c),
                },
                ev = self.swarm.select_next_some() => self.event(ev),
            }
        }
    }

    fn kad(&mut self) -> &mut kad::Behaviour<MemoryStore> {
        &mut self.swarm.behaviour_mut().kad
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Work {
                peer,
                addrs,
                order,
                reply,
            } => {
                for a in addrs {
                    self.swarm.add_peer_address(peer, a);
                }
                let id = self.swarm.behaviour_mut().work.send_request(&peer, *order);
                self.pending_work.insert(id, (peer.to_string(), reply));
            }
            Command::Code {
                peer,
                addrs,
                request,
                reply,
            } => {
                for a in addrs {
                    self.swarm.add_peer_address(peer, a);
                }
                let id = self.swarm.behaviour_mut().code.send_request(&peer, request);
                self.pending_code.insert(id, (peer.to_string(), reply));
            }
            Command::RespondWork(ch, r) => {
                let _ = self.swarm.behaviour_mut().work.send_response(ch, r);
            }
            Command::RespondCode(ch, r) => {
                let _ = self.swarm.behaviour_mut().code.send_response(ch, r);
            }
            Command::AddBootstrap(peer, addrs) => {
                if peer != self.me {
                    for a in addrs {
                        self.kad().add_address(&peer, a);
                    }
                }
            }
            Command::Bootstrap => {
                if let Err(e) = self.kad().bootstrap() {
                    tracing::debug!(error = %e, "kademlia bootstrap");
                }
            }
            Command::Recheck => {
                for peer in self.allowed.clone() {
                    self.check_peer(peer);
                }
                // Addresses of peers no longer connected (an identify that raced a close).
                let swarm = &self.swarm;
                self.identified.retain(|p, _| swarm.is_connected(p));
            }
            Command::Provide(hash) => {
                if let Err(e) = self.kad().start_providing(kad::RecordKey::new(&hash)) {
                    tracing::warn!(error = %e, "announcing a code blob");
                }
            }
            Command::Providers(hash, exclude, reply) => {
                let id = self.kad().get_providers(kad::RecordKey::new(&hash));
                self.pending_providers
                    .insert(id, (HashSet::new(), exclude, reply));
            }
            Command::Subscribe(t) => {
                if let Err(e) = self
                    .swarm
                    .behaviour_mut()
                    .gossip
                    .subscribe(&IdentTopic::new(t))
                {
                    tracing::warn!(error = %e, "gossip subscribe");
                }
            }
            Command::Unsubscribe(t) => {
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .unsubscribe(&IdentTopic::new(t));
            }
            Command::Publish(t, data, reply) => {
                let r = self
                    .swarm
                    .behaviour_mut()
                    .gossip
                    .publish(IdentTopic::new(t), data)
                    .map(|_| ())
                    .map_err(|e| P2pError::Publish(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Validate(id, relayer, verdict) => {
                let counter = match verdict {
                    MessageAcceptance::Accept => &self.stats.gossip_accepted,
                    _ => &self.stats.gossip_rejected,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&id, &relayer, verdict);
            }
            Command::Gated(peer, verdict) => self.gated(peer, verdict),
            Command::RoutingPeers(reply) => {
                let mut peers = Vec::new();
                for bucket in self.kad().kbuckets() {
                    for e in bucket.iter() {
                        peers.push(*e.node.key.preimage());
                    }
                }
                let _ = reply.send(peers);
            }
            Command::TopicPeers(topic, reply) => {
                let hash = IdentTopic::new(topic).hash();
                let peers = self
                    .swarm
                    .behaviour()
                    .gossip
                    .all_peers()
                    .filter(|(_, topics)| topics.contains(&&hash))
                    .map(|(p, _)| *p)
                    .collect();
                let _ = reply.send(peers);
            }
        }
    }

    /// The registration check of a newly connected peer came back.
    fn gated(&mut self, peer: PeerId, verdict: Option<Vec<Multiaddr>>) {
        if !self.swarm.is_connected(&peer) {
            return;
        }
        match verdict {
            Some(addrs) => {
                let told = self.identified.remove(&peer).unwrap_or_default();
                for a in addrs.into_iter().chain(told).filter(|a| !unspecified(a)) {
                    self.kad().add_address(&peer, a);
                }
                self.allowed.insert(peer);
                self.stats
                    .peers
                    .store(self.allowed.len(), Ordering::Relaxed);
                tracing::debug!(%peer, "registered peer connected");
            }
            None => {
                tracing::warn!(%peer, "peer is not registered on chain; disconnecting");
                self.stats.rejected_peers.fetch_add(1, Ordering::Relaxed);
                self.kad().remove_peer(&peer);
                self.identified.remove(&peer);
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
    }

    /// Looks `peer` up off the swarm task; the answer comes back as [`Command::Gated`].
    fn check_peer(&self, peer: PeerId) {
        let authority = self.authority.clone();
        let Some(tx) = self.cmd_tx.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            let verdict = authority.registered(&peer).await.map(|r| r.addrs);
            let _ = tx.send(Command::Gated(peer, verdict)).await;
        });
    }

    /// Checks a gossip message off the swarm task: registered author and relayer, a
    /// well-formed prefetch notice on its function's topic. Passes it to the application
    /// or rejects it.
    fn check_gossip(&self, relayer: PeerId, id: MessageId, message: gossipsub::Message) {
        let authority = self.authority.clone();
        let Some(tx) = self.cmd_tx.upgrade() else {
            return;
        };
        let in_tx = self.in_tx.clone();
        tokio::spawn(async move {
            let verdict = async {
                let author = message.source.ok_or("unsigned gossip")?;
                let (p, code_hash) = Prefetch::decode(message.topic.as_str(), &message.data)?;
                if authority.registered(&author).await.is_none() {
                    return Err(format!("author {author} is not registered"));
                }
                if authority.registered(&relayer).await.is_none() {
                    return Err(format!("relayer {relayer} is not registered"));
                }
                Ok(Incoming::Prefetch {
                    author,
                    relayer,
                    id: id.clone(),
                    function_id: p.function_id,
                    code_hash,
                })
            }
            .await;
            match verdict {
                Ok(inc) => {
                    if in_tx.try_send(inc).is_err() {
                        let _ = tx
                            .send(Command::Validate(id, relayer, MessageAcceptance::Ignore))
                            .await;
                    }
                }
                Err(why) => {
                    tracing::warn!(%relayer, why, "gossip rejected");
                    let _ = tx
                        .send(Command::Validate(id, relayer, MessageAcceptance::Reject))
                        .await;
                }
            }
        });
    }

    fn event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::Behaviour(BehaviourEvent::Work(e)) => match e {
                request_response::Event::Message { peer, message, .. } => match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        let _ = self.in_tx.try_send(Incoming::Work {
                            peer,
                            order: Box::new(request),
                            channel,
                        });
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, r)) = self.pending_work.remove(&request_id) {
                            let _ = r.send(Ok(response));
                        }
                    }
                },
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                } => {
                    if let Some((peer, r)) = self.pending_work.remove(&request_id) {
                        let reason = error.to_string();
                        let _ = r.send(Err(P2pError::Request { peer, reason }));
                    }
                }
                request_response::Event::InboundFailure { peer, error, .. } => {
                    tracing::debug!(%peer, %error, "inbound work request failed");
                }
                _ => {}
            },
            SwarmEvent::Behaviour(BehaviourEvent::Code(e)) => match e {
                request_response::Event::Message { peer, message, .. } => match message {
                    request_response::Message::Request {
                        request, channel, ..
                    } => {
                        let _ = self.in_tx.try_send(Incoming::Code {
                            peer,
                            request,
                            channel,
                        });
                    }
                    request_response::Message::Response {
                        request_id,
                        response,
                    } => {
                        if let Some((_, r)) = self.pending_code.remove(&request_id) {
                            let _ = r.send(Ok(response));
                        }
                    }
                },
                request_response::Event::OutboundFailure {
                    request_id, error, ..
                } => {
                    if let Some((peer, r)) = self.pending_code.remove(&request_id) {
                        let reason = error.to_string();
                        let _ = r.send(Err(P2pError::Request { peer, reason }));
                    }
                }
                request_response::Event::InboundFailure { peer, error, .. } => {
                    tracing::debug!(%peer, %error, "inbound code request failed");
                }
                _ => {}
            },
            SwarmEvent::Behaviour(BehaviourEvent::Kad(e)) => self.kad_event(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                let addrs: Vec<Multiaddr> = info
                    .listen_addrs
                    .into_iter()
                    .filter(|a| !unspecified(a))
                    .take(8)
                    .collect();
                if self.allowed.contains(&peer_id) {
                    for a in addrs {
                        self.kad().add_address(&peer_id, a);
                    }
                } else {
                    self.identified.insert(peer_id, addrs);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.check_gossip(propagation_source, message_id, message),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } if num_established.get() == 1 => {
                tracing::debug!(peer = %peer_id, "p2p connection established");
                self.check_peer(peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.allowed.remove(&peer_id);
                self.identified.remove(&peer_id);
                self.stats
                    .peers
                    .store(self.allowed.len(), Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn kad_event(&mut self, e: kad::Event) {
        if let kad::Event::InboundRequest { request } = &e {
            // Filtered inserts: a provider record is kept only from a registered peer about
            // itself; plain records are never stored (this node uses none).
            if let kad::InboundRequest::AddProvider {
                record: Some(record),
            } = request
            {
                if self.allowed.contains(&record.provider) {
                    if let Err(err) = self.kad().store_mut().add_provider(record.clone()) {
                        tracing::debug!(error = %err, "provider record not stored");
                    }
                }
            }
            return;
        }
        let kad::Event::OutboundQueryProgressed {
            id, result, step, ..
        } = e
        else {
            return;
        };
        match result {
            QueryResult::GetProviders(r) => {
                let me = self.me;
                let Some((found, exclude, _)) = self.pending_providers.get_mut(&id) else {
                    return;
                };
                if let Ok(GetProvidersOk::FoundProviders { providers, .. }) = r {
                    found.extend(
                        providers
                            .into_iter()
                            .filter(|p| *p != me && !exclude.contains(p)),
                    );
                }
                // The first providers are enough: answer and stop the walk.
                let done = step.last || !found.is_empty();
                if done {
                    if let Some((found, _, reply)) = self.pending_providers.remove(&id) {
                        let _ = reply.send(found.into_iter().collect());
                    }
                    if let Some(mut q) = self.kad().query_mut(&id) {
                        q.finish();
                    }
                }
            }
            QueryResult::Bootstrap(Err(e)) => tracing::debug!(error = %e, "kademlia bootstrap"),
            QueryResult::StartProviding(Err(e)) => {
                tracing::debug!(error = %e, "publishing a provider record")
            }
            _ => {}
        }
    }
}

/// `0.0.0.0`/`::` addresses are not dialable.
fn unspecified(a: &Multiaddr) -> bool {
    a.iter().any(|p| match p {
        libp2p::multiaddr::Protocol::Ip4(ip) => ip.is_unspecified(),
        libp2p::multiaddr::Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}
