//! A waiting party: one blocked operation (a thread's send or receive, later a select
//! or an async task) and the single atomic that decides how it ends.
//!
//! # The protocol
//!
//! A party is registered in one or more wait queues (one per select arm), each entry
//! naming the party and an *arm*. It ends exactly once, by exactly one of:
//! - a counterpart *completing* it on some arm (`WAITING`/`SLEEPING` → `DONE(arm)`),
//!   which it may do only while holding the lock of the channel whose queue held the
//!   entry;
//! - its owner *aborting* it (`WAITING`/`SLEEPING` → `ABORTED`) on timeout or
//!   cancellation.
//!
//! The owner spins in `WAITING`. Before it sleeps it stores its waker and moves to
//! `SLEEPING`; a counterpart that completes a sleeping party first moves it to
//! `WAKING`, takes the waker, then publishes `DONE(arm)` and wakes it after releasing
//! its lock. The waker is thus touched by the owner only in `WAITING` and by a
//! counterpart only in `WAKING`: never both at once, with no lock of its own.
//!
//! Once the state is `DONE`, the owner may return and free the party at once, so a
//! counterpart never touches the party after its final store. Until then the owner
//! keeps the party alive: it leaves only after seeing `DONE`, or after `ABORTED` and
//! then taking each channel's lock to remove its entries (so no counterpart still
//! holds a reference into it).

use crate::backoff::Backoff;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell, park, park_until};
use std::task::Waker;
use std::time::Instant;

/// Registered; the owner is awake and will notice a change by itself.
const WAITING: usize = 0;
/// Registered; the owner sleeps and must be woken through its waker.
const SLEEPING: usize = 1;
/// A counterpart has won the party and is taking its waker; `DONE` follows at once.
const WAKING: usize = 2;
/// The owner gave up (timeout or cancellation); no counterpart may complete it.
const ABORTED: usize = 3;
/// `DONE_BASE + arm`: the operation committed on `arm`.
const DONE_BASE: usize = 4;

/// When a wait gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Until {
    /// Do not wait at all.
    Now,
    /// Wait until this instant.
    Deadline(Instant),
    /// Wait as long as it takes.
    Forever,
}

impl Until {
    /// A deadline `timeout` from now; a timeout too long to represent waits forever.
    pub(crate) fn after(timeout: std::time::Duration) -> Self {
        Instant::now()
            .checked_add(timeout)
            .map_or(Until::Forever, Until::Deadline)
    }

    /// Whether the wait is over: `Now`, or a deadline already reached.
    #[inline]
    pub(crate) fn is_past(self) -> bool {
        match self {
            Until::Now => true,
            Until::Deadline(deadline) => Instant::now() >= deadline,
            Until::Forever => false,
        }
    }
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A counterpart completed the operation on this arm.
    Done(usize),
    /// The deadline passed first; the owner aborted the party.
    Aborted,
}

/// One blocked operation's shared state. See the module docs for the protocol.
#[derive(Debug)]
pub(crate) struct Party {
    state: AtomicUsize,
    /// The owner's waker. Written by the owner in `WAITING`, taken by a counterpart in
    /// `WAKING`; see the module docs.
    waker: UnsafeCell<Option<Waker>>,
}

