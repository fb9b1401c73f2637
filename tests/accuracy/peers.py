#!/usr/bin/env python
"""Peer estimators on the measured cases, run from their installed packages (nothing downloaded).

  python peers.py                 # every case in measured.json; writes each case's "peers"
  python peers.py --cases 'gpt2*'

* accelerate (`accelerate estimate-memory` logic): the model built as create_empty_model does
  (AutoModel, i.e. without the LM head, fp32, under init_empty_weights) but from the local config;
  calculate_maximum_sizes + estimate_training_usage. The value is the CLI's "Training using Adam"
  column (max of the dict): the float32 row for fp32 cases, the float16 row for 16-bit and AMP cases;
  for prefill the "Total Size" column (fp32 size, halved for 16-bit).
* deepspeed_zero2 / deepspeed_zero3: estimate_zero{2,3}_model_states_mem_needs with 1 GPU, no offload,
  fed the counts the *_all_live wrappers compute on the full causal-LM model (shared parameters once;
  largest layer = most parameters directly owned by one module). Model states only; no prefill value.
* llm_analysis: LLMAnalysis(...).training(...)["(weight+op_state+grad+act)_memory_per_gpu"], and for
  prefill weight + KV cache + prefill activation from inference(). H100-SXM-80GB config (its memory
  set very large so that its fit assertions never fire), the case's batch / sequence / recomputation
  (FULL or NONE) / flash (sdpa) and a gated MLP given as ffn = 1.5 * intermediate. Gradient and
  optimizer bytes per parameter are matched to PyTorch through master_weights_dtype_bytes (= gradient
  bytes) and other_op_bytes (= optimizer-state bytes - gradient bytes). For fp32 its latency model
  asserts 16-bit; the TFLOPS lookup (used only for latency) is stubbed.

LoRA cases are predicted as full fine-tuning (no peer models LoRA); compare.py excludes them from the
peers' "applicable" statistics.
"""
from __future__ import annotations

import argparse
import contextlib
import fnmatch
import io
import json
import logging
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DS_BUILD_OPS", "0")
warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM  # noqa: E402

import measure  # noqa: E402

GATED = {"llama", "mistral", "qwen2", "qwen2_moe", "gemma", "gemma2", "phi3", "mixtral"}
SIXTEEN = {"bf16", "fp16", "amp_bf16", "amp_fp16"}


def hf_config(case):
    d = measure.load_config(case)
    return AutoConfig.for_model(d["model_type"], **{k: v for k, v in d.items() if k != "model_type"}), d


# ---------------------------------------------------------------------------------------------
def accelerate_predict(case):
    if _parallel(case)[:2] != (1, 1):
        return None  # `estimate-memory` sizes one device holding everything
    from accelerate import init_empty_weights
    from accelerate.commands.estimate import estimate_training_usage
    from accelerate.utils import calculate_maximum_sizes
    cfg, _ = hf_config(case)
    with init_empty_weights():
        model = AutoModel.from_config(cfg, dtype=torch.float32)
    total_size, _largest = calculate_maximum_sizes(model)
    req = case["request"]
    sixteen = req["precision"] in SIXTEEN
    if req["task"] in ("prefill", "decode"):
        return int(total_size / 2) if sixteen else int(total_size)
    usage = estimate_training_usage(total_size, "float16" if sixteen else "float32")
    return int(max(usage.values()))


# ---------------------------------------------------------------------------------------------
def _ds_counts(case):
    cfg, _ = hf_config(case)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    seen, total = set(), 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
    largest = max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())
    return total, largest


def _parallel(case):
    par = case["request"].get("parallel", {})
    return par.get("data", 1), par.get("tensor", 1), par.get("sharding", "none")


def deepspeed_predict(case):
    if case["request"]["task"] in ("prefill", "decode"):
        return None, None  # training estimators
    dp, tp, _ = _parallel(case)
    if tp > 1:
        return None, None  # the estimators know data parallelism only
    with contextlib.redirect_stdout(io.StringIO()):
        from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs
        from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    total, largest = _ds_counts(case)
    _, z2 = estimate_zero2_model_states_mem_needs(total, num_gpus_per_node=dp, num_nodes=1, cpu_offload=False)
    _, z3, _ = estimate_zero3_model_states_mem_needs(total, largest, num_gpus_per_node=dp, num_nodes=1,
                                                  cpu_offload=False, cpu_offload_params=False, zero_init=True)
    return int(z2), int(z3)


# ---------------------------------------------------------------------------------------------
def _grad_state_bytes(precision, optimizer):
    """Bytes per parameter PyTorch keeps for gradients and optimizer states in the measured runs."""
    p = 2 if precision in ("bf16", "fp16") else 4  # bytes of a parameter (= of its gradient)
    states = {"adamw": 2 * p, "sgd": 0, "sgd_momentum": p, "adafactor": 0, "lion": p}.get(optimizer, 2 * p)
    return p, states


