//! A bounded-time soak: threads and tasks mix sends, receives, selects, timeouts,
//! dropped handles and cancelled futures at random on a handful of channels, round
//! after round, and every value is accounted for.
//!
//! CI runs it for 2 seconds (the default; it stops by itself). A long run:
//!
//! ```text
//! CSP_SOAK_SECS=600 cargo test --release -p csp-executor --test soak -- --nocapture
//! ```
//!
//! `CSP_SOAK_SEED` reruns a seed (it is printed). Every round checks, for each value
//! made: it was dropped exactly once (no leak, no double drop); it was received at most
//! once; and a send reported done means it was received, unless it sat in the buffer
//! of a channel whose receivers had all gone. Resident memory must not grow across
//! rounds. A round that has not ended a minute after its stop (every wait in it is
//! bounded by a timer) aborts the run with a report of where each worker waits.

use csp_executor::Executor;
use futures::future::{self, Either};
use futures::task::noop_waker_ref;
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

const ROUND: Duration = Duration::from_millis(250);
const CHANNELS: usize = 6;
const THREADS: usize = 4;
const TASKS: usize = 4;
/// Values tracked per round (the ledger's size); any made beyond it go untracked.
const VALUES: usize = 1 << 21;

/// What happened to each value of a round.
struct Ledger {
    made: AtomicUsize,
    channel: Vec<AtomicU8>,
    confirmed: Vec<AtomicBool>,
    received: Vec<AtomicU8>,
    dropped: Vec<AtomicU8>,
}

impl Ledger {
    fn new() -> Self {
        let bytes = || (0..VALUES).map(|_| AtomicU8::new(0)).collect();
        Self {
            made: AtomicUsize::new(0),
            channel: bytes(),
            confirmed: (0..VALUES).map(|_| AtomicBool::new(false)).collect(),
            received: bytes(),
            dropped: bytes(),
        }
    }
}

/// A value that reports to the ledger when it is received and when it is dropped.
struct Value {
    /// Its index in the ledger, or `None` past the ledger's end.
    id: Option<usize>,
    ledger: Arc<Ledger>,
}

impl Value {
    /// A new value bound for `channel`.
    fn make(ledger: &Arc<Ledger>, channel: usize) -> Value {
        let id = ledger.made.fetch_add(1, Ordering::Relaxed);
        let id = (id < VALUES).then_some(id);
        if let Some(id) = id {
            ledger.channel[id].store(channel as u8, Ordering::Relaxed);
        }
        Value {
            id,
            ledger: Arc::clone(ledger),
        }
    }

    /// Records that the send of value `id` was reported done.
    fn confirm(id: Option<usize>, ledger: &Ledger) {
        if let Some(id) = id {
            ledger.confirmed[id].store(true, Ordering::Relaxed);
        }
    }

