#!/usr/bin/env bash
# Idempotent: creates tests/export/.venv with the engines whose own code reads the exports, at
# pinned versions, from PyPI only. An engine that does not install here (no GPU, no CUDA
# toolkit) is reported by validate.py as not installed, with the reason pip gave.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3

# The accuracy suite's versions (tests/accuracy/setup.sh), so both suites read the same engines.
TORCH=2.15.0; TRANSFORMERS=5.23.0; PEFT=0.21.2; ACCELERATE=1.15.0; DEEPSPEED=0.19.8

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
mkdir -p "$HERE/out"

have() { "$VENV/bin/python" - "$1" "$2" <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    sys.exit(0 if version(sys.argv[1]) == sys.argv[2] else 1)
except PackageNotFoundError:
    sys.exit(1)
PYEOF
}

# torch from PyPI is the CUDA build; it imports and runs on the CPU (tests/accuracy/setup.sh
# says why it cannot be installed without its nvidia-* wheels).
if ! have torch "$TORCH" || ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
  "${PIP[@]}" install "torch==$TORCH" "setuptools>=77.0.3"
fi
have transformers "$TRANSFORMERS" || "${PIP[@]}" install "transformers==$TRANSFORMERS"
# --no-deps: they would otherwise be free to re-resolve torch.
have accelerate "$ACCELERATE" || { "${PIP[@]}" install --no-deps "accelerate==$ACCELERATE"; "${PIP[@]}" install psutil pyyaml; }
have peft "$PEFT" || { "${PIP[@]}" install --no-deps "peft==$PEFT"; "${PIP[@]}" install psutil tqdm; }
if ! have deepspeed "$DEEPSPEED"; then
  DS_BUILD_OPS=0 "${PIP[@]}" install --no-deps "deepspeed==$DEEPSPEED" \
    && "${PIP[@]}" install hjson ninja py-cpuinfo pydantic msgpack einops \
    || echo "deepspeed: pip install failed" > "$HERE/out/deepspeed.install"
fi
# Engines that may not install without a GPU: each tried once per setup, its failure kept for
# the report.
try() {
  local name="$1"; shift
  if ! "$VENV/bin/python" -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$name') else 1)"; then
    "${PIP[@]}" install "$@" > "$HERE/out/$name.install" 2>&1 \
      || echo "pip install $* failed" >> "$HERE/out/$name.install"
  fi
}
try kubeflow "kubeflow-training==1.9.4"
try sglang --no-deps "sglang==0.5.23"
try vllm --no-deps "vllm==0.34.0"
try axolotl --no-deps "axolotl==0.19.0"
# 0.2.2: the last release that reads a TOML job file (0.3.0 replaced it by Python config
# registries, `--module` and `--config`).
try torchtitan --no-deps "torchtitan==0.2.2" tyro
try mlx_lm "mlx-lm==0.32.2"
# Unsloth: its wheels are read, not installed. It pins torch<2.15.0 and transformers<=5.17.0
# (the wheel's METADATA), which conflict with the versions above; validate.py checks every
# keyword of unsloth_train.py against the signatures in the wheels' source, and SFTConfig's
# against TRL 1.15.0, the newest TRL that Unsloth 2026.10.9 allows (trl<=1.15.0).
UNSLOTH=2026.10.9; TRL=1.15.0
WHEELS="$HERE/out/wheels"
if [ ! -f "$WHEELS/unsloth-$UNSLOTH-py3-none-any.whl" ] || [ ! -f "$WHEELS/unsloth_zoo-$UNSLOTH-py3-none-any.whl" ]; then
  "${PIP[@]}" download --no-deps -d "$WHEELS" "unsloth==$UNSLOTH" "unsloth_zoo==$UNSLOTH"
fi
have trl "$TRL" || "${PIP[@]}" install --no-deps "trl==$TRL"
# What the engines installed --no-deps import to reach their parsers (found by importing them
# here), with torch and transformers held at their versions: mlx's CPU build (Linux) for mlx-lm,
# pillow for axolotl, vLLM's and SGLang's server modules' imports, tyro's docstring-parser and
# typeguard for torchtitan (a venv without them reported torchtitan as not installed).
"${PIP[@]}" install "torch==$TORCH" "transformers==$TRANSFORMERS" "mlx[cpu]==0.32.4" pillow \
  pyzmq aiohttp cachetools cbor2 cloudpickle uvloop prometheus-client llguidance xgrammar \
  orjson pybase64 starlette msgspec IPython docstring-parser typeguard > "$HERE/out/engine-deps.install" 2>&1 \
  || echo "pip install of the engines' imports failed" >> "$HERE/out/engine-deps.install"
"$VENV/bin/python" -c 'import torch, transformers, peft, accelerate; print("torch", torch.__version__, "transformers", transformers.__version__)'
