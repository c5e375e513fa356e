//! `bls-localnet N`: N validators (each a `blsd` + `cometbft` pair) on free loopback ports
//! sharing one genesis, with a funded `dev` account; prints the endpoints and runs until
//! Ctrl-C, then stops everything and removes the temp dir. Used by `scripts/localnet`.

use bls_client::keys::KeyPair;
use bls_e2e::{Localnet, NodeOptions};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "4".into());
    if arg == "--help" || arg == "-h" {
        println!("usage: bls-localnet [N]   (default 4 validators; BLS_BLOCK_TIME=200ms)");
        return Ok(());
    }
    let n: usize = arg
        .parse()
        .map_err(|_| anyhow::anyhow!("N must be a number of validators, got {arg:?}"))?;
    anyhow::ensure!((1..=16).contains(&n), "N must be 1..=16");
    let (dev, mnemonic) = KeyPair::generate()?;
    let net = Localnet::start(NodeOptions {
        validators: n,
        accounts: vec![(dev.address().to_string(), "1000000000000ubls".into())],
        block_time: std::env::var("BLS_BLOCK_TIME").unwrap_or_else(|_| "200ms".into()),
        ..Default::default()
    })
    .await?;
    println!("chain id: {}", net.chain_id);
    println!(
        "funded dev account: {} (mnemonic: {mnemonic})",
        dev.address()
    );
    for (i, v) in net.validators.iter().enumerate() {
        println!(
            "node{i}: rpc {}  rest {}  home {}",
            v.rpc_url(),
            v.api_url(),
            v.home.display()
        );
    }
    println!(
        "import the key with: blsd keys import dev --mnemonic \"...\"; Ctrl-C stops all nodes"
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("stopping {n} nodes");
    drop(net);
    Ok(())
}
