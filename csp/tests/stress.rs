//! Many senders and receivers at once: every value is delivered exactly once, nothing
//! leaks or is dropped twice, and a rendezvous send never returns before its receive.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

#[path = "common/scale.rs"]
mod scale;
use scale::scaled;

/// Sends `per_sender` distinct values from each of `senders` threads to `receivers`
/// threads; each receiver mixes blocking, try and timed receives. `cap` is `None` for
/// an unbounded channel.
fn exactly_once(cap: Option<usize>, senders: usize, receivers: usize, per_sender: u64) {
    let per_sender = scaled(per_sender);
    let (tx, rx) = match cap {
        Some(cap) => csp_channel::bounded::<u64>(cap),
        None => csp_channel::unbounded(),
    };
    let producers: Vec<_> = (0..senders as u64)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..per_sender {
                    let value = s * per_sender + i;
                    match i % 3 {
                        0 => tx.send(value).unwrap(),
                        1 => {
                            let mut value = value;
                            while let Err(err) = tx.send_timeout(value, Duration::from_micros(50)) {
                                value = err.into_inner();
                            }
                        }
                        _ => {
                            let mut value = value;
                            while let Err(err) = tx.try_send(value) {
                                value = err.into_inner();
                                thread::yield_now();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..receivers)
        .map(|r| {
            let rx = rx.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let next = match r % 3 {
                        0 => rx.recv().ok(),
                        1 => match rx.recv_timeout(Duration::from_micros(50)) {
                            Ok(v) => Some(v),
                            Err(csp_channel::RecvTimeoutError::Timeout) => continue,
                            Err(csp_channel::RecvTimeoutError::Disconnected) => None,
                        },
                        _ => match rx.try_recv() {
                            Ok(v) => Some(v),
                            Err(csp_channel::TryRecvError::Empty) => {
                                thread::yield_now();
                                continue;
                            }
                            Err(csp_channel::TryRecvError::Disconnected) => None,
                        },
                    };
                    match next {
                        Some(v) => got.push(v),
                        None => return got,
                    }
                }
            })
        })
        .collect();
    drop(rx);
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut seen = HashSet::new();
    let mut sum = 0u64;
    for consumer in consumers {
        for v in consumer.join().unwrap() {
            assert!(seen.insert(v), "value {v} delivered twice");
            sum += v;
        }
    }
    let total = senders as u64 * per_sender;
    assert_eq!(seen.len() as u64, total, "values lost");
    assert_eq!(sum, total * (total - 1) / 2, "checksum");
}

#[test]
fn rendezvous_many_to_many() {
    exactly_once(Some(0), 4, 4, 5_000);
    exactly_once(Some(0), 1, 6, 5_000);
    exactly_once(Some(0), 6, 1, 5_000);
}

#[test]
fn buffered_many_to_many() {
    for cap in [1, 2, 7, 1024] {
        exactly_once(Some(cap), 4, 4, 5_000);
    }
}

#[test]
fn unbounded_many_to_many() {
    exactly_once(None, 4, 4, 5_000);
    exactly_once(None, 1, 6, 5_000);
    exactly_once(None, 6, 1, 5_000);
}

/// An unbounded channel dropped with values queued, one of them claimed by a select
/// and given back: each value is dropped exactly once.
#[test]
fn unbounded_values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = csp_channel::unbounded();
    for _ in 0..5 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    drop(rx.recv().unwrap());
    let mut sel = csp_channel::Select::new();
    sel.recv(&rx);
    let claimed = sel.try_select().unwrap();
    let given_back = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(claimed)));
    assert!(
        given_back.is_err(),
        "dropping an unfinished operation panics"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(rx.len(), 4, "the given-back value is queued again");
    drop(sel);
    drop(rx);
    let back = tx.send(Counted(drops.clone())).unwrap_err().into_inner();
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

/// A value that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn buffered_values_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = csp_channel::bounded(8);
    for _ in 0..8 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    // Move the ring's head so the leftovers wrap around the end.
    for _ in 0..3 {
        drop(rx.recv().unwrap());
    }
    for _ in 0..3 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    // A failed send hands the value back rather than dropping it.
    let back = tx
        .try_send(Counted(drops.clone()))
        .unwrap_err()
        .into_inner();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    drop(rx);
    // Receivers gone: the buffer keeps its 8 values until the last handle goes.
    let back = tx.send(Counted(drops.clone())).unwrap_err().into_inner();
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 13);
}

