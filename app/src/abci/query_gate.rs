//! `QueryGate`: at most N queries run at once. Queries are served on the threads that ask
//! (CometBFT's query connection, REST handlers), so without a bound a burst of heavy
//! simulates through the REST gateway would take every core from the consensus thread.

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::metrics::AppMetrics;

/// A counting gate: [`QueryGate::enter`] waits until fewer than `max` queries are running.
pub struct QueryGate {
    running: Mutex<usize>,
    freed: Condvar,
    max: usize,
    metrics: AppMetrics,
}

/// One running query's place; dropping it lets the next one in.
pub struct Turn<'g> {
    gate: &'g QueryGate,
}

impl QueryGate {
    /// A gate letting `max` (at least 1) queries run together.
    pub fn new(max: usize, metrics: AppMetrics) -> Self {
        QueryGate {
            running: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
            metrics,
        }
    }

    /// How many queries may run together.
    pub fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        // The counter stays meaningful even if a holder panicked (it only adds and subtracts).
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a free place and takes it.
    pub fn enter(&self) -> Turn<'_> {
        let mut running = self.lock();
        while *running >= self.max {
            running = self.freed.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        self.metrics.queries_running.set(to_i64(*running));
        Turn { gate: self }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut running = self.gate.lock();
        *running = running.saturating_sub(1);
        self.gate.metrics.queries_running.set(to_i64(*running));
        drop(running);
        self.gate.freed.notify_one();
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    #[test]
    fn no_more_than_max_run_together() {
        let gate = Arc::new(QueryGate::new(2, AppMetrics::default()));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, peak, start) =
                    (gate.clone(), inside.clone(), peak.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..50 {
                        let _turn = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("worker thread");
        }
        assert!(
            peak.load(Ordering::SeqCst) <= 2,
            "peak {}",
            peak.load(Ordering::SeqCst)
        );
        assert_eq!(*gate.lock(), 0, "every turn was given back");
    }

    #[test]
    fn a_zero_limit_still_lets_one_in() {
        let gate = QueryGate::new(0, AppMetrics::default());
        assert_eq!(gate.max(), 1);
        drop(gate.enter());
        drop(gate.enter());
    }
}
