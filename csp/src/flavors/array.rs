//! Buffered channels (`bounded(cap)` with `cap > 0`): a fixed ring of slots that any
//! number of senders and receivers claim with one compare-and-swap each, and notify
//! lists for those who must wait for room or for a value.
//!
//! # The ring
//! `head` and `tail` each pack a *lap* count and an *index* into the ring:
//! `lap * one_lap + index`, with `one_lap` a power of two above `cap`, so the bits
//! between `cap` and `one_lap` are free; the lowest of them, `mark_bit`, set in `tail`,
//! means disconnected. Every slot has a `stamp`:
//! - `stamp == tail` (same lap and index): the slot is free for the sender at `tail`;
//! - `stamp == head + 1`: the slot holds a value for the receiver at `head`.
//!
//! - `stamp == pos | mark_bit`: a select holds the slot it claimed at `pos` (to send
//!   into or to receive from) and will complete or give back its claim later, when
//!   user code allows: possibly never, or on this very thread. Others report "not
//!   ready" for such a slot at once, and those that wait sleep until the hold ends
//!   (`crate::notify`, "Holds"): every completion and give-back of a select's claim
//!   wakes whoever the hold blocked. A plain operation's claim carries no mark: it
//!   completes in a few instructions, so others wait for it.
//!
//! A sender claims the slot at `tail` by advancing `tail`, writes the value, then
//! stores `stamp = tail + 1` (Release): the value is published. A receiver claims the
//! slot at `head` by advancing `head`, reads the value, then stores
//! `stamp = head + one_lap` (Release): the slot is free for the next lap. Claiming is
//! the only contended step; the value itself is never touched by two parties at once.
//!
//! Waiting uses [`NotifyList`]s; see that module for why no wake-up is lost.
//!
//! # Hand-off
//! A blocked thread sleeps with a slot of its own: a sender's holds its value, a
//! receiver's is empty. A receive that frees a slot while such a sender is the oldest
//! waiter sends that value into the ring for it ([`read`](Channel::read)), as Go's
//! `chan.go` moves a blocked sender's value into the slot its receive freed; a send
//! that publishes a value while such a receiver is the oldest waiter receives the
//! oldest value for it ([`write`](Channel::write)). The thread wakes with its
//! operation done, and on one CPU the notifier goes on without a switch (at capacity
//! 1, a sender's switch to its receiver and back moves three values instead of one). The ring stays lock-free and its
//! order stays the ring's: the proxy operation goes through the same claims as any
//! ([`push_for_waiter`](Channel::push_for_waiter),
//! [`pop_for_waiter`](Channel::pop_for_waiter)), so it may find the room or the value
//! taken by a thread that came meanwhile, or a select's hold in the way; then the
//! waiter's slot stays as it was and the waiter retries, as after any notification
//! (`crate::notify`, "Hand-off"). Async operations and selects keep plain notify
//! entries: a task's value stays in its future.

use super::{RecvFailure, SendFailure, Side};
use crate::backoff::Backoff;
use crate::notify::{Look, NotifyList};
use crate::padded::CachePadded;
use crate::party::{Party, Until};
use crate::select::Witness;
use crate::select::token::Token;
use crate::sync::{AtomicBool, AtomicUsize, Ordering, UnsafeCell};
use crate::waitq::Slot as WaitSlot;
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::task::{Poll, Waker};

/// The most room a spinning sender waits for ([`Channel::room_batch`]).
const ROOM_BATCH_MAX: usize = 128;

