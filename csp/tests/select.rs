//! What `select!`, `select_biased!` and `Select` promise: guards, defaults, timers,
//! priority and fairness, a send value evaluated only when chosen, and exactly one arm
//! committing against every kind of counterpart (blocked threads, other selects).

// Only the CPU-time helper of `common`: the rest serves the async suites.
#[path = "common/cpu.rs"]
mod cpu;

#[cfg(target_os = "linux")]
use cpu::thread_cpu_ns;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(10);
/// Long enough for a blocked thread to have registered (and parked).
const SETTLE: Duration = Duration::from_millis(30);

#[test]
fn a_false_guard_makes_the_arm_absent() {
    let (tx, rx) = csp_channel::bounded(1);
    tx.send(1).unwrap();
    let chosen = csp_channel::select! {
        recv(rx) -> _ if false => "guarded",
        default => "default",
    };
    assert_eq!(chosen, "default");
    let chosen = csp_channel::select! {
        recv(rx) -> msg if true => { assert_eq!(msg, Ok(1)); "guarded" }
        default => "default",
    };
    assert_eq!(chosen, "guarded");
}

#[test]
fn a_send_value_is_evaluated_only_when_its_arm_is_chosen() {
    let evaluated = AtomicUsize::new(0);
    let value = |v: i32| {
        evaluated.fetch_add(1, Ordering::SeqCst);
        v
    };
    let (full_tx, _full_rx) = csp_channel::bounded(1);
    full_tx.send(0).unwrap();
    let (tx, rx) = csp_channel::bounded(1);
    csp_channel::select! {
        send(full_tx, value(1)) -> _ => panic!("a full channel was chosen"),
        send(tx, value(2)) -> res => res.unwrap(),
        send(tx, value(3)) -> _ if false => panic!("a guarded-off arm was chosen"),
    }
    assert_eq!(evaluated.load(Ordering::SeqCst), 1);
    assert_eq!(rx.recv(), Ok(2));
}

