//! A notify list: parties waiting for a buffered channel to change (a receiver for a
//! value, a sender for room), woken one at a time to retry.
//!
//! The `is_empty` flag lets the hot path skip the lock when nobody waits. It pairs
//! with the channel's indices in a store-then-load handshake, all `SeqCst`:
//! a waiter *stores* `is_empty = false` (in `register`), then *loads* the indices to
//! re-check; a counterpart *writes* the indices (a `SeqCst` compare-and-swap), then
//! *loads* `is_empty` (in `notify_one`). In the single total order of `SeqCst`
//! operations one of the two loads sees the other side's store, so either the waiter
//! sees the change and does not sleep, or the counterpart sees the waiter and wakes it.
//! (The `true` stored as the queue empties is only Release: see
//! [`note_if_emptied`](NotifyList::note_if_emptied).)
//! loom does not model that total order for plain loads and stores; under loom only,
//! [`handshake_fence`] stands in for it (see there).
//!
//! # Holds
//! A select that claims a ring slot may *hold* it for as long as user code takes (the
//! value expression of a `send` arm, a `SelectedOperation` kept alive): the ring
//! cannot move past a held slot, so waiters behind it must sleep, not spin, and the
//! hold's end must wake them. Two things make that work:
//! - A waiter that finds the way blocked by a hold stores `blocked_by_hold`, then
//!   looks again ([`note_hold`](NotifyList::note_hold)), and sleeps only if the hold
//!   is still there.
//! - The select ending a hold publishes the slot's new stamp, then fences, then
//!   notifies ([`notify_after_hold`](NotifyList::notify_after_hold)): everyone
//!   waiting if `blocked_by_hold` was set, one at a time so as to allocate nothing,
//!   else one, as a plain operation would.
//!
//! Waking everyone is what makes the hold's end enough: while the hold stood, other
//! notifications (a value written behind the held slot, the disconnection) may have
//! reached waiters that then found only the hold and slept again, so the hold's end
//! owes them all a retry. The same store-then-load argument as above, with the stamp
//! in place of the indices, shows that a waiter that saw the hold on its second look
//! is seen by the fence's side: by its registration and by its flag.
//!
//! # Hand-off
//! A blocked thread waits with a slot of its own, registered as a *direct* entry
//! ([`Entry::direct`]): a sender's holds its value, a receiver's is empty. A
//! notification that finds such an entry first *claims* its party instead of
//! completing it ([`Party::claim`]: the thread can no longer time out) and gives the
//! notifier a [`Proxy`], through which it may do the operation on the thread's behalf:
//! a receive that has just freed a slot sends the oldest waiting sender's value into
//! the ring, as Go's `chan.go` does under its lock, and a send that has just published
//! a value receives the oldest buffered one for the oldest waiting receiver. The
//! thread wakes with its operation done instead of racing newcomers for the room or
//! the value. Either way the proxy then finishes the claim; a thread that finds its
//! slot as it left it (the room or the value was taken meanwhile, or the notifier did
//! not use the proxy) retries, exactly as after a plain notification. So a
//! notification is never lost by a hand-off, and a value is never in two places: the
//! thread reads its slot only after `DONE`, which the proxy publishes after its
//! operation. Tasks keep notify entries: a value is never written into a receive
//! future that might be dropped before it returns it.

use crate::backoff::Backoff;
use crate::party::{Outcome, Party, Until};
use crate::sync::{AtomicBool, Mutex, Ordering, fence, handshake_fence, lock};
use crate::waitq::{Entry, Slot, WaitQueue};
use crate::waker::current_thread_waker;
use std::cell::Cell;
use std::ptr::NonNull;
use std::task::{Poll, Waker};

