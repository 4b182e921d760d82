#!/usr/bin/env bash
# Runs the shuttle tests (loom_tests/tests/shuttle.rs) under --cfg csp_shuttle, in their
# own target dir. CSP_SHUTTLE_ITERATIONS sets schedules per scheduler (default 1000),
# CSP_SHUTTLE_SEED a seed to rerun, CSP_SHUTTLE_REPLAY a failing schedule to replay
# (pass the test's name too, e.g. `scripts/shuttle.sh executor_with_many_tasks`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/runner.sh
export RUSTFLAGS="${RUSTFLAGS:-} --cfg csp_shuttle"
export NEXTEST_PROFILE="${NEXTEST_PROFILE:-shuttle}"
run_tests --release --target-dir target/shuttle -p loom_tests --test shuttle -- "$@"
