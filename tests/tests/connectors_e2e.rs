//! The SDK's connectors end to end: real kubo, geth in `--dev` mode, moto's S3 server (with
//! IAM authentication on) and the devnet's own CometBFT RPC on loopback,
//! three real workers whose operators let their functions reach those two destinations
//! (`[http] resolve` maps the manifests' public-looking names to 127.0.0.1, `[http]
//! allow_private` admits exactly those ports). Each connector's function returns the right
//! data as a verified result: `ipfs-cat` reads a file kubo holds, `ipfs-add` adds one (the
//! CID kubo itself computes), `cosmos-balance` reads an account's bank balance from the chain,
//! `eth-query` reads geth's block number, a balance, a contract call and logs, `s3-roundtrip`
//! puts, gets and lists with requests it signs itself with credentials kept as the function's
//! sealed secrets (wrong credentials: the server's error, as the function's answer).
//! A connector pointed at an origin its manifest does not allow is refused in the guest with
//! the allowlist's reason, and the server is not contacted.

use std::time::Duration;

use bls_client::msgs::bank_send;
use bls_core::outcome::Outcome;
use bls_core::{Address, Coins};
use bls_e2e::geth::Geth;
use bls_e2e::ipfs::Kubo;
use bls_e2e::moto::Moto;
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, invoke, result, send, wait_finalized, wasm_path, WorkerNet};

const IPFS_NAME: &str = "ipfs.example.com";
const COSMOS_NAME: &str = "cosmos.example.com";
const ETH_NAME: &str = "eth.example.com";
const S3_NAME: &str = "s3.example.com";

fn port_of(url: &str) -> anyhow::Result<u16> {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no port in {url}"))
}

fn manifest(env: (&str, &str), allowed: &str) -> String {
    serde_json::json!({
        "env": {env.0: env.1},
        "permissions": {"http": [allowed]},
    })
    .to_string()
}

