#!/usr/bin/env bash
# Idempotent: creates integrations/python/.venv with pinned versions, from PyPI only.
# The pins match tests/accuracy/setup.sh so both environments test against the same torch and
# transformers.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3

TORCH=2.15.0; TRANSFORMERS=5.23.0; ACCELERATE=1.15.0; PYTEST=9.2.0

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# The installed versions of the packages named, one "name version" a line ("name -" if absent).
installed() { "$VENV/bin/python" - "$@" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for name in sys.argv[1:]:
    try:
        print(name, version(name))
    except PackageNotFoundError:
        print(name, "-")
PYEOF
}
want="torch $TORCH
transformers $TRANSFORMERS
accelerate $ACCELERATE
pytest $PYTEST"
if [ "$(installed torch transformers accelerate pytest)" = "$want" ]; then
  echo "integrations/python/.venv: up to date ($(echo $want))"
  exit 0
fi
have() { [ "$(installed "$1")" = "$1 $2" ]; }

# torch: the PyPI wheel is the CUDA build, which runs on the CPU but needs its nvidia-* wheels to
# import (see tests/accuracy/setup.sh); the PyTorch CPU index is not reachable from here.
if ! have torch "$TORCH" || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  "${PIP[@]}" install "torch==$TORCH" "setuptools>=77.0.3"
fi
have transformers "$TRANSFORMERS" || "${PIP[@]}" install "transformers==$TRANSFORMERS"
# Trainer needs accelerate; --no-deps so it cannot re-resolve torch.
have accelerate "$ACCELERATE" || { "${PIP[@]}" install --no-deps "accelerate==$ACCELERATE"; "${PIP[@]}" install psutil; }
have pytest "$PYTEST" || "${PIP[@]}" install "pytest==$PYTEST"
"$VENV/bin/python" -c 'import torch, transformers, accelerate, pytest; print("torch", torch.__version__, "transformers", transformers.__version__, "accelerate", accelerate.__version__, "pytest", pytest.__version__)'
