//! Async send and receive on the same channels as threads: task/thread traffic both
//! ways, tasks meeting tasks and selects, and a cancellation storm in which every
//! value is accounted for.

mod common;

use common::{Tracked, ticks};

use futures::executor::block_on;
use futures::future::{self, Either};
use std::collections::HashSet;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

const SETTLE: Duration = Duration::from_millis(20);

#[test]
fn tasks_and_threads_meet_both_ways() {
    for cap in [0, 1, 4] {
        let (tx, rx) = csp_channel::bounded::<u32>(cap);
        let receiver = thread::spawn(move || (0..100).map(|_| rx.recv().unwrap()).sum::<u32>());
        block_on(async {
            for i in 0..100 {
                tx.send_async(i).await.unwrap();
            }
        });
        assert_eq!(receiver.join().unwrap(), (0..100).sum());

        let (tx, rx) = csp_channel::bounded::<u32>(cap);
        let sender = thread::spawn(move || (0..100).for_each(|i| tx.send(i).unwrap()));
        let sum = block_on(async {
            let mut sum = 0;
            while let Ok(v) = rx.recv_async().await {
                sum += v;
            }
            sum
        });
        assert_eq!(sum, (0..100).sum());
        sender.join().unwrap();
    }
}

/// An unbounded channel from tasks: a send never waits, a receive waits for a thread's
/// value, and an async select over it wakes for one.
#[test]
fn tasks_use_unbounded_channels() {
    let (tx, rx) = csp_channel::unbounded::<u32>();
    block_on(async {
        for i in 0..1000 {
            tx.send_async(i).await.unwrap(); // never pending
        }
    });
    assert_eq!(rx.len(), 1000);
    assert_eq!(rx.try_iter().sum::<u32>(), (0..1000).sum());

    let sender = thread::spawn(move || {
        thread::sleep(SETTLE);
        tx.send(7).unwrap();
        thread::sleep(SETTLE);
        tx.send(8).unwrap();
    });
    let (first, second) = block_on(async {
        let first = rx.recv_async().await.unwrap();
        let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
        let second = csp_channel::select_async! {
            recv(idle) -> _ => panic!("nothing is sent there"),
            recv(rx) -> msg => msg.unwrap(),
        };
        (first, second)
    });
    assert_eq!((first, second), (7, 8));
    sender.join().unwrap();
    assert_eq!(block_on(rx.recv_async()), Err(csp_channel::RecvError));
}

#[test]
fn tasks_meet_tasks_on_one_thread() {
    for cap in [0, 2] {
        let (tx, rx) = csp_channel::bounded::<u32>(cap);
        block_on(async {
            // Either order of first poll: the send first, then the receive first.
            let (sent, got) = future::join(tx.send_async(1), rx.recv_async()).await;
            assert_eq!((sent, got), (Ok(()), Ok(1)));
            let (got, sent) = future::join(rx.recv_async(), tx.send_async(2)).await;
            assert_eq!((sent, got), (Ok(()), Ok(2)));
        });
    }
}

#[test]
fn a_rendezvous_send_future_waits_for_the_receive() {
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut send = pin!(tx.send_async(3));
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    assert!(send.as_mut().poll(&mut cx).is_pending());
    assert!(send.as_mut().poll(&mut cx).is_pending(), "no receiver yet");
    assert_eq!(rx.recv(), Ok(3));
    assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
}

#[test]
fn dropped_futures_leave_no_trace() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    for cap in [0, 1] {
        // A receive polled, then dropped: the next send goes to the next receiver.
        let (tx, rx) = csp_channel::bounded::<u32>(cap);
        {
            let mut recv = pin!(rx.recv_async());
            assert!(recv.as_mut().poll(&mut cx).is_pending());
        }
        tx.try_send(1).unwrap_or_else(|_| {
            // A rendezvous has no receiver now: a thread must come.
            let rx = rx.clone();
            let t = thread::spawn(move || rx.recv());
            thread::sleep(SETTLE);
            tx.send(1).unwrap();
            assert_eq!(t.join().unwrap(), Ok(1));
        });
        if cap > 0 {
            assert_eq!(rx.try_recv(), Ok(1));
        }
        // A send polled, then dropped: its value is gone with it.
        {
            let mut send = pin!(tx.send_async(2));
            let _ = send.as_mut().poll(&mut cx);
        }
        if cap == 0 {
            assert!(
                rx.try_recv().is_err(),
                "a dropped rendezvous send left a value"
            );
        } else {
            // The buffered send completed on its first poll: it did send.
            assert_eq!(rx.try_recv(), Ok(2));
        }
    }
}

