//! Steady-state sends, receives and selects allocate nothing, on rendezvous and
//! buffered channels, blocking or not. One test per binary: the counting allocator sees every
//! thread in the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// Long enough for a waiting thread to stop spinning and park.
const PARK: Duration = Duration::from_millis(30);

/// Warm-up values the echo thread pauses on: before echoing, or after.
const WAIT_BEFORE_ECHO: u64 = u64::MAX;
const WAIT_AFTER_ECHO: u64 = u64::MAX - 1;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Ping-pongs `rounds` values with an echo thread over two channels of `cap`.
fn ping_pong(ping: &csp_channel::Sender<u64>, pong: &csp_channel::Receiver<u64>, rounds: u64) {
    for i in 0..rounds {
        ping.send(i).unwrap();
        assert_eq!(pong.recv(), Ok(i));
    }
}

/// Echoes through selects: each round, a `select!` sends the value on one of two
/// channels (a rendezvous and a buffered one) and a dynamic `Select` receives it back.
fn select_rounds(
    ping: [&csp_channel::Sender<u64>; 2],
    pong: [&csp_channel::Receiver<u64>; 2],
    sel: &mut csp_channel::Select<'_>,
    rounds: u64,
) {
    for i in 0..rounds {
        csp_channel::select! {
            send(ping[0], i) -> res => res.unwrap(),
            send(ping[1], i) -> res => res.unwrap(),
        }
        let oper = sel.select();
        let index = oper.index();
        assert_eq!(oper.recv(pong[index]), Ok(i));
    }
}

#[test]
fn steady_state_operations_do_not_allocate() {
    plain_operations();
    selects();
}

fn selects() {
    let (zero_tx, zero_rx) = csp_channel::bounded::<u64>(0);
    let (buf_tx, buf_rx) = csp_channel::bounded::<u64>(4);
    let (back_zero_tx, back_zero_rx) = csp_channel::bounded::<u64>(0);
    let (back_buf_tx, back_buf_rx) = csp_channel::bounded::<u64>(4);
    // The echo thread selects over both, and answers on the matching channel.
    let echo = thread::spawn(move || {
        loop {
            csp_channel::select! {
                recv(zero_rx) -> v => match v {
                    Ok(v) => back_zero_tx.send(v).unwrap(),
                    Err(_) => break,
                },
                recv(buf_rx) -> v => match v {
                    Ok(u64::MAX) => thread::sleep(PARK),
                    Ok(v) => back_buf_tx.send(v).unwrap(),
                    Err(_) => break,
                },
            }
        }
    });
    let mut sel = csp_channel::Select::new();
    sel.recv(&back_zero_rx);
    sel.recv(&back_buf_rx);
    let ping = [&zero_tx, &buf_tx];
    let pong = [&back_zero_rx, &back_buf_rx];
    // Warm up: park once on each side, and grow the wait queues.
    thread::sleep(PARK);
    buf_tx.send(u64::MAX).unwrap();
    select_rounds(ping, pong, &mut sel, 20_000);
    COUNTING.store(true, Ordering::SeqCst);
    select_rounds(ping, pong, &mut sel, 50_000);
    COUNTING.store(false, Ordering::SeqCst);
    drop((zero_tx, buf_tx));
    echo.join().unwrap();
    assert_eq!(
        ALLOCATIONS.load(Ordering::SeqCst),
        0,
        "allocations in selects"
    );
}

fn plain_operations() {
    for cap in [0, 1, 64] {
        let (ping_tx, ping_rx) = csp_channel::bounded::<u64>(cap);
        let (pong_tx, pong_rx) = csp_channel::bounded::<u64>(cap);
        let echo = thread::spawn(move || {
            for v in &ping_rx {
                if v == WAIT_BEFORE_ECHO {
                    // Warm-up: make the main thread wait long enough to park.
                    thread::sleep(PARK);
                }
                pong_tx.send(v).unwrap();
                if v == WAIT_AFTER_ECHO {
                    // Warm-up: make the main thread's next send wait for us.
                    thread::sleep(PARK);
                }
            }
        });
        // Warm up: each thread parks once (building its thread waker, a one-time
        // allocation per thread), and every wait queue grows to its working size: on
        // a rendezvous each side must have waited first at least once, or the first
        // time it does (a matter of timing) allocates its queue in the measured part.
        thread::sleep(PARK); // the echo's receive waits
        ping_pong(&ping_tx, &pong_rx, 1);
        ping_tx.send(WAIT_BEFORE_ECHO).unwrap(); // our receive waits
        assert_eq!(pong_rx.recv(), Ok(WAIT_BEFORE_ECHO));
        ping_tx.send(WAIT_AFTER_ECHO).unwrap();
        assert_eq!(pong_rx.recv(), Ok(WAIT_AFTER_ECHO));
        ping_tx.send(1).unwrap(); // our send waits
        thread::sleep(PARK); // the echo's send waits
        assert_eq!(pong_rx.recv(), Ok(1));
        ping_pong(&ping_tx, &pong_rx, 20_000);
        COUNTING.store(true, Ordering::SeqCst);
        ping_pong(&ping_tx, &pong_rx, 50_000);
        // Buffered: fill and drain without blocking, too.
        if cap > 1 {
            for _ in 0..1_000 {
                ping_tx.try_send(1).unwrap();
                assert_eq!(pong_rx.recv(), Ok(1));
            }
        }
        COUNTING.store(false, Ordering::SeqCst);
        drop(ping_tx);
        echo.join().unwrap();
        assert_eq!(
            ALLOCATIONS.load(Ordering::SeqCst),
            0,
            "allocations at capacity {cap}"
        );
    }
}
