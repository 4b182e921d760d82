//! Async operations on the same channels as threads: handoff both ways, and futures
//! polled once then dropped while a counterpart races them. A value is delivered
//! exactly once or stays with (and is dropped by) its owner.
#![cfg(csp_loom)]

use loom_tests::{block_on, bounded, exhaustive, watch_then};

use csp_channel::RecvError;
use futures::task::noop_waker_ref;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// A value that counts its drops.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn task_sends_to_thread() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let receiver = thread::spawn(move || rx.recv());
            block_on(tx.send_async(6)).unwrap();
            assert_eq!(receiver.join().unwrap(), Ok(6));
        });
    }
}

#[test]
fn thread_sends_to_task() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let sender = thread::spawn(move || tx.send(6));
            assert_eq!(block_on(rx.recv_async()), Ok(6));
            sender.join().unwrap().unwrap();
        });
    }
}

/// A send future polled once, then dropped, while a thread receives: either the
/// receiver got the value or the dropped future dropped it; never both, never lost.
#[test]
fn dropped_send_future_races_a_receiver() {
    for cap in [0, 1] {
        exhaustive(move || {
            let drops = Arc::new(AtomicUsize::new(0));
            let (tx, rx) = csp_channel::bounded::<Tracked>(cap);
            let receiver = thread::spawn(move || rx.recv().map(drop).is_ok());
            {
                let send = pin!(tx.send_async(Tracked(drops.clone())));
                let _ = poll_once(send);
            }
            drop(tx);
            receiver.join().unwrap();
            assert_eq!(
                drops.load(Ordering::SeqCst),
                1,
                "dropped once, wherever it went"
            );
        });
    }
}

/// A receive future polled once, then dropped, while a thread sends: the value is
/// not lost in the dropped future; the next receive gets it.
#[test]
fn dropped_recv_future_races_a_sender() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let sender = thread::spawn(move || tx.send(9));
            let first = {
                let recv = pin!(rx.recv_async());
                poll_once(recv)
            };
            match first {
                Poll::Ready(got) => assert_eq!(got, Ok(9)),
                Poll::Pending => assert_eq!(rx.recv(), Ok(9)),
            }
            sender.join().unwrap().unwrap();
            assert_eq!(rx.recv(), Err(RecvError));
        });
    }
}

/// Two futures on one thread, each polled in turn: a send and a receive meet even
/// though neither can be the other's partner (the nudge).
#[test]
fn tasks_meet_on_one_thread() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let other = thread::spawn(move || block_on(tx.send_async(2)));
        assert_eq!(block_on(rx.recv_async()), Ok(2));
        other.join().unwrap().unwrap();
    });
}

/// An async select over two rendezvous channels, polled once (so it is registered in
/// both), races a sender on one and is then dropped: the value is either taken by
/// the select's poll or left for the next receive, never lost.
#[test]
fn dropped_async_select_races_a_sender() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(5));
        let first = {
            let select = pin!(async {
                csp_channel::select_async! {
                    recv(idle) -> _ => panic!("nothing is sent there"),
                    recv(rx) -> msg => msg,
                }
            });
            poll_once(select)
        };
        match first {
            Poll::Ready(got) => assert_eq!(got, Ok(5)),
            Poll::Pending => assert_eq!(rx.recv(), Ok(5)),
        }
        sender.join().unwrap().unwrap();
    });
}

/// An async select with a send arm and a receive arm, a thread counterpart on each:
/// exactly one arm commits; the other counterpart sees the select's handles dropped.
#[test]
fn async_select_send_and_recv_arms_race_two_counterparts() {
    send_and_recv_arms_race_two_counterparts(false);
}

/// As above, with the send arm registered first (`select_biased_async!`): a receiver
/// may take the send arm's value while the select is still registering, and the
/// counterpart on the receive arm arrive just before that arm registers. The select
/// then backs out of a registration that found its receive arm ready, and must see
/// that its send already committed: if it looked again instead, it would also take
/// the receive, and two arms would commit. (`select_async!` registers the receive arm
/// first under loom, where that bug does no harm.)
#[test]
fn an_async_select_backing_out_keeps_a_send_taken_meanwhile() {
    send_and_recv_arms_race_two_counterparts(true);
}

fn send_and_recv_arms_race_two_counterparts(biased: bool) {
    bounded(move || {
        let (a_tx, a_rx) = csp_channel::bounded::<u32>(0);
        let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
        let receiver = thread::spawn(move || a_rx.recv());
        let sender = thread::spawn(move || b_tx.send(2));
        let chose_send = if biased {
            block_on(async {
                csp_channel::select_biased_async! {
                    send(a_tx, 1) -> res => { res.unwrap(); true }
                    recv(b_rx) -> msg => { assert_eq!(msg, Ok(2)); false }
                }
            })
        } else {
            block_on(async {
                csp_channel::select_async! {
                    send(a_tx, 1) -> res => { res.unwrap(); true }
                    recv(b_rx) -> msg => { assert_eq!(msg, Ok(2)); false }
                }
            })
        };
        drop((a_tx, b_rx));
        let (received, sent) = (receiver.join().unwrap(), sender.join().unwrap());
        if chose_send {
            assert_eq!((received, sent.is_err()), (Ok(1), true));
        } else {
            assert_eq!((received, sent), (Err(RecvError), Ok(())));
        }
    });
}

