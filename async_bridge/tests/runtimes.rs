//! The same futures on tokio (current-thread and multi-thread), on
//! `futures::executor`, and on this crate's executor, with threads joining in.
#![cfg(not(csp_loom))]

use csp_executor::{Executor, block_on};
use futures::{SinkExt, StreamExt};
use std::thread;

/// Moves `n` values through a rendezvous and a buffered channel between tasks, with
/// a thread receiving on a third; returns what the thread got.
async fn pipeline(
    n: u64,
    spawn: impl Fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
) -> u64 {
    let (a_tx, a_rx) = csp_channel::bounded::<u64>(0);
    let (b_tx, b_rx) = csp_channel::bounded::<u64>(4);
    let (c_tx, c_rx) = csp_channel::bounded::<u64>(0);
    spawn(Box::pin(async move {
        for i in 0..n {
            a_tx.send_async(i).await.unwrap();
        }
    }));
    spawn(Box::pin(async move {
        while let Ok(v) = a_rx.recv_async().await {
            b_tx.send_async(v * 2).await.unwrap();
        }
    }));
    spawn(Box::pin(async move {
        let mut sink = c_tx.into_sink();
        let mut stream = b_rx.into_stream();
        while let Some(v) = stream.next().await {
            sink.send(v + 1).await.unwrap();
        }
    }));
    let thread = thread::spawn(move || c_rx.iter().sum::<u64>());
    // Let the spawned tasks run while this one waits for the thread.
    let (done_tx, done_rx) = csp_channel::bounded(1);
    thread::spawn(move || done_tx.send(thread.join().unwrap()).unwrap());
    done_rx.recv_async().await.unwrap()
}

fn expected(n: u64) -> u64 {
    (0..n).map(|i| i * 2 + 1).sum()
}

#[test]
fn on_tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got = rt.block_on(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(pipeline(2_000, |f| {
                tokio::task::spawn_local(f);
            }))
            .await
    });
    assert_eq!(got, expected(2_000));
}

#[test]
fn on_tokio_multi_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let got = rt.block_on(pipeline(2_000, |f| {
        tokio::spawn(f);
    }));
    assert_eq!(got, expected(2_000));
}

#[test]
fn on_futures_thread_pool() {
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let got = futures::executor::block_on(pipeline(2_000, |f| pool.spawn_ok(f)));
    assert_eq!(got, expected(2_000));
}

#[test]
fn on_the_own_executor() {
    let executor = Executor::new(2);
    let got = block_on(pipeline(2_000, |f| {
        executor.spawn(f);
    }));
    assert_eq!(got, expected(2_000));
}

#[test]
fn many_tasks_ping_pong_on_the_own_executor() {
    let executor = Executor::with_capacity(2, 64);
    let handles: Vec<_> = (0..200u64)
        .map(|i| {
            let (ping_tx, ping_rx) = csp_channel::bounded::<u64>(0);
            let (pong_tx, pong_rx) = csp_channel::bounded::<u64>(0);
            executor.spawn(async move {
                while let Ok(v) = ping_rx.recv_async().await {
                    pong_tx.send_async(v + 1).await.unwrap();
                }
            });
            executor.spawn(async move {
                let mut v = i;
                for _ in 0..20 {
                    ping_tx.send_async(v).await.unwrap();
                    v = pong_rx.recv_async().await.unwrap();
                }
                v
            })
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.join(), i as u64 + 20);
    }
}

#[test]
fn a_panicking_task_is_reported_and_the_workers_go_on() {
    let executor = Executor::new(1);
    let failing = executor.spawn(async { panic!("task failure") });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| failing.join()));
    assert!(result.is_err());
    assert_eq!(executor.spawn(async { 5 }).join(), 5);
}

#[test]
fn join_handles_can_be_awaited() {
    let executor = Executor::new(2);
    let inner = executor.spawn(async { 20 });
    let outer = executor.spawn(async move { inner.await + 1 });
    assert_eq!(outer.join(), 21);
}
