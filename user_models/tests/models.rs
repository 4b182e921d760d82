//! A user's models of small programs built on csp-channel, each with what it must
//! show: a bug found (a deadlock, a check-then-act race), or every ending of a choice
//! reached (a timeout, a select's arm), with nothing lost either way. The same models
//! run under loom (`RUSTFLAGS="--cfg csp_loom" cargo test --release`), which explores
//! every interleaving within a preemption bound, and under shuttle (`--cfg
//! csp_shuttle`), which samples random schedules; scripts/user-models.sh runs both.
#![cfg(any(csp_loom, csp_shuttle))]

use csp_channel::{Select, after, bounded, select, select_biased};
#[cfg(csp_loom)]
use loom::{future::block_on, thread};
#[cfg(csp_shuttle)]
use shuttle::{future::block_on, thread};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

const SECOND: Duration = Duration::from_secs(1);

/// Explores `model`: under loom, every interleaving with at most three preemptions.
#[cfg(csp_loom)]
fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(model);
}

/// Explores `model`: under shuttle, 500 random schedules and 500 of PCT's (depth
/// 3). A random scheduler switches threads at almost every step, so it finds races in
/// the middle of operations but seldom lets one thread run far ahead, as a timeout
/// needs (its wait must reach the point where it would sleep before the counterpart
/// comes); PCT runs threads by priority with a few switches, so it often does.
#[cfg(csp_shuttle)]
fn check(model: impl Fn() + Sync + Send + 'static) {
    let model = Arc::new(model);
    let random = Arc::clone(&model);
    shuttle::check_random(move || random(), 500);
    shuttle::check_pct(move || model(), 500, 3);
}

/// Explores `model`, which returns which of `N` endings each execution reached, and
/// returns how many executions reached each: counted outside the model, with std's
/// atomics, once the checker has explored them all.
fn endings<const N: usize>(model: impl Fn() -> usize + Sync + Send + 'static) -> [usize; N] {
    let counts: Arc<[AtomicUsize; N]> = Arc::new(std::array::from_fn(|_| AtomicUsize::new(0)));
    let seen = Arc::clone(&counts);
    check(move || {
        seen[model()].fetch_add(1, Ordering::Relaxed);
    });
    std::array::from_fn(|k| counts[k].load(Ordering::Relaxed))
}

#[test]
fn a_rendezvous_hand_off_passes() {
    check(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(rx.recv(), Ok(7));
        sender.join().unwrap();
    });
}

/// Two philosophers and two forks (one-slot channels holding a token each): taking
/// them in `orders` (`true`: fork a first), eating, putting them back.
fn philosophers(orders: [bool; 2]) {
    let (put_a, take_a) = bounded::<()>(1);
    let (put_b, take_b) = bounded::<()>(1);
    put_a.send(()).unwrap();
    put_b.send(()).unwrap();
    let diners: Vec<_> = orders
        .into_iter()
        .map(|a_first| {
            let (put_a, put_b, take_a, take_b) =
                (put_a.clone(), put_b.clone(), take_a.clone(), take_b.clone());
            thread::spawn(move || {
                let (first, second) = if a_first {
                    (&take_a, &take_b)
                } else {
                    (&take_b, &take_a)
                };
                first.recv().unwrap();
                second.recv().unwrap();
                put_a.send(()).unwrap();
                put_b.send(()).unwrap();
            })
        })
        .collect();
    for diner in diners {
        diner.join().unwrap();
    }
}

#[test]
#[should_panic(expected = "deadlock")]
fn forks_taken_in_opposite_orders_deadlock() {
    check(|| philosophers([true, false]));
}

#[test]
fn forks_taken_in_one_order_do_not_deadlock() {
    check(|| philosophers([true, true]));
}

/// Two threads each look whether a one-slot channel is empty, then send into it,
/// sure of room: the checker finds both looking before either sends.
#[test]
#[should_panic(expected = "empty a moment ago")]
fn a_check_then_act_race_is_found() {
    check(|| {
        let (tx, rx) = bounded::<u32>(1);
        let other = tx.clone();
        let racer = thread::spawn(move || {
            if other.is_empty() {
                other.try_send(1).expect("empty a moment ago");
            }
        });
        if tx.is_empty() {
            tx.try_send(2).expect("empty a moment ago");
        }
        racer.join().unwrap();
        drop(rx);
    });
}

/// A wait with a deadline (`receive`, which gives up with `None`) against a sender
/// that always sends: some executions receive, others give up (and then receive
/// without a deadline, so the sender is not left waiting). Nothing is lost either way.
fn receives_and_gives_up(what: &str, receive: fn(&csp_channel::Receiver<u32>) -> Option<u32>) {
    let [gave_up, received] = endings::<2>(move || {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(7).unwrap());
        let got = receive(&rx);
        let ending = usize::from(got.is_some());
        assert_eq!(got.or_else(|| rx.recv().ok()), Some(7));
        sender.join().unwrap();
        ending
    });
    assert!(
        gave_up > 0 && received > 0,
        "{what}: gave up {gave_up}, received {received}"
    );
}

