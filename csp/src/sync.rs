//! The one place concurrency primitives come from.
//!
//! Under `--cfg csp_loom` every type is loom's (the `Arc` wrapped so that a failed
//! model's teardown does not abort the test binary: `model_unwinding`), so the models
//! in `loom_tests/` explore every interleaving of the real code; under `--cfg csp_shuttle` they are shuttle's, so
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
        Mutex, MutexGuard,
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

/// How long a yield took ([`yield_timed`]), which says who else wanted the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Yielded {
    /// Back at once: no other thread was ready to run on this CPU.
    Quick,
    /// Another thread ran (the counterpart, say), and the CPU came back soon.
    Switched,
    /// The CPU is contested: the yield took far longer than a switch to another thread
    /// of this program and back, so it went to some other program for a time slice
    /// (milliseconds under Linux's CFS) rather than to the counterpart this wait is
    /// for (`crate::backoff`).
    Contested,
}

/// Yields (as [`yield_now`]) and says how long that took ([`Yielded`]).
///
/// On x86-64 the time is the cycle counter, read inline: a clock read through the
/// vDSO is a call, and this sits in the inlined wait loop of a rendezvous pinned to
/// one CPU, which yields twice a round trip. The bound need not be exact: a switch
/// and back takes a few thousand cycles, a time slice millions.
///
/// On one CPU the bound is higher. There, every runnable thread of this program runs
/// before a yield comes back, so a yield can take long with no other program in
/// sight: eight threads on one ring, each moving up to a batch of values a turn, take
/// 70 µs and more (`taskset -c 0`, 4x4 over `bounded(1024)`), and a wait that took
/// that for contention parked instead of yielding, a futex call on each side of every
/// switch (4x4 over `bounded(1)`: 2.1 µs a message against kanal's 0.91; with the
/// higher bound 0.97, and `bounded(1024)` 25 ns against 16). On two CPUs the lower
/// bound stays: beside two busy processes, the higher one made the 4x1 and 4x4
/// rendezvous rows 2-8x slower (four quick runs each), as yields that lost the CPU
/// for less than a slice stopped counting.
///
/// On one CPU the counter is read once a yield instead of twice ([`YieldClock`]): a
/// yield is timed from where the thread's last one came back, which bounds it from
/// above. Each read costs about 10 ns on the development machine, and a rendezvous
/// pinned to one CPU yields twice a round trip. A bound under the contested one says
/// the yield was not contested; one over it may hold the thread's own work since its
/// last yield, or a sleep, so the yield counts as a switch and the next few are timed
/// from their own start, as are the first few after a sleep or a window of parks
/// ([`yield_clock_lapses`]). That costs a busy machine one time slice more before its
/// first window. On two CPUs a wait spins before it yields, so no bound would tell a
/// quick yield, which the wait does not count ([`crate::backoff`], "A wake-up that
/// costs more than the wait").
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
#[inline(always)]
pub(crate) fn yield_timed() -> Yielded {
    /// About 100 µs at 2 GHz: far beyond a round trip through a counterpart that
    /// answers (3 µs pinned to one CPU), far below a time slice.
    const CONTESTED_CYCLES: u64 = 200_000;
    let one_cpu = parallelism() == 1;
    let clock = if one_cpu {
        YieldClock(YIELD_CLOCK.get())
    } else {
        YieldClock::PRECISE
    };
    // SAFETY: `rdtsc` reads the time-stamp counter, present on every x86-64 CPU; it
    // touches no memory.
    let from = clock
        .from()
        .unwrap_or_else(|| unsafe { std::arch::x86_64::_rdtsc() });
    yield_now();
    // SAFETY: as above.
    let end = unsafe { std::arch::x86_64::_rdtsc() };
    let took = end.wrapping_sub(from);
    if one_cpu {
        let (clock, yielded) = clock.came_back(end, took);
        YIELD_CLOCK.with(|cell| cell.set(clock.0));
        yielded
    } else if took < QUICK_CYCLES {
        Yielded::Quick
    } else if took > CONTESTED_CYCLES {
        Yielded::Contested
    } else {
        Yielded::Switched
    }
}

