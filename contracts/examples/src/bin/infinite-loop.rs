//! Hostile: spins forever without host calls. Must end with out-of-fuel or timeout.
fn main() {
    let mut x: u64 = 1;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}
