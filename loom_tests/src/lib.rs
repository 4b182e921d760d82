//! loom model checks of the csp wait protocol. They compile only under
//! `--cfg csp_loom`; run them with `scripts/loom.sh` (see the README).
//!
//! Each model spawns loom threads around real csp channels; loom explores their
//! interleavings (exhaustively for two threads, bounded by `LOOM_MAX_PREEMPTIONS` for
//! more) and checks every atomic, lock, `UnsafeCell` access and `Arc` count.
