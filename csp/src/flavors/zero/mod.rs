//! Rendezvous channels (`bounded(0)`): a value passes straight from a sender to a
//! receiver; neither completes without the other. This module holds the plain
//! (blocking and `try_`) operations; `select` the select side, `future` the async one.
//!
//! # Invariants (under `inner`'s lock)
//! - `senders` and `receivers` hold three kinds of entries: *direct* entries (blocked
//!   threads, async sends), whose slot holds the sender's value or awaits the
//!   receiver's; *notify* entries (select arms, async receives), whose owner moves the
//!   value itself once woken; and *watch* entries (`Select::ready`), which are only
//!   woken and passed over. A counterpart entering one queue wakes the watchers in
//!   the other (`Inner::enqueue`); one met under the lock wakes those in front of it.
//! - Every entry in a queue belongs to a live party (see [`crate::party`]).
//! - The party that arrives second acts. A plain operation finding a direct entry moves
//!   the value through its slot and completes it, under the lock, then wakes it after
//!   unlocking; the woken party never needs the lock again. Finding a thread's
//!   select (a notify entry), it claims it, leaves it its own [`Waiter`] as *partner*
//!   and waits for the select to move the value and complete the waiter. Only blocked
//!   threads are ever partners, and only of threads' selects: a partner cannot be
//!   cancelled, so the pointer it leaves stays valid, and a select's thread is running,
//!   so the wait is short. A task's notify entry (an async receive, an async select's
//!   arm) may not be polled again for a long time: a thread nudges it and queues
//!   itself instead, and never waits on a task.
//! - A select that finds an entry claims it under the lock and finishes it later,
//!   outside the lock (`Token::Claimed`), or gives it back at the front of its queue.
//! - A waiter completed on [`RETRY`] goes back to the start: the select it was
//!   partner to gave the exchange up (its message expression panicked).
//! - Once `disconnected` is set, both queues are empty and stay empty.

use super::{RecvFailure, SendFailure, Side};
use crate::party::{Outcome, Until};
use crate::sync::{Mutex, MutexGuard, lock};
use crate::waitq::{Entry, Slot, WaitQueue, Waiter};
use crate::waker::current_thread_waker;
use std::task::Waker;

mod future;
mod select;

/// The arm a plain waiter is completed on when its value moved.
const EXCHANGED: usize = 0;
/// The arm a plain waiter is completed on when its select partner gave up the
/// exchange: the waiter starts over.
const RETRY: usize = 1;

/// A rendezvous channel's shared state.
#[derive(Debug)]
pub(crate) struct Channel<T> {
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    senders: WaitQueue<T>,
    receivers: WaitQueue<T>,
    disconnected: bool,
}

impl<T> Inner<T> {
    fn queue(&mut self, side: Side) -> &mut WaitQueue<T> {
        match side {
            Side::Send => &mut self.senders,
            Side::Recv => &mut self.receivers,
        }
    }

    /// Queues a counterpart's `entry` on `side`, first waking the watchers on the
    /// other side: a counterpart has come, which is all they wait to learn. A select
    /// registers after it looked for counterparts and let the lock go, so a watcher
    /// may have arrived in between; only this wake tells it.
    fn enqueue(&mut self, side: Side, entry: Entry<T>) {
        let (mine, theirs) = match side {
            Side::Send => (&mut self.senders, &mut self.receivers),
            Side::Recv => (&mut self.receivers, &mut self.senders),
        };
        theirs.wake_watchers();
        mine.push(entry);
    }
}

/// How an operation's attempt under the lock ended.
enum Step<R> {
    /// Finished with this result.
    Done(R),
    /// Gave its waiter to a select as partner: wait for the exchange, then act on it.
    Exchange,
    /// Nobody to meet (or only a nudged notify party, which will come): the lock is
    /// still held, so the caller may register.
    Alone,
}

