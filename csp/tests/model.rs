//! Model-based tests: random sequences of non-blocking operations on one thread
//! (try_send, try_recv, biased try-selects over both ends, selected operations
//! dropped without completing, before or after a plain operation passed them, clones
//! and drops of handles), checked step by step against a plain reference model of
//! the channel, on every flavor.
//!
//! Every value is distinct and counts its drops, so the model checks which value each
//! receive gets (the queue's order, after every give-back too), that no value is
//! dropped twice, and, once the last handle is gone, that every value was dropped
//! exactly once: those still inside the channel included, whatever holes, rolled-back
//! claims and put-back values its ring held when it was dropped.

use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    TrySend,
    TryRecv,
    /// A biased `try_select` over a receive arm, then a send arm, on the channel.
    SelectRecvThenSend,
    /// Selects a send arm, then drops the operation without completing it.
    AbandonSend,
    /// Selects a send arm, lets a plain send move past the claimed room, then drops
    /// the operation: on a ring the claim is left as a hole that takes up room until
    /// a receive skips it.
    AbandonSendPassed,
    /// Selects a receive arm, then drops the operation without completing it.
    AbandonRecv,
    /// Selects a receive arm, lets a plain receive move past the claimed value, then
    /// drops the operation: on a ring the value goes back at the tail (or stays, if
    /// the receive found nothing); an unbounded channel's claim is a count, so the
    /// receive takes the front value and the claim's drop changes nothing.
    AbandonRecvPassed,
    /// As `AbandonRecvPassed`, filling the channel with sends before the drop: the
    /// value still goes back, as the newest.
    AbandonRecvPassedFull,
    CloneSender,
    CloneReceiver,
    DropSender,
    DropReceiver,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::TrySend),
        4 => Just(Op::TryRecv),
        2 => Just(Op::SelectRecvThenSend),
        1 => Just(Op::AbandonSend),
        1 => Just(Op::AbandonSendPassed),
        1 => Just(Op::AbandonRecv),
        1 => Just(Op::AbandonRecvPassed),
        1 => Just(Op::AbandonRecvPassedFull),
        1 => Just(Op::CloneSender),
        1 => Just(Op::CloneReceiver),
        1 => Just(Op::DropSender),
        1 => Just(Op::DropReceiver),
    ]
}

thread_local! {
    /// How many times each value has been dropped, by id.
    static DROPS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// A distinct value that counts its drops.
#[derive(Debug)]
struct Value(usize);

impl Value {
    fn new() -> Self {
        DROPS.with(|drops| {
            let mut drops = drops.borrow_mut();
            drops.push(0);
            Value(drops.len() - 1)
        })
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        DROPS.with(|drops| drops.borrow_mut()[self.0] += 1);
    }
}

/// The value's id; the value itself is dropped (it came back to the test).
fn id(value: Value) -> usize {
    value.0
}

/// Which channel is modelled.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Flavor {
    Rendezvous,
    Ring(usize),
    Unbounded,
}

/// The reference: what the channel holds, front first (a `None` is a ring's hole,
/// which takes up room until a receive skips it), and the live handle counts.
struct Model {
    flavor: Flavor,
    queue: VecDeque<Option<usize>>,
    senders: usize,
    receivers: usize,
}

impl Model {
    fn cap(&self) -> usize {
        match self.flavor {
            Flavor::Rendezvous => 0,
            Flavor::Ring(cap) => cap,
            Flavor::Unbounded => usize::MAX,
        }
    }

    fn has_room(&self) -> bool {
        self.queue.len() < self.cap()
    }

    fn can_send(&self) -> bool {
        self.receivers == 0 || self.has_room()
    }

    /// A receive attempt skips the holes in front of it, whatever it then finds.
    fn skip_holes(&mut self) {
        while let Some(None) = self.queue.front() {
            self.queue.pop_front();
        }
    }

    fn can_recv(&mut self) -> bool {
        self.skip_holes();
        !self.queue.is_empty() || self.senders == 0
    }

    /// What a plain send of value `id` does.
    fn send(&mut self, id: usize) -> Result<(), csp_channel::TrySendError<usize>> {
        if self.receivers == 0 {
            Err(csp_channel::TrySendError::Disconnected(id))
        } else if !self.has_room() {
            Err(csp_channel::TrySendError::Full(id))
        } else {
            self.queue.push_back(Some(id));
            Ok(())
        }
    }

