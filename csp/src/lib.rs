//! CSP-style channels between threads: rendezvous (`bounded(0)`) and bounded buffered
//! channels, any number of senders and receivers, disconnection, timeouts.
//!
//! The API follows crossbeam-channel's, so code written for its bounded channels
//! compiles by changing the import.
//!
//! ```
//! use std::thread;
//!
//! // A rendezvous: each send completes only when the receiver takes the value.
//! let (tx, rx) = csp::bounded(0);
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

#![warn(missing_docs)]

mod backoff;
mod channel;
mod error;
mod flavors;
mod notify;
mod padded;
mod party;
mod select;
mod sync;
mod timers;
mod waitq;
mod waker;

pub use channel::{IntoIter, Iter, Receiver, Sender, TryIter, bounded};
pub use error::{
    ReadyTimeoutError, RecvError, RecvTimeoutError, SelectTimeoutError, SendError,
    SendTimeoutError, TryReadyError, TryRecvError, TrySelectError, TrySendError,
};
pub use select::{Select, SelectedOperation};
pub use timers::{after, at, never, tick};

#[doc(hidden)]
pub use select::__private;

/// Internals exposed to the loom models in `loom_tests/`, only under `--cfg csp_loom`.
#[cfg(csp_loom)]
#[doc(hidden)]
pub mod loom_hooks {
    /// A waker that unparks the calling (loom) thread.
    pub fn thread_waker() -> std::task::Waker {
        crate::waker::new_thread_waker()
    }
}
