#!/usr/bin/env bash
# Idempotent: creates tests/accuracy/.venv with the pinned tool versions (PyPI only).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3

TORCH=2.15.0; TRANSFORMERS=5.23.0; PEFT=0.21.2
ACCELERATE=1.15.0; DEEPSPEED=0.19.8; LLM_ANALYSIS=0.2.2

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

have() { "$VENV/bin/python" - "$1" "$2" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
except PackageNotFoundError:
    sys.exit(1)
PYEOF
}

# torch: PyPI only has the CUDA build; it runs on the CPU. It cannot be installed without the
# nvidia-* wheels: torch/lib/libtorch_cuda.so is linked against libcudart.so.13, libcublas.so.13,
# libcudnn.so.9, libnccl.so.2 ... and `import torch` fails ("libcublasLt.so.*[0-9] not found")
# when they are missing (tried with --no-deps + the pure-Python deps). So: a normal install.
if ! have torch "$TORCH" || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  "${PIP[@]}" install "torch==$TORCH" "setuptools>=77.0.3"
fi
have transformers "$TRANSFORMERS" || "${PIP[@]}" install "transformers==$TRANSFORMERS"
# --no-deps: peft/accelerate would otherwise be free to re-resolve torch (and pull nvidia wheels).
have accelerate "$ACCELERATE" || { "${PIP[@]}" install --no-deps "accelerate==$ACCELERATE"; "${PIP[@]}" install psutil; }
have peft "$PEFT" || { "${PIP[@]}" install --no-deps "peft==$PEFT"; "${PIP[@]}" install psutil tqdm; }
# Peers (lower priority; failures here do not stop the measurements).
if ! have deepspeed "$DEEPSPEED"; then
  DS_BUILD_OPS=0 "${PIP[@]}" install --no-deps "deepspeed==$DEEPSPEED" \
    && "${PIP[@]}" install hjson ninja py-cpuinfo pydantic msgpack einops \
    || echo "WARN: deepspeed install failed (peers only)" >&2
fi
if ! have llm-analysis "$LLM_ANALYSIS"; then
  "${PIP[@]}" install --no-deps "llm-analysis==$LLM_ANALYSIS" && "${PIP[@]}" install fire \
    || echo "WARN: llm-analysis install failed (peers only)" >&2
fi
"$VENV/bin/python" - <<'PYEOF'
import torch, transformers, peft
print("torch", torch.__version__, "transformers", transformers.__version__, "peft", peft.__version__)
PYEOF
