//! Hostile: sleeps for an hour inside a host call (`poll_oneoff`). Must end at the
//! job's wall-clock deadline.
fn main() {
    println!("going to sleep");
    std::thread::sleep(std::time::Duration::from_secs(3600));
    println!("woke up");
}
