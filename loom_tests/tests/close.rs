//! `close()` racing the operations it ends: a rendezvous, a select, and a receive
//! future that is cancelled. A value is delivered exactly when its sender is told so;
//! otherwise it comes back to the sender.
#![cfg(csp_loom)]

use loom_tests::{bounded, exhaustive};

use csp_channel::{RecvError, SendError};
use futures::task::noop_waker_ref;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// A sender and a receiver meet on a rendezvous while a third party closes it: both
/// succeed with the value, or both fail and the sender has its value back.
#[test]
fn close_races_a_rendezvous() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let closer = rx.clone();
        let sender = thread::spawn(move || tx.send(1));
        let receiver = thread::spawn(move || rx.recv());
        closer.close();
        let (sent, received) = (sender.join().unwrap(), receiver.join().unwrap());
        match sent {
            Ok(()) => assert_eq!(received, Ok(1)),
            Err(SendError(value)) => {
                assert_eq!(value, 1);
                assert_eq!(received, Err(RecvError));
            }
        }
    });
}

/// A select waits on a channel that a sender sends on and a third party closes: the
/// select gets the value exactly when the send succeeded, else the disconnection.
#[test]
fn close_races_a_select() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
        let closer = tx.clone();
        let sender = thread::spawn(move || tx.send(7));
        let selector = thread::spawn(move || {
            csp_channel::select! {
                recv(rx) -> msg => msg,
                recv(idle) -> _ => unreachable!("nothing is sent there"),
            }
        });
        closer.close();
        let (sent, selected) = (sender.join().unwrap(), selector.join().unwrap());
        match sent {
            Ok(()) => assert_eq!(selected, Ok(7)),
            Err(SendError(value)) => {
                assert_eq!(value, 7);
                assert_eq!(selected, Err(RecvError));
            }
        }
    });
}

/// A receive future polled once, then the channel closed from the receiving side and
/// the future dropped, while a sender sends: the send succeeds exactly when the
/// future returned the value; otherwise the value comes back to the sender.
#[test]
fn close_races_a_cancelled_receive_future() {
    for cap in [0, 1] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let sender = thread::spawn(move || tx.send(3));
            let got = {
                let mut recv = pin!(rx.recv_async());
                let polled = recv
                    .as_mut()
                    .poll(&mut Context::from_waker(noop_waker_ref()));
                rx.close();
                match polled {
                    Poll::Ready(got) => Some(got),
                    Poll::Pending => None,
                }
            };
            let sent = sender.join().unwrap();
            // A buffered value sent before the close stays for the receiver.
            let later = rx.try_recv().ok();
            match sent {
                Ok(()) => assert_eq!(got.and_then(Result::ok).or(later), Some(3)),
                Err(SendError(value)) => {
                    assert_eq!(value, 3);
                    assert!(matches!(got, None | Some(Err(RecvError))));
                    assert_eq!(later, None);
                }
            }
        });
    }
}
