# Sourced by the test scripts. `run_tests ARGS... [-- FILTERS...]` runs the tests
# under cargo-nextest, with the per-test time limits of .config/nextest.toml, when
# it is installed, and under plain `cargo test` otherwise, where a test that hangs
# hangs the run. ARGS are those both accept (-p, --test, --tests, --release,
# --target-dir, --workspace, --no-fail-fast, a test-name filter).
# CSP_TEST_RUNNER=cargo forces `cargo test`.

runner_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Whether the tests run under nextest.
uses_nextest() {
    [[ "${CSP_TEST_RUNNER:-}" != cargo ]] && cargo nextest --version >/dev/null 2>&1
}

run_tests() {
    if uses_nextest; then
        cargo nextest run --config-file "$runner_repo/.config/nextest.toml" "$@"
    else
        echo "note: running cargo test, without per-test time limits" \
            "(install them with: cargo install cargo-nextest --locked)" >&2
        cargo test "$@"
    fi
}
