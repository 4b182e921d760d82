//! Wait queues: the parties blocked on one side of a channel, in arrival order.
//!
//! An [`Entry`] names a [`Party`] and the arm it waits on, and, for a *direct* entry,
//! the slot through which a counterpart hands it a value or takes one from it. A
//! *notify* entry has no slot: its owner moves the value itself once woken. On a
//! buffered channel completing it means "retry"; on a rendezvous it is a select's arm,
//! which the counterpart claims and gives a partner [`Waiter`] to exchange with.
//!
//! Entries hold raw pointers into their owner's memory (its stack frame, or a pinned
//! future). A queue lives inside its channel's lock, and the owner removes its entries
//! under that lock before that memory goes away, unless a counterpart removed and
//! completed it first; see [`crate::party`] for the full protocol.

use crate::party::Party;
use crate::sync::UnsafeCell;
use std::collections::VecDeque;
use std::ptr::{self, NonNull};
use std::task::Waker;

/// The place a value crosses a rendezvous: owned by a waiting party, written or taken
/// by the counterpart that completes it.
#[derive(Debug)]
pub(crate) struct Slot<T>(UnsafeCell<Option<T>>);

// SAFETY: a slot moves a `T` from one thread to another, one side at a time, each
// access ordered by the party protocol (crate::party); `T: Send` is all that needs.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    /// A slot holding `value` (a waiting sender's) or nothing (a waiting receiver's).
    #[inline(always)]
    pub(crate) fn new(value: Option<T>) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// Takes the slot's value, leaving it empty.
    ///
    /// # Safety
    /// The caller has exclusive access to the slot: it is its owner and no entry for
    /// it is reachable by a counterpart (the party is done, or its entry was removed
    /// under the channel lock), or it is the counterpart holding the lock of the
    /// channel whose queue holds the entry, or the counterpart that has claimed the
    /// entry's party ([`Party::claim`]) and not yet finished it.
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access, by the caller's contract.
        self.0.with_mut(|value| unsafe { (*value).take() })
    }

    /// Whether the slot holds a value.
    ///
    /// # Safety
    /// As for [`Slot::take`].
    pub(crate) unsafe fn is_filled(&self) -> bool {
        // SAFETY: exclusive access, by the caller's contract.
        self.0.with(|value| unsafe { (*value).is_some() })
    }

    /// Puts `value` into the slot, which must be empty; the contract of [`Slot::take`].
    ///
    /// # Safety
    /// As for [`Slot::take`].
    pub(crate) unsafe fn put(&self, value: T) {
        // SAFETY: exclusive access, by the caller's contract.
        self.0.with_mut(|slot| unsafe {
            debug_assert!((*slot).is_none(), "a rendezvous slot was filled twice");
            *slot = Some(value);
        });
    }
}

/// A blocked plain operation: its party and the slot its value crosses. It lives on
/// the blocked thread's stack; a select that claims it, or that it completes, reaches it
/// through a `*const Waiter<T>` partner pointer.
#[derive(Debug)]
pub(crate) struct Waiter<T> {
    pub(crate) party: Party,
    pub(crate) slot: Slot<T>,
}

impl<T> Waiter<T> {
    /// A waiting party holding `value` (a sender's) or nothing (a receiver's).
    #[inline(always)]
    pub(crate) fn new(value: Option<T>) -> Self {
        Self {
            party: Party::new(),
            slot: Slot::new(value),
        }
    }

    /// This waiter as a partner pointer, for [`Party::set_partner`].
    pub(crate) fn as_partner(&self) -> *const () {
        (self as *const Self).cast()
    }
}

/// One waiting party's registration in one queue.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    party: NonNull<Party>,
    /// Null for a notify entry.
    slot: *const Slot<T>,
    arm: usize,
    /// A watcher ([`Entry::watch`]): never a counterpart.
    watch: bool,
    /// A notify entry of an async task ([`Entry::notify_task`]).
    task: bool,
    /// The owner is a task ([`Entry::notify_task`], [`Entry::direct_task`]), whose
    /// party sleeps all the while it is queued, but for the moment a re-poll takes
    /// to replace its waker: a counterpart tries `SLEEPING` first
    /// ([`Entry::try_complete`]).
    sleeper: bool,
}

