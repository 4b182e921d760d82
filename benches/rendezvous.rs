//! First side-by-side benchmark of the rendezvous channel (issue 2): a two-thread
//! ping-pong over a pair of `bounded(0)` channels, 4 senders x 4 receivers on one
//! rendezvous channel, and one-to-one throughput over `bounded(1024)`, for csp and
//! its thread peers in one run. Run pinned to one core with `taskset -c 0 cargo bench`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// The operations a benchmark needs from a channel library.
trait Lib {
    const NAME: &'static str;
    /// Whether receivers can be cloned (std mpsc's cannot).
    const MPMC: bool = true;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    fn recv(rx: &Self::Rx) -> Option<u64>;
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    fn clone_rx(rx: &Self::Rx) -> Self::Rx;
}

macro_rules! lib {
    ($ty:ident, $name:expr, $mpmc:expr, $tx:ty, $rx:ty, $bounded:expr, |$t:ident, $v:ident| $send:expr, |$r:ident| $recv:expr, |$cr:ident| $clone_rx:expr) => {
        struct $ty;
        impl Lib for $ty {
            const NAME: &'static str = $name;
            const MPMC: bool = $mpmc;
            type Tx = $tx;
            type Rx = $rx;
            fn bounded(cap: usize) -> ($tx, $rx) {
                $bounded(cap)
            }
            fn send($t: &$tx, $v: u64) {
                $send
            }
            fn recv($r: &$rx) -> Option<u64> {
                $recv
            }
            fn clone_tx(tx: &$tx) -> $tx {
                tx.clone()
            }
            fn clone_rx($cr: &$rx) -> $rx {
                $clone_rx
            }
        }
    };
}

lib!(
    Csp,
    "csp",
    true,
    csp::Sender<u64>,
    csp::Receiver<u64>,
    csp::bounded,
    |t, v| t.send(v).unwrap(),
    |r| r.recv().ok(),
    |r| r.clone()
);
lib!(
    Crossbeam,
    "crossbeam",
    true,
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
    crossbeam_channel::bounded,
    |t, v| t.send(v).unwrap(),
    |r| r.recv().ok(),
    |r| r.clone()
);
lib!(
    Flume,
    "flume",
    true,
    flume::Sender<u64>,
    flume::Receiver<u64>,
    flume::bounded,
    |t, v| t.send(v).unwrap(),
    |r| r.recv().ok(),
    |r| r.clone()
);
lib!(
    Kanal,
    "kanal",
    true,
    kanal::Sender<u64>,
    kanal::Receiver<u64>,
    kanal::bounded,
    |t, v| t.send(v).unwrap(),
    |r| r.recv().ok(),
    |r| r.clone()
);
lib!(
    StdMpsc,
    "std-mpsc",
    false,
    std::sync::mpsc::SyncSender<u64>,
    std::sync::mpsc::Receiver<u64>,
    std::sync::mpsc::sync_channel,
    |t, v| t.send(v).unwrap(),
    |r| r.recv().ok(),
    |_r| unreachable!("std mpsc receivers cannot be cloned")
);

/// Round trips between this thread and an echo thread, over two channels of `cap`.
fn ping_pong<L: Lib>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    cap: usize,
) {
    c.bench_function(BenchmarkId::new(L::NAME, cap), |b| {
        let (ping_tx, ping_rx) = L::bounded(cap);
        let (pong_tx, pong_rx) = L::bounded(cap);
        let echo = thread::spawn(move || {
            while let Some(v) = L::recv(&ping_rx) {
                L::send(&pong_tx, v);
            }
        });
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                L::send(&ping_tx, i);
                assert_eq!(L::recv(&pong_rx), Some(i));
            }
            start.elapsed()
        });
        drop(ping_tx);
        echo.join().unwrap();
    });
}

/// `senders` threads each send their share of the messages to `receivers` threads
/// over one channel of `cap`; time from a common start to the last receive.
fn spread<L: Lib>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    senders: usize,
    receivers: usize,
    cap: usize,
) {
    if receivers > 1 && !L::MPMC {
        return;
    }
    c.bench_function(
        BenchmarkId::new(L::NAME, format!("{senders}x{receivers}/cap{cap}")),
        |b| {
            b.iter_custom(|iters| {
                let per_sender = iters.div_ceil(senders as u64);
                let (tx, rx) = L::bounded(cap);
                // Workers time themselves from a common start, so the main thread's
                // own scheduling (it only waits) is not measured.
                let start = Arc::new(Barrier::new(senders + receivers));
                let mut handles = Vec::new();
                for _ in 0..senders {
                    let tx = L::clone_tx(&tx);
                    let start = Arc::clone(&start);
                    handles.push(thread::spawn(move || {
                        start.wait();
                        let t0 = Instant::now();
                        for i in 0..per_sender {
                            L::send(&tx, i);
                        }
                        (t0, Instant::now())
                    }));
                }
                drop(tx);
                let mut rxs = vec![rx];
                for _ in 1..receivers {
                    rxs.push(L::clone_rx(&rxs[0]));
                }
                for rx in rxs {
                    let start = Arc::clone(&start);
                    handles.push(thread::spawn(move || {
                        start.wait();
                        let t0 = Instant::now();
                        while L::recv(&rx).is_some() {}
                        (t0, Instant::now())
                    }));
                }
                let spans: Vec<(Instant, Instant)> =
                    handles.into_iter().map(|h| h.join().unwrap()).collect();
                let first = spans.iter().map(|s| s.0).min().unwrap();
                let last = spans.iter().map(|s| s.1).max().unwrap();
                (last - first).mul_f64(iters as f64 / (per_sender * senders as u64) as f64)
            });
        },
    );
}

fn rendezvous_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong_round_trip");
    g.throughput(Throughput::Elements(1));
    ping_pong::<Csp>(&mut g, 0);
    ping_pong::<Crossbeam>(&mut g, 0);
    ping_pong::<StdMpsc>(&mut g, 0);
    ping_pong::<Flume>(&mut g, 0);
    ping_pong::<Kanal>(&mut g, 0);
    ping_pong::<Csp>(&mut g, 1);
    ping_pong::<Crossbeam>(&mut g, 1);
    ping_pong::<StdMpsc>(&mut g, 1);
    ping_pong::<Flume>(&mut g, 1);
    ping_pong::<Kanal>(&mut g, 1);
    g.finish();
}

fn rendezvous_mpmc(c: &mut Criterion) {
    let mut g = c.benchmark_group("rendezvous_4x4");
    g.throughput(Throughput::Elements(1));
    spread::<Csp>(&mut g, 4, 4, 0);
    spread::<Crossbeam>(&mut g, 4, 4, 0);
    spread::<Flume>(&mut g, 4, 4, 0);
    spread::<Kanal>(&mut g, 4, 4, 0);
    g.finish();
}

fn buffered_spsc(c: &mut Criterion) {
    let mut g = c.benchmark_group("buffered_1x1_cap1024");
    g.throughput(Throughput::Elements(1));
    spread::<Csp>(&mut g, 1, 1, 1024);
    spread::<Crossbeam>(&mut g, 1, 1, 1024);
    spread::<StdMpsc>(&mut g, 1, 1, 1024);
    spread::<Flume>(&mut g, 1, 1, 1024);
    spread::<Kanal>(&mut g, 1, 1, 1024);
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = rendezvous_ping_pong, rendezvous_mpmc, buffered_spsc
}
criterion_main!(benches);
