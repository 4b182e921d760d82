//! Select, side by side with crossbeam-channel (issue 3's bar): a fan-in, where four
//! producer threads each send on their own `bounded(0)` channel and one receiver
//! selects over all four; and a fan-out, where one sender selects over send arms on
//! four `bounded(0)` channels, each drained by its own thread. Both with the `select!`
//! macro and with the dynamic `Select` builder (reused across iterations, as a server
//! loop would).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const ARMS: usize = 4;

/// Runs `total` messages through `ARMS` channels of capacity 0 made by `make`: `feed`
/// is the sending side (one thread per channel when `fan_in`, one thread over all of
/// them otherwise) and `drain` the receiving side. Returns the time from a common
/// start to the last message, scaled to `iters` messages.
fn run<Tx: Clone + Send + 'static, Rx: Send + 'static>(
    iters: u64,
    fan_in: bool,
    make: fn(usize) -> (Tx, Rx),
    feed: fn(&[Tx], u64),
    drain: fn(&[Rx], u64),
) -> Duration {
    let per = iters.div_ceil(ARMS as u64);
    let total = per * ARMS as u64;
    let (txs, rxs): (Vec<Tx>, Vec<Rx>) = (0..ARMS).map(|_| make(0)).unzip();
    let start = Arc::new(Barrier::new(ARMS + 1));
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
        let spans = span(handles);
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
    span(handles).mul_f64(iters as f64 / total as f64)
}

/// The time from the first worker's start to the last one's end.
fn span(handles: Vec<thread::JoinHandle<(Instant, Instant)>>) -> Duration {
    let spans: Vec<(Instant, Instant)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let first = spans.iter().map(|s| s.0).min().unwrap();
    let last = spans.iter().map(|s| s.1).max().unwrap();
    last - first
}

fn csp_send_each(txs: &[csp::Sender<u64>], n: u64) {
    for i in 0..n {
        txs[0].send(i).unwrap();
    }
}

fn csp_drain_one(rxs: &[csp::Receiver<u64>], _: u64) {
    while rxs[0].recv().is_ok() {}
}

fn csp_select_macro_recv(rxs: &[csp::Receiver<u64>], n: u64) {
    let [a, b, c, d] = rxs else { unreachable!() };
    for _ in 0..n {
        csp::select! {
            recv(a) -> m => { m.unwrap(); }
            recv(b) -> m => { m.unwrap(); }
            recv(c) -> m => { m.unwrap(); }
            recv(d) -> m => { m.unwrap(); }
        }
    }
}

fn csp_select_dynamic_recv(rxs: &[csp::Receiver<u64>], n: u64) {
    let mut sel = csp::Select::new();
    for rx in rxs {
        sel.recv(rx);
    }
    for _ in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.recv(&rxs[index]).unwrap();
    }
}

fn csp_select_macro_send(txs: &[csp::Sender<u64>], n: u64) {
    let [a, b, c, d] = txs else { unreachable!() };
    for i in 0..n {
        csp::select! {
            send(a, i) -> r => r.unwrap(),
            send(b, i) -> r => r.unwrap(),
            send(c, i) -> r => r.unwrap(),
            send(d, i) -> r => r.unwrap(),
        }
    }
}

fn csp_select_dynamic_send(txs: &[csp::Sender<u64>], n: u64) {
    let mut sel = csp::Select::new();
    for tx in txs {
        sel.send(tx);
    }
    for i in 0..n {
        let oper = sel.select();
        let index = oper.index();
        oper.send(&txs[index], i).unwrap();
    }
}

fn cb_send_each(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
    for i in 0..n {
        txs[0].send(i).unwrap();
    }
}

fn cb_drain_one(rxs: &[crossbeam_channel::Receiver<u64>], _: u64) {
    while rxs[0].recv().is_ok() {}
}

fn cb_select_macro_recv(rxs: &[crossbeam_channel::Receiver<u64>], n: u64) {
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

fn cb_select_dynamic_recv(rxs: &[crossbeam_channel::Receiver<u64>], n: u64) {
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

fn cb_select_macro_send(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
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

fn cb_select_dynamic_send(txs: &[crossbeam_channel::Sender<u64>], n: u64) {
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

fn fan_in(c: &mut Criterion) {
    let mut g = c.benchmark_group("select_fan_in_4x_bounded0");
    g.throughput(Throughput::Elements(1));
    let bench =
        |g: &mut criterion::BenchmarkGroup<'_, _>, name: &str, f: &dyn Fn(u64) -> Duration| {
            g.bench_function(BenchmarkId::from_parameter(name), |b| b.iter_custom(f));
        };
    bench(&mut g, "csp-macro", &|n| {
        run(n, true, csp::bounded, csp_send_each, csp_select_macro_recv)
    });
    bench(&mut g, "csp-dynamic", &|n| {
        run(
            n,
            true,
            csp::bounded,
            csp_send_each,
            csp_select_dynamic_recv,
        )
    });
    bench(&mut g, "crossbeam-macro", &|n| {
        run(
            n,
            true,
            crossbeam_channel::bounded,
            cb_send_each,
            cb_select_macro_recv,
        )
    });
    bench(&mut g, "crossbeam-dynamic", &|n| {
        run(
            n,
            true,
            crossbeam_channel::bounded,
            cb_send_each,
            cb_select_dynamic_recv,
        )
    });
    g.finish();
}

fn send_arms(c: &mut Criterion) {
    let mut g = c.benchmark_group("select_send_arms_4x_bounded0");
    g.throughput(Throughput::Elements(1));
    let bench =
        |g: &mut criterion::BenchmarkGroup<'_, _>, name: &str, f: &dyn Fn(u64) -> Duration| {
            g.bench_function(BenchmarkId::from_parameter(name), |b| b.iter_custom(f));
        };
    bench(&mut g, "csp-macro", &|n| {
        run(n, false, csp::bounded, csp_select_macro_send, csp_drain_one)
    });
    bench(&mut g, "csp-dynamic", &|n| {
        run(
            n,
            false,
            csp::bounded,
            csp_select_dynamic_send,
            csp_drain_one,
        )
    });
    bench(&mut g, "crossbeam-macro", &|n| {
        run(
            n,
            false,
            crossbeam_channel::bounded,
            cb_select_macro_send,
            cb_drain_one,
        )
    });
    bench(&mut g, "crossbeam-dynamic", &|n| {
        run(
            n,
            false,
            crossbeam_channel::bounded,
            cb_select_dynamic_send,
            cb_drain_one,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = fan_in, send_arms
}
criterion_main!(benches);