#[test]
fn a_timed_receive_is_seen_to_receive_and_to_time_out() {
    receives_and_gives_up("recv_timeout", |rx| rx.recv_timeout(SECOND).ok());
}

#[test]
fn a_select_with_a_timeout_is_seen_to_receive_and_to_time_out() {
    receives_and_gives_up("default(timeout)", |rx| {
        select! {
            recv(rx) -> msg => msg.ok(),
            default(SECOND) => None,
        }
    });
}

#[test]
fn a_select_with_an_after_arm_is_seen_to_take_each_arm() {
    receives_and_gives_up("an after arm", |rx| {
        select! {
            recv(rx) -> msg => msg.ok(),
            recv(after(SECOND)) -> _ => None,
        }
    });
}

/// Two channels, both ready before the select looks: `select!` and `Select::new()`
/// take each in some execution (their choice is random in a real program), and
/// `select_biased!` always the first, as documented. The message not taken stays.
#[test]
fn a_select_over_two_ready_channels_is_seen_to_take_each_arm() {
    for how in ["select!", "Select::new()", "select_biased!"] {
        let taken = endings::<2>(move || {
            let (a_tx, a) = bounded::<u32>(1);
            let (b_tx, b) = bounded::<u32>(1);
            // Filled by another thread, done before the select looks.
            thread::spawn(move || {
                a_tx.send(1).unwrap();
                b_tx.send(2).unwrap();
            })
            .join()
            .unwrap();
            let got = match how {
                "select!" => select! {
                    recv(a) -> msg => msg.unwrap(),
                    recv(b) -> msg => msg.unwrap(),
                },
                "Select::new()" => {
                    let mut sel = Select::new();
                    sel.recv(&a);
                    sel.recv(&b);
                    let op = sel.select();
                    match op.index() {
                        0 => op.recv(&a).unwrap(),
                        _ => op.recv(&b).unwrap(),
                    }
                }
                _ => select_biased! {
                    recv(a) -> msg => msg.unwrap(),
                    recv(b) -> msg => msg.unwrap(),
                },
            };
            let other = if got == 1 { &b } else { &a };
            assert_eq!(other.try_recv(), Ok(3 - got), "the other message stays");
            usize::from(got == 2)
        });
        if how == "select_biased!" {
            assert_eq!(
                taken[1], 0,
                "{how} took its second arm while its first was ready"
            );
        } else {
            assert!(
                taken[0] > 0 && taken[1] > 0,
                "{how}: arms taken {taken:?} times"
            );
        }
    }
}

#[test]
fn an_async_receive_from_a_thread_passes() {
    check(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx.recv_async()), Ok(7));
        sender.join().unwrap();
    });
}

/// A receive future polled once, then dropped (as a task that loses a race drops its
/// receive): a sender told its value was delivered means it was received, by that
/// poll or by the receive after the drop.
#[test]
fn a_receive_future_dropped_after_one_poll_loses_no_value() {
    let [unsent, sent] = endings::<2>(|| {
        let (tx, rx) = bounded::<u32>(0);
        let sender = thread::spawn(move || tx.send_timeout(7, SECOND).is_ok());
        let polled = {
            let mut receive = pin!(rx.recv_async());
            match receive
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
            {
                Poll::Ready(got) => got.ok(),
                Poll::Pending => None,
            }
        };
        let got = polled.or_else(|| rx.recv_timeout(SECOND).ok());
        let delivered = sender.join().unwrap();
        assert_eq!(
            delivered,
            got.is_some(),
            "the sender was told {delivered}, got {got:?}"
        );
        usize::from(delivered)
    });
    assert!(unsent > 0 && sent > 0, "gave up {unsent}, delivered {sent}");
}

/// The cap on explored choices is the model's to set: with none, a select takes the
/// first ready arm of its fixed order in every execution; with two, two selects in a
/// row each take each arm somewhere, so all four pairs are reached.
#[cfg(csp_loom)]
#[test]
fn the_number_of_explored_choices_is_the_model_s_to_set() {
    for (cap, pairs) in [(0, 1), (2, 4)] {
        csp_channel::loom_hooks::explore_select_choices(cap);
        let taken = endings::<4>(|| {
            let (a_tx, a) = bounded::<u32>(2);
            let (b_tx, b) = bounded::<u32>(2);
            thread::spawn(move || {
                for _ in 0..2 {
                    a_tx.send(0).unwrap();
                    b_tx.send(1).unwrap();
                }
            })
            .join()
            .unwrap();
            let pick = || {
                select! {
                    recv(a) -> msg => msg.unwrap(),
                    recv(b) -> msg => msg.unwrap(),
                }
            };
            let first = pick();
            (first * 2 + pick()) as usize
        });
        let reached = taken.iter().filter(|&&n| n > 0).count();
        assert_eq!(reached, pairs, "cap {cap}: pairs taken {taken:?} times");
    }
    csp_channel::loom_hooks::explore_select_choices(1);
}
