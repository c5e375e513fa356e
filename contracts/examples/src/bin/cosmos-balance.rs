//! `cosmos-balance`: input `ADDRESS DENOM`; prints the bank balance read through the CometBFT
//! RPC endpoint at the manifest's env `COSMOS_RPC` (its origin allowed in `http`). On an error
//! prints `error: <why>` and exits 3.
fn main() {
    let rpc = bls_sdk::env("COSMOS_RPC").unwrap_or_default();
    let input = bls_sdk::input_string().unwrap_or_default();
    let mut words = input.split_whitespace();
    let (Some(address), Some(denom)) = (words.next(), words.next()) else {
        let _ = bls_sdk::output(b"error: input must be ADDRESS DENOM\n");
        std::process::exit(2);
    };
    match bls_sdk::cosmos::Cosmos::new(&rpc).bank_balance(address, denom) {
        Ok(amount) => {
            let _ = bls_sdk::output(format!("{amount}{denom}\n").as_bytes());
        }
        Err(e) => {
            let _ = bls_sdk::output(format!("error: {e}\n").as_bytes());
            std::process::exit(3);
        }
    }
}
