//! Rendezvous channels (`bounded(0)`): a value passes straight from a sender to a
//! receiver; neither completes without the other.
//!
//! # Invariants (under `inner`'s lock)
//! - `senders` holds only direct entries, each slot holding its sender's value.
//! - `receivers` holds direct entries (blocked threads; empty slots) and notify
//!   entries (parties that must come and take a value themselves, such as async
//!   receivers, whose future could be dropped while holding it).
//! - Every entry in a queue belongs to a live party (see [`crate::party`]). The party
//!   that arrives second finds the first in the queue, moves the value through its
//!   slot and completes it, all under the lock, then wakes it after unlocking. A
//!   woken direct party never needs the lock again to finish.
//! - Once `disconnected` is set, both queues are empty and stay empty.

use super::{RecvFailure, SendFailure};
use crate::party::{Outcome, Party, Until};
use crate::sync::{Mutex, lock};
use crate::waitq::{Entry, Slot, WaitQueue};
use crate::waker::current_thread_waker;
use std::task::Waker;

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

/// What became of a value offered to the waiting receivers.
enum Offer<T> {
    /// A receiver has it; wake this waker after unlocking.
    Taken(Option<Waker>),
    /// Nobody took it. If a notify receiver was told to come for it, here is its
    /// waker: the sender must register (under the same lock) before waking it.
    Kept(T, Option<Waker>),
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
    pub(crate) fn send(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return Err(SendFailure::Disconnected(value));
        }
        let (value, notified) = match inner.offer(value, until == Until::Now) {
            Offer::Taken(waker) => {
                drop(inner);
                wake(waker);
                return Ok(());
            }
            Offer::Kept(value, notified) => (value, notified),
        };
        if until == Until::Now {
            return Err(SendFailure::NotReady(value));
        }
        let party = Party::new();
        let slot = Slot::new(Some(value));
        inner.senders.push(Entry::direct(&party, &slot, 0));
        drop(inner);
        wake(notified);
        match party.wait(until, current_thread_waker) {
            // SAFETY: the party is done, so the counterpart that completed it removed
            // the entry and let go of the slot before publishing DONE (crate::party).
            Outcome::Done(_) => match unsafe { slot.take() } {
                None => Ok(()),
                // Completed with the value still in place: the receivers are gone.
                Some(value) => Err(SendFailure::Disconnected(value)),
            },
            Outcome::Aborted => {
                let mut inner = lock(&self.inner);
                inner.senders.remove(&party, 0);
                drop(inner);
                // SAFETY: the entry is gone and the lock was taken after the abort, so
                // no counterpart can reach the slot; one that took the value
                // speculatively put it back before unlocking.
                let value = unsafe { slot.take() };
                Err(SendFailure::NotReady(
                    value.expect("an aborted rendezvous sender keeps its value"),
                ))
            }
        }
    }

    /// Receives a value, waiting for a sender until `until`.
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        let mut inner = lock(&self.inner);
        if let Some((value, waker)) = inner.take_from_sender() {
            drop(inner);
            wake(waker);
            return Ok(value);
        }
        if inner.disconnected {
            return Err(RecvFailure::Disconnected);
        }
        if until == Until::Now {
            return Err(RecvFailure::NotReady);
        }
        let party = Party::new();
        let slot = Slot::new(None);
        inner.receivers.push(Entry::direct(&party, &slot, 0));
        drop(inner);
        match party.wait(until, current_thread_waker) {
            // SAFETY: as in `send`: the party is done, its entry gone, its slot ours.
            Outcome::Done(_) => unsafe { slot.take() }.ok_or(RecvFailure::Disconnected),
            Outcome::Aborted => {
                let mut inner = lock(&self.inner);
                inner.receivers.remove(&party, 0);
                drop(inner);
                // SAFETY: as in `send`; a counterpart that wrote speculatively and lost
                // the race took its value back before unlocking.
                debug_assert!(unsafe { slot.take() }.is_none());
                Err(RecvFailure::NotReady)
            }
        }
    }

    /// Marks the channel disconnected and completes every waiting party, so each sees
    /// the disconnection: a sender gets its value back, a receiver gets nothing.
    pub(crate) fn disconnect(&self) {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return;
        }
        inner.disconnected = true;
        let mut wakers = inner.senders.complete_all();
        wakers.extend(inner.receivers.complete_all());
        drop(inner);
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T> Inner<T> {
    /// Offers `value` to the oldest waiting receiver that can still be completed.
    /// With `direct_only`, notify receivers are passed over (a `try_send` cannot wait
    /// for one to come back).
    fn offer(&mut self, value: T, direct_only: bool) -> Offer<T> {
        let mut value = value;
        loop {
            let entry = if direct_only {
                self.receivers.pop_direct()
            } else {
                self.receivers.pop()
            };
            let Some(entry) = entry else {
                return Offer::Kept(value, None);
            };
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            let Some(slot) = slot else {
                match party.try_complete(entry.arm()) {
                    Some(waker) => return Offer::Kept(value, waker),
                    None => continue,
                }
            };
            // Write first, then complete: once DONE is published the owner may read the
            // slot and return, so the value must already be there.
            // SAFETY: we hold the lock of the queue that held the entry.
            unsafe { slot.put(value) };
            match party.try_complete(entry.arm()) {
                Some(waker) => return Offer::Taken(waker),
                // The party ended elsewhere (another select arm, or a timeout): take
                // the value back and drop the stale entry.
                // SAFETY: as above; the party is not done on this arm, so the slot is
                // still ours to undo.
                None => value = unsafe { slot.take() }.expect("the value just written"),
            }
        }
    }

    /// Takes the value of the oldest waiting sender that can still be completed.
    fn take_from_sender(&mut self) -> Option<(T, Option<Waker>)> {
        while let Some(entry) = self.senders.pop() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            let slot = slot.expect("sender entries are direct");
            // Take first, then complete: once DONE is published the owner may return
            // and free the slot.
            // SAFETY: we hold the lock of the queue that held the entry.
            let value = unsafe { slot.take() }.expect("a waiting sender holds its value");
            match party.try_complete(entry.arm()) {
                Some(waker) => return Some((value, waker)),
                // SAFETY: as above; the party ended elsewhere, so put the value back.
                None => unsafe { slot.put(value) },
            }
        }
        None
    }
}

/// Wakes `waker`, if any. Call only after releasing the channel lock: a waker may run
/// arbitrary code, which must never run under our lock.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}
