//! The handles: [`Sender`], [`Receiver`], and [`bounded`] which makes them.
//!
//! Both handles share one `Arc<Chan<T>>`; `senders` and `receivers` count the live
//! handles of each side. When a count drops to zero the channel is disconnected,
//! which wakes every party waiting on the other side. The buffer, and any values
//! left in it, is freed with the last handle of either side.

use crate::error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use crate::flavors::{RecvFailure, SendFailure, Side, array, list, timer, zero};
use crate::party::Party;
use crate::party::Until;
use crate::select::token::Token;
use crate::select::{AsyncHandle, Handle, StashedSender, Witness};
use crate::sync::{Arc, AtomicUsize, Ordering};
use crate::waitq::Waiter;
use std::cell::Cell;
use std::fmt;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// The shared state behind a channel's handles.
pub(crate) struct Chan<T> {
    flavor: Flavor<T>,
    senders: AtomicUsize,
    receivers: AtomicUsize,
}

// The array flavor is larger (cache-padded indices), but the enum lives once per channel
// inside its Arc: boxing it would add a pointer chase to every operation.
#[allow(clippy::large_enum_variant)]
enum Flavor<T> {
    Array(array::Channel<T>),
    List(list::Channel<T>),
    Zero(zero::Channel<T>),
    /// Only ever behind a `Receiver`: timers have no senders.
    Timer(timer::Timer<T>),
}

impl<T> Chan<T> {
    /// A buffered channel's common case runs in the caller (`Sender::send` is always
    /// inlined): a few instructions that keep nothing across a call
    /// (`array::Channel::send`). Every other flavor is one call away, in one function
    /// as before, so that its registers and frame are not set up for the buffered
    /// case too: inlined into one dispatch with the rest, the ring's send saved six
    /// registers and set up a frame each time. callgrind, one thread each side, pinned
    /// to one CPU, instructions a message: `bounded(1024)` 137 before, 84 now;
    /// `bounded(1)` 550, 514; `bounded(0)` 268, 291 (the flavor check and result in
    /// the caller; wall-clock within noise). Calling each flavor's own function behind
    /// a dispatch function instead cost a rendezvous 314 (and 3% pinned).
    #[inline(always)]
    fn send(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        match &self.flavor {
            Flavor::Array(chan) => chan.send(value, until),
            _ => self.send_unbuffered(value, until),
        }
    }

    /// [`send`](Chan::send) on every flavor but the ring.
    #[inline(never)]
    fn send_unbuffered(&self, value: T, until: Until) -> Result<(), SendFailure<T>> {
        match &self.flavor {
            Flavor::Array(_) => unreachable!("Chan::send takes the ring itself"),
            Flavor::List(chan) => chan.send(value),
            Flavor::Zero(chan) => chan.send(value, until),
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }

    /// As [`send`](Chan::send): a buffered channel's common case in the caller, every
    /// other flavor one call away.
    #[inline(always)]
    fn recv(&self, until: Until) -> Result<T, RecvFailure> {
        match &self.flavor {
            Flavor::Array(chan) => chan.recv(until),
            _ => self.recv_unbuffered(until),
        }
    }

    /// [`recv`](Chan::recv) on every flavor but the ring.
    #[inline(never)]
    fn recv_unbuffered(&self, until: Until) -> Result<T, RecvFailure> {
        match &self.flavor {
            Flavor::Array(_) => unreachable!("Chan::recv takes the ring itself"),
            Flavor::List(chan) => chan.recv(until),
            Flavor::Zero(chan) => chan.recv(until),
            Flavor::Timer(timer) => timer.recv(until),
        }
    }

    /// Disconnects the channel (its last sender or receiver left, or one closed it);
    /// returns whether this call did it. Timers have nothing to disconnect.
    fn disconnect(&self) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.disconnect(),
            Flavor::List(chan) => chan.disconnect(),
            Flavor::Zero(chan) => chan.disconnect(),
            Flavor::Timer(_) => false,
        }
    }

    fn is_disconnected(&self) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.is_disconnected(),
            Flavor::List(chan) => chan.is_disconnected(),
            Flavor::Zero(chan) => chan.is_disconnected(),
            Flavor::Timer(_) => false,
        }
    }

    fn len(&self) -> usize {
        match &self.flavor {
            Flavor::Array(chan) => chan.len(),
            Flavor::List(chan) => chan.len(),
            Flavor::Zero(_) => 0,
            Flavor::Timer(timer) => timer.len(),
        }
    }

    /// `None` for an unbounded channel.
    fn capacity(&self) -> Option<usize> {
        match &self.flavor {
            Flavor::Array(chan) => Some(chan.capacity()),
            Flavor::List(_) => None,
            Flavor::Zero(_) => Some(0),
            Flavor::Timer(timer) => Some(timer.capacity()),
        }
    }

    fn is_empty(&self) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.is_empty(),
            Flavor::List(chan) => chan.len() == 0,
            Flavor::Zero(_) => true,
            Flavor::Timer(timer) => !timer.is_ready(),
        }
    }

    fn is_full(&self) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.is_full(),
            Flavor::List(_) => false,
            Flavor::Zero(_) => true,
            Flavor::Timer(timer) => timer.len() == timer.capacity(),
        }
    }
}