#[test]
fn contended_values_are_dropped_exactly_once() {
    for cap in [0, 3] {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = 4 * 2_000;
        let (tx, rx) = csp_channel::bounded(cap);
        let producers: Vec<_> = (0..4)
            .map(|_| {
                let (tx, drops) = (tx.clone(), drops.clone());
                thread::spawn(move || {
                    for _ in 0..2_000 {
                        // Values that time out come back and are dropped here.
                        let _ = tx.send_timeout(Counted(drops.clone()), Duration::from_micros(20));
                    }
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let mut kept = 0;
                    // Drop some receives at once, keep the rest until the end.
                    let mut hold = Vec::new();
                    while let Ok(v) = rx.recv() {
                        kept += 1;
                        if kept % 2 == 0 {
                            hold.push(v);
                        }
                    }
                    hold.len()
                })
            })
            .collect();
        drop(rx);
        producers.into_iter().for_each(|p| p.join().unwrap());
        consumers.into_iter().for_each(|c| {
            c.join().unwrap();
        });
        assert_eq!(drops.load(Ordering::SeqCst), made);
    }
}

#[test]
fn rendezvous_send_waits_for_the_receive() {
    // The sender announces itself, then sends; until the main thread receives, the
    // send must not return, however long the main thread lets the sender run.
    for _ in 0..20 {
        let (ready_tx, ready_rx) = csp_channel::bounded(1);
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let returned = Arc::new(AtomicBool::new(false));
        let flag = returned.clone();
        let sender = thread::spawn(move || {
            ready_tx.send(()).unwrap();
            tx.send(42).unwrap();
            flag.store(true, Ordering::SeqCst);
        });
        ready_rx.recv().unwrap();
        for _ in 0..200 {
            thread::yield_now();
            assert!(
                !returned.load(Ordering::SeqCst),
                "send returned before any receive"
            );
        }
        assert_eq!(rx.recv(), Ok(42));
        sender.join().unwrap();
        assert!(returned.load(Ordering::SeqCst));
    }
}

#[test]
fn rendezvous_send_timeout_races_receive() {
    // Either the receive gets the value and the send reports success, or the send
    // times out with the value and the receive gets nothing: never both, never none.
    for i in 0..2_000u32 {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send_timeout(i, Duration::from_micros(30)));
        let got = rx.recv_timeout(Duration::from_micros(30));
        match (sender.join().unwrap(), got) {
            (Ok(()), Ok(v)) => assert_eq!(v, i),
            (Err(e), Err(_)) => assert_eq!(e.into_inner(), i),
            (sent, got) => panic!("send {sent:?} but receive {got:?}"),
        }
    }
}

#[test]
fn disconnect_races_blocked_parties() {
    for cap in [0, 1] {
        for _ in 0..300 {
            let (tx, rx) = csp_channel::bounded::<u8>(cap);
            let rx2 = rx.clone();
            let waiter = thread::spawn(move || rx2.recv());
            let sender = thread::spawn(move || tx.send(1));
            let got = waiter.join().unwrap();
            let sent = sender.join().unwrap();
            // The sender is gone, so the waiter gets the value or a disconnect; the
            // value is accounted for exactly once between the waiter, the channel
            // (buffered) and the main receiver.
            let leftover = rx.try_recv().ok();
            let delivered = usize::from(got.is_ok()) + usize::from(leftover.is_some());
            assert_eq!(delivered, usize::from(sent.is_ok()));
        }
    }
}

