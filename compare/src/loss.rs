//! The cancellation table: what each async library does with values when its futures
//! are dropped half-way, the way `tokio::time::timeout` and a lost `tokio::select!`
//! drop them.
//!
//! One producer task sends `0..n` and one consumer task receives, on tokio's
//! multi-thread runtime (two workers, so the two sides really race). About half of
//! each side's operations are cancellable, chosen at random:
//! - [`Cancel::Timeout`]: the operation runs under `tokio::time::timeout_at` with a
//!   deadline already past, so it is polled once and, if it was not ready, dropped
//!   (tokio's timer ticks in milliseconds: a zero budget from now would expire only
//!   at the next tick, after almost every operation has completed);
//! - [`Cancel::Select`]: the operation races a branch that is ready after 0-3
//!   `yield_now`s in a `tokio::select!`, so it is dropped after a few polls, at a
//!   random point of the other side's progress.
//!
//! The other half are awaited plainly, so the run always progresses. The producer
//! records which sends completed; once it is done it drops its sender, and the
//! consumer receives until the channel reports closed, so every value still buffered
//! is counted. Then, per value:
//! - **lost**: its send completed (the sender was told it was delivered), but no
//!   receive returned it: it went into a future that was dropped;
//! - **duplicated**: receives returned it more than once;
//! - **delivered, send cancelled**: its send was cancelled, yet a receiver got it.
//!   This is not a loss (the value arrived once), but a sender that retries a
//!   cancelled send would deliver it twice. On a rendezvous channel a receiver may
//!   take the value of a send future that is then dropped before it is polled again,
//!   so this count can be non-zero for a library that loses nothing.
//!
//! ```
//! use csp_compare::{asynch::Csp, loss::{run, Cancel}};
//! let tally = run::<Csp>(0, Cancel::Select, 1_000, 7);
//! assert!(tally.finished);
//! assert_eq!((tally.lost, tally.duplicated), (0, 0));
//! ```

use crate::asynch::AsyncLib;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// How an operation is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// `tokio::time::timeout_at` a deadline already past: dropped after one poll.
    Timeout,
    /// Losing a `tokio::select!` to a branch ready after 0-3 yields.
    Select,
}

impl Cancel {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Cancel::Timeout => "timeout",
            Cancel::Select => "select",
        }
    }
}

/// What one run found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Values the producer tried to send.
    pub hand_offs: u64,
    /// Sends dropped before they completed.
    pub sends_cancelled: u64,
    /// Receives dropped before they completed.
    pub receives_cancelled: u64,
    /// Values whose send completed but which no receive returned.
    pub lost: u64,
    /// Values returned by more than one receive.
    pub duplicated: u64,
    /// Values whose send was cancelled but which a receive returned (once).
    pub delivered_send_cancelled: u64,
    /// Whether both sides finished within [`LIMIT`]; if not, the counts are empty.
    pub finished: bool,
}

/// The longest a run may take before it is reported as not finishing (a library that
/// loses a wake-up under cancellation would hang here).
pub const LIMIT: Duration = Duration::from_secs(30);

/// A small xorshift generator: the runs are reproducible from their seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Ready after `left` polls that each wake the task at once (`yield_now`, counted).
struct Yields {
    left: u32,
}

