//! The models of `docs/model-checking.md`, the guide to checking your own program
//! built on csp-channel with loom: each is written as a user would write it (public
//! API only, loom's own `model::Builder` and `future::block_on`), so the guide's code
//! is checked here. Each also checks something csp promises: that time is a choice
//! loom explores, and that a model's bug is reported once.
#![cfg(csp_loom)]

use csp_channel::{after, select, select_async};
use loom::thread;
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// Explores every interleaving with at most two preemptions: the guide's advice for
/// models with timeouts.
fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(model);
}

/// A request with a timeout, and a server that answers it: under loom the request
/// is explored both being taken and timing out, and the program is right in both.
#[test]
fn a_request_with_a_timeout_is_answered_or_given_up() {
    check(|| {
        let (requests, inbox) = csp_channel::bounded::<u32>(0);
        let (reply_tx, replies) = csp_channel::bounded::<u32>(1);
        let server = thread::spawn(move || {
            // Ends when the client has gone.
            for n in inbox.iter() {
                reply_tx.send(n * 2).unwrap();
            }
        });
        let reply = match requests.send_timeout(21, SECOND) {
            Ok(()) => Some(replies.recv().unwrap()),
            Err(_) => None,
        };
        drop(requests);
        server.join().unwrap();
        assert!(reply.is_none() || reply == Some(42));
    });
}

/// A client that gives up waiting for a reply leaves a late reply unread: loom finds
/// the interleaving in which the timeout fires first, and the model fails once, with
/// the model's own message.
#[test]
#[should_panic(expected = "a reply was lost")]
fn a_reply_that_comes_after_the_timeout_is_found() {
    check(|| {
        let (reply_tx, replies) = csp_channel::bounded::<u32>(1);
        let server = thread::spawn(move || reply_tx.send(42).is_ok());
        let got = replies.recv_timeout(SECOND).ok();
        let sent = server.join().unwrap();
        assert!(
            !sent || got.is_some(),
            "a reply was lost: the client timed out first"
        );
    });
}

/// A select with a timer arm, in a thread and in a task (loom's `block_on`): each of
/// its arms is taken in some execution, and a message not received stays queued.
#[test]
fn a_select_with_a_timer_arm_takes_each_arm_somewhere() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    for in_task in [false, true] {
        // How many executions took each arm: counted outside the model.
        let taken = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let seen = Arc::clone(&taken);
        check(move || {
            let (tx, rx) = csp_channel::bounded::<u32>(1);
            let producer = thread::spawn(move || tx.send(7).unwrap());
            let got = if in_task {
                loom::future::block_on(async {
                    select_async! {
                        recv(rx) -> msg => msg.ok(),
                        recv(after(SECOND)) -> _ => None,
                    }
                })
            } else {
                select! {
                    recv(rx) -> msg => msg.ok(),
                    recv(after(SECOND)) -> _ => None,
                }
            };
            producer.join().unwrap();
            seen[usize::from(got.is_some())].fetch_add(1, Ordering::Relaxed);
            // Timed out: the message is still there.
            assert_eq!(got.or_else(|| rx.try_recv().ok()), Some(7));
        });
        let [timer, message] = [0, 1].map(|k| taken[k].load(Ordering::Relaxed));
        assert!(
            timer > 0 && message > 0,
            "in a task: {in_task}; the timer arm taken {timer} times, the message {message}"
        );
    }
}
