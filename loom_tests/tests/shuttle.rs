//! shuttle tests: randomized, replayable schedules of what loom cannot explore — eight
//! threads and more on one channel, selects over sixteen channels, threads and tasks
//! on the same channels with futures cancelled mid-flight, and an executor running many
//! tasks. Every test checks exactly-once delivery: each value sent is received once,
//! none is invented, and a value whose send failed comes back to its sender.
//! Run with `scripts/shuttle.sh` (see `docs/verification.md`).
#![cfg(csp_shuttle)]

use loom_tests::explore;

use csp_executor::Executor;
use futures::task::noop_waker_ref;
use shuttle::sync::Mutex;
use shuttle::thread;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Sorts what was received and checks it is exactly `0..expected`.
fn assert_exactly_once(mut received: Vec<u64>, expected: u64) {
    received.sort_unstable();
    assert_eq!(received, (0..expected).collect::<Vec<_>>());
}

#[test]
fn eight_threads_on_one_channel() {
    const SENDERS: u64 = 4;
    const EACH: u64 = 3;
    // `None`: unbounded.
    for cap in [Some(0), Some(1), Some(3), None] {
        explore(move || {
            let (tx, rx) = match cap {
                Some(cap) => csp_channel::bounded::<u64>(cap),
                None => csp_channel::unbounded(),
            };
            let senders: Vec<_> = (0..SENDERS)
                .map(|s| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        for i in 0..EACH {
                            let value = s * EACH + i;
                            // Odd senders poll with try_send first, then block.
                            if s % 2 == 1 {
                                match tx.try_send(value) {
                                    Ok(()) => continue,
                                    Err(err) => tx.send(err.into_inner()).unwrap(),
                                }
                            } else {
                                tx.send(value).unwrap();
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            let receivers: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    thread::spawn(move || rx.iter().collect::<Vec<_>>())
                })
                .collect();
            drop(rx);
            for sender in senders {
                sender.join().unwrap();
            }
            let received = receivers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect();
            assert_exactly_once(received, SENDERS * EACH);
        });
    }
}

#[test]
fn selects_over_sixteen_channels() {
    const CHANNELS: usize = 16;
    const EACH: u64 = 4;
    explore(|| {
        // Rendezvous and one-slot channels alternate.
        let (txs, rxs): (Vec<_>, Vec<_>) = (0..CHANNELS)
            .map(|i| csp_channel::bounded::<u64>(i % 2))
            .unzip();
        let rxs = Arc::new(rxs);
        // Eight senders, each offering its values on its two channels at once.
        let senders: Vec<_> = txs
            .chunks(2)
            .enumerate()
            .map(|(s, pair)| {
                let pair = pair.to_vec();
                thread::spawn(move || {
                    for i in 0..EACH {
                        let value = s as u64 * EACH + i;
                        let mut select = csp_channel::Select::new();
                        for tx in &pair {
                            select.send(tx);
                        }
                        let op = select.select();
                        let index = op.index();
                        op.send(&pair[index], value).unwrap();
                    }
                })
            })
            .collect();
        drop(txs);
        // Two receivers, each selecting over all sixteen until every one disconnects.
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rxs = Arc::clone(&rxs);
                thread::spawn(move || {
                    let mut got = Vec::new();
                    let mut select = csp_channel::Select::new();
                    for rx in rxs.iter() {
                        select.recv(rx);
                    }
                    let mut open = CHANNELS;
                    while open > 0 {
                        let op = select.select();
                        let index = op.index();
                        match op.recv(&rxs[index]) {
                            Ok(value) => got.push(value),
                            Err(csp_channel::RecvError) => {
                                select.remove(index);
                                open -= 1;
                            }
                        }
                    }
                    got
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        let received = receivers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect();
        assert_exactly_once(received, 8 * EACH);
    });
}

/// Polls `future` once, with a waker that does nothing, then drops it: its output if
/// that one poll finished it.
fn poll_once_and_drop<F: Future>(future: F) -> Option<F::Output> {
    let future = pin!(future);
    match future.poll(&mut Context::from_waker(noop_waker_ref())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[test]
fn threads_and_tasks_with_cancelled_futures() {
    const EACH: u64 = 3;
    const DECOY: u64 = u64::MAX;
    for cap in [0, 1] {
        explore(move || {
            let executor = Executor::new(2);
            // Threads send to tasks on `to_tasks`; tasks forward to threads on `to_threads`.
            let (to_tasks, from_threads) = csp_channel::bounded::<u64>(cap);
            let (to_threads, from_tasks) = csp_channel::bounded::<u64>(cap);
            let forwarders: Vec<_> = (0..2)
                .map(|_| {
                    let rx = from_threads.clone();
                    let tx = to_threads.clone();
                    executor.spawn(async move {
                        // Decoy sends that reported done, and those dropped unfinished.
                        let (mut sent, mut dropped) = (0, 0);
                        loop {
                            // A receive dropped after one poll that found nothing must
                            // not swallow a value.
                            let received = match poll_once_and_drop(rx.recv_async()) {
                                Some(received) => received,
                                None => rx.recv_async().await,
                            };
                            let Ok(value) = received else {
                                return (sent, dropped);
                            };
                            // A send dropped unfinished may still have been taken (the
                            // send happened, unreported) but never delivers twice.
                            match poll_once_and_drop(tx.send_async(DECOY)) {
                                Some(result) => {
                                    result.unwrap();
                                    sent += 1;
                                }
                                None => dropped += 1,
                            }
                            tx.send_async(value).await.unwrap();
                        }
                    })
                })
                .collect();
            drop((from_threads, to_threads));
            let senders: Vec<_> = (0..2)
                .map(|s| {
                    let tx = to_tasks.clone();
                    thread::spawn(move || {
                        for i in 0..EACH {
                            tx.send(s * EACH + i).unwrap();
                        }
                    })
                })
                .collect();
            drop(to_tasks);
            let receiver = thread::spawn(move || from_tasks.iter().collect::<Vec<_>>());
            for sender in senders {
                sender.join().unwrap();
            }
            let (sent, dropped) = forwarders
                .into_iter()
                .map(|f| f.join())
                .fold((0, 0), |(s, d), (s1, d1)| (s + s1, d + d1));
            let mut received = receiver.join().unwrap();
            let delivered = received.iter().filter(|&&v| v == DECOY).count();
            assert!(
                (sent..=sent + dropped).contains(&delivered),
                "{delivered} decoys delivered: {sent} sends finished, {dropped} dropped"
            );
            received.retain(|&v| v != DECOY);
            assert_exactly_once(received, 2 * EACH);
        });
    }
}

#[test]
fn async_selects_racing_threads() {
    const EACH: u64 = 3;
    explore(|| {
        let executor = Executor::new(2);
        let (data_tx, data_rx) = csp_channel::bounded::<u64>(0);
        let (urgent_tx, urgent_rx) = csp_channel::bounded::<u64>(1);
        let received = Arc::new(Mutex::new(Vec::new()));
        // Two tasks select over both channels; every loss cancels the other arm.
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (data_rx, urgent_rx) = (data_rx.clone(), urgent_rx.clone());
                let received = Arc::clone(&received);
                executor.spawn(async move {
                    let (mut data_open, mut urgent_open) = (true, true);
                    while data_open || urgent_open {
                        let got = csp_channel::select_async! {
                            recv(data_rx) -> v if data_open => v.map_err(|_| data_open = false),
                            recv(urgent_rx) -> v if urgent_open => v.map_err(|_| urgent_open = false),
                        };
                        if let Ok(value) = got {
                            received.lock().unwrap().push(value);
                        }
                    }
                })
            })
            .collect();
        // And a thread selects too, with a send arm racing the tasks for `urgent`.
        let thread_select = {
            let data_rx = data_rx.clone();
            let urgent_tx = urgent_tx.clone();
            let received = Arc::clone(&received);
            thread::spawn(move || {
                for value in 2 * EACH..3 * EACH {
                    csp_channel::select! {
                        send(urgent_tx, value) -> sent => sent.unwrap(),
                        recv(data_rx) -> v => {
                            // Once data is disconnected this arm is always ready.
                            if let Ok(v) = v {
                                received.lock().unwrap().push(v);
                            }
                            urgent_tx.send(value).unwrap();
                        }
                    }
                }
            })
        };
        drop((data_rx, urgent_rx));
        let data_sender = thread::spawn(move || {
            for value in 0..EACH {
                data_tx.send(value).unwrap();
            }
        });
        for value in EACH..2 * EACH {
            urgent_tx.send(value).unwrap();
        }
        drop(urgent_tx);
        data_sender.join().unwrap();
        thread_select.join().unwrap();
        for task in tasks {
            task.join();
        }
        let received = std::mem::take(&mut *received.lock().unwrap());
        assert_exactly_once(received, 3 * EACH);
    });
}

#[test]
fn executor_with_many_tasks() {
    const TASKS: usize = 24;
    const LAPS: u64 = 2;
    explore(|| {
        let executor = Executor::new(3);
        // A ring of tasks passing a counter over rendezvous channels, each adding one.
        let (txs, rxs): (Vec<_>, Vec<_>) =
            (0..=TASKS).map(|_| csp_channel::bounded::<u64>(0)).unzip();
        let first = txs[0].clone();
        let last = rxs[TASKS].clone();
        let spawner = executor.spawner();
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let (rx, tx) = (rxs[i].clone(), txs[i + 1].clone());
                // Half the tasks are spawned from inside another task.
                let inner = spawner.clone();
                executor.spawn(async move {
                    let ring = async move {
                        for _ in 0..LAPS {
                            let token = rx.recv_async().await.unwrap();
                            tx.send_async(token + 1).await.unwrap();
                        }
                    };
                    if i % 2 == 0 {
                        ring.await;
                    } else {
                        inner.spawn(ring).await;
                    }
                })
            })
            .collect();
        drop((txs, rxs));
        let mut token = 0;
        for _ in 0..LAPS {
            first.send(token).unwrap();
            token = last.recv().unwrap();
        }
        assert_eq!(token, TASKS as u64 * LAPS);
        for handle in handles {
            handle.join();
        }
    });
}

/// A non-blocking select (`default`) over a buffered channel `a` that holds a value
/// until a thief steals it, and a rendezvous `b` whose sender (an async send, polled
/// so that it waits in `b`'s queue) the thief puts in place first: some arm is ready
/// at every instant, so the select must commit one (`crate::select`'s witnesses).
/// Both arm orders come up, as shuttle drives select's shuffle.
#[test]
fn a_non_blocking_select_sees_a_sender_that_arrives_meanwhile() {
    explore(|| {
        let (a_tx, a_rx) = csp_channel::bounded::<u32>(1);
        let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
        a_tx.send(1).unwrap();
        let a_thief = a_rx.clone();
        let (over_tx, over_rx) = csp_channel::bounded::<()>(0);
        let thief = thread::spawn(move || {
            let stolen = {
                let mut send = pin!(b_tx.send_async(2));
                let first = send
                    .as_mut()
                    .poll(&mut Context::from_waker(noop_waker_ref()));
                assert!(first.is_pending(), "nobody receives from `b` yet");
                let stolen = a_thief.try_recv().ok();
                // `b` stays ready until the select is over; then dropping the send
                // withdraws it, unless the select took its value.
                let _ = over_rx.recv();
                stolen
            };
            // `b` stays connected until the thief is joined.
            (stolen, b_tx)
        });
        let got = csp_channel::select! {
            recv(a_rx) -> msg => Some(msg.unwrap()),
            recv(b_rx) -> msg => Some(msg.unwrap()),
            default => None,
        };
        assert!(
            got.is_some(),
            "default ran, but an arm was ready throughout"
        );
        drop(over_tx);
        let (stolen, _b_tx) = thief.join().unwrap();
        let mut ones: Vec<u32> = got.into_iter().chain(stolen).collect();
        ones.extend(a_rx.try_recv().ok());
        ones.retain(|&v| v == 1);
        assert_eq!(ones, [1], "the value in `a` is received exactly once");
    });
}

/// Timed sends and receives (and a select with a timer arm) among five threads: under
/// shuttle no real time passes, and a timeout fires where its wait would sleep
/// (`csp/src/sync.rs`, "model clock"), so some schedules see sends time out and some
/// none. Every value is received exactly once or comes back to its sender.
#[test]
fn timed_operations_time_out_in_some_schedules_and_lose_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    const SENDERS: u64 = 3;
    const EACH: u64 = 2;
    const SECOND: Duration = Duration::from_secs(1);
    for cap in [0, 1] {
        // Schedules in which some send timed out, and in which none did.
        let endings = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let seen = Arc::clone(&endings);
        explore(move || {
            let (tx, rx) = csp_channel::bounded::<u64>(cap);
            let senders: Vec<_> = (0..SENDERS)
                .map(|s| {
                    let tx = tx.clone();
                    thread::spawn(move || {
                        (0..EACH)
                            .filter_map(|i| tx.send_timeout(s * EACH + i, SECOND).err())
                            .map(|err| err.into_inner())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            drop(tx);
            let receivers: Vec<_> = (0..2)
                .map(|r| {
                    let rx = rx.clone();
                    thread::spawn(move || {
                        let mut got = Vec::new();
                        loop {
                            let next = if r == 0 {
                                rx.recv_timeout(SECOND).ok()
                            } else {
                                csp_channel::select! {
                                    recv(rx) -> msg => msg.ok(),
                                    recv(csp_channel::after(SECOND)) -> _ => None,
                                }
                            };
                            match next {
                                Some(value) => got.push(value),
                                None => return got,
                            }
                        }
                    })
                })
                .collect();
            let failed: Vec<u64> = senders
                .into_iter()
                .flat_map(|s| s.join().unwrap())
                .collect();
            seen[usize::from(failed.is_empty())].fetch_add(1, Ordering::Relaxed);
            let mut all: Vec<u64> = receivers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect();
            // A buffered value whose receivers timed out is still there.
            all.extend(rx.try_iter());
            all.extend(failed);
            assert_exactly_once(all, SENDERS * EACH);
        });
        let [some, none] = [0, 1].map(|k| endings[k].load(Ordering::Relaxed));
        assert!(
            some > 0 && none > 0,
            "bounded({cap}): schedules with a send timeout {some}, without {none}"
        );
    }
}
