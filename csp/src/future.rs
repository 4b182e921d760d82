//! Async send and receive on the very same channels: [`Sender::send_async`] and
//! [`Receiver::recv_async`].
//!
//! A future is a party like a blocked thread's, kept inside the (pinned) future: it
//! waits in the channel's own queues with the task's waker where a thread's would be,
//! so threads and tasks meet each other on one channel. Pinning is what makes this
//! sound: the queue points into the future, and a pinned future is dropped (which
//! takes its entry out under the lock) before its memory is reused.
//!
//! # Cancellation is exact
//!
//! A future may be dropped at any point, after any number of polls:
//! - a [`SendFuture`] dropped before it completed either had its value taken by a
//!   receiver that got it (the send happened, unreported), or drops the value with
//!   itself (no receiver ever sees it). A value is never lost after a receiver was
//!   promised it, and on a rendezvous channel a send completes only when a receive
//!   takes the value;
//! - a [`RecvFuture`] dropped before it completed took nothing: a value is moved
//!   only while the receiving future is being polled, so a value is never left in a
//!   dropped future. A sender that had chosen it starts over and goes to the next
//!   receiver.
//!
//! # A blocked thread does not wait on a task
//!
//! A task may leave a pending future unpolled for as long as it likes (stuck on
//! something else), so a thread that sends on a rendezvous channel never waits for a
//! receive future to come: meeting one, it wakes the future's task and waits in the
//! queue like any blocked sender, until the task takes the value when it next polls,
//! or until the thread's own timeout gives the value back. For the same reason
//! [`try_send`](Sender::try_send) does not count a pending receive future as a
//! receiver ready to take a value at once.
//!
//! A thread [`select!`](crate::select!) whose send arm chooses a pending receive
//! future does the same once its value exists: it wakes the task and waits in the
//! queue within the select's own deadline, and if nobody takes the value in time the
//! arm's [`send`](crate::SelectedOperation::send) gives it back in its error.

use crate::channel::Chan;
use crate::error::{RecvError, SendError};
use crate::flavors::{RecvFailure, SendFailure};
use crate::waitq::Waiter;
use crate::{Receiver, Sender};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`Sender::send_async`]: resolves once the value is sent (on a
/// rendezvous channel, once a receiver has taken it), or gives it back if every
/// receiver is gone. See the [module docs](self) for what dropping it does.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    /// The party and, until a receiver takes it, the value.
    waiter: Waiter<T>,
    /// Whether `waiter` is in one of the channel's queues.
    queued: Cell<bool>,
    finished: Cell<bool>,
    _pinned: PhantomPinned,
}

/// The future of [`Receiver::recv_async`]: resolves to the next value, or to an error
/// once every sender is gone and nothing is left. See the [module docs](self) for
/// what dropping it does.
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
    waiter: Waiter<T>,
    queued: Cell<bool>,
    finished: Cell<bool>,
    _pinned: PhantomPinned,
}

/// A waker that unparks the calling thread: the very waker csp's blocked threads
/// wait on, for executors that block a thread on a future (`block_on`).
///
/// ```
/// let waker = csp_channel::future::thread_waker();
/// waker.wake_by_ref(); // unparks this thread: the next park returns at once
/// std::thread::park();
/// ```
pub fn thread_waker() -> std::task::Waker {
    crate::waker::current_thread_waker()
}

impl<T> Sender<T> {
    /// Sends `value` from an async task: the future resolves when [`send`](Sender::send)
    /// would return, without blocking the thread. A thread may receive what a task
    /// sends, and the reverse.
    ///
    /// ```
    /// use futures::executor::block_on;
    ///
    /// let (tx, rx) = csp_channel::bounded(0);
    /// let receiver = std::thread::spawn(move || rx.recv());
    /// block_on(tx.send_async(5)).unwrap(); // resolves once the thread has taken it
    /// assert_eq!(receiver.join().unwrap(), Ok(5));
    /// ```
    pub fn send_async(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: self.chan(),
            waiter: Waiter::new(Some(value)),
            queued: Cell::new(false),
            finished: Cell::new(false),
            _pinned: PhantomPinned,
        }
    }
}

