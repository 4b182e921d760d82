//! The csp channels used from async tasks: futures, `Stream`/`Sink`, async select and a
//! small executor (issue 4). Empty until then.
//!
//! The wait protocol in `csp` is already built for it: an async operation will be a
//! party whose waker is its task's, registered in the same queues as blocked threads;
//! an async receiver registers a *notify* entry, so a value never sits in a future
//! that could be dropped.