/// The one-CPU yield clock ([`yield_timed`]), and the bound for a quick yield that
/// both clocks use.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
mod yield_clock {
    use super::Yielded;

    /// About 1 µs at 2 GHz: several idle `sched_yield` calls (0.1-0.25 µs each), less
    /// than a switch to another thread and back.
    pub(super) const QUICK_CYCLES: u64 = 2_000;

    /// On one CPU, what a thread's next yield is timed from
    /// ([`yield_timed`](super::yield_timed)): the cycle counter when its last yield
    /// came back, and how many of its next yields are timed from their own start
    /// instead, packed into one word (the count in the low bits, where the counter
    /// loses a few cycles) so that the thread-local read and write are one move each.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) struct YieldClock(pub(super) u64);

    impl YieldClock {
        /// On one CPU: about 500 µs at 2 GHz, above a turn of every thread of a busy
        /// program, still below a time slice (EEVDF's base slice is 0.75 ms and up).
        const CONTESTED: u64 = 1_000_000;
        /// How many yields after a sleep, or after one whose bound said nothing, are
        /// timed from their own start: beside a busy process, every other yield goes to
        /// it, so one of them is.
        const PRECISE_AFTER: u64 = 4;
        /// The low bits, which hold the count.
        const COUNT: u64 = 7;
        /// A clock that times the next yields from their own start.
        pub(super) const PRECISE: Self = Self(Self::PRECISE_AFTER);

        /// What the next yield is timed from: `None` for its own start.
        #[inline(always)]
        pub(super) fn from(self) -> Option<u64> {
            (self.0 & Self::COUNT == 0).then_some(self.0)
        }

        /// The next yield came back at `end`, `took` cycles after what [`from`] said:
        /// the clock for the one after, and what this one says.
        ///
        /// [`from`]: YieldClock::from
        #[inline(always)]
        pub(super) fn came_back(self, end: u64, took: u64) -> (Self, Yielded) {
            let count = self.0 & Self::COUNT;
            let mut next = count.saturating_sub(1);
            let yielded = if took < QUICK_CYCLES {
                Yielded::Quick
            } else if took <= Self::CONTESTED {
                Yielded::Switched
            } else if count > 0 {
                Yielded::Contested
            } else {
                // Only a bound, and over the line: the thread's own work or a sleep may
                // be in it. Time the next few from their start.
                next = Self::PRECISE_AFTER;
                Yielded::Switched
            };
            (Self(end & !Self::COUNT | next), yielded)
        }
    }

    std::thread_local! {
        /// This thread's [`YieldClock`], on one CPU.
        pub(super) static YIELD_CLOCK: std::cell::Cell<u64> =
            const { std::cell::Cell::new(YieldClock::PRECISE.0) };
    }

