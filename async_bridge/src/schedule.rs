//! A task's scheduling state: whether it is idle, queued, running, or woken while
//! running. It decides, without a lock, who puts a task back on the run queue, so a
//! task is queued at most once at a time and a wake-up is never lost.

use crate::sync::{AtomicUsize, Ordering};

/// Not queued, not running: a wake-up must queue it.
const IDLE: usize = 0;
/// On the run queue (or about to be).
const QUEUED: usize = 1;
/// Being polled by a worker.
const RUNNING: usize = 2;
/// Woken while being polled: the worker queues it again when the poll returns.
const RUNNING_WOKEN: usize = 3;
/// Finished: wake-ups do nothing.
const DONE: usize = 4;

/// See the module docs.
#[derive(Debug)]
pub struct Schedule {
    state: AtomicUsize,
}

impl Default for Schedule {
    fn default() -> Self {
        Self::new()
    }
}

impl Schedule {
    /// A task that is about to be queued for its first poll.
    pub fn new() -> Self {
        Self {
            state: AtomicUsize::new(QUEUED),
        }
    }

    /// A wake-up. Returns `true` if the caller must put the task on the run queue.
    pub fn wake(&self) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let next = match state {
                IDLE => QUEUED,
                RUNNING => RUNNING_WOKEN,
                _ => return false,
            };
            match self
                .state
                .compare_exchange(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return next == QUEUED,
                Err(now) => state = now,
            }
        }
    }

    /// A worker took the task off the queue and is about to poll it.
    pub fn start(&self) {
        let was = self.state.swap(RUNNING, Ordering::AcqRel);
        debug_assert_eq!(was, QUEUED, "a task ran without being queued");
    }

    /// The poll returned `Pending`. Returns `true` if the task was woken meanwhile and
    /// the worker must queue it again.
    pub fn pause(&self) -> bool {
        match self
            .state
            .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => false,
            Err(_) => {
                // Only a wake-up moves a running task, to RUNNING_WOKEN.
                self.state.store(QUEUED, Ordering::Release);
                true
            }
        }
    }

    /// The poll returned `Ready` (or panicked): the task is over.
    pub fn finish(&self) {
        self.state.store(DONE, Ordering::Release);
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::Schedule;

    #[test]
    fn a_wake_while_idle_queues_the_task_once() {
        let schedule = Schedule::new();
        schedule.start();
        assert!(!schedule.pause(), "not woken while running");
        assert!(schedule.wake(), "idle: the waker queues it");
        assert!(!schedule.wake(), "already queued");
    }

    #[test]
    fn a_wake_while_running_is_left_to_the_worker() {
        let schedule = Schedule::new();
        assert!(!schedule.wake(), "queued for its first poll");
        schedule.start();
        assert!(!schedule.wake(), "running: the worker re-queues it");
        assert!(!schedule.wake(), "already marked");
        assert!(schedule.pause(), "woken while running");
        assert!(!schedule.wake(), "queued again");
        schedule.start();
        schedule.finish();
        assert!(!schedule.wake(), "a finished task is never queued");
    }
}
