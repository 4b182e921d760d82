//! A waiting party: one blocked operation (a thread's send or receive, a select, later
//! an async task) and the single atomic that decides how it ends.
//!
//! # The protocol
//!
//! A party is registered in one or more wait queues (one per select arm), each entry
//! naming the party and an *arm*. It ends exactly once, by exactly one of:
//! - a counterpart *completing* it on some arm, which it may start only while holding
//!   the lock of the channel whose queue held the entry. Completing is one step
//!   (`WAITING`/`SLEEPING` → `DONE(arm)`, [`Party::try_complete`]) or two: *claim*
//!   under the lock (→ `CLAIMED(arm)`, [`Party::claim`]), then *finish* later, outside
//!   the lock (→ `DONE(arm)`, [`Party::finish`]), or give the claim back under the lock
//!   ([`Party::unclaim`]). A select claims because it learns which value it sends, or
//!   where it puts the one it receives, only after it has chosen its arm.
//! - its owner *aborting* it (`WAITING`/`SLEEPING` → `ABORTED`) on timeout or
//!   cancellation. A claimed party cannot abort: its counterpart has committed to it.
//!
//! The owner spins while awake (`WAITING`, `CLAIMED`). Before it sleeps it stores its
//! waker and moves to `SLEEPING` (or `CLAIMED_SLEEPING`); a counterpart that completes
//! a sleeping party first moves it to `WAKING`, takes the waker, then publishes
//! `DONE(arm)` and wakes it after releasing its lock. The waker is thus touched by the
//! owner only while awake and by a counterpart only in `WAKING`: never both at once,
//! with no lock of its own.
//!
//! Once the state is `DONE`, the owner may return and free the party at once, so a
//! counterpart never touches the party after its final store. Until then the owner
//! keeps the party alive: it leaves only after seeing `DONE`, or after `ABORTED` and
//! then taking each channel's lock to remove its entries (so no counterpart still
//! holds a reference into it). A claim keeps the party alive outside the lock: the
//! owner of a claimed party waits for `DONE` or for the claim to be given back.
//!
//! A claimer may leave the party a *partner* pointer before finishing (for a select
//! that must now move the value itself); the owner reads it after seeing `DONE`.

use crate::backoff::Backoff;
use crate::sync::{AtomicUsize, Ordering, UnsafeCell, park, park_until};
use crate::waker::{NO_WAKER, is_no_waker};
use std::ptr;
use std::task::Waker;
use std::time::Instant;

// The state word is `arm << TAG_BITS | tag`; only the claimed, waking and done tags
// carry an arm.
const TAG_BITS: u32 = 3;
const TAG_MASK: usize = (1 << TAG_BITS) - 1;
/// Registered; the owner is awake and will notice a change by itself.
const WAITING: usize = 0;
/// Registered; the owner sleeps and must be woken through its waker.
const SLEEPING: usize = 1;
/// A counterpart has won the party and is taking its waker; `DONE` follows at once.
const WAKING: usize = 2;
/// The owner gave up (timeout or cancellation); no counterpart may complete it.
const ABORTED: usize = 3;
/// A counterpart holds the party on an arm and will finish it or give it back; the
/// owner is awake.
const CLAIMED: usize = 4;
/// As `CLAIMED`, with the owner asleep.
const CLAIMED_SLEEPING: usize = 5;
/// The operation committed on the state's arm.
const DONE: usize = 6;

#[inline]
const fn tag(state: usize) -> usize {
    state & TAG_MASK
}

#[inline]
const fn arm_of(state: usize) -> usize {
    (state & !CPU_MASK) >> TAG_BITS
}

