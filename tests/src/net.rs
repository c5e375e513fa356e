//! Loopback helpers: free ports, Prometheus metrics scraping.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Mutex;

static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A loopback port that was free a moment ago and that this process has not handed out before.
/// (Another process may still take it; the tests' retries would then show a clear bind error.)
pub fn free_port() -> anyhow::Result<u16> {
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut seen = HANDED_OUT
            .lock()
            .map_err(|_| anyhow::anyhow!("port lock poisoned"))?;
        if seen.insert(port) {
            return Ok(port);
        }
    }
    anyhow::bail!("no free port found")
}

/// The value of one sample line (`name` including labels) of the Prometheus text at
/// `metrics_url`, if present.
pub async fn scrape_metric(metrics_url: &str, name: &str) -> anyhow::Result<Option<f64>> {
    let text = reqwest::get(metrics_url).await?.text().await?;
    Ok(text.lines().find_map(|l| {
        let (k, v) = l.rsplit_once(' ')?;
        (k == name).then(|| v.parse().ok()).flatten()
    }))
}
