//! Wake-ups at a deadline for async waits (timer arms and `default(timeout)` of an
//! async select, and awaiting a timer receiver): one thread for the whole process,
//! started on first use, sleeping until the earliest deadline and waking the wakers
//! that are due. A task that no longer cares is woken anyway, which is harmless: a
//! wake-up only means "poll again".
//!
//! This thread is outside the wait protocol (it only calls `Waker::wake`), so it uses
//! std's primitives directly rather than the loom facade. Under loom and shuttle there
//! is no such thread: the model's clock passes where the task would wait
//! (`crate::sync`, "model clock").

#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) use clock_thread::wake_at;

/// The alarm thread and its queue of deadlines.
#[cfg(not(any(csp_loom, csp_shuttle)))]
mod clock_thread {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::sync::{Condvar, Mutex, OnceLock};
    use std::task::Waker;
    use std::time::Instant;

    /// A waker due at an instant; `seq` keeps equal instants in a total order.
    struct Alarm {
        at: Instant,
        seq: u64,
        waker: Waker,
    }

    impl PartialEq for Alarm {
        fn eq(&self, other: &Self) -> bool {
            (self.at, self.seq) == (other.at, other.seq)
        }
    }
    impl Eq for Alarm {}
    impl PartialOrd for Alarm {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Alarm {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            (self.at, self.seq).cmp(&(other.at, other.seq))
        }
    }

    struct Clock {
        alarms: Mutex<(BinaryHeap<Reverse<Alarm>>, u64)>,
        changed: Condvar,
    }

    fn clock() -> &'static Clock {
        static CLOCK: OnceLock<&'static Clock> = OnceLock::new();
        CLOCK.get_or_init(|| {
            let clock: &'static Clock = Box::leak(Box::new(Clock {
                alarms: Mutex::new((BinaryHeap::new(), 0)),
                changed: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("csp-alarm".into())
                .spawn(move || run(clock))
                .expect("spawning csp's alarm thread");
            clock
        })
    }

    fn run(clock: &Clock) {
        let mut guard = clock.alarms.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while guard.0.peek().is_some_and(|Reverse(alarm)| alarm.at <= now) {
                let Some(Reverse(alarm)) = guard.0.pop() else {
                    break;
                };
                due.push(alarm.waker);
            }
            if !due.is_empty() {
                // Wake outside the lock: a waker may run arbitrary code.
                drop(guard);
                due.into_iter().for_each(Waker::wake);
                guard = clock.alarms.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            guard = match guard.0.peek().map(|Reverse(alarm)| alarm.at) {
                Some(at) => {
                    clock
                        .changed
                        .wait_timeout(guard, at.saturating_duration_since(now))
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => clock.changed.wait(guard).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    /// Wakes `waker` at `at` (at once if that has passed).
    pub(crate) fn wake_at(at: Instant, waker: Waker) {
        if at <= Instant::now() {
            waker.wake();
            return;
        }
        let clock = clock();
        let mut guard = clock.alarms.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = guard.0.peek().is_none_or(|Reverse(first)| at < first.at);
        let seq = guard.1;
        guard.1 += 1;
        guard.0.push(Reverse(Alarm { at, seq, waker }));
        drop(guard);
        if earliest {
            clock.changed.notify_one();
        }
    }
}

/// Under a model checker no thread keeps time: where a task would wait for `at`, the
/// time comes as it does for a sleeping thread (`crate::sync`'s model clock), and the
/// task is woken to find it past.
#[cfg(any(csp_loom, csp_shuttle))]
pub(crate) fn wake_at(at: std::time::Instant, waker: std::task::Waker) {
    crate::sync::park_until(at);
    waker.wake();
}
