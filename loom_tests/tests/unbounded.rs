//! The unbounded flavor (`csp_channel::unbounded`): a waiting receiver is never left asleep
//! beside a value, a select's claim is counted and given back exactly, a cancelled
//! async receive loses nothing, and disconnection ends every wait.
#![cfg(csp_loom)]

use loom_tests::exhaustive;

use csp_channel::{RecvError, SendError};
use futures::task::noop_waker_ref;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// A receiver that blocks before or after the send gets the value: the notify
/// handshake loses no wake-up. The sender stays connected, so only the value can wake
/// the receiver.
#[test]
fn a_waiting_receiver_gets_the_value() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
            tx
        });
        assert_eq!(rx.recv(), Ok(1));
        drop(sender.join().unwrap());
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// The last sender leaves while a receiver waits: the receive fails, and a send after
/// the last receiver left gives its value back.
#[test]
fn disconnection_ends_a_wait_both_ways() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        let tx2 = tx.clone();
        let receiver = thread::spawn(move || rx.recv());
        drop(tx);
        drop(tx2);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
        let (tx, rx) = csp_channel::unbounded::<u32>();
        drop(rx);
        assert_eq!(tx.send(5), Err(SendError(5)));
    });
}

/// A select claims the one value and gives the claim back (its operation dropped
/// unfinished) while another receiver waits: that receiver gets the value.
#[test]
fn a_given_back_claim_reaches_a_waiting_receiver() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        tx.send(7).unwrap();
        let other = rx.clone();
        let receiver = thread::spawn(move || other.recv());
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        // The receiver may have taken it first; then there is nothing to claim.
        if let Ok(claimed) = sel.try_select() {
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(claimed)));
            assert!(dropped.is_err(), "dropping an uncompleted operation panics");
        }
        assert_eq!(receiver.join().unwrap(), Ok(7));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Disconnected));
    });
}

/// A select waiting on an unbounded receive arm and a rendezvous arm wakes for the
/// value sent to the unbounded channel.
#[test]
fn a_select_wakes_for_an_unbounded_value() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        let (_idle_tx, idle_rx) = csp_channel::bounded::<u32>(0);
        // The sender is kept until joined: only the value can wake the select.
        let sender = thread::spawn(move || {
            tx.send(3).unwrap();
            tx
        });
        let got = csp_channel::select! {
            recv(rx) -> msg => msg.unwrap(),
            recv(idle_rx) -> _ => panic!("nothing is sent there"),
        };
        assert_eq!(got, 3);
        drop(sender.join().unwrap());
    });
}

/// An async receive polled once (so that it waits), then dropped while a thread
/// sends: the value is not lost with the future; it stays for the next receive.
#[test]
fn a_cancelled_async_receive_loses_nothing() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        let sender = thread::spawn(move || tx.send(8).unwrap());
        let received = {
            let mut recv = pin!(rx.recv_async());
            match recv
                .as_mut()
                .poll(&mut Context::from_waker(noop_waker_ref()))
            {
                Poll::Ready(got) => Some(got.unwrap()),
                Poll::Pending => None,
            }
        };
        sender.join().unwrap();
        let later = rx.try_recv().ok();
        assert_eq!(received.into_iter().chain(later).collect::<Vec<_>>(), [8]);
    });
}

/// A select claims one of two values; a receiver takes one, then blocks for the
/// other, registering before or after the give-back: it gets the claimed value once
/// given back, and in order (a claim is a count, so the receiver takes the front).
#[test]
fn a_given_back_claim_wakes_a_receiver_that_took_the_other_value() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::unbounded::<u32>();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        let rx2 = rx.clone();
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let claimed = sel.select();
        let receiver = thread::spawn(move || (rx2.recv(), rx2.recv()));
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(claimed)));
        assert!(dropped.is_err(), "dropping an uncompleted operation panics");
        drop(sel);
        assert_eq!(receiver.join().unwrap(), (Ok(1), Ok(2)));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Disconnected));
    });
}