/// The select operations of one side of a channel (see [`crate::select`](mod@crate::select)).
impl<T> Chan<T> {
    fn try_claim(&self, side: Side) -> Option<Token> {
        match &self.flavor {
            Flavor::Array(chan) => chan.try_claim(side),
            Flavor::List(chan) => chan.try_claim(side),
            Flavor::Zero(chan) => chan.try_claim(side),
            Flavor::Timer(timer) => timer.try_claim(),
        }
    }

    fn is_ready(&self, side: Side) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.is_ready(side),
            Flavor::List(chan) => chan.is_ready(side),
            Flavor::Zero(chan) => chan.is_ready(side),
            Flavor::Timer(timer) => timer.is_ready(),
        }
    }

    fn witness(&self, side: Side) -> Witness {
        match &self.flavor {
            Flavor::Array(chan) => chan.witness(side),
            Flavor::List(chan) => chan.witness(side),
            Flavor::Zero(chan) => chan.witness(side),
            Flavor::Timer(timer) => timer.witness(),
        }
    }

    fn register(&self, party: &Party, arm: usize, side: Side) -> bool {
        match &self.flavor {
            Flavor::Array(chan) => chan.register(party, arm, side),
            Flavor::List(chan) => chan.register(party, arm, side),
            Flavor::Zero(chan) => chan.register(party, arm, side),
            // Nothing wakes a timer arm: the select sleeps until its deadline.
            Flavor::Timer(timer) => timer.is_ready(),
        }
    }

    fn watch(&self, party: &Party, arm: usize, side: Side) -> bool {
        match &self.flavor {
            // A notification on a ring or a list means "look again" anyway.
            Flavor::Array(chan) => chan.register(party, arm, side),
            Flavor::List(chan) => chan.register(party, arm, side),
            Flavor::Zero(chan) => chan.watch(party, arm, side),
            Flavor::Timer(timer) => timer.is_ready(),
        }
    }

    fn unregister(&self, party: &Party, arm: usize, side: Side) {
        match &self.flavor {
            Flavor::Array(chan) => chan.unregister(party, arm, side),
            Flavor::List(chan) => chan.unregister(party, arm, side),
            Flavor::Zero(chan) => chan.unregister(party, arm, side),
            Flavor::Timer(_) => {}
        }
    }

    fn accept(&self, party: &Party, side: Side) -> Option<Token> {
        match &self.flavor {
            // A notification only says "retry": claim again, this arm first.
            Flavor::Array(chan) => chan.try_claim(side),
            Flavor::List(chan) => chan.try_claim(side),
            Flavor::Zero(chan) => chan.accept(party),
            Flavor::Timer(timer) => timer.try_claim(),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.flavor {
            Flavor::Timer(timer) => timer.deadline(),
            _ => None,
        }
    }

    /// # Safety
    /// `token` was claimed on this channel's `side` and not used since.
    unsafe fn release(&self, token: Token, side: Side) {
        match &self.flavor {
            // SAFETY: the caller's contract.
            Flavor::Array(chan) => unsafe { chan.release(token, side) },
            // SAFETY: the caller's contract.
            Flavor::List(chan) => unsafe { chan.release(token, side) },
            // SAFETY: the caller's contract.
            Flavor::Zero(chan) => unsafe { chan.release(token, side) },
            Flavor::Timer(timer) => timer.release(token),
        }
    }

    /// # Safety
    /// `token` was claimed on this channel's receiving side and not used since.
    unsafe fn finish_recv(&self, token: Token, until: Until) -> Result<T, RecvFailure> {
        match &self.flavor {
            // SAFETY: the caller's contract.
            Flavor::Array(chan) => unsafe { chan.finish_recv(token) },
            // SAFETY: the caller's contract.
            Flavor::List(chan) => unsafe { chan.finish_recv(token) },
            // SAFETY: the caller's contract.
            Flavor::Zero(chan) => unsafe { chan.finish_recv(token, until) },
            Flavor::Timer(timer) => timer.finish_recv(token),
        }
    }

    /// # Safety
    /// `token` was claimed on this channel's sending side and not used since.
    unsafe fn finish_send(
        &self,
        token: Token,
        value: T,
        until: Until,
    ) -> Result<(), SendFailure<T>> {
        match &self.flavor {
            // SAFETY: the caller's contract.
            Flavor::Array(chan) => unsafe { chan.finish_send(token, value) },
            // SAFETY: the caller's contract.
            Flavor::List(chan) => unsafe { chan.finish_send(token, value) },
            // SAFETY: the caller's contract.
            Flavor::Zero(chan) => unsafe { chan.finish_send(token, value, until) },
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }
}

/// The async operations (see [`crate::future`]).
impl<T> Chan<T> {
    #[inline]
    pub(crate) fn poll_send(
        &self,
        waiter: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<(), SendFailure<T>>> {
        match &self.flavor {
            Flavor::Array(chan) => chan.poll_send(&waiter.party, &waiter.slot, queued, waker),
            // A send never waits, so it never queues either.
            Flavor::List(chan) => chan.poll_send(&waiter.slot),
            Flavor::Zero(chan) => chan.poll_send(waiter, queued, waker),
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }

    pub(crate) fn cancel_send(&self, waiter: &Waiter<T>, queued: &Cell<bool>) {
        match &self.flavor {
            Flavor::Array(chan) => chan.cancel(&waiter.party, Side::Send, queued),
            Flavor::List(_) => {}
            Flavor::Zero(chan) => chan.cancel_send(waiter, queued),
            Flavor::Timer(_) => {}
        }
    }

    #[inline]
    pub(crate) fn poll_recv(
        &self,
        waiter: &Waiter<T>,
        queued: &Cell<bool>,
        waker: &Waker,
    ) -> Poll<Result<T, RecvFailure>> {
        match &self.flavor {
            Flavor::Array(chan) => chan.poll_recv(&waiter.party, queued, waker),
            Flavor::List(chan) => chan.poll_recv(&waiter.party, queued, waker),
            Flavor::Zero(chan) => chan.poll_recv(waiter, queued, waker),
            Flavor::Timer(timer) => match timer.try_claim() {
                Some(token) => Poll::Ready(timer.finish_recv(token)),
                None => {
                    if let Some(due) = timer.deadline() {
                        crate::alarm::wake_at(due, waker.clone());
                    }
                    Poll::Pending
                }
            },
        }
    }

    pub(crate) fn cancel_recv(&self, waiter: &Waiter<T>, queued: &Cell<bool>) {
        match &self.flavor {
            Flavor::Array(chan) => chan.cancel(&waiter.party, Side::Recv, queued),
            Flavor::List(chan) => chan.cancel_recv(&waiter.party, queued),
            Flavor::Zero(chan) => chan.cancel_recv(waiter, queued),
            Flavor::Timer(_) => {}
        }
    }
}

/// Creates a channel of capacity `cap`, returning its sending and receiving ends.
///
/// With `cap == 0` the channel is a *rendezvous* (Hoare's and occam's channel, Go's
/// unbuffered chan): a [`send`](Sender::send) returns only once a receiver has taken
/// the value. With `cap > 0` it buffers up to `cap` values and a send waits only while
/// the buffer is full. Both ends can be cloned: any number of threads may send and
/// receive on one channel.
///
/// ```
/// use std::thread;
///
/// let (tx, rx) = csp_channel::bounded(0);
/// let producer = thread::spawn(move || {
///     for i in 0..3 {
///         tx.send(i).unwrap(); // each send waits for the receive below
///     }
/// });
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
/// producer.join().unwrap();
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    with_flavor(if cap == 0 {
        Flavor::Zero(zero::Channel::new())
    } else {
        Flavor::Array(array::Channel::new(cap))
    })
}

/// Creates a channel without a capacity limit: a send never waits (it fails only if
/// every receiver is gone), and values queue up until received. Select arms, timeouts,
/// async operations and disconnection work as on every other channel. Use it for a
/// mailbox whose sender must never block; where a sender should slow down to its
/// receiver's pace, a [`bounded`] channel is the CSP way.
///
/// The queue is a growable buffer under the channel's lock (see the flavor's docs for
/// why not crossbeam's lock-free list); it allocates as it grows.
///
/// ```
/// let (tx, rx) = csp_channel::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap(); // never waits
/// }
/// assert_eq!(rx.len(), 1000);
/// assert_eq!(rx.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_flavor(Flavor::List(list::Channel::new()))
}

fn with_flavor<T>(flavor: Flavor<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        flavor,
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
    });
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// The sending end of a channel. Clone it to send from several threads.
///
/// ```
/// let (tx, rx) = csp_channel::bounded(2);
/// let tx2 = tx.clone();
/// tx.send(1).unwrap();
/// tx2.send(2).unwrap();
/// assert_eq!(rx.try_iter().sum::<i32>(), 3);
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving end of a channel. Clone it to receive on several threads; each value
/// goes to exactly one receiver.
///
/// ```
/// let (tx, rx) = csp_channel::bounded(1);
/// let rx2 = rx.clone();
/// tx.send("hi").unwrap();
/// assert_eq!(rx2.recv(), Ok("hi"));
/// assert!(rx.try_recv().is_err());
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, blocking until a receiver takes it (rendezvous) or there is room
    /// in the buffer. Fails, giving the value back, if every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(1).unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(2), Err(csp_channel::SendError(2)));
    /// ```
    // Always inlined: a buffered channel's common case then runs in the caller
    // (`Chan::send`).
    #[inline(always)]
    #[cfg_attr(csp_loom, track_caller)]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let _blocked = crate::sync::blocking("Sender::send");
        self.chan
            .send(value, Until::Forever)
            .map_err(|failure| match failure {
                SendFailure::Disconnected(v) => SendError(v),
                SendFailure::NotReady(_) => unreachable!("a send without deadline timed out"),
            })
    }

    /// Sends `value` only if that can happen at once: there is room in the buffer, or,
    /// for a rendezvous channel, a receiver is already waiting (a blocked thread or a
    /// thread's select; a pending receive future takes a value only when its task
    /// polls it, so it does not count: see [`crate::future`]).
    ///
    /// On a buffered channel, room by count ([`len`](Sender::len) below the capacity)
    /// is room: a slot whose value a receive has claimed and is still reading is
    /// waited for (that takes a few instructions, unless the receiving thread is
    /// preempted). Only a slot held by a select that chose to receive it and has not
    /// completed the operation yet counts as full: it may be held indefinitely, even
    /// by this very thread.
    ///
    /// ```
    /// use csp_channel::TrySendError;
    /// let (tx, _rx) = csp_channel::bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan
            .send(value, Until::Now)
            .map_err(|failure| match failure {
                SendFailure::Disconnected(v) => TrySendError::Disconnected(v),
                SendFailure::NotReady(v) => TrySendError::Full(v),
            })
    }

    /// Like [`send`](Sender::send), but gives up after `timeout`, returning the value
    /// in [`SendTimeoutError::Timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = csp_channel::bounded(0);
    /// let err = tx.send_timeout('x', Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err, csp_channel::SendTimeoutError::Timeout('x'));
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        let _blocked = crate::sync::blocking("Sender::send_timeout");
        self.send_until(value, Until::after(timeout))
    }

    /// Like [`send`](Sender::send), but gives up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = csp_channel::bounded(1);
    /// let soon = Instant::now() + Duration::from_millis(5);
    /// assert!(tx.send_deadline(1, soon).is_ok());
    /// assert!(tx.send_deadline(2, soon).unwrap_err().is_timeout());
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn send_deadline(&self, value: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        let _blocked = crate::sync::blocking("Sender::send_deadline");
        self.send_until(value, Until::Deadline(deadline))
    }

    fn send_until(&self, value: T, until: Until) -> Result<(), SendTimeoutError<T>> {
        self.chan
            .send(value, until)
            .map_err(|failure| match failure {
                SendFailure::Disconnected(v) => SendTimeoutError::Disconnected(v),
                SendFailure::NotReady(v) => SendTimeoutError::Timeout(v),
            })
    }

    /// How many values are buffered now (always 0 for a rendezvous channel).
    ///
    /// ```
    /// let (tx, _rx) = csp_channel::bounded(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value is buffered (always true for a rendezvous channel).
    ///
    /// ```
    /// let (tx, _rx) = csp_channel::bounded::<()>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.is_empty()
    }

    /// Whether the buffer is full (always true for a rendezvous channel, which has no
    /// room to hold a value).
    ///
    /// ```
    /// let (tx, _rx) = csp_channel::bounded(1);
    /// tx.send(()).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.is_full()
    }

    /// The capacity: `Some(cap)` as given to [`bounded`], `None` for [`unbounded`], as
    /// crossbeam reports it.
    ///
    /// ```
    /// assert_eq!(csp_channel::bounded::<()>(0).0.capacity(), Some(0));
    /// assert_eq!(csp_channel::unbounded::<()>().0.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// Whether `self` and `other` send on the same channel.
    ///
    /// ```
    /// let (tx, _rx) = csp_channel::bounded::<()>(1);
    /// let (other, _) = csp_channel::bounded::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// Closes the channel for everyone, as if every receiver had left: every send,
    /// waiting or later, fails and gives its value back; receivers take what is
    /// buffered, then see the disconnection. Waiting receivers, selects, async futures
    /// and [`Select::ready`](crate::Select::ready) watchers learn of it at once. It is
    /// how one process shuts a network down without owning every end (JCSP and
    /// C++CSP2 call it *poison*). Returns whether this call closed it (`false` if it
    /// was closed or disconnected already).
    ///
    /// ```
    /// use std::thread;
    ///
    /// let (tx, rx) = csp_channel::bounded::<i32>(0);
    /// let waiting = thread::spawn({
    ///     let tx = tx.clone();
    ///     move || tx.send(1) // blocks: nobody receives
    /// });
    /// # std::thread::sleep(std::time::Duration::from_millis(10));
    /// assert!(tx.close());
    /// assert_eq!(waiting.join().unwrap(), Err(csp_channel::SendError(1))); // the value comes back
    /// assert!(tx.is_disconnected() && rx.is_disconnected());
    /// assert_eq!(rx.recv(), Err(csp_channel::RecvError));
    /// ```
    pub fn close(&self) -> bool {
        self.chan.disconnect()
    }

    /// Whether the channel is disconnected: closed, or every receiver gone.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded::<i32>(1);
    /// assert!(!tx.is_disconnected());
    /// drop(rx);
    /// assert!(tx.is_disconnected());
    /// ```
    pub fn is_disconnected(&self) -> bool {
        self.chan.is_disconnected()
    }
}