/// A thread sender commits to an async receive, which is then dropped: the sender
/// starts over and its value goes to the next receiver, not into the dropped future.
#[test]
fn a_sender_that_chose_a_dropped_receive_starts_over() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut recv = Box::pin(rx.recv_async());
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    let sender = thread::spawn(move || tx.send(7));
    thread::sleep(SETTLE); // the sender claims the queued receive and waits for it
    drop(recv);
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7));
    assert_eq!(sender.join().unwrap(), Ok(()));
}

#[test]
fn selects_meet_tasks() {
    // A select receiving meets an async send, and a select sending meets an async
    // receive (which nudges the select and waits to be claimed).
    for select_first in [false, true] {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (_keep, idle) = csp_channel::bounded::<u32>(0);
        let selector = thread::spawn(move || {
            csp_channel::select! {
                recv(idle) -> _ => panic!("nothing is sent there"),
                recv(rx) -> msg => msg,
            }
        });
        if select_first {
            thread::sleep(SETTLE);
        }
        block_on(tx.send_async(4)).unwrap();
        assert_eq!(selector.join().unwrap(), Ok(4));

        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let (idle, _keep) = csp_channel::bounded::<u32>(0);
        let selector = thread::spawn(move || {
            csp_channel::select! {
                send(idle, 0) -> _ => panic!("nobody receives there"),
                send(tx, 5) -> res => res,
            }
        });
        if select_first {
            thread::sleep(SETTLE);
        }
        assert_eq!(block_on(rx.recv_async()), Ok(5));
        assert_eq!(selector.join().unwrap(), Ok(()));
    }
}

/// Producer and consumer tasks whose operations race short timers, so that futures
/// are dropped at every stage; plain threads join in. Every value is dropped exactly
/// once (none duplicated or leaked), received at most once, and every send that
/// reported success was received.
#[test]
fn cancellation_storm_accounts_for_every_value() {
    for cap in [0, 1, 3] {
        const PRODUCERS: usize = 4;
        const PER: usize = 300;
        let total = PRODUCERS * PER;
        let drops: Arc<Vec<AtomicUsize>> =
            Arc::new((0..total).map(|_| AtomicUsize::new(0)).collect());
        let confirmed = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = csp_channel::bounded::<Tracked>(cap);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (tx, drops, confirmed) = (tx.clone(), drops.clone(), confirmed.clone());
                thread::spawn(move || {
                    block_on(async {
                        for i in 0..PER {
                            let id = p * PER + i;
                            let value = Tracked {
                                id,
                                drops: drops.clone(),
                            };
                            if p == 0 {
                                // One producer is a plain thread sender.
                                tx.send(value).unwrap();
                                confirmed.lock().unwrap().push(id);
                                continue;
                            }
                            let send = pin!(tx.send_async(value));
                            let timer = pin!(ticks(i % 7));
                            if let Either::Left((sent, _)) = future::select(send, timer).await {
                                sent.unwrap();
                                confirmed.lock().unwrap().push(id);
                            }
                        }
                    })
                })
            })
            .collect();
        drop(tx);
        let consumers: Vec<_> = (0..3)
            .map(|c| {
                let rx = rx.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    block_on(async {
                        let mut i = 0;
                        loop {
                            i += 1;
                            if c == 0 {
                                match rx.recv() {
                                    Ok(v) => got.push(v.id),
                                    Err(_) => break,
                                }
                                continue;
                            }
                            let recv = pin!(rx.recv_async());
                            let timer = pin!(ticks(i % 5));
                            match future::select(recv, timer).await {
                                Either::Left((Ok(v), _)) => got.push(v.id),
                                Either::Left((Err(_), _)) => break,
                                Either::Right(_) => {}
                            }
                        }
                    });
                    got
                })
            })
            .collect();
        drop(rx);
        for p in producers {
            p.join().unwrap();
        }
        let mut received = Vec::new();
        for c in consumers {
            received.extend(c.join().unwrap());
        }
        let received_set: HashSet<usize> = received.iter().copied().collect();
        assert_eq!(
            received_set.len(),
            received.len(),
            "a value was received twice"
        );
        for id in confirmed.lock().unwrap().iter() {
            assert!(
                received_set.contains(id),
                "confirmed send {id} was never received"
            );
        }
        for (id, count) in drops.iter().enumerate() {
            assert_eq!(
                count.load(Ordering::SeqCst),
                1,
                "value {id} dropped {count:?} times"
            );
        }
    }
}

