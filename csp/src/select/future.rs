//! The async select: the same engine as [`super::run`], as a future. Its party lives
//! in the (pinned) future; each poll tries the arms, or registers the party in every
//! arm's queue with the task's waker and returns `Pending`.
//!
//! An async select may be dropped at any point, so it must never be a partner (see
//! `crate::future`): its try-pass claims only direct entries (blocked threads, async
//! sends); meeting a notify entry (a select, an async receive), it nudges it. So that a
//! send arm can wait for such a receiver, it holds its value from the start, as Go's
//! select does and as `tokio::select!` evaluates its futures: the macro evaluates the
//! value of every enabled send arm before the select begins ([`StashedSender`]), and
//! on a rendezvous the arm waits as a direct entry holding it, which any receiver may
//! take. A value whose arm does not commit is dropped with the select. Dropped after a
//! counterpart completed it, the select passes on what that meant (`forgo`); a value
//! already taken was sent, unreported, as with a dropped send future.

use super::token::Token;
use super::{Absent, Arm, AsyncHandle, Order, SelectedOperation, Witness, rng};
use crate::alarm;
use crate::party::{Outcome, Party, Until};
use crate::waitq::Slot;
use crate::{Receiver, RecvError, SendError, Sender};
use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// An arm of an async select: the arm as a thread select sees it (to complete it)
/// and its async operations. Its constructors require `T: Send`, so every handle is
/// `Sync` and the select future can move between threads with its task.
#[doc(hidden)]
pub struct AsyncArm<'a> {
    arm: Arm<'a>,
    ops: &'a dyn AsyncHandle,
    /// The witness read before the arm was last tried, by a select that may not wait
    /// (see `crate::select`). Only the select future's `poll` touches it.
    seen: Cell<Witness>,
}

impl std::fmt::Debug for AsyncArm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.arm.fmt(f)
    }
}

// SAFETY: an AsyncArm is shared references to a `Receiver<T>`, or to a `Sender<T>` and
// the `StashedSender<T>` around it, with `T: Send` (its only constructors require
// it), which are `Sync` (the stash's slot is `Sync` for `T: Send`, and is reached only
// under the channel lock or by the select's owner, as any direct entry's); or to the
// stateless `Absent` handle; plus an index, and the witness cell, which only the
// select future's `poll` (through `Pin<&mut>`, so never two threads at once) uses.
unsafe impl Send for AsyncArm<'_> {}
// SAFETY: as above.
unsafe impl Sync for AsyncArm<'_> {}

impl<'a> AsyncArm<'a> {
    /// A receive arm on `receiver`, present only if `enabled`.
    #[doc(hidden)]
    pub fn recv<T: Send>(receiver: &'a crate::Receiver<T>, enabled: bool, index: usize) -> Self {
        Self {
            arm: Arm::recv(receiver, enabled, index),
            ops: if enabled { receiver } else { &Absent },
            seen: Cell::new(Witness::Never),
        }
    }

    /// A send arm on `stashed`'s sender, offering its value, present only if
    /// `enabled`.
    #[doc(hidden)]
    pub fn send<T: Send>(stashed: &'a StashedSender<'a, T>, enabled: bool, index: usize) -> Self {
        Self {
            arm: Arm::send(stashed.sender, enabled, index),
            ops: if enabled { stashed } else { &Absent },
            seen: Cell::new(Witness::Never),
        }
    }
}

/// A send arm's sender and the value it offers, evaluated before the select starts
/// (see the module docs). On a rendezvous, the select waits as a direct entry whose
/// slot is `stash`; the value left in it when the select is over (its arm did not
/// commit) is dropped with it.
///
/// A channel reaches `stash` while the select is registered, so it must stay in place
/// until the select future is dropped (which unregisters): the macros declare both in
/// the same async block, whose pinned state holds them until then, the stash first.
#[doc(hidden)]
pub struct StashedSender<'a, T> {
    pub(crate) sender: &'a Sender<T>,
    pub(crate) stash: Slot<T>,
}

