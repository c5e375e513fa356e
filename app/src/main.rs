//! `blsd` (being wired up).
fn main() {}
