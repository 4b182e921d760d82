//! CSP-style channels between threads: rendezvous (`bounded(0)`), buffered and
//! unbounded channels, any number of senders and receivers, disconnection, timeouts,
//! and a `select` over send and receive arms with guards, defaults and timers.
//!
//! The API follows crossbeam-channel's, so code written for it compiles by changing
//! the import: crossbeam-channel 0.5's own test suite passes against csp
//! (`scripts/crossbeam-suite.sh`). What still differs is listed under
//! [Differences from crossbeam-channel](#differences-from-crossbeam-channel).
//!
//! ```
//! use std::thread;
//!
//! // A rendezvous: each send completes only when the receiver takes the value.
//! let (tx, rx) = csp_channel::bounded(0);
//! let worker = thread::spawn(move || {
//!     for word in ["the", "quick", "fox"] {
//!         tx.send(word).unwrap();
//!     }
//! });
//! let words: Vec<&str> = rx.iter().collect();
//! assert_eq!(words, ["the", "quick", "fox"]);
//! worker.join().unwrap();
//! ```
//!
//! # How waiting works
//!
//! A blocked operation is a *party* (`party.rs`) registered in the channel's wait
//! queue (`waitq.rs`). It waits through a [`std::task::Waker`]: a blocked thread's
//! waker unparks it (`waker.rs`), and an async task's waker reschedules it, so threads
//! and tasks wait in the same queues by the same protocol. The party that arrives
//! second on a rendezvous moves the value and completes the first with one
//! compare-and-swap; a party spins briefly before it sleeps, only if the process has
//! more than one CPU to run on (`backoff.rs`).
//!
//! A select registers one party in every arm's queue; whichever counterpart completes
//! it first wins, and the others find it done. Because a select learns its send
//! value (or where to put what it receives) only once it has chosen, completing one
//! can take two steps: *claim* the party under the channel lock, *finish* it outside
//! (`select/mod.rs` walks through it).
//!
//! # Select, for occam and Go programmers
//!
//! | occam | Go | csp |
//! |---|---|---|
//! | `ALT` | `select` | [`select!`] (random among ready arms), [`Select::new`] |
//! | `PRI ALT` | (none) | [`select_biased!`], [`Select::new_biased`] |
//! | fair `ALT` (JCSP `fairSelect`) | (none) | [`Select::new_fair`] |
//! | `c ? x` | `case x := <-c:` | `recv(c) -> x => ...` |
//! | output guard | `case c <- v:` | `send(c, v) -> res => ...` (`v` evaluated only if chosen; in [`select_async!`], when the select starts) |
//! | `cond & c ? x` | a nil channel | `recv(c) -> x if cond => ...` |
//! | `TRUE & SKIP` | `default:` | `default => ...` |
//! | `tim ? AFTER t` | `case <-time.After(d):` | `recv(csp_channel::at(t)) -> _`, `recv(csp_channel::after(d)) -> _`, or `default(d) => ...` |
//! | a periodic timer | `time.Tick(d)` | `recv(csp_channel::tick_in_phase(d)) -> _` (Go's schedule) or `csp_channel::tick(d)` (crossbeam's) |
//! | replicated `ALT i = 0 FOR n` | `reflect.Select` | [`Select`], with arms added in a loop |
//! | `STOP` | `select {}` | a select with every arm guarded off and no `default` |
//!
//! Exactly one arm commits: its value moves, and the other arms leave no trace. An arm
//! on a disconnected channel is ready and completes with an error, so a loop can tell
//! when its inputs are gone.
//!
//! A `PRI ALT` with a timer guard: a watchdog that takes input while it comes, and
//! fires when none arrives in time.
//!
//! ```
//! use std::thread;
//! use std::time::Duration;
//!
//! let (urgent_tx, urgent) = csp_channel::bounded(0);
//! let (routine_tx, routine) = csp_channel::bounded(0);
//! thread::spawn(move || {
//!     urgent_tx.send("fire").unwrap();
//!     routine_tx.send("post").unwrap();
//!     thread::sleep(Duration::from_secs(30)); // then silence, handles still open
//! });
//! let mut log = Vec::new();
//! loop {
//!     csp_channel::select_biased! {
//!         recv(urgent) -> msg => log.push(msg.unwrap()),
//!         recv(routine) -> msg => log.push(msg.unwrap()),
//!         recv(csp_channel::after(Duration::from_millis(50))) -> _ => { log.push("timeout"); break }
//!     }
//! }
//! assert_eq!(log, ["fire", "post", "timeout"]);
//! ```
//!
//! Guards: Hoare's bounded buffer as a process, which accepts input only while it has
//! room (`count < N & in ? x`) and offers output only while it holds something
//! (`count > 0 & out ! x`).
//!
//! ```
//! use std::collections::VecDeque;
//! use std::thread;
//!
//! const N: usize = 3;
//! let (in_tx, input) = csp_channel::bounded::<u32>(0);
//! let (output, out_rx) = csp_channel::bounded::<u32>(0);
//! let buffer = thread::spawn(move || {
//!     let mut held = VecDeque::new();
//!     let mut input_open = true;
//!     while input_open || !held.is_empty() {
//!         let next = held.front().copied();
//!         csp_channel::select! {
//!             recv(input) -> x if input_open && held.len() < N => match x {
//!                 Ok(x) => held.push_back(x),
//!                 Err(_) => input_open = false,
//!             },
//!             send(output, next.unwrap()) -> res if next.is_some() => {
//!                 res.unwrap();
//!                 held.pop_front();
//!             }
//!         }
//!     }
//! });
//! thread::spawn(move || (0..10).for_each(|i| in_tx.send(i).unwrap()));
//! assert_eq!(out_rx.iter().take(10).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
//! buffer.join().unwrap();
//! ```
//!
//! A replicated, fair `ALT`: a server that serves any number of clients, taking
//! them in turn while several are ready, so none starves.
//!
//! ```
//! use std::thread;
//!
//! let clients: Vec<_> = (0..3).map(|_| csp_channel::bounded::<usize>(0)).collect();
//! for (id, (tx, _)) in clients.iter().enumerate() {
//!     let tx = tx.clone();
//!     thread::spawn(move || for _ in 0..5 { tx.send(id).unwrap() });
//! }
//! let receivers: Vec<_> = clients.into_iter().map(|(_, rx)| rx).collect();
//! let mut sel = csp_channel::Select::new_fair();
//! for rx in &receivers {
//!     sel.recv(rx);
//! }
//! let mut served = [0; 3];
//! let mut open = receivers.len();
//! while open > 0 {
//!     let oper = sel.select();
//!     let index = oper.index();
//!     match oper.recv(&receivers[index]) {
//!         Ok(client) => served[client] += 1,
//!         // That client is done: its channel disconnected. Stop listening to it.
//!         Err(_) => {
//!             sel.remove(index);
//!             open -= 1;
//!         }
//!     }
//! }
//! assert_eq!(served, [5, 5, 5]);
//! ```
//!
//! # Differences from crossbeam-channel
//!
//! - **`never()` is not a `const fn`**: a csp handle is one pointer to a shared
//!   channel, so even a channel that never delivers is allocated. Call `never()` where
//!   crossbeam code uses it in a `const`.
//! - **`close()` and `is_disconnected()`** on both handles are csp's own (the two
//!   most-asked features on crossbeam's tracker): closing from either side fails every
//!   send with its value back and lets receivers drain what is buffered.
//! - **`tick_in_phase`** is csp's own: [`tick`] behaves as crossbeam's (after a late
//!   receive, the next tick comes a period later); `tick_in_phase` keeps Go's schedule.
//! - **`unbounded()` is a queue under a lock**, not crossbeam's lock-free list of
//!   blocks: same semantics, simpler to model-check; it has no throughput scenario in
//!   the comparison yet, so pick `bounded` where that speed matters.
//! - **A forgotten [`SelectedOperation`]** (`std::mem::forget`) keeps its claim for
//!   good: a buffered slot stays held (the channel then counts it as neither free nor
//!   filled), a rendezvous counterpart stays claimed and waits. This is memory-safe
//!   (crossbeam's tracker records a leaked one as undefined behaviour there, issue
//!   1295), but the claim is lost: complete or drop every operation a select returns.
//! - **A select that may not wait is linearizable**, as crossbeam's is; csp also
//!   documents the one case it is not: a claim another select gives back (by dropping
//!   its operation) counts as never having been available.
//! - **Dropping an unfinished [`SelectedOperation`] panics**, as in crossbeam, but csp
//!   first gives the claim back, so the channel stays usable after `catch_unwind`.

