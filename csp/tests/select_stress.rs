//! Many threads selecting over many channels at once: every value sent is received
//! exactly once, whether sends and receives are plain, selects, or selects with
//! timeouts, over rendezvous and buffered channels mixed.

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

#[path = "common/scale.rs"]
mod scale;
use scale::scaled;

#[derive(Clone, Copy, Debug)]
enum How {
    /// Plain blocking operations on a channel picked round robin.
    Plain,
    /// A dynamic `Select` over every channel.
    Select,
    /// A `select!` over a few channels with a short timeout, retried: aborts race
    /// with counterparts claiming the select.
    TimedMacro,
    /// Each of the above in turn.
    Mixed,
}

fn pick(how: How, i: u64) -> How {
    match how {
        How::Mixed => [How::Plain, How::Select, How::TimedMacro][(i % 3) as usize],
        other => other,
    }
}

const TICK: Duration = Duration::from_micros(100);

fn send_one(txs: &[csp_channel::Sender<u64>], how: How, i: u64, value: u64) {
    let n = txs.len();
    match pick(how, i) {
        How::Plain => txs[i as usize % n].send(value).unwrap(),
        How::Select => {
            let mut sel = csp_channel::Select::new();
            for tx in txs {
                sel.send(tx);
            }
            let oper = sel.select();
            let index = oper.index();
            oper.send(&txs[index], value).unwrap();
        }
        _ => {
            let (a, b, c) = (&txs[i as usize % n], &txs[(i as usize + 1) % n], &txs[0]);
            loop {
                let sent = csp_channel::select! {
                    send(a, value) -> res => { res.unwrap(); true }
                    send(b, value) -> res => { res.unwrap(); true }
                    send(c, value) -> res if n > 2 => { res.unwrap(); true }
                    default(TICK) => false,
                };
                if sent {
                    break;
                }
            }
        }
    }
}

/// Receives one value, or `None` once every channel is disconnected and drained.
fn recv_one(rxs: &[csp_channel::Receiver<u64>], how: How, i: u64) -> Option<u64> {
    let n = rxs.len();
    match pick(how, i) {
        How::Plain => {
            // Plain receives on one channel could wait forever while the senders use
            // the others: wait a little, then fall back to a select over all.
            match rxs[i as usize % n].recv_timeout(TICK) {
                Ok(value) => Some(value),
                Err(_) => recv_one(rxs, How::Select, i),
            }
        }
        How::Select => {
            let mut sel = csp_channel::Select::new();
            for rx in rxs {
                sel.recv(rx);
            }
            let mut open = n;
            loop {
                let oper = sel.select();
                let index = oper.index();
                match oper.recv(&rxs[index]) {
                    Ok(value) => return Some(value),
                    Err(_) => {
                        sel.remove(index);
                        open -= 1;
                        if open == 0 {
                            return None;
                        }
                    }
                }
            }
        }
        _ => {
            let (a, b) = (&rxs[i as usize % n], &rxs[(i as usize + 1) % n]);
            for _ in 0..50 {
                let got = csp_channel::select! {
                    recv(a) -> msg => msg.ok(),
                    recv(b) -> msg => msg.ok(),
                    default(TICK) => None,
                };
                if got.is_some() {
                    return got;
                }
            }
            recv_one(rxs, How::Select, i)
        }
    }
}

fn exactly_once(caps: &[usize], producers: u64, consumers: usize, per: u64, send: How, recv: How) {
    let per = scaled(per);
    let (txs, rxs): (Vec<_>, Vec<_>) = caps
        .iter()
        .map(|&cap| match cap {
            UNBOUNDED => csp_channel::unbounded::<u64>(),
            cap => csp_channel::bounded::<u64>(cap),
        })
        .unzip();
    let senders: Vec<_> = (0..producers)
        .map(|p| {
            let txs = txs.clone();
            thread::spawn(move || {
                for i in 0..per {
                    send_one(&txs, send, p + i, p * per + i);
                }
            })
        })
        .collect();
    drop(txs);
    let receivers: Vec<_> = (0..consumers)
        .map(|c| {
            let rxs = rxs.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut i = c as u64;
                while let Some(value) = recv_one(&rxs, recv, i) {
                    got.push(value);
                    i += 1;
                }
                got
            })
        })
        .collect();
    drop(rxs);
    for sender in senders {
        sender.join().unwrap();
    }
    let mut all = Vec::new();
    for receiver in receivers {
        all.extend(receiver.join().unwrap());
    }
    let expected = producers * per;
    assert_eq!(
        all.len() as u64,
        expected,
        "{send:?}/{recv:?} over {caps:?}"
    );
    let distinct: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len() as u64, expected, "a value arrived twice");
    assert!(all.iter().all(|&v| v < expected));
}

const RENDEZVOUS: &[usize] = &[0, 0, 0, 0];
const MIXED: &[usize] = &[0, 1, 0, 4, 0, 2, 0, 0];
const BUFFERED: &[usize] = &[1, 2, 3];
/// An unbounded channel, in a list of capacities.
const UNBOUNDED: usize = usize::MAX;
/// Unbounded channels beside the other flavors: a select's receive claim on one is a
/// count, which two selects must never both take for one value.
const WITH_UNBOUNDED: &[usize] = &[UNBOUNDED, 0, 1, UNBOUNDED];

#[test]
fn selects_against_plain_operations() {
    for caps in [RENDEZVOUS, MIXED, BUFFERED, WITH_UNBOUNDED] {
        exactly_once(caps, 4, 4, 2_000, How::Select, How::Plain);
        exactly_once(caps, 4, 4, 2_000, How::Plain, How::Select);
    }
}

#[test]
fn selects_against_selects() {
    for caps in [RENDEZVOUS, MIXED, BUFFERED, WITH_UNBOUNDED] {
        exactly_once(caps, 4, 4, 2_000, How::Select, How::Select);
    }
}

#[test]
fn timed_selects_race_counterparts() {
    for caps in [RENDEZVOUS, MIXED] {
        exactly_once(caps, 3, 3, 1_500, How::TimedMacro, How::TimedMacro);
        exactly_once(caps, 3, 3, 1_500, How::TimedMacro, How::Select);
    }
}

#[test]
fn everything_mixed_with_many_threads() {
    for caps in [RENDEZVOUS, MIXED, WITH_UNBOUNDED] {
        exactly_once(caps, 8, 8, 1_000, How::Mixed, How::Mixed);
    }
}

/// One select over 16 channels fed by 16 threads: a fan-in that must not lose or
/// duplicate anything, with the selecting receiver the bottleneck.
#[test]
fn fan_in_over_sixteen_channels() {
    exactly_once(&[0; 16], 16, 1, 500, How::Plain, How::Select);
    exactly_once(&[0; 16], 16, 2, 500, How::Select, How::Select);
}
