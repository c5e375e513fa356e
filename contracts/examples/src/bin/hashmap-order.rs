//! Determinism probe: prints a std HashMap's iteration order. The order depends on
//! the random seed WASI hands to std, so it only agrees across workers when the
//! worker seeds randomness from the job.
use std::collections::HashMap;

fn main() {
    let map: HashMap<u32, u32> = (0..64).map(|i| (i, i * i)).collect();
    let order: Vec<String> = map.keys().map(|k| k.to_string()).collect();
    println!("{}", order.join(","));
}