    /// The thread is about to sleep, or to skip its yields: its next few yields are
    /// timed from their own start ([`yield_timed`](super::yield_timed)), as the time
    /// since its last yield came back says nothing of them. Beside a busy process on
    /// one CPU, the first yields after a window of parks are what find the CPU still
    /// contested.
    #[inline]
    pub(crate) fn yield_clock_lapses() {
        YIELD_CLOCK.with(|cell| cell.set(YieldClock::PRECISE.0));
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A switch to the counterpart and back, in cycles.
        const SWITCH: u64 = 3_000;
        /// A busy process's time slice, in cycles.
        const SLICE: u64 = 6_000_000;

        /// Runs one yield that really takes `took` cycles, `work` cycles after the last
        /// one came back (at `now`), through `clock`: what it says.
        fn yield_once(clock: &mut YieldClock, now: &mut u64, work: u64, took: u64) -> Yielded {
            let start = *now + work;
            let from = clock.from().unwrap_or(start);
            *now = start + took;
            let (next, yielded) = clock.came_back(*now, *now - from);
            *clock = next;
            yielded
        }

        /// A clock past its first, precise yields, and when its last one came back.
        fn settled() -> (YieldClock, u64) {
            let mut clock = YieldClock::PRECISE;
            let mut now = 1_000;
            for _ in 0..YieldClock::PRECISE_AFTER {
                yield_once(&mut clock, &mut now, 0, SWITCH);
            }
            (clock, now)
        }

        /// The steady case it is for: back-to-back switches, each timed from the last.
        /// Catches a clock that never leaves its precise phase (no cycle-counter read
        /// saved) or judges a bound wrongly.
        #[test]
        fn switches_in_a_row_are_timed_from_the_last_one() {
            let mut clock = YieldClock::PRECISE;
            let mut now = 1_000;
            for _ in 0..YieldClock::PRECISE_AFTER {
                assert!(clock.from().is_none());
                assert_eq!(
                    yield_once(&mut clock, &mut now, 500, SWITCH),
                    Yielded::Switched
                );
            }
            for _ in 0..100 {
                let from = clock.from().expect("timed from where the last came back");
                assert!(
                    now - from <= YieldClock::COUNT,
                    "from {from}, came back at {now}"
                );
                assert_eq!(
                    yield_once(&mut clock, &mut now, 500, SWITCH),
                    Yielded::Switched
                );
            }
            assert_eq!(
                yield_once(&mut clock, &mut now, 0, QUICK_CYCLES / 2),
                Yielded::Quick
            );
        }

        /// Long work (or a sleep) between two yields makes the bound say nothing: not
        /// contested, and the next yields are timed from their start. Catches taking the
        /// bound for the yield's time, which would open a window of parks after any
        /// pause of the program's own.
        #[test]
        fn a_bound_over_the_line_is_no_contention() {
            let (mut clock, mut now) = settled();
            assert_eq!(
                yield_once(&mut clock, &mut now, SLICE, SWITCH),
                Yielded::Switched
            );
            assert!(
                clock.from().is_none(),
                "the next yield is timed from its start"
            );
        }

        /// Beside a busy process on one CPU the yields alternate: one goes to the
        /// counterpart, the next to the busy process for a slice. Catches a clock that
        /// times only one yield precisely after a bound over the line: that one is the
        /// counterpart's, the next slow one is only bounded again, and the CPU is never
        /// found contested (a ping-pong took 1.25 ms a round trip that way).
        #[test]
        fn beside_a_busy_process_a_slow_yield_is_found() {
            let (mut clock, mut now) = settled();
            let mut found = None;
            for i in 0..2 * YieldClock::PRECISE_AFTER {
                let took = if i % 2 == 0 { SLICE } else { SWITCH };
                if yield_once(&mut clock, &mut now, 100, took) == Yielded::Contested {
                    found = Some(i);
                    break;
                }
            }
            assert_eq!(found, Some(2), "the second slow yield is timed and found");
        }

        /// After a sleep the time since the last yield says nothing: the clock lapses,
        /// and a slow yield then is found at once. Catches a lapse that does not reach
        /// the next yield (the first yield after a window of parks is what finds the CPU
        /// still contested).
        #[test]
        fn after_a_lapse_a_slow_yield_is_found_at_once() {
            let (mut clock, mut now) = settled();
            assert!(clock.from().is_some());
            // What `yield_clock_lapses` leaves this thread's clock at.
            YIELD_CLOCK.set(clock.0);
            yield_clock_lapses();
            clock = YieldClock(YIELD_CLOCK.get());
            assert_eq!(
                yield_once(&mut clock, &mut now, SLICE, SLICE),
                Yielded::Contested
            );
        }
    }
}

#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
pub(crate) use yield_clock::yield_clock_lapses;
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
use yield_clock::{QUICK_CYCLES, YIELD_CLOCK, YieldClock};

/// Elsewhere every yield is timed from its own start.
#[cfg(not(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
)))]
#[inline(always)]
pub(crate) fn yield_clock_lapses() {}

