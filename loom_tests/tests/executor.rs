//! The executor's scheduling state: a task woken while a worker polls it is queued
//! again exactly once when the poll returns; a wake-up is never lost, and a task is
//! never on the run queue twice.
#![cfg(csp_loom)]

use loom_tests::exhaustive;

use csp_executor::loom_hooks::Schedule;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

#[test]
fn wake_while_running_requeues_once() {
    exhaustive(|| {
        let schedule = Arc::new(Schedule::new());
        let queued = Arc::new(AtomicUsize::new(0));
        // A worker takes the task off the queue and polls it, which returns Pending.
        schedule.start();
        let waker = {
            let (schedule, queued) = (schedule.clone(), queued.clone());
            thread::spawn(move || {
                if schedule.wake() {
                    queued.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        if schedule.pause() {
            queued.fetch_add(1, Ordering::SeqCst);
        }
        waker.join().unwrap();
        // The wake-up happened during the poll or after it: either way the task is
        // queued again, exactly once.
        assert_eq!(queued.load(Ordering::SeqCst), 1);
        // A second wake-up while it is queued does not queue it twice.
        assert!(!schedule.wake());
    });
}

#[test]
fn two_wakers_queue_an_idle_task_once() {
    exhaustive(|| {
        let schedule = Arc::new(Schedule::new());
        schedule.start();
        assert!(!schedule.pause(), "not woken during the poll");
        let queued = Arc::new(AtomicUsize::new(0));
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let (schedule, queued) = (schedule.clone(), queued.clone());
                thread::spawn(move || {
                    if schedule.wake() {
                        queued.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        wakers.into_iter().for_each(|w| w.join().unwrap());
        assert_eq!(queued.load(Ordering::SeqCst), 1);
    });
}
