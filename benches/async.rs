//! Async channels side by side (issue 4's bar): two tasks ping-ponging over a pair of
//! channels, on tokio's current-thread runtime, on tokio's multi-thread runtime (two
//! workers), and on async_bridge's own executor (one worker); and buffered throughput
//! (capacity 1024) on tokio multi-thread. Peers without a true rendezvous use their
//! smallest capacity: tokio mpsc and async-channel 1, futures mpsc 0 (one slot per
//! sender); flume and kanal have a rendezvous (0).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// What the benchmarks need from an async channel.
trait AsyncLib {
    const NAME: &'static str;
    /// The capacity used for the ping-pong.
    const PING_PONG_CAP: usize;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &mut Self::Tx, v: u64) -> impl Future<Output = ()> + Send;
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send;
}

struct Csp;
impl AsyncLib for Csp {
    const NAME: &'static str = "csp";
    const PING_PONG_CAP: usize = 0;
    type Tx = csp::Sender<u64>;
    type Rx = csp::Receiver<u64>;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        csp::bounded(cap)
    }
    async fn send(tx: &mut Self::Tx, v: u64) {
        tx.send_async(v).await.unwrap()
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

struct TokioMpsc;
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

struct AsyncChannel;
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

struct FuturesMpsc;
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

struct Flume;
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

struct Kanal;
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

/// Where the tasks run.
#[derive(Clone, Copy)]
enum Runtime {
    TokioCurrentThread,
    TokioMultiThread,
    Own,
}

impl Runtime {
    fn name(self) -> &'static str {
        match self {
            Runtime::TokioCurrentThread => "tokio-current-thread",
            Runtime::TokioMultiThread => "tokio-multi-thread",
            Runtime::Own => "async_bridge-executor",
        }
    }

    /// Runs `tasks` to completion on this runtime; returns the time the last one
    /// reported (each task returns its own elapsed time; the longest counts).
    fn run(self, tasks: Vec<Pin<Box<dyn Future<Output = Duration> + Send>>>) -> Duration {
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
                let executor = async_bridge::Executor::new(1);
                let handles: Vec<_> = tasks.into_iter().map(|t| executor.spawn(t)).collect();
                handles.into_iter().map(|h| h.join()).max().unwrap()
            }
        }
    }
}

fn ping_pong<L: AsyncLib>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: Runtime,
) {
    g.bench_function(BenchmarkId::new(L::NAME, rt.name()), |b| {
        b.iter_custom(|iters| {
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
        })
    });
}

fn throughput<L: AsyncLib>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: Runtime,
) {
    g.bench_function(BenchmarkId::new(L::NAME, rt.name()), |b| {
        b.iter_custom(|iters| {
            let (mut tx, mut rx) = L::bounded(1024);
            let start = Instant::now();
            let producer = Box::pin(async move {
                for i in 0..iters {
                    L::send(&mut tx, i).await;
                }
                Duration::ZERO
            });
            let consumer = Box::pin(async move {
                let mut n = 0;
                while L::recv(&mut rx).await.is_some() {
                    n += 1;
                }
                assert_eq!(n, iters);
                start.elapsed()
            });
            rt.run(vec![producer, consumer])
        })
    });
}

macro_rules! for_each_lib {
    ($f:ident, $g:expr, $rt:expr) => {
        $f::<Csp>($g, $rt);
        $f::<TokioMpsc>($g, $rt);
        $f::<AsyncChannel>($g, $rt);
        $f::<FuturesMpsc>($g, $rt);
        $f::<Flume>($g, $rt);
        $f::<Kanal>($g, $rt);
    };
}

fn async_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("async_ping_pong_round_trip");
    g.throughput(Throughput::Elements(1));
    for rt in [Runtime::TokioCurrentThread, Runtime::TokioMultiThread] {
        for_each_lib!(ping_pong, &mut g, rt);
    }
    ping_pong::<Csp>(&mut g, Runtime::Own);
    g.finish();
}

fn async_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("async_buffered_1x1_cap1024");
    g.throughput(Throughput::Elements(1));
    for_each_lib!(throughput, &mut g, Runtime::TokioMultiThread);
    throughput::<Csp>(&mut g, Runtime::Own);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(15);
    targets = async_ping_pong, async_throughput
}
criterion_main!(benches);