impl<T> Receiver<T> {
    /// Receives a value in an async task: the future resolves when
    /// [`recv`](Receiver::recv) would return, without blocking the thread. On a timer
    /// receiver ([`after`](crate::after) and the like) it resolves when the timer
    /// fires; csp's one alarm thread wakes the task.
    ///
    /// ```
    /// use futures::executor::block_on;
    ///
    /// let (tx, rx) = csp_channel::bounded(0);
    /// std::thread::spawn(move || tx.send("from a thread").unwrap());
    /// assert_eq!(block_on(rx.recv_async()), Ok("from a thread"));
    /// assert!(block_on(rx.recv_async()).is_err()); // the sender is gone
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            chan: self.chan(),
            waiter: Waiter::new(None),
            queued: Cell::new(false),
            finished: Cell::new(false),
            _pinned: PhantomPinned,
        }
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Only shared access is needed (the state is in cells), so the future is never
        // moved out of its pin.
        let this = self.into_ref().get_ref();
        assert!(
            !this.finished.get(),
            "csp_channel::SendFuture polled after it completed; create a new one per send"
        );
        let poll = this.chan.poll_send(&this.waiter, &this.queued, cx.waker());
        if poll.is_ready() {
            this.finished.set(true);
        }
        poll.map_err(|failure| match failure {
            SendFailure::Disconnected(value) | SendFailure::NotReady(value) => SendError(value),
        })
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.into_ref().get_ref();
        assert!(
            !this.finished.get(),
            "csp_channel::RecvFuture polled after it completed; create a new one per receive"
        );
        let poll = this.chan.poll_recv(&this.waiter, &this.queued, cx.waker());
        if poll.is_ready() {
            this.finished.set(true);
        }
        poll.map_err(|_: RecvFailure| RecvError)
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        // Only a future in a wait queue has anything to undo (the usual case, a
        // completed future, returns at once).
        if self.queued.get() {
            self.chan.cancel_send(&self.waiter, &self.queued);
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        // As for `SendFuture`.
        if self.queued.get() {
            self.chan.cancel_recv(&self.waiter, &self.queued);
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("queued", &self.queued.get())
            .field("finished", &self.finished.get())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("queued", &self.queued.get())
            .field("finished", &self.finished.get())
            .finish_non_exhaustive()
    }
}

/// The waiting state of a stream or sink, boxed once per stream so that the stream
/// itself can move (is `Unpin`) while a queue points into this.
struct OpState<T> {
    waiter: Waiter<T>,
    queued: Cell<bool>,
}

impl<T> OpState<T> {
    fn new() -> Pin<Box<Self>> {
        Box::pin(Self {
            waiter: Waiter::new(None),
            queued: Cell::new(false),
        })
    }
}

/// A receiver as a [`futures_core::Stream`]: yields each value, and ends once every
/// sender is gone and nothing is left. Made by [`Receiver::into_stream`]. Dropping it
/// while it waits takes nothing, as for [`RecvFuture`].
///
/// ```
/// use futures::{StreamExt, executor::block_on};
///
/// let (tx, rx) = csp_channel::bounded(0);
/// std::thread::spawn(move || (1..=3).for_each(|i| tx.send(i).unwrap()));
/// let all: Vec<i32> = block_on(rx.into_stream().collect());
/// assert_eq!(all, [1, 2, 3]);
/// ```
pub struct RecvStream<T> {
    receiver: Receiver<T>,
    state: Pin<Box<OpState<T>>>,
    ended: bool,
}

