//! How a party waits before it sleeps: spin briefly, then yield, then park.
//!
//! Spinning pays only when the counterpart can run at the same time on another CPU.
//! With one CPU (or `taskset -c 0`) every spin delays the very thread it waits for, so
//! the spin phase is skipped and the party yields at once: a yield hands the CPU to
//! the counterpart, which is what a rendezvous on one core wants (crossbeam #1031
//! measured a 13x slowdown from spinning there).

use crate::sync::{parallelism, spin_loop, yield_now};

/// Rounds of exponential spinning (2^0 .. 2^SPIN_ROUNDS `spin_loop` hints each), about
/// a microsecond or two in all: the time a counterpart on another core needs to answer.
const SPIN_ROUNDS: u32 = 7;

/// Yields before parking. A yield costs a syscall and lets a counterpart on the same
/// CPU run; a few of them catch a counterpart that answers quickly.
const YIELD_ROUNDS: u32 = 4;

/// One wait's progress through the spin, yield and park phases.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: u32,
    spins: u32,
}

impl Backoff {
    /// A fresh backoff; it spins only if this process can run on more than one CPU.
    pub(crate) fn new() -> Self {
        let spins = if parallelism() > 1 { SPIN_ROUNDS } else { 0 };
        Self { step: 0, spins }
    }

    /// Spins for a short, growing time (a pure CPU hint; never yields). For retrying
    /// a lost compare-and-swap, where the counterpart is known to be running.
    pub(crate) fn spin(&mut self) {
        for _ in 0..1u32 << self.step.min(self.spins.max(1)).min(6) {
            spin_loop();
        }
        if self.step <= self.spins {
            self.step += 1;
        }
    }

    /// Waits a little longer than last time: spins while spinning pays, then yields.
    pub(crate) fn snooze(&mut self) {
        if self.step < self.spins {
            for _ in 0..1u32 << self.step {
                spin_loop();
            }
        } else {
            yield_now();
        }
        self.step += 1;
    }

    /// Whether the spin and yield phases are over and the caller should park.
    pub(crate) fn is_completed(&self) -> bool {
        self.step >= self.spins + YIELD_ROUNDS
    }
}