/// An async select whose send arm waits (as a direct entry holding its value), polled
/// once, races a receiving thread and is then dropped, and the sender with it: the
/// value is either taken by the receiver (sent, unreported) or dropped with the
/// select, exactly once; the receiver gets it or sees the disconnection.
#[test]
fn dropped_async_select_with_a_send_arm_races_a_receiver() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<Tracked>(0);
        let (idle_tx, _idle_rx) = csp_channel::bounded::<Tracked>(0);
        let drops = Arc::new(AtomicUsize::new(0));
        let receiver = thread::spawn(move || rx.recv().is_ok());
        {
            let (value, other) = (Tracked(drops.clone()), Tracked(drops.clone()));
            let select = pin!(async {
                csp_channel::select_async! {
                    send(idle_tx, other) -> _ => panic!("nobody receives there"),
                    send(tx, value) -> res => res.is_ok(),
                }
            });
            if let Poll::Ready(sent) = poll_once(select) {
                assert!(sent);
            }
        }
        drop(tx);
        let _received = receiver.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 2, "each value dropped once");
    });
}

/// A thread select that does not wait (`default`) races an async receive that is
/// polled once and then dropped: if the select chose the receive, the drop hands the
/// exchange back and the select, keeping its own deadline (now), gives the value back
/// instead of waiting for another receiver (with no deadline, it deadlocked here).
#[test]
fn a_select_that_chose_a_dropped_receive_keeps_its_deadline() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let selector = thread::spawn(move || {
            csp_channel::select! {
                send(tx, 7) -> sent => sent.map(|()| true).map_err(|e| e.into_inner()),
                default => Ok(false),
            }
        });
        let received = {
            let recv = pin!(rx.recv_async());
            // Err: the select took `default` and dropped the sender first.
            matches!(poll_once(recv), Poll::Ready(Ok(7)))
        };
        let sent = selector.join().unwrap();
        // Sent exactly when received; otherwise the value came back, or was never made.
        assert!(
            matches!(
                (sent, received),
                (Ok(true), true) | (Ok(false) | Err(7), false)
            ),
            "{sent:?}, received: {received}"
        );
    });
}

/// A thread's send with a deadline meets a receive future whose task has stalled (it
/// was polled once and is not polled again until the thread is back): the thread
/// must not wait on it as its partner, but time out and keep its value. On the old
/// protocol the thread waited for the future without deadline: a deadlock here.
#[test]
fn a_thread_send_does_not_wait_on_a_stalled_receive_future() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let mut recv = pin!(rx.recv_async());
        assert!(poll_once(recv.as_mut()).is_pending());
        let past = std::time::Instant::now();
        let sender = thread::spawn(move || {
            let sent = tx.send_deadline(5, past);
            let tried = tx.try_send(6);
            (sent, tried, tx)
        });
        let (sent, tried, tx) = sender.join().unwrap();
        let sent = sent.unwrap_err();
        assert!(sent.is_timeout());
        assert_eq!(sent.into_inner(), 5);
        assert_eq!(tried, Err(csp_channel::TrySendError::Full(6)));
        assert!(poll_once(recv.as_mut()).is_pending());
        drop(tx);
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Err(RecvError)));
    });
}

/// As above, for a thread select whose send arm is chosen for a stalled receive
/// future: the arm waits only within the select's deadline and gives the value back.
/// On the old protocol the select waited for the future without deadline: a deadlock.
#[test]
fn a_thread_select_does_not_wait_on_a_stalled_receive_future() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let mut recv = pin!(rx.recv_async());
        assert!(poll_once(recv.as_mut()).is_pending());
        let past = std::time::Instant::now();
        let selecting = thread::spawn(move || {
            let mut sel = csp_channel::Select::new();
            sel.send(&tx);
            let sent = match sel.select_deadline(past) {
                Ok(oper) => oper.send(&tx, 5).map_err(|e| e.into_inner()),
                Err(_) => Err(0),
            };
            (sent, tx)
        });
        let (sent, tx) = selecting.join().unwrap();
        // The future was queued before the select began, so the send arm is chosen.
        assert_eq!(sent, Err(5));
        assert!(poll_once(recv.as_mut()).is_pending());
        drop(tx);
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Err(RecvError)));
    });
}

/// A thread waiting in `Select::ready` learns of an async select that registers on
/// the other side, even between the select's look for a counterpart and its
/// registration; the watcher then does its operation, which completes the select.
#[test]
fn a_watcher_learns_of_a_registering_async_select() {
    for watch_send in [true, false] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(0);
            let watcher = watch_then(&tx, &rx, watch_send, move |tx, rx| {
                if watch_send {
                    tx.send(1).unwrap();
                } else {
                    assert_eq!(rx.recv(), Ok(1));
                }
            });
            if watch_send {
                block_on(async {
                    csp_channel::select_async! { recv(rx) -> msg => assert_eq!(msg, Ok(1)) }
                });
            } else {
                block_on(async {
                    csp_channel::select_async! { send(tx, 1) -> res => res.unwrap() }
                });
            }
            watcher.join().unwrap();
        });
    }
}
