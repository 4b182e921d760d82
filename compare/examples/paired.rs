//! csp against one peer on a ping-pong, paired chunk by chunk in one process: the
//! instrument behind the README's "Pinned to one CPU: what the gap is not". Pinned to
//! one CPU, where every round trip is two switches through the kernel, the host's own
//! speed drifts by 10-20% over minutes (a cloud guest), more than the few per cent
//! between csp and kanal there; separate runs of each library, even alternating,
//! then compare different minutes. Here each chunk of round trips runs on a fresh
//! pair of threads, csp's and the peer's chunks alternate (which goes first swaps
//! every pair), and the ratio is taken within each pair, so that both sides of it
//! ran in the same stretch of the host's time. Each round trip is also timed on its
//! own, and the pooled percentiles say whether a gap is steady or a tail.
//!
//! ```sh
//! cargo build --release -p csp-compare --example paired
//! taskset -c 0 target/release/examples/paired --peer kanal --cap 0
//! # the instrument's own bias: the peer against itself
//! taskset -c 0 target/release/examples/paired --peer kanal --self-check
//! ```
//!
//! Options: `--peer NAME` (kanal, crossbeam, crossfire, flume or std-mpsc; default kanal),
//! `--cap C` the capacity of both channels (default 0), `--round-trips N` a chunk's
//! round trips (default 20000), `--chunks K` chunk pairs (default 20), and
//! `--self-check`, which puts the peer in csp's place: its ratios show what the
//! pairing itself does (kanal against itself: 1.003 and 1.006 in the README's runs).
//! `--scenario SxR` measures the throughput rows instead of the ping-pong: S senders
//! and R receivers on one channel of capacity C (`csp_compare::threads::spread`), a
//! chunk being N messages, with the paired ratios of the time a message (no
//! percentiles: a message's time is not the time of one operation).

use csp_compare::threads::{Crossbeam, Crossfire, Csp, Flume, Kanal, Lib, StdMpsc, spread};
use std::time::Instant;

/// One chunk: `round_trips` round trips over two channels of capacity `cap` between
/// a fresh thread and a fresh echo thread; each round trip's time in nanoseconds
/// (after 1000 unmeasured ones), in order.
fn chunk<L: Lib>(cap: usize, round_trips: u64) -> Vec<u64> {
    std::thread::spawn(move || {
        let (ping_tx, ping_rx) = L::bounded(cap);
        let (pong_tx, pong_rx) = L::bounded(cap);
        let echo = std::thread::spawn(move || {
            while let Some(v) = L::recv(&ping_rx) {
                L::send(&pong_tx, v);
            }
        });
        for i in 0..1000 {
            L::send(&ping_tx, i);
            assert_eq!(L::recv(&pong_rx), Some(i));
        }
        let mut times = Vec::with_capacity(round_trips as usize);
        let mut last = Instant::now();
        for i in 0..round_trips {
            L::send(&ping_tx, i);
            assert_eq!(L::recv(&pong_rx), Some(i));
            let now = Instant::now();
            times.push(u64::try_from((now - last).as_nanos()).unwrap_or(u64::MAX));
            last = now;
        }
        drop(ping_tx); // the echo's loop ends once its input disconnects
        echo.join().expect("the echo thread panicked");
        times
    })
    .join()
    .expect("a chunk's thread panicked")
}

