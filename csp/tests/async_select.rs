//! The async select: guards, defaults and timers; meeting threads, thread selects,
//! async futures and other async selects either way round; and exactly-once delivery
//! while selects are dropped at random points.

mod common;

#[path = "common/cpu.rs"]
mod cpu;

use common::{Tracked, ticks};
#[cfg(target_os = "linux")]
use cpu::thread_cpu_ns;

use futures::executor::block_on;
use futures::future::{self, Either};
use std::collections::HashSet;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Context;
use std::thread;
use std::time::{Duration, Instant};

const SETTLE: Duration = Duration::from_millis(20);

#[test]
fn guards_defaults_and_timers() {
    block_on(async {
        let (tx, rx) = csp_channel::bounded(1);
        tx.send(1).unwrap();
        let got = csp_channel::select_async! {
            recv(rx) -> _ if false => "guarded",
            default => "default",
        };
        assert_eq!(got, "default");
        let start = Instant::now();
        let (_keep, idle) = csp_channel::bounded::<i32>(0);
        let timed_out = csp_channel::select_async! {
            recv(idle) -> _ => false,
            default(Duration::from_millis(20)) => true,
        };
        assert!(timed_out && start.elapsed() >= Duration::from_millis(20));
        let fired = csp_channel::select_async! {
            recv(idle) -> _ => false,
            recv(csp_channel::after(Duration::from_millis(10))) -> _ => true,
        };
        assert!(fired);
        assert!(
            csp_channel::after(Duration::from_millis(1))
                .recv_async()
                .await
                .is_ok()
        );
        let got = csp_channel::select_biased_async! {
            recv(rx) -> msg => msg.unwrap(),
            default => 0,
        };
        assert_eq!(got, 1);
    });
}

/// Runs `a` and `b` concurrently: `a` on another thread, `b` here, optionally after a
/// pause so that either can be the one that waits.
fn race<A, B, RA, RB>(a: A, b: B, b_first: bool) -> (RA, RB)
where
    A: FnOnce() -> RA + Send + 'static,
    B: FnOnce() -> RB,
    RA: Send + 'static,
{
    let other = thread::spawn(move || {
        if b_first {
            thread::sleep(SETTLE);
        }
        a()
    });
    if !b_first {
        thread::sleep(SETTLE);
    }
    let rb = b();
    (other.join().unwrap(), rb)
}

#[test]
fn async_selects_meet_every_kind_of_counterpart() {
    for b_first in [false, true] {
        // Receive arm against: a thread, a thread select, an async send, an async select.
        let senders: Vec<Box<dyn FnOnce(csp_channel::Sender<u32>) + Send>> = vec![
            Box::new(|tx| tx.send(1).unwrap()),
            Box::new(|tx| {
                let (idle, _keep) = csp_channel::bounded::<u32>(0);
                csp_channel::select! { send(idle, 0) -> _ => panic!(), send(tx, 1) -> r => r.unwrap() }
            }),
            Box::new(|tx| block_on(tx.send_async(1)).unwrap()),
            Box::new(|tx| {
                let (idle, _keep) = csp_channel::bounded::<u32>(0);
                block_on(async {
                    csp_channel::select_async! { send(idle, 0) -> _ => panic!(), send(tx, 1) -> r => r.unwrap() }
                })
            }),
        ];
        for (kind, send) in senders.into_iter().enumerate() {
            let (tx, rx) = csp_channel::bounded::<u32>(0);
            let (_keep, idle) = csp_channel::bounded::<u32>(0);
            let ((), got) = race(
                move || send(tx),
                || {
                    block_on(async {
                        csp_channel::select_async! { recv(idle) -> _ => panic!(), recv(rx) -> m => m }
                    })
                },
                b_first,
            );
            assert_eq!(got, Ok(1), "sender kind {kind}, select first: {b_first}");
        }
        // Send arm against: a thread, a thread select, an async receive, an async select.
        let receivers: Vec<Box<dyn FnOnce(csp_channel::Receiver<u32>) -> u32 + Send>> = vec![
            Box::new(|rx| rx.recv().unwrap()),
            Box::new(|rx| {
                let (_keep, idle) = csp_channel::bounded::<u32>(0);
                csp_channel::select! { recv(idle) -> _ => panic!(), recv(rx) -> m => m.unwrap() }
            }),
            Box::new(|rx| block_on(rx.recv_async()).unwrap()),
            Box::new(|rx| {
                let (_keep, idle) = csp_channel::bounded::<u32>(0);
                block_on(async {
                    csp_channel::select_async! { recv(idle) -> _ => panic!(), recv(rx) -> m => m.unwrap() }
                })
            }),
        ];
        for (kind, recv) in receivers.into_iter().enumerate() {
            let (tx, rx) = csp_channel::bounded::<u32>(0);
            let (idle, _keep) = csp_channel::bounded::<u32>(0);
            let (got, sent) = race(
                move || recv(rx),
                || {
                    block_on(async {
                        csp_channel::select_async! { send(idle, 0) -> _ => panic!(), send(tx, 2) -> r => r }
                    })
                },
                b_first,
            );
            assert_eq!(
                (got, sent),
                (2, Ok(())),
                "receiver kind {kind}, select first: {b_first}"
            );
        }
    }
}

