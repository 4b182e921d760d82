//! The channel kinds, one module each: `zero` for rendezvous, `array` for buffered,
//! `list` for unbounded, `timer` for the timer receivers of select.

pub(crate) mod array;
pub(crate) mod list;
pub(crate) mod timer;
pub(crate) mod zero;

/// Which side of a channel a select arm uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// A send arm.
    Send,
    /// A receive arm.
    Recv,
}

/// Why a send did not happen; the value comes back either way.
#[derive(Debug)]
pub(crate) enum SendFailure<T> {
    /// No room (buffered) or no receiver (rendezvous) before the deadline.
    NotReady(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// Why a receive did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecvFailure {
    /// Nothing to take before the deadline.
    NotReady,
    /// Every sender is gone and nothing is left to take.
    Disconnected,
}
