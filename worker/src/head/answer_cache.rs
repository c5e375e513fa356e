//! The head's recent answers by request id, for `/requests/result` and for a copy of a request
//! that arrives again: bounded by count **and** by bytes (an answer carries up to two outputs of
//! `output_bytes` each, so a count alone could hold gigabytes), oldest evicted first.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use bls_client::head_api::ExecuteResponse;

/// Most answers kept.
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes kept (the answers' strings, as [`answer_bytes`] counts them).
pub const MAX_BYTES: usize = 256 << 20;

/// Recent answers, bounded by count and bytes.
pub struct AnswerCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Inner {
    by_id: BTreeMap<String, (ExecuteResponse, usize)>,
    order: VecDeque<String>,
    bytes: usize,
}

/// The bytes an answer holds: its strings (outcome, output, signatures, failures) plus a fixed
/// overhead per entry.
pub fn answer_bytes(r: &ExecuteResponse) -> usize {
    let sigs = |v: &[bls_client::head_api::WorkerSig]| -> usize {
        v.iter()
            .map(|s| s.worker.len() + s.result_hash.len() + s.signature.len() + 48)
            .sum()
    };
    256 + r.request_id.len()
        + r.code_hash.len()
        + r.result_hash.len()
        + r.outcome.len()
        + r.stdout.len()
        + r.stderr.len()
        + r.head.len()
        + r.head_signature.len()
        + r.code.len()
        + sigs(&r.signatures)
        + sigs(&r.dissent)
        + r.failures.iter().map(|f| f.len() + 24).sum::<usize>()
}

impl AnswerCache {
    /// An empty cache holding at most `max_entries` answers and `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize) -> AnswerCache {
        AnswerCache {
            inner: Mutex::new(Inner::default()),
            max_entries,
            max_bytes,
        }
    }

    /// The answer given to request `id`, if still kept.
    pub fn get(&self, id: &str) -> Option<ExecuteResponse> {
        let inner = self.inner.lock().ok()?;
        inner.by_id.get(id).map(|(r, _)| r.clone())
    }

    /// Keeps `answer` for `id`, evicting the oldest answers while over either bound. An answer
    /// larger than the whole byte budget is not kept (the served-outcome store still has it
    /// for challenges; a later copy of the request is refused as already served).
    pub fn insert(&self, id: String, answer: ExecuteResponse) {
        let size = answer_bytes(&answer);
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if size > self.max_bytes {
            return;
        }
        if let Some((_, old)) = inner.by_id.insert(id.clone(), (answer, size)) {
            inner.bytes -= old;
            inner.order.retain(|k| k != &id);
        }
        inner.bytes += size;
        inner.order.push_back(id);
        while inner.order.len() > self.max_entries || inner.bytes > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, n)) = inner.by_id.remove(&oldest) {
                inner.bytes -= n;
            }
        }
    }

    /// (answers kept, bytes held).
    pub fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|i| (i.by_id.len(), i.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str, output_len: usize) -> ExecuteResponse {
        ExecuteResponse {
            code: "200".into(),
            request_id: id.into(),
            function_id: 1,
            code_hash: String::new(),
            result_hash: String::new(),
            outcome: "0".repeat(output_len),
            stdout: String::new(),
            stderr: String::new(),
            exit_code: Some(0),
            fuel_used: 0,
            signatures: vec![],
            dissent: vec![],
            failures: vec![],
            head: String::new(),
            height: 0,
            function_version: 0,
            subnetwork_height: 0,
            head_signature: String::new(),
        }
    }

    #[test]
    fn large_answers_are_bounded_by_bytes_not_count() {
        // A flood of 1 MiB answers against a 10-answer count that alone would allow 10 MiB.
        let cache = AnswerCache::new(10, 3 << 20);
        for i in 0..8 {
            cache.insert(format!("r{i}"), answer(&format!("r{i}"), 1 << 20));
            let (_, bytes) = cache.usage();
            assert!(bytes <= 3 << 20, "{bytes} bytes held after {i}");
        }
        let (n, _) = cache.usage();
        assert_eq!(n, 2, "two 1 MiB answers (plus overhead) fit in 3 MiB");
        // The newest are kept, the oldest evicted.
        assert!(cache.get("r7").is_some() && cache.get("r6").is_some());
        assert!(cache.get("r0").is_none() && cache.get("r5").is_none());
    }

    #[test]
    fn small_answers_are_bounded_by_count() {
        let cache = AnswerCache::new(3, 1 << 30);
        for i in 0..5 {
            cache.insert(format!("r{i}"), answer(&format!("r{i}"), 10));
        }
        assert_eq!(cache.usage().0, 3);
        assert!(cache.get("r1").is_none() && cache.get("r2").is_some());
    }

    #[test]
    fn an_answer_over_the_whole_budget_is_not_kept_and_evicts_nothing() {
        let cache = AnswerCache::new(10, 1 << 20);
        cache.insert("small".into(), answer("small", 10));
        cache.insert("huge".into(), answer("huge", 2 << 20));
        assert!(cache.get("huge").is_none());
        assert!(cache.get("small").is_some());
    }

    #[test]
    fn the_same_request_twice_is_counted_once() {
        let cache = AnswerCache::new(10, 1 << 30);
        cache.insert("r".into(), answer("r", 100));
        let once = cache.usage();
        cache.insert("r".into(), answer("r", 100));
        assert_eq!(cache.usage(), once);
    }
}