def llm_analysis_predict(case):
    from llm_analysis import analysis as la
    from llm_analysis.config import DtypeConfig, GPUConfig, ModelConfig, get_gpu_config_by_name

    req = case["request"]
    cfg, d = hf_config(case)
    mt = d["model_type"]
    if mt == "gpt2":
        h, L, nh = d["n_embd"], d["n_layer"], d["n_head"]
        ffn, kv, vocab = d.get("n_inner") or 4 * h, nh, d["vocab_size"]
        maxlen = d.get("n_positions", 1024)
    else:
        h, L, nh = cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads
        kv = getattr(cfg, "num_key_value_heads", None) or nh
        inter = getattr(cfg, "moe_intermediate_size", None) or cfg.intermediate_size
        if mt == "mixtral":
            inter = cfg.intermediate_size
        ffn = int(1.5 * inter) if mt in GATED else inter
        vocab = cfg.vocab_size
        maxlen = getattr(cfg, "max_position_embeddings", 4096)
    experts = getattr(cfg, "num_experts", None) or getattr(cfg, "num_local_experts", None) or 1
    topk = getattr(cfg, "num_experts_per_tok", 1) if experts > 1 else 1
    mc = ModelConfig(name=case["config"], num_layers=L, n_head=nh, hidden_dim=h, vocab_size=vocab,
                     max_seq_len=max(maxlen, req["sequence"]), num_key_value_heads=kv, ffn_embed_dim=ffn,
                     expansion_ratio=ffn / h, model_type=mt, moe_num_experts=experts, moe_top_k=topk)
    g = get_gpu_config_by_name("h100-sxm-80gb")
    gpu = GPUConfig(name=g.name, mem_per_GPU_in_GB=1e6, hbm_bandwidth_in_GB_per_sec=g.hbm_bandwidth_in_GB_per_sec,
                    intra_node_bandwidth_in_GB_per_sec=g.intra_node_bandwidth_in_GB_per_sec,
                    intra_node_min_message_latency=g.intra_node_min_message_latency,
                    peak_fp16_TFLOPS=g.peak_fp16_TFLOPS)
    prec = req["precision"]
    wbits = 16 if prec in ("bf16", "fp16") else 32
    abits = 32 if prec == "fp32" else 16
    dt = DtypeConfig(name=f"w{wbits}a{abits}e{wbits}", weight_bits=wbits, activation_bits=abits,
                     embedding_bits=wbits)
    dp, tp, sharding = _parallel(case)
    from llm_analysis.config import ParallelismConfig
    an = la.LLMAnalysis(mc, gpu, dt, parallelism_config=ParallelismConfig(tp_size=tp, dp_size=dp),
                        flops_efficiency=0.5, hbm_memory_efficiency=0.9)
    zero = {"fsdp_full_shard": la.DSZeRO.STAGE_3, "fsdp_shard_grad_op": la.DSZeRO.STAGE_2}.get(sharding, la.DSZeRO.NONE)
    if max(wbits, abits) > 16:  # latency-only lookup asserts 16-bit; memory does not use it
        an.get_TFLOPS_per_gpu = lambda: gpu.peak_fp16_TFLOPS * 0.5
    flash = req["attention"] == "sdpa"
    with contextlib.redirect_stdout(io.StringIO()):
        if req["task"] == "prefill":
            out = an.inference(batch_size_per_gpu=req["micro_batch"], seq_len=req["sequence"],
                               num_tokens_to_generate=1, use_kv_cache=True, layernorm_dtype_bytes=2,
                               kv_cache_dtype_bytes=2)
            return int(out["weight_memory_per_gpu"] + out["kv_cache_memory_per_gpu"]
                       + out["prefill_activation_memory_per_gpu"])
        if req["task"] == "decode":
            gen = req["inference"]["generate"]
            out = an.inference(batch_size_per_gpu=req["micro_batch"], seq_len=req["sequence"],
                               num_tokens_to_generate=gen, use_kv_cache=True, layernorm_dtype_bytes=2,
                               kv_cache_dtype_bytes=2)
            return int(out["weight_memory_per_gpu"] + out["kv_cache_memory_per_gpu"]
                       + out["decode_activation_memory_per_gpu"])
        grad_b, state_b = _grad_state_bytes(prec, req["optimizer"])
        recompute = (la.ActivationRecomputation.FULL if req["checkpointing"] == "full"
                     else la.ActivationRecomputation.NONE)
        dropout = mt == "gpt2" and not flash and (d.get("attn_pdrop") or 0) > 0
        out = an.training(batch_size_per_gpu=req["micro_batch"], gradient_accumulation_steps=1,
                          seq_len=req["sequence"], activation_recomputation=recompute,
                          master_weights_dtype_bytes=grad_b, other_op_bytes=state_b - grad_b, flash_attn=flash,
                          softmax_dropout=dropout, ds_zero=zero)
    return int(out["(weight+op_state+grad+act)_memory_per_gpu"])


# ---------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="*")
    ap.add_argument("--measured", default=os.path.join(HERE, "measured.json"))
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    doc = measure.load_measured(args.measured)
    todo = [c for c in doc["cases"]
            if not args.cases or any(fnmatch.fnmatch(c["id"], p) or c["id"] == p for p in args.cases)]
    for c in todo:
        peers, errors = {}, {}
        for name, fn in (("accelerate", accelerate_predict), ("deepspeed", deepspeed_predict),
                         ("llm_analysis", llm_analysis_predict)):
            try:
                v = fn(c)
            except Exception as e:  # a peer failing on a case is recorded, not fatal
                v = (None, None) if name == "deepspeed" else None
                errors[name] = f"{type(e).__name__}: {e}"[:300]
            if name == "deepspeed":
                peers["deepspeed_zero2"], peers["deepspeed_zero3"] = v
            else:
                peers[name] = v
        if errors:
            peers["errors"] = errors
        c["peers"] = peers
        m = c["measured"]["peak_bytes"]
        txt = " ".join(f"{k}={v / 2**30:.2f}" for k, v in peers.items() if isinstance(v, (int, float)))
        print(f"{c['id']:<62} measured={m / 2**30:.2f} GiB  {txt}{'  errors: ' + str(errors) if errors else ''}",
              flush=True)
    # re-read and merge only the peers, so a concurrent measure.py run is not overwritten
    fresh = measure.load_measured(args.measured)
    by_id = {c["id"]: c for c in todo}
    for c in fresh["cases"]:
        if c["id"] in by_id:
            c["peers"] = by_id[c["id"]]["peers"]
    measure.atomic_write_json(args.measured, fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
