//! A user's crate: its models are in `tests/`, run under `--cfg csp_loom` and
//! `--cfg csp_shuttle` (see `docs/model-checking.md` in csp's repository). The
//! library itself is empty; a real crate would have its program here.
