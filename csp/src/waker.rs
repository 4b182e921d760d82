//! The thread waker: a [`Waker`] whose `wake` unparks one thread.
//!
//! A blocked thread and a blocked task wait in the same queues, each through a
//! [`Waker`]; this module makes the thread's. It is hand-rolled over the [`sync`]
//! facade's `Arc` (rather than built with `std::task::Wake`, which needs std's `Arc`)
//! so that, under loom, the models check its reference counting too.
//!
//! Each thread builds its waker once and keeps it in a thread-local, so a blocking
//! operation costs one reference-count increment, never an allocation.
//!
//! [`sync`]: crate::sync

use crate::sync::{Arc, Thread, current_thread};
use std::mem::ManuallyDrop;
use std::ptr;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// The waker a party holds until its owner first sleeps, and once a counterpart has
/// taken the owner's: waking it does nothing. Ours rather than `Waker::noop()`, whose
/// functions live in std where the compiler cannot see into them: putting this one in
/// place is two stores, and [`is_no_waker`] tells it apart without calling anything.
pub(crate) const NO_WAKER: Waker = {
    const RAW: RawWaker = RawWaker::new(ptr::null(), &NO_WAKER_VTABLE);
    // SAFETY: every function of NO_WAKER_VTABLE ignores the data pointer and does
    // nothing but hand back the same no-op RawWaker, which honours the RawWaker
    // contract for any pointer, null included.
    unsafe { Waker::from_raw(RAW) }
};

/// A static, so that every [`NO_WAKER`] points at the same vtable ([`is_no_waker`]).
static NO_WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(no_waker_clone, no_waker_op, no_waker_op, no_waker_op);

unsafe fn no_waker_clone(_: *const ()) -> RawWaker {
    RawWaker::new(ptr::null(), &NO_WAKER_VTABLE)
}

unsafe fn no_waker_op(_: *const ()) {}

/// Whether `waker` is a [`NO_WAKER`] (whose drop would do nothing).
#[inline]
pub(crate) fn is_no_waker(waker: &Waker) -> bool {
    ptr::eq(waker.vtable(), &NO_WAKER_VTABLE)
}

/// What a thread waker points at: the thread to unpark.
struct Unparker {
    thread: Thread,
}

/// Every pointer passed to these functions came from `Arc::<Unparker>::into_raw`, and
/// each `RawWaker` built from it owns exactly one strong count of that `Arc`.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: `ptr` is owned by a live waker (see VTABLE), so the Arc has a strong count
    // of at least one for the duration of this call; the new RawWaker owns the added one.
    unsafe { Arc::increment_strong_count(ptr.cast::<Unparker>()) };
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake(ptr: *const ()) {
    // SAFETY: `wake` consumes the waker, and with it the one strong count it owns; the
    // Arc rebuilt here takes over that count and releases it when it goes out of scope.
    let unparker = unsafe { Arc::from_raw(ptr.cast::<Unparker>()) };
    unparker.thread.unpark();
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker keeps its count; ManuallyDrop makes sure the borrowed Arc is
    // never released here, whatever `unpark` does.
    let unparker = ManuallyDrop::new(unsafe { Arc::from_raw(ptr.cast::<Unparker>()) });
    unparker.thread.unpark();
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: the waker being dropped owns one strong count, released exactly once here.
    unsafe { Arc::decrement_strong_count(ptr.cast::<Unparker>()) };
}

/// Builds a new waker that unparks the calling thread.
pub(crate) fn new_thread_waker() -> Waker {
    let unparker = Arc::new(Unparker {
        thread: current_thread(),
    });
    let raw = RawWaker::new(Arc::into_raw(unparker).cast::<()>(), &VTABLE);
    // SAFETY: the vtable's functions honour the RawWaker contract for pointers made by
    // `Arc::into_raw` (see VTABLE); `raw` owns the one strong count `Arc::new` made.
    unsafe { Waker::from_raw(raw) }
}

#[cfg(not(any(csp_loom, csp_shuttle)))]
std::thread_local! {
    static THREAD_WAKER: Waker = new_thread_waker();
}

#[cfg(csp_shuttle)]
shuttle::thread_local! {
    static THREAD_WAKER: Waker = new_thread_waker();
}

#[cfg(csp_loom)]
loom::thread_local! {
    static THREAD_WAKER: Waker = new_thread_waker();
}

/// A waker that unparks the calling thread: a clone of the thread's own, or a fresh
/// one while the thread-local is being torn down.
pub(crate) fn current_thread_waker() -> Waker {
    THREAD_WAKER
        .try_with(Waker::clone)
        .unwrap_or_else(|_| new_thread_waker())
}
