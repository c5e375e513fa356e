//! Answering peers: work orders (registered, active head workers only) go to the
//! [`Executor`], code blobs (registered peers only) come from its code store, and prefetch
//! notices are judged by [`super::gossip`].

use std::sync::Arc;

use bls_registry::{Role, WorkerStatus};
use tokio::sync::mpsc;

use super::executor::Executor;
use super::gossip;
use super::node::Incoming;
use super::protocol::CodeReply;
use super::refusal::Refusal;

/// Serves incoming requests until the node stops: work orders only from registered,
/// active heads; code only to registered peers; prefetch notices checked against the chain.
pub async fn serve(exec: Arc<Executor>, mut incoming: mpsc::Receiver<Incoming>) {
    while let Some(inc) = incoming.recv().await {
        let exec = exec.clone();
        tokio::spawn(async move {
            match inc {
                Incoming::Work {
                    peer,
                    order,
                    channel,
                } => {
                    let reply = match exec.peers.lookup(&peer).await {
                        Some(w) if w.role == Role::Head && w.status == WorkerStatus::Active => {
                            exec.execute(&order, Some(&peer)).await
                        }
                        _ => exec.refuse(&Refusal::NotAHead(peer.to_string()), Some(&peer)),
                    };
                    exec.p2p.respond_work(channel, reply).await;
                }
                Incoming::Code {
                    peer,
                    request,
                    channel,
                } => {
                    let reply = if exec.peers.lookup(&peer).await.is_some() {
                        exec.code.blob(&request.hash).await
                    } else {
                        CodeReply::Missing(format!("peer {peer} is not registered"))
                    };
                    exec.p2p.respond_code(channel, reply).await;
                }
                Incoming::Prefetch {
                    author,
                    relayer,
                    id,
                    function_id,
                    code_hash,
                } => {
                    gossip::prefetch(&exec, author, relayer, id, function_id, code_hash).await;
                }
            }
        });
    }
}