#[test]
fn default_with_timeout_waits_then_gives_up() {
    let (_tx, rx) = csp_channel::bounded::<i32>(0);
    let start = Instant::now();
    let timed_out = csp_channel::select! {
        recv(rx) -> _ => false,
        default(Duration::from_millis(20)) => true,
    };
    assert!(timed_out);
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn timers_fire_as_select_arms() {
    let (_tx, rx) = csp_channel::bounded::<i32>(0);
    let start = Instant::now();
    let fired = csp_channel::select! {
        recv(rx) -> _ => None,
        recv(csp_channel::never::<i32>()) -> _ => None,
        recv(csp_channel::after(Duration::from_millis(15))) -> at => Some(at.unwrap()),
    };
    assert!(fired.unwrap() >= start + Duration::from_millis(15));

    let ticker = csp_channel::tick(Duration::from_millis(2));
    let deadline = csp_channel::at(Instant::now() + Duration::from_millis(40));
    let mut ticks = 0;
    loop {
        csp_channel::select_biased! {
            recv(deadline) -> _ => break,
            recv(ticker) -> _ => ticks += 1,
        }
    }
    assert!(ticks >= 3, "only {ticks} ticks in 40 ms at 2 ms");
}

#[test]
fn biased_prefers_the_first_ready_arm_and_random_mixes() {
    let (tx1, rx1) = csp_channel::bounded(100);
    let (tx2, rx2) = csp_channel::bounded(100);
    for _ in 0..100 {
        tx1.send(1).unwrap();
        tx2.send(2).unwrap();
    }
    for _ in 0..50 {
        let got = csp_channel::select_biased! {
            recv(rx1) -> m => m.unwrap(),
            recv(rx2) -> m => m.unwrap(),
        };
        assert_eq!(got, 1);
    }
    let mut counts = [0; 3];
    for _ in 0..100 {
        let got: usize = csp_channel::select! {
            recv(rx1) -> m => m.unwrap(),
            recv(rx2) -> m => m.unwrap(),
        };
        counts[got] += 1;
    }
    // Only 50 ones are left, so both arms are chosen while both are ready.
    assert!(counts[1] >= 10 && counts[2] >= 10, "{counts:?}");
}

#[test]
fn fair_select_serves_every_ready_client_in_turn() {
    let channels: Vec<_> = (0..3).map(|_| csp_channel::bounded(10)).collect();
    for (i, (tx, _)) in channels.iter().enumerate() {
        for _ in 0..6 {
            tx.send(i).unwrap();
        }
    }
    let mut sel = csp_channel::Select::new_fair();
    for (_, rx) in &channels {
        sel.recv(rx);
    }
    let order: Vec<usize> = (0..9)
        .map(|_| {
            let oper = sel.select();
            let index = oper.index();
            oper.recv(&channels[index].1).unwrap()
        })
        .collect();
    assert_eq!(order, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
}

#[test]
fn a_disconnected_arm_is_ready() {
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let (_keep, idle) = csp_channel::bounded::<i32>(0);
    drop(tx);
    csp_channel::select! {
        recv(idle) -> _ => panic!("nothing was sent"),
        recv(rx) -> msg => assert_eq!(msg, Err(csp_channel::RecvError)),
    }
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    drop(rx);
    csp_channel::select! {
        send(tx, 5) -> res => assert_eq!(res, Err(csp_channel::SendError(5))),
    }
}

#[test]
fn a_select_can_use_both_ends_and_repeat_a_channel() {
    let (tx, rx) = csp_channel::bounded(1);
    // Empty: only the send arm can go.
    csp_channel::select! {
        recv(rx) -> _ => panic!("empty"),
        send(tx, 7) -> res => res.unwrap(),
        send(tx, 8) -> _ if false => unreachable!(),
    }
    // Full: only the receive arms can go.
    csp_channel::select! {
        recv(rx) -> msg => assert_eq!(msg, Ok(7)),
        recv(rx) -> msg => assert_eq!(msg, Ok(7)),
        send(tx, 9) -> _ => panic!("full"),
    }
    // A rendezvous select never meets itself: both ends, nobody else, times out.
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let met_itself = csp_channel::select! {
        recv(rx) -> _ => true,
        send(tx, 1) -> _ => true,
        default(Duration::from_millis(20)) => false,
    };
    assert!(!met_itself);
}

/// A select receiving on a rendezvous channel meets a thread that sends, whichever
/// arrives first.
#[test]
fn select_meets_plain_operations_either_way_round() {
    for select_first in [false, true] {
        let (tx, rx) = csp_channel::bounded(0);
        let (_other_tx, other_rx) = csp_channel::bounded::<i32>(0);
        let sender = thread::spawn(move || {
            if select_first {
                thread::sleep(SETTLE);
            }
            tx.send(42).unwrap();
        });
        if !select_first {
            thread::sleep(SETTLE);
        }
        csp_channel::select! {
            recv(other_rx) -> _ => panic!("nothing was sent there"),
            recv(rx) -> msg => assert_eq!(msg, Ok(42)),
        }
        sender.join().unwrap();

        let (tx, rx) = csp_channel::bounded(0);
        let receiver = thread::spawn(move || {
            if select_first {
                thread::sleep(SETTLE);
            }
            rx.recv().unwrap()
        });
        if !select_first {
            thread::sleep(SETTLE);
        }
        let (idle_tx, _idle_rx) = csp_channel::bounded::<i32>(0);
        csp_channel::select! {
            send(idle_tx, 0) -> _ => panic!("nobody receives there"),
            send(tx, 43) -> res => res.unwrap(),
        }
        assert_eq!(receiver.join().unwrap(), 43);
    }
}

/// Two selects on the two ends of a rendezvous channel meet, whichever waits.
#[test]
fn selects_meet_selects() {
    for round in 0..200 {
        let (tx, rx) = csp_channel::bounded(0);
        let (_idle_tx, idle_rx) = csp_channel::bounded::<u32>(0);
        let (idle_tx2, _idle_rx2) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || {
            if round % 2 == 0 {
                thread::sleep(Duration::from_micros(200));
            }
            csp_channel::select! {
                send(idle_tx2, 0) -> _ => panic!("nobody receives there"),
                send(tx, round) -> res => res.unwrap(),
            }
        });
        if round % 2 == 1 {
            thread::sleep(Duration::from_micros(200));
        }
        csp_channel::select! {
            recv(idle_rx) -> _ => panic!("nothing was sent there"),
            recv(rx) -> msg => assert_eq!(msg, Ok(round)),
        }
        sender.join().unwrap();
    }
}

/// A message expression that panics, as a bug in user code would.
fn failing_message() -> i32 {
    panic!("the message expression fails")
}

#[test]
fn a_panicking_send_expression_loses_no_counterpart_and_no_slot() {
    // Rendezvous: a blocked receiver was claimed, then the expression panicked; the
    // receiver waits on and gets the next value.
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let receiver = thread::spawn(move || rx.recv_timeout(LONG));
    thread::sleep(SETTLE);
    let result = catch_unwind(AssertUnwindSafe(|| {
        csp_channel::select! {
            send(tx, failing_message()) -> _ => {}
        }
    }));
    assert!(result.is_err());
    tx.send(5).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(5));

    // Buffered: the claim is undone, and the channel goes on in order.
    let (tx, rx) = csp_channel::bounded::<i32>(2);
    tx.send(1).unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        csp_channel::select! {
            send(tx, failing_message()) -> _ => {}
        }
    }));
    assert!(result.is_err());
    tx.send(2).unwrap();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);

    // Buffered, with a later send claimed past it: the slot becomes a hole that the
    // receiver skips, in order.
    let (tx, rx) = csp_channel::bounded::<i32>(3);
    tx.send(1).unwrap();
    let mut sel = csp_channel::Select::new();
    sel.send(&tx);
    let oper = sel.select();
    tx.send(2).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| drop(oper))).is_err());
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    for i in 3..10 {
        tx.send(i).unwrap();
        assert_eq!(rx.try_recv(), Ok(i));
    }
}