impl<'a, T> StashedSender<'a, T> {
    /// `sender` offering `value` (`None` for a disabled arm).
    #[doc(hidden)]
    pub fn new(sender: &'a Sender<T>, value: Option<T>) -> Self {
        Self {
            sender,
            stash: Slot::new(value),
        }
    }
}

/// The future an async select awaits; see the module docs.
#[doc(hidden)]
#[must_use = "futures do nothing unless polled"]
pub struct SelectFuture<'a, 'b> {
    arms: &'b [AsyncArm<'a>],
    start: usize,
    /// `default`: give up at once if nothing is ready.
    now: bool,
    /// `default(timeout)`: give up at this instant.
    deadline: Option<Instant>,
    party: Party,
    /// How many arms, from `start` on, hold an entry of `party`.
    registered: Cell<usize>,
    /// The deadline an alarm is already set for, and for which waker, so that polls
    /// that find nothing new do not pile alarms up.
    alarm: Cell<Option<(Instant, Waker)>>,
    _pinned: PhantomPinned,
}

// SAFETY: the arms are Send + Sync (AsyncArm), the party is Send + Sync by its
// protocol, and the cells are touched only by the owner through `Pin<&mut Self>`.
unsafe impl Send for SelectFuture<'_, '_> {}

/// The operation an async select chose, to complete at once: a [`SelectedOperation`]
/// that may move between threads with its task, so that a task awaiting
/// `select_async!` (whose send arms may `.await` after choosing) stays `Send`.
#[doc(hidden)]
#[derive(Debug)]
pub struct AsyncSelected<'a>(SelectedOperation<'a>);

// SAFETY: it is made only from an `AsyncArm`, whose handle is a `Receiver<T>` or
// `Sender<T>` with `T: Send` (so `Sync`: the reference may cross threads) or `Absent`.
// Its token points at parties and slots that the wait protocol lets any thread
// complete: a claimed party is finished by whoever claimed it, from any thread, and
// the values in slots are `T: Send`.
unsafe impl Send for AsyncSelected<'_> {}

impl<'a> AsyncSelected<'a> {
    /// See [`SelectedOperation::index`].
    pub fn index(&self) -> usize {
        self.0.index()
    }

    /// See [`SelectedOperation::recv`].
    pub fn recv<T>(self, receiver: &Receiver<T>) -> Result<T, RecvError> {
        self.0.recv(receiver)
    }

    /// Completes the chosen send arm of `stashed` with the value it holds.
    pub fn send<T>(self, stashed: &StashedSender<'_, T>) -> Result<(), SendError<T>> {
        self.0.send_stashed(stashed)
    }
}

