//! A select that does not wait is linearizable: it reports "nothing ready" only if, at
//! one instant during the call, no arm was ready. Every model keeps some arm ready at
//! every instant (one channel holds a value until a second thread has filled the other
//! and only then steals it), so every non-blocking form must commit an arm: `default`,
//! `try_select`, a zero timeout, and `try_ready`.
//!
//! Under loom, select's shuffle is fixed: with two arms it tries the second first,
//! which is the order that needs the protection (the filled channel looked at before
//! it is filled, the stolen one after it is stolen).
#![cfg(csp_loom)]

use loom_tests::exhaustive;

use csp_channel::{Receiver, Select};
use futures::task::noop_waker_ref;
use loom::thread;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The non-blocking forms of select.
#[derive(Clone, Copy, Debug)]
enum Form {
    Default,
    TrySelect,
    ZeroTimeout,
    TryReady,
    /// `select_async!` with `default`, polled once.
    AsyncDefault,
}

const FORMS: [Form; 5] = [
    Form::Default,
    Form::TrySelect,
    Form::ZeroTimeout,
    Form::TryReady,
    Form::AsyncDefault,
];

/// Runs one non-blocking select of `form` over receives on `a` and `b`; returns the
/// value received (for `TryReady`, received by a `try_recv` on the reported arm), or
/// `None` if the select said nothing was ready.
fn select_now(form: Form, a: &Receiver<u32>, b: &Receiver<u32>) -> Option<u32> {
    match form {
        Form::Default => csp_channel::select! {
            recv(a) -> msg => Some(msg.unwrap()),
            recv(b) -> msg => Some(msg.unwrap()),
            default => None,
        },
        Form::TrySelect | Form::ZeroTimeout => {
            let mut sel = Select::new();
            let ia = sel.recv(a);
            sel.recv(b);
            let chosen = match form {
                Form::TrySelect => sel.try_select().ok(),
                _ => sel.select_timeout(Duration::ZERO).ok(),
            }?;
            let from = if chosen.index() == ia { a } else { b };
            Some(chosen.recv(from).unwrap())
        }
        Form::AsyncDefault => {
            let select = pin!(async {
                csp_channel::select_async! {
                    recv(a) -> msg => Some(msg.unwrap()),
                    recv(b) -> msg => Some(msg.unwrap()),
                    default => None,
                }
            });
            match select.poll(&mut Context::from_waker(noop_waker_ref())) {
                Poll::Ready(got) => got,
                Poll::Pending => panic!("a select with `default` does not wait"),
            }
        }
        Form::TryReady => {
            let mut sel = Select::new();
            let ia = sel.recv(a);
            sel.recv(b);
            let ready = sel.try_ready().ok()?;
            // Only this thread receives from `b`, and a value in `a` stays until it is
            // stolen: the reported arm may be stolen meanwhile, never `b`.
            let from = if ready == ia { a } else { b };
            let got = from.try_recv().ok().or_else(|| b.try_recv().ok());
            Some(got.unwrap_or_else(|| {
                panic!("arm {ready} was reported ready, yet neither has a value")
            }))
        }
    }
}

/// Two buffered channels (capacity 1, or unbounded): `a` holds a value until the
/// thief has filled `b` and steals it back. Some arm is ready throughout, so the select must commit one.
#[test]
fn a_non_blocking_select_over_buffered_channels_is_linearizable() {
    for (form, unbounded) in FORMS.into_iter().flat_map(|f| [(f, false), (f, true)]) {
        exhaustive(move || {
            let make = || {
                if unbounded {
                    csp_channel::unbounded::<u32>()
                } else {
                    csp_channel::bounded::<u32>(1)
                }
            };
            let (a_tx, a_rx) = make();
            let (b_tx, b_rx) = make();
            a_tx.send(1).unwrap();
            let a_thief = a_rx.clone();
            let thief = thread::spawn(move || {
                b_tx.send(2).unwrap();
                a_thief.try_recv().ok()
            });
            let got = select_now(form, &a_rx, &b_rx);
            assert!(
                got.is_some(),
                "{form:?} reported nothing ready, but an arm always was"
            );
            let stolen = thief.join().unwrap();
            // Every value is received once: by the select, the thief, or left behind.
            let mut seen: Vec<u32> = got.into_iter().chain(stolen).collect();
            seen.extend(a_rx.try_recv().ok());
            seen.extend(b_rx.try_recv().ok());
            seen.sort_unstable();
            assert_eq!(seen, [1, 2]);
        });
    }
}