/// See the x86-64 version; elsewhere the time comes from `Instant`.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    not(all(target_os = "linux", target_arch = "x86_64"))
))]
#[inline]
pub(crate) fn yield_timed() -> Yielded {
    let start = std::time::Instant::now();
    yield_now();
    let took = start.elapsed();
    let bound = if parallelism() > 1 { 100 } else { 500 };
    if took < std::time::Duration::from_micros(1) {
        Yielded::Quick
    } else if took > std::time::Duration::from_micros(bound) {
        Yielded::Contested
    } else {
        Yielded::Switched
    }
}

/// The CPU time this whole process has used (every thread's, in nanoseconds), read
/// with one system call (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`, which the vDSO
/// does not serve): for telling whose threads a slow yield gave the CPU to
/// (`crate::backoff`, "Whose thread ran"), read only around such a yield.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
#[cold]
pub(crate) fn process_cpu_nanos() -> Option<u64> {
    /// Linux's `CLOCK_PROCESS_CPUTIME_ID`.
    const CLOCK_PROCESS_CPUTIME_ID: usize = 2;
    clock_nanos(CLOCK_PROCESS_CPUTIME_ID)
}

/// The CPU time the calling thread has used, for testing [`process_cpu_nanos`]
/// against.
#[cfg(all(
    test,
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
pub(crate) fn thread_cpu_nanos() -> Option<u64> {
    /// Linux's `CLOCK_THREAD_CPUTIME_ID`.
    const CLOCK_THREAD_CPUTIME_ID: usize = 3;
    clock_nanos(CLOCK_THREAD_CPUTIME_ID)
}

/// Reads `clock` with `clock_gettime`, in nanoseconds.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
fn clock_nanos(clock: usize) -> Option<u64> {
    /// `clock_gettime`'s number in the x86-64 Linux system call table.
    const SYS_CLOCK_GETTIME: usize = 228;
    // A `struct timespec`: seconds, then nanoseconds, both 64-bit on x86-64.
    let mut time = [0i64; 2];
    let result: isize;
    // SAFETY: clock_gettime writes one `struct timespec` (two i64s on x86-64 Linux)
    // through its second argument, which points at `time`, alive and writable for
    // the whole call; it reads nothing else of ours. Call number in rax, arguments in
    // rdi and rsi, the result in rax; the `syscall` instruction overwrites rcx and r11.
    // All are declared, and without `nomem` the compiler assumes memory is written.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_CLOCK_GETTIME as isize => result,
            in("rdi") clock,
            in("rsi") time.as_mut_ptr(),
            out("rcx") _,
            out("r11") _,
            options(nostack),
        );
    }
    let [secs, nanos] = time;
    (result == 0).then(|| {
        (secs as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(nanos as u64)
    })
}

/// Elsewhere std has no process CPU clock, and a slow yield is taken for contention
/// as it always was.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    not(all(target_os = "linux", target_arch = "x86_64"))
))]
pub(crate) fn process_cpu_nanos() -> Option<u64> {
    None
}