// On 64-bit targets the top 16 bits of a `DONE` state that `try_complete` or `finish`
// wrote (not `try_complete_sleeper`, whose owners are tasks) hold the completer's CPU
// (`sync::cpu_stamp`: 0 when not known), which the owner compares with its own once
// awake, whether it slept or not (`crate::backoff`, "A counterpart on this CPU"); no
// other state carries them. An arm is a position in a select, far below 2^45.
// Narrower targets have no room to spare, and no stamp: their shifts by the whole
// width come out `None`, so 0.
const CPU_BITS: u32 = if usize::BITS >= 64 { 16 } else { 0 };
const CPU_SHIFT: u32 = usize::BITS - CPU_BITS;
const CPU_MASK: usize = !(usize::MAX >> CPU_BITS);

/// `done` with the calling thread's CPU stamped on it (see [`CPU_MASK`]).
#[inline(always)]
fn stamped(done: usize) -> usize {
    done | crate::sync::cpu_stamp().checked_shl(CPU_SHIFT).unwrap_or(0)
}

/// The completer's CPU stamp in a `DONE` state, or 0.
#[inline(always)]
const fn completer_cpu(state: usize) -> usize {
    match state.checked_shr(CPU_SHIFT) {
        Some(stamp) => stamp,
        None => 0,
    }
}

