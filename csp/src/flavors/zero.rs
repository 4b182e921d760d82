//! Rendezvous channels (`bounded(0)`): a value passes straight from a sender to a
//! receiver; neither completes without the other.
//!
//! # Invariants (under `inner`'s lock)
//! - `senders` and `receivers` hold two kinds of entries: *direct* entries of blocked
//!   plain operations, whose slot holds the sender's value or awaits the receiver's,
//!   and *notify* entries of selects, which learn their value (or where to put it) only
//!   once they have chosen the arm.
//! - Every entry in a queue belongs to a live party (see [`crate::party`]).
//! - The party that arrives second acts. A plain operation finding a direct entry moves
//!   the value through its slot and completes it, under the lock, then wakes it after
//!   unlocking; the woken party never needs the lock again. Finding a select's entry,
//!   it claims the select, leaves it its own [`Waiter`] as partner and waits for the
//!   select to move the value and complete the waiter.
//! - A select that finds an entry claims it under the lock and finishes it later,
//!   outside the lock ([`Token::Claimed`]), or gives it back at the front of its queue.
//! - A waiter completed on [`RETRY`] goes back to the start: its select counterpart
//!   gave up the exchange (its message expression panicked).
//! - Once `disconnected` is set, both queues are empty and stay empty.

use super::{RecvFailure, SendFailure, Side};
use crate::party::{Outcome, Party, Until};
use crate::select::token::Token;
use crate::sync::{Mutex, lock};
use crate::waitq::{Entry, Slot, WaitQueue, Waiter};
use crate::waker::current_thread_waker;
use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::task::{Poll, Waker};

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
}