// SAFETY: an Entry is a pair of pointers that are only dereferenced under the lock of
// the channel holding the entry, while the owner keeps their targets alive (module
// docs). Handing it to another thread moves at most a `T` between threads, through the
// slot, so `T: Send` is all it needs.
unsafe impl<T: Send> Send for Entry<T> {}

impl<T> Entry<T> {
    /// An entry through which a counterpart moves a value into or out of `slot`.
    pub(crate) fn direct(party: &Party, slot: &Slot<T>, arm: usize) -> Self {
        Self {
            party: NonNull::from(party),
            slot: slot as *const Slot<T>,
            arm,
            watch: false,
            task: false,
            sleeper: false,
        }
    }

    /// A direct entry of an async task (an async send on a rendezvous): as
    /// [`Entry::direct`], its party asleep (`sleeper`).
    pub(crate) fn direct_task(party: &Party, slot: &Slot<T>, arm: usize) -> Self {
        Self {
            sleeper: true,
            ..Self::direct(party, slot, arm)
        }
    }

    /// An entry whose owner moves the value itself once completed (module docs).
    pub(crate) fn notify(party: &Party, arm: usize) -> Self {
        Self {
            party: NonNull::from(party),
            slot: ptr::null(),
            arm,
            watch: false,
            task: false,
            sleeper: false,
        }
    }

    /// A notify entry whose owner is an async task (an async receive, an async
    /// select's arm). A task may stay pending without ever being polled again, so a
    /// blocked thread must never wait on one as its partner: it nudges the task and
    /// queues itself instead (the zero flavor's `meet_receiver`).
    pub(crate) fn notify_task(party: &Party, arm: usize) -> Self {
        Self {
            task: true,
            sleeper: true,
            ..Self::notify(party, arm)
        }
    }

    /// Whether this is a notify entry of an async task ([`Entry::notify_task`]).
    pub(crate) fn is_task(&self) -> bool {
        self.task
    }

    /// An entry of a party that only wants to know when this side may have a
    /// counterpart (`Select::ready`). It is completed and passed over, never met.
    pub(crate) fn watch(party: &Party, arm: usize) -> Self {
        Self {
            watch: true,
            ..Self::notify(party, arm)
        }
    }

    /// The entry's party.
    ///
    /// # Safety
    /// Call only under the lock of the channel whose queue holds or held the entry,
    /// before completing it.
    pub(crate) unsafe fn party(&self) -> &Party {
        // SAFETY: the owner keeps the party alive while the entry is reachable under
        // this lock (module docs); the caller holds it.
        unsafe { self.party.as_ref() }
    }

    /// The entry's slot; `None` for a notify entry.
    ///
    /// # Safety
    /// As for [`Entry::party`].
    pub(crate) unsafe fn slot(&self) -> Option<&Slot<T>> {
        // SAFETY: as for `party`: the slot lives beside the party in the owner's memory.
        unsafe { self.slot.as_ref() }
    }

    /// Completes the entry's party on its arm: [`Party::try_complete`], or, for a
    /// task's entry, [`Party::try_complete_sleeper`], which skips the exchange from
    /// `WAITING` that would fail.
    ///
    /// # Safety
    /// As for [`Entry::party`].
    #[inline]
    pub(crate) unsafe fn try_complete(&self) -> Option<Option<Waker>> {
        // SAFETY: the caller's contract.
        let party = unsafe { self.party() };
        if self.sleeper {
            party.try_complete_sleeper(self.arm)
        } else {
            party.try_complete(self.arm)
        }
    }

    /// The arm this entry waits on.
    pub(crate) fn arm(&self) -> usize {
        self.arm
    }

