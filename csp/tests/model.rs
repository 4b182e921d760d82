//! Model-based tests: random sequences of non-blocking operations on one thread
//! (try_send, try_recv, biased try-selects over both ends, selected operations
//! dropped without completing, clones and drops of handles), checked step by step
//! against a plain reference model of a bounded channel.

use proptest::prelude::*;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};

#[derive(Clone, Debug)]
enum Op {
    TrySend(u8),
    TryRecv,
    /// A biased `try_select` over a receive arm, then a send arm, on the channel.
    SelectRecvThenSend(u8),
    /// Selects a send arm, then drops the operation without completing it.
    AbandonSend,
    /// Selects a receive arm, then drops the operation without completing it.
    AbandonRecv,
    /// Selects a receive arm, lets a plain receive move past the claimed value, then
    /// drops the operation: the value goes back at the tail (or in place, if the
    /// receive found nothing).
    AbandonRecvPassed,
    /// As `AbandonRecvPassed`, filling the ring with sends before the drop: the value
    /// still goes back, as the newest.
    AbandonRecvPassedFull(u8),
    CloneSender,
    CloneReceiver,
    DropSender,
    DropReceiver,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u8>().prop_map(Op::TrySend),
        4 => Just(Op::TryRecv),
        2 => any::<u8>().prop_map(Op::SelectRecvThenSend),
        1 => Just(Op::AbandonSend),
        1 => Just(Op::AbandonRecv),
        1 => Just(Op::AbandonRecvPassed),
        1 => any::<u8>().prop_map(Op::AbandonRecvPassedFull),
        1 => Just(Op::CloneSender),
        1 => Just(Op::CloneReceiver),
        1 => Just(Op::DropSender),
        1 => Just(Op::DropReceiver),
    ]
}

/// The reference: a queue of up to `cap` values and the live handle counts.
struct Model {
    cap: usize,
    queue: VecDeque<u8>,
    senders: usize,
    receivers: usize,
}

impl Model {
    fn can_send(&self) -> bool {
        self.receivers == 0 || self.queue.len() < self.cap
    }
    fn can_recv(&self) -> bool {
        !self.queue.is_empty() || self.senders == 0
    }
}

fn quiet<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result
}

fn check(cap: usize, ops: Vec<Op>) {
    let (tx, rx) = csp_channel::bounded::<u8>(cap);
    let mut txs = vec![tx];
    let mut rxs = vec![rx];
    let mut model = Model {
        cap,
        queue: VecDeque::new(),
        senders: 1,
        receivers: 1,
    };
    for op in ops {
        match op {
            Op::TrySend(v) => {
                let Some(tx) = txs.last() else { continue };
                let got = tx.try_send(v);
                let want = if model.receivers == 0 {
                    Err(csp_channel::TrySendError::Disconnected(v))
                } else if model.queue.len() == cap {
                    Err(csp_channel::TrySendError::Full(v))
                } else {
                    model.queue.push_back(v);
                    Ok(())
                };
                assert_eq!(got, want);
            }
            Op::TryRecv => {
                let Some(rx) = rxs.last() else { continue };
                let want = match model.queue.pop_front() {
                    Some(v) => Ok(v),
                    None if model.senders == 0 => Err(csp_channel::TryRecvError::Disconnected),
                    None => Err(csp_channel::TryRecvError::Empty),
                };
                assert_eq!(rx.try_recv(), want);
            }
            Op::SelectRecvThenSend(v) => {
                let (Some(tx), Some(rx)) = (txs.last(), rxs.last()) else {
                    continue;
                };
                let mut sel = csp_channel::Select::new_biased();
                let recv_arm = sel.recv(rx);
                sel.send(tx);
                match sel.try_select() {
                    Ok(oper) if oper.index() == recv_arm => {
                        assert!(model.can_recv(), "select chose an unready receive");
                        let want = model.queue.pop_front().ok_or(csp_channel::RecvError);
                        assert_eq!(oper.recv(rx), want);
                    }
                    Ok(oper) => {
                        assert!(!model.can_recv() && model.can_send(), "wrong arm chosen");
                        let want = if model.receivers == 0 {
                            Err(csp_channel::SendError(v))
                        } else {
                            model.queue.push_back(v);
                            Ok(())
                        };
                        assert_eq!(oper.send(tx, v), want);
                    }
                    Err(_) => assert!(!model.can_recv() && !model.can_send()),
                }
            }
            Op::AbandonSend => {
                let Some(tx) = txs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.send(tx);
                if let Ok(oper) = sel.try_select() {
                    assert!(model.can_send());
                    // The claim is given back: the channel is as before.
                    assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                }
            }
            Op::AbandonRecv => {
                let Some(rx) = rxs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.recv(rx);
                if let Ok(oper) = sel.try_select() {
                    assert!(model.can_recv());
                    // Nobody else receives here: the claimed value stays in place.
                    assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                }
            }
            Op::AbandonRecvPassed | Op::AbandonRecvPassedFull(_) => {
                let Some(rx) = rxs.last() else { continue };
                let mut sel = csp_channel::Select::new();
                sel.recv(rx);
                if let Ok(oper) = sel.try_select() {
                    assert!(model.can_recv());
                    let claimed = model.queue.pop_front();
                    let want = match model.queue.pop_front() {
                        Some(v) => Ok(v),
                        None if model.senders == 0 => Err(csp_channel::TryRecvError::Disconnected),
                        None => Err(csp_channel::TryRecvError::Empty),
                    };
                    let passed = want.is_ok();
                    assert_eq!(rx.try_recv(), want);
                    if let (Op::AbandonRecvPassedFull(v), Some(tx)) = (&op, txs.last()) {
                        // While the claim holds its slot the ring has one slot less;
                        // whatever is accepted queues after what is there.
                        while tx.try_send(*v).is_ok() {
                            model.queue.push_back(*v);
                        }
                    }
                    assert!(quiet(move || drop(oper)).is_err(), "the drop must panic");
                    match claimed {
                        Some(v) if passed => model.queue.push_back(v),
                        Some(v) => model.queue.push_front(v),
                        None => {}
                    }
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
            assert_eq!(rx.len(), if cap == 0 { 0 } else { model.queue.len() });
            assert_eq!(rx.is_empty(), model.queue.is_empty());
            assert_eq!(rx.is_full(), model.queue.len() == cap);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn buffered_channels_match_the_model(cap in 1usize..5, ops in proptest::collection::vec(op(), 0..60)) {
        check(cap, ops);
    }

    #[test]
    fn rendezvous_channels_match_the_model(ops in proptest::collection::vec(op(), 0..60)) {
        check(0, ops);
    }
}
