//! How a party waits before it sleeps: spin briefly, then yield, then park.
//!
//! Spinning pays only when the counterpart can run at the same time on another CPU.
//! With one CPU (or `taskset -c 0`) every spin delays the very thread it waits for, so
//! the spin phase is skipped and the party yields at once: a yield hands the CPU to
//! the counterpart, which is what a rendezvous on one core wants (crossbeam #1031
//! measured a 13x slowdown from spinning there).
//!
//! The constants were tuned on the 2-core development machine with the rendezvous
//! ping-pong scenario (`csp-compare`, threads/ping_pong): checking often (every two
//! pause hints) answers a counterpart on the other core in a few hundred nanoseconds,
//! where exponential spinning (crossbeam's `Backoff`) overshoots; the number of
//! yields made no measurable difference on one core.
//!
//! # A busy machine
//!
//! Yielding pays only when the thread that gets the CPU is the counterpart. When other
//! programs want the CPUs too, a yield hands the CPU to one of them, for a whole time
//! slice (milliseconds under Linux's CFS), and a yielding thread, never asleep, is not
//! put back on the CPU early the way a woken one is: a rendezvous ping-pong beside two
//! busy processes on 2 CPUs took 1.4 ms a round trip yielding, 30x crossbeam's. So
//! each yield is timed (`sync::yield_contested`): one that took far longer than a
//! switch means the CPU is contested, and the wait parks at once. The thread then
//! skips yielding for a window of checks that doubles (up to a limit) each time the
//! CPU is found contested in a row, and runs out by itself; a yield that comes back
//! quickly after it starts the doubling over. On a busy machine almost every wait
//! parks, as crossbeam's, flume's and std's do; on an idle one nothing changes. This
//! only chooses between yielding and parking, both correct ways to wait: no model
//! checks it (under the checkers it is off), the busy-machine benchmarks do.

use crate::sync::{parallelism, spin_loop, yield_contested};

/// Checks of the awaited condition while spinning, before yielding starts: a few
/// microseconds in all, the time a busy counterpart on another core needs to answer.
const SPIN_CHECKS: u32 = 160;

/// Pause hints between two checks while spinning for a party's completion: one
/// counterpart will answer, and the sooner we see it the shorter the round trip.
const PAUSES_PER_CHECK: u32 = 2;

/// The most pause hints between two checks of a full or empty buffer. Checking less
/// often lets the other side move several values at once, so the buffer's cache lines
/// change hands once per batch rather than once per value (measured: one-to-one
/// throughput over `bounded(1024)` from ~0.95x to ~0.6x crossbeam's). A smaller ring
/// holds a smaller batch, and at capacity 1 there is none: a hand-off there waits for
/// every check's pauses, so a ring of capacity `cap` pauses `cap` hints, up to this
/// (`bounded(1)` throughput: about 250 ns a message at 8, 80 at 2, 55 at 1). The spin
/// phase lasts as long either way.
const RING_PAUSES_PER_CHECK: u32 = 8;

/// While spinning for a party, the check at which we yield once instead of pausing,
/// so that a counterpart that happens to share our CPU is not kept waiting for the
/// whole spin phase. Measured on the 2-core machine: a cold two-thread ping-pong
/// (threads just spawned, often on one CPU) from ~7 us to ~0.3 us a round trip; the
/// warm ping-pong unchanged. Yielding periodically instead cost 4x4 rendezvous
/// throughput 3x, and ring polling 1.5x, so it is one yield, and none for rings.
const YIELD_AT: u32 = 16;

/// Yields before parking. A yield costs a syscall and lets a counterpart on the same
/// CPU run; a few catch a counterpart that answers quickly, without parking.
const YIELDS: u32 = 4;

/// The longest pause, as a power of two, when retrying a lost compare-and-swap.
const MAX_CAS_SPIN_SHIFT: u32 = 6;

/// One wait's progress through the spin, yield and park phases.
///
/// Creating one reads the cached CPU count once (a load and a compare), so that each
/// step after it is a compare and a pause or a yield: on one CPU a rendezvous waits
/// through exactly one yield a round trip, and this is most of what it runs besides.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: u32,
    pauses_per_check: u32,
    /// The spin check that yields instead (`u32::MAX`: none).
    yield_at: u32,
    /// How many checks spin before yielding starts: none on one CPU.
    spin_checks: u32,
}

