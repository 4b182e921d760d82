//! Handoff, buffering and disconnection, and the thread waker's reference counts.
#![cfg(csp_loom)]

use loom_tests::{bounded, exhaustive};

use csp_channel::{RecvError, SendError, TryRecvError};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;

/// One sender, one receiver: the value crosses, and the send cannot return before
/// the receive has started taking it (the receiver checks the sender's flag first).
#[test]
fn rendezvous_handoff() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let returned = Arc::new(AtomicBool::new(false));
        let flag = returned.clone();
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
            flag.store(true, Ordering::SeqCst);
        });
        assert!(
            !returned.load(Ordering::SeqCst),
            "send returned with no receiver"
        );
        assert_eq!(rx.recv(), Ok(7));
        sender.join().unwrap();
        assert!(returned.load(Ordering::SeqCst));
    });
}

/// Two senders, one receiver: both values arrive, once each.
#[test]
fn rendezvous_two_senders() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let senders: Vec<_> = [1, 2]
            .into_iter()
            .map(|v| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(v).unwrap())
            })
            .collect();
        drop(tx);
        let a = rx.recv().unwrap();
        let b = rx.recv().unwrap();
        assert_eq!(a + b, 3);
        assert_ne!(a, b);
        senders.into_iter().for_each(|s| s.join().unwrap());
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// A receiver that gives up (`try_recv`) races a sender: the value is either taken
/// or stays with the sender, which then hands it to the blocking receive.
#[test]
fn rendezvous_try_recv_races_send() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(5));
        let first = rx.try_recv();
        let value = match first {
            Ok(v) => v,
            Err(TryRecvError::Empty) => rx.recv().unwrap(),
            Err(TryRecvError::Disconnected) => panic!("sender alive until it sent"),
        };
        assert_eq!(value, 5);
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// A buffered channel of one slot, crossed by two values: the first fills it, the
/// second blocks the sender until the receiver drains it, and the receiver blocks on
/// the empty ring until the sender leaves; order and count hold. (Three values make
/// the exhaustive run take minutes rather than seconds.)
///
/// Bounded by `LOOM_MAX_PREEMPTIONS`: both sides wait (for room, for a value) through
/// the notify lists' full check-register-sleep window, and every interleaving of two
/// such waits takes loom far longer than CI allows.
#[test]
fn buffered_crosses_full_and_empty() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let sender = thread::spawn(move || {
            for v in 0..2 {
                tx.send(v).unwrap();
            }
        });
        for v in 0..2 {
            assert_eq!(rx.recv(), Ok(v));
        }
        assert_eq!(rx.recv(), Err(RecvError));
        sender.join().unwrap();
    });
}

/// The last receiver leaves while a sender is blocked: the send fails and returns
/// its value.
#[test]
fn disconnect_races_blocked_send() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            if cap > 0 {
                tx.send(0).unwrap();
            }
            let sender = thread::spawn(move || tx.send(9));
            drop(rx);
            assert_eq!(sender.join().unwrap(), Err(SendError(9)));
        });
    }
}

/// A receive frees room and then the last receiver leaves, while a sender is about to
/// wait for room: the send either got in before the disconnection or fails with its
/// value, and never sleeps on a channel that will never have room or a receiver again
/// (the mirror of `disconnect_after_send_keeps_the_value` on the sending side).
///
/// Bounded by `LOOM_MAX_PREEMPTIONS`, like `buffered_crosses_full_and_empty`.
#[test]
fn room_then_disconnect_races_a_waiting_send() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        tx.send(0).unwrap();
        let sender = thread::spawn(move || tx.send(9));
        assert_eq!(rx.recv(), Ok(0));
        drop(rx);
        let sent = sender.join().unwrap();
        assert!(matches!(sent, Ok(()) | Err(SendError(9))), "{sent:?}");
    });
}

/// The last sender leaves while a receiver is blocked: the receive fails.
#[test]
fn disconnect_races_blocked_recv() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let receiver = thread::spawn(move || rx.recv());
            drop(tx);
            assert_eq!(receiver.join().unwrap(), Err(RecvError));
        });
    }
}

/// A send completes and then the sender leaves, while the receiver blocks: the
/// receiver gets the value, never a disconnection first.
///
/// Bounded by `LOOM_MAX_PREEMPTIONS`, like `buffered_crosses_full_and_empty`: the
/// receiver waits twice, through the notify list's whole window each time.
#[test]
fn disconnect_after_send_keeps_the_value() {
    for cap in [0, 1] {
        bounded(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let sender = thread::spawn(move || {
                tx.send(3).unwrap();
                drop(tx);
            });
            assert_eq!(rx.recv(), Ok(3));
            assert_eq!(rx.recv(), Err(RecvError));
            sender.join().unwrap();
        });
    }
}

