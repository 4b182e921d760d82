//! A user's failing loom model fails once, with loom's message or the user's, so
//! `#[should_panic]` works and the test binary goes on: csp's handles and wakers,
//! dropped while loom tears a failed model down, leave loom alone (`csp/src/sync.rs`,
//! `model_unwinding`). Before, each of these aborted the whole test binary with
//! "panic in a destructor during cleanup". (A model that holds loom's own `Arc` or
//! atomics in a deadlocked thread still aborts: that is loom's, loom#291.)
#![cfg(csp_loom)]

/// Two threads each wait to receive from the other before sending: loom reports the
/// deadlock.
#[test]
#[should_panic(expected = "deadlock")]
fn a_deadlocked_model_fails_with_loom_s_message() {
    loom::model(|| {
        let (a_tx, a_rx) = csp_channel::bounded::<u32>(0);
        let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
        let other = loom::thread::spawn(move || {
            let _ = a_rx.recv();
            b_tx.send(1).unwrap();
        });
        let _ = b_rx.recv();
        a_tx.send(2).unwrap();
        other.join().unwrap();
    });
}

/// The dining philosophers' deadlock on buffered "forks" (each a one-slot channel
/// holding a token), taken in opposite orders, one of them by a select. (Within two
/// preemptions loom finds it in a second; its exhaustive search wanders for minutes
/// first.)
#[test]
#[should_panic(expected = "deadlock")]
fn forks_taken_in_opposite_orders_deadlock() {
    loom_tests::bounded(|| {
        let (fork_a, take_a) = csp_channel::bounded::<()>(1);
        let (fork_b, take_b) = csp_channel::bounded::<()>(1);
        fork_a.send(()).unwrap();
        fork_b.send(()).unwrap();
        let (put_a, put_b) = (fork_a.clone(), fork_b.clone());
        let (get_a, get_b) = (take_a.clone(), take_b.clone());
        let other = loom::thread::spawn(move || {
            get_b.recv().unwrap();
            csp_channel::select! { recv(get_a) -> fork => fork.unwrap() }
            put_a.send(()).unwrap();
            put_b.send(()).unwrap();
        });
        take_a.recv().unwrap();
        take_b.recv().unwrap();
        fork_b.send(()).unwrap();
        fork_a.send(()).unwrap();
        other.join().unwrap();
    });
}

/// A model whose own assertion fails while another thread is blocked in a receive
/// fails with that assertion's message.
#[test]
#[should_panic(expected = "the user's own check")]
fn a_failed_assertion_beside_a_blocked_thread_fails_with_its_message() {
    loom::model(|| {
        let (tx, rx) = csp_channel::bounded::<u32>(0);
        let _blocked = loom::thread::spawn(move || rx.recv());
        // The spawned thread may be blocked in `recv` (holding its waker, its entry
        // queued) when this fails.
        assert!(tx.capacity() == Some(1), "the user's own check");
    });
}

/// The report of a deadlock names the csp operation each blocked thread waits in,
/// and the model's line that called it: loom names only threads and states.
#[test]
fn a_deadlock_report_names_each_blocked_operation() {
    let failed = std::panic::catch_unwind(|| {
        loom::model(|| {
            let (a_tx, a_rx) = csp_channel::bounded::<u32>(0);
            let (b_tx, b_rx) = csp_channel::bounded::<u32>(0);
            let other = loom::thread::spawn(move || {
                let _ = a_rx.recv();
                b_tx.send(1).unwrap();
            });
            csp_channel::select! {
                recv(b_rx) -> _ => {}
            }
            a_tx.send(2).unwrap();
            other.join().unwrap();
        });
    });
    assert!(failed.is_err(), "the model deadlocks");
    let report = csp_channel::loom_hooks::last_blocked_report();
    for expected in [
        "Receiver::recv, called at loom_tests/tests/deadlock.rs:",
        "select!, called at loom_tests/tests/deadlock.rs:",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} not in the report: {report}"
        );
    }
}
