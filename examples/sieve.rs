//! Hoare's prime sieve (CSP 6.1, after McIlroy): a pipeline that grows a process per
//! prime. The first number a stage receives is its prime; it passes on only what its
//! prime does not divide, to a stage it creates for the next prime. One thread per
//! prime, or (the async twin) one task per prime.
//!
//! ```sh
//! cargo run --release --example sieve -- 100           # the first 100 primes, threads
//! cargo run --release --example sieve -- 100 tasks     # one task per prime, own executor
//! cargo run --release --example sieve -- 100 tokio     # one task per prime, tokio
//! ```
//!
//! It stops the way CSP processes do: once the first `n` primes are in, the printer
//! drops its receiver; each stage's next report fails, so it ends and drops its own
//! receiver, and the failure travels up to the number generator.

use std::future::Future;
use std::pin::Pin;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The first `n` primes, one thread per prime.
fn primes_threads(n: usize) -> Vec<u64> {
    let (primes_tx, primes_rx) = csp_channel::bounded::<u64>(0);
    let (numbers_tx, numbers_rx) = csp_channel::bounded::<u64>(0);
    std::thread::spawn(move || {
        let mut k = 2;
        while numbers_tx.send(k).is_ok() {
            k += 1;
        }
    });
    std::thread::spawn(move || stage(numbers_rx, primes_tx));
    primes_rx.iter().take(n).collect()
}

/// One stage: its prime is the first number in; it filters the rest to the next.
fn stage(input: csp_channel::Receiver<u64>, primes: csp_channel::Sender<u64>) {
    let Ok(prime) = input.recv() else { return };
    if primes.send(prime).is_err() {
        return;
    }
    let (next_tx, next_rx) = csp_channel::bounded(0);
    let primes_next = primes.clone();
    std::thread::spawn(move || stage(next_rx, primes_next));
    for k in input {
        if k % prime != 0 && next_tx.send(k).is_err() {
            return;
        }
    }
}

/// The first `n` primes, one async task per prime; `spawn` runs a task.
async fn primes_tasks(n: usize, spawn: impl Fn(Task) + Clone + Send + Sync + 'static) -> Vec<u64> {
    let (primes_tx, primes_rx) = csp_channel::bounded::<u64>(0);
    let (numbers_tx, numbers_rx) = csp_channel::bounded::<u64>(0);
    spawn(Box::pin(async move {
        let mut k = 2;
        while numbers_tx.send_async(k).await.is_ok() {
            k += 1;
        }
    }));
    spawn(stage_task(numbers_rx, primes_tx, spawn.clone()));
    let mut primes = Vec::with_capacity(n);
    while primes.len() < n {
        primes.push(primes_rx.recv_async().await.unwrap());
    }
    primes
}

fn stage_task(
    input: csp_channel::Receiver<u64>,
    primes: csp_channel::Sender<u64>,
    spawn: impl Fn(Task) + Clone + Send + Sync + 'static,
) -> Task {
    Box::pin(async move {
        let Ok(prime) = input.recv_async().await else {
            return;
        };
        if primes.send_async(prime).await.is_err() {
            return;
        }
        let (next_tx, next_rx) = csp_channel::bounded(0);
        spawn(stage_task(next_rx, primes.clone(), spawn.clone()));
        while let Ok(k) = input.recv_async().await {
            if k % prime != 0 && next_tx.send_async(k).await.is_err() {
                return;
            }
        }
    })
}

fn primes_own_executor(n: usize) -> Vec<u64> {
    let executor = csp_executor::Executor::new(2);
    let spawner = executor.spawner();
    csp_executor::block_on(primes_tasks(n, move |task| {
        spawner.spawn(task);
    }))
}

fn primes_tokio(n: usize) -> Vec<u64> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(primes_tasks(n, |task| {
        tokio::spawn(task);
    }))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100, |a| {
        a.parse().expect("usage: sieve [N] [threads|tasks|tokio]")
    });
    let primes = match args.next().as_deref() {
        None | Some("threads") => primes_threads(n),
        Some("tasks") => primes_own_executor(n),
        Some("tokio") => primes_tokio(n),
        Some(other) => panic!("unknown mode {other:?}: use threads, tasks or tokio"),
    };
    let line: Vec<String> = primes.iter().map(u64::to_string).collect();
    println!("{}", line.join(" "));
}

#[cfg(test)]
mod tests {
    const FIRST_25: [u64; 25] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97,
    ];

    #[test]
    fn the_pipeline_yields_the_primes() {
        assert_eq!(super::primes_threads(25), FIRST_25);
        assert_eq!(super::primes_own_executor(25), FIRST_25);
        assert_eq!(super::primes_tokio(25), FIRST_25);
        assert_eq!(super::primes_threads(200).last(), Some(&1223));
    }
}