/// One place in the ring.
#[derive(Debug)]
struct Slot<T> {
    /// Which lap's sender or receiver may use the slot next (module docs).
    stamp: AtomicUsize,
    /// Initialized exactly when `stamp` says the slot holds a value.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A buffered channel's shared state.
#[derive(Debug)]
pub(crate) struct Channel<T> {
    /// Where the next receiver takes from.
    head: CachePadded<AtomicUsize>,
    /// Where the next sender writes to, and the disconnection mark.
    tail: CachePadded<AtomicUsize>,
    buffer: Box<[Slot<T>]>,
    cap: usize,
    one_lap: usize,
    mark_bit: usize,
    /// Senders waiting for room.
    senders: NotifyList<T>,
    /// Receivers waiting for a value.
    receivers: NotifyList<T>,
    /// Set after the disconnection mark, never cleared: a copy of it that receivers
    /// can read without taking `tail`'s cache line from the senders (a glance,
    /// [`Look::Glance`]). Only a hint; the mark in `tail` is what counts.
    disconnected: AtomicBool,
    /// Holes in the ring ([`abandon`](Channel::abandon)) that no receiver has skipped
    /// yet: made before the hole's stamp is stored, unmade after a receiver frees its
    /// slot. Only [`len`](Channel::len) reads it, to know when it must look for them.
    holes: AtomicUsize,
}

/// What the inline first try of a send or receive saw when it failed
/// ([`claim_tail`](Channel::claim_tail), [`claim_head`](Channel::claim_head)).
enum Glanced {
    /// The ring seemed full (to a sender) or empty (to a receiver): what a glance
    /// ([`Look::Glance`]) reports as not ready, which a wait may start on.
    NotReady,
    /// Anything else: a rival won the claim, a hold or a disconnection, a stale index.
    Unsure,
}

/// Why an attempt that does not wait failed.
enum Attempt {
    NotReady,
    Disconnected,
}

impl<T> Channel<T> {
    /// A channel buffering up to `cap` values; `cap` must be positive.
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "a buffered channel needs a positive capacity");
        // The ring is allocated up front, and its indices need two spare bits.
        let max = (isize::MAX as usize / std::mem::size_of::<Slot<T>>()).min(usize::MAX >> 2);
        assert!(
            cap <= max,
            "csp_channel::bounded: capacity {cap} is too large (at most {max} for this type; the \
             buffer is allocated up front)"
        );
        let mark_bit = (cap + 1).next_power_of_two();
        let one_lap = mark_bit * 2;
        let buffer = (0..cap)
            .map(|index| Slot {
                stamp: AtomicUsize::new(index),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Self {
            head: CachePadded(AtomicUsize::new(0)),
            tail: CachePadded(AtomicUsize::new(0)),
            buffer,
            cap,
            one_lap,
            mark_bit,
            senders: NotifyList::new(),
            receivers: NotifyList::new(),
            disconnected: AtomicBool::new(false),
            holes: AtomicUsize::new(0),
        }
    }

    /// The stamp of a slot a select holds, claimed at `pos` (module docs). Distinct
    /// from every other stamp: plain ones have no mark, and a hole's is `pos + 1`.
    fn held(&self, pos: usize) -> usize {
        pos | self.mark_bit
    }

    /// The position after `pos`: the next index, or index 0 of the next lap.
    fn next(&self, pos: usize) -> usize {
        let index = pos & (self.mark_bit - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Claims the slot at `tail` for a value to come, without waiting: the first half
    /// of a send, finished by [`write`](Channel::write) or [`abandon`](Channel::abandon).
    /// `look` says how closely to look at a ring that seems full ([`Look`]).
    #[inline]
    fn start_send(&self, look: Look) -> Result<(&Slot<T>, usize), Attempt> {
        match self.claim_tail() {
            Ok(claim) => Ok(claim),
            Err(_) => self.start_send_slow(look),
        }
    }

    /// [`start_send`](Channel::start_send)'s common case, inline: the slot at `tail`
    /// is free and no sender races us. An error says only that this one try failed,
    /// and whether it glanced a full ring ([`Glanced`]).
    #[inline(always)]
    fn claim_tail(&self) -> Result<(&Slot<T>, usize), Glanced> {
        let tail = self.tail.load(Ordering::Acquire);
        if tail & self.mark_bit == 0 {
            let slot = &self.buffer[tail & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                if self
                    .tail
                    .compare_exchange(tail, self.next(tail), Ordering::SeqCst, Ordering::Acquire)
                    .is_ok()
                {
                    return Ok((slot, tail));
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // Last lap's value is still there: what `start_send_slow` reports as
                // full on a glance, before it reads `head`.
                return Err(Glanced::NotReady);
            }
        }
        Err(Glanced::Unsure)
    }

    /// [`start_send`](Channel::start_send) past its first try: the ring is full or
    /// disconnected, or other senders race us.
    #[inline(never)]
    fn start_send_slow(&self, look: Look) -> Result<(&Slot<T>, usize), Attempt> {
        // Made only when a retry needs it: the common way here (a full ring, one
        // look) returns at once, and would set it up for nothing.
        let mut backoff = None;
        let mut tail = self.tail.load(Ordering::Acquire);
        loop {
            if tail & self.mark_bit != 0 {
                return Err(Attempt::Disconnected);
            }
            let slot = &self.buffer[tail & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Acquire,
                ) {
                    // Winning the CAS at `tail` while `stamp == tail` makes this sender
                    // the slot's only user until it stores the stamp.
                    Ok(_) => return Ok((slot, tail)),
                    Err(now) => {
                        tail = now;
                        backoff.get_or_insert_with(Backoff::new).spin();
                    }
                }
            } else if (stamp & !self.mark_bit).wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's value (or hole): full, unless a
                // receiver has already claimed it; then it is reading the value and
                // frees the slot in a few instructions.
                if look == Look::Glance {
                    return Err(Attempt::NotReady);
                }
                let head = self.head.load(Ordering::SeqCst);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(Attempt::NotReady);
                }
                backoff.get_or_insert_with(Backoff::new).snooze();
                tail = self.tail.load(Ordering::Acquire);
            } else if stamp == self.held(tail.wrapping_sub(self.one_lap)) {
                // Last lap's value, claimed by a select that may hold it indefinitely,
                // possibly on this very thread: no room for now.
                return Err(Attempt::NotReady);
            } else {
                // Another sender claimed `tail` and has not stored its stamp yet, or our
                // `tail` is stale.
                backoff.get_or_insert_with(Backoff::new).snooze();
                tail = self.tail.load(Ordering::Acquire);
            }
        }
    }

    /// Publishes `value` in a slot claimed by [`start_send`](Channel::start_send). If
    /// a thread receiver sleeps for a value, it gets the oldest one now and wakes with
    /// its receive done ([`crate::notify`], "Hand-off").
    fn write(&self, slot: &Slot<T>, tail: usize, value: T) {
        self.publish(slot, tail, value);
        self.receivers.notify_one_serving(|_| self.pop_for_waiter());
    }

    /// A receive on a sleeping receiver's behalf: the oldest value, if there is one.
    /// It notifies a sender as any receive does, but plainly: a hand-off from here
    /// would send, and its notification receive again, without end.
    // Inlined into the hand-off, its one caller (`NotifyList::serve_one_waiting`).
    #[inline(always)]
    fn pop_for_waiter(&self) -> Option<T> {
        let (slot, head) = self.start_recv(Look::Exact).ok()?;
        let value = self.take(slot, head);
        self.senders.notify_one();
        Some(value)
    }

    /// [`write`](Channel::write) without the notification.
    fn publish(&self, slot: &Slot<T>, tail: usize, value: T) {
        // SAFETY: the claim makes this sender the slot's only user (start_send).
        slot.value.with_mut(|v| unsafe { (*v).write(value) });
        slot.stamp.store(tail + 1, Ordering::Release);
    }

    /// Gives up a select's claim of the slot at `tail` for sending, a hold that ends
    /// here without a value. If no later sender has claimed past it, the claim is
    /// undone (`tail` moves back) and the room it took is free again. Otherwise the
    /// slot becomes a *hole* (`stamp == (tail + 1) | mark_bit`; no real stamp has the
    /// mark bit), which takes up room until the receiver at that position skips it.
    fn abandon(&self, slot: &Slot<T>, tail: usize) {
        let next = self.next(tail);
        // Unmarked, as a plain sender's claim: free for this lap's sender, so moving
        // `tail` back is all it takes; the disconnection mark, if set meanwhile, makes
        // this fail and leaves a hole.
        slot.stamp.store(tail, Ordering::Release);
        if self
            .tail
            .compare_exchange(next, tail, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
        {
            // A sender waiting for room may have found the ring full of this claim.
            // No receiver is owed anything: nothing was sent behind the claim.
            self.senders.notify_one();
            return;
        }
        self.holes.fetch_add(1, Ordering::Relaxed);
        slot.stamp
            .store((tail + 1) | self.mark_bit, Ordering::Release);
        self.receivers.notify_after_hold();
    }

    /// Claims the value at `head` without waiting, skipping holes: the first half of a
    /// receive, finished by [`read`](Channel::read). `look` says how closely to look at
    /// a ring that seems empty ([`Look`]).
    #[inline]
    fn start_recv(&self, look: Look) -> Result<(&Slot<T>, usize), Attempt> {
        match self.claim_head() {
            Ok(claim) => Ok(claim),
            Err(_) => self.start_recv_slow(look),
        }
    }

    /// [`start_recv`](Channel::start_recv)'s common case, inline: the value at `head`
    /// is there and no receiver races us. An error says only that this one try
    /// failed, and whether it glanced an empty ring ([`Glanced`]).
    #[inline(always)]
    fn claim_head(&self) -> Result<(&Slot<T>, usize), Glanced> {
        let head = self.head.load(Ordering::Acquire);
        let slot = &self.buffer[head & (self.mark_bit - 1)];
        let stamp = slot.stamp.load(Ordering::Acquire);
        if stamp == head + 1 {
            if self
                .head
                .compare_exchange(head, self.next(head), Ordering::SeqCst, Ordering::Acquire)
                .is_ok()
            {
                return Ok((slot, head));
            }
        } else if stamp == head && !self.disconnected.load(Ordering::Acquire) {
            // The slot awaits this lap's value, and the channel seems connected: what
            // `start_recv_slow` reports as empty on a glance, before it reads `tail`.
            return Err(Glanced::NotReady);
        }
        Err(Glanced::Unsure)
    }

    /// [`start_recv`](Channel::start_recv) past its first try: the ring is empty, a
    /// hole is in the way, or other receivers race us.
    #[inline(never)]
    fn start_recv_slow(&self, look: Look) -> Result<(&Slot<T>, usize), Attempt> {
        // As in `start_send_slow`: made only when a retry needs it.
        let mut backoff = None;
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let slot = &self.buffer[head & (self.mark_bit - 1)];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp & !self.mark_bit == head + 1 {
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Acquire,
                ) {
                    Ok(_) if stamp == head + 1 => return Ok((slot, head)),
                    Ok(_) => {
                        // A hole: free the slot for the next lap and look further.
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        self.holes.fetch_sub(1, Ordering::Relaxed);
                        self.senders.notify_one();
                        head = self.head.load(Ordering::Acquire);
                    }
                    Err(now) => {
                        head = now;
                        backoff.get_or_insert_with(Backoff::new).spin();
                    }
                }
            } else if stamp == head {
                // The slot awaits this lap's value: empty, unless a sender has claimed
                // it; then it is writing the value, which takes a few instructions.
                // A glance says "not ready" unless the channel seems disconnected.
                if look == Look::Glance && !self.disconnected.load(Ordering::Acquire) {
                    return Err(Attempt::NotReady);
                }
                if let Some(nothing) = self.empty_at(head) {
                    return Err(nothing);
                }
                backoff.get_or_insert_with(Backoff::new).snooze();
                head = self.head.load(Ordering::Acquire);
            } else if stamp == self.held(head) {
                // A select claimed the slot to send into it and may hold it
                // indefinitely, possibly on this very thread: no value for now.
                return Err(Attempt::NotReady);
            } else {
                // Either `head` is stale, or the slot still holds the previous lap's
                // value, whose receiver is reading it (a select's claim may hold it
                // for a while). Then no value of this lap can be here yet: the slot
                // must be freed first, so `tail` cannot have moved past `head`, and
                // `tail == head` says the channel is empty. Waiting for the reader
                // instead would hang a thread that holds the claim itself.
                if let Some(nothing) = self.empty_at(head) {
                    return Err(nothing);
                }
                backoff.get_or_insert_with(Backoff::new).snooze();
                head = self.head.load(Ordering::Acquire);
            }
        }
    }