/// How closely an attempt looks at a buffered channel that seems full (to a sender) or
/// empty (to a receiver) before it reports "not ready".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Look {
    /// Reads the counterpart's index too, and waits out a counterpart caught between
    /// its claim and its stamp: "not ready" then means full or empty at that moment,
    /// as `try_send`, `try_recv` and a select's readiness must report it, and the
    /// disconnection is found.
    Exact,
    /// May report "not ready" from what this side's own lines show, without reading
    /// the counterpart's (which it would take from the counterpart while it works).
    /// Only for a blocking operation's first try and the retries of its spin, which
    /// [`NotifyList::wait_for`] follows with exact looks before it times out or
    /// sleeps. A flavor with nothing cheaper to look at treats it as `Exact`.
    Glance,
}

impl Look {
    /// How an operation that waits until `until` tries first: exactly if it may not
    /// wait at all, else with a glance (its wait looks exactly before it gives up).
    #[inline]
    pub(crate) fn first(until: Until) -> Self {
        if until == Until::Now {
            Look::Exact
        } else {
            Look::Glance
        }
    }
}

/// Parties waiting for one side of a buffered channel to become ready.
#[derive(Debug)]
pub(crate) struct NotifyList<T> {
    queue: Mutex<WaitQueue<T>>,
    is_empty: AtomicBool,
    /// Some waiter found the way blocked by a select's hold (module docs).
    blocked_by_hold: AtomicBool,
}

impl<T> NotifyList<T> {
    pub(crate) fn new() -> Self {
        Self {
            queue: Mutex::new(WaitQueue::new()),
            is_empty: AtomicBool::new(true),
            blocked_by_hold: AtomicBool::new(false),
        }
    }

    /// Records that a registered waiter found the way blocked by a select's hold; the
    /// caller then looks again and sleeps only if the hold is still there (module
    /// docs). Call only between registering and that second look.
    pub(crate) fn note_hold(&self) {
        self.blocked_by_hold.store(true, Ordering::SeqCst);
        handshake_fence();
    }

    /// Notifies at the end of a hold, after the stamp that ends it is stored: everyone
    /// if a waiter was blocked by a hold meanwhile, else the oldest waiter.
    pub(crate) fn notify_after_hold(&self) {
        if !self.notify_blocked_by_hold() {
            self.notify_one();
        }
    }

    /// At the end of a hold that owes this side no notification of its own: wakes
    /// everyone if a waiter was blocked by a hold meanwhile. Returns whether it did.
    pub(crate) fn notify_blocked_by_hold(&self) -> bool {
        // The stamp was stored with Release only; the fence puts it before our loads
        // in the total order the waiters' `SeqCst` accesses take part in.
        fence(Ordering::SeqCst);
        let blocked = self.blocked_by_hold.load(Ordering::SeqCst)
            && self.blocked_by_hold.swap(false, Ordering::SeqCst);
        if blocked {
            self.notify_each();
        }
        blocked
    }

    /// Completes every party waiting now, one at a time, as
    /// [`notify_one`](NotifyList::notify_one) does: unlike
    /// [`notify_all`](NotifyList::notify_all) it gathers no wakers, so it allocates
    /// nothing (a hold's end is part of the steady state of selects on a ring). Those
    /// that register meanwhile looked at the channel after the hold ended, and need
    /// no notification of it.
    fn notify_each(&self) {
        let waiting = lock(&self.queue).len();
        for _ in 0..waiting {
            self.notify_one_waiting();
        }
    }

    /// Registers `party` to be notified on `arm`. The caller must re-check its
    /// condition afterwards, before it waits (module docs).
    pub(crate) fn register(&self, party: &Party, arm: usize) {
        self.push(Entry::notify(party, arm));
    }

    /// Registers a blocked thread whose `slot` a notifier may serve ("Hand-off"): a
    /// sender's holds its value, a receiver's is empty. As for
    /// [`register`](NotifyList::register).
    fn register_carrying(&self, party: &Party, slot: &Slot<T>) {
        self.push(Entry::direct(party, slot, 0));
    }

    fn push(&self, entry: Entry<T>) {
        let mut queue = lock(&self.queue);
        queue.push(entry);
        self.is_empty.store(false, Ordering::SeqCst);
        handshake_fence();
    }

