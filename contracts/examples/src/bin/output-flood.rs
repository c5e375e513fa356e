//! Hostile: prints forever. Must stop at the output cap.
use std::io::Write;

fn main() {
    let line = [b'A'; 1023];
    let mut out = std::io::stdout().lock();
    loop {
        if out
            .write_all(&line)
            .and_then(|_| out.write_all(b"\n"))
            .is_err()
        {
            // A sandbox that reports the cap as an I/O error still must not loop here.
            std::process::exit(9);
        }
    }
}
