//! Select commits exactly one arm: against competing selects, against counterparts on
//! several arms, against disconnection, and select against select.
#![cfg(csp_loom)]

use loom_tests::{bounded, exhaustive, watch_then};

use csp_channel::{RecvError, SendError};
use loom::thread;

/// Two selects compete for one sender's value: exactly one gets it, the other sees
/// its second arm disconnect.
#[test]
fn two_selects_compete_for_one_sender() {
    bounded(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (done_tx, done_rx) = csp_channel::bounded::<u32>(0);
        let selectors: Vec<_> = (0..2)
            .map(|_| {
                let (rx, done_rx) = (rx.clone(), done_rx.clone());
                thread::spawn(move || {
                    csp_channel::select! {
                        recv(rx) -> msg => Some(msg.unwrap()),
                        recv(done_rx) -> msg => { assert_eq!(msg, Err(RecvError)); None }
                    }
                })
            })
            .collect();
        drop((rx, done_rx));
        tx.send(7).unwrap();
        drop(done_tx);
        let got: Vec<u32> = selectors
            .into_iter()
            .filter_map(|s| s.join().unwrap())
            .collect();
        assert_eq!(got, [7], "exactly one select takes the value");
    });
}

/// A select with a send arm and a receive arm, and a counterpart on each: exactly one
/// arm commits, and the other counterpart sees the select's handles dropped.
#[test]
fn select_send_and_recv_arms_race_two_counterparts() {
    bounded(|| {
        let (a_tx, a_rx) = csp_channel::bounded::<u32>(0);
        let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
        let receiver = thread::spawn(move || a_rx.recv());
        let sender = thread::spawn(move || b_tx.send(2));
        let chose_send = csp_channel::select! {
            send(a_tx, 1) -> res => { res.unwrap(); true }
            recv(b_rx) -> msg => { assert_eq!(msg, Ok(2)); false }
        };
        drop((a_tx, b_rx));
        let received = receiver.join().unwrap();
        let sent = sender.join().unwrap();
        if chose_send {
            assert_eq!(received, Ok(1));
            assert_eq!(
                sent,
                Err(SendError(2)),
                "the receive arm must leave no trace"
            );
        } else {
            assert_eq!(received, Err(RecvError), "the send arm must leave no trace");
            assert_eq!(sent, Ok(()));
        }
    });
}

/// A select waits on two channels while one sender sends and then disconnects: the
/// value is received first, then the disconnection.
#[test]
fn select_races_disconnection() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (_idle_tx, idle_rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || {
            tx.send(5).unwrap();
            drop(tx);
        });
        for expected in [Ok(5), Err(RecvError)] {
            csp_channel::select! {
                recv(idle_rx) -> _ => panic!("nothing is sent there"),
                recv(rx) -> msg => assert_eq!(msg, expected),
            }
        }
        sender.join().unwrap();
    });
}

/// A select sending and a select receiving on one rendezvous channel meet, whichever
/// waits for the other: the partner exchange, both ways round.
#[test]
fn select_meets_select() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        // Two idle channels (one end of each kept open), so neither select can meet
        // the other there, nor see a disconnection.
        let (idle_tx, _idle_rx) = csp_channel::bounded::<u32>(0);
        let (_idle_tx, idle_rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || {
            csp_channel::select! {
                send(idle_tx, 0) -> _ => panic!("nobody receives there"),
                send(tx, 3) -> res => res.unwrap(),
            }
        });
        csp_channel::select! {
            recv(idle_rx) -> _ => panic!("nothing is sent there"),
            recv(rx) -> msg => assert_eq!(msg, Ok(3)),
        }
        sender.join().unwrap();
    });
}

/// A select that does not wait (`default`) races a blocking sender: the value is
/// taken by the select or left for the plain receive after it, never both or neither.
#[test]
fn select_default_races_a_sender() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(4).unwrap());
        let got = csp_channel::select! {
            recv(rx) -> msg => msg.unwrap(),
            default => rx.recv().unwrap(),
        };
        assert_eq!(got, 4);
        sender.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// A select over a buffered channel's two ends and a rendezvous receive, with a
/// thread sending on the rendezvous: every value is accounted for once.
#[test]
fn select_mixes_buffered_and_rendezvous() {
    exhaustive(|| {
        let (buf_tx, buf_rx) = csp_channel::bounded::<u32>(1);
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(9).unwrap());
        let mut received = Vec::new();
        let mut buffered = 0;
        while !received.contains(&9) || buffered > 0 {
            csp_channel::select_biased! {
                recv(rx) -> msg if !received.contains(&9) => received.push(msg.unwrap()),
                recv(buf_rx) -> msg => { buffered -= 1; received.push(msg.unwrap()) }
                send(buf_tx, 1) -> res if buffered == 0 && received.is_empty() => {
                    res.unwrap();
                    buffered += 1;
                }
            }
        }
        sender.join().unwrap();
        received.sort_unstable();
        assert!(received == [9] || received == [1, 9], "{received:?}");
    });
}