/// Two senders and two receivers on one rendezvous channel (bounded preemptions):
/// every value is received exactly once.
#[test]
fn rendezvous_two_by_two() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<usize>(0);
        let sum = Arc::new(AtomicUsize::new(0));
        let mut threads = Vec::new();
        for v in [1, 2] {
            let tx = tx.clone();
            threads.push(thread::spawn(move || tx.send(v).unwrap()));
        }
        for _ in 0..2 {
            let (rx, sum) = (rx.clone(), sum.clone());
            threads.push(thread::spawn(move || {
                sum.fetch_add(rx.recv().unwrap(), Ordering::SeqCst);
            }));
        }
        drop((tx, rx));
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(sum.load(Ordering::SeqCst), 3);
    });
}

/// The thread waker: clones, wakes by value and by reference, and drops, racing a
/// waking thread; loom fails the model on a leaked or doubly freed count, and the
/// unpark must reach the parked thread.
#[test]
fn thread_waker_counts() {
    exhaustive(|| {
        let waker = csp_channel::loom_hooks::thread_waker();
        let woken = Arc::new(AtomicBool::new(false));
        let (clone, flag) = (waker.clone(), woken.clone());
        let waking = thread::spawn(move || {
            flag.store(true, Ordering::SeqCst);
            let again = clone.clone();
            clone.wake_by_ref();
            clone.wake();
            drop(again);
        });
        while !woken.load(Ordering::SeqCst) {
            loom::thread::park();
        }
        waking.join().unwrap();
        drop(waker);
    });
}

/// A send and a receive that each give up at once (a deadline already past) after
/// registering, racing each other: the value is delivered exactly once or stays with
/// the sender, through every interleaving of registration, completion and abort.
#[test]
fn deadline_abort_races_completion() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let past = std::time::Instant::now();
            let sender = thread::spawn(move || {
                let sent = tx.send_deadline(4, past);
                (sent, tx)
            });
            let first = rx.recv_deadline(past);
            let (sent, tx) = sender.join().unwrap();
            drop(tx);
            // Whatever the first receive missed may still be buffered.
            let received: Vec<u32> = first.into_iter().chain(rx.try_iter()).collect();
            match sent {
                Ok(()) => assert_eq!(received, [4]),
                Err(err) => {
                    assert!(err.is_timeout());
                    assert_eq!(err.into_inner(), 4);
                    assert!(received.is_empty());
                }
            }
        });
    }
}

/// Room by count is room: a `try_send` that finds the ring's one slot claimed by a
/// plain receive, still reading it, waits for that read instead of reporting `Full`
/// (only a select's claim, which may be held indefinitely, is reported at once); the
/// same for a `try_recv` and a plain send still writing. loom never keeps a thread off
/// the CPU for long, so the old bounded wait passed here too; the stress test
/// `try_operations_agree_with_len` is what caught it. This checks the waits that
/// replaced it, in every interleaving.
#[test]
fn try_operations_wait_for_a_plain_operation_in_progress() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        tx.send(1).unwrap();
        let receiver = {
            let rx = rx.clone();
            thread::spawn(move || assert_eq!(rx.recv(), Ok(1)))
        };
        // The receiver has claimed the value once `len` says the ring is empty.
        if tx.is_empty() {
            assert_eq!(tx.try_send(2), Ok(()));
        } else {
            receiver.join().unwrap();
            assert_eq!(tx.try_send(2), Ok(()));
            return;
        }
        receiver.join().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
    });
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let sender = {
            let tx = tx.clone();
            thread::spawn(move || tx.send(3).unwrap())
        };
        // The sender has claimed the slot once `len` says a value is there.
        if !rx.is_empty() {
            assert_eq!(rx.try_recv(), Ok(3));
        }
        sender.join().unwrap();
    });
}

/// csp's queue lock (`csp/src/lock.rs`; the channels use loom's mutex under loom):
/// holders exclude each other, and each sees the writes of the one before. The count
/// is read and written in two relaxed steps, so a second holder inside, or an unlock
/// that did not publish the holder's write, loses an increment. Two threads only: with
/// a third, two lockers can yield to each other forever while the holder waits its
/// turn, a path loom explores without end (the lock's stress test in `csp` runs six).
#[test]
fn queue_lock_excludes_and_publishes() {
    use csp_channel::loom_hooks::QueueLock;
    exhaustive(|| {
        let lock = Arc::new(QueueLock::new(()));
        let count = Arc::new(AtomicUsize::new(0));
        let increment = {
            let (lock, count) = (lock.clone(), count.clone());
            move || {
                lock.with(|()| {
                    let seen = count.load(Ordering::Relaxed);
                    count.store(seen + 1, Ordering::Relaxed);
                })
            }
        };
        let others: Vec<_> = (0..1).map(|_| thread::spawn(increment.clone())).collect();
        increment();
        others.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(lock.with(|()| count.load(Ordering::Relaxed)), 2);
    });
}