    fn is_for(&self, party: &Party, arm: usize) -> bool {
        ptr::eq(self.party.as_ptr(), party) && self.arm == arm
    }
}

/// The parties waiting on one side of a channel, oldest first. The oldest is kept
/// inline and the rest in a deque that keeps its capacity ([`Line`]), so registering
/// allocates nothing once the queue has grown to its working size, and a lone waiter
/// never does.
#[derive(Debug)]
pub(crate) struct WaitQueue<T> {
    entries: Line<T>,
    /// Whether a watcher may be queued: set when one is, cleared when all are woken.
    /// Lets the hot paths skip looking for watchers, which are rare.
    may_have_watchers: bool,
    /// How many counterpart entries have ever been queued (wrapping): a select that
    /// may not wait reads it to learn whether one arrived while it looked elsewhere.
    arrivals: usize,
}

impl<T> WaitQueue<T> {
    /// An empty queue.
    pub(crate) fn new() -> Self {
        Self {
            entries: Line::new(),
            may_have_watchers: false,
            arrivals: 0,
        }
    }

    /// How many counterpart entries have ever been queued, wrapping.
    pub(crate) fn arrivals(&self) -> usize {
        self.arrivals
    }

    /// Adds a counterpart's entry at the back.
    #[inline]
    pub(crate) fn push(&mut self, entry: Entry<T>) {
        debug_assert!(!entry.watch, "watchers are queued by push_watcher");
        self.arrivals = self.arrivals.wrapping_add(1);
        self.entries.push_back(entry);
    }

    /// Adds a watcher's entry ([`Entry::watch`]) at the back.
    pub(crate) fn push_watcher(&mut self, entry: Entry<T>) {
        debug_assert!(entry.watch, "counterparts are queued by push");
        self.may_have_watchers = true;
        self.entries.push_back(entry);
    }

    /// Removes the entry of `party` on `arm`, if a counterpart has not already.
    pub(crate) fn remove(&mut self, party: &Party, arm: usize) -> bool {
        let found = self.entries.iter().position(|e| e.is_for(party, arm));
        found.and_then(|index| self.entries.remove(index)).is_some()
    }

    /// Puts back an entry whose claim was given up, at the front where it was.
    pub(crate) fn push_front(&mut self, entry: Entry<T>) {
        // Back in the queue, it is ready to be met again: an arrival as well.
        self.arrivals = self.arrivals.wrapping_add(1);
        self.entries.push_front(entry);
    }

    /// Whether a counterpart (not a watcher) waits here.
    pub(crate) fn has_counterpart(&self) -> bool {
        self.entries.iter().any(|e| !e.watch)
    }

    /// Whether a counterpart (not a watcher) of a party other than `party` waits here.
    pub(crate) fn has_other_than(&self, party: &Party) -> bool {
        self.entries
            .iter()
            .any(|e| !e.watch && !ptr::eq(e.party.as_ptr(), party))
    }

    /// Removes and returns the oldest entry that is a counterpart, completing (and
    /// waking) the watchers in front of it on the way: they only wanted to know.
    /// Watchers are blocked threads, so waking one under the lock only unparks it.
    pub(crate) fn pop_counterpart(&mut self) -> Option<Entry<T>> {
        loop {
            let entry = self.entries.pop_front()?;
            if !entry.watch {
                return Some(entry);
            }
            // SAFETY: we hold this queue's channel lock, and the entry was reachable.
            if let Some(Some(waker)) = unsafe { entry.party() }.try_complete(entry.arm) {
                waker.wake();
            }
        }
    }

    /// Removes and returns the front entry if it is a direct one (never a watcher):
    /// the usual counterpart of a steady exchange, met without looking further.
    #[inline]
    pub(crate) fn pop_front_direct(&mut self) -> Option<Entry<T>> {
        if self.entries.front()?.slot.is_null() {
            return None;
        }
        self.entries.pop_front()
    }

