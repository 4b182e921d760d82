//! Select: wait on several channel operations, commit exactly one (occam's ALT).
//!
//! # How a select runs
//!
//! 1. **Try** each enabled arm in the chosen order (random, written, or fair), by
//!    *claiming* its operation without waiting ([`Handle::try_claim`]). The first claim
//!    wins: the arm is chosen, and the select returns a [`SelectedOperation`] holding
//!    the claim. Completing it moves the value; dropping it gives the claim back.
//! 2. If none is ready, **register** one [`Party`] in every arm's wait queue, each entry
//!    naming the arm. Registering re-checks the arm under the channel's lock (or the
//!    notify list's handshake), so a counterpart that arrived after step 1 is seen: the
//!    select then aborts its party and starts again at step 1 rather than sleep.
//! 3. **Wait** on the party. A counterpart completes it on one arm, by the same single
//!    atomic step as for a plain operation; every other counterpart finds it done and
//!    passes over its entries. So exactly one arm commits.
//! 4. **Unregister** the other entries, each under its channel's lock, then *accept* the
//!    arm: on a rendezvous the completer left a partner to exchange with; on a buffered
//!    channel the completion only said "ready now", so the select claims again, that
//!    arm first, and goes back to step 1 if someone was quicker.
//!
//! A select that may not wait (`default`, `try_select`, `try_ready`, a zero or elapsed
//! timeout) stops after step 1, but it must not report "nothing ready" just because
//! its one pass was unlucky: an arm it looked at early may have become ready while it
//! looked at the others, and the one that was ready then taken by someone else. So
//! before trying each arm it reads the arm's [`Witness`] (a value that changes
//! whenever the arm may have become ready), and after the pass it reads every witness
//! again. If none changed, every arm was not ready from its try until that second
//! read, so all of them at once just after the last try: "nothing ready" is true at
//! that instant (the select is linearizable). If one changed, it passes again.
//!
//! The party, the arms and the claim all live on the stack (the dynamic [`Select`]
//! keeps its arms in a `Vec` it reuses), so a select allocates nothing per call.

mod api;
mod future;
mod macros;
mod rng;
pub(crate) mod token;

pub use api::{Select, SelectedOperation};
pub(crate) use future::StashedSender;

use crate::backoff::Backoff;
use crate::flavors::Side;
use crate::party::{Outcome, Party, Until};
use crate::waker::current_thread_waker;
use std::time::Instant;
use token::Token;

/// What a non-blocking select reads of an arm before trying it and after trying every
/// arm (module docs). Contract: if the arm becomes ready at some instant after a read,
/// every later read differs from that one. It may differ for other reasons too (then
/// the select only passes again).
///
/// Claims that a select gives back ([`Handle::release`], when a `SelectedOperation`
/// is dropped unfinished) are exempt: a value or room given back is as if it had
/// been unavailable meanwhile, and a witness may then read as before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Witness {
    /// An arm that is never ready: a false guard.
    Never,
    /// A channel's counters: each kind says which of its counters move when an arm
    /// becomes ready.
    Counts(usize, usize, usize),
    /// A timer: its next firing, if any, and whether that was due.
    Timer(Option<Instant>, bool),
}

/// One side of one channel, as a select arm sees it. Implemented by `Receiver`,
/// `Sender`, and the always-absent arm of a false guard.
pub(crate) trait Handle {
    /// Claims the operation if it can happen now (or the channel is disconnected).
    fn try_claim(&self) -> Option<Token>;
    /// Whether the operation could happen now, without claiming it.
    fn is_ready(&self) -> bool;
    /// The arm's [`Witness`], for a select that may not wait.
    fn witness(&self) -> Witness;
    /// Registers `party` on `arm`; returns whether the arm is ready already, in which
    /// case the select must not sleep.
    fn register(&self, party: &Party, arm: usize) -> bool;
    /// Removes what `register` left, if no counterpart removed it.
    fn unregister(&self, party: &Party, arm: usize);
    /// After `party` was completed on this arm: the claim it stands for, if any.
    fn accept(&self, party: &Party) -> Option<Token>;
    /// Registers `party` to be told when the arm may be ready, never to be met or
    /// claimed (for [`Select::ready`]); returns whether it is ready already.
    fn watch(&self, party: &Party, arm: usize) -> bool;
    /// When a timer arm fires next; `None` for channels.
    fn deadline(&self) -> Option<Instant>;
    /// Gives back a claim that will not be completed.
    ///
    /// # Safety
    /// `token` came from this handle's `try_claim` or `accept` and was not used since.
    unsafe fn release(&self, token: Token);
    /// The channel and side, so a completion can check it is given the right handle.
    fn id(&self) -> (*const (), Side);
}

