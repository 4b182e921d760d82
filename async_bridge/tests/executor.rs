//! The executor's own contract: wake-ups by reference and by value re-run a task,
//! dropping the executor runs what was queued and stops its workers (also when dropped
//! from one of its own tasks), and its handles describe themselves.

use csp_executor::Executor;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(10);

/// Pending on its first poll after waking its own task, ready on the next: a task
/// that runs to the end only if that wake-up re-queues it.
struct WakeSelf {
    polled: bool,
    by_ref: bool,
}

impl Future for WakeSelf {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        if self.by_ref {
            cx.waker().wake_by_ref();
        } else {
            // An owned waker, woken by value (`Wake::wake`, not `wake_by_ref`).
            let waker = cx.waker().clone();
            waker.wake();
        }
        Poll::Pending
    }
}

#[test]
fn a_task_that_wakes_itself_runs_again() {
    let executor = Executor::new(1);
    for by_ref in [true, false] {
        let (done_tx, done_rx) = csp_channel::bounded(1);
        executor.spawn(async move {
            WakeSelf {
                polled: false,
                by_ref,
            }
            .await;
            done_tx.send(()).unwrap();
        });
        assert_eq!(done_rx.recv_timeout(PATIENCE), Ok(()), "by_ref: {by_ref}");
    }
}

#[test]
fn dropping_the_executor_runs_queued_tasks_first() {
    let ran = Arc::new(AtomicUsize::new(0));
    let executor = Executor::new(1);
    for _ in 0..20 {
        let ran = Arc::clone(&ran);
        executor.spawn(async move {
            std::thread::sleep(Duration::from_millis(1));
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    drop(executor);
    assert_eq!(ran.load(Ordering::SeqCst), 20);
}

#[test]
fn an_executor_dropped_by_its_own_task_stops() {
    let executor = Executor::new(2);
    let (give, take) = csp_channel::bounded::<Executor>(1);
    let (done_tx, done_rx) = csp_channel::bounded(1);
    executor.spawn(async move {
        let executor = take.recv_async().await.unwrap();
        // Joins the other worker, not the one running this task.
        drop(executor);
        done_tx.send(()).unwrap();
    });
    give.send(executor).unwrap();
    assert_eq!(done_rx.recv_timeout(PATIENCE), Ok(()));
}

#[test]
fn handles_describe_themselves() {
    let executor = Executor::new(3);
    let (tx, rx) = csp_channel::bounded::<()>(0);
    let pending = executor.spawn(async move { rx.recv_async().await.is_err() });
    assert_eq!(
        format!("{executor:?}"),
        "Executor { workers: 3, live_tasks: 1 }"
    );
    assert_eq!(
        format!("{:?}", executor.spawner()),
        "Spawner { live_tasks: 1 }"
    );
    drop(tx);
    assert!(pending.join());
}
