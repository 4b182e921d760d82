//! Select scenarios: a fan-in (one producer thread per `bounded(0)` channel, one
//! receiver selecting over all of them) and a fan-out (one thread selecting over send
//! arms, one receiver per channel), with csp's and crossbeam-channel's `select!` macro
//! and dynamic `Select`.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `total` messages through `arms` channels of capacity 0 made by `make`: `feed`
/// is the sending side (one thread per channel when `fan_in`, one thread over all of
/// them otherwise) and `drain` the receiving side. Returns the time from a common
/// start to the last message, scaled to `iters` messages.
pub fn run<Tx: Clone + Send + 'static, Rx: Send + 'static>(
    iters: u64,
    arms: usize,
    fan_in: bool,
    make: fn(usize) -> (Tx, Rx),
    feed: fn(&[Tx], u64),
    drain: fn(&[Rx], u64),
) -> Duration {
    let per = iters.div_ceil(arms as u64);
    let total = per * arms as u64;
    let (txs, rxs): (Vec<Tx>, Vec<Rx>) = (0..arms).map(|_| make(0)).unzip();
    let start = Arc::new(Barrier::new(arms + 1));
    let mut handles = Vec::new();
    let timed = |start: Arc<Barrier>, work: Box<dyn FnOnce() + Send>| {
        thread::spawn(move || {
            start.wait();
            let t0 = Instant::now();
            work();
            (t0, Instant::now())
        })
    };
    if fan_in {
        // Producers send clones, so no channel disconnects (a disconnected arm is
        // ready) before the receiver has taken everything.
        for tx in &txs {
            let tx = tx.clone();
            handles.push(timed(start.clone(), Box::new(move || feed(&[tx], per))));
        }
        handles.push(timed(start, Box::new(move || drain(&rxs, total))));
        let spans = crate::span(handles);
        drop(txs);
        return spans.mul_f64(iters as f64 / total as f64);
    } else {
        handles.push(timed(start.clone(), Box::new(move || feed(&txs, total))));
        for rx in rxs {
            handles.push(timed(
                start.clone(),
                Box::new(move || drain(&[rx], u64::MAX)),
            ));
        }
    }
    crate::span(handles).mul_f64(iters as f64 / total as f64)
}

/// Sends `n` values on the one channel given (a fan-in producer).
pub fn csp_send_each(txs: &[csp_channel::Sender<u64>], n: u64) {
    for i in 0..n {
        txs[0].send(i).unwrap();
    }
}

/// Receives until the one channel given disconnects (a fan-out consumer).
pub fn csp_drain_one(rxs: &[csp_channel::Receiver<u64>], _: u64) {
    while rxs[0].recv().is_ok() {}
}

/// Receives `n` values with `select!` over the four channels.
pub fn csp_select_macro_recv(rxs: &[csp_channel::Receiver<u64>], n: u64) {
    let [a, b, c, d] = rxs else { unreachable!() };
    for _ in 0..n {
        csp_channel::select! {
            recv(a) -> m => { m.unwrap(); }
            recv(b) -> m => { m.unwrap(); }
            recv(c) -> m => { m.unwrap(); }
            recv(d) -> m => { m.unwrap(); }
        }
    }
}

/// Receives `n` values with a dynamic `Select` over the channels.
pub fn csp_select_dynamic_recv(rxs: &[csp_channel::Receiver<u64>], n: u64) {
    let mut sel = csp_channel::Select::new();
    for rx in rxs {
        sel.recv(rx);
    }
    for _ in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.recv(&rxs[index]).unwrap();
    }
}

/// Sends `n` values with `select!` over send arms on the four channels.
pub fn csp_select_macro_send(txs: &[csp_channel::Sender<u64>], n: u64) {
    let [a, b, c, d] = txs else { unreachable!() };
    for i in 0..n {
        csp_channel::select! {
            send(a, i) -> r => r.unwrap(),
            send(b, i) -> r => r.unwrap(),
            send(c, i) -> r => r.unwrap(),
            send(d, i) -> r => r.unwrap(),
        }
    }
}

/// Sends `n` values with a dynamic `Select` over send arms.
pub fn csp_select_dynamic_send(txs: &[csp_channel::Sender<u64>], n: u64) {
    let mut sel = csp_channel::Select::new();
    for tx in txs {
        sel.send(tx);
    }
    for i in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.send(&txs[index], i).unwrap();
    }
}

/// Sends `n` values on the one channel given (a fan-in producer).
pub fn cb_send_each(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
    for i in 0..n {
        txs[0].send(i).unwrap();
    }
}

/// Receives until the one channel given disconnects (a fan-out consumer).
pub fn cb_drain_one(rxs: &[crossbeam_channel::Receiver<u64>], _: u64) {
    while rxs[0].recv().is_ok() {}
}

/// Receives `n` values with `crossbeam's `select!`` over the four channels.
pub fn cb_select_macro_recv(rxs: &[crossbeam_channel::Receiver<u64>], n: u64) {
    let [a, b, c, d] = rxs else { unreachable!() };
    for _ in 0..n {
        crossbeam_channel::select! {
            recv(a) -> m => { m.unwrap(); }
            recv(b) -> m => { m.unwrap(); }
            recv(c) -> m => { m.unwrap(); }
            recv(d) -> m => { m.unwrap(); }
        }
    }
}

/// Receives `n` values with a crossbeam's dynamic `Select` over the channels.
pub fn cb_select_dynamic_recv(rxs: &[crossbeam_channel::Receiver<u64>], n: u64) {
    let mut sel = crossbeam_channel::Select::new();
    for rx in rxs {
        sel.recv(rx);
    }
    for _ in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.recv(&rxs[index]).unwrap();
    }
}

/// Sends `n` values with `crossbeam's `select!`` over send arms on the four channels.
pub fn cb_select_macro_send(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
    let [a, b, c, d] = txs else { unreachable!() };
    for i in 0..n {
        crossbeam_channel::select! {
            send(a, i) -> r => r.unwrap(),
            send(b, i) -> r => r.unwrap(),
            send(c, i) -> r => r.unwrap(),
            send(d, i) -> r => r.unwrap(),
        }
    }
}

/// Sends `n` values with a crossbeam's dynamic `Select` over send arms.
pub fn cb_select_dynamic_send(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
    let mut sel = crossbeam_channel::Select::new();
    for tx in txs {
        sel.send(tx);
    }
    for i in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.send(&txs[index], i).unwrap();
    }
}