/// The arm of a false guard: never ready, registers nothing (Go's nil channel).
pub(crate) struct Absent;

impl Handle for Absent {
    fn try_claim(&self) -> Option<Token> {
        None
    }
    fn is_ready(&self) -> bool {
        false
    }
    fn witness(&self) -> Witness {
        Witness::Never
    }
    fn register(&self, _: &Party, _: usize) -> bool {
        false
    }
    fn unregister(&self, _: &Party, _: usize) {}
    fn accept(&self, _: &Party) -> Option<Token> {
        None
    }
    fn watch(&self, _: &Party, _: usize) -> bool {
        false
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    unsafe fn release(&self, _: Token) {}
    fn id(&self) -> (*const (), Side) {
        (std::ptr::null(), Side::Recv)
    }
}

/// One side of one channel as an async select arm sees it: what differs from a
/// thread select's arm ([`Handle`]), because an async select may be dropped at any
/// await and so must never become a partner. Implemented by `Receiver`, by
/// `future::StashedSender` (a sender and the value its arm offers) and by `Absent`.
pub(crate) trait AsyncHandle {
    /// Like [`Handle::try_claim`], but never claims a notify entry on the other side
    /// (a select, an async receive): it nudges it instead, and it will meet the
    /// select's own entry once that is registered.
    fn try_claim_async(&self) -> Option<Token>;
    /// Like [`Handle::register`]; a rendezvous send arm registers as a direct entry
    /// holding its value, as an async send waits.
    fn register_async(&self, party: &Party, arm: usize) -> bool;
    /// Like [`Handle::accept`], once the select has unregistered every arm.
    fn accept_async(&self, party: &Party) -> Option<Token>;
    /// For an async select dropped after a counterpart completed it on this arm:
    /// passes on what that completion meant (a partner starts over; a nudge or a
    /// notification goes to the next waiter), so nothing is lost with the select.
    fn forgo(&self, party: &Party);
}

impl AsyncHandle for Absent {
    fn try_claim_async(&self) -> Option<Token> {
        None
    }
    fn register_async(&self, _: &Party, _: usize) -> bool {
        false
    }
    fn accept_async(&self, _: &Party) -> Option<Token> {
        None
    }
    fn forgo(&self, _: &Party) {}
}

/// One arm of a select: an operation and the index the caller knows it by.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Arm<'a> {
    handle: &'a dyn Handle,
    index: usize,
    /// The witness read before the arm was last tried, by a select that may not wait.
    seen: Witness,
}

impl std::fmt::Debug for Arm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arm").field("index", &self.index).finish()
    }
}

impl<'a> Arm<'a> {
    /// A receive arm on `receiver`, present only if `enabled`.
    #[doc(hidden)]
    pub fn recv<T>(receiver: &'a crate::Receiver<T>, enabled: bool, index: usize) -> Self {
        Self::new(receiver, enabled, index)
    }

    /// A send arm on `sender`, present only if `enabled`.
    #[doc(hidden)]
    pub fn send<T>(sender: &'a crate::Sender<T>, enabled: bool, index: usize) -> Self {
        Self::new(sender, enabled, index)
    }

    fn new(handle: &'a dyn Handle, enabled: bool, index: usize) -> Self {
        Self {
            handle: if enabled { handle } else { &Absent },
            index,
            seen: Witness::Never,
        }
    }
}

/// In which order the arms are tried, which decides among several ready ones.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Uniformly at random (Go's `select`).
    Random,
    /// As written (occam's `PRI ALT`, crossbeam's `select_biased!`).
    Biased,
    /// Round robin, starting at this position (JCSP's `fairSelect`).
    From(usize),
}

/// Whether a run commits an operation or only reports a ready one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Claim,
    Peek,
}