#[inline]
const fn with_arm(tag: usize, arm: usize) -> usize {
    arm << TAG_BITS | tag
}

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
        crate::sync::now()
            .checked_add(timeout)
            .map_or(Until::Forever, Until::Deadline)
    }

    /// Whether the wait is over: `Now`, or a deadline already reached.
    #[inline]
    pub(crate) fn is_past(self) -> bool {
        match self {
            Until::Now => true,
            Until::Deadline(deadline) => crate::sync::now() >= deadline,
            Until::Forever => false,
        }
    }

    /// The earlier of `self` and an optional `deadline`.
    pub(crate) fn min(self, deadline: Option<Instant>) -> Self {
        match (self, deadline) {
            (until, None) => until,
            (Until::Now, Some(_)) => Until::Now,
            (Until::Forever, Some(deadline)) => Until::Deadline(deadline),
            (Until::Deadline(mine), Some(deadline)) => Until::Deadline(mine.min(deadline)),
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
    /// The owner's waker, or [`NO_WAKER`] before it first sleeps and once a
    /// counterpart took it. Written by the owner while awake, taken by a counterpart
    /// in `WAKING`; see the module docs. Not an `Option`: every byte of `NO_WAKER` is
    /// defined, so a new party (built inside every future) is a few plain stores,
    /// where `None`'s undefined half made the compiler copy it through the stack with
    /// a load that stalls on the store before it (measured: an async send and
    /// receive on a ring took 31 ns, 15 ns without the copy). No `Drop` of our own
    /// that would skip dropping `NO_WAKER`: a destructor that touches the cell runs
    /// during the unwinding of a loom model's deadlock report, where loom's cell
    /// tracking is gone, and aborts the test.
    waker: UnsafeCell<Waker>,
    /// Left by a claimer before it finishes, read by the owner after `DONE`.
    partner: UnsafeCell<*const ()>,
}

// SAFETY: every field is shared by the protocol above: the state is atomic, and the
// waker and partner cells are each touched by one side at a time, the hand-over
// ordered by Release/Acquire on the state (module docs). A `Waker` is Send + Sync, and
// the partner pointer is only dereferenced by the owner under that same ordering.
unsafe impl Send for Party {}
// SAFETY: as above.
unsafe impl Sync for Party {}

impl Party {
    /// A party in `WAITING`, with no waker and no partner.
    #[inline(always)]
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(NO_WAKER),
            partner: UnsafeCell::new(ptr::null()),
        }
    }

    /// Makes a finished party wait again, for an owner that retries its operation.
    /// Only the owner calls this, when no queue holds an entry of the party.
    pub(crate) fn reset(&self) {
        // SAFETY: no counterpart can reach the party (no entry of it is queued), so the
        // owner has it to itself.
        self.partner
            .with_mut(|partner| unsafe { *partner = ptr::null() });
        self.state.store(WAITING, Ordering::Relaxed);
    }

    /// [`reset`](Party::reset) and [`sleep_with`](Party::sleep_with) in one, for an
    /// async owner about to queue its party: under the same condition as `reset` (no
    /// queue holds an entry of the party), so plain stores do what `sleep_with`'s
    /// compare-and-swap loop does for a party counterparts can reach. The channel
    /// lock under which the party is then queued publishes the stores.
    #[inline]
    pub(crate) fn sleep_fresh(&self, waker: &Waker) {
        // SAFETY: no counterpart can reach the party (no entry of it is queued), so the
        // owner has it to itself.
        self.partner
            .with_mut(|partner| unsafe { *partner = ptr::null() });
        // SAFETY: as above. A re-poll with the same task's waker keeps the stored one.
        self.waker
            .with_mut(|slot| unsafe { replace_waker(&mut *slot, waker) });
        self.state.store(SLEEPING, Ordering::Relaxed);
    }

    /// Completes the party on `arm` if it is still waiting.
    ///
    /// Returns `None` if it already ended or is claimed, so the caller must undo any
    /// speculative write to the entry's slot. Returns `Some` if this call won, with the
    /// waker to wake once the caller has released its lock. After it returns `Some`,
    /// the caller must not touch the party or its slot.
    ///
    /// Call only while holding the lock of the channel whose queue held the entry:
    /// that lock is what keeps the party alive until this call publishes `DONE`.
    #[inline]
    pub(crate) fn try_complete(&self, arm: usize) -> Option<Option<Waker>> {
        // Stamped, whether the owner is awake or asleep: a woken owner reads it too.
        let done = stamped(with_arm(DONE, arm));
        match self
            .state
            .compare_exchange(WAITING, done, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Some(None),
            Err(SLEEPING) => match self.state.compare_exchange(
                SLEEPING,
                with_arm(WAKING, arm),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => Some(Some(self.take_waker_and_publish(done))),
                // The owner woke up and went back to WAITING: try again.
                Err(_) => self.try_complete(arm),
            },
            Err(_) => None,
        }
    }

    /// [`try_complete`](Party::try_complete) for a party most likely asleep (a task's,
    /// which sleeps while queued): the same transitions, tried from `SLEEPING` first,
    /// so the usual case costs one compare-and-swap instead of a failed one and
    /// another. Under the same contract.
    #[inline]
    pub(crate) fn try_complete_sleeper(&self, arm: usize) -> Option<Option<Waker>> {
        match self.state.compare_exchange(
            SLEEPING,
            with_arm(WAKING, arm),
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => Some(Some(self.take_waker_and_publish(with_arm(DONE, arm)))),
            // Awake for a moment (replacing its waker), or ended: the general case.
            Err(_) => self.try_complete(arm),
        }
    }

    /// In `WAKING`: takes the owner's waker, then publishes `done`.
    #[inline]
    fn take_waker_and_publish(&self, done: usize) -> Waker {
        // SAFETY: in WAKING only the counterpart that moved the party there touches the
        // waker (module docs), and the owner's write happened before its Release move to
        // a sleeping state, which our Acquire CAS read.
        let waker = self
            .waker
            .with_mut(|waker| unsafe { std::mem::replace(&mut *waker, NO_WAKER) });
        self.state.store(done, Ordering::Release);
        waker
    }

    /// Claims the party on `arm` if it is still waiting: it can no longer abort, and
    /// nobody else can complete it. The caller must later [`finish`](Party::finish) it,
    /// or give it back with [`unclaim`](Party::unclaim) under the same lock as it
    /// re-queues the entry.
    ///
    /// Call only while holding the lock of the channel whose queue held the entry.
    #[inline]
    pub(crate) fn claim(&self, arm: usize) -> bool {
        self.state
            .compare_exchange(
                WAITING,
                with_arm(CLAIMED, arm),
                Ordering::Acquire,
                Ordering::Acquire,
            )
            .or_else(|state| {
                if state != SLEEPING {
                    return Err(state);
                }
                self.state.compare_exchange(
                    SLEEPING,
                    with_arm(CLAIMED_SLEEPING, arm),
                    Ordering::Acquire,
                    Ordering::Acquire,
                )
            })
            .is_ok()
            // The owner moved between the two exchanges (SLEEPING -> WAITING): retry.
            || self.state.load(Ordering::Acquire) == WAITING && self.claim(arm)
    }

    /// Leaves `partner` for the owner to read once it sees `DONE`.
    ///
    /// Call only on a party this caller has claimed and not yet finished.
    pub(crate) fn set_partner(&self, partner: *const ()) {
        debug_assert!(matches!(
            tag(self.state.load(Ordering::Relaxed)),
            CLAIMED | CLAIMED_SLEEPING
        ));
        // SAFETY: while claimed, only the claimer touches `partner`; the owner reads it
        // after the Release store of DONE in `finish`.
        self.partner.with_mut(|slot| unsafe { *slot = partner });
    }

    /// The partner pointer a claimer left, or null. Call only after seeing `DONE`.
    pub(crate) fn partner(&self) -> *const () {
        // SAFETY: the party is done (the caller's contract), so the claimer's write
        // happened before the DONE we read with Acquire, and nobody writes it now.
        self.partner.with(|slot| unsafe { *slot })
    }

    /// Finishes a party this caller claimed: publishes `DONE` on the claimed arm, with
    /// this thread's CPU (see [`CPU_MASK`]), and returns the waker to wake. Needs no
    /// lock: the claim keeps the party alive.
    #[inline]
    pub(crate) fn finish(&self) -> Option<Waker> {
        let stamp = stamped(0);
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let arm = arm_of(state);
            match tag(state) {
                CLAIMED => match self.state.compare_exchange(
                    state,
                    with_arm(DONE, arm) | stamp,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return None,
                    // The owner went to sleep meanwhile.
                    Err(now) => state = now,
                },
                CLAIMED_SLEEPING => match self.state.compare_exchange(
                    state,
                    with_arm(WAKING, arm),
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    // A woken owner reads the stamp too, as after `try_complete`.
                    Ok(_) => {
                        return Some(self.take_waker_and_publish(with_arm(DONE, arm) | stamp));
                    }
                    Err(now) => state = now,
                },
                _ => unreachable!("finish called on a party that is not claimed"),
            }
        }
    }

    /// Gives a claim back: the party waits again as before. Returns the waker to wake
    /// (after unlocking) if the owner sleeps, so that it looks at its deadline again.
    /// Call only under the lock of the channel whose queue will hold the party's entry
    /// again, in the same critical section that re-queues it.
    pub(crate) fn unclaim(&self) -> Option<Waker> {
        let state = self.state.load(Ordering::Acquire);
        let arm = arm_of(state);
        match tag(state) {
            CLAIMED => match self.state.compare_exchange(
                state,
                WAITING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return None,
                // The owner went to sleep meanwhile; it can do nothing else.
                Err(now) => debug_assert_eq!(now, with_arm(CLAIMED_SLEEPING, arm)),
            },
            CLAIMED_SLEEPING => {}
            _ => unreachable!("unclaim called on a party that is not claimed"),
        }
        // The owner sleeps and stays asleep until woken: pass through WAKING to read
        // its waker, which stays in place for the next counterpart.
        let woke = self.state.compare_exchange(
            with_arm(CLAIMED_SLEEPING, arm),
            with_arm(WAKING, arm),
            Ordering::Acquire,
            Ordering::Acquire,
        );
        debug_assert!(woke.is_ok(), "a sleeping claimed party changed state");
        // SAFETY: in WAKING only we touch the waker (module docs).
        let waker = self.waker.with(|waker| unsafe { (*waker).clone() });
        self.state.store(SLEEPING, Ordering::Release);
        Some(waker)
    }

    /// Waits until a counterpart completes the party or `until` passes, spinning,
    /// yielding and then sleeping on the waker `get_waker` makes (it unparks this
    /// thread). With `Until::Now` this aborts at once, unless the party is claimed, in
    /// which case it waits for the claimer as long as it takes.
    #[inline(always)]
    pub(crate) fn wait(&self, until: Until, get_waker: impl FnMut() -> Waker) -> Outcome {
        self.wait_from(until, Backoff::for_party, get_waker)
    }

    /// [`wait`](Party::wait) for an owner that has already spun on what it waits for
    /// before registering, with `spun`, the backoff of that spin: it yields, then
    /// sleeps, without spinning again ([`Backoff::past_spin`]).
    #[inline(always)]
    pub(crate) fn wait_spun(
        &self,
        until: Until,
        spun: Backoff,
        get_waker: impl FnMut() -> Waker,
    ) -> Outcome {
        self.wait_from(until, move || spun.past_spin(), get_waker)
    }

    #[inline(always)]
    fn wait_from(
        &self,
        until: Until,
        fresh: impl FnOnce() -> Backoff,
        mut get_waker: impl FnMut() -> Waker,
    ) -> Outcome {
        // Under a checker a wait with a deadline goes straight to where it would
        // sleep, and there its timeout races the counterpart (`sync`, "model clock").
        // Under loom a yield means "run every other thread first" (loom never picks a
        // yielding thread while another can run), so a wait that yielded on its way
        // would always let its counterpart come first and loom would never explore
        // the timeout; under shuttle each of the ~160 spins is a scheduling point at
        // which the counterpart may come, so the timeout would almost never be seen.
        let checked = cfg!(any(csp_loom, csp_shuttle));
        let mut backoff = if checked && matches!(until, Until::Deadline(_)) {
            Backoff::completed()
        } else {
            fresh()
        };
        loop {
            let state = self.state.load(Ordering::Acquire);
            match tag(state) {
                DONE => {
                    backoff.succeeded();
                    backoff.completed_on(completer_cpu(state));
                    return Outcome::Done(arm_of(state));
                }
                // The usual wait, kept small: spin or yield while it pays.
                WAITING if !backoff.is_completed() && !until.is_past() => backoff.snooze_here(),
                _ => {
                    if let Some(outcome) =
                        self.wait_step(state, until, &mut backoff, &mut get_waker)
                    {
                        return outcome;
                    }
                }
            }
        }
    }

    /// One step of [`wait`](Party::wait) from `state`, for the cases its loop does
    /// not take itself: a deadline past, a claim, sleeping. `Some` ends the wait.
    #[inline(never)]
    fn wait_step(
        &self,
        state: usize,
        until: Until,
        backoff: &mut Backoff,
        get_waker: &mut impl FnMut() -> Waker,
    ) -> Option<Outcome> {
        match tag(state) {
            DONE => return Some(Outcome::Done(arm_of(state))),
            WAITING | SLEEPING if until.is_past() => return self.try_abort(),
            WAITING | CLAIMED if !backoff.is_completed() => backoff.snooze(),
            WAITING | CLAIMED => {
                backoff.sleeping();
                self.sleep_with(&get_waker());
            }
            SLEEPING => match until {
                Until::Deadline(deadline) => park_until(deadline),
                _ => park(),
            },
            // No deadline applies to a claimed party; `unclaim` wakes the owner.
            CLAIMED_SLEEPING => park(),
            // A counterpart is a few instructions from DONE.
            WAKING => backoff.snooze(),
            _ => unreachable!("the owner waits on a party it aborted"),
        }
        None
    }

    /// Stores `waker` and moves the party to a sleeping state, so counterparts will
    /// wake it. Returns `false` (and keeps nothing) if the party is done or about to be.
    ///
    /// Only the owner calls this; an async owner calls it again on each re-poll to
    /// replace its waker.
    pub(crate) fn sleep_with(&self, waker: &Waker) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            // Take the party back to an awake state first, so no counterpart reads the
            // waker while it is being replaced.
            let awake = match tag(state) {
                WAITING | CLAIMED => state,
                SLEEPING => WAITING,
                CLAIMED_SLEEPING => with_arm(CLAIMED, arm_of(state)),
                _ => return false,
            };
            if awake != state {
                if let Err(now) =
                    self.state
                        .compare_exchange(state, awake, Ordering::Acquire, Ordering::Acquire)
                {
                    state = now;
                    continue;
                }
            }
            // SAFETY: the party is awake (WAITING or CLAIMED): no counterpart reads the
            // waker until the owner (us) moves it to a sleeping state (module docs).
            // A re-poll with the same task's waker keeps the stored one.
            self.waker
                .with_mut(|slot| unsafe { replace_waker(&mut *slot, waker) });
            match self.state.compare_exchange(
                awake,
                awake + (SLEEPING - WAITING),
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => state = now,
            }
        }
    }

    /// Whether a counterpart has completed the party (the owner's check, before it
    /// reads what the counterpart left: Acquire).
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        tag(self.state.load(Ordering::Acquire)) == DONE
    }

    /// For an async owner's poll: `Ready` once the party is done, else stores `waker`
    /// (replacing the last one) and returns `Pending`. A claimed party is pending.
    #[inline]
    pub(crate) fn poll(&self, waker: &Waker) -> std::task::Poll<usize> {
        let state = self.state.load(Ordering::Acquire);
        if tag(state) == DONE {
            return std::task::Poll::Ready(arm_of(state));
        }
        self.poll_pending(waker)
    }

    /// [`poll`](Party::poll) for a party found not done.
    #[inline(never)]
    fn poll_pending(&self, waker: &Waker) -> std::task::Poll<usize> {
        loop {
            let state = self.state.load(Ordering::Acquire);
            match tag(state) {
                DONE => return std::task::Poll::Ready(arm_of(state)),
                // A counterpart is a few instructions from DONE.
                WAKING => crate::sync::spin_loop(),
                _ => {
                    if self.sleep_with(waker) {
                        return std::task::Poll::Pending;
                    }
                }
            }
        }
    }

    /// For an owner that goes away (a dropped future): aborts the party, or, if a
    /// counterpart has claimed it, waits until that counterpart finishes (it is
    /// running, and between claim and finish runs no more than a select's message
    /// expression). Returns how the party ended.
    pub(crate) fn cancel(&self) -> Outcome {
        let mut backoff = Backoff::new();
        loop {
            if let Some(outcome) = self.try_abort() {
                return outcome;
            }
            backoff.snooze();
        }
    }

    /// The arm the party was completed on, if it has been.
    #[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
    fn done_arm(&self) -> Option<usize> {
        let state = self.state.load(Ordering::Acquire);
        (tag(state) == DONE).then(|| arm_of(state))
    }

    /// Tries to give up: `Aborted` if no counterpart completed or claimed the party
    /// first, `Done` if one completed it, `None` if it is claimed or being woken (the
    /// owner must wait for `DONE` or for the claim to be given back).
    /// After `Aborted`, the caller must still remove its entries under each lock.
    fn try_abort(&self) -> Option<Outcome> {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            match tag(state) {
                WAITING | SLEEPING => match self.state.compare_exchange(
                    state,
                    ABORTED,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Some(Outcome::Aborted),
                    Err(now) => state = now,
                },
                DONE => return Some(Outcome::Done(arm_of(state))),
                ABORTED => return Some(Outcome::Aborted),
                _ => return None,
            }
        }
    }
}

