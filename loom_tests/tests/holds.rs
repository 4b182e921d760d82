//! A select that claims a ring slot may hold it for as long as user code takes (a
//! `send` arm's value expression, a `SelectedOperation` kept alive). The ring cannot
//! move past a held slot, so whoever waits behind it must sleep, not spin, and the
//! hold's end (completed or given back) must wake everyone it blocked, including those
//! whose own notification it made useless (`csp/src/notify.rs`, "Holds").
//!
//! Every counterpart here blocks (none only polls with `try_`), and each model fails
//! on a lost wake-up as a loom deadlock, and on a waiter that spins behind the hold as
//! a loom branch limit.
#![cfg(csp_loom)]

use loom_tests::{bounded, exhaustive};

use csp_channel::RecvError;
use loom::thread;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Gives a select's claim back, as a `SelectedOperation` dropped unfinished does
/// (it panics afterwards to report the misuse; the claim is given back first).
fn give_back(oper: csp_channel::SelectedOperation<'_>) {
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(oper)));
    assert!(dropped.is_err(), "dropping an unfinished operation panics");
}

/// A receiver blocks behind a select's send claim; it gets the value once the select
/// completes, whenever it looked.
#[test]
fn a_receiver_waits_out_a_held_send_claim() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let receiver = thread::spawn(move || rx.recv());
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        let oper = sel.select();
        oper.send(&tx, 1).unwrap();
        assert_eq!(receiver.join().unwrap(), Ok(1));
    });
}

/// Two receivers wait; a value is sent behind a held claim (its notification finds
/// only the hold), then the hold completes: both receivers get a value. A hold's end
/// that wakes only one receiver leaves the other asleep beside a value.
#[test]
fn a_hold_end_wakes_every_receiver_it_blocked() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(2);
        // The claim comes first: receivers that race it are the model above's, and
        // with two of them loom's bounded search cannot get past a receiver that
        // waits for a claim in progress.
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        let oper = sel.select();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || rx.recv().unwrap())
            })
            .collect();
        tx.send(2).unwrap();
        oper.send(&tx, 1).unwrap();
        let mut got: Vec<u32> = receivers.into_iter().map(|r| r.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// A receiver waits behind a held claim on a channel that disconnects meanwhile; the
/// claim is given back: the receiver learns of the disconnection.
#[test]
fn a_given_back_claim_wakes_a_receiver_to_the_disconnection() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let receiver = thread::spawn(move || rx.recv());
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        let oper = sel.select();
        assert!(tx.close());
        give_back(oper);
        drop(sel);
        assert_eq!(receiver.join().unwrap(), Err(RecvError));
    });
}

/// A sender finds a one-slot ring full of a select's send claim and sleeps; the claim
/// is given back (rolled back, as nothing was sent behind it): the sender gets the
/// room. (Where the sender comes first, the select finds no room and claims none.)
#[test]
fn a_given_back_send_claim_frees_room_for_a_blocked_sender() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        let tx2 = tx.clone();
        let sender = thread::spawn(move || tx2.send(7));
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        // If the sender came first there is no room to claim.
        if let Ok(oper) = sel.try_select() {
            give_back(oper);
        }
        drop(sel);
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// A sender waits for room behind a select's claim of the ring's only value; the
/// select completes its receive: the sender gets the room.
#[test]
fn a_sender_waits_out_a_held_value_claim() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        tx.send(1).unwrap();
        let sender = thread::spawn(move || tx.send(2));
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let oper = sel.select();
        assert_eq!(oper.recv(&rx), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// A select claims the first of two values; another receiver takes the second (its
/// notification reaches a waiting sender, which finds the claimed slot in its way and
/// sleeps); the claim is given back and the value goes to the tail: the sender gets
/// the room that opened behind it, and every value arrives once.
#[test]
fn a_given_back_value_claim_wakes_the_sender_it_blocked() {
    bounded(|| value_claim_ends_behind_a_waiting_sender(false));
}

/// As above, with the claim completed. The receive's hand-off (`csp/src/notify.rs`,
/// "Hand-off") finds the held slot where the waiting sender's value would go: the
/// value goes back to its sender, who must then wait out the hold.
#[test]
fn a_completed_value_claim_lets_a_handed_back_sender_in() {
    bounded(|| value_claim_ends_behind_a_waiting_sender(true));
}

/// A full ring of two values and a sender waiting with a third; a select holds the
/// first while another receiver takes the second; then the claim is completed or
/// given back. The sender gets room, and every value arrives once.
fn value_claim_ends_behind_a_waiting_sender(complete: bool) {
    let (tx, rx) = csp_channel::bounded::<u32>(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    let sender = thread::spawn(move || tx.send(3));
    let rx2 = rx.clone();
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let oper = sel.select();
    let other = thread::spawn(move || rx2.recv().unwrap());
    let mut got = vec![other.join().unwrap()];
    if complete {
        got.push(oper.recv(&rx).unwrap());
    } else {
        give_back(oper);
    }
    drop(sel);
    assert_eq!(sender.join().unwrap(), Ok(()));
    got.extend(rx.iter());
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3]);
}

