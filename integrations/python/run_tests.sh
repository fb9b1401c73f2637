#!/usr/bin/env bash
# The Python helpers' tests: makes integrations/python/.venv from PyPI if needed (setup.sh,
# idempotent), then runs pytest on tests/. Extra arguments go to pytest.
#   integrations/python/run_tests.sh
#   integrations/python/run_tests.sh -k trainer -x
#   TRAINFIT_BIN=target/debug/trainfit-probe integrations/python/run_tests.sh   # with a built CLI
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
start=$(date +%s)
bash ./setup.sh
setup_done=$(date +%s)
# Tiny models: one OpenMP thread (see tests/conftest.py for the measurement).
export OMP_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1
status=0
"$HERE/.venv/bin/python" -m pytest -p no:cacheprovider -q tests "$@" || status=$?
end=$(date +%s)
echo "integrations/python: setup $((setup_done - start)) s, tests $((end - setup_done)) s"
exit "$status"
