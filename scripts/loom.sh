#!/usr/bin/env bash
# Runs the loom models in loom_tests/ under --cfg csp_loom. Its own target dir keeps
# the normal build cache intact. Models of two threads are exhaustive; those of more
# are bounded by LOOM_MAX_PREEMPTIONS (default 2; set it higher for a deeper run).
# Arguments go to the test runner (scripts/runner.sh), e.g. a model's name.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/runner.sh
export RUSTFLAGS="${RUSTFLAGS:-} --cfg csp_loom"
# The models' time limits (.config/nextest.toml).
export NEXTEST_PROFILE="${NEXTEST_PROFILE:-loom}"
run_tests --release --target-dir target/loom -p loom_tests "$@"
