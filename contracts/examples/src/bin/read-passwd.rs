//! Hostile: tries to read the host's /etc/passwd. With no preopened directory it must
//! get an error; prints `error: <message>` and exits 1, or prints the file and exits 0.
fn main() {
    match std::fs::read_to_string("/etc/passwd") {
        Ok(text) => {
            print!("{text}");
        }
        Err(err) => {
            println!("error: {err}");
            std::process::exit(1);
        }
    }
}
