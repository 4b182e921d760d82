//! csp-channel's channels used from async tasks, and a small executor built from them.
//!
//! The futures themselves live in `csp-channel` (they are part of its wait protocol):
//! [`csp_channel::Sender::send_async`], [`csp_channel::Receiver::recv_async`], and the
//! [`futures_core::Stream`] and [`futures_sink::Sink`] adapters
//! [`csp_channel::Receiver::into_stream`] and [`csp_channel::Sender::into_sink`]. They wait in the same
//! queues as blocked threads, so a thread and a task can meet on one channel, and a
//! dropped future never loses a message (see [`csp_channel::future`]). They run on any
//! executor: tokio, `futures::executor`, or this crate's.
//!
//! The async select is [`select!`] (and [`select_biased!`]), also from `csp-channel`:
//!
//! ```
//! use std::time::Duration;
//!
//! let (tx, rx) = csp_channel::bounded(0);
//! std::thread::spawn(move || tx.send("ready").unwrap());
//! let got = csp_executor::block_on(async {
//!     csp_executor::select! {
//!         recv(rx) -> msg => msg.unwrap(),
//!         recv(csp_channel::after(Duration::from_secs(10))) -> _ => "timed out",
//!     }
//! });
//! assert_eq!(got, "ready");
//! ```
//!
//! This crate adds [`block_on`], which runs a future on the calling thread with the
//! same waker csp's blocked threads use, and [`Executor`], a pool of workers whose run
//! queue is a csp channel.
//!
//! ```
//! use csp_executor::block_on;
//!
//! let (tx, rx) = csp_channel::bounded(0);
//! let producer = std::thread::spawn(move || tx.send("from a thread").unwrap());
//! assert_eq!(block_on(rx.recv_async()), Ok("from a thread"));
//! producer.join().unwrap();
//! ```

#![warn(missing_docs)]

mod executor;
mod schedule;
mod sync;

pub use csp_channel::future::{RecvFuture, RecvStream, SendFuture, SendSink};
/// The async select (csp's `select_async!`): the thread `select!`'s arms, guards,
/// `default` and timers, awaited in a task; its send arms' values are evaluated when
/// it starts.
pub use csp_channel::select_async as select;
/// The async `select_biased!` (csp's `select_biased_async!`).
pub use csp_channel::select_biased_async as select_biased;
pub use executor::{Executor, JoinHandle, Spawner};

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Runs `future` to completion on the calling thread, parking it while the future is
/// pending; the waker unparks it (csp's own thread waker).
///
/// ```
/// assert_eq!(csp_executor::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = csp_channel::future::thread_waker();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        sync::thread::park();
    }
}

/// The task scheduling state machine, for the loom models in `loom_tests/`.
#[cfg(csp_loom)]
#[doc(hidden)]
pub mod loom_hooks {
    pub use crate::schedule::Schedule;
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
