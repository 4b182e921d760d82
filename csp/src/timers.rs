//! Timer receivers, for select arms that fire at a time (occam's `tim ? AFTER t`).
//! Each is a `Receiver<Instant>` (or, for [`never`](never()), of any type) with no sender: the
//! message is the instant the timer fired.

use crate::Receiver;
use crate::flavors::timer::Timer;
use std::time::{Duration, Instant};

/// A receiver that delivers one message, `duration` from now: the instant it fired.
/// After that message is taken it never delivers another.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let timer = csp_channel::after(Duration::from_millis(10));
/// let fired = timer.recv().unwrap();
/// assert!(fired >= start + Duration::from_millis(10));
/// assert!(timer.try_recv().is_err()); // only once
/// ```
pub fn after(duration: Duration) -> Receiver<Instant> {
    match crate::sync::now().checked_add(duration) {
        Some(deadline) => at(deadline),
        None => never(),
    }
}

/// A receiver that delivers one message at `when` (at once if that has passed).
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let when = Instant::now() + Duration::from_millis(5);
/// assert_eq!(csp_channel::at(when).recv(), Ok(when));
/// ```
pub fn at(when: Instant) -> Receiver<Instant> {
    Receiver::from_timer(Timer::at(when, identity))
}

/// A receiver that delivers a message every `period`, the first one `period` from
/// now: the instant the tick was due. It holds at most one: a receiver that falls
/// behind gets one message for the ticks it missed, and the next tick comes a period
/// after that late receive, as with crossbeam-channel's `tick`. For ticks that keep
/// to their original schedule, see [`tick_in_phase`].
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let ticker = csp_channel::tick(Duration::from_millis(5));
/// let first = ticker.recv().unwrap();
/// let second = ticker.recv().unwrap();
/// assert!(first >= start + Duration::from_millis(5));
/// assert!(second >= first + Duration::from_millis(5));
/// ```
pub fn tick(period: Duration) -> Receiver<Instant> {
    Receiver::from_timer(Timer::tick(period, false, identity))
}

/// Like [`tick`], but the ticks keep to the schedule `start + k * period`, as Go's
/// `time.Ticker` does: a receiver that falls behind gets one message for the ticks it
/// missed (the earliest of them), and the next tick is the first of the schedule after
/// that late receive. Use it where the phase matters (a sampler, a frame clock); use
/// `tick` where the gap after each receive does.
///
/// ```
/// use std::thread::sleep;
/// use std::time::{Duration, Instant};
///
/// let period = Duration::from_millis(20);
/// let start = Instant::now();
/// let ticker = csp_channel::tick_in_phase(period);
/// sleep(period * 3 + period / 2); // three ticks missed
/// let late = ticker.recv().unwrap();
/// assert!(late >= start + period && late < start + period * 2); // the first one
/// let next = ticker.recv().unwrap();
/// // On schedule: a whole number of periods after the first tick.
/// assert_eq!((next - late).as_nanos() % period.as_nanos(), 0);
/// assert!(next >= start + period * 4);
/// ```
pub fn tick_in_phase(period: Duration) -> Receiver<Instant> {
    Receiver::from_timer(Timer::tick(period, true, identity))
}

/// A receiver that never delivers anything: as a select arm it is never chosen, which
/// makes an arm optional without a guard (Go's nil channel).
///
/// ```
/// use std::time::Duration;
///
/// let nothing = csp_channel::never::<i32>();
/// assert!(nothing.recv_timeout(Duration::from_millis(1)).is_err());
/// ```
pub fn never<T>() -> Receiver<T> {
    Receiver::from_timer(Timer::Never)
}

fn identity(instant: Instant) -> Instant {
    instant
}