fn mean(times: &[u64]) -> f64 {
    times.iter().sum::<u64>() as f64 / times.len() as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The value at fraction `p` of the sorted `values`.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// `pairs` pairs of runs of `a` and `b`, each pair as (`a`'s, `b`'s); which of the two
/// runs first swaps every pair, so that neither always follows the other.
fn alternate<T>(pairs: usize, mut a: impl FnMut() -> T, mut b: impl FnMut() -> T) -> Vec<(T, T)> {
    (0..pairs)
        .map(|pair| {
            if pair % 2 == 0 {
                let x = a();
                (x, b())
            } else {
                let y = b();
                (a(), y)
            }
        })
        .collect()
}

/// `chunks` pairs of chunks of `A` (in csp's place) and `B`; prints the paired
/// ratios of their mean round trips and the pooled percentiles.
fn compare<A: Lib, B: Lib>(cap: usize, round_trips: u64, chunks: usize) {
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y) in alternate(
        chunks,
        || chunk::<A>(cap, round_trips),
        || chunk::<B>(cap, round_trips),
    ) {
        ratios.push(mean(&x) / mean(&y));
        a.extend(x);
        b.extend(y);
    }
    a.sort_unstable();
    b.sort_unstable();
    let (name_a, name_b) = (A::NAME, B::NAME);
    println!(
        "ping-pong over capacity {cap}, {chunks} pairs of {round_trips} round trips; \
         {name_a} over {name_b}:"
    );
    println!(
        "  mean round trip: {:.0} ns against {:.0}; median of the paired ratios {:.3}",
        mean(&a),
        mean(&b),
        median(&mut ratios)
    );
    for p in [0.1, 0.5, 0.9, 0.99] {
        let (x, y) = (percentile(&a, p), percentile(&b, p));
        println!(
            "  p{:<4} {x:>7} ns against {y:>7}: {:.3}",
            p * 100.0,
            x as f64 / y as f64
        );
    }
}

/// `chunks` pairs of throughput chunks of `A` (in csp's place) and `B`: `senders` x
/// `receivers` over one channel of capacity `cap`, `messages` a chunk; prints the
/// paired ratios of their times a message.
fn compare_spread<A: Lib, B: Lib>(
    (senders, receivers): (usize, usize),
    cap: usize,
    messages: u64,
    chunks: usize,
) {
    let per_message = |run: fn(usize, usize, usize, u64) -> std::time::Duration| -> f64 {
        run(senders, receivers, cap, messages).as_nanos() as f64 / messages as f64
    };
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y) in alternate(
        chunks,
        || per_message(spread::<A>),
        || per_message(spread::<B>),
    ) {
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    let (name_a, name_b) = (A::NAME, B::NAME);
    println!(
        "{senders}x{receivers} over capacity {cap}, {chunks} pairs of {messages} messages; \
         {name_a} over {name_b}:"
    );
    println!(
        "  median time a message: {:.1} ns against {:.1}; median of the paired ratios {:.3}",
        median(&mut a),
        median(&mut b),
        median(&mut ratios)
    );
}

fn main() {
    let mut peer = "kanal".to_string();
    let mut scenario: Option<(usize, usize)> = None;
    let (mut cap, mut round_trips, mut chunks, mut self_check) = (0, 20_000, 20, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--peer" => peer = value(),
            "--cap" => cap = value().parse().expect("--cap takes a capacity"),
            "--round-trips" => round_trips = value().parse().expect("--round-trips takes a count"),
            "--chunks" => chunks = value().parse().expect("--chunks takes a count"),
            "--self-check" => self_check = true,
            "--scenario" => {
                let spec = value();
                let parse = |n: &str| n.parse::<usize>().ok().filter(|&n| n > 0);
                scenario = spec
                    .split_once('x')
                    .and_then(|(s, r)| Some((parse(s)?, parse(r)?)));
                assert!(
                    scenario.is_some(),
                    "--scenario takes senders x receivers, such as 4x1, not {spec}"
                );
            }
            other => panic!("unknown option {other}; see the example's docs"),
        }
    }
    assert!(
        round_trips > 0 && chunks > 0,
        "--round-trips and --chunks must be positive"
    );
    macro_rules! against {
        ($peer:ty) => {
            match (scenario, self_check) {
                (None, true) => compare::<$peer, $peer>(cap, round_trips, chunks),
                (None, false) => compare::<Csp, $peer>(cap, round_trips, chunks),
                (Some(sr), true) => compare_spread::<$peer, $peer>(sr, cap, round_trips, chunks),
                (Some(sr), false) => compare_spread::<Csp, $peer>(sr, cap, round_trips, chunks),
            }
        };
    }
    match peer.as_str() {
        "kanal" => against!(Kanal),
        "crossbeam" => against!(Crossbeam),
        "crossfire" => against!(Crossfire),
        "flume" => against!(Flume),
        "std-mpsc" => against!(StdMpsc),
        other => panic!("unknown peer {other}: kanal, crossbeam, crossfire, flume or std-mpsc"),
    }
}
