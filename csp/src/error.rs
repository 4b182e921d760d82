//! The errors of channel operations, named as crossbeam-channel names them. Each error
//! of a send gives its value back.

use std::error::Error;
use std::fmt;

/// A [`send`](crate::Sender::send) failed because every receiver is gone; holds the
/// value that was not sent.
///
/// ```
/// let (tx, rx) = csp_channel::bounded::<i32>(1);
/// drop(rx);
/// assert_eq!(tx.send(7).unwrap_err().into_inner(), 7);
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// A [`try_send`](crate::Sender::try_send) failed; holds the value that was not sent.
///
/// ```
/// use csp_channel::TrySendError;
/// let (tx, _rx) = csp_channel::bounded::<i32>(0);
/// assert_eq!(tx.try_send(1), Err(TrySendError::Full(1)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// No room in the buffer, or, for a rendezvous channel, no receiver waiting.
    Full(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A [`send_timeout`](crate::Sender::send_timeout) or
/// [`send_deadline`](crate::Sender::send_deadline) failed; holds the value.
///
/// ```
/// use csp_channel::SendTimeoutError;
/// use std::time::Duration;
/// let (tx, _rx) = csp_channel::bounded::<i32>(0);
/// let err = tx.send_timeout(3, Duration::from_millis(1)).unwrap_err();
/// assert!(err.is_timeout());
/// assert_eq!(err.into_inner(), 3);
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum SendTimeoutError<T> {
    /// The time ran out before the value could be sent.
    Timeout(T),
    /// Every receiver is gone.
    Disconnected(T),
}

/// A [`recv`](crate::Receiver::recv) failed because every sender is gone and the
/// channel is empty.
///
/// ```
/// let (tx, rx) = csp_channel::bounded::<i32>(1);
/// drop(tx);
/// assert_eq!(rx.recv(), Err(csp_channel::RecvError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// A [`try_recv`](crate::Receiver::try_recv) failed.
///
/// ```
/// use csp_channel::TryRecvError;
/// let (tx, rx) = csp_channel::bounded::<i32>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing to receive now (for a rendezvous channel: no sender waiting).
    Empty,
    /// Every sender is gone and the channel is empty.
    Disconnected,
}

/// A [`recv_timeout`](crate::Receiver::recv_timeout) or
/// [`recv_deadline`](crate::Receiver::recv_deadline) failed.
///
/// ```
/// use csp_channel::RecvTimeoutError;
/// use std::time::Duration;
/// let (_tx, rx) = csp_channel::bounded::<i32>(0);
/// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum RecvTimeoutError {
    /// The time ran out before a value arrived.
    Timeout,
    /// Every sender is gone and the channel is empty.
    Disconnected,
}

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// assert_eq!(csp_channel::SendError(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// assert_eq!(csp_channel::TrySendError::Full(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(v) | Self::Disconnected(v) => v,
        }
    }

    /// Whether the send failed for want of room or of a receiver.
    ///
    /// ```
    /// assert!(csp_channel::TrySendError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the send failed because every receiver is gone.
    ///
    /// ```
    /// assert!(csp_channel::TrySendError::Disconnected(()).is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl<T> SendTimeoutError<T> {
    /// The value that was not sent.
    ///
    /// ```
    /// assert_eq!(csp_channel::SendTimeoutError::Timeout(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Timeout(v) | Self::Disconnected(v) => v,
        }
    }

    /// Whether the time ran out.
    ///
    /// ```
    /// assert!(csp_channel::SendTimeoutError::Timeout(()).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Whether every receiver is gone.
    ///
    /// ```
    /// assert!(csp_channel::SendTimeoutError::Disconnected(()).is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }
}

impl TryRecvError {
    /// Whether there was nothing to receive.
    ///
    /// ```
    /// assert!(csp_channel::TryRecvError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Whether every sender is gone.
    ///
    /// ```
    /// assert!(csp_channel::TryRecvError::Disconnected.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

impl RecvTimeoutError {
    /// Whether the time ran out.
    ///
    /// ```
    /// assert!(csp_channel::RecvTimeoutError::Timeout.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }

    /// Whether every sender is gone.
    ///
    /// ```
    /// assert!(csp_channel::RecvTimeoutError::Disconnected.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

// Debug shows the variant, not the value, so that `T: Debug` is not required (as std
// and crossbeam do).
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError { .. }")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a disconnected channel")
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("sending on a full channel"),
            Self::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("timed out waiting on send operation"),
            Self::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and disconnected channel")
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("receiving on an empty channel"),
            Self::Disconnected => f.write_str("receiving on an empty and disconnected channel"),
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out waiting on receive operation"),
            Self::Disconnected => f.write_str("channel is empty and disconnected"),
        }
    }
}

impl<T> Error for SendError<T> {}
impl<T> Error for TrySendError<T> {}
impl<T> Error for SendTimeoutError<T> {}
impl Error for RecvError {}
impl Error for TryRecvError {}
impl Error for RecvTimeoutError {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}

impl<T> From<SendError<T>> for SendTimeoutError<T> {
    fn from(err: SendError<T>) -> Self {
        Self::Disconnected(err.0)
    }
}

impl From<RecvError> for TryRecvError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

impl From<RecvError> for RecvTimeoutError {
    fn from(_: RecvError) -> Self {
        Self::Disconnected
    }
}

/// [`Select::try_select`](crate::Select::try_select) found no operation ready.
///
/// ```
/// let (_tx, rx) = csp_channel::bounded::<i32>(0);
/// let mut sel = csp_channel::Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_select().unwrap_err(), csp_channel::TrySelectError);
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TrySelectError;

/// [`Select::select_timeout`](crate::Select::select_timeout) or
/// [`select_deadline`](crate::Select::select_deadline) ran out of time.
///
/// ```
/// use std::time::Duration;
/// let (_tx, rx) = csp_channel::bounded::<i32>(0);
/// let mut sel = csp_channel::Select::new();
/// sel.recv(&rx);
/// assert!(sel.select_timeout(Duration::from_millis(1)).is_err());
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct SelectTimeoutError;

/// [`Select::try_ready`](crate::Select::try_ready) found no operation ready.
///
/// ```
/// let (_tx, rx) = csp_channel::bounded::<i32>(1);
/// let mut sel = csp_channel::Select::new();
/// sel.recv(&rx);
/// assert_eq!(sel.try_ready(), Err(csp_channel::TryReadyError));
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct TryReadyError;

/// [`Select::ready_timeout`](crate::Select::ready_timeout) or
/// [`ready_deadline`](crate::Select::ready_deadline) ran out of time.
///
/// ```
/// use std::time::Duration;
/// let (_tx, rx) = csp_channel::bounded::<i32>(1);
/// let mut sel = csp_channel::Select::new();
/// sel.recv(&rx);
/// assert!(sel.ready_timeout(Duration::from_millis(1)).is_err());
/// ```
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct ReadyTimeoutError;

impl fmt::Display for TrySelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no operation of the select was ready")
    }
}

impl fmt::Display for SelectTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting on a select")
    }
}

impl fmt::Display for TryReadyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no operation of the select was ready")
    }
}

impl fmt::Display for ReadyTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting for an operation of the select to become ready")
    }
}

impl Error for TrySelectError {}
impl Error for SelectTimeoutError {}
impl Error for TryReadyError {}
impl Error for ReadyTimeoutError {}