/// A select registered (polled once), then dropped, while threads send to it: their
/// values are not lost; the next receives get them.
#[test]
fn a_dropped_select_loses_nothing() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    for cap in [0, 1] {
        let (tx1, rx1) = csp_channel::bounded::<u32>(cap);
        let (tx2, rx2) = csp_channel::bounded::<u32>(cap);
        {
            let mut select = Box::pin(async {
                csp_channel::select_async! { recv(rx1) -> m => m, recv(rx2) -> m => m }
            });
            assert!(select.as_mut().poll(&mut cx).is_pending());
            let senders = [(tx1.clone(), 1), (tx2.clone(), 2)]
                .map(|(tx, v)| thread::spawn(move || tx.send(v)));
            thread::sleep(SETTLE);
            drop(select); // boxed, so this drops the select itself
            assert_eq!(rx1.recv_timeout(Duration::from_secs(2)), Ok(1), "cap {cap}");
            assert_eq!(rx2.recv_timeout(Duration::from_secs(10)), Ok(2));
            for sender in senders {
                sender.join().unwrap().unwrap();
            }
        }
    }
}

/// Tasks select over several channels (receiving, and sending their own values),
/// racing poll-count timers so that selects are dropped at every stage, while threads
/// and plain futures send and receive too. Every value is dropped exactly once, no
/// value is received twice, and every send reported done was received.
#[test]
fn cancellation_storm_with_selects() {
    for cap in [0, 2] {
        const PRODUCERS: usize = 4;
        const PER: usize = 250;
        let total = PRODUCERS * PER;
        // Selects offer a second value on their other arm, numbered from `total` on.
        let drops: Arc<Vec<AtomicUsize>> =
            Arc::new((0..2 * total).map(|_| AtomicUsize::new(0)).collect());
        let confirmed = Arc::new(Mutex::new(Vec::new()));
        let channels: Vec<_> = (0..3)
            .map(|_| csp_channel::bounded::<Tracked>(cap))
            .collect();
        let txs: Vec<_> = channels.iter().map(|c| c.0.clone()).collect();
        let rxs: Vec<_> = channels.iter().map(|c| c.1.clone()).collect();
        drop(channels);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (txs, drops, confirmed) = (txs.clone(), drops.clone(), confirmed.clone());
                thread::spawn(move || {
                    block_on(async {
                        for i in 0..PER {
                            let id = p * PER + i;
                            let value = Tracked {
                                id,
                                drops: drops.clone(),
                            };
                            let sent = match p {
                                0 => txs[i % 3].send(value).is_ok(),
                                1 => {
                                    let send = pin!(txs[i % 3].send_async(value));
                                    matches!(
                                        future::select(send, ticks(i % 5)).await,
                                        Either::Left((Ok(()), _))
                                    )
                                }
                                _ => {
                                    // Each send arm offers its own value; the one whose
                                    // arm does not commit is dropped with the select.
                                    let other = Tracked {
                                        id: total + id,
                                        drops: drops.clone(),
                                    };
                                    let (a, b) = (&txs[i % 3], &txs[(i + 1) % 3]);
                                    let select = pin!(async {
                                        csp_channel::select_async! {
                                            send(a, value) -> r => r.is_ok().then_some(id),
                                            send(b, other) -> r => r.is_ok().then_some(total + id),
                                        }
                                    });
                                    if let Either::Left((Some(sent), _)) =
                                        future::select(select, ticks(i % 7)).await
                                    {
                                        confirmed.lock().unwrap().push(sent);
                                    }
                                    false
                                }
                            };
                            if sent {
                                confirmed.lock().unwrap().push(id);
                            }
                        }
                    })
                })
            })
            .collect();
        drop(txs);
        let consumers: Vec<_> = (0..3)
            .map(|c| {
                let rxs = rxs.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    let mut open = [true; 3];
                    let mut i = 0;
                    block_on(async {
                        while open.iter().any(|&o| o) {
                            i += 1;
                            let (a, b, d) = (&rxs[0], &rxs[1], &rxs[2]);
                            let guard = open;
                            let select = pin!(async move {
                                csp_channel::select_async! {
                                    recv(a) -> m if guard[0] => (0, m.map(|v| v.id)),
                                    recv(b) -> m if guard[1] => (1, m.map(|v| v.id)),
                                    recv(d) -> m if guard[2] => (2, m.map(|v| v.id)),
                                }
                            });
                            let deadline = if c == 0 { usize::MAX } else { i % 6 };
                            if let Either::Left(((arm, msg), _)) =
                                future::select(select, ticks(deadline)).await
                            {
                                match msg {
                                    Ok(id) => got.push(id),
                                    Err(_) => open[arm] = false,
                                }
                            }
                        }
                    });
                    got
                })
            })
            .collect();
        drop(rxs);
        for p in producers {
            p.join().unwrap();
        }
        let mut received = Vec::new();
        for c in consumers {
            received.extend(c.join().unwrap());
        }
        let set: HashSet<usize> = received.iter().copied().collect();
        assert_eq!(set.len(), received.len(), "a value was received twice");
        for id in confirmed.lock().unwrap().iter() {
            assert!(
                set.contains(id),
                "confirmed send {id} never received (cap {cap})"
            );
        }
        for (id, count) in drops.iter().enumerate() {
            // Only selects (producers 2 and up) made values past `total`.
            let made = id < total || (id - total) / PER >= 2;
            assert_eq!(
                count.load(Ordering::SeqCst),
                usize::from(made),
                "value {id} dropped {count:?} times"
            );
        }
    }
}

