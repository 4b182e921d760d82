#!/usr/bin/env bash
# Mutation testing of the concurrency modules that .cargo/mutants.toml lists (waiting,
# handoff, select, the async futures, the executor), in passes that share one output
# dir, each retesting only what the earlier ones missed (cargo-mutants --iterate):
#   tests    the unit and integration tests (debug build; doctests skipped)
#   shuttle  the shuttle tests, with a fixed seed
#   loom     the loom models (release build, LOOM_MAX_PREEMPTIONS default 2)
# `scripts/mutants.sh` runs all three; `scripts/mutants.sh shuttle` one of them.
# Results: target/mutants/mutants.out/{caught,missed,timeout,unviable}.txt, and
# previously_caught.txt for what earlier passes caught. See docs/verification.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
out=${MUTANTS_OUT:-target/mutants}
jobs=${MUTANTS_JOBS:-2}
pass=${1:-all}
iterate=()
[[ -d $out/mutants.out ]] && iterate=(--iterate)

# --iterate skips what earlier runs caught or found unviable, but retests timeouts;
# a hang is a failure, so count timeouts as caught before iterating (else a rerun
# spends most of its time waiting out hangs again).
count_timeouts_as_caught() {
    local dir=$out/mutants.out
    if [[ -s $dir/timeout.txt ]]; then
        cat "$dir/timeout.txt" >> "$dir/caught.txt"
        : > "$dir/timeout.txt"
    fi
}

# cargo-mutants exits non-zero when mutants survive; the passes go on regardless.
if [[ $pass == all || $pass == tests ]]; then
    [[ ${#iterate[@]} -gt 0 ]] && count_timeouts_as_caught
    cargo mutants --workspace -j "$jobs" -o "$out" "${iterate[@]}" || true
    iterate=(--iterate)
fi
if [[ $pass == all || $pass == shuttle ]]; then
    count_timeouts_as_caught
    CSP_SHUTTLE_SEED=1 RUSTFLAGS="--cfg csp_shuttle" cargo mutants --workspace \
        -j "$jobs" -o "$out" --iterate --test-package loom_tests --profile release \
        --cargo-test-arg=--test --cargo-test-arg=shuttle || true
fi
if [[ $pass == all || $pass == loom ]]; then
    count_timeouts_as_caught
    RUSTFLAGS="--cfg csp_loom" cargo mutants --workspace -j "$jobs" -o "$out" --iterate \
        --test-package loom_tests --profile release || true
fi
