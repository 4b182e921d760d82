//! Go's hand-off on a ring (`csp/src/notify.rs`, "Hand-off"): a blocked thread waits
//! with a slot of its own; a receive that frees room claims the oldest waiting sender
//! and puts its value into the ring for it, and a send that publishes a value claims
//! the oldest waiting receiver and receives the oldest value for it. Each model puts
//! a hand-off against what could make a value be sent twice, lost, or sent while its
//! sender is told otherwise: the waiting thread's own timeout, a close, a select's
//! hold in the way. (A receiver's timeout against a send that serves it is
//! `time.rs`'s `a_timed_receive_either_gets_the_value_or_times_out` at capacity 1;
//! holds in the way of a hand-off, `holds.rs`'s
//! `a_completed_value_claim_lets_a_handed_back_sender_in` and the models beside it.)
#![cfg(csp_loom)]

use loom_tests::bounded;

use csp_channel::{SendError, SendTimeoutError, TryRecvError};
use loom::thread;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// A waiting sender with a deadline, and a receive that frees the room it waits for:
/// the receive may hand the value off or the send may time out first (loom's model
/// clock; both endings are reached). Sent means received; timed out means the value
/// came back and the ring holds nothing of it. A hand-off that let the owner time out
/// after its claim, or that left the value in both places, fails here.
#[test]
fn a_hand_off_races_the_senders_timeout() {
    let endings = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let seen = Arc::clone(&endings);
    bounded(move || {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        tx.send(1).unwrap();
        let sender = thread::spawn(move || tx.send_timeout(2, SECOND));
        assert_eq!(rx.recv(), Ok(1));
        let sent = sender.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(rx.recv_timeout(SECOND), Ok(2)),
            Err(SendTimeoutError::Timeout(v)) => {
                assert_eq!(v, 2);
                assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
            }
            Err(other) => panic!("the receiver is alive: {other:?}"),
        }
        seen[usize::from(sent.is_ok())].fetch_add(1, Ordering::Relaxed);
    });
    let [timeout, sent] = [0, 1].map(|k| endings[k].load(Ordering::Relaxed));
    assert!(
        timeout > 0 && sent > 0,
        "timed out in {timeout} executions, sent in {sent}"
    );
}

/// A value that counts its drops, to tell a lost value (never dropped: leaked in a
/// slot) and a duplicated one (dropped twice) apart from one that ended once.
struct Counted(u32, Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

/// A waiting sender, a receive that frees its room, and a close from a third thread:
/// the hand-off may find the channel closed and give the value back. The send then
/// fails with its value; a send reported done left its value in the ring; and every
/// value ends once (never both sent and returned, never lost).
#[test]
fn a_hand_off_races_a_close() {
    bounded(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = csp_channel::bounded::<Counted>(1);
        tx.send(Counted(1, Arc::clone(&drops))).unwrap();
        let closer = tx.clone();
        let value = Counted(2, Arc::clone(&drops));
        let sender = thread::spawn(move || tx.send(value));
        // The receiver stays alive (returned) so that only `close` disconnects.
        let receiver = thread::spawn(move || (rx.recv().map(|v| v.0), rx));
        assert!(closer.close());
        let sent = sender.join().unwrap();
        let (got, rx) = receiver.join().unwrap();
        // The receive never fails: the first value was buffered before the close.
        assert_eq!(got, Ok(1));
        // Sent means buffered (a closed channel still gives what it holds); failed
        // means the value came back and is nowhere else.
        let left = rx.try_recv().map(|v| v.0);
        match sent {
            Ok(()) => assert_eq!(left, Ok(2), "a value reported sent is in the ring"),
            Err(SendError(v)) => {
                assert_eq!(v.0, 2, "the failed send gives its own value");
                assert_eq!(left, Err(TryRecvError::Disconnected));
            }
        }
        drop((closer, rx));
        assert_eq!(
            drops.load(Ordering::Relaxed),
            2,
            "each value ends exactly once"
        );
    });
}

/// A receiver waits on an empty ring; a sender's value, and a close from a third
/// thread: the send may serve the waiting receiver, or fail on the close with its
/// value. The receiver gets the value exactly when the send succeeded, else learns of
/// the disconnection; a served value that also stayed in the ring, or a receiver
/// woken with an empty slot and nothing to find, fails here.
#[test]
fn a_served_receive_races_a_close() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let closer = tx.clone();
        let receiver = thread::spawn(move || (rx.recv(), rx));
        let sender = thread::spawn(move || tx.send(1));
        assert!(closer.close());
        let sent = sender.join().unwrap();
        let (got, rx) = receiver.join().unwrap();
        match sent {
            Ok(()) => assert_eq!(got, Ok(1), "a value reported sent reaches the receiver"),
            Err(SendError(v)) => {
                assert_eq!(v, 1);
                assert_eq!(got, Err(csp_channel::RecvError));
            }
        }
        assert_eq!(
            rx.try_recv(),
            Err(TryRecvError::Disconnected),
            "nothing left"
        );
    });
}