impl<T> Channel<T> {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                senders: WaitQueue::new(),
                receivers: WaitQueue::new(),
                disconnected: false,
            }),
        }
    }

    /// Sends `value`, waiting for a receiver until `until`.
    ///
    /// The two cases of a steady exchange run inline: a blocked receiver is first in
    /// line (hand it the value), or nobody waits at all (queue and wait). Anything
    /// else (selects, tasks, stale entries, disconnection, `try_send`) goes to
    /// [`send_contended`](Channel::send_contended).
    ///
    /// Always inlined into its one caller (`Chan`'s out-of-line `send_unbuffered`):
    /// left to the compiler, it was inlined or not as the size of the waits it inlines
    /// changed, and when not, a rendezvous ping-pong pinned to one CPU ran about 50
    /// instructions a send more (callgrind).
    #[inline(always)]
    pub(crate) fn send(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        let mut inner = lock(&self.inner);
        let value = match inner.receivers.pop_front_direct() {
            Some(entry) => {
                let mut woken = None;
                match hand_over(&entry, value, &mut woken) {
                    Ok(()) => {
                        drop(inner);
                        wake(woken);
                        return Ok(());
                    }
                    // Stale: that receiver timed out. Look further.
                    Err(value) => value,
                }
            }
            None if inner.receivers.is_empty() && !inner.disconnected && until != Until::Now => {
                let me = Waiter::new(Some(value));
                inner.enqueue(Side::Send, Entry::direct(&me.party, &me.slot, 0));
                drop(inner);
                return self.await_receiver(&me, until);
            }
            None => value,
        };
        self.send_contended(inner, value, until)
    }

    /// [`send`](Channel::send)'s general case, under the lock `inner` already holds.
    #[inline(never)]
    fn send_contended<'a>(
        &'a self,
        mut inner: MutexGuard<'a, Inner<T>>,
        value: T,
        until: Until,
    ) -> Result<(), SendFailure<T>> {
        let me = Waiter::new(Some(value));
        loop {
            let mut wakers = None;
            let step = if inner.disconnected {
                Step::Done(Err(SendFailure::Disconnected(take_own(&me))))
            } else {
                Self::meet_receiver(
                    &mut inner,
                    &me.slot,
                    Some(&me),
                    until != Until::Now,
                    &mut wakers,
                )
            };
            match step {
                Step::Done(result) => {
                    drop(inner);
                    wake(wakers);
                    return result;
                }
                Step::Exchange => {
                    drop(inner);
                    wake(wakers);
                    // The value is gone unless the select gave the exchange up.
                    if await_exchange(&me) {
                        return Ok(());
                    }
                    inner = lock(&self.inner);
                    continue;
                }
                Step::Alone if until == Until::Now => {
                    return Err(SendFailure::NotReady(take_own(&me)));
                }
                Step::Alone => {}
            }
            inner.enqueue(Side::Send, Entry::direct(&me.party, &me.slot, 0));
            drop(inner);
            // A task nudged for us comes to take the value from the entry just queued.
            wake(wakers);
            return self.await_receiver(&me, until);
        }
    }

    /// Waits, until `until`, for a receiver to take the value of `me`, whose direct
    /// entry is queued in `senders`. Always inlined, so that the wait's yield is in the
    /// caller's frame (see `crate::sync::yield_now`).
    #[inline(always)]
    fn await_receiver(&self, me: &Waiter<T>, until: Until) -> Result<(), SendFailure<T>> {
        match me.party.wait(until, current_thread_waker) {
            // SAFETY: the party is done, so the counterpart that completed it removed
            // the entry and let go of the slot before publishing DONE (crate::party).
            Outcome::Done(_) => match unsafe { me.slot.take() } {
                None => Ok(()),
                // Completed with the value still in place: the receivers are gone.
                Some(value) => Err(SendFailure::Disconnected(value)),
            },
            Outcome::Aborted => {
                lock(&self.inner).senders.remove(&me.party, 0);
                // The entry is gone and the lock was taken after the abort, so no
                // counterpart can reach the slot; one that took the value
                // speculatively put it back before unlocking.
                Err(SendFailure::NotReady(take_own(me)))
            }
        }
    }

    /// Offers the value in `mine` to the oldest receiver that can still be completed.
    /// A notify receiver (a select, an async receive) must come and take the value.
    /// A thread select's entry is left to the `partner` given (the waiter of a blocked
    /// thread, whose slot is `mine`): that select's thread is running and comes at
    /// once. Otherwise (no partner: an async send, an async select's send arm; or a
    /// task's entry, which may never be polled again and so must not hold a blocked
    /// thread) the receiver is nudged and `Alone` says the caller must queue itself
    /// for it, as a direct entry the receiver takes from. A caller that will not
    /// queue (`queues` false: a `try_send`) nudges nobody; it passes over tasks'
    /// entries to a thread's select further back, if any, else gets `Alone`.
    ///
    /// Before a notify receiver is nudged, a blocked receiver anywhere in the queue is
    /// served: so a blocked thread never waits on one side while a sender that cannot
    /// be a partner waits on the other, which nobody would resolve.
    fn meet_receiver(
        inner: &mut Inner<T>,
        mine: &Slot<T>,
        partner: Option<&Waiter<T>>,
        queues: bool,
        woken: &mut Option<Waker>,
    ) -> Step<Result<(), SendFailure<T>>> {
        while let Some(entry) = inner.receivers.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let slot = unsafe { entry.slot() };
            match (slot, partner) {
                (Some(_), _) => {
                    if give(&entry, mine, woken) {
                        return Step::Done(Ok(()));
                    }
                }
                (None, Some(me)) if !entry.is_task() => {
                    if become_partner(&entry, me, woken) {
                        return Step::Exchange;
                    }
                }
                (None, _) => {
                    // A blocked receiver further back is served first, this entry
                    // left in place.
                    if let Some(direct) = inner.receivers.pop_direct() {
                        inner.receivers.push_front(entry);
                        if give(&direct, mine, woken) {
                            return Step::Done(Ok(()));
                        }
                        continue;
                    }
                    if !queues {
                        // Nobody would take the value a nudge is for; a thread's
                        // select further back may still take it at once.
                        inner.receivers.push_front(entry);
                        let me = partner.expect("only a thread's try_send does not queue");
                        while let Some(select) = inner.receivers.pop_thread_notify() {
                            if become_partner(&select, me, woken) {
                                return Step::Exchange;
                            }
                        }
                        return Step::Alone;
                    }
                    // SAFETY: as above.
                    if let Some(waker) = unsafe { entry.try_complete() } {
                        *woken = waker;
                        return Step::Alone;
                    }
                }
            }
        }
        Step::Alone
    }

    /// Receives a value, waiting for a sender until `until`. As for
    /// [`send`](Channel::send), the two cases of a steady exchange run inline, and it is
    /// always inlined into its one caller, as `send` is.
    #[inline(always)]
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        let mut inner = match Self::take_front(lock(&self.inner)) {
            Ok(value) => return Ok(value),
            Err(inner) => inner,
        };
        if inner.senders.is_empty() && !inner.disconnected && until != Until::Now {
            let me = Waiter::new(None);
            inner.enqueue(Side::Recv, Entry::direct(&me.party, &me.slot, 0));
            drop(inner);
            return self.await_sender(&me, until);
        }
        self.recv_contended(inner, until)
    }

    /// A receive's steady case, shared by the blocking and the async one: the first
    /// sender in line is a direct entry (a blocked thread, an async send), so take its
    /// value, unlock and wake it. Otherwise the lock goes back to the caller, with a
    /// stale front entry (a sender that timed out) dropped on the way.
    #[inline]
    fn take_front(mut inner: MutexGuard<'_, Inner<T>>) -> Result<T, MutexGuard<'_, Inner<T>>> {
        if let Some(entry) = inner.senders.pop_front_direct() {
            let mut woken = None;
            if let Some(value) = take(&entry, &mut woken) {
                drop(inner);
                wake(woken);
                return Ok(value);
            }
        }
        Err(inner)
    }

    /// [`recv`](Channel::recv)'s general case, under the lock `inner` already holds.
    #[inline(never)]
    fn recv_contended<'a>(
        &'a self,
        mut inner: MutexGuard<'a, Inner<T>>,
        until: Until,
    ) -> Result<T, RecvFailure> {
        let me = Waiter::new(None);
        loop {
            let mut wakers = None;
            let step = match Self::meet_sender(&mut inner, Some(&me), &mut wakers) {
                Step::Alone if inner.disconnected => Step::Done(Err(RecvFailure::Disconnected)),
                step => step,
            };
            match step {
                Step::Done(result) => {
                    drop(inner);
                    wake(wakers);
                    return result;
                }
                Step::Exchange => {
                    drop(inner);
                    wake(wakers);
                    if await_exchange(&me) {
                        return Ok(take_own(&me));
                    }
                    inner = lock(&self.inner);
                    continue;
                }
                Step::Alone if until == Until::Now => return Err(RecvFailure::NotReady),
                Step::Alone => {}
            }
            inner.enqueue(Side::Recv, Entry::direct(&me.party, &me.slot, 0));
            drop(inner);
            return self.await_sender(&me, until);
        }
    }

    /// Waits, until `until`, for a sender to fill the slot of `me`, whose direct entry
    /// is queued in `receivers`. Always inlined, as `await_receiver`.
    #[inline(always)]
    fn await_sender(&self, me: &Waiter<T>, until: Until) -> Result<T, RecvFailure> {
        match me.party.wait(until, current_thread_waker) {
            // SAFETY: as in `await_receiver`: the party is done, its entry gone, its
            // slot ours.
            Outcome::Done(_) => unsafe { me.slot.take() }.ok_or(RecvFailure::Disconnected),
            Outcome::Aborted => {
                lock(&self.inner).receivers.remove(&me.party, 0);
                // SAFETY: as in `await_receiver`; a counterpart that wrote
                // speculatively and lost the race took its value back before unlocking.
                debug_assert!(unsafe { me.slot.take() }.is_none());
                Err(RecvFailure::NotReady)
            }
        }
    }

    /// Takes the value of the oldest sender that can still be completed, straight
    /// into the result. A notify sender (a select's send arm) is given `partner` (a
    /// blocked thread's waiter), or nudged without one, as in `meet_receiver`, which
    /// also says why, without a partner, blocked senders are served first.
    fn meet_sender(
        inner: &mut Inner<T>,
        partner: Option<&Waiter<T>>,
        woken: &mut Option<Waker>,
    ) -> Step<Result<T, RecvFailure>> {
        while let Some(entry) = inner.senders.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let slot = unsafe { entry.slot() };
            match (slot, partner) {
                (Some(_), _) => {
                    if let Some(value) = take(&entry, woken) {
                        return Step::Done(Ok(value));
                    }
                }
                (None, Some(me)) => {
                    if become_partner(&entry, me, woken) {
                        return Step::Exchange;
                    }
                }
                (None, None) => {
                    // A blocked sender further back is served first, this entry left
                    // in place.
                    if let Some(direct) = inner.senders.pop_direct() {
                        inner.senders.push_front(entry);
                        if let Some(value) = take(&direct, woken) {
                            return Step::Done(Ok(value));
                        }
                        continue;
                    }
                    // SAFETY: as above.
                    if let Some(waker) = unsafe { entry.try_complete() } {
                        *woken = waker;
                        return Step::Alone;
                    }
                }
            }
        }
        Step::Alone
    }

    /// Marks the channel disconnected and completes every waiting party, so each sees
    /// the disconnection: a sender gets its value back, a receiver gets nothing, a
    /// select finds no partner.
    /// Returns whether this call did it.
    pub(crate) fn disconnect(&self) -> bool {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return false;
        }
        inner.disconnected = true;
        let mut wakers = inner.senders.complete_all();
        wakers.extend(inner.receivers.complete_all());
        drop(inner);
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// Whether the channel is disconnected.
    pub(crate) fn is_disconnected(&self) -> bool {
        lock(&self.inner).disconnected
    }
}

