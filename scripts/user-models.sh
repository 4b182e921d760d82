#!/usr/bin/env bash
# Runs user_models/, a crate outside csp's workspace that depends on csp-channel by
# path and checks a small program's concurrency as a user would (docs/model-checking.md):
# its models under loom (--cfg csp_loom, in target/loom, beside scripts/loom.sh's), then
# under shuttle (--cfg csp_shuttle, in target/shuttle). Arguments go to the test runner
# (scripts/runner.sh), e.g. a model's name.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/runner.sh
manifest=user_models/Cargo.toml
flags=${RUSTFLAGS:-}
RUSTFLAGS="$flags --cfg csp_loom" NEXTEST_PROFILE="${NEXTEST_PROFILE:-loom}" \
    run_tests --release --manifest-path "$manifest" --target-dir target/loom "$@"
RUSTFLAGS="$flags --cfg csp_shuttle" NEXTEST_PROFILE="${NEXTEST_PROFILE:-shuttle}" \
    run_tests --release --manifest-path "$manifest" --target-dir target/shuttle "$@"