impl<T> Receiver<T> {
    /// Receives a value, blocking until one is sent. Fails once every sender is gone
    /// and nothing is left to receive.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(9).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv(), Ok(9));
    /// assert_eq!(rx.recv(), Err(csp_channel::RecvError));
    /// ```
    // Always inlined, as `Sender::send`.
    #[inline(always)]
    #[cfg_attr(csp_loom, track_caller)]
    pub fn recv(&self) -> Result<T, RecvError> {
        let _blocked = crate::sync::blocking("Receiver::recv");
        self.chan
            .recv(Until::Forever)
            .map_err(|failure| match failure {
                RecvFailure::Disconnected => RecvError,
                RecvFailure::NotReady => unreachable!("a receive without deadline timed out"),
            })
    }

    /// Receives a value only if one can be had at once: buffered, or, for a
    /// rendezvous channel, offered by a sender already waiting. As for
    /// [`Sender::try_send`], a value a send has begun to write into a buffered
    /// channel is waited for; one a select's send arm has claimed room for and not
    /// yet sent is not there yet (`Empty`).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// assert_eq!(rx.try_recv(), Err(csp_channel::TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.chan.recv(Until::Now).map_err(|failure| match failure {
            RecvFailure::Disconnected => TryRecvError::Disconnected,
            RecvFailure::NotReady => TryRecvError::Empty,
        })
    }

    /// Like [`recv`](Receiver::recv), but gives up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = csp_channel::bounded::<u8>(1);
    /// assert!(rx.recv_timeout(Duration::from_millis(5)).unwrap_err().is_timeout());
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let _blocked = crate::sync::blocking("Receiver::recv_timeout");
        self.recv_until(Until::after(timeout))
    }

    /// Like [`recv`](Receiver::recv), but gives up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(4).unwrap();
    /// assert_eq!(rx.recv_deadline(Instant::now() + Duration::from_millis(5)), Ok(4));
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        let _blocked = crate::sync::blocking("Receiver::recv_deadline");
        self.recv_until(Until::Deadline(deadline))
    }

    fn recv_until(&self, until: Until) -> Result<T, RecvTimeoutError> {
        self.chan.recv(until).map_err(|failure| match failure {
            RecvFailure::Disconnected => RecvTimeoutError::Disconnected,
            RecvFailure::NotReady => RecvTimeoutError::Timeout,
        })
    }

    /// A blocking iterator over received values; it ends when the channel is
    /// disconnected and empty.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(3);
    /// (1..=3).for_each(|i| tx.send(i).unwrap());
    /// drop(tx);
    /// assert_eq!(rx.iter().sum::<i32>(), 6);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { receiver: self }
    }

    /// An iterator over the values that can be received without blocking.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(3);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { receiver: self }
    }

    /// How many values are buffered now (always 0 for a rendezvous channel).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value is buffered (always true for a rendezvous channel).
    ///
    /// ```
    /// let (_tx, rx) = csp_channel::bounded::<()>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.is_empty()
    }

    /// Whether the buffer is full (always true for a rendezvous channel).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(()).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.is_full()
    }

    /// The capacity: `Some(cap)` as given to [`bounded`], `None` for [`unbounded`].
    ///
    /// ```
    /// assert_eq!(csp_channel::bounded::<()>(8).1.capacity(), Some(8));
    /// assert_eq!(csp_channel::unbounded::<()>().1.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// Whether `self` and `other` receive from the same channel.
    ///
    /// ```
    /// let (_tx, rx) = csp_channel::bounded::<()>(1);
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    ///
    /// Every [`never`](crate::never) receiver counts as the same channel, as in
    /// crossbeam-channel: none of them ever delivers anything.
    ///
    /// ```
    /// assert!(csp_channel::never::<i32>().same_channel(&csp_channel::never()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        let never = |rx: &Receiver<T>| matches!(rx.chan.flavor, Flavor::Timer(timer::Timer::Never));
        Arc::ptr_eq(&self.chan, &other.chan) || (never(self) && never(other))
    }

    /// Closes the channel from the receiving side, as if every receiver had left:
    /// every send, waiting or later, fails and gives its value back. What is already
    /// buffered stays: [`iter`](Receiver::iter) (or [`try_iter`](Receiver::try_iter))
    /// drains it and then ends, as every receive then reports the disconnection. This
    /// is the receiving side's poison (crossbeam-channel's users ask for it to drain a
    /// channel). Returns whether this call closed it. A timer receiver has nothing to
    /// close (`false`).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert!(rx.close());
    /// assert_eq!(tx.send(3), Err(csp_channel::SendError(3)));
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]); // drained, then done
    /// ```
    pub fn close(&self) -> bool {
        self.chan.disconnect()
    }

    /// Whether the channel is disconnected: closed, or every sender gone (values may
    /// still be buffered).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert!(rx.is_disconnected());
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn is_disconnected(&self) -> bool {
        self.chan.is_disconnected()
    }
}

