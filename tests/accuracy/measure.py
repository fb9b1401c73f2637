#!/usr/bin/env python
"""Ground-truth peak memory of HF training / prefill steps, measured without a GPU.

The model runs for real (HF modeling code, autograd, the optimizer) under torch's FakeTensorMode.
A TorchDispatchMode (StorageTracker) sees every aten op, registers every new tensor storage and
drops it when the storage is freed, and keeps the maximum of live bytes after every op. CudaEmulation
(a TorchFunctionMode) replaces the few places where a CPU code path allocates differently from
CUDA (sm80+). See README.md for the method and its limits.

  python measure.py                      # all cases -> measured.json
  python measure.py --cases 'llama-3-8b*' # a subset (fnmatch on the id), merged into measured.json
  python measure.py --validate           # fake vs real CPU tensors -> validation.json
  python measure.py --cuda               # on a CUDA machine: real runs -> out/cuda.json
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import fnmatch
import gc
import json
import math
import os
import re
import sys
import tempfile
import time
import weakref

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode  # noqa: E402
from torch.distributed.tensor import DTensor  # noqa: E402
from torch.utils._pytree import tree_flatten  # noqa: E402

import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases as CASES_MOD  # noqa: E402

CATEGORIES = ("parameters", "buffers", "gradients", "activations", "temporaries", "optimizer_states", "inputs")
CUDA_BLOCK = 512  # the CUDA caching allocator rounds every block up to 512 bytes
HALF = (torch.float16, torch.bfloat16)


# ----------------------------------------------------------------------------------------------
# Storage accounting
# ----------------------------------------------------------------------------------------------
class StorageTracker(TorchDispatchMode):
    """Live bytes per storage, by category, after every aten op.

    A storage is counted once however many tensors (views) use it. It gets a category when it first
    appears: the phase's default (forward -> activations, backward / optimizer -> temporaries); it is
    relabelled "gradients" when autograd stores it in a .grad, and "optimizer_states" when it is found
    in optimizer.state. Freed storages are dropped through a weakref callback on the storage object.
    """

    def __init__(self, round_to: int = CUDA_BLOCK, emulate: bool = True):
        super().__init__()
        self.round_to = round_to
        self.emulate = emulate
        self.info: dict[int, list] = {}  # storage key -> [bytes, category]
        self.refs: dict[int, weakref.ref] = {}
        self.cur = dict.fromkeys(CATEGORIES, 0)
        self.total = 0
        self.peak = 0
        self.peak_at: dict = {}
        self.peak_where: tuple = ()
        self.step = 0
        self.phase = "setup"
        self.default_cat = "activations"
        self.phase_peaks: dict[str, dict[str, int]] = {}
        self.phase_start: dict[str, dict[str, int]] = {}
        self.optimizer = None
        self.sharded_params: list = []
        self.fake_mode = None
        self.paused = 0
        self.last_op = ""
        self.n_ops = 0

    # -- registration --
    def _bytes(self, st) -> int:
        n = st.nbytes()
        if self.round_to > 1:
            n = -(-n // self.round_to) * self.round_to
        return n

    def _countable(self, t: torch.Tensor) -> bool:
        t = _local(t)
        if t.device.type == "meta":  # e.g. flash attention's philox seed/offset placeholders
            return False
        if isinstance(t, FakeTensor) and self.fake_mode is not None and t.fake_mode is not self.fake_mode:
            return False  # DTensor's sharding propagation runs ops in a fake mode of its own
        if self.emulate:
            if not isinstance(t, FakeTensor):
                return False  # a real CPU tensor (RNG state kept by checkpointing): host memory on CUDA
            # Python scalars turned into 0-dim tensors (optimizer step counters): CPU tensors on CUDA runs.
            if t.dim() == 0 and getattr(t, "constant", None) is not None:
                return False
        return True

    def register(self, t: torch.Tensor, cat: str) -> None:
        t = _local(t)
        if not isinstance(t, torch.Tensor) or t.is_sparse or not self._countable(t):
            return
        try:
            st = t.untyped_storage()
        except Exception:
            return
        if st._cdata in self.info:
            return
        self._add(st, self._bytes(st), cat)

    def _add(self, st, n: int, cat: str) -> None:
        key = st._cdata
        self.info[key] = [n, cat]
        self.cur[cat] += n
        self.total += n

        def _free(_ref, key=key, self_ref=weakref.ref(self)):
            tr = self_ref()
            if tr is None:
                return
            e = tr.info.pop(key, None)
            tr.refs.pop(key, None)
            if e is not None:
                tr.cur[e[1]] -= e[0]
                tr.total -= e[0]

        self.refs[key] = weakref.ref(st, _free)

    @contextlib.contextmanager
    def tracking_resize(self):
        """FSDP frees and re-allocates its unsharded parameters with `UntypedStorage.resize_`, which
        is not an aten op: the storage object lives on, its bytes come and go."""
        orig = torch.UntypedStorage.resize_
        tracker = self

        def resize_(st, size):
            out = orig(st, size)
            if tracker.paused or not isinstance(st, torch.UntypedStorage):
                return out
            n = tracker._bytes(st)
            e = tracker.info.get(st._cdata)
            if e is None:
                if n:
                    tracker._add(st, n, tracker.default_cat)
            else:
                tracker.cur[e[1]] += n - e[0]
                tracker.total += n - e[0]
                e[0] = n
            tracker._after_op("resize_")
            return out

        torch.UntypedStorage.resize_ = resize_
        try:
            yield
        finally:
            torch.UntypedStorage.resize_ = orig

    def relabel(self, t: torch.Tensor | None, cat: str) -> None:
        t = _local(t)
        if t is None or not isinstance(t, torch.Tensor) or not self._countable(t):
            return
        key = t.untyped_storage()._cdata
        e = self.info.get(key)
        if e is None:
            self.register(t, cat)
            return
        if e[1] != cat:
            self.cur[e[1]] -= e[0]
            self.cur[cat] += e[0]
            e[1] = cat

    def relabel_optimizer_states(self) -> None:
        for p in self.sharded_params:  # FSDP assigns sharded gradients itself: no autograd hook fires
            self.relabel(p.grad, "gradients")
        if self.optimizer is None:
            return
        for st in self.optimizer.state.values():
            for v in st.values():
                if isinstance(v, torch.Tensor):
                    self.relabel(v, "optimizer_states")

    def start_peak(self) -> None:
        """Forgets the peak so far: what follows is measured on its own (decoding after a prefill)."""
        self.peak, self.peak_at, self.peak_where = 0, {}, (0, "", "", 0)

    # -- phases --
    def set_phase(self, step: int, phase: str) -> None:
        if self.phase == "optimizer_step":
            self.relabel_optimizer_states()
        self.step, self.phase = step, phase
        self.default_cat = "activations" if phase in ("forward", "prefill", "decode") else "temporaries"
        key = f"step{step}" if step else "run"
        pp = self.phase_peaks.setdefault(key, {})
        pp[phase] = max(pp.get(phase, 0), self.total)  # a phase entered again (accumulation) keeps its max
        self.phase_start.setdefault(key, {}).setdefault(phase, self.total)

    def _after_op(self, name: str) -> None:
        key = f"step{self.step}" if self.step else "run"
        pp = self.phase_peaks.setdefault(key, {})
        if self.total > pp.get(self.phase, -1):
            pp[self.phase] = self.total
        if self.total > self.peak:
            if self.phase == "optimizer_step":
                self.relabel_optimizer_states()
            self.peak = self.total
            self.peak_at = dict(self.cur)
            self.peak_where = (self.step, self.phase, name, self.n_ops)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        # Modes run before tensor subclasses: NotImplemented lets a DTensor op desugar into the
        # ops on its local shards (collectives and temporaries included), which come back here.
        if any(t is DTensor for t in types):
            return NotImplemented
        if func is torch.ops._c10d_functional.wait_tensor.default:
            # The fake kernel of wait_tensor returns a new tensor; eager returns its input.
            return args[0]
        out = func(*args, **(kwargs or {}))
        if self.paused:
            return out  # DTensor working out output shapes on whole-tensor stand-ins: nothing allocated
        if isinstance(out, torch.Tensor):
            self.register(out, self.default_cat)
        elif isinstance(out, (tuple, list)):
            flat, _ = tree_flatten(out)
            tensors = [t for t in flat if isinstance(t, torch.Tensor)]
            if not tensors:
                return out
            for t in tensors:
                self.register(t, self.default_cat)
        else:
            return out  # no tensor output (e.g. prim.device, sym sizes): nothing allocated
        self.n_ops += 1
        self._after_op(func.__name__)
        return out


def _local(t):
    """A DTensor's storage is its local shard: that is what the rank holds."""
    return t._local_tensor if isinstance(t, DTensor) else t