/// Invokes `function` with `input`; the verified outcome.
async fn verified(wn: &WorkerNet, function: u64, input: &[u8]) -> anyhow::Result<Outcome> {
    let inv = invoke(&wn.rpc, &wn.invoker, function, input, 10_000_000).await?;
    if let Err(e) = wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        anyhow::bail!("{e:#}\n{}", wn.logs());
    }
    let r = result(&wn.rpc, inv.job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("job {} has no result", inv.job_id))?;
    anyhow::ensure!(r.workers.len() >= 2, "not a quorum: {r:?}");
    Ok(Outcome::decode(r.outcome.as_slice())?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_connector_returns_the_right_data_as_a_verified_result() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    let kubo = Kubo::start(wn.dir.path(), "kubo").await?;
    let geth = Geth::start(wn.dir.path(), "geth").await?;
    let moto = Moto::start(wn.dir.path(), "moto").await?;
    let s3_port = port_of(&moto.url)?;
    let ipfs_port = port_of(&kubo.api_url)?;
    let eth_port = port_of(&geth.rpc_url)?;
    let rpc_port = wn.net.validators[0].rpc_port;
    for i in 0..3 {
        let w = &wn.workers[i];
        w.set_config("worker", "http_allowed", true.into())?;
        w.set_config(
            "http",
            "resolve",
            toml::Value::Array(vec![
                format!("{IPFS_NAME}=127.0.0.1").into(),
                format!("{COSMOS_NAME}=127.0.0.1").into(),
                format!("{ETH_NAME}=127.0.0.1").into(),
                format!("{S3_NAME}=127.0.0.1").into(),
            ]),
        )?;
        w.set_config(
            "http",
            "allow_private",
            toml::Value::Array(vec![
                format!("127.0.0.1:{ipfs_port}").into(),
                format!("127.0.0.1:{rpc_port}").into(),
                format!("127.0.0.1:{eth_port}").into(),
                format!("127.0.0.1:{s3_port}").into(),
            ]),
        )?;
    }
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let ipfs_origin = format!("http://{IPFS_NAME}:{ipfs_port}");
    let cosmos_origin = format!("http://{COSMOS_NAME}:{rpc_port}");
    let wasm = |name: &str| -> anyhow::Result<Vec<u8>> { Ok(std::fs::read(wasm_path(name)?)?) };

    // IPFS: read what kubo holds, add what kubo then holds.
    let content = b"stored on IPFS for a bls function\n".to_vec();
    let cid = kubo.add(&content).await?;
    let cat = deploy(
        &wn.rpc,
        &wn.invoker,
        &wasm("ipfs-cat")?,
        &manifest(("IPFS_API", &ipfs_origin), &ipfs_origin),
        3,
        2,
    )
    .await?;
    let out = verified(&wn, cat, cid.as_bytes()).await?;
    assert_eq!(
        out.stdout,
        content,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let add = deploy(
        &wn.rpc,
        &wn.invoker,
        &wasm("ipfs-add")?,
        &manifest(("IPFS_API", &ipfs_origin), &ipfs_origin),
        3,
        2,
    )
    .await?;
    let fresh = b"added by a function on three workers".to_vec();
    let out = verified(&wn, add, &fresh).await?;
    let expected = kubo.add(&fresh).await?;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{expected}\n")
    );
    assert_eq!(
        kubo.client()?.cat(&expected, 1 << 20).await?,
        fresh,
        "kubo holds it"
    );

    // Cosmos: an account's bank balance, from the chain the function runs on.
    let (holder, _) = bls_client::KeyPair::generate()?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            holder.address(),
            &Coins::parse("1234567ubls")?,
        )],
    )
    .await?;
    let balance = deploy(
        &wn.rpc,
        &wn.invoker,
        &wasm("cosmos-balance")?,
        &manifest(("COSMOS_RPC", &cosmos_origin), &cosmos_origin),
        3,
        2,
    )
    .await?;
    let out = verified(
        &wn,
        balance,
        format!("{} ubls", holder.address()).as_bytes(),
    )
    .await?;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1234567ubls\n");
    let nobody = Address::from_bytes(&[7; 20]);
    let out = verified(&wn, balance, format!("{nobody} ubls").as_bytes()).await?;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0ubls\n");

    // Ethereum: geth's developer account at genesis, a call to the identity precompile, logs.
    let eth_origin = format!("http://{ETH_NAME}:{eth_port}");
    let query = deploy(
        &wn.rpc,
        &wn.invoker,
        &wasm("eth-query")?,
        &manifest(("ETH_RPC", &eth_origin), &eth_origin),
        3,
        2,
    )
    .await?;
    let dev = geth.request("eth_accounts", serde_json::json!([])).await?[0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wei = geth
        .request("eth_getBalance", serde_json::json!([dev, "0x0"]))
        .await?;
    // An independent big-number reading of the hex quantity (geth's developer balance is
    // close to 2^256): Python's integers.
    let decimal = std::process::Command::new("python3")
        .args(["-c", "import sys; print(int(sys.argv[1], 16))"])
        .arg(wei.as_str().unwrap_or("0x0"))
        .output()?;
    let wei = String::from_utf8(decimal.stdout)?.trim().to_string();
    anyhow::ensure!(!wei.is_empty(), "python3 read no balance");
    let questions = format!(
        "balance {dev} 0x0\ncall 0x0000000000000000000000000000000000000004 0xdeadbeef 0x0\nlogs 0x0 0x0\nblock\n"
    );
    let out = verified(&wn, query, questions.as_bytes()).await?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let height = geth
        .request("eth_blockNumber", serde_json::json!([]))
        .await?;
    let height = u64::from_str_radix(height.as_str().unwrap_or("0x").trim_start_matches("0x"), 16)?;
    assert_eq!(
        said,
        format!("balance {wei}\ncall 0xdeadbeef\nlogs 0\nblock {height}\n"),
        "{}",
        geth.tail(10)
    );

    // S3: requests signed in the guest with an IAM user's key; a wrong secret is refused by the
    // server, and the function says so.
    let (key_id, secret) = moto.s3_user("bls-function").await?;
    moto.create_bucket("photos").await?;
    let s3_origin = format!("http://{S3_NAME}:{s3_port}");
    let s3_manifest = manifest(("S3_ENDPOINT", &s3_origin), &s3_origin);
    // The credentials are the function's sealed secrets: only its workers can open them.
    let with_credentials = |secret: String| {
        let (wn, key_id, s3_manifest) = (&wn, key_id.clone(), s3_manifest.clone());
        async move {
            let f = deploy(
                &wn.rpc,
                &wn.invoker,
                &wasm("s3-roundtrip")?,
                &s3_manifest,
                3,
                2,
            )
            .await?;
            wait_until("3 keyed members", Duration::from_secs(60), || async {
                let s = bls_client::secrets::secrets(&wn.rpc, f).await?;
                let keyed = s.members.iter().filter(|m| !m.encryption_pubkey.is_empty());
                Ok((keyed.count() >= 3).then_some(()))
            })
            .await?;
            let (msgs, _) = bls_client::secrets::seal_secrets(
                &wn.rpc,
                &wn.net.chain_id,
                wn.invoker.address(),
                f,
                &[
                    ("S3_ACCESS_KEY".to_string(), key_id),
                    ("S3_SECRET_KEY".to_string(), secret),
                ],
            )
            .await?;
            send(
                &wn.rpc,
                &wn.invoker,
                msgs.iter()
                    .map(bls_client::secrets::set_secret_msg)
                    .collect(),
            )
            .await?;
            anyhow::Ok(f)
        }
    };
    let roundtrip = with_credentials(secret.clone()).await?;
    let out = verified(&wn, roundtrip, b"photos cat.txt meow").await?;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "put ok\nget meow\nlist cat.txt\n",
        "{}",
        moto.tail(20)
    );
    let forged = with_credentials("not-the-secret".to_string()).await?;
    let out = verified(&wn, forged, b"photos dog.txt woof").await?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.starts_with("error: status 403") && said.contains("SignatureDoesNotMatch"),
        "{said}"
    );
    assert_eq!(
        out.status,
        bls_core::outcome::ExitStatus::Exited(3),
        "an answer, not a trap"
    );

    // A connector aimed at an origin the manifest does not allow: refused in the guest.
    let stray = deploy(
        &wn.rpc,
        &wn.invoker,
        &wasm("cosmos-balance")?,
        &manifest(("COSMOS_RPC", &cosmos_origin), &ipfs_origin),
        3,
        2,
    )
    .await?;
    let out = verified(&wn, stray, format!("{} ubls", holder.address()).as_bytes()).await?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.starts_with("error: http: denied:")
            && said.contains("is not in the manifest's http allowlist"),
        "{said}"
    );
    assert_eq!(out.status, bls_core::outcome::ExitStatus::Exited(3));
    Ok(())
}