    /// If `tail` is at `head`, nothing is buffered: why (disconnected or not yet).
    fn empty_at(&self, head: usize) -> Option<Attempt> {
        let tail = self.tail.load(Ordering::SeqCst);
        (tail & !self.mark_bit == head).then_some(if tail & self.mark_bit != 0 {
            Attempt::Disconnected
        } else {
            Attempt::NotReady
        })
    }

    /// Takes the value from a slot claimed by [`start_recv`](Channel::start_recv) and
    /// frees the slot for the next lap. If a thread sender sleeps for room, its value
    /// goes into the ring now, in its place in line among the waiters, and it wakes
    /// with its send done (Go's hand-off; [`crate::notify`], "Hand-off").
    fn read(&self, slot: &Slot<T>, head: usize) -> T {
        let value = self.take(slot, head);
        self.senders.notify_one_serving(|carried| {
            let value = carried?;
            // The push's own notification of a receiver serves plainly: see
            // `push_for_waiter`.
            self.push_for_waiter(value).err()
        });
        value
    }

    /// A send on a sleeping sender's behalf: gives the value back if there is no room
    /// (or the channel is disconnected). It notifies a receiver as any send does, but
    /// plainly, for the reason given at [`pop_for_waiter`](Channel::pop_for_waiter).
    // Inlined into the hand-off, its one caller (`NotifyList::serve_one_waiting`).
    #[inline(always)]
    fn push_for_waiter(&self, value: T) -> Result<(), T> {
        match self.start_send(Look::Exact) {
            Ok((slot, tail)) => {
                self.publish(slot, tail, value);
                self.receivers.notify_one();
                Ok(())
            }
            Err(_) => Err(value),
        }
    }

