//! One owner thread for the application; ABCI connections and the REST gateway send it
//! requests over a channel and wait for the response.

use std::sync::mpsc;
use std::thread;

use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::{
    request, response, RequestCheckTx, RequestEcho, RequestFinalizeBlock, RequestInfo,
    RequestInitChain, RequestPrepareProposal, RequestProcessProposal, RequestQuery,
    ResponseCheckTx, ResponseCommit, ResponseEcho, ResponseFinalizeBlock, ResponseFlush,
    ResponseInfo, ResponseInitChain, ResponsePrepareProposal, ResponseProcessProposal,
    ResponseQuery,
};

use super::app::BlsApp;

type Job = (request::Value, mpsc::SyncSender<response::Value>);

/// A cloneable handle that forwards requests to the owner thread. It is what
/// `tendermint_abci::ServerBuilder::bind` gets as the "application".
#[derive(Clone)]
pub struct AbciHandle {
    tx: mpsc::SyncSender<Job>,
}

/// The thread that owns the [`BlsApp`]; it ends when every handle is dropped.
pub struct OwnerThread {
    join: thread::JoinHandle<()>,
}

impl OwnerThread {
    /// Moves `app` onto its own thread and returns a handle to it.
    pub fn spawn(mut app: BlsApp) -> (OwnerThread, AbciHandle) {
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
        (OwnerThread { join }, AbciHandle { tx })
    }

    /// Waits for the owner thread to end.
    pub fn join(self) {
        let _ = self.join.join();
    }
}

impl AbciHandle {
    /// Sends one request and waits for its response. `None` when the owner thread is gone.
    pub fn call(&self, req: request::Value) -> Option<response::Value> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.tx.send((req, tx)).ok()?;
        rx.recv().ok()
    }

    fn call_or_exit(&self, req: request::Value) -> response::Value {
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

macro_rules! forward {
    ($self:ident, $req:expr, $variant:ident) => {
        match $self.call_or_exit($req) {
            response::Value::$variant(r) => r,
            other => {
                tracing::error!(?other, "owner thread answered with the wrong response type");
                std::process::exit(1)
            }
        }
    };
}

impl Application for AbciHandle {
    fn echo(&self, r: RequestEcho) -> ResponseEcho {
        ResponseEcho { message: r.message }
    }
    fn info(&self, r: RequestInfo) -> ResponseInfo {
        forward!(self, request::Value::Info(r), Info)
    }
    fn init_chain(&self, r: RequestInitChain) -> ResponseInitChain {
        forward!(self, request::Value::InitChain(r), InitChain)
    }
    fn query(&self, r: RequestQuery) -> ResponseQuery {
        forward!(self, request::Value::Query(r), Query)
    }
    fn check_tx(&self, r: RequestCheckTx) -> ResponseCheckTx {
        forward!(self, request::Value::CheckTx(r), CheckTx)
    }
    fn flush(&self) -> ResponseFlush {
        ResponseFlush {}
    }
    fn commit(&self) -> ResponseCommit {
        forward!(
            self,
            request::Value::Commit(tendermint_proto::v0_38::abci::RequestCommit {}),
            Commit
        )
    }
    fn prepare_proposal(&self, r: RequestPrepareProposal) -> ResponsePrepareProposal {
        forward!(self, request::Value::PrepareProposal(r), PrepareProposal)
    }
    fn process_proposal(&self, r: RequestProcessProposal) -> ResponseProcessProposal {
        forward!(self, request::Value::ProcessProposal(r), ProcessProposal)
    }
    fn finalize_block(&self, r: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        forward!(self, request::Value::FinalizeBlock(r), FinalizeBlock)
    }
}
