//! The lock of a channel's wait queues: one atomic flag, taken with one
//! compare-and-swap and released with one store; a contended locker spins briefly,
//! then yields, until the flag is free.
//!
//! # Why not `std::sync::Mutex`
//! Every blocking rendezvous takes a queue lock twice per value (the waiter to queue
//! itself, the counterpart to meet it). std's mutex releases with an atomic swap (to
//! learn whether to wake a sleeper) and checks for a panic on both sides (poisoning),
//! which together cost about 70 of the 520 instructions of a round trip between two
//! threads pinned to one CPU (callgrind). `parking_lot` would do, but it allocates its
//! thread table on first contention, which the no-allocation test forbids.
//!
//! # Why never sleeping is fine
//! Holders run a few dozen instructions of csp's own code under the lock: queue pushes
//! and pops, state compare-and-swaps, and the wake-ups of `Select::ready` watchers. No
//! wait and no user code runs under it (values are dropped and parties woken after
//! unlocking), so a locker waits for a holder that is running, or was preempted: then
//! yielding hands it the CPU, at once on one CPU ([`Backoff`]). crossbeam-channel
//! guards its waker lists the same way.
//!
//! The flag's Acquire on taking and Release on giving back order every access to the
//! value between two holders. There is no poisoning: no user code runs under the lock,
//! so a panic there would be a bug in csp itself, and csp took a poisoned std lock over
//! anyway (`sync::lock`). A guard dropped while unwinding unlocks, as std's does.

use crate::backoff::Backoff;
use crate::sync::{AtomicBool, Ordering};
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

/// A value behind a queue lock; see the module docs.
pub(crate) struct Mutex<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands the value from thread to thread, one holder at a time, like
// std's mutex: `T: Send` suffices for both.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: as above; a shared `Mutex` only gives access through a guard.
unsafe impl<T: Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked lock around `value`.
    pub(crate) fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, waiting for its holder to give it back.
    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        if self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        MutexGuard { mutex: self }
    }

    /// [`lock`](Mutex::lock) once another holds it: retries between pauses. (Each
    /// retry is the compare-and-swap itself, not a plain load first: a load may go on
    /// reading a stale `true` as far as the memory model is concerned, which loom
    /// explores without end; the pauses keep the retries from hammering the line.)
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut backoff = Backoff::new();
        loop {
            backoff.snooze();
            if self
                .locked
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl<T> std::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The value is not shown: reading it would need the lock.
        f.debug_struct("Mutex")
            .field("locked", &self.locked.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Access to a locked value; dropping it unlocks.
pub(crate) struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the lock, so no other guard exists, and the
        // Acquire that took it saw every write of the previous holder.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow of the guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.mutex.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(any(csp_loom, csp_shuttle))))]
mod tests {
    use super::Mutex;
    use std::sync::Arc;

    /// Every increment survives: a broken exclusion, or a release that does not
    /// publish the holder's writes, loses some (more threads than CPUs, so holders are
    /// preempted while others wait).
    #[test]
    fn holders_exclude_each_other() {
        const THREADS: usize = 6;
        const ROUNDS: usize = 20_000;
        let counter = Arc::new(Mutex::new((0usize, 0usize)));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        let mut guard = counter.lock();
                        // Two fields that must always agree; a second holder would see
                        // them apart.
                        assert_eq!(guard.0, guard.1, "two holders at once");
                        guard.0 += 1;
                        std::hint::black_box(&mut *guard);
                        guard.1 += 1;
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(*counter.lock(), (THREADS * ROUNDS, THREADS * ROUNDS));
    }

    #[test]
    fn debug_shows_whether_it_is_held() {
        let mutex = Mutex::new(1);
        assert_eq!(format!("{mutex:?}"), "Mutex { locked: false, .. }");
        let _guard = mutex.lock();
        assert_eq!(format!("{mutex:?}"), "Mutex { locked: true, .. }");
    }
}