// A panic inside a channel operation never leaves the channel half-changed (no user
// code runs while a channel's state is in flux), so the handles may cross
// `catch_unwind`, as crossbeam-channel's do. The interior mutability they contain is
// what the compiler would otherwise object to.
impl<T> std::panic::UnwindSafe for Sender<T> {}
impl<T> std::panic::RefUnwindSafe for Sender<T> {}
impl<T> std::panic::UnwindSafe for Receiver<T> {}
impl<T> std::panic::RefUnwindSafe for Receiver<T> {}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.receivers.fetch_add(1, Ordering::Relaxed);
        Self {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // A failed loom model is being torn down: leave loom alone, and say where the
        // threads were blocked (crate::sync).
        if crate::sync::model_unwinding() {
            #[cfg(csp_loom)]
            crate::sync::report_blocked();
            return;
        }
        // AcqRel: the last sender's disconnect must see every other sender's work.
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.chan.disconnect();
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if crate::sync::model_unwinding() {
            #[cfg(csp_loom)]
            crate::sync::report_blocked();
            return;
        }
        if self.chan.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = self.chan.disconnect();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

/// A blocking iterator over a [`Receiver`]'s values, from [`Receiver::iter`].
///
/// ```
/// let (tx, rx) = csp_channel::bounded(1);
/// std::thread::spawn(move || tx.send(1).unwrap());
/// assert_eq!(rx.iter().next(), Some(1));
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
}