/// How a plain operation's attempt under the lock ended.
enum Step<R> {
    /// Finished with this result.
    Done(R),
    /// Gave its waiter to a select as partner: wait for the exchange, then act on it.
    Exchange,
    /// Nobody to meet: the lock is still held, so the caller may register.
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
    pub(crate) fn send(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        let me = Waiter::new(Some(value));
        loop {
            let mut inner = lock(&self.inner);
            let mut wakers = None;
            let step = if inner.disconnected {
                Step::Done(Err(SendFailure::Disconnected(take_own(&me))))
            } else {
                Self::meet_receiver(&mut inner, &me, &mut wakers)
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
                    continue;
                }
                Step::Alone if until == Until::Now => {
                    return Err(SendFailure::NotReady(take_own(&me)));
                }
                Step::Alone => {}
            }
            inner.senders.push(Entry::direct(&me.party, &me.slot, 0));
            drop(inner);
            return match me.party.wait(until, current_thread_waker) {
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
                    Err(SendFailure::NotReady(take_own(&me)))
                }
            };
        }
    }

    /// Offers the value in `me` to the oldest receiver that can still be completed.
    fn meet_receiver(
        inner: &mut Inner<T>,
        me: &Waiter<T>,
        woken: &mut Option<Waker>,
    ) -> Step<Result<(), SendFailure<T>>> {
        while let Some(entry) = inner.receivers.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match slot {
                Some(slot) => {
                    // Write first, then complete: once DONE is published the owner may
                    // read the slot and return, so the value must already be there.
                    // SAFETY: the lock gives us the receiver's slot; our own slot is in
                    // no queue.
                    unsafe { slot.put(take_own(me)) };
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        *woken = waker;
                        return Step::Done(Ok(()));
                    }
                    // The party ended elsewhere (a timeout): take the value back and
                    // drop the stale entry.
                    // SAFETY: as above; the party did not complete on this arm.
                    unsafe { me.slot.put(slot.take().expect("the value just written")) };
                }
                None => {
                    if party.claim(entry.arm()) {
                        party.set_partner(me.as_partner());
                        *woken = party.finish();
                        return Step::Exchange;
                    }
                }
            }
        }
        Step::Alone
    }

    /// Receives a value, waiting for a sender until `until`.
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        let me = Waiter::new(None);
        loop {
            let mut inner = lock(&self.inner);
            let mut wakers = None;
            let step = match Self::meet_sender(&mut inner, &me, &mut wakers) {
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
                    continue;
                }
                Step::Alone if until == Until::Now => return Err(RecvFailure::NotReady),
                Step::Alone => {}
            }
            inner.receivers.push(Entry::direct(&me.party, &me.slot, 0));
            drop(inner);
            return match me.party.wait(until, current_thread_waker) {
                // SAFETY: as in `send`: the party is done, its entry gone, its slot ours.
                Outcome::Done(_) => unsafe { me.slot.take() }.ok_or(RecvFailure::Disconnected),
                Outcome::Aborted => {
                    lock(&self.inner).receivers.remove(&me.party, 0);
                    // SAFETY: as in `send`; a counterpart that wrote speculatively and
                    // lost the race took its value back before unlocking.
                    debug_assert!(unsafe { me.slot.take() }.is_none());
                    Err(RecvFailure::NotReady)
                }
            };
        }
    }

    /// Takes the value of the oldest sender that can still be completed, into `me`'s
    /// slot or straight into the result.
    fn meet_sender(
        inner: &mut Inner<T>,
        me: &Waiter<T>,
        woken: &mut Option<Waker>,
    ) -> Step<Result<T, RecvFailure>> {
        while let Some(entry) = inner.senders.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match slot {
                Some(slot) => {
                    // Take first, then complete: once DONE is published the owner may
                    // return and free the slot.
                    // SAFETY: we hold the lock of the queue that held the entry.
                    let value = unsafe { slot.take() }.expect("a waiting sender holds its value");
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        *woken = waker;
                        return Step::Done(Ok(value));
                    }
                    // SAFETY: as above; the party ended elsewhere, so put the value back.
                    unsafe { slot.put(value) };
                }
                None => {
                    if party.claim(entry.arm()) {
                        party.set_partner(me.as_partner());
                        *woken = party.finish();
                        return Step::Exchange;
                    }
                }
            }
        }
        Step::Alone
    }

    /// Marks the channel disconnected and completes every waiting party, so each sees
    /// the disconnection: a sender gets its value back, a receiver gets nothing, a
    /// select finds no partner.
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

    /// For a select: claims the oldest counterpart waiting on the other side of `side`.
    /// Returns `None` if there is none and the channel is connected.
    pub(crate) fn try_claim(&self, side: Side) -> Option<Token> {
        let mut inner = lock(&self.inner);
        let theirs = match side {
            Side::Send => &mut inner.receivers,
            Side::Recv => &mut inner.senders,
        };
        while let Some(entry) = theirs.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            if party.claim(entry.arm()) {
                return Some(Token::Claimed {
                    party: NonNull::from(party),
                    slot: slot.map_or(ptr::null(), |slot| (slot as *const Slot<T>).cast()),
                    arm: entry.arm(),
                });
            }
        }
        inner.disconnected.then_some(Token::Disconnected)
    }

    /// Whether a select arm on `side` would find a counterpart or the disconnection.
    pub(crate) fn is_ready(&self, side: Side) -> bool {
        let inner = lock(&self.inner);
        let theirs = match side {
            Side::Send => &inner.receivers,
            Side::Recv => &inner.senders,
        };
        inner.disconnected || theirs.has_counterpart()
    }

    /// Registers a select's `party` on `arm`, on `side`. Returns whether a counterpart
    /// (other than the select itself) already waits, or the channel is disconnected:
    /// then the select must not sleep, but retry.
    pub(crate) fn register(&self, party: &Party, arm: usize, side: Side) -> bool {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return true;
        }
        let ready = match side {
            Side::Send => inner.receivers.has_other_than(party),
            Side::Recv => inner.senders.has_other_than(party),
        };
        inner.queue(side).push(Entry::notify(party, arm));
        ready
    }

    /// Registers a watcher (`Select::ready`) on `side`: it is woken by the next
    /// counterpart to arrive on the other side, which passes over it. Returns whether
    /// a counterpart already waits, or the channel is disconnected.
    pub(crate) fn watch(&self, party: &Party, arm: usize, side: Side) -> bool {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return true;
        }
        let ready = match side {
            Side::Send => inner.receivers.has_other_than(party),
            Side::Recv => inner.senders.has_other_than(party),
        };
        inner.queue(side).push(Entry::watch(party, arm));
        ready
    }

    /// Removes a select's entry, if no counterpart has.
    pub(crate) fn unregister(&self, party: &Party, arm: usize, side: Side) {
        lock(&self.inner).queue(side).remove(party, arm);
    }

    /// For a select completed on one of this channel's arms: the partner it must
    /// exchange with, or the disconnection. `None` if it was only *nudged*: an async
    /// counterpart, which cannot be a partner, queued itself and asks it to retry.
    pub(crate) fn accept(&self, party: &Party) -> Option<Token> {
        let partner = party.partner();
        if !partner.is_null() {
            Some(Token::Partner(partner))
        } else if lock(&self.inner).disconnected {
            Some(Token::Disconnected)
        } else {
            None
        }
    }

    /// Completes a select's receive arm.
    ///
    /// # Safety
    /// `token` came from this channel's [`try_claim`](Channel::try_claim) with
    /// `Side::Recv` or its [`accept`](Channel::accept) on a receive arm, and was not
    /// used before.
    pub(crate) unsafe fn finish_recv(&self, token: Token) -> Result<T, RecvFailure> {
        match token {
            Token::Claimed { party, slot, .. } => {
                // SAFETY: a claimed party stays alive until we finish it (crate::party).
                let party = unsafe { party.as_ref() };
                // SAFETY: the claim keeps the blocked party, and the slot beside it, alive.
                if let Some(slot) = unsafe { claimed_slot::<T>(slot) } {
                    // SAFETY: the claim gives us the blocked sender's slot.
                    let value = unsafe { slot.take() }.expect("a waiting sender holds its value");
                    wake(party.finish());
                    return Ok(value);
                }
                // A select's send arm: it moves its value into our waiter.
                let me = Waiter::new(None);
                party.set_partner(me.as_partner());
                wake(party.finish());
                if await_exchange(&me) {
                    Ok(take_own(&me))
                } else {
                    self.recv(Until::Forever)
                }
            }
            Token::Partner(partner) => {
                // SAFETY: the partner is a `Waiter<T>` of this channel, waiting (without
                // a deadline) until we complete it.
                let partner = unsafe { &*partner.cast::<Waiter<T>>() };
                // SAFETY: the partner handed its slot to us and waits.
                let value =
                    unsafe { partner.slot.take() }.expect("a sending partner holds its value");
                complete_partner(partner, EXCHANGED);
                Ok(value)
            }
            Token::Disconnected => Err(RecvFailure::Disconnected),
            _ => unreachable!("a rendezvous select arm holds a rendezvous token"),
        }
    }

    /// Completes a select's send arm with `value`.
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv), with `Side::Send`.
    pub(crate) unsafe fn finish_send(&self, token: Token, value: T) -> Result<(), SendFailure<T>> {
        match token {
            Token::Claimed { party, slot, .. } => {
                // SAFETY: a claimed party stays alive until we finish it (crate::party).
                let party = unsafe { party.as_ref() };
                // SAFETY: the claim keeps the blocked party, and the slot beside it, alive.
                if let Some(slot) = unsafe { claimed_slot::<T>(slot) } {
                    // SAFETY: the claim gives us the blocked receiver's slot.
                    unsafe { slot.put(value) };
                    wake(party.finish());
                    return Ok(());
                }
                // A select's receive arm: it takes the value from our waiter.
                let me = Waiter::new(Some(value));
                party.set_partner(me.as_partner());
                wake(party.finish());
                if await_exchange(&me) {
                    Ok(())
                } else {
                    self.send(take_own(&me), Until::Forever)
                }
            }
            Token::Partner(partner) => {
                // SAFETY: as in `finish_recv`.
                let partner = unsafe { &*partner.cast::<Waiter<T>>() };
                // SAFETY: the partner handed its slot to us and waits.
                unsafe { partner.slot.put(value) };
                complete_partner(partner, EXCHANGED);
                Ok(())
            }
            Token::Disconnected => Err(SendFailure::Disconnected(value)),
            _ => unreachable!("a rendezvous select arm holds a rendezvous token"),
        }
    }

    /// Gives back a claim that will not be completed, leaving the counterpart as if
    /// it had never been chosen.
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv); `side` is the select arm's.
    pub(crate) unsafe fn release(&self, token: Token, side: Side) {
        match token {
            Token::Claimed { party, slot, arm } => {
                // SAFETY: a claimed party stays alive until we finish or unclaim it.
                let party_ref = unsafe { party.as_ref() };
                let mut inner = lock(&self.inner);
                if inner.disconnected {
                    drop(inner);
                    wake(party_ref.finish());
                    return;
                }
                // SAFETY: as above.
                let entry = match unsafe { claimed_slot::<T>(slot) } {
                    Some(slot) => Entry::direct(party_ref, slot, arm),
                    None => Entry::notify(party_ref, arm),
                };
                let theirs = match side {
                    Side::Send => &mut inner.receivers,
                    Side::Recv => &mut inner.senders,
                };
                theirs.push_front(entry);
                let waker = party_ref.unclaim();
                drop(inner);
                wake(waker);
            }
            Token::Partner(partner) => {
                // SAFETY: as in `finish_recv`.
                let partner = unsafe { &*partner.cast::<Waiter<T>>() };
                complete_partner(partner, RETRY);
            }
            _ => {}
        }
    }
}