    /// What a plain receive gets.
    fn recv(&mut self) -> Result<usize, csp_channel::TryRecvError> {
        self.skip_holes();
        match self.queue.pop_front() {
            Some(value) => Ok(value.expect("holes were skipped")),
            None if self.senders == 0 => Err(csp_channel::TryRecvError::Disconnected),
            None => Err(csp_channel::TryRecvError::Empty),
        }
    }
}

fn quiet<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result
}

fn try_send(
    tx: &csp_channel::Sender<Value>,
) -> (usize, Result<(), csp_channel::TrySendError<usize>>) {
    let value = Value::new();
    let sent = value.0;
    let got = tx.try_send(value).map_err(|err| match err {
        csp_channel::TrySendError::Full(v) => csp_channel::TrySendError::Full(id(v)),
        csp_channel::TrySendError::Disconnected(v) => {
            csp_channel::TrySendError::Disconnected(id(v))
        }
    });
    (sent, got)
}

fn try_recv(rx: &csp_channel::Receiver<Value>) -> Result<usize, csp_channel::TryRecvError> {
    rx.try_recv().map(id)
}

/// No value dropped twice; with `all`, every value dropped exactly once.
fn check_drops(all: bool, step: &str) {
    DROPS.with(|drops| {
        for (value, &count) in drops.borrow().iter().enumerate() {
            assert!(count <= 1, "value {value} dropped {count} times ({step})");
            assert!(!all || count == 1, "value {value} never dropped ({step})");
        }
    });
}