    /// Removes and returns the oldest direct entry, wherever it is in the queue, after
    /// waking the watchers. A party that will not become a partner (an async party,
    /// or a thread meeting a task's entry) serves these first (see the zero flavor's
    /// `meet_receiver`).
    #[inline]
    pub(crate) fn pop_direct(&mut self) -> Option<Entry<T>> {
        // The usual cases, cheaply: no watcher can be in front of the front entry, and
        // a lone entry that is not direct is the caller's next step (a notify entry
        // to nudge, a watcher to wake by `pop_counterpart` or `pop_notify`).
        if !self.entries.front()?.slot.is_null() {
            return self.entries.pop_front();
        }
        if self.entries.len() == 1 {
            return None;
        }
        self.wake_watchers();
        let index = self.entries.iter().position(|e| !e.slot.is_null())?;
        self.entries.remove(index)
    }

    /// Removes and returns the oldest notify entry, wherever it is in the queue,
    /// leaving direct entries where they are, after waking the watchers.
    pub(crate) fn pop_notify(&mut self) -> Option<Entry<T>> {
        let front = self.entries.front()?;
        if front.slot.is_null() && !front.watch {
            return self.entries.pop_front();
        }
        self.wake_watchers();
        let index = self
            .entries
            .iter()
            .position(|e| e.slot.is_null() && !e.watch)?;
        self.entries.remove(index)
    }

    /// Removes and returns the oldest notify entry of a thread (a thread's select),
    /// wherever it is in the queue, passing over tasks' entries, after waking the
    /// watchers.
    pub(crate) fn pop_thread_notify(&mut self) -> Option<Entry<T>> {
        self.wake_watchers();
        let index = self
            .entries
            .iter()
            .position(|e| e.slot.is_null() && !e.watch && !e.task)?;
        self.entries.remove(index)
    }

    /// Completes (and wakes) every watcher: a counterpart came by, which is all they
    /// wanted to know. As in `pop_counterpart`, waking one under the lock only unparks
    /// a thread.
    #[inline]
    pub(crate) fn wake_watchers(&mut self) {
        if self.may_have_watchers {
            self.remove_watchers();
        }
    }

    #[cold]
    fn remove_watchers(&mut self) {
        self.may_have_watchers = false;
        self.entries.retain(|entry| {
            if entry.watch {
                // SAFETY: we hold this queue's channel lock, and the entry was reachable.
                if let Some(Some(waker)) = unsafe { entry.party() }.try_complete(entry.arm) {
                    waker.wake();
                }
            }
            !entry.watch
        });
    }

    /// Removes and returns the oldest entry, direct or notify.
    pub(crate) fn pop(&mut self) -> Option<Entry<T>> {
        self.entries.pop_front()
    }

    /// Whether no party waits here.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries are queued, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Removes and completes every entry (each on its own arm), for disconnection:
    /// direct entries keep their slots as they are, which tells their owners the
    /// channel is gone. Returns the wakers to wake once the lock is released.
    pub(crate) fn complete_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Some(entry) = self.entries.pop_front() {
            // SAFETY: we hold this queue's channel lock (it is inside it), and the entry
            // was reachable until now.
            if let Some(Some(waker)) = unsafe { entry.party() }.try_complete(entry.arm) {
                wakers.push(waker);
            }
        }
        wakers
    }
}

/// A wait queue's entries, oldest first: the oldest inline, the rest in a `VecDeque`.
/// Most queues hold one entry at a time (a thread waiting for its counterpart), so the
/// common push and pop touch neither the deque's buffer, a cache line of its own, nor
/// its index arithmetic: pinned to one CPU, callgrind, the `bounded(1)` ping-pong ran
/// 890 instructions a round trip instead of 932, the rendezvous one 656 instead of
/// 670. Invariant: `first` is `None` only if `rest` is empty.
#[derive(Debug)]
struct Line<T> {
    first: Option<Entry<T>>,
    rest: VecDeque<Entry<T>>,
}