/// A hole takes up room but holds no value: `len` and `is_empty` say what `try_recv`
/// would find. Before, a ring whose only taken position was a hole said it was not
/// empty while `try_recv` found it empty, and `while !rx.is_empty() {
/// rx.try_recv().unwrap() }` panicked.
#[test]
fn a_hole_is_not_a_buffered_value() {
    let (tx, rx) = csp_channel::bounded::<i32>(3);
    fn given_back(tx: &csp_channel::Sender<i32>) -> csp_channel::SelectedOperation<'_> {
        let mut sel = csp_channel::Select::new();
        sel.send(tx);
        sel.select()
    }
    // Two send claims, the first given back after the second passed it (a hole), then
    // the second (rolled back, as the last claim).
    let first = given_back(&tx);
    let second = given_back(&tx);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(first))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| drop(second))).is_err());
    assert_eq!((rx.len(), rx.is_empty()), (0, true));
    assert!(!rx.is_full(), "the hole takes up one slot of three");
    assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Empty));

    // A hole between two values: counted out, and skipped in order.
    tx.send(1).unwrap();
    let claim = given_back(&tx);
    tx.send(2).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| drop(claim))).is_err());
    assert!(
        rx.is_full(),
        "the hole takes up room until a receive skips it"
    );
    assert_eq!((rx.len(), rx.is_empty()), (2, false));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((rx.len(), rx.is_empty()), (1, false));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!((rx.len(), rx.is_empty()), (0, true));
    // Once the hole is skipped, the ring goes on as before.
    for i in 3..10 {
        tx.send(i).unwrap();
        assert_eq!(rx.len(), 1);
        assert_eq!(rx.try_recv(), Ok(i));
    }
}

#[test]
fn a_select_whose_partner_panics_goes_on_with_the_next_counterpart() {
    // A select waiting to send meets a plain receiver; the select's expression panics
    // after the receiver committed to it: the receiver starts over and gets the next.
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let tx2 = tx.clone();
    let select = thread::spawn(move || {
        catch_unwind(AssertUnwindSafe(|| {
            csp_channel::select! {
                send(tx, failing_message()) -> _ => {}
            }
        }))
        .is_err()
    });
    thread::sleep(SETTLE);
    let receiver = thread::spawn(move || rx.recv_timeout(LONG));
    assert!(select.join().unwrap());
    tx2.send(9).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(9));
}

#[test]
fn a_dropped_selected_operation_panics_and_gives_its_claim_back() {
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let sender = thread::spawn(move || tx.send_timeout(3, LONG));
    thread::sleep(SETTLE);
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let oper = sel.select();
    let message = catch_unwind(AssertUnwindSafe(|| drop(oper)))
        .unwrap_err()
        .downcast::<String>()
        .unwrap();
    assert!(message.contains("without being completed"), "{message}");
    // The sender was given back: it still sends to the next receive.
    assert_eq!(rx.recv_timeout(LONG), Ok(3));
    assert_eq!(sender.join().unwrap(), Ok(()));
}

