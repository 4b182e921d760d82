#!/usr/bin/env bash
# Runs crossbeam-channel 0.5's own test suite against csp: the drop-in check.
#
# The tests come from the crossbeam-channel source that cargo already fetched for the
# comparison (compare/ depends on it); nothing of crossbeam's is kept in this
# repository. They are copied into target/crossbeam-suite/, with every
# `crossbeam_channel` path rewritten to `csp`, and run there as a crate of their own.
# Arguments go to the test runner (scripts/runner.sh: nextest with the repository's
# per-test time limits, or `cargo test`), e.g. `--release`, or a test name after `--`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The suites csp takes as its drop-in bar, and crossbeam's tests of its unbounded
# flavor (list). mpsc.rs tests std's mpsc API, which csp does not claim to be.
suites="zero array list select select_macro ready tick never after iter same_channel golang thread_locals"

manifest=$(cargo metadata --format-version 1 --manifest-path compare/Cargo.toml |
    python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "crossbeam-channel" and p["version"].startswith("0.5."):
        print(p["manifest_path"]); break')
src=$(dirname "$manifest")
echo "crossbeam-channel tests from $src"

dir=target/crossbeam-suite
rm -rf "$dir/tests"
mkdir -p "$dir/tests" "$dir/src"
for suite in $suites; do
    sed -e 's/crossbeam_channel/csp_channel/g' "$src/tests/$suite.rs" > "$dir/tests/$suite.rs"
done
: > "$dir/src/lib.rs"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "crossbeam-suite"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dev-dependencies]
csp-channel = { path = "$root/csp" }
crossbeam-utils = "0.8"
num_cpus = "1.13"
rand = "0.8"
TOML
cd "$dir"
source "$root/scripts/runner.sh"
run_tests --target-dir "$root/target/crossbeam-suite-target" "$@"
