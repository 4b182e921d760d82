//! The rendezvous side of select: claiming a waiting counterpart under the lock and
//! finishing it outside (`Token::Claimed`), a select's own entries, exchanges with a
//! partner, and giving claims back. See `crate::select` for the engine.

use super::{
    Channel, EXCHANGED, RETRY, Step, await_exchange, claimed_slot, complete_partner, take_own, wake,
};
use crate::flavors::{RecvFailure, SendFailure, Side};
use crate::party::{Party, Until};
use crate::select::Witness;
use crate::select::token::Token;
use crate::sync::lock;
use crate::waitq::{Entry, Slot, Waiter};
use std::ptr::{self, NonNull};

impl<T> Channel<T> {
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
                    task: entry.is_task(),
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

    /// The arm's witness for a select that may not wait (`crate::select::Witness`):
    /// how many entries have ever entered the other side's queue, and the
    /// disconnection, read under the lock. An arm becomes ready only when a
    /// counterpart enters that queue or the channel is disconnected.
    pub(crate) fn witness(&self, side: Side) -> Witness {
        let inner = lock(&self.inner);
        let theirs = match side {
            Side::Send => &inner.receivers,
            Side::Recv => &inner.senders,
        };
        Witness::Counts(theirs.arrivals(), usize::from(inner.disconnected), 0)
    }

    /// Registers a select's `party` on `arm`, on `side`. Returns whether a counterpart
    /// (other than the select itself) already waits, or the channel is disconnected:
    /// then the select must not sleep, but retry.
    pub(crate) fn register(&self, party: &Party, arm: usize, side: Side) -> bool {
        self.register_entry(party, side, Entry::notify(party, arm))
    }

    /// As [`register`](Channel::register), for an async select's receive arm: its
    /// entry says it is a task's, which a blocked thread must not wait on.
    pub(crate) fn register_task(&self, party: &Party, arm: usize, side: Side) -> bool {
        self.register_entry(party, side, Entry::notify_task(party, arm))
    }

    fn register_entry(&self, party: &Party, side: Side, entry: Entry<T>) -> bool {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return true;
        }
        let ready = match side {
            Side::Send => inner.receivers.has_other_than(party),
            Side::Recv => inner.senders.has_other_than(party),
        };
        inner.enqueue(side, entry);
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
        inner.queue(side).push_watcher(Entry::watch(party, arm));
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

