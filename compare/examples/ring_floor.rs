//! What one thread pays to send and receive on a `bounded(1024)`, as an async worker
//! that runs both the sending and the receiving task does: csp's lock-free ring
//! against kanal's spinlocked buffer, then a minimal model of each design with nothing
//! else around it. The README's "At a glance" quotes it: if the two models differ as
//! much as the two libraries, the gap belongs to the designs, not to the code around
//! them.
//!
//! ```sh
//! cargo run --release -p csp-compare --example ring_floor
//! ```
//!
//! Each line is nanoseconds a message (one send and one receive), in batches of 1024
//! sends then 1024 receives, three rounds.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

const SLOTS: usize = 1024;
const BATCHES: usize = 20_000;

/// Times `batch` (which moves `SLOTS` messages) `BATCHES` times: ns a message.
fn per_message(mut batch: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCHES {
        batch();
    }
    start.elapsed().as_nanos() as f64 / (BATCHES * SLOTS) as f64
}

/// The lock-free design (csp's and crossbeam's): each side claims a position with a
/// compare-and-swap on its index, after checking the slot's stamp.
struct Ring {
    tail: AtomicUsize,
    head: AtomicUsize,
    stamps: Vec<AtomicUsize>,
    values: Vec<Cell<u64>>,
}

impl Ring {
    fn new() -> Self {
        Self {
            tail: AtomicUsize::new(0),
            head: AtomicUsize::new(0),
            stamps: (0..SLOTS).map(AtomicUsize::new).collect(),
            values: (0..SLOTS).map(|_| Cell::new(0)).collect(),
        }
    }

    #[inline(never)]
    fn send(&self, value: u64) -> bool {
        let tail = self.tail.load(Ordering::Acquire);
        let stamp = &self.stamps[tail % SLOTS];
        if stamp.load(Ordering::Acquire) == tail
            && self
                .tail
                .compare_exchange(tail, tail + 1, Ordering::SeqCst, Ordering::Acquire)
                .is_ok()
        {
            self.values[tail % SLOTS].set(value);
            stamp.store(tail + 1, Ordering::Release);
            return true;
        }
        false
    }

    #[inline(never)]
    fn recv(&self) -> Option<u64> {
        let head = self.head.load(Ordering::Acquire);
        let stamp = &self.stamps[head % SLOTS];
        if stamp.load(Ordering::Acquire) == head + 1
            && self
                .head
                .compare_exchange(head, head + 1, Ordering::SeqCst, Ordering::Acquire)
                .is_ok()
        {
            let value = self.values[head % SLOTS].get();
            stamp.store(head + SLOTS, Ordering::Release);
            return Some(value);
        }
        None
    }
}

/// The locked design (kanal's): a spinlock around a plain ring buffer.
struct Locked {
    lock: AtomicBool,
    head: Cell<usize>,
    len: Cell<usize>,
    values: Vec<Cell<u64>>,
}

impl Locked {
    fn new() -> Self {
        Self {
            lock: AtomicBool::new(false),
            head: Cell::new(0),
            len: Cell::new(0),
            values: (0..SLOTS).map(|_| Cell::new(0)).collect(),
        }
    }

    fn locked<R>(&self, f: impl FnOnce() -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        let result = f();
        self.lock.store(false, Ordering::Release);
        result
    }

    #[inline(never)]
    fn send(&self, value: u64) -> bool {
        self.locked(|| {
            let len = self.len.get();
            if len == SLOTS {
                return false;
            }
            self.values[(self.head.get() + len) % SLOTS].set(value);
            self.len.set(len + 1);
            true
        })
    }

    #[inline(never)]
    fn recv(&self) -> Option<u64> {
        self.locked(|| {
            let len = self.len.get();
            if len == 0 {
                return None;
            }
            let head = self.head.get();
            self.head.set((head + 1) % SLOTS);
            self.len.set(len - 1);
            Some(self.values[head].get())
        })
    }
}

fn main() {
    for _ in 0..3 {
        let (tx, rx) = csp_channel::bounded::<u64>(SLOTS);
        let csp = per_message(|| {
            for i in 0..SLOTS as u64 {
                tx.try_send(i).unwrap();
            }
            for _ in 0..SLOTS {
                black_box(rx.try_recv().unwrap());
            }
        });
        let (tx, rx) = kanal::bounded::<u64>(SLOTS);
        let kanal = per_message(|| {
            for i in 0..SLOTS as u64 {
                tx.try_send(i).unwrap();
            }
            for _ in 0..SLOTS {
                black_box(rx.try_recv().unwrap());
            }
        });
        let ring = Ring::new();
        let ring = per_message(|| {
            for i in 0..SLOTS as u64 {
                assert!(ring.send(i));
            }
            for _ in 0..SLOTS {
                black_box(ring.recv().unwrap());
            }
        });
        let locked = Locked::new();
        let locked = per_message(|| {
            for i in 0..SLOTS as u64 {
                assert!(locked.send(i));
            }
            for _ in 0..SLOTS {
                black_box(locked.recv().unwrap());
            }
        });
        println!(
            "csp {csp:.2} ns, kanal {kanal:.2} ns; lock-free ring model {ring:.2} ns, \
             spinlocked buffer model {locked:.2} ns"
        );
    }
}
