//! How async works, from the bottom: a future is polled; when it cannot finish it
//! stores the waker it was given and returns `Pending`; whoever makes progress
//! possible calls `wake`; an executor then polls it again.
//!
//! This is a complete executor in a page: a task is a boxed future; its waker sends
//! the task back into the run queue; the run queue is a csp channel; the executor is
//! a loop that receives tasks and polls them. The tasks talk over csp channels whose
//! futures park on that waker (async_bridge's `Executor` is this, with workers, join
//! handles and a wake-while-running state machine).
//!
//! ```sh
//! cargo run --release --example executor
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A task: the future, and the run queue to go back to when woken.
struct Task {
    future: Mutex<Option<BoxFuture>>,
    run_queue: csp_channel::Sender<Arc<Task>>,
}

impl Wake for Task {
    /// Waking a task is sending it back to the run queue.
    fn wake(self: Arc<Self>) {
        let queue = self.run_queue.clone();
        // The queue is sized for every task, so this never waits; if the executor
        // is gone, the task is simply dropped.
        let _ = queue.try_send(self);
    }
}

/// Spawns `future` as a task: into the run queue for its first poll.
fn spawn(
    run_queue: &csp_channel::Sender<Arc<Task>>,
    future: impl Future<Output = ()> + Send + 'static,
) {
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(future))),
        run_queue: run_queue.clone(),
    });
    run_queue.try_send(task).expect("the run queue has room");
}

/// Runs the tasks until `done` says the work is over; returns how many polls it took.
fn run(run_queue: csp_channel::Receiver<Arc<Task>>, done: csp_channel::Receiver<()>) -> usize {
    let mut polls = 0;
    loop {
        // A select: the next task to poll, or the signal that all is done.
        let task = csp_channel::select_biased! {
            recv(done) -> _ => return polls,
            recv(run_queue) -> task => task.expect("tasks hold the queue's sender"),
        };
        let waker = Waker::from(task.clone());
        let mut cx = Context::from_waker(&waker);
        let mut slot = task.future.lock().unwrap();
        if let Some(future) = slot.as_mut() {
            polls += 1;
            if let Poll::Ready(()) = future.as_mut().poll(&mut cx) {
                *slot = None; // finished: drop the future
            }
        }
    }
}

/// A producer task, a doubling task and a collecting task on one thread, linked by
/// rendezvous channels. Returns what the collector got and the number of polls.
fn demo(n: u64) -> (Vec<u64>, usize) {
    let (queue_tx, queue_rx) = csp_channel::bounded::<Arc<Task>>(16);
    let (numbers_tx, numbers_rx) = csp_channel::bounded::<u64>(0);
    let (doubled_tx, doubled_rx) = csp_channel::bounded::<u64>(0);
    let (done_tx, done_rx) = csp_channel::bounded::<()>(1);
    let collected = Arc::new(Mutex::new(Vec::new()));
    spawn(&queue_tx, async move {
        for i in 1..=n {
            numbers_tx.send_async(i).await.unwrap(); // Pending until the doubler takes it
        }
    });
    spawn(&queue_tx, async move {
        while let Ok(i) = numbers_rx.recv_async().await {
            doubled_tx.send_async(i * 2).await.unwrap();
        }
    });
    let sink = collected.clone();
    spawn(&queue_tx, async move {
        while let Ok(v) = doubled_rx.recv_async().await {
            sink.lock().unwrap().push(v);
        }
        done_tx.send_async(()).await.unwrap();
    });
    drop(queue_tx);
    let polls = run(queue_rx, done_rx);
    let got = collected.lock().unwrap().clone();
    (got, polls)
}

fn main() {
    let (got, polls) = demo(10);
    println!("collected {got:?}");
    println!("in {polls} polls of 3 tasks on one thread");
}

#[cfg(test)]
mod tests {
    #[test]
    fn three_tasks_run_to_completion_on_one_thread() {
        let (got, polls) = super::demo(100);
        assert_eq!(got, (1..=100).map(|i| i * 2).collect::<Vec<_>>());
        // Every value crosses two rendezvous, so tasks take turns many times.
        assert!(polls > 100, "{polls} polls");
    }
}