fn check(flavor: Flavor, ops: Vec<Op>) {
    DROPS.with(|drops| drops.borrow_mut().clear());
    let (tx, rx) = match flavor {
        Flavor::Rendezvous => csp_channel::bounded::<Value>(0),
        Flavor::Ring(cap) => csp_channel::bounded(cap),
        Flavor::Unbounded => csp_channel::unbounded(),
    };
    let mut txs = vec![tx];
    let mut rxs = vec![rx];
    let mut model = Model {
        flavor,
        queue: VecDeque::new(),
        senders: 1,
        receivers: 1,
    };
    for (step, &op) in ops.iter().enumerate() {
        let step = format!("step {step}, {op:?}");
        match op {
            Op::TrySend => {
                let Some(tx) = txs.last() else { continue };
                let (sent, got) = try_send(tx);
                assert_eq!(got, model.send(sent), "{step}");
            }
            Op::TryRecv => {
                let Some(rx) = rxs.last() else { continue };
                assert_eq!(try_recv(rx), model.recv(), "{step}");
            }
            Op::SelectRecvThenSend => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                let mut sel = csp_channel::Select::new_biased();
                let recv_arm = sel.recv(rx);
                sel.send(tx);
                let can_recv = model.can_recv();
                match sel.try_select() {
                    Ok(oper) if oper.index() == recv_arm => {
                        assert!(can_recv, "select chose an unready receive ({step})");
                        let want = model.recv().map_err(|_| csp_channel::RecvError);
                        assert_eq!(oper.recv(rx).map(id), want, "{step}");
                    }
                    Ok(oper) => {
                        assert!(!can_recv && model.can_send(), "wrong arm chosen ({step})");
                        let value = Value::new();
                        let want = match model.send(value.0) {
                            Ok(()) => Ok(()),
                            Err(err) => Err(csp_channel::SendError(err.into_inner())),
                        };
                        let got = oper
                            .send(tx, value)
                            .map_err(|e| csp_channel::SendError(id(e.0)));
                        assert_eq!(got, want, "{step}");
                    }
                    Err(_) => assert!(!can_recv && !model.can_send(), "{step}"),
                }
            }
            Op::AbandonSend | Op::AbandonSendPassed => {
                let Some(tx) = txs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.send(tx);
                if let Ok(oper) = sel.try_select() {
                    assert!(model.can_send(), "{step}");
                    // A ring's claim takes the room at the tail while it lasts.
                    let claimed = matches!(flavor, Flavor::Ring(_)) && model.receivers > 0;
                    if op == Op::AbandonSendPassed {
                        let (sent, got) = try_send(tx);
                        if claimed {
                            model.queue.push_back(None);
                        }
                        let want = model.send(sent);
                        assert_eq!(got, want, "{step}");
                        if claimed && want.is_err() {
                            // Not passed: the claim will be rolled back.
                            model.queue.pop_back();
                        }
                    }
                    // Not passed, the claim is rolled back: the channel is as before.
                    // Passed, it is left as a hole (in the model since the send).
                    assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                }
            }
            Op::AbandonRecv => {
                let Some(rx) = rxs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.recv(rx);
                let can_recv = model.can_recv();
                if let Ok(oper) = sel.try_select() {
                    assert!(can_recv, "{step}");
                    // Nobody else receives here: the claimed value stays in place.
                    assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                }
            }
            Op::AbandonRecvPassed | Op::AbandonRecvPassedFull => {
                let Some(rx) = rxs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.recv(rx);
                let can_recv = model.can_recv();
                let Ok(oper) = sel.try_select() else {
                    continue;
                };
                assert!(can_recv, "{step}");
                // An unbounded channel's claim is a count: a plain receive takes the
                // front value, and leaves the next one for the claim.
                let claimed = if flavor == Flavor::Unbounded && model.queue.len() >= 2 {
                    model.queue.remove(1)
                } else {
                    model.queue.pop_front()
                }
                .map(|v| v.expect("holes were skipped"));
                let before = model.queue.len();
                let want = model.recv();
                let passed = want.is_ok();
                assert_eq!(try_recv(rx), want, "{step}");
                // While a ring's claim holds its slot, the tail cannot move past it:
                // the claimed slot, and those the passing receive freed after it (the
                // holes it skipped, the value it took), take up room until the claim
                // is given back. In the model: holes in front for the while.
                let held = claimed.is_some() && matches!(flavor, Flavor::Ring(_));
                let taken = if held {
                    1 + before - model.queue.len()
                } else {
                    0
                };
                if let (Op::AbandonRecvPassedFull, Some(tx)) = (op, txs.last()) {
                    for _ in 0..taken {
                        model.queue.push_front(None);
                    }
                    for _ in 0..6 {
                        let (sent, got) = try_send(tx);
                        let want = model.send(sent);
                        assert_eq!(got, want, "{step}");
                        if want.is_err() {
                            break;
                        }
                    }
                    for _ in 0..taken {
                        model.queue.pop_front();
                    }
                }
                assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                match claimed {
                    // Passed on a ring, the value goes back as the newest; otherwise
                    // it stays in front.
                    Some(v) if passed && held => model.queue.push_back(Some(v)),
                    Some(v) => model.queue.push_front(Some(v)),
                    None => {}
                }
            }
            Op::CloneSender => {
                if let Some(tx) = txs.last() {
                    txs.push(tx.clone());
                    model.senders += 1;
                }
            }
            Op::CloneReceiver => {
                if let Some(rx) = rxs.last() {
                    rxs.push(rx.clone());
                    model.receivers += 1;
                }
            }
            Op::DropSender => {
                if txs.pop().is_some() {
                    model.senders -= 1;
                }
            }
            Op::DropReceiver => {
                if rxs.pop().is_some() {
                    model.receivers -= 1;
                }
            }
        }
        if let Some(rx) = rxs.last() {
            // A hole takes up room but holds no value: `len` and `is_empty` count
            // values, so that `try_recv` finds one whenever they say there is.
            let values = model.queue.iter().filter(|v| v.is_some()).count();
            assert_eq!(rx.len(), values, "{step}");
            assert_eq!(rx.is_empty(), values == 0, "{step}");
            assert_eq!(rx.is_full(), model.queue.len() == model.cap(), "{step}");
        }
        check_drops(false, &step);
    }
    drop((txs, rxs));
    check_drops(true, "after the last handle was dropped");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn buffered_channels_match_the_model(cap in 1usize..5, ops in proptest::collection::vec(op(), 0..60)) {
        check(Flavor::Ring(cap), ops);
    }

    #[test]
    fn rendezvous_channels_match_the_model(ops in proptest::collection::vec(op(), 0..60)) {
        check(Flavor::Rendezvous, ops);
    }

    #[test]
    fn unbounded_channels_match_the_model(ops in proptest::collection::vec(op(), 0..60)) {
        check(Flavor::Unbounded, ops);
    }
}
