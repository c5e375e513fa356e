//! The libp2p node: TCP + noise (encrypted, authenticated by peer id) + yamux, carrying the
//! work-order and code-blob request-response protocols. One task owns the swarm; the rest
//! of the worker talks to it through a [`P2pHandle`].

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, cbor, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identity, noise, tcp, yamux, Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use super::protocol::*;

/// How long a request may take end to end (execution included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// The node task stopped.
    #[error("p2p node stopped")]
    Stopped,
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    work: cbor::Behaviour<WorkOrder, WorkReply>,
    code: cbor::Behaviour<CodeRequest, CodeReply>,
}

/// A request that arrived from a peer; answer it with [`P2pHandle::respond_work`] /
/// [`P2pHandle::respond_code`].
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
}

/// Talks to the node task.
#[derive(Clone)]
pub struct P2pHandle {
    tx: mpsc::Sender<Command>,
    /// This node's peer id.
    pub peer_id: PeerId,
}

impl P2pHandle {
    /// Sends a work order to `peer` (dialled at `addrs` if not connected).
    pub async fn work(
        &self,
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        order: WorkOrder,
    ) -> Result<WorkReply, P2pError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Work {
                peer,
                addrs,
                order: Box::new(order),
                reply,
            })
            .await
            .map_err(|_| P2pError::Stopped)?;
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
        self.tx
            .send(Command::Code {
                peer,
                addrs,
                request,
                reply,
            })
            .await
            .map_err(|_| P2pError::Stopped)?;
        rx.await.map_err(|_| P2pError::Stopped)?
    }

    /// Answers an incoming work order.
    pub async fn respond_work(&self, channel: ResponseChannel<WorkReply>, r: WorkReply) {
        let _ = self.tx.send(Command::RespondWork(channel, r)).await;
    }

    /// Answers an incoming code request.
    pub async fn respond_code(&self, channel: ResponseChannel<CodeReply>, r: CodeReply) {
        let _ = self.tx.send(Command::RespondCode(channel, r)).await;
    }
}

/// Starts the node listening on `listen`; incoming requests go to the returned receiver.
/// Returns the handle and the first listen address actually bound.
pub async fn start(
    keypair: identity::Keypair,
    listen: Multiaddr,
) -> Result<(P2pHandle, mpsc::Receiver<Incoming>, Multiaddr), P2pError> {
    let setup = |e: &dyn std::fmt::Display| P2pError::Setup(e.to_string());
    let cfg = request_response::Config::default().with_request_timeout(REQUEST_TIMEOUT);
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| setup(&e))?
        .with_behaviour(|_| Behaviour {
            work: cbor::Behaviour::new([(WORK_PROTOCOL, ProtocolSupport::Full)], cfg.clone()),
            code: cbor::Behaviour::new([(CODE_PROTOCOL, ProtocolSupport::Full)], cfg.clone()),
        })
        .map_err(|e| setup(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    swarm.listen_on(listen).map_err(|e| setup(&e))?;
    let bound = loop {
        match swarm.next().await {
            Some(SwarmEvent::NewListenAddr { address, .. }) => break address,
            Some(_) => continue,
            None => return Err(P2pError::Stopped),
        }
    };
    let peer_id = *swarm.local_peer_id();
    let (tx, mut rx) = mpsc::channel::<Command>(256);
    let (in_tx, in_rx) = mpsc::channel::<Incoming>(256);
    tokio::spawn(async move {
        let mut pending_work: HashMap<
            OutboundRequestId,
            (String, oneshot::Sender<Result<WorkReply, P2pError>>),
        > = HashMap::new();
        let mut pending_code: HashMap<
            OutboundRequestId,
            (String, oneshot::Sender<Result<CodeReply, P2pError>>),
        > = HashMap::new();
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    None => return,
                    Some(Command::Work { peer, addrs, order, reply }) => {
                        for a in addrs {
                            swarm.add_peer_address(peer, a);
                        }
                        let id = swarm.behaviour_mut().work.send_request(&peer, *order);
                        pending_work.insert(id, (peer.to_string(), reply));
                    }
                    Some(Command::Code { peer, addrs, request, reply }) => {
                        for a in addrs {
                            swarm.add_peer_address(peer, a);
                        }
                        let id = swarm.behaviour_mut().code.send_request(&peer, request);
                        pending_code.insert(id, (peer.to_string(), reply));
                    }
                    Some(Command::RespondWork(ch, r)) => {
                        let _ = swarm.behaviour_mut().work.send_response(ch, r);
                    }
                    Some(Command::RespondCode(ch, r)) => {
                        let _ = swarm.behaviour_mut().code.send_response(ch, r);
                    }
                },
                ev = swarm.select_next_some() => match ev {
                    SwarmEvent::Behaviour(BehaviourEvent::Work(e)) => match e {
                        request_response::Event::Message { peer, message, .. } => match message {
                            request_response::Message::Request { request, channel, .. } => {
                                let _ = in_tx.try_send(Incoming::Work { peer, order: Box::new(request), channel });
                            }
                            request_response::Message::Response { request_id, response } => {
                                if let Some((_, r)) = pending_work.remove(&request_id) {
                                    let _ = r.send(Ok(response));
                                }
                            }
                        },
                        request_response::Event::OutboundFailure { request_id, error, .. } => {
                            if let Some((peer, r)) = pending_work.remove(&request_id) {
                                let _ = r.send(Err(P2pError::Request { peer, reason: error.to_string() }));
                            }
                        }
                        _ => {}
                    },
                    SwarmEvent::Behaviour(BehaviourEvent::Code(e)) => match e {
                        request_response::Event::Message { peer, message, .. } => match message {
                            request_response::Message::Request { request, channel, .. } => {
                                let _ = in_tx.try_send(Incoming::Code { peer, request, channel });
                            }
                            request_response::Message::Response { request_id, response } => {
                                if let Some((_, r)) = pending_code.remove(&request_id) {
                                    let _ = r.send(Ok(response));
                                }
                            }
                        },
                        request_response::Event::OutboundFailure { request_id, error, .. } => {
                            if let Some((peer, r)) = pending_code.remove(&request_id) {
                                let _ = r.send(Err(P2pError::Request { peer, reason: error.to_string() }));
                            }
                        }
                        _ => {}
                    },
                    SwarmEvent::ConnectionEstablished { peer_id, .. } => {
                        tracing::debug!(peer = %peer_id, "p2p connection established");
                    }
                    _ => {}
                },
            }
        }
    });
    Ok((P2pHandle { tx, peer_id }, in_rx, bound))
}
