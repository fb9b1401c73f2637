#!/usr/bin/env bash
# Loads every export of the fixture plans with the engines' own code (validate.py says which
# class or parser reads each format) and writes validation.json, which core/tests/suite/export.rs
# checks covers every format.
#   tests/export/validate.sh                              # setup (idempotent), build, validate
#   TRAINFIT_BIN=target/release/trainfit tests/export/validate.sh
#   MEGATRON_LM=path/to/Megatron-LM tests/export/validate.sh   # also read megatron.sh with its parser
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
bash "$HERE/setup.sh"
BIN="${TRAINFIT_BIN:-$ROOT/target/debug/trainfit}"
if [ -z "${TRAINFIT_BIN:-}" ]; then
  (cd "$ROOT" && CARGO_INCREMENTAL=0 cargo build -p trainfit-probe --locked)
fi
export PYTHONWARNINGS=ignore
"$HERE/.venv/bin/python" "$HERE/validate.py" "$BIN" "$HERE/validation.json"