/// A select claims a ring's only value and gives it back in place (nobody received
/// past it) while another receiver blocks on the ring that looks empty, arriving
/// before the claim, during it, or after the give-back: the receiver gets the value.
/// The sender stays connected, so only the give-back can wake it.
#[test]
fn a_value_claim_given_back_in_place_wakes_a_waiting_receiver() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(1);
        tx.send(7).unwrap();
        let rx2 = rx.clone();
        let receiver = thread::spawn(move || rx2.recv());
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        // The receiver may have taken it first; then there is nothing to claim.
        if let Ok(oper) = sel.try_select() {
            give_back(oper);
        }
        drop(sel);
        assert_eq!(receiver.join().unwrap(), Ok(7));
        drop(tx);
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// A select claims the first of two values; another receiver takes the second, then a
/// receiver blocks for another; the claim is given back, past, so the value goes to
/// the tail: the blocked receiver gets it, whether it registered before or after. With
/// two slots the tail has come round to the claimed slot and the value stays there;
/// with three it moves to the tail's slot.
#[test]
fn a_value_put_back_at_the_tail_wakes_a_waiting_receiver() {
    for cap in [2, 3] {
        bounded(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            tx.send(1).unwrap();
            tx.send(2).unwrap();
            let mut sel = csp_channel::Select::new();
            sel.recv(&rx);
            let oper = sel.select();
            let rx2 = rx.clone();
            assert_eq!(thread::spawn(move || rx2.recv()).join().unwrap(), Ok(2));
            let rx3 = rx.clone();
            let receiver = thread::spawn(move || rx3.recv());
            give_back(oper);
            drop(sel);
            assert_eq!(receiver.join().unwrap(), Ok(1));
            drop(tx);
            assert_eq!(rx.recv(), Err(RecvError));
        });
    }
}

/// A hole (a send claim given back after another sender passed it) takes room until a
/// receive skips it. Here the slot after the hole is held by a second select's send
/// claim, so a receive frees the hole's slot and finds nothing: the room it made is
/// owed to a sender that found the ring full, which must get it while the second claim
/// still holds (the main thread completes that claim only after the sender is done; a
/// sender left asleep deadlocks the model).
#[test]
fn a_receive_that_skips_a_hole_wakes_the_sender_it_made_room_for() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(2);
        tx.send(1).unwrap();
        let mut first = csp_channel::Select::new();
        first.send(&tx);
        let claim = first.select(); // the second slot
        assert_eq!(rx.recv(), Ok(1));
        let mut second = csp_channel::Select::new();
        second.send(&tx);
        let held = second.select(); // the first slot again, a lap on: past `claim`
        give_back(claim); // a hole, since `held` passed it
        drop(first);
        let tx2 = tx.clone();
        let sender = thread::spawn(move || tx2.send(3));
        // Skips the hole, then finds the held claim: nothing to receive.
        assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Empty));
        assert_eq!(sender.join().unwrap(), Ok(()));
        held.send(&tx, 2).unwrap();
        drop(second);
        assert_eq!((rx.recv(), rx.recv()), (Ok(2), Ok(3)));
    });
}
