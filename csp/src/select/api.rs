//! The dynamic select: [`Select`], for a number of arms known only at run time, and
//! the [`SelectedOperation`] it hands back.

use super::future::StashedSender;
use super::token::Token;
use super::{Arm, Handle, Order};
use crate::error::{
    ReadyTimeoutError, RecvError, SelectTimeoutError, SendError, TryReadyError, TrySelectError,
};
use crate::party::Until;
use crate::{Receiver, Sender};
use std::fmt;
use std::time::{Duration, Instant};

/// A select over send and receive operations added at run time, crossbeam-channel's
/// `Select`: add operations, then [`select`](Select::select) one, then complete it with
/// [`SelectedOperation::recv`] or [`send`](SelectedOperation::send).
///
/// Among several ready operations [`Select::new`] picks one at random,
/// [`Select::new_biased`] the first added, and [`Select::new_fair`] rotates: the
/// operation chosen last drops to the lowest priority, so none starves.
///
/// ```
/// use std::thread;
///
/// let (tx1, rx1) = csp_channel::bounded::<&str>(0);
/// let (tx2, rx2) = csp_channel::bounded(0);
/// thread::spawn(move || tx2.send("second").unwrap());
///
/// let mut sel = csp_channel::Select::new();
/// let first = sel.recv(&rx1);
/// let second = sel.recv(&rx2);
/// let oper = sel.select();
/// assert_eq!(oper.index(), second);
/// assert_eq!(oper.recv(&rx2), Ok("second"));
/// # drop((tx1, first));
/// ```
#[derive(Clone)]
pub struct Select<'a> {
    arms: Vec<Arm<'a>>,
    kind: Kind,
    next_index: usize,
    /// For a fair select: the position to try first next time.
    fair_start: usize,
}

// SAFETY: a `Select` holds shared references to `Sender`s and `Receiver`s (behind
// `dyn Handle`) and plain data. Through them it only claims, registers, unregisters,
// watches and gives back operations: every such step goes through the channel's
// atomics and locks, which any thread may use, and none of them hands a `T` to the
// calling thread or drops one (a given-back buffered value is moved within the
// ring, still owned by the channel). Values move only in `SelectedOperation::recv`
// and `send`, which need the `Receiver<T>` or `Sender<T>` itself on that thread. So
// a `Select` may move to, or be shared with, another thread whatever `T` is, as
// crossbeam-channel's `Select` may.
unsafe impl Send for Select<'_> {}
// SAFETY: as above; `&Select` allows no mutation at all.
unsafe impl Sync for Select<'_> {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Random,
    Biased,
    Fair,
}

impl fmt::Debug for Select<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("operations", &self.arms.len())
            .field("kind", &self.kind)
            .finish()
    }
}

