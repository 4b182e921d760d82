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
# The longest first: memcheck runs two at a time, and a long run started last would
# finish alone.
tests=(--test select_stress --test stress --test select --test async_ops --test async_select)
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
        # Valgrind runs a process's threads one at a time, on one CPU, so the runs go
        # two at a time, one per CPU. The two stress suites go one test per run: run
        # whole, select_stress alone took longer than all the other suites together.
        # The other suites run whole: their tests that time their own CPU count
        # valgrind's translation of code run for the first time, which the suite's
        # earlier tests have mostly done by then.
        logs=$(mktemp -d)
        jobs=()
        for test in "${tests[@]}"; do
            [[ "$test" == --test ]] && continue
            binary=$(ls -t target/debug/deps/"$test"-* | grep -v '\.d$' | head -1)
            if [[ "$test" == *stress ]]; then
                names=$("$binary" --list 2>/dev/null | sed -n 's/: test$//p')
                if [[ -z "$names" ]]; then
                    echo "$binary lists no tests" >&2
                    exit 1
                fi
                while read -r name; do
                    jobs+=("$binary" "$name")
                done <<<"$names"
            else
                jobs+=("$binary" "")
            fi
        done
        run_one() {
            local binary=$1 name=$2 log
            log="$logs/$(basename "$binary")${name:+.$name}.log"
            local start=$SECONDS
            if valgrind --error-exitcode=9 --leak-check=no -q "$binary" -q \
                ${name:+--exact "$name"} >"$log" 2>&1; then
                echo "-- $(basename "$binary") ${name:-(all)}: $(grep -o '[0-9]* passed' "$log"), $((SECONDS - start)) s"
            else
                echo "-- $(basename "$binary") ${name:-(all)}: FAILED"
                cat "$log"
                return 1
            fi
        }
        export -f run_one
        export logs
        # A quarter of the stress suites' counts (csp/tests/common/scale.rs): at full
        # counts memcheck took 14 minutes of CI's 30 on a 2-vCPU machine.
        export CSP_STRESS_DIVISOR="${CSP_STRESS_DIVISOR:-4}"
        if ! printf '%s\0%s\0' "${jobs[@]}" | xargs -0 -n2 -P2 bash -c 'run_one "$1" "$2"' _; then
            echo "memcheck failed" >&2
            exit 1
        fi
        echo "memcheck: $(awk '/^test result: ok\./ { n += $4 } END { print n }' "$logs"/*.log)" \
            "tests passed, none reported"
        rm -rf "$logs"
    else
        echo "== valgrind memcheck skipped: valgrind is not installed"
    fi
fi