    fn receive(self) {
        if let Some(id) = self.id {
            self.ledger.received[id].fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.ledger.dropped[id].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Where a worker is, for the watchdog's report if a round never ends.
#[derive(Default)]
struct Progress {
    /// What it waits on: `Step::code`, or 0 between steps.
    at: AtomicUsize,
    turns: AtomicUsize,
    finished: AtomicBool,
}

/// The waits a worker can be in, with the channels involved.
#[derive(Clone, Copy)]
enum Step {
    Send(usize),
    Recv(usize),
    Select { send: usize, recv: usize },
}

impl Progress {
    /// Records that the worker enters `step`; `None` when it leaves it.
    fn at(&self, step: Option<Step>) {
        let code = match step {
            None => 0,
            Some(Step::Send(a)) => 1 + a,
            Some(Step::Recv(a)) => 1 + 16 + a,
            Some(Step::Select { send, recv }) => 1 + 32 + 16 * send + recv,
        };
        self.at.store(code, Ordering::Relaxed);
    }

    fn describe(&self) -> String {
        let turns = self.turns.load(Ordering::Relaxed);
        if self.finished.load(Ordering::Relaxed) {
            return format!("finished after {turns} turns");
        }
        let code = self.at.load(Ordering::Relaxed);
        let at = match code {
            0 => "between steps".to_string(),
            c if c <= 16 => format!("sending on channel {}", c - 1),
            c if c <= 32 => format!("receiving on channel {}", c - 17),
            c => format!(
                "in a select: send on {}, receive on {}",
                (c - 33) / 16,
                (c - 33) % 16
            ),
        };
        format!("{at}, turn {turns}")
    }
}

/// xorshift64*: enough randomness to mix operations, and replayable from a seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % bound
    }

    fn micros(&mut self, max: u64) -> Duration {
        Duration::from_micros(self.below(max + 1))
    }
}

/// One worker's handles on the round's channels; dropping them at random disconnects.
struct Handles {
    senders: Vec<Option<csp_channel::Sender<Value>>>,
    receivers: Vec<Option<csp_channel::Receiver<Value>>>,
}

impl Handles {
    fn maybe_drop_one(&mut self, rng: &mut Rng) {
        if rng.below(2000) == 0 {
            let channel = rng.below(CHANNELS as u64) as usize;
            if rng.below(2) == 0 {
                self.senders[channel] = None;
            } else {
                self.receivers[channel] = None;
            }
        }
    }
}

/// Sends `value` by a plain blocking send with a timeout, or a `try_send`.
fn thread_send(tx: &csp_channel::Sender<Value>, value: Value, rng: &mut Rng) {
    let (id, ledger) = (value.id, Arc::clone(&value.ledger));
    let sent = if rng.below(2) == 0 {
        tx.send_timeout(value, rng.micros(500)).is_ok()
    } else {
        tx.try_send(value).is_ok()
    };
    if sent {
        Value::confirm(id, &ledger);
    }
}

fn thread_worker(
    handles: Handles,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    seed: u64,
    progress: &Progress,
) {
    thread_steps(handles, ledger, stop, seed, progress);
    progress.finished.store(true, Ordering::Relaxed);
}

fn thread_steps(
    mut handles: Handles,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    seed: u64,
    progress: &Progress,
) {
    let mut rng = Rng(seed | 1);
    while !stop.load(Ordering::Relaxed) {
        progress.turns.fetch_add(1, Ordering::Relaxed);
        progress.at(None);
        handles.maybe_drop_one(&mut rng);
        let a = rng.below(CHANNELS as u64) as usize;
        let b = rng.below(CHANNELS as u64) as usize;
        match rng.below(4) {
            0 => {
                if let Some(tx) = &handles.senders[a] {
                    progress.at(Some(Step::Send(a)));
                    thread_send(tx, Value::make(&ledger, a), &mut rng);
                }
            }
            1 => {
                if let Some(rx) = &handles.receivers[a] {
                    progress.at(Some(Step::Recv(a)));
                    let got = if rng.below(2) == 0 {
                        rx.recv_timeout(rng.micros(500)).ok()
                    } else {
                        rx.try_recv().ok()
                    };
                    if let Some(value) = got {
                        value.receive();
                    }
                }
            }
            _ => {
                // A select with a send arm, a receive arm and a timeout; the thread
                // select makes the message only if its arm commits.
                let (Some(tx), Some(rx)) = (&handles.senders[a], &handles.receivers[b]) else {
                    continue;
                };
                progress.at(Some(Step::Select { send: a, recv: b }));
                let made = Cell::new(None);
                csp_channel::select! {
                    send(tx, {
                        let value = Value::make(&ledger, a);
                        made.set(value.id);
                        value
                    }) -> sent => if sent.is_ok() {
                        Value::confirm(made.get(), &ledger);
                    },
                    recv(rx) -> got => { got.map(Value::receive).ok(); },
                    default(rng.micros(300)) => {},
                }
            }
        }
    }
}

/// Polls `future` once with a waker that does nothing, then drops it.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(noop_waker_ref())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

async fn task_worker(
    handles: Handles,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    seed: u64,
    progress: Arc<Progress>,
) {
    task_steps(handles, ledger, stop, seed, &progress).await;
    progress.finished.store(true, Ordering::Relaxed);
}

async fn task_steps(
    mut handles: Handles,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    seed: u64,
    progress: &Progress,
) {
    let mut rng = Rng(seed | 1);
    while !stop.load(Ordering::Relaxed) {
        progress.turns.fetch_add(1, Ordering::Relaxed);
        progress.at(None);
        handles.maybe_drop_one(&mut rng);
        let a = rng.below(CHANNELS as u64) as usize;
        let b = rng.below(CHANNELS as u64) as usize;
        match rng.below(4) {
            0 => {
                // A send future raced against a timer: the loser is dropped mid-flight.
                // Dropped unfinished, it may still have been taken (sent, unreported).
                let Some(tx) = &handles.senders[a] else {
                    continue;
                };
                progress.at(Some(Step::Send(a)));
                let value = Value::make(&ledger, a);
                let id = value.id;
                let timer = csp_channel::after(rng.micros(500));
                let send = pin!(tx.send_async(value));
                let timeout = pin!(timer.recv_async());
                if let Either::Left((Ok(()), _)) = future::select(send, timeout).await {
                    Value::confirm(id, &ledger);
                }
            }
            1 => {
                // A receive future raced against a timer, or polled once and dropped.
                let Some(rx) = &handles.receivers[a] else {
                    continue;
                };
                progress.at(Some(Step::Recv(a)));
                if rng.below(2) == 0 {
                    if let Some(Ok(value)) = poll_once(rx.recv_async()) {
                        value.receive();
                    }
                } else {
                    let timer = csp_channel::after(rng.micros(500));
                    let recv = pin!(rx.recv_async());
                    let timeout = pin!(timer.recv_async());
                    if let Either::Left((Ok(value), _)) = future::select(recv, timeout).await {
                        value.receive();
                    }
                }
            }
            _ => {
                let (Some(tx), Some(rx)) = (&handles.senders[a], &handles.receivers[b]) else {
                    continue;
                };
                progress.at(Some(Step::Select { send: a, recv: b }));
                // The async select offers its message from the start; if another arm
                // commits, the message is dropped with the select.
                let value = Value::make(&ledger, a);
                let id = value.id;
                csp_channel::select_async! {
                    send(tx, value) -> sent => if sent.is_ok() {
                        Value::confirm(id, &ledger);
                    },
                    recv(rx) -> got => { got.map(Value::receive).ok(); },
                    default(rng.micros(300)) => {},
                }
            }
        }
    }
}

/// How long a round may take to wind down after its stop before the watchdog calls
/// it stuck: every wait in it is bounded by a timer of at most 500 µs.
const STUCK: Duration = Duration::from_secs(60);

/// Aborts the process with a report of every worker if a round does not end.
struct Watchdog {
    ended: std::sync::mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl Watchdog {
    fn start(progress: Vec<Arc<Progress>>, caps: Vec<usize>, kept: Vec<bool>) -> Self {
        let (ended, round_end) = std::sync::mpsc::channel();
        let thread = thread::spawn(move || {
            if round_end.recv_timeout(STUCK).is_ok() {
                return;
            }
            let mut report = format!("soak: a round did not end within {STUCK:?} of its stop\n");
            for (i, progress) in progress.iter().enumerate() {
                let (kind, k) = match i.checked_sub(THREADS) {
                    None => ("thread", i),
                    Some(k) => ("task", k),
                };
                report += &format!("  {kind} {k}: {}\n", progress.describe());
            }
            report += &format!("  channel capacities {caps:?}, drained at the end {kept:?}\n");
            // Written past the test harness's capture, which an abort would lose.
            let _ = std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes());
            std::process::abort();
        });
        Self { ended, thread }
    }

