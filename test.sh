#!/usr/bin/env bash
# Every check CI runs, in STYLE.md's order. Installs what a fresh machine lacks (Rust targets and
# components through rustup); needs nothing else.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
rustup target add thumbv7m-none-eabi wasm32-unknown-unknown
rustup component add clippy rustfmt

step "format"
cargo fmt --all --check

step "clippy (host)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32)"
cargo clippy -p trainfit-wasm --target wasm32-unknown-unknown --locked -- -D warnings

step "tests"
log=$(mktemp)
cargo test --workspace --locked 2>&1 | tee "$log"
passed=$(awk '/^test result:/ {p += $4} END {print p + 0}' "$log")
failed=$(awk '/^test result:/ {f += $6} END {print f + 0}' "$log")
rm -f "$log"

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "no_std build of the core"
cargo build -p trainfit-core --no-default-features --target thumbv7m-none-eabi --locked

step "wasm build"
cargo build -p trainfit-wasm --target wasm32-unknown-unknown --release --locked
wasm=target/wasm32-unknown-unknown/release/trainfit_wasm.wasm
printf 'wasm module: %s bytes (before wasm-bindgen and wasm-opt)\n' "$(stat -c %s "$wasm")"

step "done"
printf 'tests: %s passed, %s failed\n' "$passed" "$failed"
