#!/usr/bin/env bash
# Runs the concurrency stress tests under AddressSanitizer (when a nightly toolchain
# is installed) and under valgrind memcheck (when valgrind is), and fails on any
# report. ThreadSanitizer needs an instrumented std, which this machine lacks; helgrind
# and drd flood false reports on std's futex-based locks, so they are not used.
#
#   scripts/sanitize.sh            # both, whichever is available
#   scripts/sanitize.sh asan       # only AddressSanitizer
#   scripts/sanitize.sh memcheck   # only valgrind memcheck
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-all}"
tests=(--test stress --test select --test select_stress --test async_ops --test async_select)
target="$(rustc -vV | sed -n 's/^host: //p')"

if [[ "$what" == all || "$what" == asan ]]; then
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        echo "== AddressSanitizer (nightly, $target)"
        RUSTFLAGS="-Zsanitizer=address" cargo +nightly test --target "$target" \
            --target-dir target/asan -p csp-channel "${tests[@]}"
        # A small quarantine: ASan's default (256 MiB of freed memory held back)
        # reads as growth to the soak's resident-memory check.
        ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=8}" RUSTFLAGS="-Zsanitizer=address" \
            cargo +nightly test --target "$target" \
            --target-dir target/asan -p csp-executor --test runtimes --test soak
    else
        echo "== AddressSanitizer skipped: no nightly toolchain"
    fi
fi

if [[ "$what" == all || "$what" == memcheck ]]; then
    if command -v valgrind >/dev/null; then
        echo "== valgrind memcheck"
        cargo test --no-run -p csp-channel "${tests[@]}" 2>&1 | tail -1
        for test in "${tests[@]}"; do
            [[ "$test" == --test ]] && continue
            binary=$(ls -t target/debug/deps/"$test"-* | grep -v '\.d$' | head -1)
            echo "-- $test"
            valgrind --error-exitcode=9 --leak-check=no -q "$binary" -q
        done
    else
        echo "== valgrind memcheck skipped: valgrind is not installed"
    fi
fi