/// A sender as a [`futures_sink::Sink`]: `start_send` takes a value, `poll_flush`
/// (and `poll_ready` before the next value) drives it until a receiver has it, or
/// there is room in the buffer. Made by [`Sender::into_sink`]. Dropping it with a
/// value not yet taken drops the value, as for [`SendFuture`].
///
/// ```
/// use futures::{SinkExt, executor::block_on};
///
/// let (tx, rx) = csp_channel::bounded(0);
/// let receiver = std::thread::spawn(move || rx.iter().collect::<Vec<_>>());
/// block_on(async {
///     let mut sink = tx.into_sink();
///     for i in 1..=3 {
///         sink.send(i).await.unwrap();
///     }
/// });
/// assert_eq!(receiver.join().unwrap(), [1, 2, 3]);
/// ```
pub struct SendSink<T> {
    sender: Sender<T>,
    state: Pin<Box<OpState<T>>>,
    /// Whether `state` holds a value being sent.
    busy: bool,
}

impl<T> Receiver<T> {
    /// Turns this receiver into a [`futures_core::Stream`] of its values.
    ///
    /// ```
    /// use futures::{StreamExt, executor::block_on};
    ///
    /// let (tx, rx) = csp_channel::bounded(2);
    /// tx.send('a').unwrap();
    /// drop(tx);
    /// let mut stream = rx.into_stream();
    /// assert_eq!(block_on(stream.next()), Some('a'));
    /// assert_eq!(block_on(stream.next()), None);
    /// ```
    pub fn into_stream(self) -> RecvStream<T> {
        RecvStream {
            receiver: self,
            state: OpState::new(),
            ended: false,
        }
    }
}

impl<T> Sender<T> {
    /// Turns this sender into a [`futures_sink::Sink`] of values.
    ///
    /// ```
    /// use futures::{SinkExt, executor::block_on};
    ///
    /// let (tx, rx) = csp_channel::bounded(1);
    /// block_on(tx.into_sink().send(5)).unwrap();
    /// assert_eq!(rx.recv(), Ok(5));
    /// ```
    pub fn into_sink(self) -> SendSink<T> {
        SendSink {
            sender: self,
            state: OpState::new(),
            busy: false,
        }
    }
}

impl<T> futures_core::Stream for RecvStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let state = self.state.as_ref().get_ref();
        let poll = self
            .receiver
            .chan()
            .poll_recv(&state.waiter, &state.queued, cx.waker());
        match poll {
            Poll::Ready(Ok(value)) => Poll::Ready(Some(value)),
            Poll::Ready(Err(_)) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> futures_core::FusedStream for RecvStream<T> {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

impl<T> SendSink<T> {
    /// Drives the value in flight, if any, until it is sent.
    fn poll_in_flight(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), SendError<T>>> {
        if !self.busy {
            return Poll::Ready(Ok(()));
        }
        let state = self.state.as_ref().get_ref();
        let poll = self
            .sender
            .chan()
            .poll_send(&state.waiter, &state.queued, cx.waker());
        if poll.is_ready() {
            self.busy = false;
        }
        poll.map_err(|failure| match failure {
            SendFailure::Disconnected(value) | SendFailure::NotReady(value) => SendError(value),
        })
    }
}

impl<T> futures_sink::Sink<T> for SendSink<T> {
    type Error = SendError<T>;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_in_flight(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        assert!(
            !self.busy,
            "csp_channel::SendSink::start_send called before poll_ready returned Ready"
        );
        // SAFETY: nothing is in flight, so the waiter is in no queue and its slot is
        // ours alone.
        unsafe { self.state.waiter.slot.put(item) };
        self.busy = true;
        Ok(())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_in_flight(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.poll_in_flight(cx)
    }
}

impl<T> Drop for RecvStream<T> {
    fn drop(&mut self) {
        self.receiver
            .chan()
            .cancel_recv(&self.state.waiter, &self.state.queued);
    }
}

impl<T> Drop for SendSink<T> {
    fn drop(&mut self) {
        self.sender
            .chan()
            .cancel_send(&self.state.waiter, &self.state.queued);
    }
}

impl<T> fmt::Debug for RecvStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream")
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SendSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendSink")
            .field("busy", &self.busy)
            .finish_non_exhaustive()
    }
}