impl Default for Select<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Select<'a> {
    /// An empty select that picks at random among ready operations (Go's `select`).
    ///
    /// ```
    /// let sel = csp_channel::Select::new();
    /// # drop(sel);
    /// ```
    pub fn new() -> Self {
        Self::with_kind(Kind::Random)
    }

    /// An empty select that picks the first added among ready operations (occam's
    /// `PRI ALT`).
    ///
    /// ```
    /// let (tx1, rx1) = csp_channel::bounded(1);
    /// let (tx2, rx2) = csp_channel::bounded(1);
    /// tx1.send(1).unwrap();
    /// tx2.send(2).unwrap();
    /// let mut sel = csp_channel::Select::new_biased();
    /// sel.recv(&rx1);
    /// sel.recv(&rx2);
    /// assert_eq!(sel.select().recv(&rx1), Ok(1)); // both ready: the first wins
    /// ```
    pub fn new_biased() -> Self {
        Self::with_kind(Kind::Biased)
    }

    /// An empty select with JCSP `fairSelect` semantics: ready operations are tried
    /// in a rotating order, starting just after the one chosen last, so a server that
    /// selects in a loop serves every ready client in turn and starves none.
    ///
    /// ```
    /// let (tx1, rx1) = csp_channel::bounded(4);
    /// let (tx2, rx2) = csp_channel::bounded(4);
    /// for i in 0..2 {
    ///     tx1.send(i).unwrap();
    ///     tx2.send(i).unwrap();
    /// }
    /// let mut sel = csp_channel::Select::new_fair();
    /// sel.recv(&rx1);
    /// sel.recv(&rx2);
    /// let order: Vec<usize> = (0..4)
    ///     .map(|_| {
    ///         let oper = sel.select();
    ///         let index = oper.index();
    ///         let rx = if index == 0 { &rx1 } else { &rx2 };
    ///         oper.recv(rx).unwrap();
    ///         index
    ///     })
    ///     .collect();
    /// assert_eq!(order, [0, 1, 0, 1]);
    /// ```
    pub fn new_fair() -> Self {
        Self::with_kind(Kind::Fair)
    }

    fn with_kind(kind: Kind) -> Self {
        Self {
            arms: Vec::new(),
            kind,
            next_index: 0,
            fair_start: 0,
        }
    }

    /// Adds a send operation on `sender`; returns its index. Complete it with
    /// [`SelectedOperation::send`].
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// let mut sel = csp_channel::Select::new();
    /// let index = sel.send(&tx);
    /// let oper = sel.select();
    /// assert_eq!(oper.index(), index);
    /// oper.send(&tx, 5).unwrap();
    /// assert_eq!(rx.recv(), Ok(5));
    /// ```
    pub fn send<T>(&mut self, sender: &'a Sender<T>) -> usize {
        self.add(Arm::send(sender, true, self.next_index))
    }

    /// Adds a receive operation on `receiver`; returns its index. Complete it with
    /// [`SelectedOperation::recv`].
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send("hi").unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.select().recv(&rx), Ok("hi"));
    /// ```
    pub fn recv<T>(&mut self, receiver: &'a Receiver<T>) -> usize {
        self.add(Arm::recv(receiver, true, self.next_index))
    }

    fn add(&mut self, arm: Arm<'a>) -> usize {
        self.arms.push(arm);
        self.next_index += 1;
        arm.index
    }

    /// Removes the operation with this index; the others keep theirs.
    ///
    /// # Panics
    /// If no operation has this index (never added, or removed already).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(1).unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// let gone = sel.recv(&rx);
    /// sel.remove(gone);
    /// assert!(sel.try_select().is_err());
    /// ```
    pub fn remove(&mut self, index: usize) {
        let position = self
            .arms
            .iter()
            .position(|arm| arm.index == index)
            .unwrap_or_else(|| {
                panic!(
                    "csp_channel::Select::remove: no operation has index {index} (removed twice?)"
                )
            });
        self.arms.remove(position);
        if self.fair_start > position {
            self.fair_start -= 1;
        }
    }

    /// Completes one operation if one is ready now; the caller must then complete it.
    ///
    /// It fails only if, at one instant during the call, no operation was ready: an
    /// operation that becomes ready while the others are looked at is not missed, even
    /// if the one that was ready is taken meanwhile (the select is linearizable, as
    /// crossbeam-channel's is). While its channels keep changing under it, it may look
    /// more than once. The same holds for `select!`'s `default`, for
    /// [`try_ready`](Select::try_ready), and for a timeout or deadline once it passes.
    /// (One exception: a claim that another select gives back, by dropping its
    /// [`SelectedOperation`] unfinished, counts as never having been available.)
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.try_select().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_select().unwrap().recv(&rx), Ok(1));
    /// ```
    pub fn try_select(&mut self) -> Result<SelectedOperation<'a>, TrySelectError> {
        self.run(Until::Now).ok_or(TrySelectError)
    }

    /// Blocks until one operation can proceed and commits it; the caller must then
    /// complete it (the select's other operations did not happen). An operation on a
    /// disconnected channel is ready: completing it returns the error.
    ///
    /// # Panics
    /// If no operation was added: the select could never return.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded::<i32>(0);
    /// drop(tx);
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select().recv(&rx).is_err()); // disconnected counts as ready
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn select(&mut self) -> SelectedOperation<'a> {
        let _blocked = crate::sync::blocking("Select::select");
        assert!(
            !self.arms.is_empty(),
            "csp_channel::Select::select: no operations were added, so it would block forever"
        );
        self.run(Until::Forever)
            .expect("a select without deadline returns an operation")
    }

    /// Like [`select`](Select::select), but gives up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, rx) = csp_channel::bounded::<i32>(0);
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.select_timeout(Duration::from_millis(5)).is_err());
    /// # drop(tx);
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn select_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let _blocked = crate::sync::blocking("Select::select_timeout");
        self.run(Until::after(timeout)).ok_or(SelectTimeoutError)
    }

    /// Like [`select`](Select::select), but gives up at `deadline`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(1).unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// let soon = Instant::now() + Duration::from_millis(5);
    /// assert_eq!(sel.select_deadline(soon).unwrap().recv(&rx), Ok(1));
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn select_deadline(
        &mut self,
        deadline: Instant,
    ) -> Result<SelectedOperation<'a>, SelectTimeoutError> {
        let _blocked = crate::sync::blocking("Select::select_deadline");
        self.run(Until::Deadline(deadline))
            .ok_or(SelectTimeoutError)
    }

    /// The index of an operation that is ready now, without committing it: by the time
    /// the caller performs it, another thread may have taken it (use a `try_` method).
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// let mut sel = csp_channel::Select::new();
    /// let index = sel.recv(&rx);
    /// assert!(sel.try_ready().is_err());
    /// tx.send(1).unwrap();
    /// assert_eq!(sel.try_ready(), Ok(index));
    /// ```
    pub fn try_ready(&mut self) -> Result<usize, TryReadyError> {
        self.ready_until(Until::Now).ok_or(TryReadyError)
    }

    /// Blocks until an operation is ready and returns its index, committing nothing.
    ///
    /// # Panics
    /// If no operation was added: it could never return.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(1).unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// let index = sel.recv(&rx);
    /// assert_eq!(sel.ready(), index);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn ready(&mut self) -> usize {
        let _blocked = crate::sync::blocking("Select::ready");
        assert!(
            !self.arms.is_empty(),
            "csp_channel::Select::ready: no operations were added, so it would block forever"
        );
        self.ready_until(Until::Forever)
            .expect("a wait without deadline returns")
    }

    /// Like [`ready`](Select::ready), but gives up after `timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = csp_channel::bounded::<i32>(0);
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.ready_timeout(Duration::from_millis(5)).is_err());
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<usize, ReadyTimeoutError> {
        let _blocked = crate::sync::blocking("Select::ready_timeout");
        self.ready_until(Until::after(timeout))
            .ok_or(ReadyTimeoutError)
    }

    /// Like [`ready`](Select::ready), but gives up at `deadline`.
    ///
    /// ```
    /// use std::time::Instant;
    /// let (_tx, rx) = csp_channel::bounded::<i32>(0);
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert!(sel.ready_deadline(Instant::now()).is_err());
    /// ```
    #[cfg_attr(csp_loom, track_caller)]
    pub fn ready_deadline(&mut self, deadline: Instant) -> Result<usize, ReadyTimeoutError> {
        let _blocked = crate::sync::blocking("Select::ready_deadline");
        self.ready_until(Until::Deadline(deadline))
            .ok_or(ReadyTimeoutError)
    }

    fn order(&self) -> Order {
        match self.kind {
            Kind::Random => Order::Random,
            Kind::Biased => Order::Biased,
            Kind::Fair => Order::From(self.fair_start.min(self.arms.len().saturating_sub(1))),
        }
    }

    fn chosen(&mut self, position: usize) -> Arm<'a> {
        if self.kind == Kind::Fair {
            self.fair_start = (position + 1) % self.arms.len();
        }
        self.arms[position]
    }

    fn run(&mut self, until: Until) -> Option<SelectedOperation<'a>> {
        let order = self.order();
        let (position, token) = super::run(&mut self.arms, order, until)?;
        let arm = self.chosen(position);
        Some(SelectedOperation::new(arm.index, arm.handle, token, until))
    }

    fn ready_until(&mut self, until: Until) -> Option<usize> {
        let order = self.order();
        let position = super::run_ready(&mut self.arms, order, until)?;
        Some(self.chosen(position).index)
    }
}