/// Polling a waiting select again and again (a task woken by other futures) does not
/// pile alarms up: the task's waker is held once for the deadline, not once a poll.
#[test]
fn repolling_a_timed_select_holds_one_alarm() {
    // Not zero-sized: the alarm thread still holds this waker when the process exits,
    // and LeakSanitizer does not count a pointer to a zero-sized value (just past its
    // allocation's counts) as a reference.
    struct Wakes {
        _size: u8,
    }
    impl futures::task::ArcWake for Wakes {
        fn wake_by_ref(_: &Arc<Self>) {}
    }
    let wakes = Arc::new(Wakes { _size: 0 });
    let waker = futures::task::waker(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let (_keep, idle) = csp_channel::bounded::<u32>(0);
    let mut select = Box::pin(async {
        csp_channel::select_async! {
            recv(idle) -> _ => false,
            default(Duration::from_secs(30)) => true,
        }
    });
    for _ in 0..100 {
        assert!(select.as_mut().poll(&mut cx).is_pending());
    }
    // Ours, the waker's, and a few held by the select (its party, one alarm).
    assert!(
        Arc::strong_count(&wakes) < 8,
        "{} wakers held",
        Arc::strong_count(&wakes)
    );
}

/// A waiting select polled again by another task (moved between tasks, or polled
/// by a combinator that changed its waker) is woken at its deadline through the new
/// waker: the alarm kept for the deadline must not go on naming the old one, whose
/// task may never poll it again.
#[test]
fn a_timed_select_repolled_by_another_task_is_woken_by_its_alarm() {
    struct Flag(std::sync::atomic::AtomicBool);
    impl futures::task::ArcWake for Flag {
        fn wake_by_ref(flag: &Arc<Self>) {
            flag.0.store(true, Ordering::SeqCst);
        }
    }
    let [first, second] = [0, 1].map(|_| Arc::new(Flag(false.into())));
    let (_keep, idle) = csp_channel::bounded::<u32>(0);
    let mut select = Box::pin(async {
        csp_channel::select_async! {
            recv(idle) -> _ => false,
            // Long enough for both polls below even under valgrind, whose first run
            // of a path translates it.
            default(Duration::from_millis(500)) => true,
        }
    });
    for flag in [&first, &second] {
        let waker = futures::task::waker(Arc::clone(flag));
        assert!(
            select
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
    }
    let start = Instant::now();
    while !second.0.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the deadline passed and the task polling the select now was never woken"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// An async select with a send arm may `.await` after choosing; the task stays `Send`,
/// so it can be spawned on multi-threaded executors.
#[test]
fn async_select_futures_are_send() {
    fn assert_send<F: std::future::Future + Send>(future: F) -> F {
        future
    }
    let (tx, rx) = csp_channel::bounded::<u32>(1);
    let sent = block_on(assert_send(async {
        csp_channel::select_async! {
            send(tx, 7) -> sent => sent.is_ok(),
            recv(rx) -> _ => false,
        }
    }));
    assert!(sent);
    assert_eq!(rx.try_recv(), Ok(7));
}

/// An async select waiting for its timeout sleeps (its task is not polled in a loop).
#[cfg(target_os = "linux")]
#[test]
fn a_waiting_async_select_sleeps() {
    const WAIT: Duration = Duration::from_millis(200);
    let (_tx, idle) = csp_channel::bounded::<i32>(0);
    let (_tx1, idle1) = csp_channel::bounded::<i32>(1);
    let before = thread_cpu_ns();
    let timed_out = block_on(async {
        csp_channel::select_async! {
            recv(idle) -> _ => false,
            recv(idle1) -> _ => false,
            recv(idle) -> _ if false => false,
            default(WAIT) => true,
        }
    });
    let ran = Duration::from_nanos(thread_cpu_ns() - before);
    assert!(timed_out);
    assert!(ran < WAIT / 4, "ran {ran:?} of its {WAIT:?} wait");
}

/// A pending async select that is dropped takes every entry out of the queues: a
/// later send meets nobody.
#[test]
fn a_dropped_async_select_leaves_no_entry() {
    let (tx0, rx0) = csp_channel::bounded::<i32>(0);
    let (tx1, rx1) = csp_channel::bounded::<i32>(0);
    {
        let mut select = Box::pin(async {
            csp_channel::select_async! {
                recv(rx0) -> _ => {},
                recv(rx1) -> _ => {},
            }
        });
        let noop = &mut Context::from_waker(futures::task::noop_waker_ref());
        assert!(select.as_mut().poll(noop).is_pending());
    }
    // A send arm is ready only if a receiver waits: none may be left.
    let mut sel = csp_channel::Select::new();
    sel.send(&tx0);
    sel.send(&tx1);
    assert!(sel.try_ready().is_err(), "a dropped select left an entry");
    for tx in [&tx0, &tx1] {
        assert_eq!(
            tx.send_timeout(1, SETTLE),
            Err(csp_channel::SendTimeoutError::Timeout(1))
        );
    }
}

/// A send arm meets a receiver that is waiting but never comes to take the value (an
/// async receive whose task is stuck elsewhere, a thread select that times out): the
/// select must still honour its other arms and its timeout, not wait on that receiver
/// forever. Later receivers see no trace of the withdrawn send.
#[test]
fn a_send_arm_does_not_wait_on_a_receiver_that_never_comes() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let (tx, rx) = csp_channel::bounded::<Tracked>(0);
    let (other_tx, other_rx) = csp_channel::bounded::<u32>(1);
    let mut stuck = Box::pin(rx.recv_async());
    assert!(stuck.as_mut().poll(&mut cx).is_pending());
    let made = AtomicUsize::new(0);
    let drops = Arc::new((0..3).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    // Timeout: the default runs.
    let start = Instant::now();
    let chosen = block_on(async {
        csp_channel::select_async! {
            send(tx, { made.fetch_add(1, Ordering::Relaxed); Tracked { id: 1, drops: Arc::clone(&drops) } }) -> _ => "send",
            default(Duration::from_millis(50)) => "timeout",
        }
    });
    assert_eq!(chosen, "timeout");
    assert!(start.elapsed() < Duration::from_secs(5));
    // Another arm becoming ready wins.
    let feeder = thread::spawn(move || {
        thread::sleep(SETTLE);
        other_tx.send(7).unwrap();
    });
    let chosen = block_on(async {
        csp_channel::select_async! {
            send(tx, { made.fetch_add(1, Ordering::Relaxed); Tracked { id: 2, drops: Arc::clone(&drops) } }) -> _ => 0,
            recv(other_rx) -> v => v.unwrap(),
        }
    });
    assert_eq!(chosen, 7);
    feeder.join().unwrap();
    // A value made for a send that did not happen is dropped, once.
    let dropped: usize = drops.iter().map(|d| d.load(Ordering::Relaxed)).sum();
    assert_eq!(dropped, made.load(Ordering::Relaxed));
    assert!(drops.iter().all(|d| d.load(Ordering::Relaxed) <= 1));
    drop(stuck);
    assert!(rx.try_recv().is_err(), "a withdrawn send left a value");
}

/// An async select's send arm waiting for room on a full ring is notified when a
/// receive frees a slot; dropped before it uses that notification, the select passes
/// it on to the next waiting sender.
#[test]
fn a_dropped_send_select_passes_its_notification_on() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let (tx, rx) = csp_channel::bounded::<u32>(1);
    tx.send(0).unwrap();
    let sender = {
        let tx = tx.clone();
        // A sender left asleep would still get in at its deadline (the room is
        // there), so the test times it.
        move || {
            let start = Instant::now();
            let sent = tx.send_timeout(2, Duration::from_secs(10));
            (sent, start.elapsed() < Duration::from_secs(5))
        }
    };
    let mut select = Box::pin(async {
        csp_channel::select_async! { send(tx, 1) -> r => r }
    });
    assert!(select.as_mut().poll(&mut cx).is_pending());
    let sender = thread::spawn(sender);
    thread::sleep(SETTLE); // the thread waits for room, behind the select
    assert_eq!(rx.recv(), Ok(0)); // notifies the oldest waiter: the select
    drop(select);
    assert_eq!(
        sender.join().unwrap(),
        (Ok(()), true),
        "woken, not timed out"
    );
    assert_eq!(rx.recv(), Ok(2));
}

/// A thread waiting in `Select::ready` for a counterpart learns of an async select
/// that comes and waits on the other side, either way round.
#[test]
fn a_ready_watcher_learns_of_an_async_select() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    for watch_send in [true, false] {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let watcher = {
            let (tx, rx) = (tx.clone(), rx.clone());
            thread::spawn(move || {
                let mut sel = csp_channel::Select::new();
                if watch_send {
                    sel.send(&tx);
                } else {
                    sel.recv(&rx);
                }
                let start = Instant::now();
                let ready = sel.ready_timeout(Duration::from_secs(10));
                (ready.is_ok(), start.elapsed() < Duration::from_secs(5))
            })
        };
        thread::sleep(SETTLE); // the watcher waits
        let mut select = Box::pin(async {
            if watch_send {
                csp_channel::select_async! { recv(rx) -> v => v.is_ok() }
            } else {
                csp_channel::select_async! { send(tx, 1) -> r => r.is_ok() }
            }
        });
        assert!(select.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            watcher.join().unwrap(),
            (true, true),
            "woken, not timed out (watching the send side: {watch_send})"
        );
    }
}

/// A blocked sender queued behind a `Select::ready` watcher: an async select's
/// receive arm takes the sender's value at once.
#[test]
fn an_async_select_finds_a_sender_behind_a_watcher() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let watcher = {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut sel = csp_channel::Select::new();
            sel.send(&tx);
            // Woken when the select passes, it finds no receiver left and waits on.
            let _ = sel.ready_timeout(Duration::from_millis(300));
        })
    };
    thread::sleep(SETTLE); // the watcher waits for a receiver
    let sender = thread::spawn(move || tx.send_timeout(4, Duration::from_secs(10)));
    thread::sleep(SETTLE); // the sender queues behind the watcher
    let mut select = Box::pin(async {
        csp_channel::select_async! { recv(rx) -> v => v }
    });
    assert_eq!(select.as_mut().poll(&mut cx), std::task::Poll::Ready(Ok(4)));
    assert_eq!(sender.join().unwrap(), Ok(()));
    watcher.join().unwrap();
}

