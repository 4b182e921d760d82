//! A small multi-threaded executor built from csp's own parts: the run queue is a csp
//! channel, a task's waker sends the task back into it, and a join handle is the
//! receiving end of a one-value channel. It exists to show how async works end to
//! end, and to run benchmarks without tokio.

use crate::schedule::Schedule;
use crate::sync::{Arc, Mutex, thread};
use futures::task::{ArcWake, waker_ref};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tasks a default executor holds at once; `spawn` waits for room beyond that.
const DEFAULT_CAPACITY: usize = 4096;

/// A spawned future and what it needs to run again.
struct Task {
    /// Taken out (and dropped) once the task is over.
    future: Mutex<Option<BoxFuture>>,
    schedule: Schedule,
    /// The run queue, to put the task back when it is woken.
    queue: csp_channel::Sender<Option<Arc<Task>>>,
    /// One value per live task, taken back when it ends (see `Executor::spawn`).
    room: csp_channel::Receiver<()>,
}

impl Task {
    /// Puts the task on the run queue. Waits at most for a worker's read: the queue
    /// has room for every live task, and the schedule lets each be queued at most
    /// once at a time.
    fn enqueue(self: Arc<Self>) {
        match self.queue.try_send(Some(self.clone())) {
            Ok(()) => {}
            // The executor is shutting down: the task will not run again.
            Err(csp_channel::TrySendError::Disconnected(_)) => {}
            // Room there is, by count, and `try_send` waits for a worker still
            // reading the slot; only a select holding a slot makes it report `Full`,
            // and none takes from the run queue. Should that change, wait for the
            // room rather than lose the task.
            Err(csp_channel::TrySendError::Full(task)) => {
                let _ = self.queue.send(task);
            }
        }
    }

    /// Polls the task once on this worker.
    fn run(self: Arc<Self>) {
        self.schedule.start();
        // Borrows this task's reference: no count changes unless a channel keeps it.
        let waker = waker_ref(&self);
        let mut cx = Context::from_waker(&waker);
        let mut slot = self.future.lock().unwrap_or_else(|p| p.into_inner());
        let Some(future) = slot.as_mut() else {
            return;
        };
        // A panicking task ends (its join handle reports it); the worker goes on.
        let poll = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)))
            .unwrap_or(Poll::Ready(()));
        match poll {
            Poll::Pending => {
                drop(slot);
                if self.schedule.pause() {
                    self.enqueue();
                }
            }
            Poll::Ready(()) => {
                *slot = None;
                drop(slot);
                self.schedule.finish();
                // Give back this task's room: by count a unit is there (this task's,
                // sent before it was queued), so `recv` waits at most for another
                // spawn still writing the oldest one. A unit not taken back would
                // leak the room for good.
                let _ = self.room.recv();
            }
        }
    }
}

impl ArcWake for Task {
    fn wake(self: Arc<Self>) {
        if self.schedule.wake() {
            self.enqueue();
        }
    }

    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.schedule.wake() {
            arc_self.clone().enqueue();
        }
    }
}

/// A pool of worker threads that run spawned futures.
///
/// ```
/// let executor = csp_executor::Executor::new(2);
/// let (tx, rx) = csp_channel::bounded(0);
/// let consumer = executor.spawn(async move {
///     let mut sum = 0;
///     while let Ok(v) = rx.recv_async().await {
///         sum += v;
///     }
///     sum
/// });
/// executor.spawn(async move {
///     for i in 1..=10 {
///         tx.send_async(i).await.unwrap();
///     }
/// });
/// assert_eq!(consumer.join(), 55);
/// ```
pub struct Executor {
    spawner: Spawner,
    workers: Vec<thread::JoinHandle<()>>,
}

/// A handle that spawns onto an [`Executor`] without owning it: clone it into tasks
/// that spawn tasks. Spawning after the executor is gone drops the future.
///
/// ```
/// let executor = csp_executor::Executor::new(2);
/// let spawner = executor.spawner();
/// let outer = executor.spawn(async move { spawner.spawn(async { 20 }).await + 1 });
/// assert_eq!(outer.join(), 21);
/// ```
#[derive(Clone)]
pub struct Spawner {
    queue: csp_channel::Sender<Option<Arc<Task>>>,
    /// Room for live tasks: `spawn` sends a unit (waiting while it is full) and a
    /// task that ends takes one back.
    room: (csp_channel::Sender<()>, csp_channel::Receiver<()>),
}

