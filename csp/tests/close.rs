//! `close()` from either side (poison): every waiting and later operation fails as
//! disconnected, a send gives its value back, buffered values can still be drained,
//! and selects, async futures and `Select::ready` learn of it at once.

use futures::executor::block_on;
use std::thread;
use std::time::Duration;

/// Long enough for a spawned thread to be blocked in its operation.
const SETTLE: Duration = Duration::from_millis(30);

/// Every kind of channel: rendezvous, buffered, unbounded.
fn channels() -> Vec<(csp_channel::Sender<u32>, csp_channel::Receiver<u32>)> {
    vec![
        csp_channel::bounded(0),
        csp_channel::bounded(2),
        csp_channel::unbounded(),
    ]
}

#[test]
fn closing_from_either_side_fails_a_waiting_send_with_its_value() {
    for by_receiver in [false, true] {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let sender = thread::spawn({
            let tx = tx.clone();
            move || tx.send(1)
        });
        thread::sleep(SETTLE);
        let closed = if by_receiver { rx.close() } else { tx.close() };
        assert!(closed, "the first close closes");
        assert_eq!(sender.join().unwrap(), Err(csp_channel::SendError(1)));
        assert!(!tx.close() && !rx.close(), "closing twice reports false");
        assert!(tx.is_disconnected() && rx.is_disconnected());
    }
}

#[test]
fn closing_wakes_a_waiting_receiver() {
    for (tx, rx) in channels() {
        let receiver = thread::spawn(move || rx.recv());
        thread::sleep(SETTLE);
        assert!(tx.close());
        assert_eq!(receiver.join().unwrap(), Err(csp_channel::RecvError));
    }
}

#[test]
fn buffered_values_can_be_drained_after_close() {
    for (tx, rx) in [csp_channel::bounded::<u32>(4), csp_channel::unbounded()] {
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert!(rx.close());
        assert_eq!(
            tx.try_send(3),
            Err(csp_channel::TrySendError::Disconnected(3))
        );
        assert_eq!(rx.len(), 2);
        assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Disconnected));
    }
}

#[test]
fn a_waiting_select_sees_the_close() {
    for (tx, rx) in channels() {
        let (_idle_tx, idle) = csp_channel::bounded::<u32>(0);
        let selector = thread::spawn(move || {
            csp_channel::select! {
                recv(idle) -> _ => panic!("nothing is sent there"),
                recv(rx) -> msg => msg,
            }
        });
        thread::sleep(SETTLE);
        tx.close();
        assert_eq!(selector.join().unwrap(), Err(csp_channel::RecvError));
    }
}

#[test]
fn a_ready_watcher_sees_the_close() {
    for (tx, rx) in channels() {
        let watcher = thread::spawn(move || {
            let mut sel = csp_channel::Select::new();
            let index = sel.recv(&rx);
            (sel.ready() == index, rx.try_recv())
        });
        thread::sleep(SETTLE);
        tx.close();
        let (ready, got) = watcher.join().unwrap();
        assert!(ready);
        assert_eq!(got, Err(csp_channel::TryRecvError::Disconnected));
    }
}

#[test]
fn async_operations_see_the_close() {
    for (tx, rx) in channels() {
        let closer = thread::spawn({
            let tx = tx.clone();
            move || {
                thread::sleep(SETTLE);
                tx.close();
            }
        });
        assert_eq!(block_on(rx.recv_async()), Err(csp_channel::RecvError));
        closer.join().unwrap();
        assert_eq!(block_on(tx.send_async(5)), Err(csp_channel::SendError(5)));
    }
    // A send future waiting on a full ring gets its value back.
    let (tx, rx) = csp_channel::bounded::<u32>(1);
    tx.send(0).unwrap();
    let closer = thread::spawn(move || {
        thread::sleep(SETTLE);
        rx.close();
        rx
    });
    assert_eq!(block_on(tx.send_async(6)), Err(csp_channel::SendError(6)));
    let rx = closer.join().unwrap();
    assert_eq!(rx.recv(), Ok(0), "what was buffered before the close stays");
}

#[test]
fn a_timer_has_nothing_to_close() {
    let ticker = csp_channel::tick(Duration::from_millis(1));
    assert!(!ticker.close());
    assert!(!ticker.is_disconnected());
    assert!(ticker.recv().is_ok());
}