/// As `a_thread_never_waits_on_a_stalled_task` (async_ops.rs), for an async select's
/// receive arm: a select polled once and then left pending must not hold a thread
/// that sends, and once polled again it takes a thread's value, once.
#[test]
fn a_thread_never_waits_on_a_stalled_async_select() {
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
    let mut stalled = pin!(async {
        csp_channel::select_async! {
            recv(idle) -> _ => None,
            recv(rx) -> got => got.ok(),
        }
    });
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(stalled.as_mut().poll(&mut cx).is_pending());

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let sender = thread::spawn(move || {
        let full = tx.try_send(1);
        let timed_out = tx.send_timeout(2, Duration::from_millis(50));
        done_tx.send((full, timed_out)).unwrap();
        tx
    });
    // A minute, not milliseconds: this only tells "returned" from "blocked for good".
    assert_eq!(
        done_rx.recv_timeout(Duration::from_secs(60)),
        Ok((
            Err(csp_channel::TrySendError::Full(1)),
            Err(csp_channel::SendTimeoutError::Timeout(2))
        )),
        "a thread was held by an async select that nobody polls"
    );
    let tx = sender.join().unwrap();

    assert!(stalled.as_mut().poll(&mut cx).is_pending());
    let sender = thread::spawn(move || tx.send(3));
    let got = loop {
        match stalled.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(got) => break got,
            std::task::Poll::Pending => thread::sleep(Duration::from_millis(1)),
        }
    };
    assert_eq!(got, Some(3));
    assert_eq!(sender.join().unwrap(), Ok(()));
}

