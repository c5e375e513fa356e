//! The web app (/app/) in headless Chromium against real cometbft + blsd + three
//! `bls-worker`s, once per wallet, each injected by the test and backed by a real signer in
//! Node (Keplr: CosmJS `Secp256k1HdWallet`; MetaMask: ethers.js; Martian: the Aptos SDK): sign in
//! through the node's challenge, deploy `hello` from the file picker, invoke it and watch the
//! job to its verified result, invoke it through a head on the fast path (refused in words with
//! no deposit; after a deposit from the page, the wallet signs the request text, the page posts
//! it to the head across origins and the node checks the answer; the head's settlement of each
//! wallet-signed request lands on chain), register the account as a worker and add bond. The
//! page makes no request beyond the node and the head. Each wallet also delegates to and
//! undelegates from a validator the test created, and finds its job and function in the app's
//! Network panel (the dashboard's views). Then the sign-in endpoint refuses a
//! replayed answer and a signature by another key, the head refuses a request signed by another
//! key, and the node's answer check refuses a tampered answer.
//! Screenshots: `$BLS_ARTIFACTS/webapp-{keplr,metamask,martian}.png`.

use std::process::Command;

use std::time::Duration;

use base64::Engine as _;
use bls_e2e::artifacts_dir;
use bls_e2e::chain::{create_validator, keyring_dir, ConsensusKey};
use bls_e2e::fastpath::start_with_head;
use bls_e2e::wait_until;
use bls_e2e::worker::{wasm_path, WorkerNet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_wallet_signs_in_deploys_invokes_and_bonds_in_the_browser() -> anyhow::Result<()> {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    anyhow::ensure!(
        js.join("node_modules/playwright-core").exists()
            && js.join("node_modules/@bls/client/dist/index.js").exists(),
        "playwright-core or @bls/client is not installed: run scripts/install"
    );
    let wasm = wasm_path("hello")?;
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, 3, "1000000000ubls").await?;
    let tmp = tempfile::tempdir()?;
    let funder = wn.funded_key(tmp.path(), "funder", 500_000_000).await?;
    // A validator with a staking record to delegate to: a consensus key no node runs, power 1
    // against the genesis validator's 10, so consensus goes on without it.
    let keyring = keyring_dir(&wn.net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("funder", &funder.mnemonic)?;
    let mut pk = [0x6bu8; 32];
    pk[..4].copy_from_slice(&std::process::id().to_be_bytes());
    let pk_b64 = base64::engine::general_purpose::STANDARD.encode(pk);
    create_validator(
        &wn.net,
        &keyring,
        "funder",
        1_000_000,
        ConsensusKey::Pubkey(&pk_b64),
        "webapp-validator",
    )?;
    let artifacts = artifacts_dir()?;
    std::fs::create_dir_all(&artifacts)?;

    let api = wn.net.validators[0].api_url();
    let args = [
        js.join("webapp.mjs").display().to_string(),
        api,
        funder.mnemonic.clone(),
        wasm.display().to_string(),
        artifacts.display().to_string(),
        fp.head_url.clone(),
    ];
    let out =
        tokio::task::spawn_blocking(move || Command::new("node").args(&args).output()).await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "webapp.mjs: {stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        wn.logs()
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim())?;

    for (i, (wallet, name)) in [
        ("keplr", "Keplr"),
        ("metamask", "MetaMask"),
        ("martian", "Martian"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = &v["results"][wallet];
        assert_eq!(r["problems"], serde_json::json!([]), "{wallet}: {r}");
        // Signed in as the account the test funded for this wallet's key.
        assert_eq!(r["address"], v["funded"][i], "{wallet}: {v}");
        assert_eq!(r["job"]["status"], "finalized", "{wallet}: {r}");
        assert_eq!(
            r["job"]["output"],
            format!("Hello, {name}!\n"),
            "{wallet}: {r}"
        );
        // The chain's result agrees with the page: finalized, with the page's output.
        let job_id: u64 = r["job"]["id"].as_str().unwrap_or_default().parse()?;
        let result = bls_e2e::worker::result(&wn.rpc, job_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{wallet}: job {job_id} has no result"))?;
        let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
        assert_eq!(outcome.stdout, format!("Hello, {name}!\n").as_bytes());
        // The worker the page registered has the bond it added, on chain.
        let before: u128 = r["bondBefore"].as_str().unwrap_or_default().parse()?;
        let after: u128 = r["bondAfter"].as_str().unwrap_or_default().parse()?;
        assert_eq!(after, before + 1_000_000, "{wallet}: {r}");
        let worker =
            bls_e2e::worker::worker_record(&wn.rpc, r["address"].as_str().unwrap_or_default())
                .await?;
        assert_eq!(
            worker["worker"]["bond"],
            after.to_string(),
            "{wallet}: {worker}"
        );
        assert!(artifacts.join(format!("webapp-{wallet}.png")).exists());

        // Delegated from the page, then half undelegated: the chain's records after each (the
        // validator never signs, so downtime slashing may have taken a share of the stake).
        let st = &r["staking"];
        let validator = st["validator"].clone();
        let amount = |v: &serde_json::Value| -> u128 {
            v.as_str().and_then(|a| a.parse().ok()).unwrap_or(0)
        };
        assert_eq!(
            st["delegated"].as_array().map(Vec::len),
            Some(1),
            "{wallet}: {st}"
        );
        assert_eq!(
            st["delegated"][0]["delegator"], r["address"],
            "{wallet}: {st}"
        );
        assert_eq!(st["delegated"][0]["validator"], validator, "{wallet}: {st}");
        let delegated = amount(&st["delegated"][0]["amount"]);
        assert!(
            delegated > 500_000 && delegated <= 1_000_000,
            "{wallet}: {st}"
        );
        assert_eq!(
            st["unbonding"].as_array().map(Vec::len),
            Some(1),
            "{wallet}: {st}"
        );
        assert_eq!(
            st["unbonding"][0]["initial_balance"], "500000",
            "{wallet}: {st}"
        );
        assert_eq!(st["unbonding"][0]["validator"], validator, "{wallet}: {st}");
        let left = amount(&st["afterUndelegate"][0]["amount"]);
        assert!(left > 0 && left <= delegated - 500_000, "{wallet}: {st}");

        // The Network panel shows the dashboard's views: the job with its output, the
        // function's page with the wallet's invoke instead of a CLI command.
        let n = &r["network"];
        let fid = r["functionId"].as_str().unwrap_or_default();
        assert!(
            n["jobsRow"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("Hello, {name}!")),
            "{wallet}: {n}"
        );
        assert_eq!(n["heading"], format!("Function #{fid}"), "{wallet}: {n}");
        assert_eq!(n["prefilled"], fid, "{wallet}: {n}");
        assert_eq!(n["cliCommand"], false, "{wallet}: {n}");

        // Listed from the page at 3000 ubls, found by its tag; "Use" filled the forms.
        let mk = &r["market"];
        assert_eq!(mk["functionId"], r["functionId"], "{wallet}: {mk}");
        assert_eq!(mk["price"], "3000", "{wallet}: {mk}");
        assert_eq!(mk["name"], format!("{wallet} greeter"), "{wallet}: {mk}");
        assert_eq!(mk["filled"], r["functionId"], "{wallet}: {mk}");

        // The fast path: refused in words before the deposit, then a verified answer.
        let fast = &r["fast"];
        assert!(
            fast["noDepositError"]
                .as_str()
                .unwrap_or_default()
                .contains("fast-path deposit of"),
            "{wallet}: {fast}"
        );
        assert_eq!(
            fast["output"],
            format!("Hello, {name} (fast)!\n"),
            "{wallet}: {fast}"
        );
        assert!(
            fast["verified"]
                .as_str()
                .unwrap_or_default()
                .starts_with("signed by head"),
            "{wallet}: {fast}"
        );
        // The head settles the wallet-signed request: the chain checked the wallet's
        // signature in the receipt and charged the deposit.
        let addr: bls_core::Address = r["address"].as_str().unwrap_or_default().parse()?;
        let rpc = wn.rpc.clone();
        wait_until(
            &format!("{wallet}'s fast-path charge settled"),
            Duration::from_secs(60),
            || {
                let (rpc, addr) = (rpc.clone(), addr.clone());
                async move {
                    let d = bls_client::fastpath::deposit_of(&rpc, &addr).await?;
                    Ok((d.deposit.parse::<u128>()? < 5_000_000).then_some(()))
                }
            },
        )
        .await?;
    }

    // Each listed function earned its price per agreed result: the on-chain invoke and the
    // fast-path request (and, for Keplr's, the Node client's request below).
    for wallet in ["keplr", "metamask", "martian"] {
        let fid: u64 = v["results"][wallet]["functionId"]
            .as_str()
            .unwrap_or_default()
            .parse()?;
        let want: u64 = if wallet == "keplr" { 3 } else { 2 };
        let rpc = wn.rpc.clone();
        let s = wait_until(
            &format!("{wallet}'s function paid {want} prices"),
            Duration::from_secs(60),
            || {
                let rpc = rpc.clone();
                async move {
                    let s = bls_client::market::stats(&rpc, fid).await?;
                    Ok((s.results >= want).then_some(s))
                }
            },
        )
        .await?;
        assert_eq!(s.results, want, "{wallet}: {s:?}");
        assert_eq!(
            s.revenue,
            (3000 * u128::from(want)).to_string(),
            "{wallet}: {s:?}"
        );
    }

    let f = &v["fastPath"];
    assert_eq!(f["forgedStatus"], 401, "{f}");
    assert!(
        f["forgedError"]
            .as_str()
            .unwrap_or_default()
            .contains("request signature"),
        "{f}"
    );
    assert_eq!(f["servedStatus"], 200, "{f}");
    assert_eq!(f["validStatus"], 200, "{f}");
    assert_eq!(f["validStdout"], "Hello, Node!\n", "{f}");
    assert_eq!(f["tamperedStatus"], 422, "{f}");
    assert!(
        f["tamperedError"]
            .as_str()
            .unwrap_or_default()
            .contains("does not verify"),
        "{f}"
    );

    let s = &v["signIn"];
    assert_eq!(s["firstStatus"], 200, "{s}");
    assert_eq!(s["sessionAddress"], v["funded"][0], "{s}");
    assert_eq!(s["replayStatus"], 401, "{s}");
    assert!(
        s["replayError"]
            .as_str()
            .unwrap_or_default()
            .contains("already used"),
        "{s}"
    );
    assert_eq!(s["wrongKeyStatus"], 401, "{s}");
    assert!(
        s["wrongKeyError"]
            .as_str()
            .unwrap_or_default()
            .contains("signature rejected"),
        "{s}"
    );
    Ok(())
}