/// Moves `value` into the slot of `entry`, a waiting receiver's direct entry just
/// removed from its queue, and completes it. Gives the value back if the receiver's
/// party ended elsewhere (a timeout): the entry was stale. The caller holds the lock
/// of the queue that held the entry. Always inlined, as `send` is, and for the same
/// reason: out of line it cost the pinned ping-pong 55 instructions a send.
#[inline(always)]
fn hand_over<T>(entry: &Entry<T>, value: T, woken: &mut Option<Waker>) -> Result<(), T> {
    // SAFETY: we hold the lock of the queue that held the entry (caller's contract).
    let slot = unsafe { entry.slot() }.expect("a direct entry has a slot");
    // Write first, then complete: once DONE is published the owner may read the slot
    // and return, so the value must already be there.
    // SAFETY: the lock gives us the receiver's slot.
    unsafe { slot.put(value) };
    // SAFETY: as above.
    if let Some(waker) = unsafe { entry.try_complete() } {
        *woken = waker;
        return Ok(());
    }
    // SAFETY: as above; the party did not complete on this arm.
    Err(unsafe { slot.take() }.expect("the value just written"))
}

/// As [`hand_over`], with the value in `mine`, the caller's own slot (in no queue),
/// where it stays if the entry was stale (`false`).
#[inline]
fn give<T>(entry: &Entry<T>, mine: &Slot<T>, woken: &mut Option<Waker>) -> bool {
    // SAFETY: `mine` is the caller's own slot, in no queue.
    let value = unsafe { mine.take() }.expect("a sender holds its value");
    match hand_over(entry, value, woken) {
        Ok(()) => true,
        Err(value) => {
            // SAFETY: as above.
            unsafe { mine.put(value) };
            false
        }
    }
}