impl<T> Line<T> {
    const fn new() -> Self {
        Self {
            first: None,
            rest: VecDeque::new(),
        }
    }

    #[inline]
    fn push_back(&mut self, entry: Entry<T>) {
        if self.first.is_none() {
            self.first = Some(entry);
        } else {
            self.rest.push_back(entry);
        }
    }

    fn push_front(&mut self, entry: Entry<T>) {
        if let Some(old) = self.first.replace(entry) {
            self.rest.push_front(old);
        }
    }

    #[inline]
    fn pop_front(&mut self) -> Option<Entry<T>> {
        let entry = self.first.take()?;
        if !self.rest.is_empty() {
            self.first = self.rest.pop_front();
        }
        Some(entry)
    }

    #[inline]
    fn front(&self) -> Option<&Entry<T>> {
        self.first.as_ref()
    }

    fn iter(&self) -> impl Iterator<Item = &Entry<T>> {
        self.first.iter().chain(self.rest.iter())
    }

    /// Removes the entry at `index` (0 is the oldest), if there is one.
    fn remove(&mut self, index: usize) -> Option<Entry<T>> {
        match index {
            0 => self.pop_front(),
            _ => self.rest.remove(index - 1),
        }
    }

    /// Keeps the entries `keep` says to, asked oldest first.
    fn retain(&mut self, mut keep: impl FnMut(&Entry<T>) -> bool) {
        if self.first.as_ref().is_some_and(|first| !keep(first)) {
            self.first = None;
        }
        self.rest.retain(&mut keep);
        if self.first.is_none() {
            self.first = self.rest.pop_front();
        }
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        PushBack,
        PushFront,
        PopFront,
        Remove(usize),
        RetainOdd,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::PushBack),
            1 => Just(Op::PushFront),
            2 => Just(Op::PopFront),
            1 => (0usize..6).prop_map(Op::Remove),
            1 => Just(Op::RetainOdd),
        ]
    }

    proptest! {
        /// `Line` keeps its oldest entry inline and the rest in a deque: any sequence
        /// of the operations a wait queue makes leaves it holding what a plain
        /// `VecDeque` would, in the same order. Catches an entry lost or reordered
        /// between the inline slot and the deque (a pop that does not refill the slot,
        /// a `retain` or `remove` that skips it, a `push_front` that drops the old
        /// front), which would lose or reorder a waiter.
        #[test]
        fn a_line_orders_its_entries_as_a_deque_does(ops in proptest::collection::vec(op(), 0..40)) {
            let party = Party::new();
            let mut line = Line::<()>::new();
            let mut model = VecDeque::new();
            // Each entry's arm is its identity.
            for (next, op) in ops.into_iter().enumerate() {
                match op {
                    Op::PushBack => {
                        line.push_back(Entry::notify(&party, next));
                        model.push_back(next);
                    }
                    Op::PushFront => {
                        line.push_front(Entry::notify(&party, next));
                        model.push_front(next);
                    }
                    Op::PopFront => {
                        prop_assert_eq!(line.pop_front().map(|e| e.arm()), model.pop_front());
                    }
                    Op::Remove(index) => {
                        prop_assert_eq!(line.remove(index).map(|e| e.arm()), model.remove(index));
                    }
                    Op::RetainOdd => {
                        let mut asked = Vec::new();
                        line.retain(|e| {
                            asked.push(e.arm());
                            e.arm() % 2 == 1
                        });
                        prop_assert_eq!(&asked, &model.iter().copied().collect::<Vec<_>>(),
                            "retain asks about every entry, oldest first");
                        model.retain(|arm| arm % 2 == 1);
                    }
                }
                let held: Vec<usize> = line.iter().map(Entry::arm).collect();
                prop_assert_eq!(&held, &model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(line.len(), model.len());
                prop_assert_eq!(line.is_empty(), model.is_empty());
                prop_assert_eq!(line.front().map(Entry::arm), model.front().copied());
            }
        }
    }
}
