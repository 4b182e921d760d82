//! Unbounded channels (`unbounded()`): a queue that grows as needed, under the
//! channel's queue lock, and a notify list for receivers waiting for a value. A send
//! never waits.
//!
//! # Invariants (under `queue`'s lock)
//! - `values.len() >= claimed`: `claimed` values at the front are promised to selects
//!   that chose a receive arm here and have not completed it; a plain receive takes
//!   only from the rest. A select completing its claim takes the front value (which
//!   value each gets is FIFO among all receivers; a select's claim is not tied to one).
//! - `arrivals` counts values ever pushed and claims ever given back (wrapping): a
//!   receive arm becomes ready only by one of those or by the disconnection, which is
//!   what a select that may not wait reads (`crate::select::Witness`).
//! - Once `disconnected` is set it stays set; values still queued can be received.
//!
//! Waiting receivers use the [`NotifyList`] protocol, as the ring's do: a sender pushes
//! under the lock, then notifies; a receiver registers, then re-checks under the lock,
//! so one of them always sees the other.
//!
//! Why a locked queue and not crossbeam's lock-free list of blocks: csp's rendezvous
//! and ring are the channels its comparison is about; an unbounded channel serves as a
//! mailbox that must never block its sender. A `VecDeque` under csp's queue lock (one
//! compare-and-swap to take, a store to give back) keeps this flavor short and easy to
//! model-check.
//!
//! Memory follows the queue's length, not its history: a receive that leaves the
//! queue at most a quarter full halves its buffer (down to [`KEEP`] values), so a
//! burst's memory goes back once it drains, and a mailbox whose length stays under
//! `KEEP` never reallocates. Halving at a quarter, not at a half, means growing and
//! shrinking cannot alternate on every operation: between two reallocations come as
//! many receives or sends as the smaller buffer holds, so each costs O(1) amortized.

use super::{RecvFailure, SendFailure, Side};
use crate::notify::NotifyList;
use crate::party::{Party, Until};
use crate::select::Witness;
use crate::select::token::Token;
use crate::sync::{Mutex, MutexGuard, lock};
use crate::waitq::Slot as WaitSlot;
use std::cell::Cell;
use std::collections::VecDeque;
use std::task::{Poll, Waker};

/// An unbounded channel's shared state.
#[derive(Debug)]
pub(crate) struct Channel<T> {
    queue: Mutex<Queue<T>>,
    /// Receivers waiting for a value.
    receivers: NotifyList<T>,
}

#[derive(Debug)]
struct Queue<T> {
    values: VecDeque<T>,
    /// Values at the front promised to selects (module docs).
    claimed: usize,
    /// Values pushed and claims given back, ever (module docs).
    arrivals: usize,
    disconnected: bool,
}

/// The buffer size (in values) below which a draining queue keeps its memory.
const KEEP: usize = 32;

impl<T> Queue<T> {
    /// Whether a plain receive would find a value.
    fn has_unclaimed(&self) -> bool {
        self.values.len() > self.claimed
    }

    /// Takes the front value, giving memory back as the queue drains (module docs).
    fn pop_front(&mut self) -> Option<T> {
        let value = self.values.pop_front();
        let capacity = self.values.capacity();
        // Zero-sized values take no memory (and their capacity reads as usize::MAX).
        if size_of::<T>() != 0 && capacity > KEEP && self.values.len() <= capacity / 4 {
            self.values.shrink_to(capacity / 2);
        }
        value
    }
}

