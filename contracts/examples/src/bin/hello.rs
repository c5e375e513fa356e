//! `hello`: greets its input. Output: `Hello, <input>!` plus a newline, where `<input>`
//! is stdin with surrounding whitespace trimmed, or `world` when that is empty.
fn main() {
    let input = bls_sdk::input_string().unwrap_or_default();
    let name = match input.trim() {
        "" => "world",
        name => name,
    };
    if bls_sdk::output(format!("Hello, {name}!\n").as_bytes()).is_err() {
        std::process::exit(1);
    }
}
