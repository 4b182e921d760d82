//! loom model checks of the csp wait protocol, and shuttle tests of larger programs.
//! The models compile only under `--cfg csp_loom` (run them with `scripts/loom.sh`),
//! the shuttle tests only under `--cfg csp_shuttle` (`scripts/shuttle.sh`).
//!
//! Each loom model spawns loom threads around real csp channels; loom explores their
//! interleavings (exhaustively for two threads, bounded by `LOOM_MAX_PREEMPTIONS` for
//! more) and checks every atomic, lock, `UnsafeCell` access and `Arc` count. shuttle
//! samples schedules of many more threads at random, and prints any failing one so it
//! can be replayed.

/// Explores every interleaving: for models of two threads (the main one included),
/// whatever `LOOM_MAX_PREEMPTIONS` says.
#[cfg(csp_loom)]
pub fn exhaustive(model: impl Fn() + Sync + Send + 'static) {
    fixed_select_order();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = None;
    builder.check(model);
}

/// Runs `future` to completion on this loom thread, parking it while pending: the
/// waker is csp's own thread waker, so its counts are checked too.
#[cfg(csp_loom)]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = csp_channel::loom_hooks::thread_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        loom::thread::park();
    }
}

/// Spawns a thread that waits in `Select::ready` on one side of the channel of `tx`
/// and `rx` (the send side if `watch_send`, else the receive side), then does `then`
/// with its own clones of the two ends: the operation `ready` reported.
#[cfg(csp_loom)]
pub fn watch_then(
    tx: &csp_channel::Sender<u32>,
    rx: &csp_channel::Receiver<u32>,
    watch_send: bool,
    then: impl FnOnce(csp_channel::Sender<u32>, csp_channel::Receiver<u32>) + Send + 'static,
) -> loom::thread::JoinHandle<()> {
    let (tx, rx) = (tx.clone(), rx.clone());
    loom::thread::spawn(move || {
        let mut sel = csp_channel::Select::new();
        if watch_send {
            sel.send(&tx);
        } else {
            sel.recv(&rx);
        }
        sel.ready();
        drop(sel);
        then(tx, rx);
    })
}

/// Explores interleavings with at most `LOOM_MAX_PREEMPTIONS` preemptions (default 2):
/// for models of three threads or more, whose full space is too large for CI.
#[cfg(csp_loom)]
pub fn bounded(model: impl Fn() + Sync + Send + 'static) {
    fixed_select_order();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(2);
    builder.check(model);
}

/// Runs `model` under shuttle's randomized schedulers, for what loom cannot explore
/// (eight threads and more, sixteen channels, whole executors): first uniformly random
/// schedules, then PCT (probabilistic concurrency testing, depth 3), each for
/// `CSP_SHUTTLE_ITERATIONS` schedules (default 1000), from the seed `CSP_SHUTTLE_SEED`
/// (default: fresh, printed). A failure prints its schedule; `CSP_SHUTTLE_REPLAY=<that
/// string>` (with the test's name as the filter) replays exactly that schedule.
#[cfg(csp_shuttle)]
pub fn explore(model: impl Fn() + Sync + Send + 'static) {
    use shuttle::scheduler::{PctScheduler, RandomScheduler};
    use shuttle::{Config, Runner};
    use std::sync::Arc;

    let model = Arc::new(model);
    let run = move || {
        let model = Arc::clone(&model);
        move || model()
    };
    if let Ok(schedule) = std::env::var("CSP_SHUTTLE_REPLAY") {
        shuttle::replay(run(), schedule.trim());
        return;
    }
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let iterations = number("CSP_SHUTTLE_ITERATIONS").unwrap_or(1000) as usize;
    let seed = number("CSP_SHUTTLE_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    // Captured by the test harness, and shown when the test fails.
    println!("shuttle seed {seed} ({iterations} schedules per scheduler)");
    let config = || {
        let mut config = Config::new();
        config.silence_warnings = true;
        config
    };
    Runner::new(RandomScheduler::new_from_seed(seed, iterations), config()).run(run());
    Runner::new(PctScheduler::new_from_seed(seed, 3, iterations), config()).run(run());
}

/// csp's own models keep select's fixed order among ready arms under loom: each was
/// sized (threads, preemptions, time) for it, and exploring the choice spawns a helper
/// thread per execution, whose steps multiply an exhaustive model's executions.
/// Exploring the choice is checked where users meet it: `user_models/`.
#[cfg(csp_loom)]
fn fixed_select_order() {
    csp_channel::loom_hooks::explore_select_choices(0);
}
