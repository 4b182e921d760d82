//! Thread scenarios: a two-party ping-pong (latency), and `senders` x `receivers`
//! sharing one channel (throughput), for csp and its thread peers.

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The operations a benchmark needs from a channel library.
pub trait Lib {
    /// The library's name in reports.
    const NAME: &'static str;
    /// Whether receivers can be cloned (std mpsc's cannot).
    const MPMC: bool = true;
    /// The sending end.
    type Tx: Send + 'static;
    /// The receiving end.
    type Rx: Send + 'static;
    /// A channel of capacity `cap`.
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    /// Sends `v`, panicking if the channel is closed.
    fn send(tx: &Self::Tx, v: u64);
    /// Receives a value, or `None` once the channel is closed and empty.
    fn recv(rx: &Self::Rx) -> Option<u64>;
    /// Another sending end.
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    /// Another receiving end (only if `MPMC`).
    fn clone_rx(rx: &Self::Rx) -> Self::Rx;
}

macro_rules! lib {
    ($ty:ident, $name:expr, $mpmc:expr, $tx:ty, $rx:ty, $bounded:expr, |$t:ident, $v:ident| $send:expr, |$r:ident| $recv:expr, |$cr:ident| $clone_rx:expr) => {
        /// A library in the comparison.
        pub struct $ty;
        impl Lib for $ty {
            const NAME: &'static str = $name;
            const MPMC: bool = $mpmc;
            type Tx = $tx;
            type Rx = $rx;
            fn bounded(cap: usize) -> ($tx, $rx) {
                $bounded(cap)
            }
            // Inlined, so that each library's calls land in the scenario's own loop, as
            // in a program that calls the channel directly.
            #[inline]
            fn send($t: &$tx, $v: u64) {
                $send
            }
            #[inline]
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
    csp_channel::Sender<u64>,
    csp_channel::Receiver<u64>,
    csp_channel::bounded,
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
    Crossfire,
    "crossfire",
    true,
    crossfire::MTx<crossfire::mpmc::Array<u64>>,
    crossfire::MRx<crossfire::mpmc::Array<u64>>,
    |cap| {
        // Once per process, as crossfire's docs ask: it tunes its backoff to the
        // CPUs it may use (a no-op after the first call).
        crossfire::detect_backoff_cfg();
        crossfire::mpmc::bounded_blocking(cap)
    },
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

/// A ping-pong pair and its echo thread, kept alive across runs so that thread
/// start-up and placement are not what is measured.
pub struct PingPong<L: Lib> {
    ping: Option<L::Tx>,
    pong: L::Rx,
    echo: Option<thread::JoinHandle<()>>,
}

impl<L: Lib> PingPong<L> {
    /// Two channels of `cap` and an echo thread on the far end.
    pub fn new(cap: usize) -> Self {
        let (ping_tx, ping_rx) = L::bounded(cap);
        let (pong_tx, pong_rx) = L::bounded(cap);
        let echo = thread::spawn(move || {
            while let Some(v) = L::recv(&ping_rx) {
                L::send(&pong_tx, v);
            }
        });
        Self {
            ping: Some(ping_tx),
            pong: pong_rx,
            echo: Some(echo),
        }
    }

    /// `iters` round trips; returns the time they took.
    pub fn run(&self, iters: u64) -> Duration {
        let ping = self.ping.as_ref().expect("alive until dropped");
        let start = Instant::now();
        for i in 0..iters {
            L::send(ping, i);
            assert_eq!(L::recv(&self.pong), Some(i));
        }
        start.elapsed()
    }
}

impl<L: Lib> Drop for PingPong<L> {
    fn drop(&mut self) {
        drop(self.ping.take()); // the echo's loop ends once its input disconnects
        if let Some(echo) = self.echo.take() {
            let _ = echo.join();
        }
    }
}

/// A ping-pong measurement over capacity `cap` whose pair lives as long as the
/// returned function: made on the first run, reused by the next.
pub fn ping_pong<L: Lib>(cap: usize) -> impl Fn(u64) -> Duration + Send + Sync {
    let pair: Mutex<Option<PingPong<L>>> = Mutex::new(None);
    move |iters| {
        let mut pair = pair.lock().unwrap_or_else(|p| p.into_inner());
        pair.get_or_insert_with(|| PingPong::new(cap)).run(iters)
    }
}

/// `senders` threads each send their share of `iters` messages to `receivers`
/// threads over one channel of `cap`; returns the time from a common start to the
/// last receive, scaled to `iters` messages.
pub fn spread<L: Lib>(senders: usize, receivers: usize, cap: usize, iters: u64) -> Duration {
    assert!(
        receivers == 1 || L::MPMC,
        "{} has a single receiver",
        L::NAME
    );
    let per_sender = iters.div_ceil(senders as u64).max(1);
    let (tx, rx) = L::bounded(cap);
    // Workers time themselves from a common start, so the main thread's own
    // scheduling (it only waits) is not measured.
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
    crate::span(handles).mul_f64(iters as f64 / (per_sender * senders as u64) as f64)
}
