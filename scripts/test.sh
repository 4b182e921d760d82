#!/usr/bin/env bash
# Runs the workspace's tests: every test of every crate, example and doc comment. A
# test that hangs fails after 30 s under its own name (.config/nextest.toml, when
# cargo-nextest is installed; scripts/runner.sh). Ends with one line for the whole
# run: "workspace tests: N passed, M failed". Arguments go to the test runner; with
# `-p`, they choose the packages instead of the whole workspace (the line then
# starts "tests:").
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/runner.sh

scope=(--workspace)
label="workspace tests"
for arg in "$@"; do
    if [[ "$arg" == -p || "$arg" == --package ]]; then
        scope=()
        label=tests
    fi
done

log=$(mktemp)
status=0
run_tests "${scope[@]}" --no-fail-fast "$@" 2>&1 | tee "$log" || status=1
if uses_nextest; then
    # nextest runs no doctests: cargo does, with no time limit of its own. It names a
    # doctest still running after 60 s ("has been running for over 60 seconds"); a
    # limit on the whole doctest run (CSP_DOCTEST_LIMIT seconds, default 300: they
    # take well under a minute, build included) turns such a hang into a failure.
    limit=${CSP_DOCTEST_LIMIT:-300}
    timeout --kill-after=10 "$limit" cargo test "${scope[@]}" --doc --no-fail-fast "$@" 2>&1 |
        tee -a "$log"
    case "${PIPESTATUS[0]}" in
        0) ;;
        124 | 137)
            status=1
            echo "test result: FAILED. 0 passed; 1 failed; the doctests stopped after" \
                "$limit s (a hang: the doctests still running are named above)" | tee -a "$log"
            ;;
        *) status=1 ;;
    esac
fi
# cargo's "test result: ok. 5 passed; 0 failed; ..." lines, and nextest's
# "Summary [ 8.7s] 141 tests run: 139 passed, 1 failed, 1 timed out, 0 skipped".
awk '/^test result:|^ *Summary \[/ {
         for (i = 2; i <= NF; i++) {
             if ($i ~ /^passed/) p += $(i-1)
             if ($i ~ /^failed/) f += $(i-1)
             if ($i == "timed") f += $(i-1)
         }
     }
     END { printf "%s: %d passed, %d failed\n", label, p, f }' label="$label" "$log"
rm -f "$log"
exit "$status"