    /// [`read`](Channel::read) without the notification.
    fn take(&self, slot: &Slot<T>, head: usize) -> T {
        // SAFETY: the claim (winning the CAS at `head` while `stamp == head + 1`) makes
        // this receiver the only reader of the value its sender published (Release
        // stamp, read with Acquire in start_recv).
        let value = slot.value.with(|v| unsafe { (*v).assume_init_read() });
        slot.stamp
            .store(head.wrapping_add(self.one_lap), Ordering::Release);
        value
    }

    /// Puts the value a receiver claimed at `pos` back, after another receiver moved
    /// past it: at the tail, as the newest value, even if every sender is gone
    /// (receivers remain to take it). The claimed slot keeps its value until the value
    /// has a new home, so no sender can take the room meanwhile: the value is never
    /// dropped for want of room. If the tail has come round to that very slot (the
    /// ring is otherwise full), the value stays where it is and the slot is stamped
    /// as the tail's.
    fn put_back(&self, slot: &Slot<T>, pos: usize) {
        let mut backoff = Backoff::new();
        let home = pos.wrapping_add(self.one_lap);
        loop {
            let tail = self.tail.load(Ordering::Relaxed);
            let (mark, at) = (tail & self.mark_bit, tail & !self.mark_bit);
            // Keep the disconnection mark as it is.
            let claim = |tail| {
                self.tail
                    .compare_exchange_weak(
                        tail,
                        self.next(at) | mark,
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            };
            if at == home {
                if claim(tail) {
                    slot.stamp.store(home + 1, Ordering::Release);
                    self.receivers.notify_one();
                    // The hold ends; `tail` moved on, to room a sender may wait for.
                    self.senders.notify_blocked_by_hold();
                    return;
                }
                backoff.spin();
                continue;
            }
            let target = &self.buffer[at & (self.mark_bit - 1)];
            if target.stamp.load(Ordering::Acquire) != at {
                // The tail's slot still holds a value being read.
                backoff.snooze();
            } else if claim(tail) {
                let value = self.take(slot, pos);
                self.senders.notify_after_hold();
                self.write(target, at, value);
                return;
            } else {
                backoff.spin();
            }
        }
    }

    /// Sends without waiting; gives the value back if the ring is full or
    /// disconnected.
    #[inline]
    fn try_push(&self, value: T, look: Look) -> Result<(), (T, Attempt)> {
        match self.start_send(look) {
            Ok((slot, tail)) => {
                self.write(slot, tail, value);
                Ok(())
            }
            Err(attempt) => Err((value, attempt)),
        }
    }

    /// Receives without waiting.
    #[inline]
    fn try_pop(&self, look: Look) -> Result<T, Attempt> {
        let (slot, head) = self.start_recv(look)?;
        Ok(self.read(slot, head))
    }

    /// Sends `value`, waiting for room until `until`.
    #[inline]
    pub(crate) fn send(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        // The common case inline, as a few instructions that keep nothing across a
        // call (so the caller saves no registers for it): room at `tail`, no sender
        // racing us, nobody waiting for a value. Everything else is out of line.
        match self.claim_tail() {
            Ok((slot, tail)) => {
                self.write(slot, tail, value);
                Ok(())
            }
            // Straight to the wait, which may start on a glance: the try saw the ring
            // full, and `send_contended` would only glance again. Pinned to one CPU,
            // where every wait of one-to-one `bounded(1)` comes this way (two waits
            // every three messages), callgrind: 393 instructions a message instead of 448.
            Err(Glanced::NotReady) if until != Until::Now => self.send_waiting(value, until),
            Err(_) => self.send_contended(value, until),
        }
    }

    /// [`send`](Channel::send) past its first try: other senders race us, or the
    /// ring is full or disconnected. It goes on where that try stopped, as
    /// [`start_send`](Channel::start_send) does.
    #[inline(never)]
    fn send_contended(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        match self.start_send_slow(Look::first(until)) {
            Ok((slot, tail)) => {
                self.write(slot, tail, value);
                Ok(())
            }
            Err(Attempt::Disconnected) => Err(SendFailure::Disconnected(value)),
            Err(Attempt::NotReady) if until == Until::Now => Err(SendFailure::NotReady(value)),
            Err(Attempt::NotReady) => self.send_waiting(value, until),
        }
    }

    /// [`send`](Channel::send) once the ring was found full. The value waits in a
    /// slot that a receiver freeing room may send it from while this thread sleeps
    /// ([`crate::notify`], "Hand-off"; [`read`](Channel::read)).
    #[inline(never)]
    fn send_waiting(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        let carried = WaitSlot::new(Some(value));
        let attempt = |look| {
            // SAFETY: between its sleeps the slot is this thread's alone: the wait
            // registers it only while it sleeps, and takes it back (the entry popped
            // and finished, or removed) before the next attempt.
            let Some(v) = (unsafe { carried.take() }) else {
                // A receiver sent it for us while we slept.
                return Some(Ok(()));
            };
            match self.try_push(v, look) {
                Ok(()) => Some(Ok(())),
                Err((v, Attempt::Disconnected)) => Some(Err(SendFailure::Disconnected(v))),
                Err((v, Attempt::NotReady)) => {
                    // SAFETY: as above.
                    unsafe { carried.put(v) };
                    None
                }
            }
        };
        let watch = || self.watch(Side::Send);
        let ready = || self.ready_to_sleep(Side::Send);
        match self
            .senders
            .wait_for(until, self.cap, Some(&carried), attempt, watch, ready)
        {
            Some(done) => done,
            // SAFETY: the wait is over, and its registration with it.
            None => Err(SendFailure::NotReady(unsafe { carried.take() }.expect(
                "a send that timed out still holds its value: nobody sent it",
            ))),
        }
    }

    /// Receives a value, waiting for one until `until`.
    #[inline]
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        // As in `send`: the common case inline, everything else out of line.
        match self.claim_head() {
            Ok((slot, head)) => Ok(self.read(slot, head)),
            // As in `send`: the try saw the ring empty.
            Err(Glanced::NotReady) if until != Until::Now => self.recv_waiting(until),
            Err(_) => self.recv_contended(until),
        }
    }