    /// Removes `party`'s entry on `arm` if no notifier has removed it already. Its
    /// owner must call this before the party goes away unless the party is done.
    pub(crate) fn unregister(&self, party: &Party, arm: usize) {
        let mut queue = lock(&self.queue);
        queue.remove(party, arm);
        self.note_if_emptied(&queue);
    }

    /// Stores `is_empty = true` if the queue, changed by removals only under the lock
    /// the caller holds, is now empty. Otherwise the flag is already `false`: it equals
    /// `queue.is_empty()` whenever the lock is free (every change to the queue stores
    /// it), and the queue was not empty before these removals either.
    ///
    /// The store is Release, not `SeqCst` (on x86-64 a plain move instead of a locked
    /// exchange under the lock of every hand-off and notification): the handshake
    /// (module docs) needs a `SeqCst` store only of a waiter's `false`. A `true` is
    /// stored under the lock that orders it before any later waiter's `false`, so a
    /// counterpart's `SeqCst` load that reads it comes before that `false` in the
    /// single total order (a load reading a value earlier in the modification order
    /// than a `SeqCst` store precedes it: C++20's "coherence-ordered before", which
    /// Rust's atomics follow), and the waiter's re-check, later still, sees the
    /// counterpart's change. Under loom the fences of [`handshake_fence`] make the same
    /// argument without the flag's order.
    #[inline(always)]
    fn note_if_emptied(&self, queue: &WaitQueue<T>) {
        if queue.is_empty() {
            self.is_empty.store(true, Ordering::Release);
        }
    }

    /// Completes the oldest party still waiting, if any, so that it retries.
    #[inline]
    pub(crate) fn notify_one(&self) {
        // Every send and receive on a buffered channel calls this: the check that
        // nobody waits stays inline, the rest does not.
        handshake_fence();
        if !self.is_empty.load(Ordering::SeqCst) {
            // A blocked thread claimed here retries: its slot is as it left it.
            drop(self.notify_one_waiting());
        }
    }

    /// [`notify_one`](NotifyList::notify_one), for a notifier that can serve a blocked
    /// thread (module docs, "Hand-off"): if the oldest waiter is one, `serve` gets its
    /// slot's content (a sender's value, or `None` for a receiver) and returns what
    /// the slot is to hold (`None` once the value is sent, a value received); a slot
    /// left as it was makes the thread retry by itself.
    #[inline]
    pub(crate) fn notify_one_serving(&self, serve: impl FnOnce(Option<T>) -> Option<T>) {
        handshake_fence();
        if !self.is_empty.load(Ordering::SeqCst) {
            self.serve_one_waiting(serve);
        }
    }

    /// [`notify_one_serving`](NotifyList::notify_one_serving) once someone waits: out
    /// of line, so that the notifier's common case keeps nothing across a call. The
    /// notification and `serve` (the ring's operation for the waiter) are inlined here,
    /// not called: pinned to one CPU, where every hand-off of one-to-one `bounded(1)`
    /// comes this way (two every three messages), the two calls cost 21 instructions a
    /// message of 393 (callgrind).
    #[inline(never)]
    fn serve_one_waiting(&self, serve: impl FnOnce(Option<T>) -> Option<T>) {
        if let Some(proxy) = self.wake_or_claim_one() {
            proxy.serve(serve);
        }
    }

    /// [`wake_or_claim_one`](NotifyList::wake_or_claim_one), out of line, for the
    /// notifications that do not serve.
    #[inline(never)]
    fn notify_one_waiting(&self) -> Option<Proxy<T>> {
        self.wake_or_claim_one()
    }