/// A waker that counts its clones, drops and wake-ups.
#[derive(Default)]
struct Counts {
    clones: AtomicUsize,
    drops: AtomicUsize,
    wakes: AtomicUsize,
}

fn counting_waker(counts: &Arc<Counts>) -> std::task::Waker {
    use std::task::{RawWaker, RawWakerVTable};
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);
    unsafe fn clone(p: *const ()) -> RawWaker {
        // SAFETY: `p` came from `Arc::into_raw` and its waker is alive.
        let counts = unsafe { &*(p as *const Counts) };
        counts.clones.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above; the new waker owns the added count.
        unsafe { Arc::increment_strong_count(p as *const Counts) };
        RawWaker::new(p, &VTABLE)
    }
    unsafe fn wake(p: *const ()) {
        // SAFETY: as in `clone`.
        unsafe { wake_by_ref(p) };
        // SAFETY: `wake` consumes the waker.
        unsafe { drop_waker(p) };
    }
    unsafe fn wake_by_ref(p: *const ()) {
        // SAFETY: as in `clone`.
        unsafe { &*(p as *const Counts) }
            .wakes
            .fetch_add(1, Ordering::SeqCst);
    }
    unsafe fn drop_waker(p: *const ()) {
        // SAFETY: as in `clone`; this waker owned one count.
        let counts = unsafe { Arc::from_raw(p as *const Counts) };
        counts.drops.fetch_add(1, Ordering::SeqCst);
    }
    let raw = RawWaker::new(Arc::into_raw(counts.clone()) as *const (), &VTABLE);
    // SAFETY: the vtable keeps the RawWaker contract over an `Arc<Counts>`.
    unsafe { std::task::Waker::from_raw(raw) }
}

/// Re-polled with a new waker, a waiting future is woken through the new one; every
/// clone the channel took of either waker is dropped exactly once.
#[test]
fn wakers_are_replaced_on_repoll_and_never_leaked() {
    for cap in [0, 1] {
        let (first, second) = (Arc::new(Counts::default()), Arc::new(Counts::default()));
        {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let (w1, w2) = (counting_waker(&first), counting_waker(&second));
            let mut recv = Box::pin(rx.recv_async());
            assert!(
                recv.as_mut()
                    .poll(&mut Context::from_waker(&w1))
                    .is_pending()
            );
            // A spurious re-poll with the same waker keeps it; a new waker replaces it.
            assert!(
                recv.as_mut()
                    .poll(&mut Context::from_waker(&w1))
                    .is_pending()
            );
            assert!(
                recv.as_mut()
                    .poll(&mut Context::from_waker(&w2))
                    .is_pending()
            );
            let sender = thread::spawn(move || tx.send(5));
            while second.wakes.load(Ordering::SeqCst) == 0 {
                thread::yield_now();
            }
            assert_eq!(
                first.wakes.load(Ordering::SeqCst),
                0,
                "the stale waker was woken"
            );
            assert_eq!(
                recv.as_mut().poll(&mut Context::from_waker(&w2)),
                Poll::Ready(Ok(5))
            );
            sender.join().unwrap().unwrap();
        }
        for counts in [&first, &second] {
            // Every clone was dropped, and the original too: nothing leaked or doubled.
            assert_eq!(
                counts.drops.load(Ordering::SeqCst),
                counts.clones.load(Ordering::SeqCst) + 1
            );
        }
        assert_eq!(
            first.clones.load(Ordering::SeqCst),
            1,
            "the same waker was cloned again"
        );
    }
}

