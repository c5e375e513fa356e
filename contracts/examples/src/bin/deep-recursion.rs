//! Hostile: unbounded non-tail recursion. Must end with a stack-overflow trap.
#[inline(never)]
fn descend(depth: u64, salt: u64) -> u64 {
    if depth == 0 {
        return salt;
    }
    // Non-associative combination so the optimizer cannot turn this into a loop.
    let below = descend(depth - 1, salt ^ depth);
    below
        .rotate_left((depth % 63) as u32)
        .wrapping_mul(depth | 1)
        ^ salt
}

fn main() {
    let depth = std::hint::black_box(u64::MAX);
    println!("{}", descend(depth, 7));
}
