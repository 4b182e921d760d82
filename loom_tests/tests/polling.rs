//! Owners that learn of completion by polling, not by being woken.
//!
//! Every other model's waiting owner sleeps and is woken: a thread by unpark, a task
//! by its waker, whose own synchronization (loom's unpark happens before the park
//! returns) orders everything the completer did before the wake-up. An executor may
//! poll a future for any reason, though, and a spurious poll that finds the party
//! `DONE` must see the value the completer wrote: the store that publishes `DONE`
//! must be a Release store that the poll's Acquire load reads. Here the futures are
//! polled in a loop with a waker that does nothing, so nothing but that store orders
//! the slot's write before the owner's read; loom reports the data race if it is
//! missing.
#![cfg(csp_loom)]

use loom_tests::bounded;

use futures::task::noop_waker_ref;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Polls `future` until it is ready, with a waker that does nothing: the owner learns
/// of completion only by looking again.
fn poll_until_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(noop_waker_ref());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::yield_now();
    }
}

/// How the thread counterpart of a polled future does its operation: plainly, or as
/// a select's arm (which claims the future's party, then finishes it).
const COUNTERPARTS: [bool; 2] = [false, true];

#[test]
fn a_polled_receive_future_reads_the_value_it_was_handed() {
    for cap in [0, 1] {
        for by_select in COUNTERPARTS {
            bounded(move || {
                let (tx, rx) = csp_channel::bounded::<String>(cap);
                let sender = thread::spawn(move || {
                    if by_select {
                        csp_channel::select! { send(tx, "seven".to_string()) -> r => r.unwrap() }
                    } else {
                        tx.send("seven".to_string()).unwrap();
                    }
                });
                assert_eq!(poll_until_ready(rx.recv_async()).as_deref(), Ok("seven"));
                sender.join().unwrap();
            });
        }
    }
}

#[test]
fn a_polled_send_future_learns_its_value_was_taken() {
    for cap in [0, 1] {
        for by_select in COUNTERPARTS {
            bounded(move || {
                let (tx, rx) = csp_channel::bounded::<String>(cap);
                let receiver = thread::spawn(move || {
                    if by_select {
                        csp_channel::select! { recv(rx) -> v => v.unwrap() }
                    } else {
                        rx.recv().unwrap()
                    }
                });
                poll_until_ready(tx.send_async("eight".to_string())).unwrap();
                assert_eq!(receiver.join().unwrap(), "eight");
            });
        }
    }
}

/// An async select over two channels, polled in a loop: the value its receive arm was
/// handed, and the arm it was handed on, are both what the completer published.
#[test]
fn a_polled_async_select_reads_the_value_and_arm_it_was_handed() {
    for by_select in COUNTERPARTS {
        bounded(move || {
            let (tx, rx) = csp_channel::bounded::<String>(0);
            let (_idle_tx, idle) = csp_channel::bounded::<String>(0);
            let sender = thread::spawn(move || {
                if by_select {
                    csp_channel::select! { send(tx, "nine".to_string()) -> r => r.unwrap() }
                } else {
                    tx.send("nine".to_string()).unwrap();
                }
            });
            let got = poll_until_ready(async {
                csp_channel::select_async! {
                    recv(idle) -> _ => panic!("nothing is sent there"),
                    recv(rx) -> msg => msg,
                }
            });
            assert_eq!(got.as_deref(), Ok("nine"));
            sender.join().unwrap();
        });
    }
}
