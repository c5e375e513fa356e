//! Canonical outcome encoding: round trips, and garbage never panics the decoder.

mod common;

use std::time::Duration;

use bls_runtime::{ExitStatus, Manifest, Outcome, TrapKind, MAX_OUTPUT_BYTES};
use rand::{Rng, SeedableRng};

fn outcomes() -> Vec<Outcome> {
    let base = Outcome {
        status: ExitStatus::Exited(0),
        stdout: b"out".to_vec(),
        stdout_truncated: false,
        stderr: Vec::new(),
        stderr_truncated: true,
        fuel_used: 42,
        wall_time: Duration::from_millis(3),
        trap_message: None,
        calls: Vec::new(),
    };
    let mut all = vec![base.clone()];
    for code in [i32::MIN, -1, 1, 101, i32::MAX] {
        all.push(Outcome {
            status: ExitStatus::Exited(code),
            ..base.clone()
        });
    }
    for kind in [
        TrapKind::OutOfFuel,
        TrapKind::OutOfMemory,
        TrapKind::StackOverflow,
        TrapKind::OutputLimitExceeded,
        TrapKind::Other,
    ] {
        all.push(Outcome {
            status: ExitStatus::Trapped(kind),
            trap_message: Some("m".into()),
            ..base.clone()
        });
    }
    all.push(Outcome {
        stdout: vec![0xff; MAX_OUTPUT_BYTES as usize],
        stderr: vec![0; 17],
        fuel_used: u64::MAX,
        ..base.clone()
    });
    all
}

#[test]
fn round_trip() {
    for o in outcomes() {
        let bytes = o.canonical_bytes();
        let decoded = Outcome::decode(&bytes).expect("decode");
        assert_eq!(decoded, o.canonical());
        assert_eq!(decoded.canonical_bytes(), bytes);
        assert_eq!(decoded.result_hash(), o.result_hash());
    }
}

#[test]
fn timeout_round_trips_to_its_canonical_form() {
    let o = Outcome {
        status: ExitStatus::Trapped(TrapKind::Timeout),
        stdout: b"partial".to_vec(),
        stdout_truncated: false,
        stderr: Vec::new(),
        stderr_truncated: false,
        fuel_used: 999,
        wall_time: Duration::from_secs(1),
        trap_message: None,
        calls: Vec::new(),
    };
    let decoded = Outcome::decode(&o.canonical_bytes()).unwrap();
    assert_eq!(decoded.status, o.status);
    assert!(decoded.stdout.is_empty() && decoded.fuel_used == 0);
}

#[tokio::test]
async fn real_outcome_round_trips() {
    let rt = common::runtime();
    let out = common::run(&rt, "hello", Manifest::default(), &[], b"Ada").await;
    let decoded = Outcome::decode(&out.canonical_bytes()).unwrap();
    assert_eq!(decoded.result_hash(), out.result_hash());
    assert_eq!(decoded.stdout, b"Hello, Ada!\n");
}

/// Decoding must return Ok only for exact canonical encodings, and never panic.
fn check(bytes: &[u8]) {
    if let Ok(o) = Outcome::decode(bytes) {
        assert_eq!(o.canonical_bytes(), bytes);
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xb15);
    for _ in 0..20_000 {
        let len = rng.gen_range(0..64);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        assert!(Outcome::decode(&bytes).is_err() || bytes.starts_with(b"BLSO"));
        check(&bytes);
    }
    // Mutations of valid encodings reach the deeper branches.
    let valid: Vec<Vec<u8>> = outcomes()
        .iter()
        .map(|o| o.canonical_bytes())
        .filter(|b| b.len() < 4096)
        .collect();
    for _ in 0..50_000 {
        let mut bytes = valid[rng.gen_range(0..valid.len())].clone();
        match rng.gen_range(0..4) {
            0 => {
                let i = rng.gen_range(0..bytes.len());
                bytes[i] = rng.gen();
            }
            1 => bytes.truncate(rng.gen_range(0..bytes.len())),
            2 => bytes.push(rng.gen()),
            _ => {
                // Length fields with huge values must not allocate or panic.
                let i = rng.gen_range(0..bytes.len().saturating_sub(4));
                bytes[i..i + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            }
        }
        check(&bytes);
    }
    assert!(Outcome::decode(&[]).is_err());
    assert!(Outcome::decode(b"BLSO").is_err());
}