/// Room by count is room: with receivers oversubscribing the CPUs (so that one is now
/// and then preempted between claiming a value and reading it), every `try_send` made
/// when `len` is below the capacity succeeds; and every `try_recv` made when `len`
/// says a value is there gets one. Only a select's claim may make them fail so.
#[test]
fn try_operations_agree_with_len() {
    const RECEIVERS: usize = 4;
    // A whole number for each sender of the second half.
    let messages = scaled(50_000).next_multiple_of(RECEIVERS as u64);
    let (tx, rx) = csp_channel::bounded::<u64>(1);
    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().count() as u64)
        })
        .collect();
    drop(rx);
    let mut sent = 0;
    while sent < messages {
        if tx.len() < tx.capacity().unwrap() {
            assert_eq!(tx.try_send(sent), Ok(()), "room by count, yet Full");
            sent += 1;
        } else {
            thread::yield_now();
        }
    }
    drop(tx);
    let received: u64 = receivers.into_iter().map(|r| r.join().unwrap()).sum();
    assert_eq!(received, messages);

    // The receiving side: senders oversubscribe, one receiver checks `len` first.
    let (tx, rx) = csp_channel::bounded::<u64>(1);
    let senders: Vec<_> = (0..RECEIVERS as u64)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..messages / RECEIVERS as u64 {
                    tx.send(s * messages + i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut received = 0;
    while received < messages {
        if !rx.is_empty() {
            assert!(rx.try_recv().is_ok(), "a value by count, yet Empty");
            received += 1;
        } else {
            thread::yield_now();
        }
    }
    senders.into_iter().for_each(|s| s.join().unwrap());
}

/// How the echo thread of [`every_wait_is_woken_by_its_counterpart`] receives.
#[derive(Clone, Copy, Debug)]
enum Receive {
    Plain,
    Select,
    Async,
}

/// Round trips through an echo thread, on every flavor, with the echo receiving by a
/// plain `recv`, a `select!` over two channels, and an async receive. Each wait here
/// can end only by its counterpart's wake-up: nothing times out, and no disconnection
/// comes until the last round. (The many-to-many tests above cannot see a lost
/// wake-up on an unbounded channel: their senders never block, finish, and the
/// disconnection wakes every receiver that missed a value.) Now and then the main
/// thread pauses so that the echo parks, rather than catching the value while it
/// spins. A lost wake-up hangs this test, which the test runner's time limit turns
/// into a failure under its name (.config/nextest.toml).
#[test]
fn every_wait_is_woken_by_its_counterpart() {
    // Few rounds, many pauses: the parked waits are what this test is for, and the
    // round trips are slow under valgrind (scripts/sanitize.sh runs this file).
    const ROUNDS: u64 = 1_500;
    for cap in [Some(0), Some(1), Some(16), None] {
        for receive in [Receive::Plain, Receive::Select, Receive::Async] {
            // Shown by the test runner if this case hangs.
            println!("capacity {cap:?}, echo receives by {receive:?}");
            let channel = || match cap {
                Some(cap) => csp_channel::bounded::<u64>(cap),
                None => csp_channel::unbounded(),
            };
            let (ping_tx, ping_rx) = channel();
            let (pong_tx, pong_rx) = channel();
            let (_idle_tx, idle_rx) = channel();
            let echo = thread::spawn(move || {
                loop {
                    let got = match receive {
                        Receive::Plain => ping_rx.recv(),
                        Receive::Select => csp_channel::select! {
                            recv(ping_rx) -> v => v,
                            recv(idle_rx) -> _ => unreachable!("nothing is sent on idle"),
                        },
                        Receive::Async => futures::executor::block_on(ping_rx.recv_async()),
                    };
                    let Ok(v) = got else { return };
                    // Sends of two values: on a channel of capacity 1 the second
                    // waits for the main thread's receive.
                    pong_tx.send(v).unwrap();
                    pong_tx.send(v + 1).unwrap();
                }
            });
            for i in 0..ROUNDS {
                if i % 100 == 0 {
                    thread::sleep(Duration::from_millis(1));
                }
                ping_tx.send(i).unwrap();
                if i % 100 == 50 {
                    thread::sleep(Duration::from_millis(1));
                }
                assert_eq!(pong_rx.recv(), Ok(i), "{cap:?} {receive:?}");
                assert_eq!(pong_rx.recv(), Ok(i + 1), "{cap:?} {receive:?}");
            }
            drop(ping_tx);
            echo.join().unwrap();
        }
    }
}
