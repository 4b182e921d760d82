//! The one place concurrency primitives come from.
//!
//! Under `--cfg csp_loom` every type is loom's, so the models in `loom_tests/` explore
//! every interleaving of the real code; under `--cfg csp_shuttle` they are shuttle's, so
//! randomized schedulers can drive many threads through it (`loom_tests/tests/shuttle.rs`);
//! otherwise they are std's at zero cost, but for the lock, which is csp's own
//! (`crate::lock`), and, on Linux x86-64, the yield, an inline system call
//! ([`yield_now`]). Nothing else in the crate names `std::sync`, `std::thread` or
//! `std::cell::UnsafeCell`, with two stated exceptions: `alarm`, the timer thread,
//! outside the wait protocol; and `lock`, whose guard needs a plain cell (its atomics
//! come from here, and its own loom model checks it through the data it guards).

#[cfg(csp_loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering, fence},
    },
    thread::{Thread, current as current_thread, park, yield_now},
};

#[cfg(csp_shuttle)]
pub(crate) use shuttle::{
    hint::spin_loop,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering, fence},
    },
    thread::{Thread, current as current_thread, park, yield_now},
};

#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering, fence},
    },
    thread::{Thread, current as current_thread, park},
};

#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    not(all(target_os = "linux", target_arch = "x86_64"))
))]
pub(crate) use std::thread::yield_now;

/// Offers the CPU to another thread: the `sched_yield` system call, issued inline.
///
/// Why not `std::thread::yield_now`: it calls libc's wrapper, so the context switch
/// the call usually causes happens inside two functions that then return, and on the
/// development machine a return across a switch costs about 200 ns: most likely
/// because the kernel refills the CPU's return predictor on a switch (a Spectre v2
/// mitigation, "RSB filling"), so the return is mispredicted. Measured there, pinned
/// to one CPU: the no-channel ping-pong takes 3.7 µs a round trip yielding through
/// libc, or through a one-line function around this same instruction, and 3.0 µs with
/// the instruction inline. A rendezvous pinned to one CPU switches twice a round trip.
/// The blocking operations are `#[inline]`, so the wait loop, and this instruction in
/// it, lands in the caller's own loop, which goes on after the switch without
/// returning. Other targets use std's.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
#[inline(always)]
pub(crate) fn yield_now() {
    /// `sched_yield`'s number in the x86-64 Linux system call table.
    const SYS_SCHED_YIELD: usize = 24;
    // SAFETY: sched_yield takes no arguments and reads or writes no user memory. The
    // `syscall` instruction takes the call number in rax, returns the result there,
    // and overwrites rcx and r11: all three are declared. The result (always 0 on
    // Linux) is ignored, as std ignores it. Without `nomem`, the compiler treats the
    // block as it would a call, keeping memory accesses on their side of it.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_SCHED_YIELD => _,
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
    }
}

/// Outside the models, locks are csp's own queue lock (see `crate::lock` for why); the
/// models keep their own mutexes, which they check, and `loom_tests` checks this one
/// by itself.
#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) use crate::lock::{Mutex, MutexGuard};

/// Parks the current thread until unparked or until `deadline`.
///
/// loom and shuttle have no time: under them this is a plain `park`, so models never
/// rely on a timeout firing (timeouts are covered by stress tests instead).
#[cfg(any(csp_loom, csp_shuttle))]
pub(crate) fn park_until(_deadline: std::time::Instant) {
    park();
}

/// Parks the current thread until unparked or until `deadline`.
#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) fn park_until(deadline: std::time::Instant) {
    let now = std::time::Instant::now();
    if deadline > now {
        std::thread::park_timeout(deadline - now);
    }
}

/// How many threads can truly run at once for this process (its CPU affinity mask
/// included, so `taskset -c 0` yields 1). Spinning only pays when this is above one.
///
/// Read once, then cached: every wait asks, so the cached answer is one load. Threads
/// that race to read it first all store the same answer.
#[cfg(not(any(csp_loom, csp_shuttle)))]
#[inline]
pub(crate) fn parallelism() -> usize {
    /// The answer, or 0 before it is read.
    static CPUS: AtomicUsize = AtomicUsize::new(0);
    #[cold]
    #[inline(never)]
    fn read() -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        CPUS.store(cpus, Ordering::Relaxed);
        cpus
    }
    match CPUS.load(Ordering::Relaxed) {
        0 => read(),
        cpus => cpus,
    }
}

/// Under loom there is no real parallelism, and spinning only lengthens models.
#[cfg(csp_loom)]
pub(crate) fn parallelism() -> usize {
    1
}

/// Under shuttle, two: the spinning paths, which loom never takes, get explored too
/// (every spin is a scheduling point there).
#[cfg(csp_shuttle)]
pub(crate) fn parallelism() -> usize {
    2
}

/// Orders a notify list's handshake for loom (see `crate::notify`). Real code needs no
/// fence there: every access in the handshake is `SeqCst`, and the single total order
/// of `SeqCst` operations makes one side see the other. loom does not model that order
/// for plain loads and stores (it treats them as acquire and release: loom#180), so
/// without this fence it reports missed wake-ups real hardware cannot have; with it,
/// loom applies its `SeqCst` fence rules, which give the same guarantee.
#[cfg(csp_loom)]
#[inline]
pub(crate) fn handshake_fence() {
    loom::sync::atomic::fence(Ordering::SeqCst);
}

/// Orders a notify list's handshake for loom; nothing otherwise (see the loom version).
#[cfg(not(csp_loom))]
#[inline(always)]
pub(crate) fn handshake_fence() {}

/// Locks a mutex; a poisoned lock is taken over, because no code of ours panics while
/// holding a channel lock with its state half-updated (user code never runs under it).
#[cfg(any(csp_loom, csp_shuttle))]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Locks a mutex (csp's queue lock, which has no poisoning).
#[cfg(not(any(csp_loom, csp_shuttle)))]
#[inline]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock()
}

/// std's `UnsafeCell` with loom's closure-based access API, so code reads the same in
/// every mode and loom can check every access for data races.
#[cfg(not(csp_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(csp_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Gives `f` a shared raw pointer to the contents.
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Gives `f` a mutable raw pointer to the contents.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(csp_loom)]
pub(crate) use loom::cell::UnsafeCell;
