//! Time as a choice the checker explores (`csp/src/sync.rs`, "model clock"): under
//! loom no real time passes, and a wait with a deadline ends by timeout only where it
//! would sleep, racing any counterpart that arrives. Each model checks that loom
//! reaches *both* endings (counted over all executions) and that no value is lost or
//! duplicated in either; before the model clock, every one of these failed with
//! "Is the model fully deterministic?" or a deadlock the program does not have.
#![cfg(csp_loom)]

use loom_tests::{block_on, bounded, exhaustive};

use csp_channel::{RecvTimeoutError, after, select_biased};
use loom::thread;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// Explores `model` within loom's preemption bound; each execution returns which of
/// two endings it reached (`true`: the counterpart came), and both must be reached.
/// Counted outside the model (std atomics, not loom's), once loom has explored all.
fn reaches_both_endings(what: &str, model: impl Fn() -> bool + Sync + Send + 'static) {
    let endings = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let seen = Arc::clone(&endings);
    bounded(move || {
        seen[usize::from(model())].fetch_add(1, Ordering::Relaxed);
    });
    let [timeout, counterpart] = [0, 1].map(|k| endings[k].load(Ordering::Relaxed));
    assert!(
        timeout > 0 && counterpart > 0,
        "{what}: timed out in {timeout} executions, met the counterpart in {counterpart}"
    );
}

/// A receive with a timeout against a send with one, rendezvous and buffered: loom
/// explores the value arriving and the timeout; the value is received exactly when it
/// was sent, and a buffered value the receive timed out on is still there.
#[test]
fn a_timed_receive_either_gets_the_value_or_times_out() {
    for cap in [0, 1] {
        reaches_both_endings(&format!("bounded({cap})"), move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let sender =
                thread::spawn(move || tx.send_timeout(7, SECOND).map_err(|e| e.into_inner()));
            let got = rx.recv_timeout(SECOND);
            let sent = sender.join().unwrap();
            let received = got.is_ok();
            match (got, sent) {
                (Ok(v), Ok(())) => assert_eq!(v, 7),
                // Both gave up; the receive may see the sender gone by then.
                (Err(_), Err(v)) => assert_eq!(v, 7),
                // Buffered: the send went in; the receive gave up first.
                (Err(RecvTimeoutError::Timeout), Ok(())) => assert_eq!(rx.try_recv(), Ok(7)),
                other => panic!("value lost or invented: {other:?}"),
            }
            received
        });
    }
}

/// A wait that nobody answers times out rather than deadlock: the sender is alive (so
/// no disconnection ends it) and never sends. Without a deadline loom would report a
/// deadlock here (the models in `deadlock.rs`).
#[test]
fn an_unanswered_wait_times_out_instead_of_deadlocking() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let waiter = thread::spawn(move || rx.recv_timeout(SECOND));
        assert_eq!(waiter.join().unwrap(), Err(RecvTimeoutError::Timeout));
        assert_eq!(tx.send_timeout(1, SECOND).unwrap_err().into_inner(), 1);
    });
}

/// A select with a timer arm and a channel arm: each wins in some execution, and a
/// value not received stays with its sender (rendezvous: the send times out).
#[test]
fn a_timer_arm_and_a_channel_arm_each_win_somewhere() {
    reaches_both_endings("select over a timer and a rendezvous", || {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send_timeout(3, SECOND).is_ok());
        let received = select_biased! {
            // Disconnected once the sender has timed out and gone.
            recv(rx) -> msg => msg.ok(),
            recv(after(SECOND)) -> _ => None,
        };
        let sent = sender.join().unwrap();
        assert_eq!(
            received.is_some(),
            sent,
            "received {received:?}, sent {sent}"
        );
        sent
    });
}

/// Of several deadlines the earliest fires first, whatever their source: a timer arm
/// of one second beats a later timer and the select's own later timeout, and time
/// moves only as far as the first (a second `after` made after it has not fired).
#[test]
fn the_earliest_deadline_fires_first() {
    exhaustive(|| {
        let (_tx, rx) = csp_channel::bounded::<u32>(0);
        let later = after(3 * SECOND);
        let first = after(SECOND);
        let fired = select_biased! {
            recv(rx) -> _ => panic!("nothing is sent"),
            recv(later) -> _ => "later",
            recv(first) -> _ => "first",
            default(5 * SECOND) => "timeout",
        };
        assert_eq!(fired, "first");
        assert!(
            later.try_recv().is_err(),
            "time passed beyond the first deadline"
        );
        // The later timer fires where a wait would sleep for it.
        assert!(later.recv_timeout(10 * SECOND).is_ok());
    });
}

/// An async select with a timeout, against a thread's timed send: loom explores both
/// the value and the timeout, through the alarm's model-clock path.
#[test]
fn an_async_select_with_a_timeout_either_receives_or_times_out() {
    reaches_both_endings("async select with a timeout", || {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send_timeout(9, SECOND).is_ok());
        let received = block_on(async {
            csp_channel::select_biased_async! {
                // Disconnected once the sender has timed out and gone.
                recv(rx) -> msg => msg.ok(),
                default(SECOND) => None,
            }
        });
        let sent = sender.join().unwrap();
        assert_eq!(
            received.is_some(),
            sent,
            "received {received:?}, sent {sent}"
        );
        sent
    });
}

/// Time only moves forward: a thread whose wait reaches an earlier deadline after
/// another thread's later one came leaves the clock where it is, so a timer that has
/// fired for one thread stays fired for every thread.
#[test]
fn time_never_goes_back() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let early = thread::spawn(move || rx.recv_timeout(SECOND));
        let mid = after(5 * SECOND);
        let late = after(10 * SECOND);
        late.recv().unwrap();
        assert!(
            mid.try_recv().is_ok(),
            "a deadline 5 s away, after 10 s have passed"
        );
        assert_eq!(early.join().unwrap(), Err(RecvTimeoutError::Timeout));
        drop(tx);
    });
}