/// A future dropped while it waits drops the clone of its waker the channel kept, and
/// a future that never waited took none: parties hold a no-op waker of csp's own until
/// they sleep, and dropping one must tell the two apart.
#[test]
fn a_dropped_waiting_future_drops_its_waker() {
    for cap in [0, 1] {
        let counts = Arc::new(Counts::default());
        {
            let (tx, rx) = csp_channel::bounded::<u32>(cap);
            let waker = counting_waker(&counts);
            let mut cx = Context::from_waker(&waker);
            if cap == 1 {
                // Fill the ring, so that the send below waits.
                assert!(Box::pin(tx.send_async(0)).as_mut().poll(&mut cx).is_ready());
                assert_eq!(
                    counts.clones.load(Ordering::SeqCst),
                    0,
                    "a ready send kept a waker"
                );
            }
            let mut send = Box::pin(tx.send_async(1));
            assert!(send.as_mut().poll(&mut cx).is_pending());
            drop(send);
            if cap == 1 {
                assert_eq!(rx.try_recv(), Ok(0));
            }
            let mut recv = Box::pin(rx.recv_async());
            assert!(recv.as_mut().poll(&mut cx).is_pending());
            drop(recv);
            assert_eq!(counts.clones.load(Ordering::SeqCst), 2, "cap {cap}");
            assert_eq!(counts.wakes.load(Ordering::SeqCst), 0, "cap {cap}");
        }
        assert_eq!(
            counts.drops.load(Ordering::SeqCst),
            3,
            "cap {cap}: two clones and the original, each dropped once"
        );
    }
}

#[test]
fn streams_and_sinks_carry_every_value_then_end() {
    use futures::stream::FusedStream;
    use futures::{SinkExt, StreamExt};
    for cap in [0, 2] {
        let (tx, rx) = csp_channel::bounded::<u32>(cap);
        let mut stream = rx.into_stream();
        assert!(!stream.is_terminated());
        let producer = thread::spawn(move || {
            block_on(async move {
                let mut sink = tx.into_sink();
                for i in 0..50 {
                    sink.feed(i).await.unwrap();
                }
                sink.close().await.unwrap();
            })
        });
        let all: Vec<u32> = block_on((&mut stream).collect());
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        assert!(stream.is_terminated(), "the stream ended with its senders");
        assert_eq!(block_on(stream.next()), None);
        producer.join().unwrap();
    }
}

/// `flush` and `close` return only once the value is sent: on a rendezvous channel,
/// once a receiver has it, so dropping the sink afterwards cannot take it back.
#[test]
fn a_flushed_or_closed_sink_has_delivered() {
    use futures::SinkExt;
    for close in [false, true] {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let receiver = thread::spawn(move || rx.recv());
        let mut sink = tx.into_sink();
        block_on(async {
            sink.feed(7).await.unwrap();
            if close {
                sink.close().await.unwrap();
            } else {
                sink.flush().await.unwrap();
            }
        });
        drop(sink);
        assert_eq!(receiver.join().unwrap(), Ok(7), "close: {close}");
    }
}

/// A stream or sink dropped while it waits leaves no entry behind: its value (a
/// sink's) is dropped once with it, and later operations meet nobody.
#[test]
fn dropped_streams_and_sinks_leave_no_trace() {
    use futures::{Sink, Stream};
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let drops = Arc::new((0..2).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    let tracked = |id| Tracked {
        id,
        drops: Arc::clone(&drops),
    };
    let (tx, rx) = csp_channel::bounded::<Tracked>(0);
    {
        let mut stream = rx.clone().into_stream();
        assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending());
    }
    match tx.send_timeout(tracked(0), SETTLE) {
        Err(csp_channel::SendTimeoutError::Timeout(value)) => assert_eq!(value.id, 0),
        other => panic!("a dropped stream received: {:?}", other.is_ok()),
    }
    assert_eq!(drops[0].load(Ordering::SeqCst), 1);
    {
        let mut sink = tx.clone().into_sink();
        assert!(Pin::new(&mut sink).poll_ready(&mut cx).is_ready());
        Pin::new(&mut sink).start_send(tracked(1)).unwrap();
        assert!(Pin::new(&mut sink).poll_flush(&mut cx).is_pending());
    }
    assert_eq!(
        drops[1].load(Ordering::SeqCst),
        1,
        "the sink dropped its value"
    );
    assert!(rx.recv_timeout(SETTLE).is_err(), "a dropped sink sent");
    assert_eq!(drops[1].load(Ordering::SeqCst), 1, "dropped exactly once");
}

