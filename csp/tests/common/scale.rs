//! How many values the stress suites move: their full counts, or a share of them when
//! `CSP_STRESS_DIVISOR` is set. `scripts/sanitize.sh` sets it for valgrind memcheck,
//! which runs a process's threads one at a time and spends most of its time emulating
//! waiters that spin: there the full counts took 7 minutes for one test
//! (`rendezvous_many_to_many`), and CI more than its 30. Memcheck looks for memory
//! errors on paths, and a share of the count still takes every path thousands of
//! times; the interleavings are what the full counts, run natively, are for. Its own
//! file (included with `#[path]`), as `cpu.rs`.

/// `n`, divided by `CSP_STRESS_DIVISOR` if that is set; at least 1.
pub fn scaled(n: u64) -> u64 {
    let divisor =
        match std::env::var("CSP_STRESS_DIVISOR") {
            Ok(d) => d.parse::<u64>().ok().filter(|&d| d > 0).unwrap_or_else(|| {
                panic!("CSP_STRESS_DIVISOR={d:?}: give a positive whole number")
            }),
            Err(_) => 1,
        };
    (n / divisor).max(1)
}