#[test]
fn completing_with_the_wrong_handle_panics_with_a_clear_message() {
    let (tx, rx) = csp_channel::bounded(1);
    let (_tx2, rx2) = csp_channel::bounded::<i32>(1);
    tx.send(1).unwrap();
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let oper = sel.select();
    let message = catch_unwind(AssertUnwindSafe(|| oper.recv(&rx2)))
        .unwrap_err()
        .downcast::<String>()
        .unwrap();
    assert!(message.contains("not the one added"), "{message}");
    // The claimed value went back to the channel.
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn leaking_a_selected_operation_is_sound() {
    let (tx, rx) = csp_channel::bounded::<String>(2);
    tx.send("leaked".to_owned()).unwrap();
    let mut sel = csp_channel::Select::new();
    sel.send(&tx);
    std::mem::forget(sel.select()); // a claimed slot that is never written
    drop(sel);
    assert_eq!(rx.try_recv(), Ok("leaked".to_owned()));
    drop((tx, rx)); // freeing the ring must not read the unwritten slot
}

#[test]
fn ready_reports_without_committing() {
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let sender = thread::spawn(move || tx.send(4));
    let mut sel = csp_channel::Select::new();
    let index = sel.recv(&rx);
    assert_eq!(sel.ready(), index);
    assert_eq!(rx.recv_timeout(LONG), Ok(4));
    sender.join().unwrap().unwrap();

    // A sender that arrives while `ready` waits is told to retry, not lost.
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let sender = thread::spawn(move || {
        thread::sleep(SETTLE);
        tx.send(6)
    });
    assert_eq!(sel.ready(), 0);
    assert_eq!(rx.recv_timeout(LONG), Ok(6));
    sender.join().unwrap().unwrap();
}

#[test]
fn arms_take_handles_by_value_or_reference_as_crossbeam_does() {
    let (tx, rx) = csp_channel::bounded(1);
    let (tx_ref, rx_ref) = (&tx, &rx);
    csp_channel::select! {
        send(&tx, 1) -> res => res.unwrap(),
    }
    csp_channel::select! {
        recv(&rx) -> msg => assert_eq!(msg, Ok(1)),
    }
    csp_channel::select! {
        send(tx_ref, 2) -> res => res.unwrap(),
    }
    csp_channel::select! {
        recv(rx_ref) -> msg => assert_eq!(msg, Ok(2)),
    }
    let pipes = [csp_channel::bounded::<u8>(1), csp_channel::bounded::<u8>(1)];
    pipes[1].0.send(9).unwrap();
    let got = csp_channel::select_biased! {
        recv(pipes[0].1) -> msg => msg,
        recv(pipes[1].1) -> msg => msg,
    };
    assert_eq!(got, Ok(9));
}

/// A thread waiting in `Select::ready` is not a counterpart: a select that finds it
/// must not commit to it.
#[test]
fn a_ready_watcher_is_never_met() {
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let _keep_connected = rx.clone();
    let watcher = thread::spawn(move || {
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        sel.ready()
    });
    thread::sleep(SETTLE);
    let committed = csp_channel::select! {
        send(tx, 1) -> _ => true,
        default(Duration::from_millis(50)) => false,
    };
    assert!(!committed, "a select committed to a watcher");
    // A watcher that registered only now (a loaded machine outslept SETTLE) would
    // wait for a sender forever: disconnecting makes its operation ready.
    drop(tx);
    assert_eq!(watcher.join().unwrap(), 0);
}

/// With every arm ready, `select!` picks each about equally often (Go's uniform
/// choice): a shuffle that favoured a position would show here.
#[test]
fn random_choice_is_uniform() {
    let channels: Vec<_> = (0..3).map(|_| csp_channel::bounded::<()>(1)).collect();
    let [(t0, r0), (t1, r1), (t2, r2)] = &channels[..] else {
        unreachable!()
    };
    let mut counts = [0u32; 3];
    const ROUNDS: u32 = 6_000;
    for _ in 0..ROUNDS {
        for tx in [t0, t1, t2] {
            let _ = tx.try_send(());
        }
        let chosen = csp_channel::select! {
            recv(r0) -> _ => 0,
            recv(r1) -> _ => 1,
            recv(r2) -> _ => 2,
        };
        counts[chosen] += 1;
    }
    // Expected 2000 each; the standard deviation is about 37.
    for count in counts {
        assert!((1_800..2_200).contains(&count), "{counts:?}");
    }
}

#[test]
fn ready_waits_only_for_an_operation_that_can_proceed() {
    let (_tx, idle) = csp_channel::bounded::<i32>(0);
    let (busy_tx, busy) = csp_channel::bounded::<i32>(1);
    let mut sel = csp_channel::Select::new();
    sel.recv(&idle);
    let busy_index = sel.recv(&busy);
    assert!(sel.try_ready().is_err(), "nothing can proceed yet");
    let start = Instant::now();
    assert!(sel.ready_timeout(SETTLE).is_err());
    assert!(
        start.elapsed() >= SETTLE,
        "ready_timeout waited its timeout"
    );
    busy_tx.send(1).unwrap();
    for _ in 0..8 {
        // Random order, but only the ready arm may be reported.
        assert_eq!(sel.try_ready(), Ok(busy_index));
        assert_eq!(sel.ready(), busy_index);
    }
    // A send arm is ready while there is room, and not once the buffer is full.
    let mut sel = csp_channel::Select::new();
    sel.send(&busy_tx);
    assert!(sel.try_ready().is_err(), "the buffer is full");
    assert_eq!(busy.try_recv(), Ok(1));
    assert_eq!(sel.try_ready(), Ok(0), "there is room");
}

/// Every public type has a `Debug` that says what it is and what state it is in.
#[test]
fn debug_output_names_the_type_and_its_state() {
    let (tx, rx) = csp_channel::bounded::<i32>(1);
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    sel.send(&tx);
    assert_eq!(format!("{sel:?}"), "Select { operations: 2, kind: Random }");
    let arm = csp_channel::__private::Arm::recv(&rx, true, 3);
    assert_eq!(format!("{arm:?}"), "Arm { index: 3 }");
    let send = tx.send_async(1);
    assert_eq!(
        format!("{send:?}"),
        "SendFuture { queued: false, finished: false, .. }"
    );
    let recv = rx.recv_async();
    assert_eq!(
        format!("{recv:?}"),
        "RecvFuture { queued: false, finished: false, .. }"
    );
    let (sink, stream) = (tx.clone().into_sink(), rx.clone().into_stream());
    assert_eq!(format!("{sink:?}"), "SendSink { busy: false, .. }");
    assert_eq!(format!("{stream:?}"), "RecvStream { ended: false, .. }");
}

/// Waiting selects sleep: over a 200 ms wait with nothing ready, the thread runs for
/// a small fraction of it (a spinning wait would run for all of it). A short round
/// first runs every wait untimed: under valgrind a thread's CPU time includes
/// translating code it runs for the first time, tens of milliseconds.
#[cfg(target_os = "linux")]
#[test]
fn waiting_selects_sleep_rather_than_spin() {
    const WAIT: Duration = Duration::from_millis(200);
    const WARM_UP: Duration = Duration::from_millis(20);
    let wait_for = std::cell::Cell::new(WARM_UP);
    let (_tx, idle) = csp_channel::bounded::<i32>(0);
    let (_tx1, idle1) = csp_channel::bounded::<i32>(1);
    let mut sel = csp_channel::Select::new();
    sel.recv(&idle);
    sel.recv(&idle1);
    let (full, _keep) = csp_channel::bounded::<i32>(1);
    full.send(0).unwrap();
    let mut send_sel = csp_channel::Select::new();
    send_sel.send(&full);
    // Both ends of one rendezvous in one select: its own entry on the other side is
    // no counterpart.
    let (both_tx, both_rx) = csp_channel::bounded::<i32>(0);
    // In a fixed order too, each end first: a random order registers the receive
    // arm second only in some rounds, and a select that took its own entry for a
    // counterpart there would spin only then.
    let mut waits: [(&str, &mut dyn FnMut()); 9] = [
        ("select! over both ends of a rendezvous", &mut || {
            csp_channel::select! {
                send(both_tx, 1) -> _ => panic!("nobody receives but the select"),
                recv(both_rx) -> _ => panic!("nobody sends but the select"),
                default(wait_for.get()) => {},
            }
        }),
        ("select_biased!, both ends, the send first", &mut || {
            csp_channel::select_biased! {
                send(both_tx, 1) -> _ => panic!("nobody receives but the select"),
                recv(both_rx) -> _ => panic!("nobody sends but the select"),
                default(wait_for.get()) => {},
            }
        }),
        ("select_biased!, both ends, the receive first", &mut || {
            csp_channel::select_biased! {
                recv(both_rx) -> _ => panic!("nobody sends but the select"),
                send(both_tx, 1) -> _ => panic!("nobody receives but the select"),
                default(wait_for.get()) => {},
            }
        }),
        ("ready_timeout on a send arm", &mut || {
            assert!(send_sel.ready_timeout(wait_for.get()).is_err())
        }),
        ("ready_timeout", &mut || {
            assert!(sel.ready_timeout(wait_for.get()).is_err())
        }),
        ("recv_timeout", &mut || {
            assert!(idle.recv_timeout(wait_for.get()).is_err())
        }),
        ("buffered recv_timeout", &mut || {
            assert!(idle1.recv_timeout(wait_for.get()).is_err())
        }),
        ("buffered send_timeout", &mut || {
            assert!(full.send_timeout(1, wait_for.get()).is_err())
        }),
        ("select!", &mut || {
            csp_channel::select! {
                recv(idle) -> _ => panic!("nothing was sent"),
                recv(idle1) -> _ => panic!("nothing was sent"),
                default(wait_for.get()) => {},
            }
        }),
    ];
    for (_, wait) in waits.iter_mut() {
        wait();
    }
    wait_for.set(WAIT);
    for (name, wait) in waits {
        let before = thread_cpu_ns();
        wait();
        let ran = Duration::from_nanos(thread_cpu_ns() - before);
        assert!(ran < WAIT / 4, "{name} ran {ran:?} of its {WAIT:?} wait");
    }
}

/// A thread holding a select's claims on a ring (a slot to write, a value to read)
/// can still use the same channel: the claimed slot counts as neither a value nor
/// room yet, and nothing waits on the claim, which only this thread can finish.
#[test]
fn a_held_claim_never_blocks_its_own_thread() {
    use csp_channel::{TryRecvError, TrySendError};
    // A send claim on the only free slot: `try_recv` finds nothing yet.
    let (tx, rx) = csp_channel::bounded::<i32>(2);
    let mut sel = csp_channel::Select::new();
    sel.send(&tx);
    let oper = sel.select();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    oper.send(&tx, 1).unwrap();
    assert_eq!(rx.try_recv(), Ok(1));
    // A receive claim on the only value of a full ring: `try_send` finds no room yet.
    let (tx, rx) = csp_channel::bounded::<i32>(1);
    tx.send(2).unwrap();
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let oper = sel.select();
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(oper.recv(&rx), Ok(2));
    assert_eq!(tx.try_send(3), Ok(()));
}

/// Waiting behind another thread's held claim is sleeping, not spinning: a receiver
/// (blocking, async, or a select) behind a select's send claim, and a sender behind
/// its receive claim, each run a small fraction of the time the claim is held, and
/// each gets its value or room once the claim completes. (Before holds were known to
/// the waits, each of these spun for as long as the claim was held; an async receive
/// never returned from `poll`.) A short round first runs every wait untimed: under
/// valgrind a thread's CPU time includes translating code it runs for the first time.
#[cfg(target_os = "linux")]
#[test]
fn waiting_behind_a_held_claim_sleeps() {
    /// Runs `wait` on a thread that times its own CPU, holds for `hold`, completes;
    /// checks the CPU time if `timed`.
    fn behind_hold<T: Send + 'static>(
        name: &str,
        (hold, timed): (Duration, bool),
        wait: impl FnOnce() -> T + Send + 'static,
        complete: impl FnOnce(),
    ) -> T {
        let (done, finished) = std::sync::mpsc::channel();
        thread::spawn(move || {
            let before = thread_cpu_ns();
            let got = wait();
            let _ = done.send((got, Duration::from_nanos(thread_cpu_ns() - before)));
        });
        thread::sleep(hold);
        complete();
        // A wait that never learns of the claim's end fails here, not as a hang.
        let (got, ran) = finished
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{name} did not finish after the claim completed"));
        assert!(
            !timed || ran < hold / 4,
            "{name} ran {ran:?} while a claim was held {hold:?}"
        );
        got
    }
    for round in [
        (Duration::from_millis(20), false),
        (Duration::from_millis(200), true),
    ] {
        for name in ["recv", "recv_async", "select!"] {
            let (tx, rx) = csp_channel::bounded::<i32>(1);
            let mut sel = csp_channel::Select::new();
            sel.send(&tx);
            let oper = sel.select();
            let got = behind_hold(
                name,
                round,
                move || match name {
                    "recv" => rx.recv().unwrap(),
                    "recv_async" => futures::executor::block_on(rx.recv_async()).unwrap(),
                    _ => csp_channel::select! { recv(rx) -> v => v.unwrap() },
                },
                || oper.send(&tx, 5).unwrap(),
            );
            assert_eq!(got, 5, "{name}");
        }
        let (tx, rx) = csp_channel::bounded::<i32>(1);
        tx.send(1).unwrap();
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let oper = sel.select();
        let tx2 = tx.clone();
        behind_hold(
            "send",
            round,
            move || tx2.send(2).unwrap(),
            || assert_eq!(oper.recv(&rx), Ok(1)),
        );
        assert_eq!(rx.recv(), Ok(2));
    }
}