/// The CPU the calling thread runs on, plus one, in 16 bits; 0 where that is not
/// known. A completer leaves it in the party it completes, so that the owner learns
/// whether its counterpart shares its CPU (`crate::backoff`, "A counterpart on this
/// CPU"). Two threads that read the same value were on the same CPU when they read
/// it; nothing else is promised: the thread may move at once, and CPUs 65,535 apart
/// read alike, so it only ever chooses how to wait.
///
/// On x86-64 Linux, the `rdpid` instruction, which reads what the kernel keeps in the
/// `TSC_AUX` register for each CPU (its number in the low 12 bits, its node above):
/// about 1 ns, against 25 for `rdtscp`, which reads the same register, and a system
/// call for `getcpu`. Whether the CPU has it is asked of `cpuid` once, then cached.
/// A process that may run on one CPU only gets 0 as well, for one load: no wait
/// spins there, so nobody reads the stamp, and every rendezvous hand-off there is a
/// switch that would pay for `rdpid` and the reduction below.
#[cfg(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
))]
#[inline]
pub(crate) fn cpu_stamp() -> usize {
    /// 0 before `cpuid` is asked, then `YES` or `NO`.
    static RDPID: AtomicUsize = AtomicUsize::new(0);
    const YES: usize = 1;
    const NO: usize = 2;
    #[cold]
    #[inline(never)]
    fn ask() -> usize {
        // SAFETY: `cpuid` exists on every x86-64 CPU and reads no memory; leaf 7 is
        // asked only if leaf 0 says it exists. Bit 22 of leaf 7's ECX is RDPID. (The
        // intrinsics are unsafe in the Rust this crate supports first, 1.85, and safe
        // in later ones: hence the `allow`.)
        #[allow(unused_unsafe)]
        let has = unsafe {
            use std::arch::x86_64::{__cpuid, __cpuid_count};
            __cpuid(0).eax >= 7 && __cpuid_count(7, 0).ecx & 1 << 22 != 0
        };
        let answer = if has && parallelism() > 1 { YES } else { NO };
        RDPID.store(answer, Ordering::Relaxed);
        answer
    }
    let has = match RDPID.load(Ordering::Relaxed) {
        0 => ask(),
        answer => answer,
    };
    if has != YES {
        return 0;
    }
    let aux: usize;
    // SAFETY: the CPU has `rdpid` (asked above); it writes one register and touches
    // no memory, stack or flags.
    unsafe {
        std::arch::asm!(
            "rdpid {}",
            out(reg) aux,
            options(nomem, nostack, preserves_flags),
        );
    }
    (aux & 0xffff) % 0xffff + 1
}

/// Elsewhere, and under the checkers, the CPU is not known: waits choose as they
/// did before (`crate::backoff`, "A counterpart on this CPU").
#[cfg(not(all(
    not(any(csp_loom, csp_shuttle)),
    target_os = "linux",
    target_arch = "x86_64"
)))]
#[inline(always)]
pub(crate) fn cpu_stamp() -> usize {
    0
}

/// Under a checker no time passes: a yield is only a scheduling point.
#[cfg(any(csp_loom, csp_shuttle))]
#[inline]
pub(crate) fn yield_timed() -> Yielded {
    yield_now();
    Yielded::Switched
}

/// Outside the models, locks are csp's own queue lock (see `crate::lock` for why); the
/// models keep their own mutexes, which they check, and `loom_tests` checks this one
/// by itself.
#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) use crate::lock::{Mutex, MutexGuard};

/// The current time: std's clock, or under loom and shuttle the model's own
/// (`model_clock`). Every deadline and timer in the crate reads it here.
#[cfg(not(any(csp_loom, csp_shuttle)))]
#[inline(always)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// Parks the current thread until unparked or until `deadline`.
#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) fn park_until(deadline: std::time::Instant) {
    let now = std::time::Instant::now();
    if deadline > now {
        std::thread::park_timeout(deadline - now);
    }
}

#[cfg(any(csp_loom, csp_shuttle))]
pub(crate) use model_clock::{now, park_until};

/// Time under a model checker, where no real time may pass: a timeout is an internal
/// choice, as in CSP. A wait with a deadline ends by timeout only where it would
/// otherwise sleep, and there the clock moves to the deadline: the waiter finds its
/// deadline past and gives up, racing any counterpart that completes it first. So the
/// checker explores both endings, the counterpart arriving (a switch to it before the
/// waiter's abort: under loom, one preemption) and the timeout, and a model whose only
/// way on is a timeout never deadlocks on it. Such a wait does not spin or yield on
/// its way there (`Party::wait` says why). Nor does it yield where the time comes:
/// the clock's own operation is a scheduling point, where the counterpart may come
/// first, while shuttle's PCT scheduler takes a yield as "run the others first", so a
/// yield there would let every runnable counterpart come before every timeout.
///
/// The clock belongs to one execution of the model: it starts at the real time of its
/// first read in that execution and moves only when a wait passes time. An instant the
/// model computed from `Instant::now()` before that first read is past; one computed
/// after it is reached when a wait sleeps until it. Either way each execution of the
/// same schedule takes the same steps, as loom requires. Under loom the clock is a
/// `lazy_static`, so reading it synchronizes the reader with the thread that first
/// read it in that execution (loom's rule for statics): an ordering bug that only that
/// edge hides goes unseen in a model that uses timeouts.
#[cfg(any(csp_loom, csp_shuttle))]
mod model_clock {
    use super::Ordering;
    use std::time::{Duration, Instant};

