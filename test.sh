#!/usr/bin/env bash
# Every check CI runs, in STYLE.md's order. Installs what a fresh machine lacks (Rust targets and
# components through rustup, the wasm-bindgen test runner through cargo); needs Node for the wasm
# tests and nothing else.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "toolchain"
rustup target add thumbv7m-none-eabi wasm32-unknown-unknown
rustup component add clippy rustfmt
# Must equal the `wasm-bindgen` version pinned in wasm/Cargo.toml. No --locked: the registry
# mirror lacks some of the versions its lockfile names.
runner_version="wasm-bindgen-test-runner 0.2.130"
if [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "$runner_version" ]; then
    cargo install wasm-bindgen-cli --version 0.2.130
fi
node --version

step "format"
cargo fmt --all --check

step "clippy (host)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32)"
cargo clippy -p trainfit-wasm --all-targets --target wasm32-unknown-unknown --locked -- -D warnings

step "tests (host; includes the schema staleness check and the accuracy results)"
cargo test --workspace --locked 2>&1 | tee -a "$log"

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "no_std build of the core"
cargo build -p trainfit-core --no-default-features --target thumbv7m-none-eabi --locked

step "wasm build"
cargo build -p trainfit-wasm --target wasm32-unknown-unknown --release --locked
wasm=target/wasm32-unknown-unknown/release/trainfit_wasm.wasm
printf 'wasm module: %s bytes (before wasm-bindgen and wasm-opt)\n' "$(stat -c %s "$wasm")"

step "wasm tests (Node, through wasm-bindgen-test-runner)"
cargo test -p trainfit-wasm --target wasm32-unknown-unknown --locked 2>&1 | tee -a "$log"

step "done"
passed=$(awk '/^test result:/ {p += $4} END {print p + 0}' "$log")
failed=$(awk '/^test result:/ {f += $6} END {print f + 0}' "$log")
printf 'tests: %s passed, %s failed\n' "$passed" "$failed"