/// A non-blocking iterator over a [`Receiver`]'s values, from [`Receiver::try_iter`].
///
/// ```
/// let (_tx, rx) = csp_channel::bounded::<i32>(1);
/// assert_eq!(rx.try_iter().next(), None);
/// ```
#[derive(Debug)]
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
}

/// An owning blocking iterator over a [`Receiver`]'s values, from `into_iter`.
///
/// ```
/// let (tx, rx) = csp_channel::bounded(2);
/// tx.send(1).unwrap();
/// drop(tx);
/// assert_eq!(rx.into_iter().collect::<Vec<_>>(), [1]);
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    receiver: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

/// Once the channel is disconnected and drained, `next` keeps returning `None`.
impl<T> std::iter::FusedIterator for Iter<'_, T> {}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

/// Once the channel is disconnected and drained, `next` keeps returning `None`.
impl<T> std::iter::FusedIterator for IntoIter<T> {}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { receiver: self }
    }
}

impl<T> Sender<T> {
    /// The channel behind this handle.
    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }
}

impl<T> Receiver<T> {
    /// The channel behind this handle.
    pub(crate) fn chan(&self) -> &Chan<T> {
        &self.chan
    }

    /// A receiver for a timer channel, which has no sender.
    pub(crate) fn from_timer(timer: timer::Timer<T>) -> Self {
        Receiver {
            chan: Arc::new(Chan {
                flavor: Flavor::Timer(timer),
                senders: AtomicUsize::new(0),
                receivers: AtomicUsize::new(1),
            }),
        }
    }

