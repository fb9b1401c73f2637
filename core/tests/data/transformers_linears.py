"""Regenerates transformers_linears.json: what Hugging Face transformers builds for each config.

For every config in core/data/models/ and core/tests/data/models/, instantiates the causal-LM class
of transformers on the meta device (no weights, no download) and records the number of
nn.Parameter elements, the largest parameter tensor, and every nn.Linear / Conv1D grouped by
(leaf module name, in features, out features, bias) with its count. core/tests/suite/models.rs compares
ModelSpec::linears(), parameters() and largest_tensor() against this file.

    python -m venv /tmp/venv && /tmp/venv/bin/pip install torch transformers==4.57.6
    /tmp/venv/bin/python core/tests/data/transformers_linears.py > core/tests/data/transformers_linears.json

Gemma 3 and Llama 4 multimodal configs are built from their text_config (Gemma3ForCausalLM,
Llama4ForCausalLM): the vision tower is outside what trainfit describes.

transformers 4.57.6 can be installed beside another version's torch without its dependencies:

    pip install --no-deps --target /tmp/tf457 transformers==4.57.6 "huggingface_hub<1.0" \
        "tokenizers<0.23" requests urllib3 idna certifi charset_normalizer
    PYTHONPATH=/tmp/tf457 python core/tests/data/transformers_linears.py > core/tests/data/transformers_linears.json
"""

import glob
import json
import os
import sys
import warnings

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM
from transformers.pytorch_utils import Conv1D

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def describe(path):
    d = json.load(open(path))
    d.pop("_name_or_path", None)
    cfg = AutoConfig.for_model(**d)
    if d["model_type"] in ("gemma3", "llama4"):
        cfg = cfg.text_config
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    groups = {}
    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear):
            d_out, d_in = mod.weight.shape
        elif isinstance(mod, Conv1D):
            d_in, d_out = mod.weight.shape
        else:
            continue
        key = (name.split(".")[-1], d_in, d_out, mod.bias is not None)
        groups[key] = groups.get(key, 0) + 1
    params = list(model.parameters())
    return {
        "total": sum(p.numel() for p in params),
        "largest": max(p.numel() for p in params),
        "linears": sorted([list(k) + [n] for k, n in groups.items()]),
    }


def main():
    paths = sorted(glob.glob(os.path.join(ROOT, "data/models/*.json")))
    paths += sorted(glob.glob(os.path.join(ROOT, "tests/data/models/*.json")))
    out = {"transformers": transformers.__version__, "models": {}}
    for p in paths:
        stem = os.path.basename(p)[: -len(".json")]
        if stem == "published":
            continue
        out["models"][stem] = describe(p)
        print(stem, out["models"][stem]["total"], file=sys.stderr)
    lines = ['{"transformers": %s, "models": {' % json.dumps(out["transformers"])]
    items = list(out["models"].items())
    for i, (k, v) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        lines.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), sep))
    lines.append("}}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
