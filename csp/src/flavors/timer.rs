//! Timer channels for select arms: occam's `tim ? AFTER t`. They have no senders: a
//! timer's "value" is the instant it fires, produced when a receive claims it.
//!
//! - `At`: one message, at a deadline; after it is taken, never again.
//! - `Tick`: a message every period; the channel holds at most one, so a receiver
//!   that falls behind gets one message for the ticks it missed. Then, by default (as
//!   crossbeam-channel's `tick`), the next is a period after that late receive; a tick
//!   *in phase* (as Go's `Ticker`) keeps to its schedule instead: the next is the
//!   first tick of the original schedule after that receive.
//! - `Never`: no message, ever: an arm that is always absent.

use super::RecvFailure;
use crate::party::Until;
use crate::select::Witness;
use crate::select::token::Token;
use crate::sync::{AtomicBool, Mutex, Ordering, lock, park, park_until};
use std::time::{Duration, Instant};

/// A timer channel; `make` turns the firing instant into the message type.
#[derive(Debug)]
pub(crate) enum Timer<T> {
    At {
        deadline: Instant,
        fired: AtomicBool,
        make: fn(Instant) -> T,
    },
    Tick {
        period: Duration,
        next: Mutex<Instant>,
        /// Whether the next tick keeps to the schedule (module docs).
        in_phase: bool,
        make: fn(Instant) -> T,
    },
    Never,
}

impl<T> Timer<T> {
    pub(crate) fn at(deadline: Instant, make: fn(Instant) -> T) -> Self {
        Timer::At {
            deadline,
            fired: AtomicBool::new(false),
            make,
        }
    }

    pub(crate) fn tick(period: Duration, in_phase: bool, make: fn(Instant) -> T) -> Self {
        let first = crate::sync::now()
            .checked_add(period)
            .unwrap_or_else(far_future);
        Timer::Tick {
            period,
            next: Mutex::new(first),
            in_phase,
            make,
        }
    }

    /// Takes the message if it is due.
    pub(crate) fn try_claim(&self) -> Option<Token> {
        match self {
            Timer::At {
                deadline, fired, ..
            } => (crate::sync::now() >= *deadline && !fired.swap(true, Ordering::AcqRel))
                .then_some(Token::Timer(*deadline)),
            Timer::Tick {
                period,
                next,
                in_phase,
                ..
            } => {
                let mut next = lock(next);
                let now = crate::sync::now();
                if now < *next {
                    return None;
                }
                let fired = *next;
                *next = if *in_phase {
                    next_in_phase(fired, *period, now)
                } else {
                    now.checked_add(*period).unwrap_or_else(far_future)
                };
                Some(Token::Timer(fired))
            }
            Timer::Never => None,
        }
    }

    /// When the next message is due, if one ever is.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self {
            Timer::At {
                deadline, fired, ..
            } => (!fired.load(Ordering::Acquire)).then_some(*deadline),
            Timer::Tick { next, .. } => Some(*lock(next)),
            Timer::Never => None,
        }
    }

    /// Whether a message is due now.
    pub(crate) fn is_ready(&self) -> bool {
        self.deadline().is_some_and(|due| crate::sync::now() >= due)
    }

    /// The arm's witness for a select that may not wait (`crate::select::Witness`): the
    /// next firing and whether it was due. A timer becomes ready only by its firing
    /// coming due, and its next firing moves only when one is taken.
    pub(crate) fn witness(&self) -> Witness {
        let due = self.deadline();
        Witness::Timer(due, due.is_some_and(|due| crate::sync::now() >= due))
    }

    /// Turns a claimed firing into the message.
    pub(crate) fn finish_recv(&self, token: Token) -> Result<T, RecvFailure> {
        match (self, token) {
            (Timer::At { make, .. } | Timer::Tick { make, .. }, Token::Timer(fired)) => {
                Ok(make(fired))
            }
            _ => unreachable!("a timer arm holds a timer token"),
        }
    }

    /// Puts back a claimed firing that will not be received.
    pub(crate) fn release(&self, token: Token) {
        match (self, token) {
            (Timer::At { fired, .. }, Token::Timer(_)) => fired.store(false, Ordering::Release),
            (Timer::Tick { next, .. }, Token::Timer(fired)) => {
                let mut next = lock(next);
                *next = (*next).min(fired);
            }
            _ => {}
        }
    }

    /// Receives the next message, sleeping until it is due or `until` passes.
    pub(crate) fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        loop {
            if let Some(token) = self.try_claim() {
                return self.finish_recv(token);
            }
            if until.is_past() {
                return Err(RecvFailure::NotReady);
            }
            // Sleeping is all a timer needs: nobody wakes it early, and a spurious
            // wake-up only loops.
            match until.min(self.deadline()) {
                Until::Deadline(due) => park_until(due),
                _ => park(),
            }
        }
    }

    /// How many messages are due now (0 or 1).
    pub(crate) fn len(&self) -> usize {
        usize::from(self.is_ready())
    }

    /// A timer holds at most one message; `never` holds none.
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Timer::Never => 0,
            _ => 1,
        }
    }
}

/// The first tick of the schedule `fired + k * period` (k ≥ 1) after `now`.
fn next_in_phase(fired: Instant, period: Duration, now: Instant) -> Instant {
    if period.is_zero() {
        return now;
    }
    let behind = now.saturating_duration_since(fired).as_nanos();
    let periods = behind / period.as_nanos() + 1;
    u32::try_from(periods)
        .ok()
        .and_then(|k| period.checked_mul(k))
        .and_then(|ahead| fired.checked_add(ahead))
        .unwrap_or_else(far_future)
}

/// An instant that never comes in practice, for periods too long to add.
fn far_future() -> Instant {
    crate::sync::now() + Duration::from_secs(86_400 * 365 * 30)
}