/// Async selects' deadlines are kept by one alarm thread, which sleeps until the
/// earliest: an alarm set earlier than the one it sleeps for must wake it at once, or
/// the short wait lasts as long as the long one.
#[test]
fn an_earlier_alarm_overtakes_a_later_one() {
    const SHORT: Duration = Duration::from_millis(20);
    const LONG: Duration = Duration::from_secs(20);
    let (_tx, idle) = csp_channel::bounded::<i32>(0);
    let noop = &mut Context::from_waker(futures::task::noop_waker_ref());
    let mut long = Box::pin(async {
        csp_channel::select_async! {
            recv(idle) -> _ => unreachable!("nothing is sent"),
            default(LONG) => {},
        }
    });
    assert!(long.as_mut().poll(noop).is_pending());
    thread::sleep(SETTLE); // the alarm thread sleeps until LONG
    let started = Instant::now();
    block_on(async {
        csp_channel::select_async! {
            recv(idle) -> _ => unreachable!("nothing is sent"),
            default(SHORT) => {},
        }
    });
    assert!(
        started.elapsed() < LONG / 4,
        "the short wait took {:?}",
        started.elapsed()
    );
}

/// As the thread select's test: an async select's deadlines (its timer arms and its
/// own `default(timeout)`) combine to the earliest.
#[test]
fn the_earliest_of_an_async_selects_deadlines_wins() {
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
    let fired = block_on(async {
        csp_channel::select_async! {
            recv(idle) -> _ => unreachable!("nothing is sent"),
            recv(csp_channel::after(LONG)) -> _ => "long timer",
            recv(csp_channel::after(SHORT)) -> _ => "short timer",
        }
    });
    assert_eq!(fired, "short timer");
    quick("two timer arms", started);
    let started = Instant::now();
    let fired = block_on(async {
        csp_channel::select_async! {
            recv(csp_channel::after(LONG)) -> _ => "timer",
            default(SHORT) => "timeout",
        }
    });
    assert_eq!(fired, "timeout");
    quick("a long timer arm and a short timeout", started);
    let started = Instant::now();
    let fired = block_on(async {
        csp_channel::select_async! {
            recv(csp_channel::after(SHORT)) -> _ => "timer",
            default(LONG) => "timeout",
        }
    });
    assert_eq!(fired, "timer");
    quick("a short timer arm and a long timeout", started);
}