/// The operation a select chose. It is claimed: it can no longer fail for want of a
/// counterpart or of room, and no other operation of the select happened. Complete
/// it with [`recv`](SelectedOperation::recv) or [`send`](SelectedOperation::send),
/// passing the same receiver or sender that was added at its index.
///
/// Dropping it without completing it is a bug: the claim is given back (a rendezvous
/// counterpart waits on as before; a claimed buffered value stays in place, unless
/// another receiver has moved past it meanwhile: then it goes back at the end of the
/// buffer, never dropped), then the drop panics, unless the thread is already
/// panicking (say, in the message expression of a `send` arm). Forgetting it
/// (`mem::forget`) is sound, but its claim is never given back: a rendezvous
/// counterpart it claimed waits forever, and a buffered slot it claimed stays held
/// (the channel counts it as neither free nor filled: `bounded(1)` then reports full
/// and empty at once).
///
/// ```
/// let (tx, rx) = csp_channel::bounded(1);
/// tx.send(10).unwrap();
/// let mut sel = csp_channel::Select::new();
/// let index = sel.recv(&rx);
/// let oper = sel.select();
/// assert_eq!(oper.index(), index);
/// assert_eq!(oper.recv(&rx), Ok(10));
/// ```
#[must_use = "a selected operation must be completed with `recv` or `send`"]
pub struct SelectedOperation<'a> {
    index: usize,
    handle: &'a dyn Handle,
    /// `None` once completed.
    token: Option<Token>,
    /// The select's own deadline, which still bounds completing a rendezvous whose
    /// chosen counterpart withdrew (see [`send`](SelectedOperation::send)).
    until: Until,
}

