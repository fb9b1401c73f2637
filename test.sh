#!/usr/bin/env bash
# Every check CI runs, in STYLE.md's order. Installs what a fresh machine lacks (Rust targets and
# components through rustup, wasm-bindgen-cli through cargo, Mesa's Vulkan drivers and Chromium
# through apt, the npm package's dev dependencies through npm); needs Node and nothing else.
set -euo pipefail
cd "$(dirname "$0")"
# Every build here starts clean: incremental compilation would only add its bookkeeping.
export CARGO_INCREMENTAL=0

# Each step says when it starts (seconds since the script began), so CI's log shows where time goes.
step() { printf '\n== %s  [%ss]\n' "$*" "$SECONDS"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "toolchain"
rustup target add thumbv7m-none-eabi wasm32-unknown-unknown aarch64-apple-darwin x86_64-pc-windows-gnu
rustup component add clippy rustfmt
# Must equal the `wasm-bindgen` version pinned in wasm/Cargo.toml. No --locked: the registry
# mirror lacks some of the versions its lockfile names.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
    cargo install wasm-bindgen-cli --version 0.2.130
fi
node --version
# Mesa's lavapipe: a Vulkan device on the CPU, so the GPU matmul kernel is checked for
# correctness here (the probe labels it a software renderer, never a GPU).
# Chromium (Debian's package, driven by playwright-core) runs the npm package's browser test.
if ! dpkg -s mesa-vulkan-drivers libvulkan1 chromium >/dev/null 2>&1; then
    apt-get update -q && apt-get install -y -q mesa-vulkan-drivers libvulkan1 chromium
fi
# binaryen (wasm-opt: Debian's corrupts these modules), typescript and playwright-core, pinned by
# npm/package-lock.json.
(cd npm && npm ci --no-audit --no-fund)

step "format"
cargo fmt --all --check

step "clippy (host)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32)"
cargo clippy -p trainfit-wasm -p trainfit-wasm-export --all-targets --target wasm32-unknown-unknown --locked -- -D warnings
# The web page's module: the bindings without their exporter.
cargo clippy -p trainfit-wasm --no-default-features --target wasm32-unknown-unknown --locked -- -D warnings

step "clippy (the probe on macOS and Windows; compiled, not run: no such machine here)"
cargo clippy -p trainfit-probe --target aarch64-apple-darwin --target x86_64-pc-windows-gnu \
    --locked -- -D warnings

step "tests (host; includes the schema staleness check and the accuracy results)"
cargo test --workspace --locked 2>&1 | tee -a "$log"

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

step "no_std build of the core"
cargo build -p trainfit-core --no-default-features --target thumbv7m-none-eabi --locked

step "the probe library without the command line (no clap, no anyhow)"
cargo clippy -p trainfit-probe --lib --no-default-features --locked -- -D warnings

step "npm package: build (cargo, wasm-bindgen, wasm-opt; the declarations checked against npm/types)"
npm/build.sh

step "npm package: Node ESM and CommonJS, parity with the CLI, the packed tarball installed and type-checked, headless Chromium"
# Parity runs the binary the tests built (target/debug/trainfit: the same code; ./bench.sh builds
# and times the release binary).
(cd npm && node --test test/node.test.mjs test/parity.test.mjs test/install.test.mjs test/browser.test.mjs) 2>&1 | tee -a "$log"

step "npm package: 1,000 generated inputs per export (the 10,000 run: node npm/test/robustness.mjs)"
node npm/test/robustness.mjs 1000

step "npm package: benchmarks (figures, not checks; ./bench.sh measures the rest)"
node npm/bench.mjs

step "web calculator: build (vite, type-checked, on the npm package as an outside user installs it)"
(cd web && npm ci --no-audit --no-fund && npm run build)
# What a first visit transfers: every file of the site but the exporter's chunk and module
# (fetched when a Run it panel opens), each gzipped.
printf 'web/dist: a first visit %s bytes gzipped (budget: 500 KB, wasm included); the exporter %s more\n' \
    "$(find web/dist -type f ! -name 'exporter-*' ! -name 'trainfit_export_bg-*' -exec sh -c 'gzip -9c "$1" | wc -c' _ {} \; | awk '{s += $1} END {print s}')" \
    "$(find web/dist -type f \( -name 'exporter-*' -o -name 'trainfit_export_bg-*' \) -exec sh -c 'gzip -9c "$1" | wc -c' _ {} \; | awk '{s += $1} END {print s}')"

step "web calculator: headless Chromium (cards equal to plan(), trainfit open's fragment, bad input, a hostile host name, the share link, keyboard and axe-core, no request off 127.0.0.1; screenshots in web/screenshots)"
(cd web && npm test) 2>&1 | tee -a "$log"

step "done"
# cargo's "test result: ok. N passed; M failed" lines and node:test's "# pass N" / "# fail M".
passed=$(awk '/^test result:/ {p += $4} /^# pass / {p += $3} END {print p + 0}' "$log")
failed=$(awk '/^test result:/ {f += $6} /^# fail / {f += $3} END {print f + 0}' "$log")
printf 'tests: %s passed, %s failed\n' "$passed" "$failed"