impl<'a, 'b> SelectFuture<'a, 'b> {
    /// A select over `arms` (shuffled in place for `Order::Random`).
    #[doc(hidden)]
    pub fn new(
        arms: &'b mut [AsyncArm<'a>],
        order: Order,
        now: bool,
        timeout: Option<Duration>,
    ) -> Self {
        let start = match order {
            Order::Random => {
                rng::shuffle(arms);
                rng::start(arms.len(), |position| arms[position].arm.handle.is_ready())
            }
            Order::Biased => 0,
            Order::From(start) => start,
        };
        Self {
            arms,
            start,
            now,
            deadline: timeout.and_then(|t| crate::sync::now().checked_add(t)),
            party: Party::new(),
            registered: Cell::new(0),
            alarm: Cell::new(None),
            _pinned: PhantomPinned,
        }
    }

    fn positions(&self) -> impl Iterator<Item = usize> + use<> {
        let (start, count) = (self.start, self.arms.len());
        (0..count).map(move |k| (start + k) % count.max(1))
    }

    fn unregister_all(&self) {
        for position in self.positions().take(self.registered.replace(0)) {
            self.arms[position]
                .arm
                .handle
                .unregister(&self.party, position);
        }
    }

    fn chosen(&self, position: usize, token: Token) -> Option<AsyncSelected<'a>> {
        let arm = self.arms[position].arm;
        // Forever: an async select claims only direct entries (blocked threads,
        // async sends), which never give an exchange up, so no deadline is needed.
        Some(AsyncSelected(SelectedOperation::new(
            arm.index,
            arm.handle,
            token,
            Until::Forever,
        )))
    }

    /// Asks the alarm thread to wake this task at `at`, unless it already will.
    fn wake_at(&self, at: Instant, cx: &Context<'_>) {
        let set = self.alarm.take();
        let same =
            matches!(&set, Some((when, waker)) if *when == at && waker.will_wake(cx.waker()));
        if same {
            self.alarm.set(set);
        } else {
            alarm::wake_at(at, cx.waker().clone());
            self.alarm.set(Some((at, cx.waker().clone())));
        }
    }

    /// The earliest instant at which the select must look again: its own deadline,
    /// or a timer arm's.
    fn next_deadline(&self) -> Option<Instant> {
        let timers = self
            .arms
            .iter()
            .filter_map(|arm| arm.arm.handle.deadline())
            .min();
        match (self.deadline, timers) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl<'a> Future for SelectFuture<'a, '_> {
    type Output = Option<AsyncSelected<'a>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // All state is in cells and the party: shared access suffices, and nothing
        // moves out of the pin.
        let this = self.into_ref().get_ref();
        loop {
            if this.registered.get() > 0 {
                let outcome = match this.party.poll(cx.waker()) {
                    Poll::Ready(position) => Outcome::Done(position),
                    Poll::Pending => {
                        match this.next_deadline() {
                            Some(at) if crate::sync::now() < at => {
                                this.wake_at(at, cx);
                                return Poll::Pending;
                            }
                            // A deadline passed: stop waiting and look again.
                            Some(_) => this.party.cancel(),
                            None => return Poll::Pending,
                        }
                    }
                };
                this.unregister_all();
                if let Outcome::Done(position) = outcome {
                    if let Some(token) = this.arms[position].ops.accept_async(&this.party) {
                        return Poll::Ready(this.chosen(position, token));
                    }
                }
            }
            let may_give_up = this.now || this.deadline.is_some();
            for position in this.positions() {
                let arm = &this.arms[position];
                if may_give_up {
                    arm.seen.set(arm.arm.handle.witness());
                }
                if let Some(token) = arm.ops.try_claim_async() {
                    return Poll::Ready(this.chosen(position, token));
                }
            }
            if this.now || this.deadline.is_some_and(|at| crate::sync::now() >= at) {
                // As a thread select: give up only if no arm may have become ready
                // while the others were tried (`crate::select`).
                let unmoved = this
                    .arms
                    .iter()
                    .all(|arm| arm.arm.handle.witness() == arm.seen.get());
                if unmoved {
                    return Poll::Ready(None);
                }
                continue;
            }
            this.party.sleep_fresh(cx.waker());
            let mut ready = false;
            for (k, position) in this.positions().enumerate() {
                this.registered.set(k + 1);
                if this.arms[position]
                    .ops
                    .register_async(&this.party, position)
                {
                    ready = true;
                    break;
                }
            }
            if ready {
                // Something arrived meanwhile: back out (unless already completed,
                // which the next turn of the loop accepts) and try again.
                if this.party.cancel() == Outcome::Aborted {
                    this.unregister_all();
                }
                continue;
            }
            if let Some(at) = this.next_deadline() {
                this.wake_at(at, cx);
            }
            return Poll::Pending;
        }
    }
}

impl Drop for SelectFuture<'_, '_> {
    fn drop(&mut self) {
        if self.registered.get() == 0 {
            return;
        }
        let outcome = self.party.cancel();
        self.unregister_all();
        if let Outcome::Done(position) = outcome {
            self.arms[position].ops.forgo(&self.party);
        }
    }
}