    /// Completes a select's receive arm on this receiver.
    ///
    /// # Safety
    /// `token` was claimed by a select on this receiver's channel, receiving side, and
    /// is used once.
    pub(crate) unsafe fn finish_select(&self, token: Token, until: Until) -> Result<T, RecvError> {
        // SAFETY: the caller's contract.
        unsafe { self.chan.finish_recv(token, until) }.map_err(|_| RecvError)
    }
}

impl<T> Sender<T> {
    /// Completes a select's send arm on this sender.
    ///
    /// # Safety
    /// `token` was claimed by a select on this sender's channel, sending side, and is
    /// used once.
    pub(crate) unsafe fn finish_select(
        &self,
        token: Token,
        value: T,
        until: Until,
    ) -> Result<(), SendError<T>> {
        // SAFETY: the caller's contract.
        unsafe { self.chan.finish_send(token, value, until) }.map_err(|failure| match failure {
            SendFailure::Disconnected(value) | SendFailure::NotReady(value) => SendError(value),
        })
    }
}

/// A select arm that receives; see [`crate::select`](mod@crate::select).
impl<T> Handle for Receiver<T> {
    fn try_claim(&self) -> Option<Token> {
        self.chan.try_claim(Side::Recv)
    }
    fn is_ready(&self) -> bool {
        self.chan.is_ready(Side::Recv)
    }
    fn witness(&self) -> Witness {
        self.chan.witness(Side::Recv)
    }
    fn register(&self, party: &Party, arm: usize) -> bool {
        self.chan.register(party, arm, Side::Recv)
    }
    fn unregister(&self, party: &Party, arm: usize) {
        self.chan.unregister(party, arm, Side::Recv);
    }
    fn watch(&self, party: &Party, arm: usize) -> bool {
        self.chan.watch(party, arm, Side::Recv)
    }
    fn accept(&self, party: &Party) -> Option<Token> {
        self.chan.accept(party, Side::Recv)
    }
    fn deadline(&self) -> Option<Instant> {
        self.chan.deadline()
    }
    unsafe fn release(&self, token: Token) {
        // SAFETY: the caller's contract.
        unsafe { self.chan.release(token, Side::Recv) }
    }
    fn id(&self) -> (*const (), Side) {
        (Arc::as_ptr(&self.chan).cast(), Side::Recv)
    }
}