# ----------------------------------------------------------------------------------------------
# Sharded and tensor-parallel training: one rank of a fake process group
# ----------------------------------------------------------------------------------------------
SHARDING = {"fsdp_full_shard": True, "fsdp_shard_grad_op": False}  # -> reshard_after_forward


def _degrees(req):
    par = req.get("parallel", {})
    return par.get("data", 1), par.get("tensor", 1), par.get("sharding", "none")


@contextlib.contextmanager
def fake_process_group(req):
    """Rank 0 of a world of data x tensor ranks whose collectives return at once with the right
    shapes (torch's `fake` backend). The mesh is made before FakeTensorMode is entered."""
    dp, tp, sharding = _degrees(req)
    if dp * tp == 1:
        yield None
        return
    if dp > 1 and sharding not in SHARDING:
        raise ValueError(f"data parallel {dp} needs sharding fsdp_full_shard or fsdp_shard_grad_op here")
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.testing._internal.distributed.fake_pg import FakeStore
    dist.init_process_group("fake", rank=0, world_size=dp * tp, store=FakeStore())
    try:
        yield init_device_mesh("cpu", (dp, tp), mesh_dim_names=("dp", "tp"))
    finally:
        dist.destroy_process_group()


def _decoder_layers(model):
    """The modules the HF Trainer's FSDP auto-wrap policy wraps: the model's `_no_split_modules`."""
    names = set(getattr(model, "_no_split_modules", None) or [])
    base = getattr(model, "get_base_model", lambda: model)()
    names |= set(getattr(base, "_no_split_modules", None) or [])
    return [m for m in model.modules() if type(m).__name__ in names]


def distribute(model, req, mesh):
    """Tensor parallel as torchtitan applies it to Llama (torch.distributed.tensor.parallel): the
    config's `base_model_tp_plan` (q/k/v and gate/up column-wise, o and down row-wise), the
    embedding split by vocabulary rows, the head by vocabulary columns with its logits left sharded
    for `loss_parallel`; then FSDP2 `fully_shard` on every decoder layer and on the root, as the
    Trainer (accelerate, `fsdp_version: 2`, transformer auto-wrap) does."""
    if mesh is None:
        return model
    dp, tp, sharding = _degrees(req)
    if tp > 1:
        from torch.distributed.tensor import Replicate, Shard
        from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module
        styles = {"colwise": ColwiseParallel, "rowwise": RowwiseParallel}
        plan = model.config.base_model_tp_plan or {}
        layer_plan = {}
        for key, style in plan.items():
            if not key.startswith("layers.*.") or style not in styles:
                raise ValueError(f"tensor-parallel plan entry {key}: {style} is not measured here")
            layer_plan[key[len("layers.*."):]] = styles[style]()
        for layer in _decoder_layers(model):
            parallelize_module(layer, mesh["tp"], layer_plan)
        parallelize_module(model.get_input_embeddings(), mesh["tp"], RowwiseParallel(input_layouts=Replicate()))
        parallelize_module(model.get_output_embeddings(), mesh["tp"],
                           ColwiseParallel(output_layouts=Shard(-1), use_local_output=False))
    if dp > 1:
        from torch.distributed.fsdp import fully_shard
        reshard = SHARDING[sharding]
        with _real_mesh_concatenation():
            for layer in _decoder_layers(model):
                fully_shard(layer, mesh=mesh["dp"], reshard_after_forward=reshard)
            fully_shard(model, mesh=mesh["dp"], reshard_after_forward=reshard)
    return model