    /// [`recv`](Channel::recv) past its first try: other receivers race us, a hole
    /// is in the way, or the ring is empty or disconnected. As `send_contended`, it
    /// goes on where that try stopped.
    #[inline(never)]
    fn recv_contended(&self, until: Until) -> Result<T, RecvFailure> {
        match self.start_recv_slow(Look::first(until)) {
            Ok((slot, head)) => Ok(self.read(slot, head)),
            Err(Attempt::Disconnected) => Err(RecvFailure::Disconnected),
            Err(Attempt::NotReady) if until == Until::Now => Err(RecvFailure::NotReady),
            Err(Attempt::NotReady) => self.recv_waiting(until),
        }
    }

    /// [`recv`](Channel::recv) once the ring was found empty. While this thread
    /// sleeps, a sender may receive a value for it into `carried`
    /// ([`write`](Channel::write)).
    #[inline(never)]
    fn recv_waiting(&self, until: Until) -> Result<T, RecvFailure> {
        let carried = WaitSlot::new(None);
        let attempt = |look| {
            // SAFETY: between its sleeps the slot is this thread's alone, as in
            // `send_waiting`.
            if let Some(value) = unsafe { carried.take() } {
                // A sender received it for us while we slept.
                return Some(Ok(value));
            }
            self.attempt_recv(look)
        };
        let got = self.receivers.wait_for(
            until,
            self.cap,
            Some(&carried),
            attempt,
            || self.watch(Side::Recv),
            || self.ready_to_sleep(Side::Recv),
        );
        debug_assert!(
            // SAFETY: the wait is over, and its registration with it.
            !unsafe { carried.is_filled() },
            "every attempt of the wait looks at the slot first"
        );
        got.unwrap_or(Err(RecvFailure::NotReady))
    }

    /// How much room a sender that found the ring full waits for while it spins
    /// ([`watch`](Channel::watch)): one slot for a ring of fewer than 16, an eighth of
    /// a larger one, at most [`ROOM_BATCH_MAX`]. Worked out where it is needed rather
    /// than kept in the channel, whose fields' layout the async ring rows are
    /// sensitive to.
    fn room_batch(&self) -> usize {
        (self.cap / 8).clamp(1, ROOM_BATCH_MAX)
    }

    /// What a waiter on `side` watches while it spins ([`NotifyList::wait_for`]): its
    /// side's index (`tail` for a sender, `head` for a receiver), the stamp of a slot,
    /// and for a receiver the disconnection hint. A counterpart's move changes the
    /// stamp (a receive frees a slot, a send fills the one at `head`), as do a hold's
    /// end and a given-back claim; a rival on this side moves the index; a
    /// disconnection marks `tail` and sets the hint. The counterpart's own index is
    /// not read, so its claims find its cache line unshared.
    ///
    /// A receiver watches the slot at `head`: the first value to come is the one it
    /// waits for. A sender watches the last slot of a batch of room past `tail`
    /// ([`room_batch`](Channel::room_batch)), so that its spin goes on until the
    /// receivers have freed a batch, not one slot. A sender that retried at the first
    /// freed slot wrote into the cache line the receiver was reading, and the two then
    /// took that line from each other at nearly every value while the ring stayed full
    /// (two cores, one-to-one `bounded(1024)`, a faster sender; scratch harness,
    /// medians of eight alternating runs: 24.0-26.6 ns a message before, 15.1-16.8
    /// waiting for 128 slots, std's `sync_channel` 16.6; a batch of 4, one cache line,
    /// made no difference). The watch only says when to look: the attempt, and the
    /// exact one that ends the spin, take the room there is, so a sender waits no
    /// longer than its spin for room a single receive made, and a ring of fewer than
    /// 16 slots waits for one.
    fn watch(&self, side: Side) -> (usize, usize, bool) {
        // Relaxed: a hint for when to look again; the attempt that follows orders its
        // own reads.
        let (index, hint, ahead) = match side {
            Side::Send => (&self.tail, false, self.room_batch() - 1),
            Side::Recv => (&self.head, self.disconnected.load(Ordering::Relaxed), 0),
        };
        let pos = index.load(Ordering::Relaxed);
        // `ahead` is below `cap`, so one wrap at most.
        let mut at = (pos & (self.mark_bit - 1)) + ahead;
        if at >= self.cap {
            at -= self.cap;
        }
        let stamp = self.buffer[at].stamp.load(Ordering::Relaxed);
        (pos, stamp, hint)
    }

