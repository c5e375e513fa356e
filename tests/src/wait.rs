//! Waiting on conditions with a deadline (never sleep-and-hope).

use std::time::{Duration, Instant};

/// Polls `check` every 100 ms until it returns `Ok(Some(v))`, failing after `timeout` with
/// `what` and the last error seen.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_err = String::from("condition not met");
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = format!("{e:#}"),
        }
        if Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}: {last_err}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