    #[cfg(csp_loom)]
    use loom::sync::atomic::AtomicU64;
    #[cfg(csp_shuttle)]
    use shuttle::sync::atomic::AtomicU64;

    /// The execution's time: `base` (the real time of its first read) plus `passed`.
    /// `passed` is the checker's own atomic, read and moved only by read-modify-writes,
    /// so the checker sees every read and move of the time as an operation on one
    /// location: it explores their orders (which thread's wait passes time first) as
    /// it does any other race, and each read sees the latest time. `Relaxed`: the
    /// time orders nothing else between threads, so it hides no race.
    struct Clock {
        base: Instant,
        passed: AtomicU64,
    }

    #[cfg(csp_loom)]
    loom::lazy_static! {
        static ref CLOCK: Clock = Clock { base: Instant::now(), passed: AtomicU64::new(0) };
    }

    #[cfg(csp_shuttle)]
    shuttle::lazy_static! {
        static ref CLOCK: Clock = Clock { base: Instant::now(), passed: AtomicU64::new(0) };
    }

    /// The model's time.
    pub(crate) fn now() -> Instant {
        let passed = CLOCK.passed.fetch_add(0, Ordering::Relaxed);
        CLOCK.base + Duration::from_nanos(passed)
    }

    /// Where a thread would sleep until `deadline`, the time comes (module docs). The
    /// caller finds its deadline past and gives up; a counterpart that came meanwhile
    /// has completed it instead.
    pub(crate) fn park_until(deadline: Instant) {
        pass_time_until(deadline);
    }

    /// Moves the model's clock on to `deadline`, if it is not there yet: time never
    /// goes back.
    fn pass_time_until(deadline: Instant) {
        let since = deadline.saturating_duration_since(CLOCK.base);
        let nanos = u64::try_from(since.as_nanos()).unwrap_or(u64::MAX);
        CLOCK.passed.fetch_max(nanos, Ordering::Relaxed);
    }
}

#[cfg(csp_loom)]
pub(crate) use model_choice::{choose, may_choose, set_choices};

/// A choice loom explores, for a select among several ready arms (`select::rng`).
/// loom has no choice primitive (loom#84), so one is made from a helper thread: it
/// notifies the chooser, then stores `1`, `2`, ... into an atomic the chooser then
/// loads. The notification orders only what came before it, so the load may read the
/// initial `0` or any of the later stores, and loom explores each as it explores any
/// race: every choice is reached without a preemption. The helper takes one of loom's
/// thread slots (`loom::MAX_THREADS`, five) for the rest of the execution, so the
/// number of explored choices per execution is capped (`set_choices`; by default
/// one); past the cap a select takes its first ready arm, as before.
#[cfg(csp_loom)]
mod model_choice {
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    std::thread_local! {
        /// How many choices each execution explores
        /// (`loom_hooks::explore_select_choices`): set by the test's own thread, which
        /// runs all of a model's threads (as loom's coroutines), so each test sets its
        /// own while the tests of a binary run side by side.
        static CHOICES: std::cell::Cell<usize> = const { std::cell::Cell::new(1) };
    }

    loom::lazy_static! {
        /// The choices made so far in this execution. A std atomic: it only counts,
        /// and loom must not see it as shared state (it would explore its orders).
        static ref MADE: AtomicUsize = AtomicUsize::new(0);
    }

    /// loom's limit on the values an atomic remembers: a load can read no older one.
    const HISTORY: usize = 7;

    pub(crate) fn set_choices(per_execution: usize) {
        CHOICES.set(per_execution);
    }

    /// Whether this execution may still make a choice: the cap is not reached.
    pub(crate) fn may_choose() -> bool {
        let cap = CHOICES.get();
        // A cap of 0 leaves the execution's count alone (a `lazy_static`, whose first
        // read is a step loom sees).
        cap > 0 && MADE.load(Relaxed) < cap
    }