    /// Completes a select's receive arm; `until` is the select's deadline, which bounds
    /// a fallback receive if a chosen sender gave the exchange up.
    ///
    /// # Safety
    /// `token` came from this channel's [`try_claim`](Channel::try_claim) with
    /// `Side::Recv` or its [`accept`](Channel::accept) on a receive arm, and was not
    /// used before.
    pub(crate) unsafe fn finish_recv(&self, token: Token, until: Until) -> Result<T, RecvFailure> {
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
                    // The select gave the exchange up: receive from whoever comes,
                    // within this select's own deadline.
                    self.recv(until)
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
    pub(crate) unsafe fn finish_send(
        &self,
        token: Token,
        value: T,
        until: Until,
    ) -> Result<(), SendFailure<T>> {
        match token {
            Token::Claimed {
                party, slot, task, ..
            } => {
                // SAFETY: a claimed party stays alive until we finish it (crate::party).
                let party = unsafe { party.as_ref() };
                // SAFETY: the claim keeps the blocked party, and the slot beside it, alive.
                if let Some(slot) = unsafe { claimed_slot::<T>(slot) } {
                    // SAFETY: the claim gives us the blocked receiver's slot.
                    unsafe { slot.put(value) };
                    wake(party.finish());
                    return Ok(());
                }
                if task {
                    // A task's receive, which may not be polled again for a long time:
                    // never wait on it as its partner. Nudge it (finished without a
                    // partner, it looks again when polled) and send as a blocked thread
                    // does, within this select's deadline: from the queue, the task
                    // (or any receiver) takes the value.
                    wake(party.finish());
                    return self.send(value, until);
                }
                // A thread's select receive arm: it takes the value from our waiter.
                let me = Waiter::new(Some(value));
                party.set_partner(me.as_partner());
                wake(party.finish());
                if await_exchange(&me) {
                    Ok(())
                } else {
                    // The receiving select gave the exchange up: send to whoever
                    // comes, within this select's own deadline.
                    self.send(take_own(&me), until)
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
            Token::Claimed {
                party,
                slot,
                arm,
                task,
            } => {
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
                    None if task => Entry::notify_task(party_ref, arm),
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

    /// Nudges the oldest notify entry on `side` if a counterpart waits on the other:
    /// a dropped async party was nudged for that counterpart, and the nudge must not
    /// be lost with it. Direct entries stay where they are: completing one means its
    /// value moved, or the channel is gone.
    pub(super) fn pass_on_nudge(&self, side: Side) {
        let mut inner = lock(&self.inner);
        let theirs_waiting = match side {
            Side::Recv => inner.senders.has_counterpart(),
            Side::Send => inner.receivers.has_counterpart(),
        };
        if !theirs_waiting {
            return;
        }
        let mut nudged = None;
        while let Some(entry) = inner.queue(side).pop_notify() {
            // SAFETY: we hold the lock of the queue that held the entry.
            if let Some(waker) = unsafe { entry.party() }.try_complete(entry.arm()) {
                nudged = waker;
                break;
            }
        }
        drop(inner);
        wake(nudged);
    }

    /// For an async select's receive arm: claims a direct entry (a blocked thread, an
    /// async send), served first wherever it waits (see `meet_receiver`), and never a
    /// notify entry (a select's send arm), which would need the select as its partner:
    /// that one is nudged, and will meet the select once the select is registered.
    pub(crate) fn try_recv_async(&self) -> Option<Token> {
        let mut inner = lock(&self.inner);
        while let Some(entry) = inner.senders.pop_direct() {
            // SAFETY: we hold the lock of the queue that held the entry.
            let (party, slot) = unsafe { (entry.party(), entry.slot()) };
            if party.claim(entry.arm()) {
                return Some(Token::Claimed {
                    party: NonNull::from(party),
                    slot: slot.map_or(ptr::null(), |slot| (slot as *const Slot<T>).cast()),
                    arm: entry.arm(),
                    task: entry.is_task(),
                });
            }
        }
        let mut nudged = None;
        while let Some(entry) = inner.senders.pop_notify() {
            // SAFETY: we hold the lock of the queue that held the entry.
            if let Some(waker) = unsafe { entry.party() }.try_complete(entry.arm()) {
                nudged = waker;
                break;
            }
        }
        let found = (nudged.is_none() && inner.disconnected).then_some(Token::Disconnected);
        drop(inner);
        wake(nudged);
        found
    }

    /// For an async select's send arm, whose value waits in `stash` (the select's own,
    /// in no queue): gives it to a blocked receiver if one waits anywhere in the queue
    /// (`Token::Sent`: the value is gone). Otherwise nudges a notify receiver (an async
    /// receive, a select), which will take the value from the select's direct entry
    /// once it is registered ([`register_send_async`](Channel::register_send_async)).
    pub(crate) fn try_send_async(&self, stash: &Slot<T>) -> Option<Token> {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return Some(Token::Disconnected);
        }
        let mut woken = None;
        let found = match Self::meet_receiver(&mut inner, stash, None, true, &mut woken) {
            Step::Done(_) => Some(Token::Sent),
            Step::Alone => None,
            Step::Exchange => unreachable!("an async select is never a partner"),
        };
        drop(inner);
        wake(woken);
        found
    }

    /// Registers an async select's send arm as a direct entry holding its value in
    /// `stash`, as an async send waits: any receiver may take the value and complete
    /// the select on `arm`. Returns whether a receiver (other than the select itself)
    /// already waits, or the channel is disconnected: then the select must retry.
    pub(crate) fn register_send_async(&self, party: &Party, arm: usize, stash: &Slot<T>) -> bool {
        let mut inner = lock(&self.inner);
        if inner.disconnected {
            return true;
        }
        let ready = inner.receivers.has_other_than(party);
        inner.enqueue(Side::Send, Entry::direct(party, stash, arm));
        ready
    }

    /// For an async select completed on a send arm registered by
    /// [`register_send_async`](Channel::register_send_async), once it has unregistered
    /// everything: `Token::Sent` if a receiver took the value from `stash`, the
    /// disconnection if that is what completed it, else `None` (look again).
    pub(crate) fn accept_send_async(&self, stash: &Slot<T>) -> Option<Token> {
        // SAFETY: the select is done and its entries are gone, so nobody else reaches
        // its stash.
        if !unsafe { stash.is_filled() } {
            return Some(Token::Sent);
        }
        lock(&self.inner)
            .disconnected
            .then_some(Token::Disconnected)
    }

    /// For an async select dropped after being completed on an arm of this channel.
    pub(crate) fn forgo(&self, party: &Party, side: Side) {
        // No thread waits on a task as its partner (`meet_receiver`, `finish_send`):
        // this was a nudge, or the disconnection. Pass a nudge on.
        debug_assert!(party.partner().is_null(), "a task was given a partner");
        self.pass_on_nudge(side);
    }
}
