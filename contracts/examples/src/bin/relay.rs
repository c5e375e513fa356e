//! `relay`: hands its input to the function named by the manifest's env `NEXT` (declared in
//! `calls`) and prints what it returned — or, when the call is refused or fails,
//! `refused: <why>`. Two relays naming each other form a call cycle, which ends at the depth
//! limit with the refusal passed back up to the invoker.
fn main() {
    let Some(next) = bls_sdk::env("NEXT").and_then(|v| v.parse::<u64>().ok()) else {
        bls_sdk::log("set NEXT to a function id in the manifest's env");
        std::process::exit(2);
    };
    let input = bls_sdk::input().unwrap_or_default();
    let out = match bls_sdk::call::call(next, &input) {
        Ok(out) => out,
        Err(e) => format!("refused: {e}\n").into_bytes(),
    };
    let _ = bls_sdk::output(&out);
}
