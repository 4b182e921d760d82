//! The floor: what a round trip costs with no channel at all.
//!
//! One word hands one value across (`EMPTY`, `v + 1` while it holds `v`, or `CLOSED`),
//! and the two sides take turns through it: a send waits until the value is taken, as
//! on a rendezvous. There is no queue, no lock and room for one sender and one
//! receiver only; threads yield while they wait (never sleeping mid-round-trip), and
//! tasks wake each other through one [`AtomicWaker`] per side. Any real channel does
//! more, so this row shows how much of a ping-pong's round trip is the scheduler's
//! alone: two task wake-ups and polls, or, pinned to one CPU, two thread switches.
//! Threads on two CPUs are an exception: there a channel that spins instead of
//! yielding (as csp does, briefly) can beat it, since each yield is a system call.
//! Threads pinned to one CPU are another: the floor yields through std, as the peers
//! do, and a channel that issues the system call inline (csp, on Linux x86-64) saves
//! the mispredicted return that follows each switch.

use crate::asynch::AsyncLib;
use crate::threads::Lib;
use futures::task::AtomicWaker;
use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

const EMPTY: u64 = 0;
const CLOSED: u64 = u64::MAX;
/// Yields an idle thread receiver makes before it naps instead (see `Floor::recv`):
/// well under a millisecond, even at a microsecond or two a yield on one CPU.
const IDLE_YIELDS: u32 = 200;

/// The word both sides share, and the wakers of the async sides.
#[derive(Default)]
pub struct Handoff {
    word: AtomicU64,
    receiver: AtomicWaker,
    sender: AtomicWaker,
}

impl Handoff {
    /// Puts `v` in the word, which must be empty: the previous send waited until its
    /// value was taken, and there is only one sender.
    fn put(&self, v: u64) {
        assert!(
            v < CLOSED - 1,
            "the floor carries values below u64::MAX - 1"
        );
        self.word.store(v + 1, Ordering::Release);
        self.receiver.wake();
    }

    fn is_taken(&self) -> bool {
        self.word.load(Ordering::Acquire) == EMPTY
    }

    /// The value, if one is there (and takes it), or `Some(None)` once closed.
    fn take(&self) -> Option<Option<u64>> {
        match self.word.load(Ordering::Acquire) {
            EMPTY => None,
            CLOSED => Some(None),
            held => {
                // Only this receiver changes a full word: the sender waits for EMPTY.
                self.word.store(EMPTY, Ordering::Release);
                self.sender.wake();
                Some(Some(held - 1))
            }
        }
    }
}

/// The sending side; dropping it closes the handoff (after its last value was taken).
pub struct FloorTx(Arc<Handoff>);

/// The receiving side.
pub struct FloorRx(Arc<Handoff>);

impl Drop for FloorTx {
    fn drop(&mut self) {
        self.0.word.store(CLOSED, Ordering::Release);
        self.0.receiver.wake();
    }
}

fn pair() -> (FloorTx, FloorRx) {
    let handoff = Arc::new(Handoff::default());
    (FloorTx(Arc::clone(&handoff)), FloorRx(handoff))
}

/// The floor, in the thread and async comparisons.
pub struct Floor;

impl Lib for Floor {
    const NAME: &'static str = "floor";
    const MPMC: bool = false;
    type Tx = FloorTx;
    type Rx = FloorRx;
    fn bounded(_cap: usize) -> (FloorTx, FloorRx) {
        pair()
    }
    fn send(tx: &FloorTx, v: u64) {
        tx.0.put(v);
        while !tx.0.is_taken() {
            std::thread::yield_now();
        }
    }
    fn recv(rx: &FloorRx) -> Option<u64> {
        let mut idle = 0u32;
        loop {
            if let Some(v) = rx.0.take() {
                return v;
            }
            // An echo thread idle between runs (the comparison keeps it alive while
            // the other libraries are measured) must not keep a CPU busy: after many
            // yields with nothing, it naps. A round trip in progress never gets there.
            idle += 1;
            if idle < IDLE_YIELDS {
                std::thread::yield_now();
            } else {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }
    fn clone_tx(_tx: &FloorTx) -> FloorTx {
        unreachable!("the floor has one sender")
    }
    fn clone_rx(_rx: &FloorRx) -> FloorRx {
        unreachable!("the floor has one receiver")
    }
}

impl AsyncLib for Floor {
    const NAME: &'static str = "floor";
    const PING_PONG_CAP: usize = 0;
    type Tx = FloorTx;
    type Rx = FloorRx;
    fn bounded(_cap: usize) -> (FloorTx, FloorRx) {
        pair()
    }
    fn send(tx: &mut FloorTx, v: u64) -> impl Future<Output = ()> + Send {
        tx.0.put(v);
        poll_fn(move |cx| {
            tx.0.sender.register(cx.waker());
            if tx.0.is_taken() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
    fn recv(rx: &mut FloorRx) -> impl Future<Output = Option<u64>> + Send {
        poll_fn(move |cx| {
            rx.0.receiver.register(cx.waker());
            match rx.0.take() {
                Some(v) => Poll::Ready(v),
                None => Poll::Pending,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_hands_every_value_over_and_closes() {
        let (tx, rx) = <Floor as Lib>::bounded(0);
        let echo = std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(v) = <Floor as Lib>::recv(&rx) {
                got.push(v);
            }
            got
        });
        for v in 0..1000 {
            <Floor as Lib>::send(&tx, v);
        }
        drop(tx);
        assert_eq!(echo.join().unwrap(), (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn the_async_floor_round_trips_on_every_runtime() {
        for rt in [
            crate::asynch::Runtime::TokioCurrentThread,
            crate::asynch::Runtime::TokioMultiThread,
            crate::asynch::Runtime::Own,
        ] {
            // ping_pong asserts that every reply is the value sent.
            crate::asynch::ping_pong::<Floor>(rt, 1000);
        }
    }
}