/// Claims `entry`, a thread select's notify entry just removed from its queue, and
/// leaves it `me` (a blocked thread's waiter) as partner, so that the select moves
/// the value; the caller then waits for it (`Step::Exchange`). Returns `false` if the
/// select ended elsewhere. The caller holds the lock of the queue that held the entry.
#[inline]
fn become_partner<T>(entry: &Entry<T>, me: &Waiter<T>, woken: &mut Option<Waker>) -> bool {
    debug_assert!(!entry.is_task(), "a thread never waits on a task");
    // SAFETY: we hold the lock of the queue that held the entry (caller's contract).
    let party = unsafe { entry.party() };
    if !party.claim(entry.arm()) {
        return false;
    }
    party.set_partner(me.as_partner());
    *woken = party.finish();
    true
}

/// Takes the value from the slot of `entry`, a waiting sender's direct entry just
/// removed from its queue, and completes it. Returns `None` (the value put back) if the
/// sender's party ended elsewhere. The caller holds the lock of the queue that held
/// the entry.
#[inline]
fn take<T>(entry: &Entry<T>, woken: &mut Option<Waker>) -> Option<T> {
    // SAFETY: we hold the lock of the queue that held the entry (caller's contract).
    let slot = unsafe { entry.slot() }.expect("a direct entry has a slot");
    // Take first, then complete: once DONE is published the owner may return and
    // free the slot.
    // SAFETY: as above.
    let value = unsafe { slot.take() }.expect("a waiting sender holds its value");
    // SAFETY: as above.
    if let Some(waker) = unsafe { entry.try_complete() } {
        *woken = waker;
        return Some(value);
    }
    // SAFETY: as above; the party ended elsewhere, so put the value back.
    unsafe { slot.put(value) };
    None
}

