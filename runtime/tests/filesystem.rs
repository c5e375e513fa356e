//! No filesystem unless granted, and then read-only under /data.

mod common;

use bls_runtime::{ExitStatus, Manifest};
use common::{job, run, runtime, wasm};

#[tokio::test]
async fn read_passwd_gets_an_error_deterministically() {
    let rt = runtime();
    let a = run(&rt, "read-passwd", Manifest::default(), &[], b"").await;
    let b = run(&rt, "read-passwd", Manifest::default(), &[], b"").await;
    assert_eq!(a.status, ExitStatus::Exited(1), "{a:?}");
    let text = String::from_utf8_lossy(&a.stdout);
    assert!(text.starts_with("error: "), "{text}");
    assert!(!text.contains("root:"), "{text}");
    assert_eq!(a.result_hash(), b.result_hash());
}

#[tokio::test]
async fn granted_dir_is_readable_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("greeting.txt"), "hi from data\n").unwrap();
    let rt = runtime();
    let hash = rt.load(&wasm("read-passwd")).unwrap();

    let mut granted = Manifest::default();
    granted.permissions.filesystem = true;
    let mut j = job(hash, granted.clone(), b"");
    j.data_dir = Some(dir.path().to_path_buf());

    j.args = vec!["/data/greeting.txt".into()];
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "{out:?}");
    assert_eq!(out.stdout, b"hi from data\n");

    // The grant is /data only: the host's /etc/passwd stays out of reach.
    j.args = vec!["/etc/passwd".into()];
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(1), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("root:"));
    j.args = vec!["/data/../../etc/passwd".into()];
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(1), "{out:?}");

    // Without the manifest's permission the operator's data_dir is not mounted.
    let mut j = job(hash, Manifest::default(), b"");
    j.data_dir = Some(dir.path().to_path_buf());
    j.args = vec!["/data/greeting.txt".into()];
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(1), "{out:?}");
}