/// A select's send claim that is given back (its value expression panicked) frees
/// the room it took: a sender that found the ring full of that claim and went to
/// sleep is woken and sends.
#[test]
fn a_given_back_send_claim_wakes_the_sender_it_kept_out() {
    /// A value expression that lets the sender go to sleep, then panics.
    fn start_sender_then_panic(
        tx: &csp_channel::Sender<i32>,
        slot: &Mutex<Option<Sending>>,
    ) -> i32 {
        let tx = tx.clone();
        *slot.lock().unwrap() = Some(thread::spawn(move || tx.send(7)));
        thread::sleep(Duration::from_millis(100));
        panic!("the value expression panics");
    }
    type Sending = thread::JoinHandle<Result<(), csp_channel::SendError<i32>>>;
    let (tx, rx) = csp_channel::bounded::<i32>(1);
    let waiting_sender = Mutex::new(None);
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        csp_channel::select! {
            send(tx, start_sender_then_panic(&tx, &waiting_sender)) -> _ => {}
        }
    }));
    assert!(unwound.is_err());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7));
    let sender = waiting_sender.into_inner().unwrap().unwrap();
    assert_eq!(sender.join().unwrap(), Ok(()));
}

/// A select's deadlines combine to the earliest, whichever sources they come from:
/// two timer arms, a timer arm and the select's own timeout either way round, and the
/// dynamic `Select`'s timeout beside a timer arm. A merge that took the later one
/// would wait out `LONG` (and fail the bound) or fire the wrong arm.
#[test]
fn the_earliest_of_a_selects_deadlines_wins() {
    const SHORT: Duration = Duration::from_millis(20);
    const LONG: Duration = Duration::from_secs(20);
    let (_tx, idle) = csp_channel::bounded::<i32>(0);
    let quick = |name: &str, started: Instant| {
        assert!(
            started.elapsed() < LONG / 4,
            "{name} waited for the later deadline"
        );
    };
    let started = Instant::now();
    let fired = csp_channel::select! {
        recv(idle) -> _ => unreachable!("nothing is sent"),
        recv(csp_channel::after(LONG)) -> _ => "long timer",
        recv(csp_channel::after(SHORT)) -> _ => "short timer",
    };
    assert_eq!(fired, "short timer");
    quick("two timer arms", started);
    let started = Instant::now();
    let fired = csp_channel::select! {
        recv(csp_channel::after(LONG)) -> _ => "timer",
        default(SHORT) => "timeout",
    };
    assert_eq!(fired, "timeout");
    quick("a long timer arm and a short timeout", started);
    let started = Instant::now();
    let fired = csp_channel::select! {
        recv(csp_channel::at(Instant::now() + SHORT)) -> _ => "timer",
        default(LONG) => "timeout",
    };
    assert_eq!(fired, "timer");
    quick("a short timer arm and a long timeout", started);
    let started = Instant::now();
    let long = csp_channel::after(LONG);
    let mut sel = csp_channel::Select::new();
    sel.recv(&long);
    sel.recv(&idle);
    assert!(sel.select_timeout(SHORT).is_err());
    quick("Select::select_timeout beside a long timer", started);
}