/// The slot a `Token::Claimed` points at, or `None` for a claimed select.
///
/// # Safety
/// `slot` is null or points at the `Slot<T>` of a party this caller holds a claim on.
unsafe fn claimed_slot<'a, T>(slot: *const ()) -> Option<&'a Slot<T>> {
    // SAFETY: the caller's contract; the claim keeps the party's memory alive.
    unsafe { slot.cast::<Slot<T>>().as_ref() }
}

/// Waits for the select that `me` was given to as partner to complete it. Returns
/// `true` if the value moved, `false` if the select gave up and `me` must start over.
fn await_exchange<T>(me: &Waiter<T>) -> bool {
    match me.party.wait(Until::Forever, current_thread_waker) {
        Outcome::Done(EXCHANGED) => true,
        Outcome::Done(_) => {
            me.party.reset();
            false
        }
        Outcome::Aborted => unreachable!("a wait without deadline does not abort"),
    }
}

/// Completes a partner waiter, which waits for exactly this.
fn complete_partner<T>(partner: &Waiter<T>, arm: usize) {
    let waker = partner
        .party
        .try_complete(arm)
        .expect("a partner waits until its select completes it");
    wake(waker);
}

/// Takes the value from a waiter's own slot; the waiter is in no queue.
fn take_own<T>(me: &Waiter<T>) -> T {
    // SAFETY: `me` is ours and no queue holds an entry for it (never pushed, or removed
    // or completed), so no counterpart touches its slot.
    unsafe { me.slot.take() }.expect("a waiter's own value is in its slot")
}

/// Wakes `waker`, if any. Call only after releasing the channel lock: a waker may run
/// arbitrary code, which must never run under our lock.
#[inline]
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}