/// The thief of the rendezvous models: puts a sender on `b` (an async send of 2,
/// polled once, so that it waits in `b`'s queue: `b` is ready from then on), then
/// steals from `a`, then waits until its value is taken. Returns what it stole.
fn wait_on_b_then_steal_from_a(
    b_tx: csp_channel::Sender<u32>,
    a_thief: Receiver<u32>,
) -> thread::JoinHandle<Option<u32>> {
    thread::spawn(move || {
        let mut send = pin!(b_tx.send_async(2));
        let waker = csp_channel::loom_hooks::thread_waker();
        let mut cx = Context::from_waker(&waker);
        let mut sent = send.as_mut().poll(&mut cx);
        let stolen = a_thief.try_recv().ok();
        while sent.is_pending() {
            thread::park();
            sent = send.as_mut().poll(&mut cx);
        }
        assert_eq!(sent, Poll::Ready(Ok(())));
        stolen
    })
}

/// A buffered channel `a` holding a value, and a rendezvous `b` whose sender arrives
/// during the select: an async send, polled once so that it waits in `b`'s queue, after
/// which the same thread steals the value from `a`. Some arm is ready throughout, so
/// the select must commit one.
#[test]
fn a_non_blocking_select_over_a_rendezvous_is_linearizable() {
    for form in FORMS {
        exhaustive(move || {
            let (a_tx, a_rx) = csp_channel::bounded::<u32>(1);
            let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
            a_tx.send(1).unwrap();
            let a_thief = a_rx.clone();
            let thief = wait_on_b_then_steal_from_a(b_tx, a_thief);
            let got = select_now(form, &a_rx, &b_rx);
            assert!(
                got.is_some(),
                "{form:?} reported nothing ready, but an arm always was"
            );
            if got != Some(2) {
                assert_eq!(b_rx.recv(), Ok(2));
            }
            let stolen = thief.join().unwrap();
            let mut ones: Vec<u32> = got.into_iter().chain(stolen).collect();
            ones.extend(a_rx.try_recv().ok());
            ones.retain(|&v| v == 1);
            assert_eq!(ones, [1], "the value in `a` is received exactly once");
        });
    }
}

/// Two rendezvous channels: `a` has a waiting sender (this thread's own async send,
/// polled once) until the thief, having put a sender on `b` the same way, takes it.
/// Some arm is ready throughout, so the select must commit one; only `b`'s queue
/// tells the select that a sender arrived there.
#[test]
fn a_non_blocking_select_over_two_rendezvous_is_linearizable() {
    exhaustive(|| {
        let (a_tx, a_rx) = csp_channel::bounded::<u32>(0);
        let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
        let waker = csp_channel::loom_hooks::thread_waker();
        let mut cx = Context::from_waker(&waker);
        let mut offer = pin!(a_tx.send_async(1));
        assert!(offer.as_mut().poll(&mut cx).is_pending());
        let a_thief = a_rx.clone();
        let thief = wait_on_b_then_steal_from_a(b_tx, a_thief);
        let got = select_now(Form::Default, &a_rx, &b_rx);
        assert!(
            got.is_some(),
            "default ran, but an arm was ready throughout"
        );
        if got != Some(2) {
            assert_eq!(b_rx.recv(), Ok(2));
        }
        let stolen = thief.join().unwrap();
        // The offer on `a` was taken by the select or the thief, never both.
        let taken = offer.as_mut().poll(&mut cx) == Poll::Ready(Ok(()));
        assert_eq!(taken, got == Some(1) || stolen == Some(1));
        assert!(got != Some(1) || stolen != Some(1));
    });
}

