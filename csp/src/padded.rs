//! Keeps a hot atomic on a cache line of its own.

use std::ops::Deref;

/// Aligns `T` to 128 bytes: two 64-byte lines, because x86's adjacent-line prefetcher
/// pulls lines in pairs, so a 64-byte split still shares traffic.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
