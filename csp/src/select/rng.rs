//! The random order of `select!` and `Select::new()`: a per-thread xorshift generator.
//! Fairness needs only a uniform shuffle, not cryptographic randomness. Under loom the
//! shuffle is fixed, because models must be deterministic, and the choice among arms
//! that are ready at once is made by [`start`] instead, which loom explores; under
//! shuttle the order comes from shuttle's generator, which a replayed schedule
//! reproduces.

/// Shuffles `items` uniformly (Fisher–Yates).
pub(crate) fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(i + 1));
    }
}

/// Where a random-order select starts trying its (already shuffled) arms: the first,
/// but under loom, if several arms are `ready`, one of those, as a choice loom
/// explores (`crate::sync::choose`). `ready(position)` says whether the arm at that
/// position would commit now.
#[cfg(not(csp_loom))]
#[inline(always)]
pub(crate) fn start(_count: usize, _ready: impl Fn(usize) -> bool) -> usize {
    0
}

/// See the other cfg's version.
#[cfg(csp_loom)]
pub(crate) fn start(count: usize, ready: impl Fn(usize) -> bool) -> usize {
    // Looking at the arms takes their locks, steps loom explores: only when a choice
    // may be made.
    if count < 2 || !crate::sync::may_choose() {
        return 0;
    }
    let ready: Vec<usize> = (0..count).filter(|&position| ready(position)).collect();
    match ready.len() {
        0 | 1 => 0,
        choices => ready[crate::sync::choose(choices)],
    }
}

#[cfg(not(any(csp_loom, csp_shuttle)))]
fn below(bound: usize) -> usize {
    use std::cell::Cell;
    std::thread_local! {
        static STATE: Cell<u64> = Cell::new({
            // Seed from a per-thread address and the clock: distinct across threads.
            let local = 0u8;
            let addr = &local as *const u8 as u64;
            let time = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            (addr ^ time.rotate_left(32)) | 1
        });
    }
    STATE.with(|state| {
        // xorshift64*: full period over non-zero states.
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        let random = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // Multiply-shift maps 64 random bits onto 0..bound without division.
        ((u128::from(random) * bound as u128) >> 64) as usize
    })
}

#[cfg(csp_loom)]
fn below(_bound: usize) -> usize {
    0
}

#[cfg(csp_shuttle)]
fn below(bound: usize) -> usize {
    use shuttle::rand::Rng;
    shuttle::rand::thread_rng().gen_range(0..bound)
}
