#!/usr/bin/env bash
# Builds the npm package into npm/dist from the wasm crate: cargo (profile `wasm`, see the
# workspace Cargo.toml), wasm-bindgen (the CLI of the exact version wasm/Cargo.toml pins) for
# each entry point, wasm-opt from npm's binaryen (never Debian's 108, which corrupts these
# modules), and the JSON Schemas of schema/.
#
# Every entry carries the whole module. Two more browser entries split it for pages that count
# their first visit's bytes (the web calculator): `web/lean`, the module built without its
# `export` feature, and `web/export`, exportPlan and exportFormats alone (wasm/export), which such
# a page loads when it needs them.
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

wasm=../target/wasm32-unknown-unknown/wasm
CARGO_INCREMENTAL=0 cargo build -p trainfit-wasm -p trainfit-wasm-export \
    --target wasm32-unknown-unknown --profile wasm --locked
module=$wasm/trainfit_wasm.wasm
module_bytes=$(stat -c %s "$module")

# One entry: wasm-bindgen for `target` into dist/`dir` as `name`.js and `name`_bg.wasm, then
# wasm-opt. -O1 by measurement: -Oz and -Os make the module 8 % smaller but 10 % larger gzipped
# (npm/README.md, "Size"; again for the page's module, docs/performance.md).
bindgen() {
    local module=$1 target=$2 dir=dist/$3 name=$4
    wasm-bindgen "$module" --target "$target" --out-dir "$dir" --out-name "$name" \
        --remove-name-section --remove-producers-section
    "$wasm_opt" -O1 "$dir/${name}_bg.wasm" -o "$dir/${name}_bg.wasm"
}

rm -rf dist
# Entry points: Node ESM (loads the module synchronously with readFileSync), Node CommonJS,
# bundlers (an ESM import of the .wasm file) and browsers without a bundler (`init()`).
for entry in node:experimental-nodejs-module cjs:nodejs bundler:bundler web:web; do
    bindgen "$module" "${entry#*:}" "${entry%%:*}" trainfit
done
bindgen "$wasm/trainfit_wasm_export.wasm" web web-export trainfit_export
# The same crate without its exporter (last: it replaces $module).
CARGO_INCREMENTAL=0 cargo build -p trainfit-wasm --no-default-features \
    --target wasm32-unknown-unknown --profile wasm --locked
bindgen "$module" web web-lean trainfit
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
# The split browser entries: their declarations (types/web-lean.d.ts, types/web-export.d.ts)
# re-export by name the functions of types/trainfit.d.ts that each module has; this checks each
# module declares exactly those, with the same signatures, and that the two name the whole API.
functions() { sed -n 's/^export function \([A-Za-z_]*\)(.*/\1/p' "$1" | grep -vx initSync | sort | tr '\n' ' '; }
listed() { sed -n 's/^export { \(.*\) } from "\.\/trainfit\.js";$/\1/p' "$1" | tr -d ',' | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }
for split in web-lean/trainfit web-export/trainfit_export; do
    generated_split=dist/$split.d.ts
    declared=types/${split%%/*}.d.ts
    [ "$(functions "$generated_split")" = "$(listed "$declared")" ] ||
        { echo "$declared re-exports $(listed "$declared")but dist/$split.js has $(functions "$generated_split")" >&2; status=1; }
    grep '^export function ' "$generated_split" | grep -v '^export function initSync(' |
        grep -vxF -f <(grep '^export function ' "$generated") &&
        { echo "dist/$split.d.ts declares another signature than the main entry (above)" >&2; status=1; }
    grep -q '^export function initSync(' "$generated_split" && grep -q '^export default function __wbg_init' "$generated_split" ||
        { echo "dist/$split.d.ts no longer declares init and initSync as types/web.d.ts does" >&2; status=1; }
done
[ "$(printf '%s' "$(listed types/web-lean.d.ts)$(listed types/web-export.d.ts)" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')" = "$(functions "$generated")" ] ||
    { echo "types/web-lean.d.ts and types/web-export.d.ts together do not name every function of the API" >&2; status=1; }
rm -f dist/*/*.d.ts

mkdir -p dist/schema
cp ../schema/*.schema.json dist/schema/

sizes() { printf '%s bytes, %s gzipped' "$(stat -c %s "$1")" "$(gzip -9 -c "$1" | wc -c)"; }
printf 'npm/dist: module %s (cargo: %s bytes); web/lean %s; web/export %s\n' \
    "$(sizes dist/web/trainfit_bg.wasm)" "$module_bytes" "$(sizes dist/web-lean/trainfit_bg.wasm)" \
    "$(sizes dist/web-export/trainfit_export_bg.wasm)"
exit "$status"