@contextlib.contextmanager
def _untracked_sharding_propagation(tracker):
    """DTensor computes output metadata by running the op on whole-tensor fake stand-ins, in the
    active fake mode when there is one (ours) and in a fresh one otherwise: no memory on a real run."""
    from torch.distributed.tensor._sharding_prop import ShardingPropagator
    orig = ShardingPropagator._propagate_tensor_meta_non_cached

    def wrapped(self, *args, **kwargs):
        tracker.paused += 1
        try:
            return orig(self, *args, **kwargs)
        finally:
            tracker.paused -= 1

    ShardingPropagator._propagate_tensor_meta_non_cached = wrapped
    try:
        yield
    finally:
        ShardingPropagator._propagate_tensor_meta_non_cached = orig


@contextlib.contextmanager
def _real_mesh_concatenation():
    """FSDP over a tensor-parallel model joins the two meshes (`DeviceMesh._concatenate`), which
    computes the joined rank table and this rank's coordinates (`nonzero()`) from the real rank
    table: under FakeTensorMode those become fake and `nonzero` has no answer. The join runs with
    the fake mode lifted, as it runs on a real job; no model tensor is touched there."""
    from torch.distributed.device_mesh import DeviceMesh
    from torch._subclasses.fake_tensor import unset_fake_temporarily
    orig = DeviceMesh.__dict__["_concatenate"]

    def concatenate(device_mesh_list):
        with unset_fake_temporarily():
            return orig.__func__(device_mesh_list)

    DeviceMesh._concatenate = staticmethod(concatenate)
    try:
        yield
    finally:
        DeviceMesh._concatenate = orig


def _loss_context(req):
    if _degrees(req)[1] > 1:
        from torch.distributed.tensor.parallel import loss_parallel
        return loss_parallel()
    return contextlib.nullcontext()


# ----------------------------------------------------------------------------------------------
# CUDA (sm80+) emulation on CPU fake tensors
# ----------------------------------------------------------------------------------------------
def _fns(*names):
    out = set()
    for n in names:
        mod, _, attr = n.rpartition(".")
        obj = {"torch": torch, "F": F, "Tensor": torch.Tensor}[mod]
        f = getattr(obj, attr, None)
        if f is not None:
            out.add(f)
    return out


# CUDA autocast "fp32" policy: inputs cast to float32 (CPU autocast has no such rule for these ops).
_FP32_UNARY = ["pow", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal", "rsqrt", "acos", "asin",
               "cosh", "sinh", "tan", "erfinv"]
FP32_POLICY = _fns(*[f"torch.{n}" for n in _FP32_UNARY], *[f"Tensor.{n}" for n in _FP32_UNARY],
                   "Tensor.__pow__", "Tensor.__rpow__", "Tensor.__rtruediv__", "Tensor.__rdiv__",
                   "F.softplus", "F.layer_norm", "torch.layer_norm", "F.group_norm", "torch.group_norm",
                   "F.cosine_similarity", "torch.cosine_similarity", "F.normalize", "torch.dist", "torch.cdist",
                   "torch.renorm", "F.nll_loss", "F.cross_entropy", "F.mse_loss", "F.l1_loss", "F.smooth_l1_loss",
                   "F.huber_loss", "F.kl_div", "F.binary_cross_entropy_with_logits", "F.poisson_nll_loss",
                   "F.margin_ranking_loss", "F.soft_margin_loss", "F.multilabel_margin_loss", "F.multi_margin_loss",
                   "F.hinge_embedding_loss", "F.cosine_embedding_loss", "F.triplet_margin_loss", "torch.norm",
                   "Tensor.norm", "torch.logsumexp", "Tensor.logsumexp")
# CUDA autocast "fp32_set_opt_dtype": dtype=float32 is passed when the caller gave none.
FP32_OPT_DTYPE = _fns("torch.sum", "Tensor.sum", "torch.prod", "Tensor.prod", "torch.cumsum", "Tensor.cumsum",
                      "torch.cumprod", "Tensor.cumprod", "F.softmin")
SOFTMAX = _fns("F.softmax", "torch.softmax", "Tensor.softmax")
LOG_SOFTMAX = _fns("F.log_softmax", "torch.log_softmax", "Tensor.log_softmax")
DROPOUT = _fns("F.dropout", "torch.dropout")
SDPA = {F.scaled_dot_product_attention}


def _autocast_dtype():
    if torch.is_autocast_enabled("cpu"):
        return torch.get_autocast_dtype("cpu")
    return None


def _map_tensors(fn, obj):
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(fn, o) for o in obj)
    return obj


def _first_tensor(args):
    for a in args:
        if isinstance(a, torch.Tensor):
            return a
    return None


