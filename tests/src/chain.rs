//! Chain helpers for tests: funded keys, CLI invocations of `blsd`, RPC broadcasts.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use bls_client::keyring::Keyring;
use bls_client::keys::KeyPair;
use serde_json::Value;

use crate::node::Localnet;
use crate::process::{bin_path, test_keyring};

/// A key with its mnemonic, stored in a `test`-backend (unencrypted) keyring.
pub struct TestKey {
    /// Key name in the keyring.
    pub name: String,
    /// bls1 address.
    pub address: String,
    /// BIP39 mnemonic (for CosmJS).
    pub mnemonic: String,
    /// The key pair.
    pub key: KeyPair,
}

/// Creates a new random key named `name` in the (`test` backend) keyring at `dir`.
pub fn new_key(dir: &Path, name: &str) -> anyhow::Result<TestKey> {
    let (key, mnemonic) = KeyPair::generate()?;
    let mnemonic = mnemonic.to_string();
    Keyring::test(dir).import_mnemonic(name, &mnemonic)?;
    Ok(TestKey {
        name: name.to_string(),
        address: key.address().to_string(),
        mnemonic,
        key,
    })
}

/// Runs `blsd` with the client options pointing at validator `i` of `net` and the keyring at
/// `keyring`; returns stdout parsed as JSON (`--output json` is added).
pub fn blsd_json(net: &Localnet, i: usize, keyring: &Path, args: &[&str]) -> anyhow::Result<Value> {
    let out = blsd_cmd(net, i, keyring, args)?.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        anyhow::bail!(
            "blsd {args:?} failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_str(stdout.trim())
        .with_context(|| format!("blsd {args:?} printed non-JSON: {stdout}"))
}

/// The consensus key a new validator registers with.
pub enum ConsensusKey<'a> {
    /// A node's `priv_validator_key.json` (the node then signs with it).
    File(&'a Path),
    /// A bare ed25519 public key, base64 (no node signs with it).
    Pubkey(&'a str),
}

/// `blsd tx staking create-validator` through validator 0 of `net`, signed by key `from` of
/// `keyring`, self-bonding `amount_ubls` at 500 bps commission; waits for inclusion and fails
/// unless the tx succeeded. Returns the tx result.
pub fn create_validator(
    net: &Localnet,
    keyring: &Path,
    from: &str,
    amount_ubls: u128,
    key: ConsensusKey<'_>,
    moniker: &str,
) -> anyhow::Result<Value> {
    let amount = format!("{amount_ubls}ubls");
    let key_args: [String; 2] = match key {
        ConsensusKey::File(f) => ["--priv-validator-key".into(), f.to_string_lossy().into()],
        ConsensusKey::Pubkey(pk) => ["--pubkey".into(), pk.into()],
    };
    let res = blsd_json(
        net,
        0,
        keyring,
        &[
            "tx",
            "staking",
            "create-validator",
            "--amount",
            &amount,
            &key_args[0],
            &key_args[1],
            "--moniker",
            moniker,
            "--commission-bps",
            "500",
            "--from",
            from,
            "--yes",
            "--wait",
        ],
    )?;
    anyhow::ensure!(res["code"] == 0, "create-validator failed: {res}");
    Ok(res)
}

/// A `blsd` command with client options for validator `i` and the `test` keyring backend
/// (not yet run).
pub fn blsd_cmd(
    net: &Localnet,
    i: usize,
    keyring: &Path,
    args: &[&str],
) -> anyhow::Result<Command> {
    let mut c = Command::new(bin_path("blsd")?);
    c.args(args)
        .arg("--node")
        .arg(net.validators[i].rpc_url())
        .arg("--chain-id")
        .arg(&net.chain_id)
        .arg("--keyring-dir")
        .arg(keyring)
        .arg("--home")
        .arg(&net.validators[i].home)
        .args(["--output", "json"]);
    test_keyring(&mut c);
    Ok(c)
}

/// A scratch keyring directory inside the localnet's temp dir.
pub fn keyring_dir(net: &Localnet) -> anyhow::Result<PathBuf> {
    let d = net.dir().join("keyring");
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// `count` `MsgSend`s of `amount` from `key` to `to`, signed offline with sequences
/// `first_sequence..` (gas 200 000, fee 5000ubls): traffic for tests and benchmarks, measured
/// without the client's per-tx account query and simulation.
pub fn signed_sends(
    chain_id: &str,
    key: &KeyPair,
    account_number: u64,
    first_sequence: u64,
    count: u64,
    to: &bls_core::Address,
    amount: &bls_core::Coins,
) -> anyhow::Result<Vec<bls_client::tx::SignedTx>> {
    let fee = bls_core::Coins::parse("5000ubls")?;
    (0..count)
        .map(|s| {
            Ok(
                bls_client::tx::TxBuilder::new(chain_id, account_number, first_sequence + s)
                    .message(bls_client::msgs::bank_send(key.address(), to, amount))
                    .gas_limit(200_000)
                    .fee(fee.clone())
                    .sign(key)?,
            )
        })
        .collect()
}

/// The `ubls` supply and the bank's cumulative burned total, read from blsd's store.
pub async fn supply_and_burned(rpc: &bls_client::rpc::RpcClient) -> anyhow::Result<(u128, u128)> {
    let read = |v: Vec<u8>| -> anyhow::Result<u128> {
        if v.is_empty() {
            return Ok(0);
        }
        let s: String = serde_json::from_slice(&v)?;
        Ok(s.parse()?)
    };
    let supply = read(
        rpc.abci_query("/store/key", bls_bank::keeper::store_keys::supply("ubls"))
            .await?,
    )?;
    let burned = read(
        rpc.abci_query("/store/key", bls_bank::keeper::store_keys::burned("ubls"))
            .await?,
    )?;
    Ok((supply, burned))
}
