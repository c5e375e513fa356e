//! Hostile: dumps what it can see of its surroundings: every environment variable as
//! `K=V`, each arg as `arg: X`, the current directory, and the wall clock as
//! `time: <unix seconds>.<nanos>`.
fn main() {
    for (k, v) in std::env::vars() {
        println!("{k}={v}");
    }
    for a in std::env::args() {
        println!("arg: {a}");
    }
    match std::env::current_dir() {
        Ok(dir) => println!("cwd: {}", dir.display()),
        Err(err) => println!("cwd error: {err}"),
    }
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(t) => println!("time: {}.{:09}", t.as_secs(), t.subsec_nanos()),
        Err(_) => println!("time: before epoch"),
    }
}
