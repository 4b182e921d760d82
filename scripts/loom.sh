#!/usr/bin/env bash
# Runs the loom models in loom_tests/ under --cfg csp_loom. Its own target dir keeps
# the normal build cache intact. Models of two threads are exhaustive; those of more
# are bounded by LOOM_MAX_PREEMPTIONS (default 2; set it higher for a deeper run).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="${RUSTFLAGS:-} --cfg csp_loom"
exec cargo test --release --target-dir target/loom -p loom_tests "$@"