    /// A number below `count` (at least 2), each reached in some execution while the
    /// execution's cap lasts (module docs); then `0`. Past loom's history, the
    /// choices are the first seven.
    pub(crate) fn choose(count: usize) -> usize {
        if MADE.fetch_add(1, Relaxed) >= CHOICES.get() {
            return 0;
        }
        let coin = loom::sync::Arc::new((
            loom::sync::Notify::new(),
            loom::sync::atomic::AtomicUsize::new(0),
        ));
        let theirs = coin.clone();
        loom::thread::spawn(move || {
            theirs.0.notify();
            for choice in 1..count.min(HISTORY) {
                theirs.1.store(choice, Relaxed);
            }
        });
        coin.0.wait();
        coin.1.load(Relaxed)
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

/// Whether a loom model is unwinding on this thread: loom found a failure (a deadlock,
/// a data race, a failed assertion) and is tearing the model down. Then loom's
/// scheduler is gone, and any loom operation (an atomic, an `Arc` count) panics again
/// inside a destructor, which aborts the whole test binary (loom#291): a user's
/// `#[should_panic]` model, or the next test, never runs. csp's handles and wakers
/// check this in their drops and leave loom alone. Never true outside loom.
#[cfg(csp_loom)]
pub(crate) fn model_unwinding() -> bool {
    std::thread::panicking()
}

/// Never true outside loom (see the loom version).
#[cfg(not(csp_loom))]
#[inline(always)]
pub(crate) const fn model_unwinding() -> bool {
    false
}

/// Marks the calling thread as inside a blocking csp operation until the guard drops,
/// so that a model that stops (a deadlock, a failed assertion) can say where each
/// thread was blocked (`model_report`). Nothing outside loom.
#[cfg(not(csp_loom))]
#[inline(always)]
pub(crate) fn blocking(_operation: &'static str) -> Blocking {
    Blocking
}

/// The guard of [`blocking`]: nothing outside loom.
#[cfg(not(csp_loom))]
pub(crate) struct Blocking;

#[cfg(csp_loom)]
pub(crate) use model_report::{blocking, last_report, report_blocked};

/// Under loom: which csp operation each thread is blocked in, reported once when a
/// model stops while threads are blocked. loom's own deadlock message names threads
/// and their states only; this names the operation and the line of the model that
/// called it. Every public blocking operation (`send`, `recv`, their timed forms,
/// `Select`'s and `select!`'s waits) registers the calling thread for as long as it
/// runs. When loom tears a failed model down, the first csp guard or handle dropped
/// while unwinding prints the threads still registered (they are the ones blocked)
/// to stderr, beside loom's message.
///
/// The registry is a plain thread-local of the OS thread the model runs on (loom runs
/// all of a model's threads there, one at a time; tests running side by side each
/// have their own), outside loom: it adds no scheduling point and no ordering between
/// threads, so it hides no bug. Executions run one at a time, and each operation takes
/// its entry out as it returns, so the registry holds only the current execution's.
#[cfg(csp_loom)]
mod model_report {
    use std::cell::RefCell;
    use std::fmt::Write;
    use std::panic::Location;

    /// A thread inside a csp operation: its name, the operation, and where the model
    /// called it.
    type Entry = (String, &'static str, &'static Location<'static>);

    std::thread_local! {
        static BLOCKED: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
        static LAST: RefCell<String> = const { RefCell::new(String::new()) };
    }

    /// The guard of [`blocking`]: takes the thread's entry out as the operation ends.
    pub(crate) struct Blocking {
        thread: String,
    }

    fn thread_name() -> String {
        let thread = loom::thread::current();
        match thread.name() {
            Some(name) => format!("{:?} ({name})", thread.id()),
            None => format!("{:?}", thread.id()),
        }
    }

    /// Registers the calling thread as inside `operation`, called at the caller's
    /// caller (the public operations are `#[track_caller]` under loom).
    #[track_caller]
    pub(crate) fn blocking(operation: &'static str) -> Blocking {
        let thread = thread_name();
        let entry = (thread.clone(), operation, Location::caller());
        BLOCKED.with_borrow_mut(|blocked| blocked.push(entry));
        Blocking { thread }
    }

    impl Drop for Blocking {
        fn drop(&mut self) {
            if super::model_unwinding() {
                report_blocked();
            }
            BLOCKED.with_borrow_mut(|blocked| {
                if let Some(at) = blocked.iter().rposition(|entry| entry.0 == self.thread) {
                    blocked.remove(at);
                }
            });
        }
    }

    /// Prints (once) the threads still inside csp operations, and empties the
    /// registry. Called while a failed model unwinds.
    pub(crate) fn report_blocked() {
        let blocked = BLOCKED.with_borrow_mut(std::mem::take);
        if blocked.is_empty() {
            return;
        }
        let mut report = String::from("csp: when the model stopped, these threads were blocked:");
        for (thread, operation, at) in &blocked {
            let _ = write!(report, "\n  thread {thread} in {operation}, called at {at}");
        }
        eprintln!("{report}");
        LAST.set(report);
    }

    /// The last report printed, for the models that check it.
    pub(crate) fn last_report() -> String {
        LAST.with_borrow(String::clone)
    }
}

#[cfg(csp_loom)]
pub(crate) use loom_arc::Arc;

/// loom's `Arc`, but for one thing: dropped while a model unwinds, it leaks its count
/// instead of reaching loom's scheduler ([`model_unwinding`]).
#[cfg(csp_loom)]
mod loom_arc {
    use std::mem::ManuallyDrop;
    use std::ops::Deref;

    #[derive(Debug)]
    pub(crate) struct Arc<T>(ManuallyDrop<loom::sync::Arc<T>>);

    impl<T> Arc<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(ManuallyDrop::new(loom::sync::Arc::new(value)))
        }

        pub(crate) fn ptr_eq(this: &Self, other: &Self) -> bool {
            loom::sync::Arc::ptr_eq(&this.0, &other.0)
        }

        pub(crate) fn as_ptr(this: &Self) -> *const T {
            loom::sync::Arc::as_ptr(&this.0)
        }

        pub(crate) fn into_raw(this: Self) -> *const T {
            let mut this = ManuallyDrop::new(this);
            // SAFETY: `this` is never used or dropped again; its count moves to the
            // raw pointer.
            loom::sync::Arc::into_raw(unsafe { ManuallyDrop::take(&mut this.0) })
        }

        /// # Safety
        /// As for `std::sync::Arc::from_raw`.
        pub(crate) unsafe fn from_raw(ptr: *const T) -> Self {
            // SAFETY: the caller's contract.
            Self(ManuallyDrop::new(unsafe { loom::sync::Arc::from_raw(ptr) }))
        }

        /// # Safety
        /// As for `std::sync::Arc::increment_strong_count`.
        pub(crate) unsafe fn increment_strong_count(ptr: *const T) {
            // SAFETY: the caller's contract.
            unsafe { loom::sync::Arc::increment_strong_count(ptr) }
        }

        /// # Safety
        /// As for `std::sync::Arc::decrement_strong_count`.
        pub(crate) unsafe fn decrement_strong_count(ptr: *const T) {
            // Even rebuilding the `Arc` reaches loom's scheduler.
            if !super::model_unwinding() {
                // SAFETY: the caller's contract.
                unsafe { loom::sync::Arc::decrement_strong_count(ptr) }
            }
        }
    }

    impl<T> Clone for Arc<T> {
        fn clone(&self) -> Self {
            Self(self.0.clone())
        }
    }

    impl<T> Deref for Arc<T> {
        type Target = T;

        fn deref(&self) -> &T {
            &self.0
        }
    }

    impl<T> Drop for Arc<T> {
        fn drop(&mut self) {
            if !super::model_unwinding() {
                // SAFETY: dropped once, here; never used again.
                unsafe { ManuallyDrop::drop(&mut self.0) }
            }
        }
    }
}
