//! The side-by-side comparison: every scenario, for csp and each peer that supports
//! it, as a function from a message count to the time it took. The criterion benches
//! in `benches/` and the quick runner (`cargo run --release -p csp-compare`) run the
//! very same functions.

#![warn(missing_docs)]

pub mod asynch;
pub mod busy;
pub mod floor;
pub mod loss;
pub mod mixed;
pub mod select;
pub mod threads;

use std::thread;
use std::time::{Duration, Instant};

/// Runs a scenario for a number of messages (or round trips) and returns the time.
pub type Run = Box<dyn Fn(u64) -> Duration + Send + Sync>;

/// One library's entry in a scenario.
pub struct Entry {
    /// The library (and, where it matters, how it is used: `csp-dynamic`).
    pub lib: &'static str,
    /// A note on how it differs (a peer without rendezvous uses capacity 1).
    pub note: &'static str,
    /// The measurement.
    pub run: Run,
}

/// A scenario: what is measured, and by whom.
pub struct Scenario {
    /// The criterion group and the report's section (`threads`, `select`, `async`).
    pub kind: &'static str,
    /// The scenario's name, unique within the comparison.
    pub name: String,
    /// What one unit of `messages` is (`round trip`, `message`).
    pub unit: &'static str,
    /// A typical message count: the runner probes with a hundredth of it to size its
    /// runs, and never uses more than twenty times it.
    pub messages: u64,
    /// One entry per library that supports the scenario; csp's first.
    pub entries: Vec<Entry>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field(
                "libs",
                &self.entries.iter().map(|e| e.lib).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn entry(lib: &'static str, run: impl Fn(u64) -> Duration + Send + Sync + 'static) -> Entry {
    Entry {
        lib,
        note: "",
        run: Box::new(run),
    }
}

fn noted(
    lib: &'static str,
    note: &'static str,
    run: impl Fn(u64) -> Duration + Send + Sync + 'static,
) -> Entry {
    Entry {
        lib,
        note,
        run: Box::new(run),
    }
}

/// The thread scenarios.
fn thread_scenarios() -> Vec<Scenario> {
    use threads::*;
    let mut all = Vec::new();
    for cap in [0, 1] {
        all.push(Scenario {
            kind: "threads",
            name: format!("ping_pong/cap{cap}"),
            unit: "round trip",
            messages: 20_000,
            entries: vec![
                entry("csp", ping_pong::<Csp>(cap)),
                entry("crossbeam", ping_pong::<Crossbeam>(cap)),
                entry("std-mpsc", ping_pong::<StdMpsc>(cap)),
                entry("flume", ping_pong::<Flume>(cap)),
                entry("kanal", ping_pong::<Kanal>(cap)),
            ],
        });
        if cap == 1 {
            // crossfire has no rendezvous: capacity 1 and up only.
            let scenario = all.last_mut().expect("just pushed");
            scenario
                .entries
                .push(entry("crossfire", ping_pong::<Crossfire>(cap)));
        }
        if cap == 0 {
            // The floor is a rendezvous: it belongs beside capacity 0 only.
            let scenario = all.last_mut().expect("just pushed");
            scenario.entries.push(noted(
                "floor",
                "no channel: one word, both sides yielding",
                ping_pong::<crate::floor::Floor>(cap),
            ));
        }
    }
    for (senders, receivers) in [(1, 1), (4, 1), (4, 4)] {
        for cap in [0, 1, 1024] {
            let mut entries = vec![
                entry("csp", move |n| spread::<Csp>(senders, receivers, cap, n)),
                entry("crossbeam", move |n| {
                    spread::<Crossbeam>(senders, receivers, cap, n)
                }),
            ];
            if receivers == 1 {
                entries.push(entry("std-mpsc", move |n| {
                    spread::<StdMpsc>(senders, receivers, cap, n)
                }));
            }
            entries.push(entry("flume", move |n| {
                spread::<Flume>(senders, receivers, cap, n)
            }));
            entries.push(entry("kanal", move |n| {
                spread::<Kanal>(senders, receivers, cap, n)
            }));
            if cap > 0 {
                entries.push(entry("crossfire", move |n| {
                    spread::<Crossfire>(senders, receivers, cap, n)
                }));
            }
            all.push(Scenario {
                kind: "threads",
                name: format!("throughput/{senders}x{receivers}/cap{cap}"),
                unit: "message",
                messages: if cap == 1024 { 400_000 } else { 40_000 },
                entries,
            });
        }
    }
    all
}

/// The select scenarios (crossbeam-channel is the only peer with a select).
fn select_scenarios() -> Vec<Scenario> {
    use select::*;
    vec![
        Scenario {
            kind: "select",
            name: "fan_in/4".into(),
            unit: "message",
            messages: 40_000,
            entries: vec![
                entry("csp", |n| {
                    run(
                        n,
                        4,
                        true,
                        csp_channel::bounded,
                        csp_send_each,
                        csp_select_macro_recv,
                    )
                }),
                entry("csp-dynamic", |n| {
                    run(
                        n,
                        4,
                        true,
                        csp_channel::bounded,
                        csp_send_each,
                        csp_select_dynamic_recv,
                    )
                }),
                entry("crossbeam", |n| {
                    run(
                        n,
                        4,
                        true,
                        crossbeam_channel::bounded,
                        cb_send_each,
                        cb_select_macro_recv,
                    )
                }),
                entry("crossbeam-dynamic", |n| {
                    run(
                        n,
                        4,
                        true,
                        crossbeam_channel::bounded,
                        cb_send_each,
                        cb_select_dynamic_recv,
                    )
                }),
            ],
        },
        Scenario {
            kind: "select",
            name: "fan_in/16".into(),
            unit: "message",
            messages: 40_000,
            entries: vec![
                noted("csp", "dynamic Select", |n| {
                    run(
                        n,
                        16,
                        true,
                        csp_channel::bounded,
                        csp_send_each,
                        csp_select_dynamic_recv,
                    )
                }),
                noted("crossbeam", "dynamic Select", |n| {
                    run(
                        n,
                        16,
                        true,
                        crossbeam_channel::bounded,
                        cb_send_each,
                        cb_select_dynamic_recv,
                    )
                }),
            ],
        },
        Scenario {
            kind: "select",
            name: "send_arms/4".into(),
            unit: "message",
            messages: 40_000,
            entries: vec![
                entry("csp", |n| {
                    run(
                        n,
                        4,
                        false,
                        csp_channel::bounded,
                        csp_select_macro_send,
                        csp_drain_one,
                    )
                }),
                entry("csp-dynamic", |n| {
                    run(
                        n,
                        4,
                        false,
                        csp_channel::bounded,
                        csp_select_dynamic_send,
                        csp_drain_one,
                    )
                }),
                entry("crossbeam", |n| {
                    run(
                        n,
                        4,
                        false,
                        crossbeam_channel::bounded,
                        cb_select_macro_send,
                        cb_drain_one,
                    )
                }),
                entry("crossbeam-dynamic", |n| {
                    run(
                        n,
                        4,
                        false,
                        crossbeam_channel::bounded,
                        cb_select_dynamic_send,
                        cb_drain_one,
                    )
                }),
            ],
        },
    ]
}

/// The async scenarios, every library on every runtime.
fn async_scenarios() -> Vec<Scenario> {
    use asynch::*;
    let mut all = Vec::new();
    for rt in [
        Runtime::TokioCurrentThread,
        Runtime::TokioMultiThread,
        Runtime::Own,
    ] {
        all.push(Scenario {
            kind: "async",
            name: format!("ping_pong/{}", rt.name()),
            unit: "round trip",
            messages: 20_000,
            entries: vec![
                entry("csp", move |n| ping_pong::<Csp>(rt, n)),
                noted("tokio-mpsc", "capacity 1: no rendezvous", move |n| {
                    ping_pong::<TokioMpsc>(rt, n)
                }),
                noted("async-channel", "capacity 1: no rendezvous", move |n| {
                    ping_pong::<AsyncChannel>(rt, n)
                }),
                noted(
                    "futures-mpsc",
                    "capacity 0: one slot per sender",
                    move |n| ping_pong::<FuturesMpsc>(rt, n),
                ),
                entry("flume", move |n| ping_pong::<Flume>(rt, n)),
                entry("kanal", move |n| ping_pong::<Kanal>(rt, n)),
                noted("crossfire", "capacity 1: no rendezvous", move |n| {
                    ping_pong::<Crossfire>(rt, n)
                }),
                noted(
                    "floor",
                    "no channel: one word, two AtomicWakers",
                    move |n| ping_pong::<crate::floor::Floor>(rt, n),
                ),
            ],
        });
        all.push(Scenario {
            kind: "async",
            name: format!("throughput/cap1024/{}", rt.name()),
            unit: "message",
            messages: 400_000,
            entries: vec![
                entry("csp", move |n| throughput::<Csp>(rt, n)),
                entry("tokio-mpsc", move |n| throughput::<TokioMpsc>(rt, n)),
                entry("async-channel", move |n| throughput::<AsyncChannel>(rt, n)),
                entry("futures-mpsc", move |n| throughput::<FuturesMpsc>(rt, n)),
                entry("flume", move |n| throughput::<Flume>(rt, n)),
                entry("kanal", move |n| throughput::<Kanal>(rt, n)),
                entry("crossfire", move |n| throughput::<Crossfire>(rt, n)),
            ],
        });
        all.push(Scenario {
            kind: "async",
            name: format!("receivers_wait/4/{}", rt.name()),
            unit: "message",
            messages: 100_000,
            entries: vec![
                entry("csp", move |n| receivers_wait::<Csp>(rt, 4, n)),
                noted("async-channel", "capacity 1: no rendezvous", move |n| {
                    receivers_wait::<AsyncChannel>(rt, 4, n)
                }),
                entry("flume", move |n| receivers_wait::<Flume>(rt, 4, n)),
                entry("kanal", move |n| receivers_wait::<Kanal>(rt, 4, n)),
                noted("crossfire", "capacity 1: no rendezvous", move |n| {
                    receivers_wait::<Crossfire>(rt, 4, n)
                }),
                noted(
                    "floor",
                    "no channel, one worker: two wake-ups a job, all an exact hand-off can do",
                    move |n| receiver_waits::<crate::floor::Floor>(rt, n),
                ),
            ],
        });
    }
    all
}

/// The mixed scenarios: a thread and a task on one pair of channels, at capacity 0
/// (a library without a rendezvous runs at 1, noted) and at capacity 1 (every
/// library alike).
fn mixed_scenarios() -> Vec<Scenario> {
    use mixed::*;
    const NO_RENDEZVOUS: &str = "capacity 1: no rendezvous";
    let rendezvous = Scenario {
        kind: "mixed",
        name: "thread_task/ping_pong/cap0/tokio-current-thread".into(),
        unit: "round trip",
        messages: 20_000,
        entries: vec![
            entry("csp", |n| ping_pong::<Csp>(Csp::CAP, n)),
            noted("tokio-mpsc", NO_RENDEZVOUS, |n| {
                ping_pong::<TokioMpsc>(TokioMpsc::CAP, n)
            }),
            noted("async-channel", NO_RENDEZVOUS, |n| {
                ping_pong::<AsyncChannel>(AsyncChannel::CAP, n)
            }),
            entry("flume", |n| ping_pong::<Flume>(Flume::CAP, n)),
            entry("kanal", |n| ping_pong::<Kanal>(Kanal::CAP, n)),
            noted("crossfire", NO_RENDEZVOUS, |n| {
                ping_pong::<Crossfire>(Crossfire::CAP, n)
            }),
        ],
    };
    let buffered = Scenario {
        kind: "mixed",
        name: "thread_task/ping_pong/cap1/tokio-current-thread".into(),
        unit: "round trip",
        messages: 20_000,
        entries: vec![
            entry("csp", |n| ping_pong::<Csp>(1, n)),
            entry("tokio-mpsc", |n| ping_pong::<TokioMpsc>(1, n)),
            entry("async-channel", |n| ping_pong::<AsyncChannel>(1, n)),
            entry("flume", |n| ping_pong::<Flume>(1, n)),
            entry("kanal", |n| ping_pong::<Kanal>(1, n)),
            entry("crossfire", |n| ping_pong::<Crossfire>(1, n)),
        ],
    };
    vec![rendezvous, buffered]
}

/// Every scenario of the comparison, in report order.
///
/// ```
/// let all = csp_compare::scenarios();
/// assert!(all.iter().all(|s| s.entries[0].lib.starts_with("csp")));
/// assert!(all.iter().any(|s| s.name == "ping_pong/cap0"));
/// ```
pub fn scenarios() -> Vec<Scenario> {
    let mut all = thread_scenarios();
    all.extend(select_scenarios());
    all.extend(async_scenarios());
    all.extend(mixed_scenarios());
    all
}

/// The time from the first worker's start to the last one's end.
fn span(handles: Vec<thread::JoinHandle<(Instant, Instant)>>) -> Duration {
    let spans: Vec<(Instant, Instant)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let first = spans.iter().map(|s| s.0).min().unwrap();
    let last = spans.iter().map(|s| s.1).max().unwrap();
    last - first
}

/// The repository README's Rust examples, compiled and run as doctests, so that what a
/// newcomer copies from it works (this crate depends on both published crates and on
/// `futures`, as the async example does).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