class CudaEmulation(TorchFunctionMode):
    """What a CUDA run does differently from the CPU paths, at the Python API level.

    * SDPA: the backend an sm80/sm90 GPU picks, called through the explicit aten op
      (flash / mem-efficient / math), incl. the bool-mask conversion SDPA does before them;
    * dropout: the fused kernel (native_dropout, bool mask) instead of the CPU path;
    * softmax / log_softmax(fp16, dtype=float32): CUDA's half_to_float kernel (no input copy);
    * autocast: CUDA's fp32 and fp32_set_opt_dtype policies, missing from CPU autocast.
    """

    def __init__(self, sdpa_calls: dict | None = None):
        super().__init__()
        self.sdpa_calls: dict[str, int] = {} if sdpa_calls is None else sdpa_calls

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in SDPA:
            return self._sdpa(*args, **kwargs)
        if func in DROPOUT:
            return self._dropout(func, args, kwargs)
        if func in SOFTMAX or func in LOG_SOFTMAX:
            return self._softmax(func, args, kwargs)
        ac = _autocast_dtype()
        if ac is not None:
            if func in FP32_POLICY:
                def up(t):
                    return t.float() if t.is_floating_point() and t.dtype in HALF else t
                args = _map_tensors(up, tuple(args))
                kwargs = {k: _map_tensors(up, v) for k, v in kwargs.items()}
            elif func in FP32_OPT_DTYPE and kwargs.get("dtype") is None:
                t = _first_tensor(args)
                if t is not None and t.dtype in HALF:
                    kwargs["dtype"] = torch.float32
        return func(*args, **kwargs)

    # -- softmax --
    def _softmax(self, func, args, kwargs):
        args = list(args)
        x = args[0]
        dim = args[1] if len(args) > 1 else kwargs.get("dim")
        dtype = kwargs.get("dtype")
        if dtype is None and len(args) > 3 and func in _fns("F.softmax", "F.log_softmax"):
            dtype = args[3]
        if dtype is None and len(args) > 2 and func not in _fns("F.softmax", "F.log_softmax"):
            dtype = args[2] if isinstance(args[2], torch.dtype) else None
        if dtype is None and _autocast_dtype() is not None and x.dtype in HALF:
            dtype = torch.float32  # CUDA autocast fp32_set_opt_dtype
        if dim is None:
            return func(*args, **kwargs)
        if dtype == torch.float32 and x.dtype == torch.float16:
            op = torch.ops.aten._softmax if func in SOFTMAX else torch.ops.aten._log_softmax
            return op(x, dim, True)  # half_to_float: no fp32 copy of the input
        if dtype is not None and dtype != x.dtype:
            x = x.to(dtype)  # what aten::softmax(input, dim, dtype) does for bf16 on CUDA too
        op = torch.ops.aten._softmax if func in SOFTMAX else torch.ops.aten._log_softmax
        return op(x, dim, False)

    # -- dropout --
    def _dropout(self, func, args, kwargs):
        names = ("input", "p", "training", "inplace") if func is F.dropout else ("input", "p", "train")
        a = dict(zip(names, args))
        a.update(kwargs)
        x = a["input"]
        p = a.get("p", 0.5)
        train = a.get("training", a.get("train", True))
        if not train or p == 0 or x.numel() == 0:
            return x
        if p == 1:
            return func(*args, **kwargs)
        out, _mask = torch.native_dropout(x, p, True)  # fused CUDA kernel: bool mask saved
        if a.get("inplace"):
            with torch.no_grad():
                x.copy_(out)
            return x
        return out

    # -- scaled_dot_product_attention --
    def _sdpa(self, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
              enable_gqa=False):
        ac = _autocast_dtype()
        if ac is not None:  # SDPA is on the lower-precision autocast list
            def down(t):
                return t.to(ac) if t is not None and t.is_floating_point() and t.dtype != ac else t
            query, key, value = down(query), down(key), down(value)
            if attn_mask is not None and attn_mask.dtype != torch.bool:
                attn_mask = down(attn_mask)
        q, k, v = query, key, value
        hd = q.size(-1)
        same_heads = q.size(-3) == k.size(-3) == v.size(-3)
        dense4 = q.dim() == 4 and k.dim() == 4 and v.dim() == 4
        align = 16 // q.element_size()
        if (dense4 and q.dtype in HALF and attn_mask is None and hd <= 256 and k.size(-1) == hd == v.size(-1)
                and (same_heads or enable_gqa)):
            backend = "flash"
        elif dense4 and same_heads and q.dtype in (torch.float32, *HALF) and hd % align == 0 \
                and k.size(-1) == hd:
            backend = "efficient"
        else:
            backend = "math"
        self.sdpa_calls[backend] = self.sdpa_calls.get(backend, 0) + 1
        if attn_mask is not None and attn_mask.dtype == torch.bool:
            # aten::scaled_dot_product_attention converts a bool mask before any non-cuDNN backend
            attn_mask = torch.where(attn_mask, 0.0, torch.scalar_tensor(-math.inf, dtype=q.dtype, device=q.device))
        if backend == "flash":
            return torch.ops.aten._scaled_dot_product_flash_attention(
                q, k, v, dropout_p, is_causal, False, scale=scale)[0]
        if backend == "efficient":
            if attn_mask is not None:
                attn_mask = attn_mask.expand(q.size(0), q.size(1), q.size(2), k.size(2))
            lse = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
            return torch.ops.aten._scaled_dot_product_efficient_attention(
                q, k, v, attn_mask, lse, dropout_p, is_causal, scale=scale)[0]
        return torch.ops.aten._scaled_dot_product_attention_math(
            q, k, v, attn_mask, dropout_p, is_causal, None, scale=scale, enable_gqa=enable_gqa)[0]


_ACTIVE_EMULATION: list = []


def _checkpoint_contexts():
    if _ACTIVE_EMULATION:
        return contextlib.nullcontext(), CudaEmulation(_ACTIVE_EMULATION[-1].sdpa_calls)
    return contextlib.nullcontext(), contextlib.nullcontext()


# ----------------------------------------------------------------------------------------------
# transformers patches (fake tensors must not look like tracing)
# ----------------------------------------------------------------------------------------------
_PATCHED = False


