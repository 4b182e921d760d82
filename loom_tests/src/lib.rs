//! loom model checks of the csp wait protocol. They compile only under
//! `--cfg csp_loom`; run them with `scripts/loom.sh` (see the README).
//!
//! Each model spawns loom threads around real csp channels; loom explores their
//! interleavings (exhaustively for two threads, bounded by `LOOM_MAX_PREEMPTIONS` for
//! more) and checks every atomic, lock, `UnsafeCell` access and `Arc` count.

/// Explores every interleaving: for models of two threads (the main one included),
/// whatever `LOOM_MAX_PREEMPTIONS` says.
#[cfg(csp_loom)]
pub fn exhaustive(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = None;
    builder.check(model);
}

/// Explores interleavings with at most `LOOM_MAX_PREEMPTIONS` preemptions (default 2):
/// for models of three threads or more, whose full space is too large for CI.
#[cfg(csp_loom)]
pub fn bounded(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(2);
    builder.check(model);
}
