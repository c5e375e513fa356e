//! Capped, in-memory stdout/stderr for guests.
//!
//! Unlike wasmtime-wasi's `MemoryOutputPipe` (which reports a full buffer to the guest
//! as an I/O error and lets it carry on), a write past the cap keeps the prefix that
//! fits, sets the truncation flag and traps with
//! [`LimitExceeded`]`(OutputLimitExceeded)`: the job ends at once, deterministically,
//! and a flooding guest cannot burn the rest of its time budget.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

use crate::limits::LimitExceeded;
use crate::outcome::TrapKind;

#[derive(Debug, Default)]
struct Buffer {
    bytes: Vec<u8>,
    truncated: bool,
}

/// A capped output buffer shared between the WASI context and the runtime.
#[derive(Debug, Clone)]
pub struct OutputCapture {
    cap: usize,
    buffer: Arc<Mutex<Buffer>>,
}

impl OutputCapture {
    /// A capture keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            buffer: Arc::new(Mutex::new(Buffer::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A poisoned lock only means another writer panicked mid-append; the bytes
        // are still a valid prefix.
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The captured bytes and whether anything was dropped.
    pub fn take(&self) -> (Vec<u8>, bool) {
        let mut buf = self.lock();
        (std::mem::take(&mut buf.bytes), buf.truncated)
    }

    fn append(&self, bytes: &[u8]) -> Result<(), StreamError> {
        let mut buf = self.lock();
        let room = self.cap.saturating_sub(buf.bytes.len());
        if bytes.len() > room {
            let (fits, _) = bytes.split_at(room);
            buf.bytes.extend_from_slice(fits);
            buf.truncated = true;
            return Err(StreamError::Trap(wasmtime::Error::new(LimitExceeded(
                TrapKind::OutputLimitExceeded,
            ))));
        }
        buf.bytes.extend_from_slice(bytes);
        Ok(())
    }
}

impl IsTerminal for OutputCapture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for OutputCapture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(AsyncCapture(self.clone()))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for OutputCapture {
    async fn ready(&mut self) {}
}

impl OutputStream for OutputCapture {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        self.append(&bytes)
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always accept a full chunk so an over-cap write reaches `write` and traps,
        // instead of the guest spinning on a zero-sized window.
        Ok(4096)
    }
}

/// `AsyncWrite` view for WASIp3-style consumers; p1 guests use the p2 stream above.
struct AsyncCapture(OutputCapture);

impl tokio::io::AsyncWrite for AsyncCapture {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let result = self
            .0
            .append(buf)
            .map(|()| buf.len())
            .map_err(|_| std::io::Error::other("output limit exceeded"));
        std::task::Poll::Ready(result)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
