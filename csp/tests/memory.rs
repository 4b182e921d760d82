//! A channel's memory follows what it holds now, not the most it ever held. One test
//! per binary: the counting allocator sees every thread in the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

/// Bytes allocated and not yet freed, process-wide.
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Values in a burst: 800 KB of `u64`, far above what a drained queue may keep.
const BURST: u64 = 100_000;

/// A drained queue may keep this much (a small buffer, so a mailbox's steady state
/// does not reallocate).
const KEPT: isize = 4096;

/// An unbounded channel that took a burst gives its memory back as the burst drains,
/// through plain receives and through selects alike. Before csp kept the buffer at
/// its peak, crossbeam-channel's own `select2` test (ported from Go's) failed whenever
/// the sender ran far ahead.
#[test]
fn a_drained_unbounded_channel_gives_back_a_bursts_memory() {
    let (tx, rx) = csp_channel::unbounded::<u64>();
    let (_keep, other) = csp_channel::unbounded::<u64>();
    let before = LIVE.load(Ordering::SeqCst);

    for round in 0..2 {
        for i in 0..BURST {
            tx.send(i).unwrap();
        }
        let peak = LIVE.load(Ordering::SeqCst) - before;
        assert!(
            peak >= (BURST * 8) as isize,
            "round {round}: the burst took {peak} bytes"
        );
        for i in 0..BURST {
            let got = if round == 0 {
                rx.recv().unwrap()
            } else {
                csp_channel::select! {
                    recv(rx) -> v => v.unwrap(),
                    recv(other) -> _ => unreachable!("nothing is sent on `other`"),
                }
            };
            assert_eq!(got, i);
        }
        let kept = LIVE.load(Ordering::SeqCst) - before;
        assert!(
            kept <= KEPT,
            "round {round}: a drained channel still holds {kept} bytes of a {peak}-byte burst"
        );
    }
}