#![warn(missing_docs)]

mod alarm;
mod backoff;
mod channel;
mod error;
mod flavors;
pub mod future;
// Under shuttle the channels use shuttle's mutex, and only loom checks this lock.
#[cfg(not(csp_shuttle))]
mod lock;
mod notify;
mod padded;
mod party;
mod select;
mod sync;
mod timers;
mod waitq;
mod waker;

pub use channel::{IntoIter, Iter, Receiver, Sender, TryIter, bounded, unbounded};
pub use error::{
    ReadyTimeoutError, RecvError, RecvTimeoutError, SelectTimeoutError, SendError,
    SendTimeoutError, TryReadyError, TryRecvError, TrySelectError, TrySendError,
};
pub use select::{Select, SelectedOperation};
pub use timers::{after, at, never, tick, tick_in_phase};

#[doc(hidden)]
pub use select::__private;

/// Under `--cfg csp_loom` only: the setting a user's loom model may change
/// (`explore_select_choices`, docs/model-checking.md), and internals exposed to csp's
/// own loom models in `loom_tests/`.
#[cfg(csp_loom)]
#[doc(hidden)]
pub mod loom_hooks {
    /// A waker that unparks the calling (loom) thread.
    pub fn thread_waker() -> std::task::Waker {
        crate::waker::new_thread_waker()
    }

    /// The last report of where a failed model's threads were blocked (printed to
    /// stderr as the model stopped; `crate::sync`, "model_report"), or empty.
    pub fn last_blocked_report() -> String {
        crate::sync::last_report()
    }

    /// How many choices among ready select arms each loom execution explores (by
    /// default one): the first `per_execution` random-order selects (`select!`,
    /// `select_async!`, `Select::new()`) of an execution that find several arms ready
    /// each take every one of them in some execution. Each such choice spawns a
    /// helper thread, which takes one of loom's five thread slots for the rest of the
    /// execution: a model of five threads sets 0, one with room sets more. Set it
    /// on the test's thread before `loom::model`; it holds for every model that
    /// thread runs after.
    pub fn explore_select_choices(per_execution: usize) {
        crate::sync::set_choices(per_execution);
    }

    /// csp's queue lock (`crate::lock`), over loom's atomics, for its own model: the
    /// channels under loom use loom's mutex.
    pub struct QueueLock<T>(crate::lock::Mutex<T>);

    impl<T> QueueLock<T> {
        /// An unlocked lock around `value`.
        pub fn new(value: T) -> Self {
            Self(crate::lock::Mutex::new(value))
        }

        /// Runs `f` on the value while holding the lock.
        pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            f(&mut self.0.lock())
        }
    }
}