/// A waker that records that it was woken.
struct Flag(std::sync::atomic::AtomicBool);

impl futures::task::ArcWake for Flag {
    fn wake_by_ref(flag: &Arc<Self>) {
        flag.0.store(true, Ordering::SeqCst);
    }
}

/// An async send nudges the oldest async receive and queues itself; if that receive
/// is dropped before it comes for the value, the nudge passes to the next one.
#[test]
fn a_dropped_receive_passes_its_nudge_on() {
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut first = Box::pin(rx.recv_async());
    let mut second = Box::pin(rx.recv_async());
    let mut send = Box::pin(tx.send_async(7));
    let noop = &mut Context::from_waker(futures::task::noop_waker_ref());
    let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let flag_waker = futures::task::waker(Arc::clone(&flag));
    let flagged = &mut Context::from_waker(&flag_waker);
    assert!(first.as_mut().poll(noop).is_pending());
    assert!(second.as_mut().poll(flagged).is_pending());
    assert!(
        send.as_mut().poll(noop).is_pending(),
        "async sends always queue"
    );
    assert!(
        !flag.0.load(Ordering::SeqCst),
        "the oldest receive was nudged"
    );
    drop(first);
    assert!(
        flag.0.load(Ordering::SeqCst),
        "the nudge passed to the next receive"
    );
    assert_eq!(second.as_mut().poll(flagged), Poll::Ready(Ok(7)));
    assert_eq!(send.as_mut().poll(noop), Poll::Ready(Ok(())));
}

/// On a buffered or unbounded channel a value (or room) notifies the oldest waiting
/// future; if that future is dropped before it polls again, the notification passes
/// to the next waiter, which would otherwise sleep beside the value (or the room).
#[test]
fn a_dropped_future_passes_its_notification_on() {
    let noop = &mut Context::from_waker(futures::task::noop_waker_ref());
    let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let flag_waker = futures::task::waker(Arc::clone(&flag));
    let flagged = &mut Context::from_waker(&flag_waker);
    let channels = || [csp_channel::bounded::<u32>(1), csp_channel::unbounded()];
    for (kind, (tx, rx)) in ["ring", "unbounded"].into_iter().zip(channels()) {
        flag.0.store(false, Ordering::SeqCst);
        let mut first = Box::pin(rx.recv_async());
        let mut second = Box::pin(rx.recv_async());
        assert!(first.as_mut().poll(noop).is_pending());
        assert!(second.as_mut().poll(flagged).is_pending());
        tx.try_send(7).unwrap();
        assert!(
            !flag.0.load(Ordering::SeqCst),
            "{kind}: the oldest was notified"
        );
        drop(first);
        assert!(
            flag.0.load(Ordering::SeqCst),
            "{kind}: passed to the next receive"
        );
        assert_eq!(second.as_mut().poll(flagged), Poll::Ready(Ok(7)), "{kind}");
    }
    // Room, on a full ring.
    flag.0.store(false, Ordering::SeqCst);
    let (tx, rx) = csp_channel::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    let mut first = Box::pin(tx.send_async(2));
    let mut second = Box::pin(tx.send_async(3));
    assert!(first.as_mut().poll(noop).is_pending());
    assert!(second.as_mut().poll(flagged).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(
        !flag.0.load(Ordering::SeqCst),
        "the oldest send was notified"
    );
    drop(first);
    assert!(flag.0.load(Ordering::SeqCst), "passed to the next send");
    assert_eq!(second.as_mut().poll(flagged), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(3));
}

/// An async send meets async receives queued ahead of a blocked thread: it serves
/// the thread (or nudges a receive, which is then dropped). The thread must get the
/// value, never a false disconnection nor a wait for nobody, and the send completes.
#[test]
fn a_nudge_passed_on_never_fakes_a_disconnection() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    for ahead in [1, 2] {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let mut recvs: Vec<_> = (0..ahead).map(|_| Box::pin(rx.recv_async())).collect();
        for recv in &mut recvs {
            assert!(recv.as_mut().poll(&mut cx).is_pending());
        }
        let receiver = {
            let rx = rx.clone();
            thread::spawn(move || rx.recv_timeout(Duration::from_secs(10)))
        };
        thread::sleep(SETTLE); // the thread queues behind the async receives
        let mut send = pin!(tx.send_async(5));
        let first = send.as_mut().poll(&mut cx);
        drop(recvs);
        assert_eq!(receiver.join().unwrap(), Ok(5), "{ahead} ahead");
        if first.is_pending() {
            assert_eq!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
        }
    }
}

