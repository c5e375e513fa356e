//! `ipfs-cat`: prints the IPFS file whose CID is the input, read through the kubo RPC API at
//! the manifest's env `IPFS_API` (its origin allowed in `http`). On an error prints
//! `error: <why>` and exits 3.
fn main() {
    let api = bls_sdk::env("IPFS_API").unwrap_or_default();
    let cid = bls_sdk::input_string().unwrap_or_default();
    match bls_sdk::ipfs::Ipfs::rpc(&api).cat(cid.trim()) {
        Ok(bytes) => {
            let _ = bls_sdk::output(&bytes);
        }
        Err(e) => {
            let _ = bls_sdk::output(format!("error: {e}\n").as_bytes());
            std::process::exit(3);
        }
    }
}