impl std::fmt::Debug for Spawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spawner")
            .field("live_tasks", &self.room.0.len())
            .finish()
    }
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("workers", &self.workers.len())
            .field("live_tasks", &self.spawner.room.0.len())
            .finish()
    }
}

impl Executor {
    /// An executor with `workers` threads, holding up to 4096 live tasks.
    ///
    /// # Panics
    /// If `workers` is 0.
    ///
    /// ```
    /// let executor = csp_executor::Executor::new(1);
    /// assert_eq!(executor.spawn(async { 6 * 7 }).join(), 42);
    /// ```
    pub fn new(workers: usize) -> Self {
        Self::with_capacity(workers, DEFAULT_CAPACITY)
    }

    /// An executor with `workers` threads, holding up to `tasks` live tasks; `spawn`
    /// waits while that many are live.
    ///
    /// # Panics
    /// If `workers` or `tasks` is 0.
    ///
    /// ```
    /// let executor = csp_executor::Executor::with_capacity(2, 8);
    /// let handles: Vec<_> = (0..32).map(|i| executor.spawn(async move { i })).collect();
    /// assert_eq!(handles.into_iter().map(|h| h.join()).sum::<i32>(), (0..32).sum());
    /// ```
    pub fn with_capacity(workers: usize, tasks: usize) -> Self {
        assert!(
            workers > 0,
            "csp_executor::Executor needs at least one worker"
        );
        assert!(
            tasks > 0,
            "csp_executor::Executor needs room for at least one task"
        );
        // Every live task is queued at most once; plus one stop message per worker.
        let (queue, runs) = csp_channel::bounded::<Option<Arc<Task>>>(tasks + workers);
        let workers = (0..workers)
            .map(|i| {
                let runs = runs.clone();
                thread::Builder::new()
                    .name(format!("async_bridge-worker-{i}"))
                    .spawn(move || {
                        while let Ok(Some(task)) = runs.recv() {
                            task.run();
                        }
                    })
                    .expect("spawning an executor worker thread")
            })
            .collect();
        Self {
            spawner: Spawner {
                queue,
                room: csp_channel::bounded(tasks),
            },
            workers,
        }
    }

    /// A handle that spawns onto this executor, for tasks that spawn tasks.
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Runs `future` on the workers; its output comes back through the handle.
    ///
    /// ```
    /// let executor = csp_executor::Executor::new(2);
    /// let handle = executor.spawn(async { "done" });
    /// assert_eq!(handle.join(), "done");
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawner.spawn(future)
    }
}

impl Spawner {
    /// Runs `future` on the executor's workers, as [`Executor::spawn`]. Waits while
    /// the executor holds as many live tasks as it has room for.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (result_tx, result_rx) = csp_channel::bounded(1);
        let future: BoxFuture = Box::pin(async move {
            let _ = result_tx.send_async(future.await).await;
        });
        let handle = JoinHandle {
            result: result_rx.into_stream(),
        };
        if self.room.0.send(()).is_err() {
            return handle; // cannot happen: the spawner holds both ends
        }
        let task = Arc::new(Task {
            future: Mutex::new(Some(future)),
            schedule: Schedule::new(),
            queue: self.queue.clone(),
            room: self.room.1.clone(),
        });
        task.enqueue();
        handle
    }
}

impl Drop for Executor {
    /// Stops the workers once the tasks queued so far have run; tasks still pending
    /// then are dropped (their join handles report it).
    fn drop(&mut self) {
        for _ in 0..self.workers.len() {
            let _ = self.spawner.queue.send(None);
        }
        // Dropped from one of its own tasks, the executor cannot wait for the worker
        // running it: that worker stops once this task returns.
        let me = thread::current().id();
        for worker in self.workers.drain(..) {
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
    }
}

/// The output of a spawned task: [`join`](JoinHandle::join) it from a thread, or
/// `.await` it from a task.
#[derive(Debug)]
pub struct JoinHandle<T> {
    result: csp_channel::future::RecvStream<T>,
}

impl<T> JoinHandle<T> {
    /// Blocks this thread until the task's output is ready.
    ///
    /// # Panics
    /// If the task panicked, or was dropped unfinished by a stopping executor.
    pub fn join(self) -> T {
        crate::block_on(self)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        use futures::Stream;
        match Pin::new(&mut self.result).poll_next(cx) {
            Poll::Ready(Some(output)) => Poll::Ready(output),
            Poll::Ready(None) => {
                panic!("async_bridge: the joined task panicked, or its executor stopped first")
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
