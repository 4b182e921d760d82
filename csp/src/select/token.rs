//! What a select holds between choosing an arm and completing it.
//!
//! Choosing an arm *claims* its operation, so that it can no longer fail for want of a
//! counterpart or of room; completing it moves the value. In between, user code may
//! run (the message expression of a send arm), so the claim is untyped: the channel's
//! typed code turns it back into a value move, or gives it back.

use crate::party::Party;
use std::ptr::NonNull;
use std::time::Instant;

/// A claimed operation of one select arm.
#[derive(Debug)]
pub(crate) enum Token {
    /// The channel is disconnected: the operation completes at once with an error.
    Disconnected,
    /// Rendezvous: a waiting counterpart, claimed under the channel lock and removed
    /// from its queue. `slot` points at its `Slot<T>` (a blocked thread), or is null
    /// for a select, which must be given a partner to move the value; `task` says
    /// whether that select is an async task's, which is nudged instead (no thread
    /// waits on a task), and is queued again as a task's if the claim is given back.
    Claimed {
        party: NonNull<Party>,
        slot: *const (),
        arm: usize,
        task: bool,
    },
    /// Rendezvous: a counterpart claimed this select and left its `Waiter<T>`.
    Partner(*const ()),
    /// Buffered: a claimed position in the ring and the slot at it.
    Ring { slot: *const (), pos: usize },
    /// Unbounded: a receive arm's claim on a queued value (counted, not tied to one
    /// value), or a send arm's go-ahead.
    Queued,
    /// A timer fired at this instant.
    Timer(Instant),
    /// Rendezvous, async select: the send arm's value was taken by a receiver (or
    /// given to one) already; nothing is left to do.
    Sent,
}
