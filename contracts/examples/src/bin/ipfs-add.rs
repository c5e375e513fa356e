//! `ipfs-add`: adds its input as a file through the kubo RPC API at the manifest's env
//! `IPFS_API` (its origin allowed in `http`) and prints the CID. On an error prints
//! `error: <why>` and exits 3.
fn main() {
    let api = bls_sdk::env("IPFS_API").unwrap_or_default();
    let input = bls_sdk::input().unwrap_or_default();
    match bls_sdk::ipfs::Ipfs::rpc(&api).add(&input) {
        Ok(cid) => {
            let _ = bls_sdk::output(format!("{cid}\n").as_bytes());
        }
        Err(e) => {
            let _ = bls_sdk::output(format!("error: {e}\n").as_bytes());
            std::process::exit(3);
        }
    }
}
