//! Four validators on loopback agree on the app hash at every height, across txs and a
//! validator restart (CometBFT's handshake replays from the app's Info).

use std::time::Duration;

use bls_core::Address;
use bls_e2e::chain::{blsd_json, keyring_dir, new_key};
use bls_e2e::{Localnet, NodeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_same_app_hash_and_restart() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let mut net = Localnet::start(NodeOptions {
        validators: 4,
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::open(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    for n in 0..3u8 {
        let to = Address::from_bytes(&[n + 1; 20]).to_string();
        let res = blsd_json(
            &net,
            usize::from(n),
            &keyring,
            &[
                "tx", "bank", "send", "alice", &to, "1000ubls", "--yes", "--wait",
            ],
        )?;
        assert_eq!(res["code"], 0, "{res}");
    }
    // Stop node 3 and let the others go on, then restart it: it must catch up.
    net.stop_validator(3);
    let h = net.height(0).await?;
    net.wait_height(0, h + 3, Duration::from_secs(60)).await?;
    net.start_validator(3)?;
    let target = net.height(0).await? + 2;
    for i in 0..4 {
        net.wait_height(i, target, Duration::from_secs(90)).await?;
    }
    for height in 1..target {
        let reference = net.app_hash_after(0, height).await?;
        assert!(!reference.is_empty());
        for i in 1..4 {
            assert_eq!(
                net.app_hash_after(i, height).await?,
                reference,
                "node{i} disagrees at height {height}"
            );
        }
    }
    Ok(())
}