def patch_transformers() -> None:
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    from transformers.utils import import_utils
    import transformers.masking_utils as mu

    # is_tracing(fake) would keep a materialised causal mask and turn GQA-in-SDPA off.
    import_utils.is_fake_tensor = lambda x: False

    orig = mu.find_packed_sequence_indices

    def find_packed_sequence_indices(position_ids):
        # Same tensors as the original; its `.all()` is data-dependent. For unpacked inputs
        # (ours: one sequence per row) the real answer is None.
        first = position_ids[:, :1] - 1
        diff = torch.diff(position_ids, prepend=first, dim=-1)
        _ = (diff != 1).cumsum(-1)
        return None

    find_packed_sequence_indices.__wrapped__ = orig
    mu.find_packed_sequence_indices = find_packed_sequence_indices


# ----------------------------------------------------------------------------------------------
# Model / optimizer construction
# ----------------------------------------------------------------------------------------------
INFERENCE = ("prefill", "decode")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16,
          "amp_bf16": torch.float32, "amp_fp16": torch.float32}
AMP = {"amp_bf16": torch.bfloat16, "amp_fp16": torch.float16}


def load_config(case):
    path = os.path.join(HERE, case["request"]["model"]["hf_config_file"])
    with open(path) as f:
        d = json.load(f)
    d.pop("_name_or_path", None)
    return d


def build_model(case, device="cpu"):
    req = case["request"]
    cfg_dict = load_config(case)
    model_type = cfg_dict["model_type"]
    cfg = AutoConfig.for_model(model_type, **{k: v for k, v in cfg_dict.items() if k != "model_type"})
    dtype = DTYPES[req["precision"]]
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype, attn_implementation=req["attention"])
    if req["task"] not in INFERENCE:
        model.config.use_cache = False  # the Trainer sets config.use_cache = args.use_cache (False)
        if req["checkpointing"] == "full":
            # use_reentrant=False is the transformers default. context_fn re-enters the CUDA emulation for
            # the recomputation: torch-function modes are not active inside the autograd engine's backward.
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={
                "use_reentrant": False, "context_fn": _checkpoint_contexts})
    if req["task"] == "lora":
        from peft import LoraConfig, get_peft_model
        lc = req["lora"]
        with _fake_safe_module_apply():
            model = get_peft_model(model, LoraConfig(r=lc["rank"], lora_alpha=lc["alpha"],
                                                     target_modules=lc["targets"], lora_dropout=0.0, bias="none",
                                                     task_type="CAUSAL_LM"))
    return model


@contextlib.contextmanager
def _fake_safe_module_apply():
    """nn.Module._apply always swaps FakeTensor parameters (torch.utils.swap_tensors), which fails
    because fake tensors carry a weakref. peft moves/casts its new adapter modules with .to(); here
    the converted tensor simply replaces the parameter (the adapters are not referenced elsewhere yet)."""
    orig = torch.nn.Module._apply

    def _apply(self, fn, recurse=True):
        if not any(isinstance(p, FakeTensor) for p in self.parameters()):
            return orig(self, fn, recurse)
        if recurse:
            for m in self.children():
                m._apply(fn)
        for k, p in self._parameters.items():
            if p is None:
                continue
            with torch.no_grad():
                new = fn(p)
            if new is not p:
                self._parameters[k] = torch.nn.Parameter(new, requires_grad=p.requires_grad)
        for k, b in self._buffers.items():
            if b is not None:
                self._buffers[k] = fn(b)
        return self

    torch.nn.Module._apply = _apply
    try:
        yield
    finally:
        torch.nn.Module._apply = orig


def param_groups(model, weight_decay):
    """Two groups as the HF Trainer makes them: no weight decay for biases and norm weights."""
    pat = re.compile(r"bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)")
    no_decay = set()
    for mname, mod in model.named_modules():
        for pname, _ in mod.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            if isinstance(mod, torch.nn.LayerNorm) or pat.search(full.lower()):
                no_decay.add(full)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and n not in no_decay]
    nodecay = [p for n, p in model.named_parameters() if p.requires_grad and n in no_decay]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": nodecay, "weight_decay": 0.0}]
    # torch.optim's foreach kernels refuse a group that mixes DTensors (tensor-parallel weights and
    # biases) with plain tensors (the replicated norms): such a group is split in two.
    split = []
    for g in groups:
        for dt in (True, False):
            ps = [p for p in g["params"] if isinstance(p, DTensor) == dt]
            if ps:
                split.append({**g, "params": ps})
    return split


def build_optimizer(case, model):
    opt = case["request"]["optimizer"]
    if opt == "adamw":
        return torch.optim.AdamW(param_groups(model, 0.01), lr=1e-4, weight_decay=0.01, foreach=True)
    if opt == "sgd":
        return torch.optim.SGD(param_groups(model, 0.0), lr=1e-3, foreach=True)
    if opt == "sgd_momentum":
        return torch.optim.SGD(param_groups(model, 0.0), lr=1e-3, momentum=0.9, foreach=True)
    if opt == "adafactor":
        from transformers.optimization import Adafactor
        return Adafactor(param_groups(model, 0.0), lr=1e-3, relative_step=False, scale_parameter=False,
                         warmup_init=False)
    raise ValueError(f"optimizer {opt} is not measured by this suite")


def vocab_size(model):
    return model.get_input_embeddings().weight.shape[0]


