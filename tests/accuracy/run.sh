#!/usr/bin/env bash
# The one command: setup (idempotent) -> validate -> measure -> peers -> compare.
#   tests/accuracy/run.sh                     # everything
#   TRAINFIT_BIN=target/release/trainfit-probe tests/accuracy/run.sh   # use a built binary
#   SKIP_MEASURE=1 tests/accuracy/run.sh      # keep the committed measured.json, only peers + compare
#   CASES='llama-3-8b*' tests/accuracy/run.sh # a subset (fnmatch on case ids)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
bash ./setup.sh
PY="$HERE/.venv/bin/python"
export PYTHONWARNINGS=ignore
CASE_ARGS=()
if [ -n "${CASES:-}" ]; then CASE_ARGS=(--cases $CASES); fi

if [ "${SKIP_MEASURE:-0}" != 1 ]; then
  echo "== validation (fake vs real CPU tensors) =="
  "$PY" measure.py --validate
  echo "== measurements =="
  "$PY" measure.py "${CASE_ARGS[@]}"
fi
echo "== peers =="
"$PY" peers.py "${CASE_ARGS[@]}" || echo "WARN: peers failed; comparing without them" >&2
echo "== compare =="
TF_ARGS=()
if [ -n "${TRAINFIT_BIN:-}" ]; then TF_ARGS=(--trainfit "$TRAINFIT_BIN"); fi
"$PY" compare.py "${TF_ARGS[@]}" "${CASE_ARGS[@]}"
