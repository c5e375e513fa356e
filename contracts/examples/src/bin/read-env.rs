//! Hostile: dumps every environment variable it can see as `K=V` lines, then the args
//! (one `arg: X` line each) and the current directory.
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
}
