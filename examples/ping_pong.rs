//! The smallest rendezvous: two parties bounce a counter over a pair of `bounded(0)`
//! channels, as threads and as async tasks (on async_bridge's executor or tokio).
//!
//! ```sh
//! cargo run --release --example ping_pong -- 100000      # round trips (default 100000)
//! ```

use std::time::{Duration, Instant};

/// Bounces a counter `rounds` times between two threads; returns the final count.
fn threads(rounds: u64) -> u64 {
    let (ping_tx, ping_rx) = csp_channel::bounded::<u64>(0);
    let (pong_tx, pong_rx) = csp_channel::bounded::<u64>(0);
    let echo = std::thread::spawn(move || {
        for v in ping_rx {
            pong_tx.send(v + 1).unwrap(); // completes only when the other side takes it
        }
    });
    let mut count = 0;
    for _ in 0..rounds {
        ping_tx.send(count).unwrap();
        count = pong_rx.recv().unwrap();
    }
    drop(ping_tx); // the echo's loop ends when every sender is gone
    echo.join().unwrap();
    count
}

/// The same between two async tasks: the same channels, `send_async`/`recv_async`.
async fn tasks(
    rounds: u64,
    spawn: impl FnOnce(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
) -> u64 {
    let (ping_tx, ping_rx) = csp_channel::bounded::<u64>(0);
    let (pong_tx, pong_rx) = csp_channel::bounded::<u64>(0);
    spawn(Box::pin(async move {
        while let Ok(v) = ping_rx.recv_async().await {
            pong_tx.send_async(v + 1).await.unwrap();
        }
    }));
    let mut count = 0;
    for _ in 0..rounds {
        ping_tx.send_async(count).await.unwrap();
        count = pong_rx.recv_async().await.unwrap();
    }
    count
}

fn tasks_on_own_executor(rounds: u64) -> u64 {
    // Both tasks on the executor's one worker, as both run on tokio's one thread.
    let executor = csp_executor::Executor::new(1);
    let spawner = executor.spawner();
    executor
        .spawn(tasks(rounds, move |f| {
            spawner.spawn(f);
        }))
        .join()
}

fn tasks_on_tokio(rounds: u64) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(tasks(rounds, |f| {
        tokio::spawn(f);
    }))
}

fn timed(name: &str, rounds: u64, run: impl FnOnce(u64) -> u64) -> String {
    let start = Instant::now();
    let count = run(rounds);
    let each = start.elapsed() / rounds.max(1) as u32;
    format!("{name:<26} {count} round trips, {} ns each", nanos(each))
}

fn nanos(d: Duration) -> u128 {
    d.as_nanos()
}

fn main() {
    let rounds = std::env::args().nth(1).map_or(100_000, |a| {
        a.parse().expect("usage: ping_pong [ROUND_TRIPS]")
    });
    println!("{}", timed("threads", rounds, threads));
    println!(
        "{}",
        timed("tasks, own executor", rounds, tasks_on_own_executor)
    );
    println!(
        "{}",
        timed("tasks, tokio current-thread", rounds, tasks_on_tokio)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_round_trip_counts_once() {
        assert_eq!(super::threads(1_000), 1_000);
        assert_eq!(super::tasks_on_own_executor(1_000), 1_000);
        assert_eq!(super::tasks_on_tokio(1_000), 1_000);
        assert!(super::timed("threads", 10, super::threads).contains("10 round trips"));
    }
}