/// A blocked operation with a deadline that a select claims cannot time out while the
/// claim lasts (the select has committed to it): it sleeps without deadline. When the
/// claim is given back it must be woken, so that it sees its deadline has passed and
/// returns; asleep, it would wait for a counterpart that may never come. On a
/// rendezvous, for a claimed receive and a claimed send, and the select holding the
/// claim past the deadline.
#[test]
fn a_given_back_claim_lets_its_owner_time_out() {
    const DEADLINE: Duration = Duration::from_millis(200);
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    // Claims the counterpart once it waits, holds the claim past its deadline, gives
    // it back. `false` if the counterpart timed out before the claim (a slow machine).
    let hold_past_deadline = |sel: &mut csp_channel::Select<'_>| {
        sel.ready();
        let Ok(claim) = sel.try_select() else {
            return false;
        };
        thread::sleep(DEADLINE * 3);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(claim))).is_err());
        true
    };
    for _attempt in 0..3 {
        let receiver = {
            let rx = rx.clone();
            thread::spawn(move || rx.recv_timeout(DEADLINE))
        };
        let mut sel = csp_channel::Select::new();
        sel.send(&tx);
        let claimed = hold_past_deadline(&mut sel);
        assert_eq!(
            receiver.join().unwrap(),
            Err(csp_channel::RecvTimeoutError::Timeout)
        );
        if claimed {
            break;
        }
    }
    for _attempt in 0..3 {
        let sender = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_timeout(5, DEADLINE))
        };
        let mut sel = csp_channel::Select::new();
        sel.recv(&rx);
        let claimed = hold_past_deadline(&mut sel);
        let sent = sender.join().unwrap().unwrap_err();
        assert!(sent.is_timeout());
        assert_eq!(sent.into_inner(), 5, "the value comes back");
        if claimed {
            break;
        }
    }
}

