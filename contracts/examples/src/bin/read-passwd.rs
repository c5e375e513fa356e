//! Hostile: tries to read the host's /etc/passwd (or the path given as the first arg).
//! With no preopened directory it must get an error: prints `error: <message>` and
//! exits 1. On success prints the file and exits 0.
fn main() {
    let path = bls_sdk::args()
        .into_iter()
        .next()
        .unwrap_or_else(|| "/etc/passwd".into());
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            print!("{text}");
        }
        Err(err) => {
            println!("error: {err}");
            std::process::exit(1);
        }
    }
}
