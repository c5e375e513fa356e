//! `eth-query`: one query per input line against the JSON-RPC endpoint at the manifest's env
//! `ETH_RPC` (its origin allowed in `http`), one answer line each:
//! `block` → `block N`; `balance ADDRESS BLOCK` → `balance WEI`; `call TO HEXDATA BLOCK` →
//! `call 0xRESULT`; `logs FROM TO` → `logs COUNT`. On an error prints `error: <why>` and
//! exits 3.
fn main() {
    let eth = bls_sdk::ethereum::Ethereum::new(&bls_sdk::env("ETH_RPC").unwrap_or_default());
    let input = bls_sdk::input_string().unwrap_or_default();
    let mut out = String::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let answer = match words.as_slice() {
            ["block"] => eth.block_number().map(|n| format!("block {n}")),
            ["balance", address, block] => {
                eth.balance(address, block).map(|w| format!("balance {w}"))
            }
            ["call", to, data, block] => {
                let bytes: Vec<u8> = (0..data.trim_start_matches("0x").len() / 2)
                    .filter_map(|i| {
                        u8::from_str_radix(&data.trim_start_matches("0x")[2 * i..2 * i + 2], 16)
                            .ok()
                    })
                    .collect();
                eth.call(to, &bytes, block).map(|r| {
                    let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
                    format!("call 0x{hex}")
                })
            }
            ["logs", from, to] => eth
                .logs(bls_sdk::json::json!({"fromBlock": from, "toBlock": to}))
                .map(|l| format!("logs {}", l.len())),
            _ => {
                out.push_str(&format!("error: unknown query {line:?}\n"));
                let _ = bls_sdk::output(out.as_bytes());
                std::process::exit(2);
            }
        };
        match answer {
            Ok(a) => out.push_str(&format!("{a}\n")),
            Err(e) => {
                out.push_str(&format!("error: {e}\n"));
                let _ = bls_sdk::output(out.as_bytes());
                std::process::exit(3);
            }
        }
    }
    let _ = bls_sdk::output(out.as_bytes());
}
