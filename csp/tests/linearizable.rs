//! A select that does not wait is linearizable: it reports "nothing ready" only if, at
//! one instant during the call, no arm was ready.
//!
//! The first three tests are crossbeam-channel's `linearizable_default`,
//! `linearizable_try` and `linearizable_timeout`, on csp: a selector fills `r1`, then
//! selects over `r1` and `r2` while a thief fills `r2` and only then steals from `r1`,
//! so some arm is ready at every instant. Every thread owns the channel ends it uses,
//! so a failure disconnects its peer instead of leaving it blocked. The race is
//! narrow: these tests catch a select that looks at each arm once in about one run of
//! two in a debug build; the loom models in `loom_tests/tests/linearizable.rs` catch
//! it always, on rendezvous arms too.

use csp_channel::{Receiver, Select};
use std::thread;
use std::time::Duration;

/// Rounds per test: enough for the race to land many times in a debug build.
const ROUNDS: usize = if cfg!(debug_assertions) {
    20_000
} else {
    100_000
};

/// The non-blocking forms of select.
#[derive(Clone, Copy, Debug)]
enum Form {
    Default,
    TrySelect,
    ZeroTimeout,
}

/// One non-blocking select over receives on `r1` and `r2`: which of them it took a
/// value from, or `None` if it said nothing was ready.
fn select_now(form: Form, r1: &Receiver<i32>, r2: &Receiver<i32>) -> Option<usize> {
    match form {
        Form::Default => csp_channel::select! {
            recv(r1) -> msg => { msg.unwrap(); Some(1) }
            recv(r2) -> msg => { msg.unwrap(); Some(2) }
            default => None,
        },
        Form::TrySelect | Form::ZeroTimeout => {
            let mut sel = Select::new();
            let i1 = sel.recv(r1);
            sel.recv(r2);
            let chosen = match form {
                Form::TrySelect => sel.try_select().ok(),
                _ => sel.select_timeout(Duration::ZERO).ok(),
            }?;
            if chosen.index() == i1 {
                chosen.recv(r1).unwrap();
                Some(1)
            } else {
                chosen.recv(r2).unwrap();
                Some(2)
            }
        }
    }
}

/// crossbeam's scenario with both channels buffered (capacity 1).
fn linearizable(form: Form) {
    let (start_s, start_r) = csp_channel::bounded::<()>(0);
    let (end_s, end_r) = csp_channel::bounded::<()>(0);
    let (s1, r1) = csp_channel::bounded::<i32>(1);
    let (s2, r2) = csp_channel::bounded::<i32>(1);
    let thief_r1 = r1.clone();
    let selector = thread::spawn(move || {
        for round in 0..ROUNDS {
            start_s.send(()).unwrap();
            s1.send(1).unwrap();
            let chosen = select_now(form, &r1, &r2);
            assert!(
                chosen.is_some(),
                "{form:?}, round {round}: nothing ready, but an arm always was"
            );
            end_s.send(()).unwrap();
            let _ = r2.try_recv();
        }
    });
    let thief = thread::spawn(move || {
        while start_r.recv().is_ok() {
            s2.send(1).unwrap();
            let _ = thief_r1.try_recv();
            if end_r.recv().is_err() {
                break;
            }
        }
    });
    selector.join().unwrap();
    thief.join().unwrap();
}

#[test]
fn linearizable_default() {
    linearizable(Form::Default);
}

#[test]
fn linearizable_try() {
    linearizable(Form::TrySelect);
}

#[test]
fn linearizable_timeout() {
    linearizable(Form::ZeroTimeout);
}