    /// One receive without waiting, as the notify list's waits take it: `None` if
    /// there is nothing yet.
    fn attempt_recv(&self, look: Look) -> Option<Result<T, RecvFailure>> {
        match self.try_pop(look) {
            Ok(value) => Some(Ok(value)),
            Err(Attempt::Disconnected) => Some(Err(RecvFailure::Disconnected)),
            Err(Attempt::NotReady) => None,
        }
    }

    /// For a select: claims room (`Side::Send`) or a value (`Side::Recv`) without
    /// waiting. Returns `None` if there is none and the channel is connected.
    pub(crate) fn try_claim(&self, side: Side) -> Option<Token> {
        let claimed = match side {
            Side::Send => self.start_send(Look::Exact),
            Side::Recv => self.start_recv(Look::Exact),
        };
        match claimed {
            Ok((slot, pos)) => {
                // Until the select completes or gives back the claim, others must not
                // wait for it (module docs).
                slot.stamp.store(self.held(pos), Ordering::Release);
                Some(Token::Ring {
                    slot: (slot as *const Slot<T>).cast(),
                    pos,
                })
            }
            Err(Attempt::Disconnected) => Some(Token::Disconnected),
            Err(Attempt::NotReady) => None,
        }
    }

    /// Whether a select arm on `side` would find room or a value, or the disconnection.
    /// A slot held by a select blocks `side` whatever else holds (even disconnection:
    /// an attempt reports "not ready" at a held slot).
    pub(crate) fn is_ready(&self, side: Side) -> bool {
        !self.held_up(side) && self.available(side)
    }

    /// [`is_ready`](Channel::is_ready), as a waiter registered on `side` asks it just
    /// before it sleeps: a hold in its way is noted first, so that the hold's end
    /// wakes it ([`NotifyList::note_hold`]).
    ///
    /// Always inlined, so that each wait's copy knows its side: out of line, it chose
    /// the side's index and offsets at run time. Pinned to one CPU, callgrind: the
    /// `bounded(1)` ping-pong from 964 instructions a round trip to 932, one-to-one
    /// `bounded(1)` from 365 a message to 355.
    #[inline(always)]
    fn ready_to_sleep(&self, side: Side) -> bool {
        if self.held_up(side) {
            self.waiters(side).note_hold();
            if self.held_up(side) {
                return false;
            }
        }
        self.available(side)
    }

    /// Room or a value by count, or the disconnection, holds aside.
    fn available(&self, side: Side) -> bool {
        self.is_disconnected()
            || match side {
                Side::Send => !self.is_full(),
                Side::Recv => !self.tail_at_head(),
            }
    }

    /// Whether the slot `side` must use next is held by a select (module docs): for a
    /// receiver, a select's send claim at `head`; for a sender, last lap's value at
    /// `tail`, claimed by a select's receive. The index is read again after the stamp,
    /// so that a claim which moved it on (a select receiving at `head`) is not taken
    /// for one that blocks it; in doubt, the answer is no, and the caller retries.
    fn held_up(&self, side: Side) -> bool {
        let (index, blocking) = match side {
            Side::Recv => (&self.head, 0),
            Side::Send => (&self.tail, self.one_lap),
        };
        let pos = index.load(Ordering::SeqCst) & !self.mark_bit;
        let stamp = self.buffer[pos & (self.mark_bit - 1)]
            .stamp
            .load(Ordering::SeqCst);
        stamp == self.held(pos.wrapping_sub(blocking))
            && index.load(Ordering::SeqCst) & !self.mark_bit == pos
    }

    /// The arm's witness for a select that may not wait (`crate::select::Witness`):
    /// `head`, `tail` and the stamp of the slot a try on `side` looks at first.
    ///
    /// Found not ready, a receive arm saw `tail == head` (then only a sender's claim,
    /// which moves `tail`, or the disconnection mark in `tail` can make a value) or a
    /// select's send claim at `head` (then only its completion, which changes that
    /// slot's stamp). A send arm saw the ring full (then only a receiver's claim moves
    /// `head` on) or a select's receive claim on the slot at `tail` (its completion
    /// changes that stamp), and a disconnection marks `tail`. Apart from given-back
    /// claims, `head` and `tail` only grow, and a slot's stamp never returns to an
    /// earlier value while `head` and `tail` stay put, so no read repeats an earlier
    /// one across a change.
    pub(crate) fn witness(&self, side: Side) -> Witness {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        let first = match side {
            Side::Recv => head,
            Side::Send => tail,
        };
        let stamp = self.buffer[first & (self.mark_bit - 1)]
            .stamp
            .load(Ordering::SeqCst);
        Witness::Counts(head, tail, stamp)
    }

    fn waiters(&self, side: Side) -> &NotifyList<T> {
        match side {
            Side::Send => &self.senders,
            Side::Recv => &self.receivers,
        }
    }