    fn round_ended(self) {
        let _ = self.ended.send(());
        self.thread.join().unwrap();
    }
}

/// Resident memory of this process, in bytes.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Runs one round: fresh channels, every worker on its own handles, then a drain and
/// the ledger's checks. Returns how many values the round made.
fn round(executor: &Executor, rng: &mut Rng) -> usize {
    let ledger = Arc::new(Ledger::new());
    let stop = Arc::new(AtomicBool::new(false));
    let caps = [0, 0, 1, 2, 8, 64];
    let chosen_caps: Vec<usize> = (0..CHANNELS)
        .map(|i| caps[(i + rng.below(6) as usize) % caps.len()])
        .collect();
    let (txs, rxs): (Vec<_>, Vec<_>) = chosen_caps
        .iter()
        .map(|&cap| csp_channel::bounded::<Value>(cap))
        .unzip();
    let handles = || Handles {
        senders: txs.iter().cloned().map(Some).collect(),
        receivers: rxs.iter().cloned().map(Some).collect(),
    };
    let progress: Vec<Arc<Progress>> = (0..THREADS + TASKS).map(|_| Arc::default()).collect();
    let threads: Vec<_> = progress[..THREADS]
        .iter()
        .map(|progress| {
            let (handles, ledger, stop, seed, progress) = (
                handles(),
                Arc::clone(&ledger),
                Arc::clone(&stop),
                rng.below(u64::MAX),
                Arc::clone(progress),
            );
            thread::spawn(move || thread_worker(handles, ledger, stop, seed, &progress))
        })
        .collect();
    let tasks: Vec<_> = progress[THREADS..]
        .iter()
        .map(|progress| {
            executor.spawn(task_worker(
                handles(),
                Arc::clone(&ledger),
                Arc::clone(&stop),
                rng.below(u64::MAX),
                Arc::clone(progress),
            ))
        })
        .collect();
    // The round keeps a receiver of half the channels to drain them at the end; the
    // others disconnect when their workers' receivers are gone.
    let kept: Vec<bool> = (0..CHANNELS).map(|_| rng.below(2) == 0).collect();
    drop(txs);
    let rxs: Vec<_> = rxs
        .into_iter()
        .zip(&kept)
        .map(|(rx, &keep)| keep.then_some(rx))
        .collect();
    thread::sleep(ROUND);
    stop.store(true, Ordering::Relaxed);
    let watchdog = Watchdog::start(progress, chosen_caps, kept.clone());
    for thread in threads {
        thread.join().unwrap();
    }
    for task in tasks {
        task.join();
    }
    for rx in rxs.iter().flatten() {
        while let Ok(value) = rx.try_recv() {
            value.receive();
        }
    }
    drop(rxs);
    watchdog.round_ended();
    let made = ledger.made.load(Ordering::Relaxed).min(VALUES);
    for id in 0..made {
        let dropped = ledger.dropped[id].load(Ordering::Relaxed);
        let received = ledger.received[id].load(Ordering::Relaxed);
        let confirmed = ledger.confirmed[id].load(Ordering::Relaxed);
        let channel = ledger.channel[id].load(Ordering::Relaxed) as usize;
        assert_eq!(dropped, 1, "value {id} dropped {dropped} times");
        assert!(received <= 1, "value {id} received {received} times");
        // A confirmed send was received, unless it was buffered on a channel whose
        // receivers all went away (then the channel dropped it).
        assert!(
            !confirmed || received == 1 || !kept[channel],
            "value {id}: its send was reported done but nobody received it"
        );
    }
    made
}

#[test]
fn soak() {
    let secs: u64 = std::env::var("CSP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let seed: u64 = std::env::var("CSP_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("soak: {secs} s, seed {seed}");
    let mut rng = Rng(seed | 1);
    let executor = Executor::new(2);
    let end = Instant::now() + Duration::from_secs(secs);
    let (mut rounds, mut values) = (0, 0);
    let mut baseline = None;
    while Instant::now() < end || rounds < 2 {
        values += round(&executor, &mut rng);
        rounds += 1;
        // Memory after the first rounds is the baseline: later rounds must not grow it.
        if rounds == 2 {
            baseline = Some(resident_bytes());
        }
    }
    let grown = resident_bytes().saturating_sub(baseline.unwrap_or(0));
    println!(
        "soak: {rounds} rounds, {values} values, every one accounted for; resident memory grew {} KiB",
        grown / 1024
    );
    assert!(
        grown < 32 << 20,
        "resident memory grew {} MiB over the soak",
        grown >> 20
    );
}