/// A claim given back leaves its counterpart where it was in line: on a rendezvous,
/// the oldest blocked sender is still the next one met, whatever the select did with
/// it in between. Re-queued at the back, it would be overtaken by a later sender.
#[test]
fn a_given_back_claim_keeps_its_place_in_line() {
    let (tx, rx) = csp_channel::bounded::<i32>(0);
    let first = {
        let tx = tx.clone();
        thread::spawn(move || tx.send(1))
    };
    let mut watch = csp_channel::Select::new();
    watch.recv(&rx);
    watch.ready(); // the first sender waits
    drop(watch);
    let second = {
        let tx = tx.clone();
        thread::spawn(move || tx.send(2))
    };
    thread::sleep(SETTLE); // the second sender waits behind it
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let claim = sel.try_select().expect("a sender waits");
    assert!(catch_unwind(AssertUnwindSafe(|| drop(claim))).is_err());
    drop(sel);
    assert_eq!(rx.recv(), Ok(1), "the oldest sender keeps its place");
    assert_eq!(rx.recv(), Ok(2));
    first.join().unwrap().unwrap();
    second.join().unwrap().unwrap();
}

/// A waiting select takes its entries out of exactly the queues it put them in, in
/// whatever order it registered (a fair select starts mid-way and wraps around), even
/// when an arm turns out ready halfway through registering. Here that arm is a timer
/// tried and registered mid-way, whose deadline moves by 50 ns a round, so that it
/// passes at every point of the select's try pass and registration; after each round
/// no channel may still hold an entry of the select (a dangling entry: `try_ready` on
/// a send arm would report a receiver that is gone).
#[test]
fn a_select_that_stops_registering_halfway_leaves_no_entry_behind() {
    const ARMS: usize = 48;
    const ROUNDS: u32 = 800;
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..ARMS).map(|_| csp_channel::bounded::<()>(0)).unzip();
    let (kick_tx, kick_rx) = csp_channel::bounded(1);
    for round in 0..ROUNDS {
        let deadline = Instant::now() + Duration::from_nanos(50 * u64::from(round));
        let timer = csp_channel::at(deadline);
        let mut sel = csp_channel::Select::new_fair();
        for rx in &rxs[..ARMS / 2] {
            sel.recv(rx);
        }
        // The kick steers the fair order: the next select starts just after it,
        // so the timer is tried and registered half-way.
        let kick = sel.recv(&kick_rx);
        for rx in &rxs[ARMS / 2..] {
            sel.recv(rx);
        }
        // Then the order wraps around to the first half.
        let timer_arm = sel.recv(&timer);
        kick_tx.send(()).unwrap();
        let oper = sel.select();
        assert_eq!(oper.index(), kick);
        oper.recv(&kick_rx).unwrap();
        let oper = sel.select();
        assert_eq!(oper.index(), timer_arm);
        oper.recv(&timer).unwrap();
        for (arm, tx) in txs.iter().enumerate() {
            let mut probe = csp_channel::Select::new();
            probe.send(tx);
            assert!(
                probe.try_ready().is_err(),
                "round {round}: the select left an entry on channel {arm}"
            );
        }
    }
}

/// A select that claims a timer's message and gives the claim back (its
/// `SelectedOperation` dropped, which panics to report the misuse) leaves the message
/// where it was, for every kind of timer: the next receive gets it at once.
#[test]
fn a_given_back_timer_claim_keeps_its_message() {
    let period = Duration::from_millis(1);
    let timers = [
        ("at", csp_channel::at(Instant::now())),
        ("after", csp_channel::after(Duration::ZERO)),
        ("tick", csp_channel::tick(period)),
        ("tick_in_phase", csp_channel::tick_in_phase(period)),
    ];
    // The ticks' first messages are due.
    thread::sleep(2 * period);
    for (name, timer) in timers {
        let mut sel = csp_channel::Select::new();
        sel.recv(&timer);
        let oper = sel.try_select().expect("the timer's message is due");
        let dropped = catch_unwind(AssertUnwindSafe(|| drop(oper)));
        assert!(dropped.is_err(), "dropping an unfinished operation panics");
        assert!(
            timer.try_recv().is_ok(),
            "{name}: the message whose claim was given back is gone"
        );
    }
}
