//! Helpers shared by the async test suites.

use futures::future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::thread;

/// A value that counts how often it is dropped, by id.
pub struct Tracked {
    pub id: usize,
    pub drops: Arc<Vec<AtomicUsize>>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::SeqCst);
    }
}

/// A timer in poll counts: ready after `polls` polls, waking itself each time
/// (`usize::MAX`: never ready, never waking itself), and yielding the thread on each
/// poll, so that storms race cancellation at many points without real time.
pub fn ticks(polls: usize) -> impl std::future::Future<Output = ()> {
    let mut left = polls;
    future::poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(());
        }
        if left != usize::MAX {
            left -= 1;
            cx.waker().wake_by_ref();
        }
        thread::yield_now();
        Poll::Pending
    })
}
