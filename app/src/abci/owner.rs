//! One owner thread for the application; ABCI connections and the REST gateway send it
//! requests over a channel and wait for the response. Queries are the exception: they are
//! answered on the asking thread from committed state ([`QueryService`]), so a slow query
//! never sits in front of FinalizeBlock or Commit in the owner's queue.

use std::sync::mpsc;
use std::thread;

use tendermint_proto::v0_38::abci::{request, response};

use super::app::BlsApp;
use super::query::QueryService;
use super::state_sync;
use crate::statesync::SnapshotStore;

type Job = (request::Value, mpsc::SyncSender<response::Value>);

/// A cloneable handle that forwards requests to the owner thread; every ABCI connection
/// ([`super::server`]) and the REST gateway hold one.
#[derive(Clone)]
pub struct AbciHandle {
    tx: mpsc::SyncSender<Job>,
    queries: QueryService,
    /// Snapshots served on the snapshot connection's own thread (file reads of up to a few
    /// MiB each must not queue in front of a block).
    snapshots: Option<SnapshotStore>,
}

/// The thread that owns the [`BlsApp`]; it ends when every handle is dropped.
pub struct OwnerThread {
    join: thread::JoinHandle<()>,
}

impl OwnerThread {
    /// Moves `app` onto its own thread and returns a handle to it.
    pub fn spawn(mut app: BlsApp) -> (OwnerThread, AbciHandle) {
        let queries = app.query_service();
        let snapshots = app.snapshot_service();
        let (tx, rx) = mpsc::sync_channel::<Job>(64);
        let join = thread::Builder::new()
            .name("abci-owner".into())
            .spawn(move || {
                while let Ok((req, reply)) = rx.recv() {
                    let resp = app.handle(req);
                    // The requester may have gone away (connection closed); nothing to do then.
                    let _ = reply.send(resp);
                }
            })
            .unwrap_or_else(|e| {
                // Without the owner thread the node cannot run at all.
                tracing::error!(error = %e, "cannot spawn the ABCI owner thread");
                std::process::exit(1)
            });
        (
            OwnerThread { join },
            AbciHandle {
                tx,
                queries,
                snapshots,
            },
        )
    }

    /// Waits for the owner thread to end.
    pub fn join(self) {
        let _ = self.join.join();
    }
}

impl AbciHandle {
    /// Sends one request and waits for its response (a query is answered right here, on
    /// this thread). `None` when the owner thread is gone.
    pub fn call(&self, req: request::Value) -> Option<response::Value> {
        match req {
            request::Value::Query(q) => {
                return Some(response::Value::Query(self.queries.answer(q)));
            }
            request::Value::ListSnapshots(_) => {
                return Some(response::Value::ListSnapshots(state_sync::list_snapshots(
                    self.snapshots.as_ref(),
                )));
            }
            request::Value::LoadSnapshotChunk(r) => {
                return Some(response::Value::LoadSnapshotChunk(
                    state_sync::load_snapshot_chunk(self.snapshots.as_ref(), &r),
                ));
            }
            _ => {}
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx.send((req, tx)).ok()?;
        rx.recv().ok()
    }

    /// Like [`AbciHandle::call`], but a dead owner thread stops the process.
    pub fn call_or_exit(&self, req: request::Value) -> response::Value {
        match self.call(req) {
            Some(r) => r,
            None => {
                // The owner thread died (a bug or a fatal store error it already logged);
                // answering CometBFT with made-up responses could fork the node, so stop.
                tracing::error!("the ABCI owner thread has stopped; exiting");
                std::process::exit(1)
            }
        }
    }
}