/// The thief of the give-back models: claims `held`'s counterpart or value with a
/// `try_select` (unless the select took it first) and gives the claim back (dropping
/// the operation gives it back, then panics to report the misuse), then steals
/// `full`'s value. Returns what it stole.
fn claim_give_back_then_steal(
    held: &Receiver<u32>,
    full: &Receiver<u32>,
) -> thread::JoinHandle<Option<u32>> {
    let (held, full) = (held.clone(), full.clone());
    thread::spawn(move || {
        let mut sel = Select::new();
        sel.recv(&held);
        if let Ok(claim) = sel.try_select() {
            let dropped = catch_unwind(AssertUnwindSafe(|| drop(claim)));
            assert!(dropped.is_err(), "dropping an unfinished operation panics");
        }
        full.try_recv().ok()
    })
}

/// A claim given back makes its arm ready again: a rendezvous `held` whose waiting
/// sender (this thread's async send, polled once) a thief claims with `try_select`
/// and gives back (dropping the `SelectedOperation`), then steals the value buffered in
/// `full`. Some arm is ready throughout (`full` until the steal, `held` from the give-
/// back on), so the select, which tries `held` first, must commit one: the give-back
/// must count as an arrival in `held`'s witness, or a select that looked at `held`
/// while it was claimed reports nothing ready.
#[test]
fn a_non_blocking_select_sees_a_claim_given_back() {
    // `try_ready` reports the arm but receives later, by `try_recv`, which may find
    // the thief's claim in the way: its witness is the same, checked by the others.
    // `full` unbounded and buffered. (With the ring alone, loom never ran the thief's
    // give-back and steal between the select's two tries, and a give-back that did
    // not count as an arrival passed; with the unbounded queue's lock it does, and the
    // model fails.)
    let forms = FORMS.into_iter().filter(|f| !matches!(f, Form::TryReady));
    for (form, unbounded) in forms.flat_map(|f| [(f, true), (f, false)]) {
        exhaustive(move || {
            let (held_tx, held_rx) = csp_channel::bounded::<u32>(0);
            let (full_tx, full_rx) = if unbounded {
                csp_channel::unbounded::<u32>()
            } else {
                csp_channel::bounded::<u32>(1)
            };
            full_tx.send(2).unwrap();
            // A waker that does nothing: the give-back wakes the offer's task, and
            // loom takes an unpark that reaches this thread inside `join` for a
            // broken join.
            let mut cx = Context::from_waker(noop_waker_ref());
            let mut offer = pin!(held_tx.send_async(1));
            assert!(offer.as_mut().poll(&mut cx).is_pending());
            let thief = claim_give_back_then_steal(&held_rx, &full_rx);
            // Under loom the select tries its second arm first: `held`.
            let got = select_now(form, &full_rx, &held_rx);
            assert!(
                got.is_some(),
                "{form:?} reported nothing ready, but an arm always was"
            );
            let stolen = thief.join().unwrap();
            // The offer is taken once: by the select, or now.
            if got != Some(1) {
                assert_eq!(held_rx.try_recv(), Ok(1));
            }
            assert_eq!(offer.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
            let mut twos: Vec<u32> = got.into_iter().chain(stolen).collect();
            twos.extend(full_rx.try_recv().ok());
            twos.retain(|&v| v == 2);
            assert_eq!(twos, [2], "the value in `full` is received exactly once");
        });
    }
}

/// As above, with `held` an unbounded channel holding a value: the thief's select
/// claims the value (it stays queued, promised) and gives the claim back. The give-back
/// must count as an arrival in the unbounded witness too.
#[test]
fn a_non_blocking_select_sees_an_unbounded_claim_given_back() {
    let forms = FORMS.into_iter().filter(|f| !matches!(f, Form::TryReady));
    for form in forms {
        exhaustive(move || {
            let (held_tx, held_rx) = csp_channel::unbounded::<u32>();
            let (full_tx, full_rx) = csp_channel::unbounded::<u32>();
            held_tx.send(1).unwrap();
            full_tx.send(2).unwrap();
            let thief = claim_give_back_then_steal(&held_rx, &full_rx);
            let got = select_now(form, &full_rx, &held_rx);
            assert!(
                got.is_some(),
                "{form:?} reported nothing ready, but an arm always was"
            );
            let stolen = thief.join().unwrap();
            let mut all: Vec<u32> = got.into_iter().chain(stolen).collect();
            all.extend(held_rx.try_recv().ok());
            all.extend(full_rx.try_recv().ok());
            all.sort_unstable();
            assert_eq!(all, [1, 2], "each value is received exactly once");
        });
    }
}