impl<T> Channel<T> {
    pub(crate) fn new() -> Self {
        Self {
            queue: Mutex::new(Queue {
                values: VecDeque::new(),
                claimed: 0,
                arrivals: 0,
                disconnected: false,
            }),
            receivers: NotifyList::new(),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue<T>> {
        lock(&self.queue)
    }

    /// Sends `value` at once, unless the channel is disconnected.
    pub(crate) fn send(&self, value: T) -> Result<(), SendFailure<T>> {
        let mut queue = self.queue();
        if queue.disconnected {
            return Err(SendFailure::Disconnected(value));
        }
        queue.values.push_back(value);
        queue.arrivals = queue.arrivals.wrapping_add(1);
        drop(queue);
        self.receivers.notify_one();
        Ok(())
    }

    /// Receives without waiting.
    fn try_pop(&self) -> Option<Result<T, RecvFailure>> {
        let mut queue = self.queue();
        if queue.has_unclaimed() {
            // Claimed values are at the front in count only: any value will do for
            // them, so a plain receive takes the front one too.
            return queue.pop_front().map(Ok);
        }
        queue.disconnected.then_some(Err(RecvFailure::Disconnected))
    }

    /// Receives a value, waiting for one until `until`.
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        let ready = || self.is_ready(Side::Recv);
        // No cheap word to watch without the lock: every spin check is an attempt
        // (a watch that always reads differently).
        let mut checks = 0u32;
        let watch = || {
            checks = checks.wrapping_add(1);
            checks
        };
        self.receivers
            .wait_for(until, usize::MAX, None, |_| self.try_pop(), watch, ready)
            .unwrap_or(Err(RecvFailure::NotReady))
    }

    /// Polls an async receive; `queued` says whether `party` is registered for a value.
    pub(crate) fn poll_recv(
        &self,
        party: &Party,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<T, RecvFailure>> {
        let ready = || self.is_ready(Side::Recv);
        self.receivers
            .poll_for(party, queued, waker, || self.try_pop(), ready)
    }

    /// Polls an async send of the value in `slot`: it never waits.
    pub(crate) fn poll_send(&self, slot: &WaitSlot<T>) -> Poll<Result<(), SendFailure<T>>> {
        // SAFETY: the slot belongs to the future polling us; no queue points at it.
        let value = unsafe { slot.take() }.expect("a pending send holds its value");
        Poll::Ready(self.send(value))
    }

    /// Cleans up after an async receive that is dropped.
    pub(crate) fn cancel_recv(&self, party: &Party, queued: &Cell<bool>) {
        self.receivers.cancel(party, queued);
    }

    /// Passes a notification to the next waiting receiver: its receiver will not use it.
    pub(crate) fn pass_on(&self) {
        self.receivers.notify_one();
    }

    /// Marks the channel disconnected and wakes every waiting receiver (once).
    /// Returns whether this call did it.
    pub(crate) fn disconnect(&self) -> bool {
        let mut queue = self.queue();
        if queue.disconnected {
            return false;
        }
        queue.disconnected = true;
        drop(queue);
        self.receivers.notify_all();
        true
    }

    /// Whether the channel is disconnected.
    pub(crate) fn is_disconnected(&self) -> bool {
        self.queue().disconnected
    }

    /// How many values are queued, claimed ones included (a snapshot).
    pub(crate) fn len(&self) -> usize {
        self.queue().values.len()
    }

    /// For a select: a receive arm claims a value (`Token::Queued`); a send arm is
    /// always ready (`Token::Queued` too). The disconnection is ready as well; `None`
    /// means a receive arm found no unclaimed value.
    pub(crate) fn try_claim(&self, side: Side) -> Option<Token> {
        let mut queue = self.queue();
        match side {
            Side::Send if queue.disconnected => Some(Token::Disconnected),
            Side::Send => Some(Token::Queued),
            Side::Recv if queue.has_unclaimed() => {
                queue.claimed += 1;
                Some(Token::Queued)
            }
            Side::Recv => queue.disconnected.then_some(Token::Disconnected),
        }
    }

    /// Whether a select arm on `side` would find a value (a send arm: always), or the
    /// disconnection.
    pub(crate) fn is_ready(&self, side: Side) -> bool {
        match side {
            Side::Send => true,
            Side::Recv => {
                let queue = self.queue();
                queue.has_unclaimed() || queue.disconnected
            }
        }
    }

    /// The arm's witness for a select that may not wait (module docs); a send arm is
    /// always ready, so its witness never matters.
    pub(crate) fn witness(&self, side: Side) -> Witness {
        match side {
            Side::Send => Witness::Never,
            Side::Recv => {
                let queue = self.queue();
                Witness::Counts(queue.arrivals, usize::from(queue.disconnected), 0)
            }
        }
    }

    /// Registers a select's `party` on a receive arm, then re-checks. Returns whether
    /// the arm is ready now: then the select must not sleep, but retry. A send arm is
    /// always ready and registers nothing.
    pub(crate) fn register(&self, party: &Party, arm: usize, side: Side) -> bool {
        if side == Side::Send {
            return true;
        }
        self.receivers.register(party, arm);
        self.is_ready(side)
    }

    /// Removes a select's entry, if no notifier has.
    pub(crate) fn unregister(&self, party: &Party, arm: usize, side: Side) {
        if side == Side::Recv {
            self.receivers.unregister(party, arm);
        }
    }

    /// Completes a select's receive arm.
    ///
    /// # Safety
    /// `token` came from this channel's [`try_claim`](Channel::try_claim) with
    /// `Side::Recv` and was not used before.
    pub(crate) unsafe fn finish_recv(&self, token: Token) -> Result<T, RecvFailure> {
        match token {
            Token::Queued => {
                let mut queue = self.queue();
                queue.claimed -= 1;
                Ok(queue
                    .pop_front()
                    .expect("a claimed value stays queued (module invariants)"))
            }
            Token::Disconnected => Err(RecvFailure::Disconnected),
            _ => unreachable!("an unbounded select arm holds a queue token"),
        }
    }

    /// Completes a select's send arm with `value`.
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv), with `Side::Send`.
    pub(crate) unsafe fn finish_send(&self, token: Token, value: T) -> Result<(), SendFailure<T>> {
        match token {
            // Disconnected meanwhile: `send` gives the value back.
            Token::Queued => self.send(value),
            Token::Disconnected => Err(SendFailure::Disconnected(value)),
            _ => unreachable!("an unbounded select arm holds a queue token"),
        }
    }

    /// Gives back a claim that will not be completed: a receive arm's value is free
    /// for any receiver again.
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv); `side` is the select arm's.
    pub(crate) unsafe fn release(&self, token: Token, side: Side) {
        if let (Token::Queued, Side::Recv) = (token, side) {
            let mut queue = self.queue();
            queue.claimed -= 1;
            queue.arrivals = queue.arrivals.wrapping_add(1);
            drop(queue);
            self.receivers.notify_one();
        }
    }
}