impl fmt::Debug for SelectedOperation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectedOperation")
            .field("index", &self.index)
            .finish()
    }
}

impl<'a> SelectedOperation<'a> {
    pub(crate) fn new(index: usize, handle: &'a dyn Handle, token: Token, until: Until) -> Self {
        Self {
            index,
            handle,
            token: Some(token),
            until,
        }
    }

    /// The index the chosen operation was given when it was added.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send(()).unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// let index = sel.recv(&rx);
    /// let oper = sel.select();
    /// assert_eq!(oper.index(), index);
    /// oper.recv(&rx).unwrap();
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Completes a receive operation; `receiver` must be the one selected.
    ///
    /// # Panics
    /// If `receiver` is not the receiver added at this operation's index.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(1);
    /// tx.send('a').unwrap();
    /// let mut sel = csp_channel::Select::new();
    /// sel.recv(&rx);
    /// assert_eq!(sel.select().recv(&rx), Ok('a'));
    /// ```
    pub fn recv<T>(mut self, receiver: &Receiver<T>) -> Result<T, RecvError> {
        self.check(Handle::id(receiver), "recv", "receiver");
        let token = self.token.take().expect("completed once");
        // SAFETY: the token was claimed on this very receiver's side of its channel
        // (checked above), and is used once.
        unsafe { receiver.finish_select(token, self.until) }
    }

    /// Completes a send operation with `value`; `sender` must be the one selected.
    /// The value comes back in the error if the channel is disconnected; or, on a
    /// rendezvous whose chosen receiver is an async task's receive (which takes a
    /// value only when its task polls it, so the select does not wait on it), if
    /// neither that task nor another receiver takes the value before the select's
    /// own deadline (at once for a select that does not wait). Without a deadline it
    /// waits for the next receiver.
    ///
    /// # Panics
    /// If `sender` is not the sender added at this operation's index.
    ///
    /// ```
    /// let (tx, rx) = csp_channel::bounded(0);
    /// let t = std::thread::spawn(move || rx.recv());
    /// let mut sel = csp_channel::Select::new();
    /// sel.send(&tx);
    /// sel.select().send(&tx, 3).unwrap();
    /// assert_eq!(t.join().unwrap(), Ok(3));
    /// ```
    pub fn send<T>(mut self, sender: &Sender<T>, value: T) -> Result<(), SendError<T>> {
        self.check(Handle::id(sender), "send", "sender");
        let token = self.token.take().expect("completed once");
        // SAFETY: as in `recv`, on the sending side.
        unsafe { sender.finish_select(token, value, self.until) }
    }

    /// For the async select macros: completes a send arm with the value `stashed`
    /// holds, unless a receiver took it already (`Token::Sent`).
    pub(crate) fn send_stashed<T>(
        mut self,
        stashed: &StashedSender<'_, T>,
    ) -> Result<(), SendError<T>> {
        self.check(Handle::id(stashed.sender), "send", "sender");
        match self.token.take().expect("completed once") {
            Token::Sent => Ok(()),
            token => {
                // SAFETY: the select that chose this operation is over and left no
                // entry anywhere, so nobody else reaches its stash.
                let value = unsafe { stashed.stash.take() }
                    .expect("an enabled send arm holds its value until it is sent");
                // SAFETY: as in `send`.
                unsafe { stashed.sender.finish_select(token, value, self.until) }
            }
        }
    }

    fn check(&self, id: (*const (), crate::flavors::Side), method: &str, what: &str) {
        assert!(
            self.handle.id() == id,
            "csp_channel::SelectedOperation::{method}: this {what} is not the one added at index {} \
             (pass the same {what} that was selected, and use `{method}` for a {what})",
            self.index
        );
    }
}

impl Drop for SelectedOperation<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            // SAFETY: the token came from this handle's claim and was never used.
            unsafe { self.handle.release(token) };
            if !std::thread::panicking() {
                panic!(
                    "csp: a SelectedOperation (index {}) was dropped without being completed; \
                     call `.recv(&receiver)` or `.send(&sender, value)` on it",
                    self.index
                );
            }
        }
    }
}