/// A claimed counterpart is given back (a `SelectedOperation` dropped without being
/// completed) while its owner may be falling asleep: it waits on as before and meets
/// the next receive.
#[test]
fn a_released_claim_leaves_the_counterpart_waiting() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(8));
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let oper = sel.select();
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(oper)));
        assert!(dropped.is_err(), "dropping an uncompleted operation panics");
        drop(sel);
        assert_eq!(rx.recv(), Ok(8));
        assert_eq!(sender.join().unwrap(), Ok(()));
    });
}

/// A select claims room in a ring and gives it back while another sender claims the
/// next slot: the claim is rolled back, or becomes a hole the receiver skips; either
/// way the other value arrives, once.
#[test]
fn a_released_ring_claim_races_a_sender() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(2);
        let tx2 = tx.clone();
        let sender = thread::spawn(move || tx2.send(5).unwrap());
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        let oper = sel.select();
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(oper)));
        assert!(dropped.is_err());
        drop(sel);
        sender.join().unwrap();
        drop(tx);
        assert_eq!(rx.recv(), Ok(5));
        assert_eq!(rx.recv(), Err(RecvError));
    });
}

/// A select claims a buffered value and gives it back while another receiver takes
/// values: the claim is undone in place, or (if the other receiver moved past it) the
/// value goes back at the end; either way each value is received exactly once.
#[test]
fn a_released_value_claim_races_a_receiver() {
    exhaustive(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(2);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        drop(tx);
        let rx2 = rx.clone();
        let other = thread::spawn(move || rx2.try_recv().ok());
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let oper = sel.select();
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(oper)));
        assert!(dropped.is_err());
        drop(sel);
        let mut got: Vec<u32> = other.join().unwrap().into_iter().collect();
        got.extend(rx.iter());
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// A thread waiting in `Select::ready` learns of a select that registers on the other
/// side, whenever the watcher arrived: in particular between the select's look for a
/// counterpart and its registration. Each watcher then does its operation, which
/// only completes if it was woken; a missed wake leaves both threads asleep.
#[test]
fn a_watcher_learns_of_a_registering_select() {
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
                csp_channel::select! { recv(rx) -> msg => assert_eq!(msg, Ok(1)) }
            } else {
                csp_channel::select! { send(tx, 1) -> res => res.unwrap() }
            }
            watcher.join().unwrap();
        });
    }
}

/// `Select::ready` on a buffered channel learns of a value sent, or of room made,
/// whenever the counterpart comes: the operation it reports then succeeds at once.
#[test]
fn a_watcher_learns_of_a_buffered_counterpart() {
    for watch_send in [true, false] {
        exhaustive(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(1);
            if watch_send {
                tx.send(1).unwrap(); // full: the watcher waits for room
            }
            let watcher = watch_then(&tx, &rx, watch_send, move |tx, rx| {
                if watch_send {
                    tx.try_send(2).unwrap();
                } else {
                    assert_eq!(rx.try_recv(), Ok(1));
                }
            });
            if watch_send {
                assert_eq!(rx.recv(), Ok(1));
            } else {
                tx.send(1).unwrap();
            }
            watcher.join().unwrap();
        });
    }
}

/// Two selects wait on the same two channels; a value on the first completes one of
/// them, whose entry in the second channel's notify list then stays there, stale,
/// until it wakes and unregisters. A value on the second channel must still reach the
/// other select: a notify that popped the stale entry and stopped would leave it
/// asleep beside the value. (The channels are unbounded ones, whose notify lists are
/// the rings': a ring's send in progress keeps a select's claim waiting for it, which
/// loom's bounded search cannot get past with three threads.)
#[test]
fn a_notify_passes_over_a_stale_select_entry() {
    bounded(|| {
        let (a_tx, a_rx) = csp_channel::unbounded::<u32>();
        let (b_tx, b_rx) = csp_channel::unbounded::<u32>();
        let selects: Vec<_> = (0..2)
            .map(|_| {
                let (a_rx, b_rx) = (a_rx.clone(), b_rx.clone());
                thread::spawn(move || {
                    csp_channel::select! {
                        recv(a_rx) -> v => v.unwrap(),
                        recv(b_rx) -> v => v.unwrap(),
                    }
                })
            })
            .collect();
        a_tx.send(1).unwrap();
        b_tx.send(2).unwrap();
        let mut got: Vec<u32> = selects.into_iter().map(|s| s.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}
