//! The ABCI socket server: CometBFT opens four connections (consensus, mempool, query,
//! snapshot); each is read on its own thread and every request is forwarded to the owner
//! thread ([`AbciHandle`]).
//!
//! It replaces tendermint-abci's server for two reasons:
//! - `TCP_NODELAY`. CometBFT's socket client sends a request and then `Flush`, and waits for
//!   the flush answer. Written as two small segments with Nagle's algorithm on, the second
//!   waits for the delayed ACK of the first: every `abci_query` (and every `CheckTx` that
//!   is not pipelined behind others) cost ~40 ms. With it off they cost well under 1 ms.
//!   Responses are still batched: they are buffered while more pipelined requests are
//!   already read, and flushed when the reader has nothing left.
//! - No panic from the wire: a request without a value gets an `Exception` response,
//!   an oversized or undecodable frame closes that connection with an error in the log.
//!
//! Framing (ABCI socket protocol): each message is a protobuf `Request`/`Response`
//! preceded by its length as an unsigned varint.

use std::io::{BufRead as _, BufReader, BufWriter, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use prost::Message as _;
use tendermint_proto::v0_38::abci::{
    request, response, Request, Response, ResponseEcho, ResponseException, ResponseFlush,
};

use super::owner::AbciHandle;

/// Largest frame accepted from CometBFT. Blocks are capped by consensus params (21 MiB by
/// default, 100 MiB at most); this leaves room for the rest of a `FinalizeBlock` request.
pub const MAX_FRAME_BYTES: u64 = 128 * 1024 * 1024;

/// Why a connection was closed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Reading or writing the socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// The length prefix is not a valid varint.
    #[error("malformed length prefix")]
    BadLength,
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    #[error("frame of {0} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")]
    TooLarge(u64),
    /// The frame is not a protobuf `Request`.
    #[error("undecodable request: {0}")]
    Decode(#[from] prost::DecodeError),
}

/// A bound ABCI listener.
pub struct AbciServer {
    listener: TcpListener,
}

impl AbciServer {
    /// Binds `addr` (`host:port`).
    pub fn bind(addr: &str) -> std::io::Result<AbciServer> {
        Ok(AbciServer {
            listener: TcpListener::bind(addr)?,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections forever, one thread each, forwarding to `handle`. A failed
    /// accept (e.g. out of file descriptors) is logged and retried after a short pause;
    /// it never stops the node.
    pub fn serve(self, handle: AbciHandle) -> std::io::Result<()> {
        loop {
            let (stream, peer) = match self.listener.accept() {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "accepting an ABCI connection");
                    thread::sleep(std::time::Duration::from_millis(100));
                    continue;
                }
            };
            let handle = handle.clone();
            let spawned = thread::Builder::new()
                .name("abci-conn".into())
                .spawn(move || {
                    tracing::info!(%peer, "ABCI connection opened");
                    match serve_connection(stream, &handle) {
                        Ok(()) => tracing::info!(%peer, "ABCI connection closed"),
                        Err(e) => tracing::error!(%peer, error = %e, "ABCI connection dropped"),
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot spawn an ABCI connection thread");
            }
        }
    }
}

/// Serves one connection until CometBFT closes it (`Ok`) or sends a bad frame (`Err`).
fn serve_connection(stream: TcpStream, handle: &AbciHandle) -> Result<(), FrameError> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(1 << 20, stream.try_clone()?);
    let mut writer = BufWriter::with_capacity(1 << 16, stream);
    let mut out = Vec::new();
    while let Some(request) = read_request(&mut reader)? {
        let response = dispatch(handle, request);
        out.clear();
        response.encode_length_delimited(&mut out).map_err(|e| {
            // Encoding into a Vec only fails on capacity overflow.
            FrameError::Io(std::io::Error::other(e.to_string()))
        })?;
        writer.write_all(&out)?;
        // More pipelined requests already read: answer them first, then send all at once.
        if reader.buffer().is_empty() {
            writer.flush()?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// Reads one length-prefixed `Request`; `None` at a clean end of stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, FrameError> {
    let mut len: u64 = 0;
    let mut shift = 0u32;
    loop {
        let buf = reader.fill_buf()?;
        let Some(&byte) = buf.first() else {
            return if shift == 0 {
                Ok(None)
            } else {
                Err(FrameError::BadLength)
            };
        };
        reader.consume(1);
        if shift >= 63 {
            return Err(FrameError::BadLength);
        }
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(len));
    }
    let mut frame = Vec::new();
    reader.by_ref().take(len).read_to_end(&mut frame)?;
    if u64::try_from(frame.len()).unwrap_or(u64::MAX) != len {
        return Err(FrameError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(Some(Request::decode(frame.as_slice())?))
}

/// Answers `Echo` and `Flush` here; forwards the rest to the owner thread.
fn dispatch(handle: &AbciHandle, request: Request) -> Response {
    let value = match request.value {
        Some(request::Value::Echo(r)) => response::Value::Echo(ResponseEcho { message: r.message }),
        Some(request::Value::Flush(_)) => response::Value::Flush(ResponseFlush {}),
        Some(v) => handle.call_or_exit(v),
        None => response::Value::Exception(ResponseException {
            error: "request has no value".into(),
        }),
    };
    Response { value: Some(value) }
}