/// Async operations. An async party can be dropped at any await point, so it must
/// never be a partner (a pointer another party keeps outside the lock), and a value
/// must never be pushed into its slot: it always waits as an entry in a queue, and
/// the value moves only while the receiving side runs.
/// - An async send waits as a *direct* entry holding its value: a receiver takes it.
/// - An async receive waits as a *notify* entry: a blocked thread that sends claims
///   it and leaves its waiter as partner, which the receive takes from when polled.
/// - Meeting a select's notify entry, which it cannot exchange with, an async party
///   queues itself and *nudges* the select (completes it without partner), and the
///   select retries and meets the queued entry.
impl<T> Channel<T> {
    /// Polls an async send whose value is in `me`'s slot; `queued` says whether `me`
    /// is in `senders`.
    pub(crate) fn poll_send(
        &self,
        me: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        if queued.get() {
            let Poll::Ready(_) = me.party.poll(waker) else {
                return Poll::Pending;
            };
            queued.set(false);
            // SAFETY: the party is done: its completer removed the entry and let go.
            return Poll::Ready(match unsafe { me.slot.take() } {
                None => Ok(()),
                Some(value) => Err(SendFailure::Disconnected(value)),
            });
        }
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return Poll::Ready(Err(SendFailure::Disconnected(take_own(me))));
        }
        let mut nudged = None;
        while let Some(entry) = inner.receivers.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match slot {
                Some(slot) => {
                    // SAFETY: as in `meet_receiver`.
                    unsafe { slot.put(take_own(me)) };
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        drop(inner);
                        wake(waker);
                        return Poll::Ready(Ok(()));
                    }
                    // SAFETY: as in `meet_receiver`.
                    unsafe { me.slot.put(slot.take().expect("the value just written")) };
                }
                None => {
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        nudged = waker;
                        break;
                    }
                }
            }
        }
        me.party.reset();
        me.party.sleep_with(waker);
        inner.senders.push(Entry::direct(&me.party, &me.slot, 0));
        queued.set(true);
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
            if let Some(value) = Self::take_from_partner(me) {
                return Poll::Ready(Ok(value));
            }
            // Nudged, or disconnected: look again.
        }
        let mut inner = lock(&self.inner);
        let mut nudged = None;
        while let Some(entry) = inner.senders.pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match slot {
                Some(slot) => {
                    // SAFETY: as in `meet_sender`.
                    let value = unsafe { slot.take() }.expect("a waiting sender holds its value");
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        drop(inner);
                        wake(waker);
                        return Poll::Ready(Ok(value));
                    }
                    // SAFETY: as in `meet_sender`.
                    unsafe { slot.put(value) };
                }
                None => {
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        nudged = waker;
                        break;
                    }
                }
            }
        }
        if nudged.is_none() && inner.disconnected {
            return Poll::Ready(Err(RecvFailure::Disconnected));
        }
        me.party.reset();
        me.party.sleep_with(waker);
        inner.receivers.push(Entry::notify(&me.party, 0));
        queued.set(true);
        drop(inner);
        wake(nudged);
        Poll::Pending
    }

    /// After a queued async receive was completed: takes the value from the partner
    /// a sending thread left, and completes that partner. `None` if there was none.
    fn take_from_partner(me: &Waiter<T>) -> Option<T> {
        let partner = me.party.partner();
        // SAFETY: a non-null partner is the `Waiter<T>` of a blocked thread of this
        // channel, which waits (without deadline) until we complete it.
        let partner = unsafe { partner.cast::<Waiter<T>>().as_ref() }?;
        // SAFETY: the partner handed its slot to us and waits.
        let value = unsafe { partner.slot.take() }.expect("a sending partner holds its value");
        complete_partner(partner, EXCHANGED);
        Some(value)
    }

    /// Cleans up after an async receive that is dropped. A partner it was given keeps
    /// its value and starts over; a nudge it was given goes to the next receiver.
    pub(crate) fn cancel_recv(&self, me: &Waiter<T>, queued: &Cell<bool>) {
        if !queued.replace(false) {
            return;
        }
        match me.party.cancel() {
            Outcome::Aborted => {
                lock(&self.inner).receivers.remove(&me.party, 0);
            }
            Outcome::Done(_) => {
                let partner = me.party.partner();
                // SAFETY: as in `take_from_partner`.
                if let Some(partner) = unsafe { partner.cast::<Waiter<T>>().as_ref() } {
                    complete_partner(partner, RETRY);
                } else {
                    self.pass_on_nudge(Side::Recv);
                }
            }
        }
    }

    /// Nudges the oldest notify entry on `side` if a counterpart waits on the other:
    /// a dropped async party was nudged for that counterpart, and the nudge must not
    /// be lost with it.
    fn pass_on_nudge(&self, side: Side) {
        let mut inner = lock(&self.inner);
        let theirs_waiting = match side {
            Side::Recv => inner.senders.has_counterpart(),
            Side::Send => inner.receivers.has_counterpart(),
        };
        if !theirs_waiting {
            return;
        }
        let mut nudged = None;
        while let Some(entry) = inner.queue(side).pop_counterpart() {
            // SAFETY: we hold the lock of the queue that held the entry.
            if let Some(waker) = unsafe { entry.party() }.try_complete(entry.arm()) {
                nudged = waker;
                break;
            }
        }
        drop(inner);
        wake(nudged);
    }

    /// For an async select's arm on `side`: claims a direct entry on the other side
    /// (a blocked thread or an async send), and never a notify entry, which would need
    /// the select as its partner. A receive arm nudges such an entry (it will meet the
    /// select once registered); a send arm commits to it: the value is then sent as
    /// an async send, which nudges it and waits for it.
    pub(crate) fn try_claim_async(&self, side: Side) -> Option<Token> {
        let mut inner = lock(&self.inner);
        let mut nudged = None;
        let found = loop {
            let theirs = match side {
                Side::Send => &mut inner.receivers,
                Side::Recv => &mut inner.senders,
            };
            let Some(entry) = theirs.pop_counterpart() else {
                break inner.disconnected.then_some(Token::Disconnected);
            };
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            match (slot, side) {
                (Some(slot), _) => {
                    if party.claim(entry.arm()) {
                        break Some(Token::Claimed {
                            party: NonNull::from(party),
                            slot: (slot as *const Slot<T>).cast(),
                            arm: entry.arm(),
                        });
                    }
                }
                (None, Side::Send) => {
                    theirs.push_front(entry);
                    break Some(Token::CommitSend);
                }
                (None, Side::Recv) => {
                    if let Some(waker) = party.try_complete(entry.arm()) {
                        nudged = waker;
                        break None;
                    }
                }
            }
        };
        drop(inner);
        wake(nudged);
        found
    }

    /// For an async select dropped after being completed on an arm of this channel.
    pub(crate) fn forgo(&self, party: &Party, side: Side) {
        let partner = party.partner();
        // SAFETY: a non-null partner is the waiting `Waiter<T>` of a blocked thread.
        match unsafe { partner.cast::<Waiter<T>>().as_ref() } {
            Some(partner) => complete_partner(partner, RETRY),
            None => self.pass_on_nudge(side),
        }
    }
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
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}