    /// Completes the oldest party still waiting, or claims it if it is a blocked
    /// thread with a slot: then the caller gets the [`Proxy`] that finishes it.
    #[inline(always)]
    fn wake_or_claim_one(&self) -> Option<Proxy<T>> {
        let mut queue = lock(&self.queue);
        let mut woken = None;
        let mut proxy = None;
        while let Some(entry) = queue.pop() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match slot {
                Some(slot) if party.claim(entry.arm()) => {
                    proxy = Some(Proxy {
                        party: NonNull::from(party),
                        slot: NonNull::from(slot),
                    });
                    break;
                }
                Some(_) => {}
                None => {
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        woken = waker;
                        break;
                    }
                }
            }
        }
        self.note_if_emptied(&queue);
        drop(queue);
        if let Some(waker) = woken {
            waker.wake();
        }
        proxy
    }

    /// Completes every waiting party (for disconnection).
    pub(crate) fn notify_all(&self) {
        let mut queue = lock(&self.queue);
        let wakers = queue.complete_all();
        self.is_empty.store(true, Ordering::SeqCst);
        drop(queue);
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Waiting on a notify list, shared by the buffered flavors (the ring and the list):
/// each supplies `attempt` (its operation without waiting: `Some` once it is done or
/// failed for good) and `ready` (whether an attempt could succeed now).
impl<T> NotifyList<T> {
    /// Blocks the calling thread until `attempt` gives a result or `until` passes
    /// (`None`). Between attempts it spins a little, then registers a party, re-checks
    /// `ready` (the handshake, module docs), yields a few times and sleeps until
    /// notified ([`Party::wait_spun`]). It yields only once registered, so that a
    /// counterpart running meanwhile (on one CPU, the one it yields to) notifies it,
    /// and for a sender may hand its value off, instead of leaving it to find the
    /// change by retrying: on one CPU, `bounded(1)` one-to-one throughput went from
    /// about 2.2 µs a message to 1.1 (kanal: 0.7), as each switch then moves two values
    /// instead of one. Spinning is the only phase before registering, and the party's
    /// wait does not spin again. `batch` is how
    /// many values the buffer holds (`usize::MAX`: no limit), which sets how often a
    /// spinning wait checks ([`Backoff::for_ring`]).
    ///
    /// While it spins, it keeps off the counterpart's cache lines: it retries only once
    /// `watch` reads differently from what it read before the failed attempt (`watch`
    /// reads what the counterpart's move changes: for a ring, the stamp of the slot a
    /// receiver uses next, or for a sender of one a batch of room further on, so that
    /// it writes no line the receivers are still reading), and those retries only
    /// glance ([`Look::Glance`]: a ring that seems full or empty is not confirmed by
    /// reading the counterpart's index).
    /// Reading that index while the counterpart works makes each of its claims take
    /// the line back first (`bounded(1)` one-to-one throughput, 2-core machine, one
    /// pause hint a check: about 230 ns a message with those reads, 55 without; 300
    /// with them at the 8 hints a check a ring used to pause). Both are hints about
    /// when to look: the attempt that ends a spin, the first after a sleep and the
    /// `ready` check before sleeping all look exactly.
    ///
    /// A thread passes a slot as `carry` (a sender's holds its value, a receiver's is
    /// empty): while it sleeps, a notifier may do its operation for it (module docs,
    /// "Hand-off"), and its next `attempt` finds the slot changed. The slot is the
    /// caller's to use in `attempt`: it is registered only while the wait sleeps.
    #[inline]
    pub(crate) fn wait_for<R, W: PartialEq>(
        &self,
        until: Until,
        batch: usize,
        carry: Option<&Slot<T>>,
        mut attempt: impl FnMut(Look) -> Option<R>,
        mut watch: impl FnMut() -> W,
        ready: impl Fn() -> bool,
    ) -> Option<R> {
        // The caller has just looked (or glanced, for a wait that may sleep) before
        // calling: retries glance, except the one that ends a spin and the first after
        // a sleep, which look exactly. So the wait never times out or sleeps on a
        // glance, and finds a disconnection that `ready` reported.
        //
        // Each round of the wait starts after such a look: the caller's, or the exact
        // attempt that follows a sleep. A round with no spin phase (one CPU, or a
        // counterpart that shares this CPU: `Backoff::for_ring`) then registers at
        // once: another exact attempt would come right after that look, and `ready`
        // looks exactly once registered, which is the handshake that keeps a wake-up
        // from being lost. Pinned to one CPU (scratch harness, alternating runs):
        // `bounded(1)` one-to-one from 566 ns a message to 553, 4x4 from 756 to 748,
        // the `bounded(1)` ping-pong from 1656 ns a round trip to 1624 (kanal 470,
        // 639, 1448). A wait whose deadline has passed still makes its exact attempt,
        // so it does not time out on a glance.
        loop {
            let mut backoff = Backoff::for_ring(batch);
            let register_at_once = backoff.is_spun() && until != Until::Now && !until.is_past();
            loop {
                if register_at_once {
                    break;
                }
                // Under loom, no spinning: a spinning waiter yields to its counterpart
                // at every step, so loom would always let the counterpart finish first
                // and never explore the window this wait exists to get right (check,
                // register, re-check, sleep). Under shuttle, none for a wait with a
                // deadline: its timeout, which comes where it would sleep (`sync`,
                // "model clock"), would almost never be reached.
                let checked_deadline = cfg!(csp_shuttle) && matches!(until, Until::Deadline(_));
                let last =
                    until == Until::Now || backoff.is_spun() || cfg!(csp_loom) || checked_deadline;
                // Read before the attempt, so that a change made since is not missed;
                // not at all before the last (under loom, every) attempt.
                let seen = (!last).then(&mut watch);
                if let Some(done) = attempt(if last { Look::Exact } else { Look::Glance }) {
                    backoff.succeeded();
                    return Some(done);
                }
                let Some(seen) = seen else {
                    backoff.spun_out();
                    break;
                };
                backoff.snooze();
                while !backoff.is_spun() && watch() == seen {
                    backoff.snooze();
                }
            }
            if until.is_past() {
                return None;
            }
            let party = Party::new();
            match carry {
                Some(slot) => self.register_carrying(&party, slot),
                None => self.register(&party, 0),
            }
            let wait = if ready() { Until::Now } else { until };
            if party.wait_spun(wait, backoff, current_thread_waker) == Outcome::Aborted {
                self.unregister(&party, 0);
            }
            // The first attempt after a sleep looks exactly, before a new spin phase is
            // set up: most often a hand-off did the operation meanwhile, and the attempt
            // only finds the carried slot changed. Pinned, with the one-CPU yields no
            // longer reporting to the spin hint (`Backoff::past_spin`), callgrind: the
            // `bounded(1)` ping-pong from 1183 instructions a round trip to 1099.
            if let Some(done) = attempt(Look::Exact) {
                return Some(done);
            }
            // Timed out: that look was exact, so the wait may end on it.
            if until.is_past() {
                return None;
            }
        }
    }

    /// Polls an async operation: `attempt` as in [`wait_for`](NotifyList::wait_for);
    /// `queued` says whether `party` is registered here. A notification that finds the
    /// operation still not ready is simply re-armed.
    #[inline]
    pub(crate) fn poll_for<R>(
        &self,
        party: &Party,
        queued: &Cell<bool>,
        waker: &Waker,
        mut attempt: impl FnMut() -> Option<R>,
        ready: impl Fn() -> bool,
    ) -> Poll<R> {
        loop {
            if queued.get() {
                if party.poll(waker).is_pending() {
                    return Poll::Pending;
                }
                queued.set(false);
            }
            if let Some(done) = attempt() {
                return Poll::Ready(done);
            }
            // Register, then re-check (the handshake): wait if still not ready,
            // else back out and try again at once.
            party.sleep_fresh(waker);
            self.register(party, 0);
            queued.set(true);
            if !ready() {
                return Poll::Pending;
            }
            if party.cancel() == Outcome::Aborted {
                self.unregister(party, 0);
            }
            queued.set(false);
        }
    }

    /// Cleans up after an async operation that is dropped. A notification it received
    /// and will not use goes to the next waiter.
    pub(crate) fn cancel(&self, party: &Party, queued: &Cell<bool>) {
        if !queued.replace(false) {
            return;
        }
        match party.cancel() {
            Outcome::Aborted => self.unregister(party, 0),
            Outcome::Done(_) => self.notify_one(),
        }
    }
}

/// A blocked thread claimed by a notification ([`NotifyList::notify_one_serving`];
/// module docs, "Hand-off"): its operation may be done for it, and dropping the proxy
/// finishes the claim, so the thread wakes either way, even if serving panics.
#[must_use = "a proxy finishes the thread's wait when dropped"]
struct Proxy<T> {
    party: NonNull<Party>,
    slot: NonNull<Slot<T>>,
}

impl<T> Proxy<T> {
    /// Replaces the slot's content by what `serve` makes of it.
    fn serve(self, serve: impl FnOnce(Option<T>) -> Option<T>) {
        // SAFETY: the claim keeps the thread waiting, with its slot alive, until `drop`
        // finishes it, and keeps everyone else off the slot: the thread reads it only
        // after `DONE`, and its entry is out of the queue.
        let slot = unsafe { self.slot.as_ref() };
        // SAFETY: as above: this proxy has the slot to itself.
        if let Some(value) = serve(unsafe { slot.take() }) {
            // SAFETY: as above.
            unsafe { slot.put(value) };
        }
    }
}

impl<T> Drop for Proxy<T> {
    fn drop(&mut self) {
        // SAFETY: the claim keeps the party alive until this `finish` publishes `DONE`;
        // nothing touches it afterwards.
        if let Some(waker) = unsafe { self.party.as_ref() }.finish() {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::*;
    use crate::sync::parallelism;
    use std::cell::RefCell;
    use std::time::Duration;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Event {
        Attempt(Look),
        Ready,
    }

    /// The rule that makes glancing safe (`wait_for`): a wait never times out or
    /// sleeps on a glance. Catches a wait that gives up, or registers to sleep, after
    /// a glance only (a timeout reported while a counterpart was between its claim
    /// and its stamp), and one that keeps glancing after a sleep (a disconnection that
    /// `ready` reported would then never be found).
    #[test]
    fn a_wait_looks_exactly_before_it_times_out_or_sleeps() {
        let list = NotifyList::<()>::new();
        let events = RefCell::new(Vec::new());
        let mut changes = 0u32;
        let got: Option<()> = list.wait_for(
            Until::after(Duration::from_millis(20)),
            1,
            None,
            |look| {
                events.borrow_mut().push(Event::Attempt(look));
                None
            },
            // Always changed: every check of the spin makes an attempt.
            || {
                changes += 1;
                changes
            },
            || {
                let mut events = events.borrow_mut();
                events.push(Event::Ready);
                // Ready the first time (the wait retries at once), then not (it
                // sleeps until the deadline).
                events.iter().filter(|e| **e == Event::Ready).count() == 1
            },
        );
        assert_eq!(got, None, "nothing ever succeeded: the wait timed out");
        let events = events.into_inner();
        if parallelism() > 1 {
            assert_eq!(
                events[0],
                Event::Attempt(Look::Glance),
                "the caller has just looked: the first retry glances"
            );
            assert!(
                events.contains(&Event::Attempt(Look::Glance)) && events.len() > 4,
                "the spin retries with glances: {events:?}"
            );
        } else {
            assert_eq!(
                events[0],
                Event::Ready,
                "with no spin phase the wait registers at once; `ready` looks exactly"
            );
        }
        assert_eq!(
            events.last(),
            Some(&Event::Attempt(Look::Exact)),
            "the wait timed out on a glance"
        );
        let readies: Vec<usize> = (0..events.len())
            .filter(|&i| events[i] == Event::Ready)
            .collect();
        assert_eq!(
            readies.len(),
            2,
            "ready once (retry), then a sleep: {events:?}"
        );
        for i in readies {
            // The first registration of a wait with no spin phase follows the
            // caller's look; every other follows an exact attempt.
            assert!(
                i == 0 || events[i - 1] == Event::Attempt(Look::Exact),
                "registered to sleep after a glance: {events:?}"
            );
            assert_eq!(
                events[i + 1],
                Event::Attempt(Look::Exact),
                "the first attempt after a sleep glanced"
            );
        }
    }
}