/// A pending async select that a counterpart completes on one arm, then is dropped
/// before its next poll, takes its entries off every other arm and loses nothing: the
/// value that completed it stays in its channel, or with its sender. A stale entry
/// left on the rendezvous arm would show as a receiver still waiting; on the buffered
/// arms it would point at the freed future, which memcheck (CI runs this suite under
/// it) reports when the next send's notification reads it.
#[test]
fn a_select_completed_then_dropped_leaves_no_entry_behind() {
    for completing in ["ring", "unbounded", "rendezvous"] {
        let (ring_tx, ring_rx) = csp_channel::bounded::<i32>(1);
        let (list_tx, list_rx) = csp_channel::unbounded::<i32>();
        let (zero_tx, zero_rx) = csp_channel::bounded::<i32>(0);
        let mut select = Box::pin(async {
            csp_channel::select_async! {
                recv(ring_rx) -> v => v.unwrap(),
                recv(list_rx) -> v => v.unwrap(),
                recv(zero_rx) -> v => v.unwrap(),
            }
        });
        let noop = &mut Context::from_waker(futures::task::noop_waker_ref());
        assert!(select.as_mut().poll(noop).is_pending());
        let sender = match completing {
            "ring" => {
                ring_tx.try_send(1).unwrap();
                None
            }
            "unbounded" => {
                list_tx.send(1).unwrap();
                None
            }
            _ => {
                let zero_tx = zero_tx.clone();
                let sender = thread::spawn(move || zero_tx.send_timeout(1, 20 * SETTLE));
                // Let it find the select and complete its party.
                thread::sleep(SETTLE);
                Some(sender)
            }
        };
        drop(select);
        if completing != "rendezvous" {
            let mut sel = csp_channel::Select::new();
            sel.send(&zero_tx);
            assert!(
                sel.try_ready().is_err(),
                "completed on {completing}, the dropped select left its rendezvous entry"
            );
        }
        // The buffered arms' next notifications meet no entry of the dropped select.
        ring_tx.try_send(2).ok();
        list_tx.send(3).unwrap();
        let mut got: Vec<i32> = ring_rx.try_iter().chain(list_rx.try_iter()).collect();
        if let Some(sender) = sender {
            got.push(zero_rx.recv_timeout(20 * SETTLE).unwrap());
            assert_eq!(sender.join().unwrap(), Ok(()));
        }
        got.sort_unstable();
        let expected: &[i32] = if completing == "ring" {
            &[1, 3]
        } else {
            &[1, 2, 3]
        };
        assert_eq!(got, expected, "completed on {completing}");
    }
}