/// A select arm that sends; see [`crate::select`](mod@crate::select).
impl<T> Handle for Sender<T> {
    fn try_claim(&self) -> Option<Token> {
        self.chan.try_claim(Side::Send)
    }
    fn is_ready(&self) -> bool {
        self.chan.is_ready(Side::Send)
    }
    fn witness(&self) -> Witness {
        self.chan.witness(Side::Send)
    }
    fn register(&self, party: &Party, arm: usize) -> bool {
        self.chan.register(party, arm, Side::Send)
    }
    fn unregister(&self, party: &Party, arm: usize) {
        self.chan.unregister(party, arm, Side::Send);
    }
    fn watch(&self, party: &Party, arm: usize) -> bool {
        self.chan.watch(party, arm, Side::Send)
    }
    fn accept(&self, party: &Party) -> Option<Token> {
        self.chan.accept(party, Side::Send)
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    unsafe fn release(&self, token: Token) {
        // SAFETY: the caller's contract.
        unsafe { self.chan.release(token, Side::Send) }
    }
    fn id(&self) -> (*const (), Side) {
        (Arc::as_ptr(&self.chan).cast(), Side::Send)
    }
}

/// An async select's receive arm; see `crate::select::future`.
impl<T> AsyncHandle for Receiver<T> {
    fn try_claim_async(&self) -> Option<Token> {
        match &self.chan.flavor {
            Flavor::Array(chan) => chan.try_claim(Side::Recv),
            Flavor::List(chan) => chan.try_claim(Side::Recv),
            Flavor::Zero(chan) => chan.try_recv_async(),
            Flavor::Timer(timer) => timer.try_claim(),
        }
    }
    fn register_async(&self, party: &Party, arm: usize) -> bool {
        match &self.chan.flavor {
            Flavor::Zero(chan) => chan.register_task(party, arm, Side::Recv),
            _ => self.chan.register(party, arm, Side::Recv),
        }
    }
    fn accept_async(&self, party: &Party) -> Option<Token> {
        self.chan.accept(party, Side::Recv)
    }
    fn forgo(&self, party: &Party) {
        match &self.chan.flavor {
            Flavor::Array(chan) => chan.pass_on(Side::Recv),
            Flavor::List(chan) => chan.pass_on(),
            Flavor::Zero(chan) => chan.forgo(party, Side::Recv),
            Flavor::Timer(_) => {}
        }
    }
}

/// An async select's send arm, with the value it offers; see `crate::select::future`.
impl<T> AsyncHandle for StashedSender<'_, T> {
    fn try_claim_async(&self) -> Option<Token> {
        match &self.sender.chan.flavor {
            Flavor::Array(chan) => chan.try_claim(Side::Send),
            Flavor::List(chan) => chan.try_claim(Side::Send),
            Flavor::Zero(chan) => chan.try_send_async(&self.stash),
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }
    fn register_async(&self, party: &Party, arm: usize) -> bool {
        match &self.sender.chan.flavor {
            Flavor::Array(chan) => chan.register(party, arm, Side::Send),
            Flavor::List(chan) => chan.register(party, arm, Side::Send),
            Flavor::Zero(chan) => chan.register_send_async(party, arm, &self.stash),
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }
    fn accept_async(&self, _: &Party) -> Option<Token> {
        match &self.sender.chan.flavor {
            // A notification only says "retry": claim again, this arm first.
            Flavor::Array(chan) => chan.try_claim(Side::Send),
            Flavor::List(chan) => chan.try_claim(Side::Send),
            Flavor::Zero(chan) => chan.accept_send_async(&self.stash),
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }
    fn forgo(&self, _: &Party) {
        match &self.sender.chan.flavor {
            Flavor::Array(chan) => chan.pass_on(Side::Send),
            // A send arm never registers here.
            Flavor::List(_) => {}
            // Completed as a direct entry: the value was taken (sent, unreported), or
            // the channel is gone. Nothing is owed to anyone.
            Flavor::Zero(_) => {}
            Flavor::Timer(_) => unreachable!("a timer channel has no sender"),
        }
    }
}
