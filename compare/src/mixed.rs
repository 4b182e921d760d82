//! The mixed scenario: a thread and an async task ping-ponging over a pair of
//! channels, the thread with blocking operations, the task with async ones on tokio's
//! current-thread runtime. Each round trip hands a value from a blocked thread to a
//! waiting task and one back, so it measures how a channel joins the two worlds: the
//! task's waker wakes the runtime's thread, the thread's own wait wakes it. Only
//! libraries whose one channel serves both kinds of party take part.

use std::future::Future;
use std::thread;
use std::time::{Duration, Instant};

/// What the mixed scenario needs from a channel that serves threads and tasks.
pub trait MixedLib {
    /// The capacity of the rendezvous row's ping-pong (0 where the library has a
    /// rendezvous, 1 where it has none).
    const CAP: usize;
    /// The thread's sending end.
    type ThreadTx: Send + 'static;
    /// The thread's receiving end.
    type ThreadRx: Send + 'static;
    /// The task's sending end.
    type TaskTx: Send + 'static;
    /// The task's receiving end.
    type TaskRx: Send + 'static;
    /// A channel of capacity `cap` from a thread to a task.
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx);
    /// A channel of capacity `cap` from a task to a thread.
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx);
    /// Sends `v` from the thread, blocking; panics if the channel is closed.
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64);
    /// Receives on the thread, blocking; `None` once the channel is closed and empty.
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64>;
    /// Sends `v` from the task; panics if the channel is closed.
    fn send(tx: &mut Self::TaskTx, v: u64) -> impl Future<Output = ()> + Send;
    /// Receives in the task; `None` once the channel is closed and empty.
    fn recv(rx: &mut Self::TaskRx) -> impl Future<Output = Option<u64>> + Send;
}

/// A library in the comparison.
pub struct Csp;
impl MixedLib for Csp {
    const CAP: usize = 0;
    type ThreadTx = csp_channel::Sender<u64>;
    type ThreadRx = csp_channel::Receiver<u64>;
    type TaskTx = csp_channel::Sender<u64>;
    type TaskRx = csp_channel::Receiver<u64>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        csp_channel::bounded(cap)
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        csp_channel::bounded(cap)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.send(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.recv().ok()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

/// A library in the comparison.
pub struct Flume;
impl MixedLib for Flume {
    const CAP: usize = 0;
    type ThreadTx = flume::Sender<u64>;
    type ThreadRx = flume::Receiver<u64>;
    type TaskTx = flume::Sender<u64>;
    type TaskRx = flume::Receiver<u64>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        flume::bounded(cap)
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        flume::bounded(cap)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.send(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.recv().ok()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

/// A library in the comparison.
pub struct Kanal;
impl MixedLib for Kanal {
    const CAP: usize = 0;
    type ThreadTx = kanal::Sender<u64>;
    type ThreadRx = kanal::Receiver<u64>;
    type TaskTx = kanal::AsyncSender<u64>;
    type TaskRx = kanal::AsyncReceiver<u64>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        let (tx, rx) = kanal::bounded(cap);
        (tx, rx.to_async())
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        let (tx, rx) = kanal::bounded(cap);
        (tx.to_async(), rx)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.send(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.recv().ok()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// A library in the comparison.
pub struct Crossfire;
impl MixedLib for Crossfire {
    // crossfire has no rendezvous.
    const CAP: usize = 1;
    type ThreadTx = crossfire::MTx<crossfire::mpmc::Array<u64>>;
    type ThreadRx = crossfire::MRx<crossfire::mpmc::Array<u64>>;
    type TaskTx = crossfire::MAsyncTx<crossfire::mpmc::Array<u64>>;
    type TaskRx = crossfire::MAsyncRx<crossfire::mpmc::Array<u64>>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        // As crossfire's docs ask (see `threads::Crossfire`).
        crossfire::detect_backoff_cfg();
        crossfire::mpmc::bounded_blocking_async(cap)
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        crossfire::detect_backoff_cfg();
        crossfire::mpmc::bounded_async_blocking(cap)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.send(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.recv().ok()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// A library in the comparison.
pub struct TokioMpsc;
impl MixedLib for TokioMpsc {
    const CAP: usize = 1;
    type ThreadTx = tokio::sync::mpsc::Sender<u64>;
    type ThreadRx = tokio::sync::mpsc::Receiver<u64>;
    type TaskTx = tokio::sync::mpsc::Sender<u64>;
    type TaskRx = tokio::sync::mpsc::Receiver<u64>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        tokio::sync::mpsc::channel(cap)
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        tokio::sync::mpsc::channel(cap)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.blocking_send(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.blocking_recv()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv().await
    }
}

/// A library in the comparison.
pub struct AsyncChannel;
impl MixedLib for AsyncChannel {
    const CAP: usize = 1;
    type ThreadTx = async_channel::Sender<u64>;
    type ThreadRx = async_channel::Receiver<u64>;
    type TaskTx = async_channel::Sender<u64>;
    type TaskRx = async_channel::Receiver<u64>;
    fn to_task(cap: usize) -> (Self::ThreadTx, Self::TaskRx) {
        async_channel::bounded(cap)
    }
    fn to_thread(cap: usize) -> (Self::TaskTx, Self::ThreadRx) {
        async_channel::bounded(cap)
    }
    fn send_blocking(tx: &mut Self::ThreadTx, v: u64) {
        tx.send_blocking(v).unwrap()
    }
    fn recv_blocking(rx: &mut Self::ThreadRx) -> Option<u64> {
        rx.recv_blocking().ok()
    }
    async fn send(tx: &mut Self::TaskTx, v: u64) {
        tx.send(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::TaskRx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// `iters` round trips between a thread (blocking) and a task on tokio's
/// current-thread runtime (async), over channels of capacity `cap`: the thread sends,
/// the task echoes.
///
/// At capacity 0 each round trip is two rendezvous, and each needs both sides there:
/// a thread and a task that share a CPU hand it back and forth twice a round trip
/// where a buffer lets one hand-off each way do (the README's "Idle, pinned and
/// busy" says how that shows beside busy processes). At capacity 1 every library
/// runs the same program.
///
/// ```
/// use csp_compare::mixed::{ping_pong, Csp, MixedLib};
/// let elapsed = ping_pong::<Csp>(Csp::CAP, 100);
/// assert!(elapsed > std::time::Duration::ZERO);
/// assert!(ping_pong::<Csp>(1, 100) > std::time::Duration::ZERO);
/// ```
pub fn ping_pong<L: MixedLib>(cap: usize, iters: u64) -> Duration {
    let (mut ping_tx, mut ping_rx) = L::to_task(cap);
    let (mut pong_tx, mut pong_rx) = L::to_thread(cap);
    let driver = thread::spawn(move || {
        let start = Instant::now();
        for i in 0..iters {
            L::send_blocking(&mut ping_tx, i);
            assert_eq!(L::recv_blocking(&mut pong_rx), Some(i));
        }
        let elapsed = start.elapsed();
        drop(ping_tx);
        elapsed
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async move {
        while let Some(v) = L::recv(&mut ping_rx).await {
            L::send(&mut pong_tx, v).await;
        }
    });
    driver.join().unwrap()
}