    /// Registers a select's `party` to be notified on `arm` when `side` may be ready,
    /// then re-checks (the notify list's handshake). Returns whether it is ready now:
    /// then the select must not sleep, but retry.
    pub(crate) fn register(&self, party: &Party, arm: usize, side: Side) -> bool {
        self.waiters(side).register(party, arm);
        self.ready_to_sleep(side)
    }

    /// Removes a select's entry, if no notifier has.
    pub(crate) fn unregister(&self, party: &Party, arm: usize, side: Side) {
        self.waiters(side).unregister(party, arm);
    }

    /// Completes a select's receive arm.
    ///
    /// # Safety
    /// `token` came from this channel's [`try_claim`](Channel::try_claim) with
    /// `Side::Recv` and was not used before.
    pub(crate) unsafe fn finish_recv(&self, token: Token) -> Result<T, RecvFailure> {
        match token {
            Token::Ring { slot, pos } => {
                // SAFETY: the token names a slot of this ring, claimed for us.
                let slot = unsafe { &*slot.cast::<Slot<T>>() };
                let value = self.take(slot, pos);
                self.senders.notify_after_hold();
                Ok(value)
            }
            Token::Disconnected => Err(RecvFailure::Disconnected),
            _ => unreachable!("a buffered select arm holds a ring token"),
        }
    }

    /// Completes a select's send arm with `value`.
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv), with `Side::Send`.
    pub(crate) unsafe fn finish_send(&self, token: Token, value: T) -> Result<(), SendFailure<T>> {
        match token {
            Token::Ring { slot, pos } => {
                // SAFETY: the token names a slot of this ring, claimed for us.
                let slot = unsafe { &*slot.cast::<Slot<T>>() };
                self.publish(slot, pos, value);
                self.receivers.notify_after_hold();
                Ok(())
            }
            Token::Disconnected => Err(SendFailure::Disconnected(value)),
            _ => unreachable!("a buffered select arm holds a ring token"),
        }
    }

    /// Gives up a claim that will not be completed. A claimed slot for sending is
    /// rolled back or becomes a hole ([`abandon`](Channel::abandon)). A claimed value
    /// stays in place if no later receiver has claimed past it (`head` moves back);
    /// otherwise it is put back at the tail, as the newest ([`put_back`]: never
    /// dropped for want of room).
    ///
    /// [`put_back`]: Channel::put_back
    ///
    /// # Safety
    /// As for [`finish_recv`](Channel::finish_recv); `side` is the select arm's.
    pub(crate) unsafe fn release(&self, token: Token, side: Side) {
        let Token::Ring { slot, pos } = token else {
            return;
        };
        // SAFETY: the token names a slot of this ring, claimed for us.
        let slot = unsafe { &*slot.cast::<Slot<T>>() };
        match side {
            Side::Send => self.abandon(slot, pos),
            Side::Recv => {
                // Unmarked: the value of this lap, as before the claim.
                slot.stamp.store(pos + 1, Ordering::Release);
                // No later receiver has claimed past it: move `head` back, and the
                // value is where it was.
                if self
                    .head
                    .compare_exchange(self.next(pos), pos, Ordering::SeqCst, Ordering::Relaxed)
                    .is_ok()
                {
                    // Receivers that found the channel empty meanwhile may be asleep.
                    // No sender is owed anything: nothing was received behind the
                    // claim, so the ring is as full as before it.
                    self.receivers.notify_one();
                    return;
                }
                self.put_back(slot, pos);
            }
        }
    }

    /// Polls an async send of the value in `slot`; `queued` says whether `party` is
    /// registered for room.
    pub(crate) fn poll_send(
        &self,
        party: &Party,
        slot: &WaitSlot<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        let attempt = || {
            // SAFETY: the slot belongs to the future polling us; no queue points at it.
            let value = unsafe { slot.take() }.expect("a pending send holds its value");
            match self.try_push(value, Look::Exact) {
                Ok(()) => Some(Ok(())),
                Err((value, Attempt::Disconnected)) => Some(Err(SendFailure::Disconnected(value))),
                Err((value, Attempt::NotReady)) => {
                    // SAFETY: as above.
                    unsafe { slot.put(value) };
                    None
                }
            }
        };
        let ready = || self.ready_to_sleep(Side::Send);
        self.senders.poll_for(party, queued, waker, attempt, ready)
    }

    /// Polls an async receive; `queued` as for [`poll_send`](Channel::poll_send).
    pub(crate) fn poll_recv(
        &self,
        party: &Party,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<T, RecvFailure>> {
        let ready = || self.ready_to_sleep(Side::Recv);
        self.receivers.poll_for(
            party,
            queued,
            waker,
            || self.attempt_recv(Look::Exact),
            ready,
        )
    }

    /// Passes a notification on `side` to the next waiter: its receiver will not use it.
    pub(crate) fn pass_on(&self, side: Side) {
        self.waiters(side).notify_one();
    }

    /// Cleans up after an async operation on `side` that is dropped. A notification
    /// it received and will not use goes to the next waiter on that side.
    pub(crate) fn cancel(&self, party: &Party, side: Side, queued: &Cell<bool>) {
        self.waiters(side).cancel(party, queued);
    }

    /// Marks the channel disconnected and wakes every waiting party (once).
    /// Returns whether this call did it.
    pub(crate) fn disconnect(&self) -> bool {
        let tail = self.tail.fetch_or(self.mark_bit, Ordering::SeqCst);
        let first = tail & self.mark_bit == 0;
        if first {
            self.disconnected.store(true, Ordering::Release);
            self.senders.notify_all();
            self.receivers.notify_all();
        }
        first
    }

    /// Whether the channel is disconnected.
    pub(crate) fn is_disconnected(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark_bit != 0
    }

    /// Whether no position is taken between `head` and `tail`: no value, no claim
    /// still to finish, no hole. What a receiver's readiness looks at: a hole there
    /// is for a receive attempt to skip.
    fn tail_at_head(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail & !self.mark_bit == head
    }

    /// Whether no value is buffered (a snapshot; holes aside, as [`len`](Channel::len)).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer is full.
    pub(crate) fn is_full(&self) -> bool {
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        head.wrapping_add(self.one_lap) == tail & !self.mark_bit
    }

    /// How many values are buffered (a snapshot). A hole takes up room until a
    /// receive skips it ([`abandon`](Channel::abandon)), but holds no value, so it is
    /// not counted: a receiver told the channel is not empty finds a value with
    /// `try_recv`, unless another takes it first. Claims still to finish (a send's
    /// value being written, a select's hold) count, as the value they are about.
    pub(crate) fn len(&self) -> usize {
        let (head, taken) = loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            // Only a consistent pair of indices gives a meaningful difference.
            if self.tail.load(Ordering::SeqCst) == tail {
                let head_index = head & (self.mark_bit - 1);
                let tail_index = tail & (self.mark_bit - 1);
                let taken = if head_index < tail_index {
                    tail_index - head_index
                } else if head_index > tail_index {
                    self.cap - head_index + tail_index
                } else if tail & !self.mark_bit == head {
                    0
                } else {
                    self.cap
                };
                break (head, taken);
            }
        };
        // Holes are rare (a select's given-back send claim that a later send passed),
        // so the positions are looked at one by one only while there are some.
        if taken == 0 || self.holes.load(Ordering::Acquire) == 0 {
            return taken;
        }
        let mut pos = head;
        let mut values = 0;
        for _ in 0..taken {
            let stamp = self.buffer[pos & (self.mark_bit - 1)]
                .stamp
                .load(Ordering::Acquire);
            if stamp != (pos + 1) | self.mark_bit {
                values += 1;
            }
            pos = self.next(pos);
        }
        values
    }

    /// The buffer's capacity.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }
}