impl Backoff {
    /// A fresh backoff; it spins only if this process can run on more than one CPU.
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            step: 0,
            pauses_per_check: PAUSES_PER_CHECK,
            yield_at: YIELD_AT,
            spin_checks: if parallelism() > 1 { SPIN_CHECKS } else { 0 },
        }
    }

    /// A backoff already over: the first check that asks parks.
    #[inline]
    pub(crate) fn completed() -> Self {
        let mut backoff = Self::new();
        backoff.step = backoff.spin_checks + YIELDS;
        backoff
    }

    /// A backoff for polling a full or empty buffer that holds up to `batch` values
    /// (`usize::MAX` for no limit): checks less often the more the other side can move
    /// meanwhile, up to [`RING_PAUSES_PER_CHECK`], and spins as long in all.
    #[inline]
    pub(crate) fn for_ring(batch: usize) -> Self {
        let pauses_per_check = batch.clamp(1, RING_PAUSES_PER_CHECK as usize) as u32;
        Self {
            step: 0,
            pauses_per_check,
            yield_at: u32::MAX,
            spin_checks: if parallelism() > 1 {
                SPIN_CHECKS * PAUSES_PER_CHECK / pauses_per_check
            } else {
                0
            },
        }
    }

    /// A fresh backoff past its spin phase: it yields first, then parks. For a
    /// party that registers to sleep only after spinning on the condition it waits
    /// for ([`NotifyList::wait_for`](crate::notify::NotifyList::wait_for)): spinning
    /// again on the party would only double the spin.
    #[inline]
    pub(crate) fn yielding() -> Self {
        let mut backoff = Self::new();
        backoff.step = backoff.spin_checks;
        backoff
    }

    /// Pauses for a short, growing time without yielding: for retrying a lost
    /// compare-and-swap, where the winner is known to be running.
    #[inline]
    pub(crate) fn spin(&mut self) {
        for _ in 0..1u32 << self.step.min(MAX_CAS_SPIN_SHIFT) {
            spin_loop();
        }
        self.step = self.step.saturating_add(1);
    }

    /// Waits a little before the next check: pauses while spinning pays, then yields,
    /// unless the CPU is contested (module docs): then the wait is over, and the
    /// caller parks.
    #[inline]
    pub(crate) fn snooze(&mut self) {
        if self.step < self.spin_checks {
            if self.step == self.yield_at && !contested::skipping() {
                // A counterpart on this same CPU (a thread just started, say) cannot
                // answer while we spin: let it run, once, early.
                self.yield_once();
            } else {
                for _ in 0..self.pauses_per_check {
                    spin_loop();
                }
            }
        } else if contested::skipping() {
            self.give_up();
        } else {
            self.yield_once();
        }
        self.step = self.step.saturating_add(1);
    }

    /// Yields; if that found the CPU contested, ends the wait (the caller parks).
    #[inline(always)]
    fn yield_once(&mut self) {
        if yield_contested() {
            contested::found();
            self.give_up();
        } else {
            contested::cleared();
        }
    }

    /// Moves to the step before the last, so that the step that follows completes.
    #[inline]
    fn give_up(&mut self) {
        self.step = self.step.max(self.spin_checks + YIELDS - 1);
    }

    /// Whether the spin phase is over: the next [`snooze`](Backoff::snooze) yields
    /// (or gives up).
    #[inline]
    pub(crate) fn is_spun(&self) -> bool {
        self.step >= self.spin_checks
    }

    /// Whether the spin and yield phases are over and the caller should park.
    #[inline]
    pub(crate) fn is_completed(&self) -> bool {
        self.step >= self.spin_checks + YIELDS
    }
}

/// The busy-machine hint (module docs): per thread, how many more waits skip yielding.
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod contested {
    use std::cell::Cell;

    /// The window, in yield-phase checks skipped: `FIRST << streak` after the CPU was
    /// found contested `streak` times in a row (1 to `MAX_DOUBLINGS`).
    const FIRST: u32 = 64;
    const MAX_DOUBLINGS: u32 = 6;

    std::thread_local! {
        /// Yield-phase checks left to skip.
        static SKIP: Cell<u32> = const { Cell::new(0) };
        /// Times in a row the CPU was found contested.
        static STREAK: Cell<u32> = const { Cell::new(0) };
    }

    /// Whether this wait skips yielding: counts one check off the window.
    #[inline]
    pub(super) fn skipping() -> bool {
        SKIP.with(|skip| {
            let left = skip.get();
            if left == 0 {
                return false;
            }
            skip.set(left - 1);
            true
        })
    }

    /// A yield found the CPU contested: open (or widen) the window.
    #[cold]
    pub(super) fn found() {
        let streak = STREAK.with(|streak| {
            let now = (streak.get() + 1).min(MAX_DOUBLINGS);
            streak.set(now);
            now
        });
        SKIP.with(|skip| skip.set(FIRST << streak));
    }

    /// A yield came back quickly: the machine is not busy (any more), so the next
    /// window starts small again.
    #[inline]
    pub(super) fn cleared() {
        STREAK.with(|streak| streak.set(0));
    }
}

/// Under a checker no yield is slow, and no hint is kept.
#[cfg(any(csp_loom, csp_shuttle))]
mod contested {
    #[inline(always)]
    pub(super) fn skipping() -> bool {
        false
    }

    #[inline(always)]
    pub(super) fn found() {}

    #[inline(always)]
    pub(super) fn cleared() {}
}
