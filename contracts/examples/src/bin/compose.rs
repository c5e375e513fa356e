//! `compose`: calls two other functions on its input and joins their outputs. The callees'
//! ids come from the manifest's env (`FIRST`, `SECOND`), which must also declare them in
//! `calls`. Output: `<first's output trimmed> | <second's output trimmed>` and a newline.
//! A failed call is printed to stderr and the function exits 1.
fn id(name: &str) -> u64 {
    match bls_sdk::env(name).and_then(|v| v.parse().ok()) {
        Some(id) => id,
        None => {
            bls_sdk::log(&format!(
                "set {name} to a function id in the manifest's env"
            ));
            std::process::exit(2);
        }
    }
}

fn main() {
    let input = bls_sdk::input().unwrap_or_default();
    let mut parts = Vec::new();
    for name in ["FIRST", "SECOND"] {
        match bls_sdk::call::call(id(name), &input) {
            Ok(out) => parts.push(String::from_utf8_lossy(&out).trim().to_string()),
            Err(e) => {
                bls_sdk::log(&format!("calling {name}: {e}"));
                std::process::exit(1);
            }
        }
    }
    let _ = bls_sdk::output(format!("{}\n", parts.join(" | ")).as_bytes());
}