impl<T> Drop for Channel<T> {
    fn drop(&mut self) {
        // Every handle is gone, so nobody else sees the ring: drop what it still holds.
        let mut pos = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark_bit;
        while pos != tail {
            let slot = &self.buffer[pos & (self.mark_bit - 1)];
            // A position between head and tail may hold no value: a hole, or a claim a
            // leaked select never finished. Only the exact stamp says a value is there.
            if slot.stamp.load(Ordering::Relaxed) == pos + 1 {
                // SAFETY: the stamp says the slot holds a published value, and nobody
                // else sees the ring any more; each is dropped once.
                slot.value.with_mut(|v| unsafe { (*v).assume_init_drop() });
            }
            pos = self.next(pos);
        }
    }
}

// SAFETY: the ring hands each `T` from one thread to another through a slot that only
// one party uses at a time (module docs), so sharing the channel needs only `T: Send`.
unsafe impl<T: Send> Sync for Channel<T> {}
// SAFETY: as above; the channel owns its buffered values, which are `Send`.
unsafe impl<T: Send> Send for Channel<T> {}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::*;

    /// A sender spinning on a full ring waits for a batch of room, a receiver on an
    /// empty one for the first value (`Channel::watch`). Catches a sender that watches
    /// its own slot again (the cache-line ping-pong the batch avoids), a receiver that
    /// waits for a batch too (every receive from an empty ring would wait out its
    /// spin), and a watch that reads past the end of the ring instead of wrapping.
    #[test]
    fn a_sender_watches_for_a_batch_of_room_and_a_receiver_for_one_value() {
        let ring = Channel::<usize>::new(32);
        assert_eq!(ring.room_batch(), 4, "an eighth of the ring");
        // Part-way round first, so that the slot the sender watches lies past the
        // end of the ring (index 30 + 3).
        for i in 0..30 {
            assert!(ring.try_push(i, Look::Exact).is_ok());
            assert_eq!(ring.try_pop(Look::Exact).ok(), Some(i));
        }
        let seen = ring.watch(Side::Recv);
        assert!(ring.try_push(0, Look::Exact).is_ok());
        assert_ne!(
            ring.watch(Side::Recv),
            seen,
            "one value is what a receiver waits for"
        );
        for i in 1..32 {
            assert!(ring.try_push(i, Look::Exact).is_ok());
        }
        assert!(ring.try_push(32, Look::Exact).is_err(), "full");
        let seen = ring.watch(Side::Send);
        for i in 0..3 {
            assert_eq!(ring.try_pop(Look::Exact).ok(), Some(i));
            assert_eq!(
                ring.watch(Side::Send),
                seen,
                "{} slots free: less than a batch",
                i + 1
            );
        }
        assert_eq!(ring.try_pop(Look::Exact).ok(), Some(3));
        assert_ne!(ring.watch(Side::Send), seen, "a batch of room is free");
    }

    /// A small ring's batch is one slot: a sender retries at the first freed one.
    #[test]
    fn a_small_ring_waits_for_one_slot() {
        for cap in [1, 2, 15] {
            assert_eq!(Channel::<u8>::new(cap).room_batch(), 1, "capacity {cap}");
        }
        assert_eq!(Channel::<u8>::new(1 << 16).room_batch(), ROOM_BATCH_MAX);
    }
}
