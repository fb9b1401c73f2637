#!/usr/bin/env bash
# The figures README.md and docs/performance.md quote, measured on this machine: sizes and
# speeds, not checks (./test.sh is the checks). Run ./test.sh once first: it installs the
# toolchain and builds the npm package's dependencies this uses.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_INCREMENTAL=0

step() { printf '\n== %s\n' "$*"; }

step "probe release build: binary size and time of \`trainfit probe --json\`"
cargo build -p trainfit-probe --release --locked
bin=target/release/trainfit
printf 'probe binary: %s bytes (budget: 8 MB)\n' "$(stat -c %s "$bin")"
for run in 1 2 3; do
    start=$(date +%s%N)
    "$bin" probe --json >/dev/null
    printf 'trainfit probe --json, run %s: %s ms (budget: 1000 ms)\n' "$run" $(( ($(date +%s%N) - start) / 1000000 ))
done

step "the core natively (criterion): estimate and plan"
cargo bench -p trainfit-core --locked --bench estimate --bench plan -- --noplot

step "the npm package in Node: size, instantiation, plan, estimate"
npm/build.sh
node npm/bench.mjs

step "the web calculator in headless Chromium: transfer size, navigation to the results, keystroke to updated results"
(cd web && npm run build)
node web/bench.mjs
