//! A job's outcome as JSON for people and scripts: the chain stores it as the canonical binary
//! envelope (`bls_core::outcome`), which REST answers carry base64-encoded. Next to that raw
//! field the REST gateway adds `outcome_decoded`: exit code or trap, stdout and stderr.

use base64::Engine as _;
use bls_core::outcome::{ExitStatus, Outcome};
use serde_json::{json, Value};

/// The decoded view of an outcome: `status` (`exit N` / `trap: KIND`), `exit_code` (null on a
/// trap), `trap`, and `stdout`/`stderr` as text when they are UTF-8, else base64 with
/// `stdout_encoding`/`stderr_encoding` set to `base64`, and `calls` (each call to another
/// function: `function_id`, `ok`) when the function made any.
pub fn decoded(o: &Outcome) -> Value {
    let (exit_code, trap, status) = match o.status {
        ExitStatus::Exited(code) => (Some(code), None, format!("exit {code}")),
        ExitStatus::Trapped(kind) => {
            let k = serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            (None, Some(k.clone()), format!("trap: {k}"))
        }
    };
    let (stdout, stdout_encoding) = text_or_base64(&o.stdout);
    let (stderr, stderr_encoding) = text_or_base64(&o.stderr);
    let mut view = json!({
        "status": status,
        "exit_code": exit_code,
        "trap": trap,
        "stdout": stdout,
        "stdout_encoding": stdout_encoding,
        "stdout_truncated": o.stdout_truncated,
        "stderr": stderr,
        "stderr_encoding": stderr_encoding,
        "stderr_truncated": o.stderr_truncated,
        "fuel_used": o.fuel_used.to_string(),
    });
    if !o.calls.is_empty() {
        view["calls"] = json!(o.calls);
    }
    view
}

/// Bytes as (`text`, "utf8") when they are UTF-8, else (base64, "base64").
fn text_or_base64(bytes: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "utf8"),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            "base64",
        ),
    }
}

/// Adds `outcome_decoded` next to every `outcome` field (a base64 string that decodes as an
/// outcome envelope) in `v`, at any depth; other fields are left as they are. True when one
/// was added.
pub fn annotate(v: &mut Value) -> bool {
    match v {
        Value::Object(m) => {
            let mut added = false;
            for child in m.values_mut() {
                added |= annotate(child);
            }
            if let Some(d) = m.get("outcome").and_then(decode_field) {
                m.insert("outcome_decoded".into(), d);
                added = true;
            }
            added
        }
        Value::Array(a) => a.iter_mut().fold(false, |acc, x| annotate(x) | acc),
        _ => false,
    }
}

fn decode_field(v: &Value) -> Option<Value> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.as_str()?)
        .ok()?;
    Outcome::decode(&raw).ok().map(|o| decoded(&o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_core::outcome::TrapKind;
    use std::time::Duration;

    fn outcome(status: ExitStatus, stdout: &[u8]) -> Outcome {
        Outcome {
            status,
            stdout: stdout.to_vec(),
            stdout_truncated: false,
            stderr: b"warn\n".to_vec(),
            stderr_truncated: false,
            fuel_used: 42,
            wall_time: Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
    }

    fn b64(o: &Outcome) -> String {
        base64::engine::general_purpose::STANDARD.encode(o.canonical_bytes())
    }

    #[test]
    fn a_result_gains_its_decoded_outcome_and_keeps_the_raw_one() {
        let o = outcome(ExitStatus::Exited(3), b"Hello, Ada!\n");
        let raw = b64(&o);
        let mut v = json!({"result": {"job_id": "1", "outcome": raw}});
        assert!(annotate(&mut v));
        let r = &v["result"];
        assert_eq!(r["outcome"], raw);
        let d = &r["outcome_decoded"];
        assert_eq!(d["stdout"], "Hello, Ada!\n");
        assert_eq!(d["stdout_encoding"], "utf8");
        assert_eq!(d["stderr"], "warn\n");
        assert_eq!(d["exit_code"], 3);
        assert_eq!(d["trap"], Value::Null);
        assert_eq!(d["status"], "exit 3");
    }

    #[test]
    fn binary_output_is_base64_with_a_flag_and_traps_have_no_exit_code() {
        let o = outcome(
            ExitStatus::Trapped(TrapKind::OutOfFuel),
            &[0xff, 0x00, 0xfe],
        );
        let mut v = json!([{"outcome": b64(&o)}]);
        annotate(&mut v);
        let d = &v[0]["outcome_decoded"];
        assert_eq!(d["stdout_encoding"], "base64");
        assert_eq!(d["stdout"], "/wD+");
        assert_eq!(d["exit_code"], Value::Null);
        assert_eq!(d["trap"], "out_of_fuel");
    }

    #[test]
    fn fields_that_are_not_envelopes_are_left_alone() {
        let mut v = json!({"outcome": "not base64 !", "x": {"outcome": 5}});
        let before = v.clone();
        assert!(!annotate(&mut v));
        assert_eq!(v, before);
    }
}