/// Stores `waker` in a party's waker cell, unless the one there wakes the same task
/// (a re-poll). The one it replaces is dropped, unless it is [`NO_WAKER`] (a party's
/// first sleep): that drop would be a call that does nothing.
#[inline]
fn replace_waker(slot: &mut Waker, waker: &Waker) {
    if !slot.will_wake(waker) {
        let old = std::mem::replace(slot, waker.clone());
        if is_no_waker(&old) {
            std::mem::forget(old);
        }
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::*;
    use crate::waker::current_thread_waker;

    #[test]
    fn claim_then_finish_publishes_the_claimed_arm() {
        let party = Party::new();
        assert!(party.claim(5));
        assert!(!party.claim(6), "a claimed party cannot be claimed twice");
        assert!(party.try_complete(7).is_none());
        party.set_partner(&3u8 as *const u8 as *const ());
        assert!(party.finish().is_none());
        assert_eq!(party.done_arm(), Some(5));
        assert!(!party.partner().is_null());
    }

    #[test]
    fn an_unclaimed_party_can_be_completed_or_aborted_again() {
        let party = Party::new();
        assert!(party.claim(1));
        assert!(party.unclaim().is_none());
        assert_eq!(
            party.wait(Until::Now, current_thread_waker),
            Outcome::Aborted
        );
        party.reset();
        assert!(matches!(party.try_complete(2), Some(None)));
        assert_eq!(
            party.wait(Until::Now, current_thread_waker),
            Outcome::Done(2)
        );
    }

    /// Which bug this catches: a completer's CPU stamp read back as part of the arm
    /// (a select would commit on an arm it never chose), or a stamp lost on the way
    /// to the owner. The machine running the tests may have no stamp to give, so the
    /// widest stamp is also put on a state by hand.
    #[test]
    fn the_completers_cpu_rides_on_done_apart_from_the_arm() {
        let arm = (1 << 40) + 3;
        assert_eq!(arm_of(with_arm(DONE, arm) | CPU_MASK), arm);
        assert_eq!(tag(with_arm(DONE, arm) | CPU_MASK), DONE);
        // Completes a fresh party with `complete`, then checks the stamp it carries
        // (`stamped`: the completer's CPU, else 0) and the arm its owner reads.
        let completed = |how: &str, stamped: bool, complete: &dyn Fn(&Party)| {
            let party = Party::new();
            let before = crate::sync::cpu_stamp();
            complete(&party);
            let stamp = completer_cpu(party.state.load(Ordering::Relaxed));
            let after = crate::sync::cpu_stamp();
            if stamped {
                assert!(
                    stamp == before || stamp == after,
                    "{how}: stamp {stamp}, CPU {before} before and {after} after"
                );
            } else {
                assert_eq!(stamp, 0, "{how} leaves no stamp");
            }
            assert_eq!(
                party.wait(Until::Now, current_thread_waker),
                Outcome::Done(arm),
                "{how}"
            );
        };
        completed("try_complete", true, &|party| {
            assert!(matches!(party.try_complete(arm), Some(None)));
        });
        // A claim and its finish (a select's, a ring's hand-off) stamp it too.
        completed("finish", true, &|party| {
            assert!(party.claim(arm));
            assert!(party.finish().is_none());
        });
        // An owner asleep is stamped as one awake (it reads the stamp once woken), but
        // for a task's party.
        completed("try_complete of a sleeper", true, &|party| {
            assert!(party.sleep_with(&current_thread_waker()));
            assert!(matches!(party.try_complete(arm), Some(Some(_))));
        });
        completed("finish of a sleeper", true, &|party| {
            assert!(party.claim(arm));
            assert!(party.sleep_with(&current_thread_waker()));
            assert!(party.finish().is_some());
        });
        completed("try_complete_sleeper", false, &|party| {
            assert!(party.sleep_with(&current_thread_waker()));
            assert!(matches!(party.try_complete_sleeper(arm), Some(Some(_))));
        });
    }

    #[test]
    fn a_sleeping_claimed_party_hands_its_waker_to_the_finisher() {
        let party = Party::new();
        assert!(party.claim(0));
        assert!(party.sleep_with(&current_thread_waker()));
        assert!(party.finish().is_some());
        assert_eq!(party.done_arm(), Some(0));
        assert!(!party.sleep_with(&current_thread_waker()));
    }
}