/// A blocked thread's receive queued behind a pending receive future is served first
/// by a thread's send (a thread never waits on a task); the future keeps its place,
/// and the next send reaches it. Dropped from the queue instead, it would wait for
/// good: registered, as it believes, yet in no queue.
#[test]
fn a_receive_future_passed_over_keeps_its_place() {
    let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let flag_waker = futures::task::waker(Arc::clone(&flag));
    let flagged = &mut Context::from_waker(&flag_waker);
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut pending = Box::pin(rx.recv_async());
    assert!(pending.as_mut().poll(flagged).is_pending());
    let receiver = {
        let rx = rx.clone();
        thread::spawn(move || rx.recv())
    };
    thread::sleep(SETTLE); // the thread queues behind the future
    tx.send(1).unwrap();
    assert_eq!(receiver.join().unwrap(), Ok(1), "the blocked thread first");
    assert!(!flag.0.load(Ordering::SeqCst), "the future was passed over");
    let sender = thread::spawn(move || tx.send(2));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.0.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the next send never reached the future"
        );
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(pending.as_mut().poll(flagged), Poll::Ready(Ok(2)));
    sender.join().unwrap().unwrap();
}

/// A thread select's send arm chooses an async receive, which is then dropped before
/// it takes the value: the select still keeps its own deadline, and gives the value
/// back in the error when no other receiver comes in time.
#[test]
fn a_select_that_chose_a_dropped_receive_keeps_its_deadline() {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut recv = Box::pin(rx.recv_async());
    assert!(recv.as_mut().poll(&mut cx).is_pending());
    let (done_tx, done) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let sent = csp_channel::select! {
            send(tx, 7) -> sent => sent,
            default(Duration::from_millis(100)) => panic!("a receiver was waiting"),
        };
        done_tx.send(sent).unwrap();
    });
    thread::sleep(SETTLE); // the select chose the queued receive and waits for it
    drop(recv);
    let sent = done.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        sent,
        Ok(Err(csp_channel::SendError(7))),
        "the value comes back in time"
    );
}

