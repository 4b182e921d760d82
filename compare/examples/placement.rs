//! Where the scheduler puts a one-to-one pair of threads beside CPU-bound processes,
//! and what each library pays for where they land. The README's "Idle, pinned and
//! busy" quotes it: on a busy machine kanal's one-to-one rows are fast only when both
//! its threads share a CPU that the busy processes left alone, and csp's and
//! crossbeam's threads, which park, seldom share one.
//!
//! ```sh
//! # two busy processes, placed by the scheduler
//! cargo run --release -p csp-compare --example placement -- --busy 2
//! # the placement kanal does well in, forced: the program on CPU 0, the load on CPU 1
//! cargo build --release -p csp-compare --example placement
//! taskset -c 0 target/release/examples/placement --busy 2 --busy-cpus 1
//! ```
//!
//! Options: `--busy N` CPU-bound processes beside the runs (default 0), `--busy-cpus
//! LIST` pins them (as taskset takes it), `--pin-threads CPU` pins each of the two
//! threads, but not the process, to that CPU (the scheduler's own choice, forced: a
//! library that asks how many CPUs it may use still hears the process's count, as
//! csp does once, before the runs), `--cap C` the capacity (default 0),
//! `--messages M` a run's messages (default 100000), `--runs R` runs of each library
//! (default 3), `--limit S` seconds after which a run stops sending (default 10). Each
//! line gives a run's time a message and how many of the CPU samples, taken every 256
//! messages on both sides, found the two threads on the same CPU (Linux only).

use std::process::Command;
use std::time::{Duration, Instant};

/// Samples of each side's CPU are taken every this many messages.
const EVERY: u64 = 256;

/// The CPU this thread last ran on (field 39 of `/proc/thread-self/stat`).
fn cpu() -> Option<u32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces; the
    // first of them is field 3.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(39 - 3)?
        .parse()
        .ok()
}

/// Pins the calling thread (not its process) to `cpu`, with taskset.
fn pin_thread(cpu: Option<&str>) {
    let Some(cpu) = cpu else { return };
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    let link = std::fs::read_link("/proc/thread-self").expect("Linux's /proc/thread-self");
    let tid = link.file_name().expect("a thread id").to_owned();
    let status = Command::new("taskset")
        .args(["-pc", cpu])
        .arg(tid)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("running taskset");
    assert!(status.success(), "taskset -pc {cpu} failed");
}

/// One run: a sender thread and this thread as the receiver. The sender stops at
/// `messages` or once `limit` has passed, and drops its handle; returns the time a
/// received message and the share of paired samples that found both on one CPU.
fn run<S: Send + 'static, R>(
    (tx, rx): (S, R),
    send: fn(&S, u64),
    recv: fn(&R) -> Option<u64>,
    messages: u64,
    limit: Duration,
    pin: Option<&str>,
) -> (Duration, f64) {
    let pin_sender = pin.map(str::to_owned);
    let start = Instant::now();
    let sender = std::thread::spawn(move || {
        pin_thread(pin_sender.as_deref());
        let mut cpus = Vec::new();
        for i in 0..messages {
            if i % EVERY == 0 {
                cpus.push(cpu());
                if start.elapsed() > limit {
                    break;
                }
            }
            send(&tx, i);
        }
        cpus
    });
    pin_thread(pin);
    let mut cpus = Vec::new();
    let mut received = 0;
    loop {
        if received % EVERY == 0 {
            cpus.push(cpu());
        }
        match recv(&rx) {
            Some(_) => received += 1,
            None => break,
        }
    }
    let took = start.elapsed();
    let theirs = sender.join().expect("the sender panicked");
    let pairs: Vec<_> = theirs.iter().zip(&cpus).collect();
    let same = pairs.iter().filter(|(a, b)| a.is_some() && a == b).count();
    (
        took / received.max(1) as u32,
        same as f64 / pairs.len().max(1) as f64,
    )
}

fn main() {
    csp_compare::busy::serve_if_busy();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut load, mut busy_cpus, mut pin, mut cap, mut messages, mut runs, mut limit) =
        (0, None, None, 0, 100_000, 3, 10);
    for pair in args.chunks(2) {
        let [name, value] = pair else {
            panic!("{pair:?}: every option takes a value (see the file's docs)")
        };
        let number = || -> u64 {
            value
                .parse()
                .unwrap_or_else(|_| panic!("{name} {value}: give a whole number"))
        };
        match name.as_str() {
            "--busy" => load = number(),
            "--busy-cpus" => busy_cpus = Some(value.clone()),
            "--pin-threads" => pin = Some(value.clone()),
            "--cap" => cap = number() as usize,
            "--messages" => messages = number(),
            "--runs" => runs = number(),
            "--limit" => limit = number(),
            _ => panic!("{name}: unknown option (see the file's docs)"),
        }
    }
    // csp reads how many CPUs it may use at its first wait, and keeps the answer:
    // make that wait now, before any thread is pinned.
    let (tx, _rx) = csp_channel::bounded::<u64>(0);
    let _ = tx.send_timeout(0, Duration::from_micros(1));
    let _busy = csp_compare::busy::Busy::start(load as usize, busy_cpus.as_deref());
    let limit = Duration::from_secs(limit);
    println!(
        "one-to-one, capacity {cap}, {messages} messages, {load} busy processes{}{}",
        busy_cpus
            .as_deref()
            .map(|c| format!(" on CPUs {c}"))
            .unwrap_or_default(),
        pin.as_deref()
            .map(|c| format!(", both threads on CPU {c}"))
            .unwrap_or_default()
    );
    for round in 1..=runs {
        // The three libraries' blocking API is the same; their types are not.
        macro_rules! one_to_one {
            ($lib:ident) => {
                run(
                    $lib::bounded(cap),
                    |tx: &$lib::Sender<u64>, v| tx.send(v).unwrap(),
                    |rx: &$lib::Receiver<u64>| rx.recv().ok(),
                    messages,
                    limit,
                    pin.as_deref(),
                )
            };
        }
        let results = [
            ("csp", one_to_one!(csp_channel)),
            ("kanal", one_to_one!(kanal)),
            ("crossbeam", one_to_one!(crossbeam_channel)),
        ];
        for (name, (per, same)) in results {
            println!(
                "run {round} {name:>9}: {per:>10.2?} a message, one CPU in {:>3.0}% of samples",
                same * 100.0
            );
        }
    }
}
