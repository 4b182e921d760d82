//! Thread CPU time, for tests that check a wait sleeps rather than spins. Its own
//! file (included with `#[path]`), so that only the suites that use it compile it.

/// CPU time this thread has run, in nanoseconds (Linux's schedstat).
#[cfg(target_os = "linux")]
pub fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}