# ----------------------------------------------------------------------------------------------
# One measurement
# ----------------------------------------------------------------------------------------------
def _sum_bytes(tensors, round_to):
    seen, total = set(), 0
    for t in tensors:
        if t is None:
            continue
        st = _local(t).untyped_storage()
        if st._cdata in seen:
            continue
        seen.add(st._cdata)
        n = st.nbytes()
        total += -(-n // round_to) * round_to if round_to > 1 else n
    return total


def measure_case(case, fake=True, emulate=True, round_to=CUDA_BLOCK, hooks=None):
    """Runs the case and returns the "measured" dict. hooks: optional callables for inventory.py."""
    with fake_process_group(case["request"]) as mesh:
        return _measure_case(case, mesh, fake, emulate, round_to, hooks)


def _measure_case(case, mesh, fake, emulate, round_to, hooks):
    patch_transformers()
    req = case["request"]
    torch.manual_seed(0)
    # A 2-D mesh's DTensor ops index real (CPU) int tensors of the mesh's coordinates.
    fm = FakeTensorMode(allow_non_fake_inputs=mesh is not None) if fake else contextlib.nullcontext()
    t0 = time.time()
    with fm:
        model = distribute(build_model(case), req, mesh)
        b, s = req["micro_batch"], req["sequence"]
        ids = torch.randint(0, vocab_size(model), (b, s))
        opt = build_optimizer(case, model) if req["task"] not in INFERENCE else None

    tracker = StorageTracker(round_to=round_to, emulate=emulate)
    tracker.optimizer = opt
    tracker.fake_mode = fm if fake else None
    for p in model.parameters():
        tracker.register(p, "parameters")
    for buf in model.buffers():
        tracker.register(buf, "buffers")
    tracker.register(ids, "inputs")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if _degrees(req)[0] > 1:
        tracker.sharded_params = trainable
    handles = [p.register_post_accumulate_grad_hook(lambda p: tracker.relabel(p.grad, "gradients"))
               for p in trainable] if req["task"] not in INFERENCE else []
    emu = CudaEmulation() if emulate else contextlib.nullcontext()
    amp_dtype = AMP.get(req["precision"])
    amp = (lambda: torch.autocast("cpu", dtype=amp_dtype)) if amp_dtype else contextlib.nullcontext
    persistent = {}
    if emulate:
        _ACTIVE_EMULATION.append(emu)
    gc.collect()
    gc.disable()
    try:
        with fm, emu, tracker, _untracked_sharding_propagation(tracker), tracker.tracking_resize():
            if hooks and "start" in hooks:
                hooks["start"](model, tracker)
            if req["task"] == "prefill":
                model.eval()
                tracker.set_phase(0, "prefill")
                with torch.no_grad():
                    out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
                tracker.set_phase(0, "done")
                if hooks and "after_prefill" in hooks:
                    hooks["after_prefill"](model, tracker, out)
                kv = [t for t in tree_flatten(_cache_tensors(out.past_key_values))[0] if isinstance(t, torch.Tensor)]
                persistent = {"parameters": tracker.cur["parameters"], "kv_cache": _sum_bytes(kv, round_to),
                              "logits": _sum_bytes([out.logits], round_to)}
                del out, kv
            elif req["task"] == "decode":
                # Greedy decoding as generate() runs it: one prefill of the prompt (its peak is kept in
                # phase_peaks, not in peak_bytes), then `generate` single-token steps against the
                # model's default cache; the logits of each step are dropped once the token is picked.
                model.eval()
                tracker.set_phase(0, "prefill")
                with torch.no_grad():
                    out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
                    cache = out.past_key_values
                    nxt = out.logits[:, -1:].argmax(-1)
                    del out
                    gc.collect()
                    tracker.start_peak()
                    tracker.set_phase(0, "decode")
                    for _ in range(req["inference"]["generate"]):
                        out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
                        nxt = out.logits[:, -1:].argmax(-1)
                        del out
                tracker.set_phase(0, "done")
                kv = [t for t in tree_flatten(_cache_tensors(cache))[0] if isinstance(t, torch.Tensor)]
                persistent = {"parameters": tracker.cur["parameters"], "kv_cache": _sum_bytes(kv, round_to)}
                del cache, kv, nxt
            else:
                model.train()
                # Gradient accumulation as the Trainer runs it: every micro-batch's loss is divided by
                # their number and backpropagated; .grad accumulates until the optimizer step.
                accumulate = req.get("parallel", {}).get("micro_batches", 1)
                fsdp = _degrees(req)[0] > 1
                for step in (1, 2):
                    for micro in range(accumulate):
                        if fsdp and accumulate > 1:
                            # Accelerate's `accumulate()` runs every micro-batch but the last under
                            # `no_sync`, which for FSDP2 is `set_requires_gradient_sync(False)`:
                            # unsharded gradients add up until the last micro-batch reduce-scatters.
                            model.set_requires_gradient_sync(micro == accumulate - 1)
                        tracker.set_phase(step, "forward")
                        with _loss_context(req):
                            with amp():
                                loss = model(input_ids=ids, labels=ids).loss
                                if accumulate > 1:
                                    loss = loss / accumulate
                            tracker.set_phase(step, "backward")
                            if hooks and "before_backward" in hooks:
                                hooks["before_backward"](model, tracker, loss, step)
                            loss.backward()
                        del loss
                        gc.collect()
                    tracker.set_phase(step, "optimizer_step")
                    grads = _sum_bytes([p.grad for p in trainable], round_to)
                    opt.step()
                    opt.zero_grad(set_to_none=True)
                    gc.collect()
                tracker.set_phase(3, "done")
                tracker.relabel_optimizer_states()
                states = [v for st in opt.state.values() for v in st.values()
                          if isinstance(v, torch.Tensor) and tracker._countable(v)]
                persistent = {"parameters": tracker.cur["parameters"], "gradients": grads,
                              "optimizer_states": _sum_bytes(states, round_to)}
    finally:
        gc.enable()
        if emulate:
            _ACTIVE_EMULATION.pop()
        for h in handles:
            h.remove()
    step, phase, op, _n = tracker.peak_where
    phase_peaks = {}
    for k, v in tracker.phase_peaks.items():
        vv = {ph: n for ph, n in v.items() if ph != "done"}
        if vv:
            phase_peaks[k] = vv
    res = {
        "peak_bytes": tracker.peak,
        "peak_phase": phase,
        "peak_step": step if step else None,
        "peak_op": op,
        "phase_peaks": phase_peaks,
        "at_peak": {c: tracker.peak_at.get(c, 0) for c in CATEGORIES},
        "persistent": persistent,
        "n_params": sum(p.numel() for p in model.parameters()),
        "n_trainable": sum(p.numel() for p in trainable) if req["task"] not in INFERENCE else 0,
        "sdpa_backends": dict(emu.sdpa_calls) if emulate else {},
        "seconds": round(time.time() - t0, 2),
    }
    if hooks and "end" in hooks:
        hooks["end"](model, tracker, res)
    del model, opt, ids
    gc.collect()
    return res


def _cache_tensors(cache):
    if cache is None:
        return []
    out = []
    for layer in getattr(cache, "layers", []):
        for name in ("keys", "values"):
            t = getattr(layer, name, None)
            if isinstance(t, torch.Tensor):
                out.append(t)
    return out


# ----------------------------------------------------------------------------------------------
# Output files
# ----------------------------------------------------------------------------------------------
def tool_versions():
    import importlib.metadata as md
    v = {"python": sys.version.split()[0]}
    for name in ("torch", "transformers", "peft", "accelerate", "deepspeed", "llm-analysis"):
        try:
            v[name] = md.version(name)
        except md.PackageNotFoundError:
            v[name] = None
    return v


METHOD = ("HF model from configs/<name>.json (random init) run under torch FakeTensorMode; a TorchDispatchMode "
          "registers every tensor storage (512-byte rounded, once per storage) and takes the max of live bytes "
          "after every aten op over 2 training steps (forward, loss.backward(), foreach optimizer step, "
          "zero_grad(set_to_none=True); with gradient accumulation n forward+backward before each step), one prefill "
          "(no_grad, use_cache, logits_to_keep=1), or decoding (a prefill, then `generate` single-token steps on the "
          "model's default cache; peak of the decoding steps only). CUDA sm80+ "
          "emulated: SDPA backend choice (flash/mem-efficient/math), fused dropout, fp16 half_to_float softmax, "
          "CUDA autocast fp32 policy. Comparable with torch.cuda.max_memory_allocated(); excludes CUDA context, "
          "allocator fragmentation and kernel-internal workspaces. See README.md.")


def atomic_write_json(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def load_measured(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"schema_version": 1, "tool_versions": {}, "method": METHOD, "cases": []}


def merge_case(doc, entry):
    """Replace (or append) a case by id, keeping its peers; keep the CASES order."""
    old = {c["id"]: c for c in doc["cases"]}
    prev = old.get(entry["id"])
    if prev is not None and "peers" in prev and not entry.get("peers"):
        entry["peers"] = prev["peers"]
    old[entry["id"]] = entry
    order = [c["id"] for c in CASES_MOD.CASES]
    ids = [i for i in order if i in old] + [i for i in old if i not in order]
    doc["cases"] = [old[i] for i in ids]


def select(pattern_list, pool):
    if not pattern_list:
        return list(pool)
    out = []
    for c in pool:
        if any(fnmatch.fnmatch(c["id"], p) or c["id"] == p for p in pattern_list):
            out.append(c)
    return out


def run_measure(args):
    path = args.out or os.path.join(HERE, "measured.json")
    doc = load_measured(path)
    doc["schema_version"] = 1
    doc["method"] = METHOD
    doc["tool_versions"] = tool_versions()
    chosen = select(args.cases, CASES_MOD.CASES)
    t_all = time.time()
    failed = []
    for i, case in enumerate(chosen, 1):
        t0 = time.time()
        try:
            m = measure_case(case)
        except Exception as e:  # keep going; report at the end
            failed.append((case["id"], repr(e)))
            print(f"[{i}/{len(chosen)}] {case['id']}: FAILED {e!r}", flush=True)
            if args.strict:
                raise
            continue
        entry = {"id": case["id"], "config": case["config"], "request": case["request"], "measured": m,
                 "peers": {}}
        merge_case(doc, entry)
        doc["generated"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        atomic_write_json(path, doc)
        print(f"[{i}/{len(chosen)}] {case['id']}: peak {m['peak_bytes'] / 2**30:.3f} GiB in "
              f"{m['peak_phase']} (step {m['peak_step']}, {m['peak_op']}) [{time.time() - t0:.1f}s]", flush=True)
    print(f"measured {len(chosen) - len(failed)}/{len(chosen)} cases in {time.time() - t_all:.0f}s -> {path}")
    for cid, err in failed:
        print(f"FAILED {cid}: {err}")
    return 1 if failed else 0


def run_validate(args):
    """Fake vs real CPU tensors, emulation off, no rounding: must be byte-identical."""
    results = []
    ok_all = True
    for case in select(args.cases, CASES_MOD.VALIDATION):
        fake = measure_case(case, fake=True, emulate=False, round_to=1)
        real, alloc_peak = _real_with_allocator_peak(case)
        keys = ("peak_bytes", "peak_phase", "peak_step", "phase_peaks", "at_peak", "persistent")
        same = all(fake[k] == real[k] for k in keys)
        ok_all &= same
        diff = {k: {"fake": fake[k], "real": real[k]} for k in keys if fake[k] != real[k]}
        alloc_rel = None if alloc_peak is None else (alloc_peak - real["peak_bytes"]) / real["peak_bytes"]
        results.append({"id": case["id"], "request": case["request"], "identical": same,
                        "peak_bytes": fake["peak_bytes"], "real_peak_bytes": real["peak_bytes"],
                        "cpu_allocator_peak_bytes": alloc_peak, "cpu_allocator_vs_tracker": alloc_rel,
                        "fake": {k: fake[k] for k in keys}, "differences": diff})
        print(f"{case['id']}: fake {fake['peak_bytes']} real {real['peak_bytes']} "
              f"(c10 CPU allocator peak {alloc_peak}, {100 * (alloc_rel or 0):+.4f}%) -> "
              f"{'identical' if same else 'DIFFERENT ' + json.dumps(diff)[:400]}", flush=True)
    doc = {"schema_version": 1, "tool_versions": tool_versions(),
           "method": "Each case run twice with the same tracker (no CUDA emulation, no 512-byte rounding): once "
                     "under FakeTensorMode, once with real CPU tensors. Every recorded number must match. The real "
                     "run is also profiled (torch.profiler, profile_memory): cpu_allocator_peak_bytes is the highest "
                     "total the c10 CPU allocator reported (model build included); its excess over the tracker's "
                     "peak is memory that never passes through the dispatcher (CPU kernel-internal buffers).",
           "all_identical": ok_all, "cases": results}
    atomic_write_json(os.path.join(HERE, "validation.json"), doc)
    return 0 if ok_all else 1


def _real_with_allocator_peak(case):
    """measure_case on real CPU tensors under torch.profiler; also returns the c10 allocator's peak."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        res = measure_case(case, fake=False, emulate=False, round_to=1)
    try:
        alloc_type = torch._C._profiler._EventType.Allocation
        stack, peak = list(prof.profiler.kineto_results.experimental_event_tree()), None
        while stack:
            n = stack.pop()
            stack.extend(n.children)
            if n.tag == alloc_type:
                tot = n.extra_fields.total_allocated
                peak = tot if peak is None else max(peak, tot)
    except Exception:
        peak = None
    return res, peak


# ----------------------------------------------------------------------------------------------
# CUDA path (real GPU): kept apart from the emulation above
# ----------------------------------------------------------------------------------------------
def cuda_measure_case(case):
    req = case["request"]
    dev = torch.device("cuda")
    torch.manual_seed(0)
    model = build_model(case, device="cuda")
    b, s = req["micro_batch"], req["sequence"]
    ids = torch.randint(0, vocab_size(model), (b, s), device=dev)
    opt = build_optimizer(case, model) if req["task"] not in INFERENCE else None
    amp_dtype = AMP.get(req["precision"])
    amp = (lambda: torch.autocast("cuda", dtype=amp_dtype)) if amp_dtype else contextlib.nullcontext
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    overall_alloc = overall_res = 0
    phases = {}

    def mark(step, phase):
        nonlocal overall_alloc, overall_res
        torch.cuda.synchronize()
        a, r = torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved()
        overall_alloc, overall_res = max(overall_alloc, a), max(overall_res, r)
        phases.setdefault(f"step{step}" if step else "run", {})[phase] = a
        torch.cuda.reset_peak_memory_stats()

    if req["task"] == "prefill":
        model.eval()
        with torch.no_grad():
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        mark(0, "prefill")
        del out
    elif req["task"] == "decode":
        # As the fake run: the prefill's peak is kept apart, the decoding steps are the case's peak.
        model.eval()
        with torch.no_grad():
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
            cache, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
            del out
            mark(0, "prefill")
            overall_alloc = overall_res = 0
            for _ in range(req["inference"]["generate"]):
                out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
                nxt = out.logits[:, -1:].argmax(-1)
                del out
            mark(0, "decode")
        del cache, nxt
    else:
        model.train()
        accumulate = req.get("parallel", {}).get("micro_batches", 1)
        for step in (1, 2):
            for _ in range(accumulate):
                with amp():
                    loss = model(input_ids=ids, labels=ids).loss
                    if accumulate > 1:
                        loss = loss / accumulate
                mark(step, "forward")
                loss.backward()
                del loss
                mark(step, "backward")
            opt.step()
            opt.zero_grad(set_to_none=True)
            mark(step, "optimizer_step")
    res = {"max_memory_allocated": overall_alloc, "max_memory_reserved": overall_res, "phase_peaks": phases,
           "device": torch.cuda.get_device_name()}
    del model, opt, ids
    gc.collect()
    torch.cuda.empty_cache()
    return res


def run_cuda(args):
    path = os.path.join(HERE, "measured.json")
    measured = {c["id"]: c for c in load_measured(path)["cases"]}
    total = torch.cuda.get_device_properties(0).total_memory
    out = {"device": torch.cuda.get_device_name(), "total_memory": total, "tool_versions": tool_versions(),
           "cases": []}
    for case in select(args.cases, CASES_MOD.CASES):
        if _degrees(case["request"])[:2] != (1, 1):
            print(f"{case['id']}: skipped (sharded cases need one process per rank: torchrun, not this path)")
            continue
        pred = measured.get(case["id"], {}).get("measured", {}).get("peak_bytes")
        if pred is None or pred > 0.85 * total:
            print(f"{case['id']}: skipped (fake peak {pred} vs {total} bytes on the device)")
            continue
        try:
            r = cuda_measure_case(case)
        except torch.cuda.OutOfMemoryError as e:
            r = {"error": f"OOM: {e}"}
            gc.collect()
            torch.cuda.empty_cache()
        r.update({"id": case["id"], "fake_peak_bytes": pred})
        if "max_memory_allocated" in r:
            r["rel_diff"] = (r["max_memory_allocated"] - pred) / pred
            print(f"{case['id']}: allocated {r['max_memory_allocated']} reserved {r['max_memory_reserved']} "
                  f"fake {pred} ({100 * r['rel_diff']:+.2f}%)", flush=True)
        out["cases"].append(r)
        atomic_write_json(os.path.join(HERE, "out", "cuda.json"), out)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*", help="case ids or fnmatch patterns (default: all)")
    ap.add_argument("--out", help="output file (default: measured.json next to this script)")
    ap.add_argument("--validate", action="store_true", help="fake vs real CPU tensors -> validation.json")
    ap.add_argument("--cuda", action="store_true", help="real runs on the CUDA device -> out/cuda.json")
    ap.add_argument("--strict", action="store_true", help="stop at the first failing case")
    ap.add_argument("--list", action="store_true", help="print the case ids and exit")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if args.list:
        for c in select(args.cases, CASES_MOD.CASES):
            print(c["id"])
        return 0
    if args.validate:
        return run_validate(args)
    if args.cuda:
        if not torch.cuda.is_available():
            print("--cuda: no CUDA device", file=sys.stderr)
            return 2
        return run_cuda(args)
    return run_measure(args)


if __name__ == "__main__":
    sys.exit(main())
