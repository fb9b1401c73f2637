#!/usr/bin/env bash
# Builds the npm package into npm/dist from the wasm crate: cargo (profile `wasm`, see the
# workspace Cargo.toml), wasm-bindgen (the CLI of the exact version wasm/Cargo.toml pins) for
# each entry point, wasm-opt from npm's binaryen (never Debian's 108, which corrupts these
# modules), and the JSON Schemas of schema/.
#
# The TypeScript declarations wasm-bindgen writes are committed as npm/types/trainfit.d.ts; the
# build fails when they differ from the committed ones. Regenerate them with
# `TRAINFIT_BLESS=1 npm/build.sh` and commit them. npm/types/web.d.ts (the browser entry's
# init) is written by hand.
#
# Needs: `npm ci` run in npm/ (for binaryen), wasm-bindgen-cli 0.2.130 on PATH, the
# wasm32-unknown-unknown target.
set -euo pipefail
cd "$(dirname "$0")"

bindgen_version="wasm-bindgen 0.2.130"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "$bindgen_version" ]; then
    echo "npm/build.sh needs $bindgen_version on PATH (cargo install wasm-bindgen-cli --version 0.2.130)" >&2
    exit 1
fi
wasm_opt=node_modules/.bin/wasm-opt
if [ ! -x "$wasm_opt" ]; then
    echo "npm/build.sh needs npm's binaryen: run \`npm ci\` in npm/ first" >&2
    exit 1
fi

CARGO_INCREMENTAL=0 cargo build -p trainfit-wasm --target wasm32-unknown-unknown --profile wasm --locked
module=../target/wasm32-unknown-unknown/wasm/trainfit_wasm.wasm

rm -rf dist
# Entry points: Node ESM (loads the module synchronously with readFileSync), Node CommonJS,
# bundlers (an ESM import of the .wasm file) and browsers without a bundler (`init()`).
for entry in node:experimental-nodejs-module cjs:nodejs bundler:bundler web:web; do
    dir=dist/${entry%%:*}
    wasm-bindgen "$module" --target "${entry#*:}" --out-dir "$dir" --out-name trainfit \
        --remove-name-section --remove-producers-section
    # -O1 by measurement: -Oz and -Os make the module 8 % smaller but 10 % larger gzipped
    # (npm/README.md, "Size").
    "$wasm_opt" -O1 "$dir/trainfit_bg.wasm" -o "$dir/trainfit_bg.wasm"
done
# The package is "type": "module"; the CommonJS entry says so of its own folder.
echo '{"type": "commonjs"}' > dist/cjs/package.json

# One set of declarations for the Node and bundler entries (wasm-bindgen writes the same for
# each), one for the browser entry (with init); committed, so a change to the API shows in review.
status=0
generated=dist/bundler/trainfit.d.ts
if [ "${TRAINFIT_BLESS:-}" = 1 ]; then
    cp "$generated" types/trainfit.d.ts
elif ! cmp -s "$generated" types/trainfit.d.ts; then
    echo "stale: types/trainfit.d.ts differs from what wasm-bindgen generates ($generated);" \
        "regenerate with TRAINFIT_BLESS=1 npm/build.sh and commit it" >&2
    status=1
fi
for entry in node cjs; do
    cmp -s "dist/$entry/trainfit.d.ts" "$generated" ||
        { echo "dist/$entry/trainfit.d.ts differs from the bundler entry's" >&2; status=1; }
done
# The browser entry declares the same exports, then init() and initSync(), whose output type
# names the module's internals (closure symbols that change with every build): types/web.d.ts
# re-exports the API and declares the two by hand; this checks the API part is the same.
api_lines=$(wc -l < "$generated")
head -n "$api_lines" dist/web/trainfit.d.ts | cmp -s - "$generated" ||
    { echo "dist/web/trainfit.d.ts declares another API than the bundler entry" >&2; status=1; }
grep -q '^export function initSync(' dist/web/trainfit.d.ts &&
    grep -q '^export default function __wbg_init' dist/web/trainfit.d.ts ||
    { echo "dist/web/trainfit.d.ts no longer declares init and initSync as types/web.d.ts does" >&2; status=1; }
rm -f dist/*/*.d.ts

mkdir -p dist/schema
cp ../schema/*.schema.json dist/schema/

gzipped=$(gzip -9 -c dist/web/trainfit_bg.wasm | wc -c)
printf 'npm/dist: module %s bytes, %s gzipped (cargo: %s bytes)\n' \
    "$(stat -c %s dist/web/trainfit_bg.wasm)" "$gzipped" "$(stat -c %s "$module")"
exit "$status"