impl Future for Yields {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Runs `op` to the end, or cancels it as `how` says; `None` if it was cancelled.
/// `past` is a deadline before the runtime started.
async fn maybe_cancelled<F: Future>(
    op: F,
    how: Cancel,
    yields: u32,
    past: tokio::time::Instant,
) -> Option<F::Output> {
    match how {
        Cancel::Timeout => tokio::time::timeout_at(past, op).await.ok(),
        Cancel::Select => {
            tokio::select! {
                out = op => Some(out),
                () = Yields { left: yields } => None,
            }
        }
    }
}

/// `n` hand-offs over a channel of capacity `cap` of library `L`, with about half of
/// the sends and half of the receives cancellable as `how` says; `seed` picks which.
pub fn run<L: AsyncLib>(cap: usize, how: Cancel, n: u64, seed: u64) -> Tally {
    let (mut tx, mut rx) = L::bounded(cap);
    // A second before the runtime starts: tokio rounds a deadline up to its next
    // millisecond tick, and this one is past on every tick, from the first.
    let past = tokio::time::Instant::now()
        .checked_sub(Duration::from_secs(1))
        .expect("a clock more than a second past its epoch");
    let producer = async move {
        let mut rng = Rng(seed | 1);
        // 1: the send completed; 0: it was cancelled.
        let mut completed = vec![0u8; n as usize];
        for v in 0..n {
            let r = rng.next();
            let sent = if r & 1 == 0 {
                L::send(&mut tx, v).await;
                true
            } else {
                let yields = (r >> 1) as u32 % 4;
                maybe_cancelled(L::send(&mut tx, v), how, yields, past)
                    .await
                    .is_some()
            };
            completed[v as usize] = u8::from(sent);
        }
        drop(tx);
        completed
    };
    let consumer = async move {
        let mut rng = Rng(seed.rotate_left(32) | 1);
        let mut received = vec![0u32; n as usize];
        let mut cancelled = 0;
        loop {
            let r = rng.next();
            let got = if r & 1 == 0 {
                L::recv(&mut rx).await
            } else {
                let yields = (r >> 1) as u32 % 4;
                match maybe_cancelled(L::recv(&mut rx), how, yields, past).await {
                    Some(got) => got,
                    None => {
                        cancelled += 1;
                        continue;
                    }
                }
            };
            let Some(v) = got else { break };
            let slot = received
                .get_mut(v as usize)
                .unwrap_or_else(|| panic!("received {v}, which was never sent"));
            *slot += 1;
        }
        (received, cancelled)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let outcome = runtime.block_on(async {
        let producer = tokio::spawn(producer);
        let consumer = tokio::spawn(consumer);
        tokio::time::timeout(LIMIT, async {
            (producer.await.unwrap(), consumer.await.unwrap())
        })
        .await
    });
    // A run that hung leaves its tasks stuck: dropping the runtime drops them.
    runtime.shutdown_background();
    let Ok((completed, (received, receives_cancelled))) = outcome else {
        return Tally {
            hand_offs: n,
            ..Tally::default()
        };
    };
    let mut tally = Tally {
        hand_offs: n,
        receives_cancelled,
        finished: true,
        ..Tally::default()
    };
    for (&sent, &got) in completed.iter().zip(&received) {
        let sent = sent == 1;
        tally.sends_cancelled += u64::from(!sent);
        tally.lost += u64::from(sent && got == 0);
        tally.duplicated += u64::from(got > 1);
        tally.delivered_send_cancelled += u64::from(!sent && got == 1);
    }
    tally
}

/// One row of the table.
pub struct Row {
    /// The library.
    pub lib: &'static str,
    /// The channel's capacity.
    pub cap: usize,
    /// How operations were cancelled.
    pub how: Cancel,
    /// What the run found.
    pub tally: Tally,
}

/// Every library's rows, at its smallest capacity (0 where it has a rendezvous) and
/// at 1024, cancelled each way; `n` hand-offs per row; `progress` is told of each.
pub fn table(n: u64, mut progress: impl FnMut(&Row)) -> Vec<Row> {
    use crate::asynch::*;
    type Runner = fn(usize, Cancel, u64, u64) -> Tally;
    let libs: [(&'static str, usize, Runner); 7] = [
        (Csp::NAME, Csp::PING_PONG_CAP, run::<Csp>),
        (Kanal::NAME, Kanal::PING_PONG_CAP, run::<Kanal>),
        (Flume::NAME, Flume::PING_PONG_CAP, run::<Flume>),
        (Crossfire::NAME, Crossfire::PING_PONG_CAP, run::<Crossfire>),
        (
            AsyncChannel::NAME,
            AsyncChannel::PING_PONG_CAP,
            run::<AsyncChannel>,
        ),
        (TokioMpsc::NAME, TokioMpsc::PING_PONG_CAP, run::<TokioMpsc>),
        (
            FuturesMpsc::NAME,
            FuturesMpsc::PING_PONG_CAP,
            run::<FuturesMpsc>,
        ),
    ];
    let mut rows = Vec::new();
    for (lib, smallest, runner) in libs {
        for cap in [smallest, 1024] {
            for how in [Cancel::Timeout, Cancel::Select] {
                let seed = 0x9e37_79b9_7f4a_7c15 ^ (cap as u64) << 8 ^ how as u64;
                let row = Row {
                    lib,
                    cap,
                    how,
                    tally: runner(cap, how, n, seed),
                };
                progress(&row);
                rows.push(row);
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asynch::Csp;

    /// csp's receive under cancellation, but holding the value across an await point
    /// (the way a library that writes a value into a waiting future loses it): the
    /// table must see the loss, or its zeros for csp would mean nothing.
    struct Lossy;
    impl AsyncLib for Lossy {
        const NAME: &'static str = "lossy";
        const PING_PONG_CAP: usize = 0;
        type Tx = <Csp as AsyncLib>::Tx;
        type Rx = <Csp as AsyncLib>::Rx;
        fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
            Csp::bounded(cap)
        }
        fn send(tx: &mut Self::Tx, v: u64) -> impl Future<Output = ()> + Send {
            Csp::send(tx, v)
        }
        async fn recv(rx: &mut Self::Rx) -> Option<u64> {
            let got = Csp::recv(rx).await;
            Yields { left: 1 }.await;
            got
        }
    }

    #[test]
    fn csp_loses_and_duplicates_nothing() {
        for cap in [0, 1, 4] {
            for how in [Cancel::Timeout, Cancel::Select] {
                // The runs must cancel on both sides, or they prove nothing. Whether
                // a receive is cancelled depends on the schedule: at capacity 4 a
                // producer that keeps ahead (test threads on every CPU) leaves no
                // receive to find the ring empty in a whole run. So a run that
                // cancelled on one side only is followed by another, with another
                // seed, and every run must lose and duplicate nothing.
                let (mut sends, mut receives) = (0, 0);
                for attempt in 0..8 {
                    let tally = run::<Csp>(cap, how, 5_000, 11 + cap as u64 + 100 * attempt);
                    assert!(tally.finished, "cap {cap} {how:?}: did not finish");
                    assert_eq!(
                        (tally.lost, tally.duplicated),
                        (0, 0),
                        "cap {cap} {how:?}: {tally:?}"
                    );
                    sends += tally.sends_cancelled;
                    receives += tally.receives_cancelled;
                    if sends > 0 && receives > 0 {
                        break;
                    }
                }
                assert!(
                    sends > 0 && receives > 0,
                    "cap {cap} {how:?}: eight runs cancelled {sends} sends and {receives} \
                     receives"
                );
            }
        }
    }

    #[test]
    fn a_receive_holding_its_value_across_an_await_is_seen_losing() {
        let tally = run::<Lossy>(0, Cancel::Select, 5_000, 3);
        assert!(tally.finished);
        assert!(tally.lost > 0, "{tally:?}");
        assert_eq!(tally.duplicated, 0, "{tally:?}");
    }
}
