//! Where the executor's threads, locks and atomics come from: std's, loom's atomics for
//! the scheduling state under `--cfg csp_loom` (the loom models drive `Schedule`
//! directly), and shuttle's for everything under `--cfg csp_shuttle` (the shuttle tests
//! run whole executors).

#[cfg(not(csp_shuttle))]
pub(crate) use std::{
    sync::{Arc, Mutex},
    thread,
};

#[cfg(csp_shuttle)]
pub(crate) use shuttle::{
    sync::{Arc, Mutex},
    thread,
};

#[cfg(csp_loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};

#[cfg(csp_shuttle)]
pub(crate) use shuttle::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(any(csp_loom, csp_shuttle)))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