/// A receive future that was polled once and then left pending (its task stalled
/// elsewhere, never polling it again, never dropping it) must not hold a thread: a
/// `try_send` fails at once and a `send_timeout` times out on time, each giving its
/// value back; once the future is polled again it takes a value a thread sends, once.
#[test]
fn a_thread_never_waits_on_a_stalled_task() {
    let drops = Arc::new((0..3).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>());
    let tracked = {
        let drops = Arc::clone(&drops);
        move |id| Tracked {
            id,
            drops: Arc::clone(&drops),
        }
    };
    let (tx, rx) = csp_channel::bounded::<Tracked>(0);
    let mut stalled = pin!(rx.recv_async());
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(stalled.as_mut().poll(&mut cx).is_pending());

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let make = tracked.clone();
    let sender = thread::spawn(move || {
        let full = tx.try_send(make(0));
        let kept = matches!(&full, Err(csp_channel::TrySendError::Full(v)) if v.id == 0);
        let timed_out = tx.send_timeout(make(1), Duration::from_millis(50));
        let kept_too =
            matches!(&timed_out, Err(csp_channel::SendTimeoutError::Timeout(v)) if v.id == 1);
        done_tx.send((kept, kept_too)).unwrap();
        tx
    });
    // A minute, not milliseconds: this only tells "returned" from "blocked for good".
    let outcome = done_rx.recv_timeout(Duration::from_secs(60));
    assert_eq!(
        outcome,
        Ok((true, true)),
        "a thread was held by a receive future that nobody polls"
    );
    let tx = sender.join().unwrap();
    assert_eq!(drops[0].load(Ordering::SeqCst), 1);
    assert_eq!(drops[1].load(Ordering::SeqCst), 1);

    // Nothing was delivered meanwhile; a send now meets the future once it is polled.
    assert!(stalled.as_mut().poll(&mut cx).is_pending());
    let sender = thread::spawn(move || tx.send(tracked(2)).is_ok());
    let got = loop {
        match stalled.as_mut().poll(&mut cx) {
            Poll::Ready(got) => break got.unwrap(),
            Poll::Pending => thread::sleep(Duration::from_millis(1)),
        }
    };
    assert_eq!(got.id, 2);
    assert!(sender.join().unwrap());
    assert_eq!(drops[2].load(Ordering::SeqCst), 0);
    drop(got);
    assert_eq!(drops[2].load(Ordering::SeqCst), 1);
}

/// `try_send` passes over a pending receive future (which takes a value only when
/// polled) to a thread's select waiting behind it, which can take the value at once.
#[test]
fn try_send_reaches_a_thread_select_behind_a_pending_receive_future() {
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut pending = pin!(rx.recv_async());
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(pending.as_mut().poll(&mut cx).is_pending());

    let select_rx = rx.clone();
    let selecting = thread::spawn(move || {
        let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
        csp_channel::select! {
            recv(idle) -> _ => None,
            recv(select_rx) -> got => got.ok(),
        }
    });
    // Until the select has registered, there is nobody to take the value at once.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut value = 7;
    loop {
        match tx.try_send(value) {
            Ok(()) => break,
            Err(csp_channel::TrySendError::Full(v)) if std::time::Instant::now() < deadline => {
                value = v;
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("try_send never reached the select: {e:?}"),
        }
    }
    assert_eq!(selecting.join().unwrap(), Some(7));
    assert!(pending.as_mut().poll(&mut cx).is_pending());
}

/// A thread `select!` whose send arm is chosen for a receive future that stays
/// pending does not wait on it either: the arm waits within the select's deadline and
/// gives the value back if nobody takes it; a select without deadline delivers to the
/// future once the future is polled again.
#[test]
fn a_thread_select_never_waits_on_a_stalled_task() {
    let (tx, rx) = csp_channel::bounded::<u32>(0);
    let mut stalled = pin!(rx.recv_async());
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(stalled.as_mut().poll(&mut cx).is_pending());

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let selecting = thread::spawn(move || {
        let outcome = csp_channel::select! {
            send(tx, 5) -> sent => sent.map_err(|e| e.into_inner()),
            default(Duration::from_millis(50)) => Err(0),
        };
        done_tx.send(outcome).unwrap();
        tx
    });
    // A minute, not milliseconds: this only tells "returned" from "blocked for good".
    let outcome = done_rx.recv_timeout(Duration::from_secs(60));
    // The pending future was queued first, so the send arm is chosen, and its value
    // comes back when nobody takes it within the select's deadline.
    assert_eq!(
        outcome,
        Ok(Err(5)),
        "a thread select was held by a receive future that nobody polls"
    );
    let tx = selecting.join().unwrap();

    assert!(stalled.as_mut().poll(&mut cx).is_pending());
    let selecting = thread::spawn(move || {
        csp_channel::select! {
            send(tx, 6) -> sent => sent.is_ok(),
        }
    });
    let got = loop {
        match stalled.as_mut().poll(&mut cx) {
            Poll::Ready(got) => break got,
            Poll::Pending => thread::sleep(Duration::from_millis(1)),
        }
    };
    assert_eq!(got, Ok(6));
    assert!(selecting.join().unwrap());
}
