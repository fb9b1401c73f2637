#!/usr/bin/env python
"""What autograd saves per decoder layer, and everything live at the peak, for one case.

  python inventory.py CASE_ID [--out FILE]     # any id from cases.py (CASES, INVENTORY, VALIDATION)
  python inventory.py --all                    # every case in cases.INVENTORY -> inventory/<id>.txt

Runs the same measurement as measure.py (fake tensors, CUDA emulation, 512-byte rounding) with two
additions: torch.autograd.graph.saved_tensors_hooks records every tensor autograd saves during the
step-1 forward (identity pack: memory is unchanged), grouped by storage so that aliases count once;
and the tracker keeps, for every storage, the op and module that created it, and a copy of the live
set at the moment of the peak.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import measure  # noqa: E402
import cases as CASES_MOD  # noqa: E402

LAYER_RE = re.compile(r"(?:^|\.)(?:layers|h|layer|blocks)\.(\d+)(?:\.|$)")


def fmt_bytes(n):
    if n >= 2**30:
        return f"{n / 2**30:.3f} GiB"
    if n >= 2**20:
        return f"{n / 2**20:.2f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KiB"
    return f"{n} B"


class InventoryTracker(measure.StorageTracker):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.meta = {}  # storage key -> (shape, dtype, op, module, step, phase)
        self.module_stack = ["(top)"]
        self.cur_op = "(outside)"
        self.peak_live = []

    def register(self, t, cat):
        if isinstance(t, torch.Tensor) and self._countable(t):
            try:
                key = t.untyped_storage()._cdata
            except Exception:
                key = None
            if key is not None and key not in self.info:
                mod = self.module_stack[-1] if self.phase in ("forward", "prefill") else f"({self.phase})"
                self.meta[key] = (tuple(t.shape), str(t.dtype).replace("torch.", ""), self.cur_op, mod,
                                  self.step, self.phase)
        super().register(t, cat)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        rets = func._schema.returns
        if rets and any("Tensor" in str(r.type) for r in rets):
            self.cur_op = func.__name__
        return super().__torch_dispatch__(func, types, args, kwargs)

    def _after_op(self, name):
        before = self.peak
        super()._after_op(name)
        if self.peak != before:
            self.peak_live = [(k, e[0], e[1], self.meta.get(k)) for k, e in self.info.items()]


def run(case, out_path):
    names = {}
    saved = []  # (order, key, shape, dtype, bytes, op, module)
    seen_keys = {}
    state = {}

    def start(model, tracker):
        for n, m in model.named_modules():
            names[id(m)] = n or "(model)"

        def pre(mod, args):
            tracker.module_stack.append(names.get(id(mod), type(mod).__name__))

        def post(mod, args, out):
            if len(tracker.module_stack) > 1:
                tracker.module_stack.pop()

        state["h1"] = torch.nn.modules.module.register_module_forward_pre_hook(pre)
        state["h2"] = torch.nn.modules.module.register_module_forward_hook(post)

        def pack(t):
            if tracker.step == 1 and tracker.phase == "forward" and isinstance(t, torch.Tensor):
                try:
                    key = t.untyped_storage()._cdata
                except Exception:
                    return t
                e = tracker.info.get(key)
                nbytes = e[0] if e else 0
                cat = e[1] if e else "untracked"
                first = seen_keys.setdefault(key, len(saved))
                meta = tracker.meta.get(key)
                creator = meta[2] if meta else "(outside tracking)"
                saved.append((len(saved), key, tuple(t.shape), str(t.dtype).replace("torch.", ""), nbytes,
                              creator, tracker.module_stack[-1], cat, first))
            return t

        ctx = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        ctx.__enter__()
        state["ctx"] = ctx
        state["tracker"] = tracker

    def before_backward(model, tracker, loss, step):
        if step != 1:
            return
        savers = collections.defaultdict(set)
        seen, stack = set(), [loss.grad_fn]
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            for attr in dir(node):
                if not attr.startswith("_saved_"):
                    continue
                try:
                    val = getattr(node, attr)
                except Exception:
                    continue
                vals = val if isinstance(val, (list, tuple)) else [val]
                for v in vals:
                    if isinstance(v, torch.Tensor):
                        try:
                            savers[v.untyped_storage()._cdata].add(node.name())
                        except Exception:
                            pass
            stack.extend(fn for fn, _ in node.next_functions)
        state["savers"] = savers

    def end(model, tracker, res):
        state["ctx"].__exit__(None, None, None)
        state["h1"].remove()
        state["h2"].remove()
        state["res"] = res

    hooks = {"start": start, "end": end, "before_backward": before_backward}
    orig = measure.StorageTracker
    measure.StorageTracker = InventoryTracker
    try:
        measure.measure_case(case, hooks=hooks)
    finally:
        measure.StorageTracker = orig
    tracker, res = state["tracker"], state["res"]
    text = render(case, tracker, res, saved, state.get("savers", {}))
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        f.write(text)
    return text


def layer_of(module):
    m = LAYER_RE.search(module)
    return int(m.group(1)) if m else None


def rel_module(module):
    m = LAYER_RE.search(module)
    if not m:
        return module
    return "L." + module[m.end():] if m.end() < len(module) else "L"


def render(case, tracker, res, saved, savers):
    req = case["request"]
    cfg = measure.load_config(case)
    lines = []
    w = lines.append
    w(f"# Inventory: {case['id']}")
    w("")
    w("request: " + ", ".join(f"{k}={v}" for k, v in req.items() if k != "model"))
    keys = ("hidden_size", "n_embd", "num_hidden_layers", "n_layer", "num_attention_heads", "n_head",
            "num_key_value_heads", "head_dim", "intermediate_size", "vocab_size", "tie_word_embeddings")
    w("config: " + ", ".join(f"{k}={cfg[k]}" for k in keys if k in cfg))
    w(f"peak: {res['peak_bytes']} B ({fmt_bytes(res['peak_bytes'])}) in step {res['peak_step']} "
      f"{res['peak_phase']}, after aten op {res['peak_op']}")
    w("at peak: " + ", ".join(f"{k}={v}" for k, v in res["at_peak"].items()))
    w(f"phase peaks: {res['phase_peaks']}")
    w(f"persistent: {res['persistent']}")
    w(f"sdpa backends (calls, incl. recomputation): {res['sdpa_backends']}")
    w("Bytes are per storage, rounded up to 512 B (CUDA allocator block). 'L.' = relative to the decoder layer.")
    w("")

    if req["task"] != "prefill":
        w("## 1. Saved for backward (step-1 forward), grouped by storage")
        w("")
        w("An entry whose storage was already saved earlier is an alias (0 new bytes). 'param' entries are")
        w("weights (not activation memory). 'created by' is the aten op that allocated the storage; 'saved by'")
        w("lists the autograd nodes holding that storage; 'module' is the innermost module running when saved.")
        w("")
        per_layer = collections.defaultdict(int)
        per_layer_params = collections.defaultdict(int)
        outside = []
        layer0 = []
        for idx, key, shape, dtype, nbytes, op, module, cat, first in saved:
            lay = layer_of(module)
            alias = first != idx
            new = 0 if alias or cat in ("parameters", "buffers") else nbytes
            if lay is None:
                outside.append((idx, key, shape, dtype, nbytes, op, module, cat, first, new))
            else:
                per_layer[lay] += new
                if cat in ("parameters",) and not alias:
                    per_layer_params[lay] += nbytes
                if lay == 0:
                    layer0.append((idx, key, shape, dtype, nbytes, op, module, cat, first, new))
        if layer0:
            w("### Decoder layer 0 (all layers are alike)")
            w("")
            w(f"{'#':>4}  {'created by':<34} {'module':<30} {'shape':<22} {'dtype':<9} {'bytes':>11}  "
              f"{'note':<13} saved by")
            for idx, key, shape, dtype, nbytes, op, module, cat, first, new in layer0:
                note = "param" if cat == "parameters" else ("alias of #%d" % first if first != idx else "")
                if cat not in ("parameters", "activations") and first == idx:
                    note = cat
                sv = ",".join(sorted(savers.get(key, ()))) if first == idx else ""
                w(f"{idx:>4}  {op:<34} {rel_module(module):<30} {str(list(shape)):<22} {dtype:<9} "
                  f"{new:>11}  {note:<13} {sv}")
            w("")
            w(f"new activation bytes saved by layer 0: {per_layer[0]} ({fmt_bytes(per_layer[0])})")
            w("")
        if per_layer:
            w("### Unique saved activation bytes per layer")
            w("")
            w("  " + ", ".join(f"L{k}={v}" for k, v in sorted(per_layer.items())))
            w(f"  total over layers: {sum(per_layer.values())} ({fmt_bytes(sum(per_layer.values()))})")
            w("")
        w("### Saved outside the decoder layers (embeddings, final norm, head, loss)")
        w("")
        w(f"{'#':>4}  {'created by':<34} {'module':<30} {'shape':<22} {'dtype':<9} {'bytes':>11}  "
          f"{'note':<13} saved by")
        tot = 0
        for idx, key, shape, dtype, nbytes, op, module, cat, first, new in outside:
            note = "param" if cat == "parameters" else ("alias of #%d" % first if first != idx else "")
            if cat not in ("parameters", "activations") and first == idx:
                note = cat
            tot += new
            sv = ",".join(sorted(savers.get(key, ()))) if first == idx else ""
            w(f"{idx:>4}  {op:<34} {module:<30} {str(list(shape)):<22} {dtype:<9} {new:>11}  {note:<13} {sv}")
        w(f"new bytes saved outside the layers: {tot} ({fmt_bytes(tot)})")
        w("")

    w("## 2. Everything live at the peak moment")
    w("")
    w("Grouped by (category, creating op, module with the layer index replaced by *, shape, dtype).")
    w("Tensors created in backward / optimizer carry the phase instead of a module.")
    w("")
    groups = collections.defaultdict(lambda: [0, 0])
    by_cat = collections.defaultdict(int)
    for key, nbytes, cat, meta in tracker.peak_live:
        shape, dtype, op, module, step, phase = meta or ((), "?", "?", "(before tracking)", 0, "?")
        if cat in ("parameters", "buffers"):
            op, module = "-", "(model)"
        mod = LAYER_RE.sub(lambda m: m.group(0).replace(m.group(1), "*"), module)
        g = groups[(cat, op, mod, shape, dtype)]
        g[0] += 1
        g[1] += nbytes
        by_cat[cat] += nbytes
    for cat in measure.CATEGORIES:
        if not by_cat.get(cat):
            continue
        w(f"### {cat}: {by_cat[cat]} ({fmt_bytes(by_cat[cat])})")
        rows = sorted(((k, v) for k, v in groups.items() if k[0] == cat), key=lambda kv: -kv[1][1])
        if cat in ("parameters", "buffers", "gradients", "optimizer_states"):
            # aggregate by shape/dtype only: these follow the parameter list
            agg = collections.defaultdict(lambda: [0, 0])
            for (c, op, mod, shape, dtype), (n, b) in rows:
                a = agg[(shape, dtype)]
                a[0] += n
                a[1] += b
            for (shape, dtype), (n, b) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
                w(f"  {n:>5} x {str(list(shape)):<26} {dtype:<9} {b:>14}")
        else:
            for (c, op, mod, shape, dtype), (n, b) in rows:
                w(f"  {n:>5} x {op:<38} {mod:<44} {str(list(shape)):<24} {dtype:<9} {b:>14}")
        w("")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case_id", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--all", action="store_true", help="every case in cases.INVENTORY -> inventory/")
    args = ap.parse_args()
    if args.all:
        for c in CASES_MOD.INVENTORY:
            out = os.path.join(HERE, "inventory", f"{c['id']}.txt")
            run(c, out)
            print("wrote", out)
        return 0
    if not args.case_id:
        ap.error("give a CASE_ID or --all")
    case = CASES_MOD.by_id(args.case_id)
    out = args.out or os.path.join(HERE, "inventory", f"{case['id']}.txt")
    text = run(case, out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