impl Party {
    /// A party in `WAITING`, with no waker yet.
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Completes the party on `arm` if it is still waiting.
    ///
    /// Returns `None` if it already ended (completed elsewhere or aborted), so the
    /// caller must undo any speculative write to the entry's slot. Returns `Some` if
    /// this call won, with the waker to wake once the caller has released its lock.
    /// After it returns `Some`, the caller must not touch the party or its slot.
    ///
    /// Call only while holding the lock of the channel whose queue held the entry:
    /// that lock is what keeps the party alive until this call publishes `DONE`.
    #[inline]
    pub(crate) fn try_complete(&self, arm: usize) -> Option<Option<Waker>> {
        let done = DONE_BASE + arm;
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            match state {
                WAITING => match self.state.compare_exchange(
                    WAITING,
                    done,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Some(None),
                    Err(now) => state = now,
                },
                SLEEPING => match self.state.compare_exchange(
                    SLEEPING,
                    WAKING,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // SAFETY: in WAKING only the counterpart that moved the party
                        // there touches the waker (module docs), and the owner's write
                        // happened before its Release move to SLEEPING, which our
                        // Acquire CAS read.
                        let waker = self.waker.with_mut(|waker| unsafe { (*waker).take() });
                        self.state.store(done, Ordering::Release);
                        return Some(waker);
                    }
                    Err(now) => state = now,
                },
                _ => return None,
            }
        }
    }

    /// Waits until a counterpart completes the party or `until` passes, spinning,
    /// yielding and then parking the calling thread. `get_waker` is called at most
    /// once, when it is time to sleep, for a waker that unparks this thread.
    #[inline]
    pub(crate) fn wait(&self, until: Until, get_waker: impl FnOnce() -> Waker) -> Outcome {
        let mut backoff = Backoff::new();
        loop {
            if let Some(arm) = self.done_arm() {
                return Outcome::Done(arm);
            }
            if until.is_past() {
                return self.abort();
            }
            if backoff.is_completed() {
                break;
            }
            backoff.snooze();
        }
        if !self.sleep_with(get_waker()) {
            return self.await_done();
        }
        loop {
            match until {
                Until::Forever => park(),
                Until::Deadline(deadline) => park_until(deadline),
                Until::Now => {}
            }
            match self.state.load(Ordering::Acquire) {
                SLEEPING => {
                    if until.is_past() {
                        return self.abort();
                    }
                }
                // A counterpart is between taking the waker and publishing DONE.
                WAKING => return self.await_done(),
                state => return Outcome::Done(state - DONE_BASE),
            }
        }
    }

    /// Stores `waker` and moves the party to `SLEEPING`, so counterparts will wake it.
    /// Returns `false` (and keeps nothing) if the party has already been completed.
    ///
    /// Only the owner calls this, and only while the party is `WAITING` or `SLEEPING`
    /// with no wake pending; an async owner calls it again on each re-poll to replace
    /// its waker.
    pub(crate) fn sleep_with(&self, waker: Waker) -> bool {
        // Take the party back to WAITING first, so no counterpart reads the waker while
        // it is being replaced.
        if self
            .state
            .compare_exchange(SLEEPING, WAITING, Ordering::Acquire, Ordering::Acquire)
            .is_err()
            && self.state.load(Ordering::Acquire) != WAITING
        {
            return false;
        }
        // SAFETY: the party is WAITING and only its owner (us) moves it out of WAITING
        // to SLEEPING, so no counterpart reads the waker now (module docs).
        self.waker.with_mut(|slot| unsafe { *slot = Some(waker) });
        self.state
            .compare_exchange(WAITING, SLEEPING, Ordering::Release, Ordering::Acquire)
            .is_ok()
    }

    /// The arm the party was completed on, if it has been.
    #[inline]
    pub(crate) fn done_arm(&self) -> Option<usize> {
        let state = self.state.load(Ordering::Acquire);
        (state >= DONE_BASE).then(|| state - DONE_BASE)
    }

    /// Gives up: `ABORTED` if no counterpart completed the party first, else `Done`.
    /// After `Aborted`, the caller must still remove its entries under each lock.
    pub(crate) fn abort(&self) -> Outcome {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            match state {
                WAITING | SLEEPING => match self.state.compare_exchange(
                    state,
                    ABORTED,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Outcome::Aborted,
                    Err(now) => state = now,
                },
                WAKING => return self.await_done(),
                ABORTED => return Outcome::Aborted,
                done => return Outcome::Done(done - DONE_BASE),
            }
        }
    }

    /// Waits out a counterpart that has won the party but not yet published `DONE`;
    /// it holds a channel lock and is a few instructions from done.
    fn await_done(&self) -> Outcome {
        let mut backoff = Backoff::new();
        loop {
            if let Some(arm) = self.done_arm() {
                return Outcome::Done(arm);
            }
            backoff.snooze();
        }
    }
}
