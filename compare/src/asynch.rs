//! Async scenarios: two tasks ping-ponging over a pair of channels (latency), and one
//! task streaming to another over `bounded(1024)` (throughput), on tokio's
//! current-thread and multi-thread runtimes and on async_bridge's executor.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// What the benchmarks need from an async channel.
pub trait AsyncLib {
    /// The library's name in reports.
    const NAME: &'static str;
    /// The capacity used for the ping-pong.
    const PING_PONG_CAP: usize;
    /// The sending end.
    type Tx: Send + 'static;
    /// The receiving end.
    type Rx: Send + 'static;
    /// A channel of capacity `cap`.
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    /// Sends `v`, panicking if the channel is closed.
    fn send(tx: &mut Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    /// Receives a value, or `None` once the channel is closed and empty.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

/// A library in the comparison.
pub struct Csp;
impl AsyncLib for Csp {
    const NAME: &'static str = "csp";
    const PING_PONG_CAP: usize = 0;
    type Tx = csp_channel::Sender<u64>;
    type Rx = csp_channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        csp_channel::bounded(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

/// A library in the comparison.
pub struct TokioMpsc;
impl AsyncLib for TokioMpsc {
    const NAME: &'static str = "tokio-mpsc";
    const PING_PONG_CAP: usize = 1;
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await
    }
}

/// A library in the comparison.
pub struct AsyncChannel;
impl AsyncLib for AsyncChannel {
    const NAME: &'static str = "async-channel";
    const PING_PONG_CAP: usize = 1;
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// A library in the comparison.
pub struct FuturesMpsc;
impl AsyncLib for FuturesMpsc {
    const NAME: &'static str = "futures-mpsc";
    const PING_PONG_CAP: usize = 0;
    type Tx = futures::channel::mpsc::Sender<u64>;
    type Rx = futures::channel::mpsc::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        futures::channel::mpsc::channel(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        futures::SinkExt::send(tx, v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        futures::StreamExt::next(rx).await
    }
}

/// A library in the comparison.
pub struct Flume;
impl AsyncLib for Flume {
    const NAME: &'static str = "flume";
    const PING_PONG_CAP: usize = 0;
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

/// A library in the comparison.
pub struct Kanal;
impl AsyncLib for Kanal {
    const NAME: &'static str = "kanal";
    const PING_PONG_CAP: usize = 0;
    type Tx = kanal::AsyncSender<u64>;
    type Rx = kanal::AsyncReceiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        kanal::bounded_async(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// A library in the comparison.
pub struct Crossfire;
impl AsyncLib for Crossfire {
    const NAME: &'static str = "crossfire";
    // crossfire has no rendezvous: it makes a capacity of 0 into 1.
    const PING_PONG_CAP: usize = 1;
    type Tx = crossfire::MAsyncTx<crossfire::mpmc::Array<u64>>;
    type Rx = crossfire::MAsyncRx<crossfire::mpmc::Array<u64>>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        // As crossfire's docs ask (see `threads::Crossfire`).
        crossfire::detect_backoff_cfg();
        crossfire::mpmc::bounded_async(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// Where the tasks run.
#[derive(Clone, Copy, Debug)]
pub enum Runtime {
    /// tokio's current-thread runtime.
    TokioCurrentThread,
    /// tokio's multi-thread runtime with two workers.
    TokioMultiThread,
    /// async_bridge's executor with one worker.
    Own,
}

impl Runtime {
    /// The runtime's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::TokioCurrentThread => "tokio-current-thread",
            Runtime::TokioMultiThread => "tokio-multi-thread",
            Runtime::Own => "async_bridge-executor",
        }
    }

    /// Runs `tasks` to completion on this runtime; returns the longest time a task
    /// reported (each task returns its own elapsed time).
    pub fn run(self, tasks: Vec<Pin<Box<dyn Future<Output = Duration> + Send>>>) -> Duration {
        match self {
            Runtime::TokioCurrentThread | Runtime::TokioMultiThread => {
                let rt = match self {
                    Runtime::TokioCurrentThread => {
                        tokio::runtime::Builder::new_current_thread().build()
                    }
                    _ => tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .build(),
                }
                .unwrap();
                rt.block_on(async {
                    let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
                    let mut longest = Duration::ZERO;
                    for h in handles {
                        longest = longest.max(h.await.unwrap());
                    }
                    longest
                })
            }
            Runtime::Own => {
                let executor = csp_executor::Executor::new(1);
                let handles: Vec<_> = tasks.into_iter().map(|t| executor.spawn(t)).collect();
                handles.into_iter().map(|h| h.join()).max().unwrap()
            }
        }
    }
}

/// `iters` round trips between two tasks on `rt`, over two channels of the library's
/// smallest capacity (0 where it has a rendezvous).
pub fn ping_pong<L: AsyncLib>(rt: Runtime, iters: u64) -> Duration {
    let (mut ping_tx, mut ping_rx) = L::bounded(L::PING_PONG_CAP);
    let (mut pong_tx, mut pong_rx) = L::bounded(L::PING_PONG_CAP);
    let echo = Box::pin(async move {
        while let Some(v) = L::recv(&mut ping_rx).await {
            L::send(&mut pong_tx, v).await;
        }
        Duration::ZERO
    });
    let driver = Box::pin(async move {
        let start = Instant::now();
        for i in 0..iters {
            L::send(&mut ping_tx, i).await;
            assert_eq!(L::recv(&mut pong_rx).await, Some(i));
        }
        let elapsed = start.elapsed();
        drop(ping_tx);
        elapsed
    });
    rt.run(vec![echo, driver])
}

/// `iters` messages from one task to another on `rt` over `bounded(1024)`.
pub fn throughput<L: AsyncLib>(rt: Runtime, iters: u64) -> Duration {
    let (mut tx, mut rx) = L::bounded(1024);
    // The clock starts when the first task runs, not while the runtime is built.
    let start = std::sync::Arc::new(std::sync::OnceLock::new());
    let started = start.clone();
    let producer = Box::pin(async move {
        started.get_or_init(Instant::now);
        for i in 0..iters {
            L::send(&mut tx, i).await;
        }
        Duration::ZERO
    });
    let consumer = Box::pin(async move {
        let start = *start.get_or_init(Instant::now);
        let mut n = 0;
        while L::recv(&mut rx).await.is_some() {
            n += 1;
        }
        assert_eq!(n, iters);
        start.elapsed()
    });
    rt.run(vec![producer, consumer])
}

/// `iters` jobs from one producer task to `workers` worker tasks that share one
/// channel of the library's smallest capacity (a rendezvous where it has one) and
/// wait on it for jobs: each job finds receivers already waiting, the way a pool of
/// workers idles until work comes. A job is the value itself; each worker only
/// counts what it receives.
///
/// ```
/// use csp_compare::asynch::{receivers_wait, Csp, Runtime};
/// let elapsed = receivers_wait::<Csp>(Runtime::TokioCurrentThread, 4, 100);
/// assert!(elapsed > std::time::Duration::ZERO);
/// ```
pub fn receivers_wait<L: AsyncLib>(rt: Runtime, workers: usize, iters: u64) -> Duration
where
    L::Rx: Clone,
{
    let (tx, rx) = L::bounded(L::PING_PONG_CAP);
    let receivers = (0..workers).map(|_| rx.clone()).collect();
    jobs_to_waiting_workers::<L>(rt, tx, receivers, iters)
}

/// [`receivers_wait`] with one worker, for a library whose receiver cannot be shared
/// (the floor: there each job costs what an exact hand-off must, two task wake-ups
/// and polls, since the job moves only while its worker runs).
///
/// ```
/// use csp_compare::{asynch::{receiver_waits, Runtime}, floor::Floor};
/// let elapsed = receiver_waits::<Floor>(Runtime::TokioCurrentThread, 100);
/// assert!(elapsed > std::time::Duration::ZERO);
/// ```
pub fn receiver_waits<L: AsyncLib>(rt: Runtime, iters: u64) -> Duration {
    let (tx, rx) = L::bounded(L::PING_PONG_CAP);
    jobs_to_waiting_workers::<L>(rt, tx, vec![rx], iters)
}

/// One worker task per receiver in `receivers`, and a producer sending `iters` jobs.
fn jobs_to_waiting_workers<L: AsyncLib>(
    rt: Runtime,
    mut tx: L::Tx,
    receivers: Vec<L::Rx>,
    iters: u64,
) -> Duration {
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = std::sync::Arc::new(std::sync::OnceLock::new());
    let mut tasks: Vec<Pin<Box<dyn Future<Output = Duration> + Send>>> = receivers
        .into_iter()
        .map(|mut rx| {
            let received = received.clone();
            let start = start.clone();
            Box::pin(async move {
                let mut n = 0;
                while L::recv(&mut rx).await.is_some() {
                    n += 1;
                }
                received.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                // The last worker to see the channel closed ends the run.
                start.get().map_or(Duration::ZERO, Instant::elapsed)
            }) as Pin<Box<dyn Future<Output = Duration> + Send>>
        })
        .collect();
    // Spawned last: on either runtime the workers get to wait first.
    tasks.push(Box::pin(async move {
        start.get_or_init(Instant::now);
        for i in 0..iters {
            L::send(&mut tx, i).await;
        }
        Duration::ZERO
    }));
    let elapsed = rt.run(tasks);
    assert_eq!(
        received.load(std::sync::atomic::Ordering::Relaxed),
        iters,
        "every job reached a worker"
    );
    elapsed
}
