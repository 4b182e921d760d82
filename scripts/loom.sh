#!/usr/bin/env bash
# Runs the loom models in loom_tests/ under --cfg csp_loom. Its own target dir keeps
# the normal build cache intact; LOOM_MAX_PREEMPTIONS bounds the models with more than
# two threads (set it higher, or unset it, for a deeper run).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="${RUSTFLAGS:-} --cfg csp_loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
exec cargo test --release --target-dir target/loom -p loom_tests "$@"
