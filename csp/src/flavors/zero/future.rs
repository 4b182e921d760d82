//! Async operations on a rendezvous channel (see `crate::future`). An async party
//! can be dropped at any await point, so it must
//! never be a partner (a pointer another party keeps outside the lock), and a value
//! must never be pushed into its slot: it always waits as an entry in a queue, and
//! the value moves only while the receiving side runs.
//! - An async send waits as a *direct* entry holding its value: a receiver takes it.
//! - An async receive waits as a task's *notify* entry. A task may not be polled
//!   again for a long time, so no thread waits on it as its partner: a thread that
//!   sends *nudges* it (completes it without partner) and waits as a direct entry,
//!   which the receive takes from when polled.
//! - Meeting a select's notify entry, which it cannot exchange with, an async party
//!   queues itself and nudges the select, and the select retries and meets the
//!   queued entry.

use super::{Channel, Inner, Step, take_own, wake};
use crate::flavors::{RecvFailure, SendFailure, Side};
use crate::party::Outcome;
use crate::sync::{MutexGuard, lock};
use crate::waitq::{Entry, Waiter};
use std::cell::Cell;
use std::task::{Poll, Waker};

impl<T> Channel<T> {
    /// Polls an async send whose value is in `me`'s slot; `queued` says whether `me`
    /// is in `senders`.
    ///
    /// The two cases of a steady exchange between tasks run inline, as the thread
    /// path's do: polled again once a receiver has taken the value (its party is
    /// done), or polled first with nobody waiting to receive (queue and sleep).
    /// Everything else goes to [`poll_send_contended`](Channel::poll_send_contended).
    #[inline]
    pub(crate) fn poll_send(
        &self,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        if queued.get() {
            if me.party.is_done() {
                return Poll::Ready(Self::sent(me, queued));
            }
            return self.poll_send_queued(me, queued, waker);
        }
        let mut inner = lock(&self.inner);
        if inner.receivers.is_empty() && !inner.disconnected {
            Self::queue_send(&mut inner, me, queued, waker);
            return Poll::Pending;
        }
        self.poll_send_contended(inner, me, queued, waker)
    }

    /// How a queued async send whose party is done ended.
    #[inline]
    fn sent(me: &Waiter<T>, queued: &Cell<bool>) -> Result<(), SendFailure<T>> {
        queued.set(false);
        // SAFETY: the party is done: its completer removed the entry and let go.
        match unsafe { me.slot.take() } {
            None => Ok(()),
            // Completed with the value still in place: the receivers are gone.
            Some(value) => Err(SendFailure::Disconnected(value)),
        }
    }

    /// Queues an async send that found no receiver to take its value, asleep on
    /// `waker`: a direct entry a receiver takes the value from.
    #[inline]
    fn queue_send(inner: &mut Inner<T>, me: &Waiter<T>, queued: &Cell<bool>, waker: &Waker) {
        me.party.sleep_fresh(waker);
        inner.enqueue(Side::Send, Entry::direct_task(&me.party, &me.slot, 0));
        queued.set(true);
    }

    /// Queues an async receive that found no sender, asleep on `waker`: a task's
    /// notify entry, which a sender nudges (it never writes into a future).
    #[inline]
    fn queue_recv(inner: &mut Inner<T>, me: &Waiter<T>, queued: &Cell<bool>, waker: &Waker) {
        me.party.sleep_fresh(waker);
        inner.enqueue(Side::Recv, Entry::notify_task(&me.party, 0));
        queued.set(true);
    }

    /// [`poll_send`](Channel::poll_send) polled again before a receiver came: store
    /// the new waker, unless the party was done meanwhile.
    #[inline(never)]
    fn poll_send_queued(
        &self,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        match me.party.poll(waker) {
            Poll::Ready(_) => Poll::Ready(Self::sent(me, queued)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// [`poll_send`](Channel::poll_send)'s general case, under the lock `inner`
    /// already holds, for a send in no queue.
    #[inline(never)]
    fn poll_send_contended(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        if inner.disconnected {
            return Poll::Ready(Err(SendFailure::Disconnected(take_own(me))));
        }
        let mut nudged = None;
        match Self::meet_receiver(&mut inner, &me.slot, None, true, &mut nudged) {
            Step::Done(result) => {
                drop(inner);
                wake(nudged);
                return Poll::Ready(result);
            }
            Step::Exchange => unreachable!("an async party is never a partner"),
            Step::Alone => {}
        }
        Self::queue_send(&mut inner, me, queued, waker);
        drop(inner);
        wake(nudged);
        Poll::Pending
    }

    /// Cleans up after an async send that is dropped: its value, if still in `me`, is
    /// dropped with it, and no receiver has it.
    pub(crate) fn cancel_send(&self, me: &Waiter<T>, queued: &Cell<bool>) {
        if queued.replace(false) && me.party.cancel() == Outcome::Aborted {
            lock(&self.inner).senders.remove(&me.party, 0);
        }
    }

    /// Polls an async receive; `queued` says whether `me` is in `receivers`.
    ///
    /// As for [`poll_send`](Channel::poll_send), the two cases of a steady exchange
    /// run inline: a waiting sender's direct entry is first in line (take its value),
    /// or nobody waits to send (queue and sleep); so does the look a nudged receive
    /// takes when polled again. Everything else goes to
    /// [`poll_recv_contended`](Channel::poll_recv_contended).
    #[inline]
    pub(crate) fn poll_recv(
        &self,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<T, RecvFailure>> {
        if queued.get() {
            let Poll::Ready(_) = me.party.poll(waker) else {
                return Poll::Pending;
            };
            queued.set(false);
            // No thread waits on a task as its partner (`meet_receiver`): this was a
            // nudge, or the disconnection. Look again.
            debug_assert!(me.party.partner().is_null(), "a task was given a partner");
        }
        let mut inner = match Self::take_front(lock(&self.inner)) {
            Ok(value) => return Poll::Ready(Ok(value)),
            Err(inner) => inner,
        };
        if inner.senders.is_empty() && !inner.disconnected {
            Self::queue_recv(&mut inner, me, queued, waker);
            return Poll::Pending;
        }
        self.poll_recv_contended(inner, me, queued, waker)
    }

    /// [`poll_recv`](Channel::poll_recv)'s general case, under the lock `inner`
    /// already holds, for a receive in no queue.
    #[inline(never)]
    fn poll_recv_contended(
        &self,
        mut inner: MutexGuard<'_, Inner<T>>,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<T, RecvFailure>> {
        let mut nudged = None;
        match Self::meet_sender(&mut inner, None, &mut nudged) {
            Step::Done(result) => {
                drop(inner);
                wake(nudged);
                return Poll::Ready(result);
            }
            Step::Exchange => unreachable!("an async party is never a partner"),
            Step::Alone => {}
        }
        if nudged.is_none() && inner.disconnected {
            return Poll::Ready(Err(RecvFailure::Disconnected));
        }
        Self::queue_recv(&mut inner, me, queued, waker);
        drop(inner);
        wake(nudged);
        Poll::Pending
    }

    /// Cleans up after an async receive that is dropped. A nudge it was given goes to
    /// the next receiver.
    pub(crate) fn cancel_recv(&self, me: &Waiter<T>, queued: &Cell<bool>) {
        if !queued.replace(false) {
            return;
        }
        match me.party.cancel() {
            Outcome::Aborted => {
                lock(&self.inner).receivers.remove(&me.party, 0);
            }
            Outcome::Done(_) => {
                debug_assert!(me.party.partner().is_null(), "a task was given a partner");
                self.pass_on_nudge(Side::Recv);
            }
        }
    }
}