/// Runs a select over `arms` until one commits or `until` passes. Returns the
/// position in `arms` of the chosen arm and its claim; the arms may have been
/// reordered (shuffled) in place.
pub(crate) fn run(arms: &mut [Arm<'_>], order: Order, until: Until) -> Option<(usize, Token)> {
    run_in(arms, order, until, Mode::Claim)
}

/// Like [`run`], but only finds an arm that is ready, claiming nothing.
pub(crate) fn run_ready(arms: &mut [Arm<'_>], order: Order, until: Until) -> Option<usize> {
    run_in(arms, order, until, Mode::Peek).map(|(position, _)| position)
}

fn run_in(arms: &mut [Arm<'_>], order: Order, until: Until, mode: Mode) -> Option<(usize, Token)> {
    let count = arms.len();
    let start = match order {
        Order::Random => {
            rng::shuffle(arms);
            rng::start(count, |position| arms[position].handle.is_ready())
        }
        Order::Biased => 0,
        Order::From(start) => start,
    };
    let positions = move || (0..count).map(move |k| (start + k) % count.max(1));
    // An arm can be ready by count yet not claimable: another select holds the slot
    // (between its `select()` and its `send`/`recv`, which user code may put off). Then
    // every round finds it ready again, so rounds after such a miss back off, spinning
    // then yielding, rather than burn the CPU the holder may need to finish.
    let mut backoff = Backoff::new();
    let mut missed = false;
    // Whether this select may give up, and so needs the witnesses (module docs).
    let may_give_up = until != Until::Forever;
    loop {
        if missed {
            backoff.snooze();
        }
        for position in positions() {
            let arm = &mut arms[position];
            if may_give_up {
                arm.seen = arm.handle.witness();
            }
            let claimed = match mode {
                Mode::Claim => arm.handle.try_claim(),
                Mode::Peek => arm.handle.is_ready().then_some(Token::Disconnected),
            };
            if let Some(token) = claimed {
                return Some((position, token));
            }
        }
        if until.is_past() {
            // Every try failed. If no witness moved since its try, no arm was ready
            // at this instant; otherwise one may have become ready: pass again.
            if arms.iter().all(|arm| arm.handle.witness() == arm.seen) {
                return None;
            }
            backoff.spin();
            continue;
        }
        let timers = arms.iter().filter_map(|arm| arm.handle.deadline()).min();
        let party = Party::new();
        let mut registered = 0;
        let mut ready = false;
        for position in positions() {
            registered += 1;
            let handle = arms[position].handle;
            ready = match mode {
                Mode::Claim => handle.register(&party, position),
                Mode::Peek => handle.watch(&party, position),
            };
            if ready {
                break;
            }
        }
        let outcome = party.wait(
            if ready { Until::Now } else { until.min(timers) },
            current_thread_waker,
        );
        for position in positions().take(registered) {
            arms[position].handle.unregister(&party, position);
        }
        if let Outcome::Done(position) = outcome {
            let handle = arms[position].handle;
            let accepted = match mode {
                Mode::Claim => handle.accept(&party),
                // Woken because a counterpart came by: report the arm if it still
                // has one (the caller races for it anyway), else look again.
                Mode::Peek => handle.is_ready().then_some(Token::Disconnected),
            };
            if let Some(token) = accepted {
                return Some((position, token));
            }
        }
        missed = ready;
    }
}

/// What `select!` and `select_biased!` expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use super::future::{AsyncArm, AsyncSelected, SelectFuture, StashedSender};
    pub use super::{Arm, Order, SelectedOperation};
    use crate::party::Until;
    use std::time::Duration;

    /// Runs a macro select over its arms, at once (`default`), within `timeout`
    /// (`default(timeout)`), or as long as it takes (`timeout` is `None` and `now` is
    /// false).
    #[cfg_attr(csp_loom, track_caller)]
    pub fn run<'a>(
        arms: &mut [Arm<'a>],
        order: Order,
        now: bool,
        timeout: Option<Duration>,
    ) -> Option<SelectedOperation<'a>> {
        let _blocked = crate::sync::blocking("select!");
        let until = match (now, timeout) {
            (true, _) => Until::Now,
            (false, Some(timeout)) => Until::after(timeout),
            (false, None) => Until::Forever,
        };
        let (position, token) = super::run(arms, order, until)?;
        let arm = arms[position];
        Some(SelectedOperation::new(arm.index, arm.handle, token, until))
    }
}
