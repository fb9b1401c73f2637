"""The case matrix of the accuracy suite: data only.

Each case is a trainfit request (see README.md) plus the name of its HF config under configs/.
`CASES` is the measured matrix; `VALIDATION` holds the tiny cases that are run twice (fake tensors
and real CPU tensors, no CUDA emulation) to check that the fake-tensor accounting is exact.
"""

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
QV = ["q_proj", "v_proj"]
QKVO = ["q_proj", "k_proj", "v_proj", "o_proj"]

# Compact rows: (config, task, precision, optimizer, micro_batch, sequence, attention, checkpointing, extra)
# extra: None, {"lora": (rank, targets)} or {"prefill": kv_dtype}
_ROWS = [
    # --- GPT-2 (learned positions, LayerNorm, gelu_new, dropout 0.1, tied head) ---
    ("gpt2", "pretrain", "fp32", "adamw", 8, 512, "eager", "none", None),
    ("gpt2", "finetune", "fp32", "adamw", 4, 1024, "sdpa", "none", None),
    ("gpt2", "finetune", "amp_bf16", "adamw", 8, 1024, "sdpa", "none", None),
    ("gpt2", "finetune", "bf16", "sgd", 16, 512, "eager", "none", None),
    ("gpt2", "finetune", "amp_bf16", "adamw", 16, 1024, "sdpa", "full", None),
    ("gpt2-medium", "finetune", "fp32", "adamw", 4, 1024, "sdpa", "none", None),
    ("gpt2-medium", "finetune", "bf16", "adamw", 8, 1024, "sdpa", "full", None),
    ("gpt2-medium", "finetune", "amp_bf16", "adafactor", 4, 512, "eager", "none", None),
    # --- small custom Llama (~58M) ---
    ("llama-tiny-60m", "pretrain", "fp32", "adamw", 8, 1024, "sdpa", "none", None),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", None),
    ("llama-tiny-60m", "pretrain", "amp_bf16", "adamw", 8, 1024, "sdpa", "none", None),
    ("llama-tiny-60m", "pretrain", "bf16", "sgd_momentum", 16, 512, "eager", "none", None),
    ("llama-tiny-60m", "pretrain", "fp32", "sgd", 4, 2048, "eager", "full", None),
    # --- SmolLM2 ---
    ("smollm2-135m", "finetune", "bf16", "adamw", 8, 2048, "sdpa", "none", None),
    ("smollm2-135m", "finetune", "fp32", "adamw", 4, 1024, "sdpa", "full", None),
    ("smollm2-135m", "finetune", "amp_bf16", "sgd_momentum", 8, 1024, "eager", "none", None),
    ("smollm2-360m", "finetune", "bf16", "adafactor", 4, 2048, "sdpa", "none", None),
    ("smollm2-360m", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, QV)}),
    ("smollm2-360m", "finetune", "amp_bf16", "adamw", 4, 2048, "sdpa", "full", None),
    ("smollm2-1.7b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("smollm2-1.7b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "full", {"lora": (64, ALL_LINEAR)}),
    ("smollm2-1.7b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    # --- TinyLlama / Llama-3.2-1B ---
    ("tinyllama-1.1b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("tinyllama-1.1b", "finetune", "amp_bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("tinyllama-1.1b", "finetune", "bf16", "sgd", 8, 1024, "eager", "full", None),
    ("tinyllama-1.1b", "lora", "bf16", "adamw", 8, 1024, "eager", "none", {"lora": (8, QV)}),
    ("tinyllama-1.1b", "prefill", "bf16", "adamw", 16, 1024, "sdpa", "none", {"prefill": "bf16"}),
    ("llama-3.2-1b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "bf16", "adamw", 4, 4096, "sdpa", "full", None),
    ("llama-3.2-1b", "finetune", "fp32", "adamw", 1, 1024, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "amp_bf16", "sgd_momentum", 2, 2048, "sdpa", "full", None),
    ("llama-3.2-1b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "full", {"lora": (16, ALL_LINEAR)}),
    ("llama-3.2-1b", "prefill", "bf16", "adamw", 4, 4096, "sdpa", "none", {"prefill": "bf16"}),
    # --- Llama-2-7B / Llama-3-8B ---
    ("llama-2-7b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("llama-2-7b", "finetune", "amp_bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("llama-2-7b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "full", {"lora": (16, QV)}),
    ("llama-2-7b", "lora", "bf16", "adamw", 1, 4096, "eager", "none", {"lora": (8, QKVO)}),
    ("llama-2-7b", "prefill", "bf16", "adamw", 4, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("llama-3-8b", "finetune", "bf16", "adafactor", 2, 4096, "sdpa", "full", None),
    ("llama-3-8b", "lora", "bf16", "adamw", 2, 4096, "sdpa", "full", {"lora": (64, ALL_LINEAR)}),
    ("llama-3-8b", "lora", "bf16", "adamw", 1, 1024, "sdpa", "none", {"lora": (16, QV)}),
    ("llama-3-8b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    # --- Qwen2.5 (qkv bias, 152k vocab) ---
    ("qwen2.5-0.5b", "finetune", "bf16", "adamw", 8, 1024, "sdpa", "none", None),
    ("qwen2.5-0.5b", "finetune", "fp32", "adamw", 2, 2048, "sdpa", "full", None),
    ("qwen2.5-0.5b", "finetune", "amp_bf16", "adafactor", 4, 1024, "eager", "none", None),
    ("qwen2.5-0.5b", "lora", "bf16", "adamw", 16, 512, "sdpa", "none", {"lora": (8, ALL_LINEAR)}),
    ("qwen2.5-1.5b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "full", None),
    ("qwen2.5-1.5b", "finetune", "bf16", "sgd_momentum", 2, 1024, "eager", "none", None),
    ("qwen2.5-1.5b", "prefill", "bf16", "adamw", 8, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("qwen2.5-7b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", None),
    ("qwen2.5-7b", "lora", "bf16", "adamw", 2, 2048, "sdpa", "full", {"lora": (32, QKVO)}),
    ("qwen2.5-7b", "prefill", "bf16", "adamw", 1, 4096, "sdpa", "none", {"prefill": "bf16"}),
    # --- Gemma (256k vocab, head_dim 256, MQA / soft-capping) ---
    ("gemma-2b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("gemma-2b", "lora", "bf16", "adamw", 4, 1024, "sdpa", "none", {"lora": (16, QV)}),
    ("gemma-2b", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("gemma-2-2b", "finetune", "bf16", "adamw", 1, 2048, "eager", "full", None),
    ("gemma-2-2b", "finetune", "amp_bf16", "sgd", 2, 1024, "eager", "none", None),
    # --- Phi-3-mini (fused qkv / gate_up, sliding window 2047 -> masked SDPA from s=2048) ---
    ("phi-3-mini-4k", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("phi-3-mini-4k", "finetune", "bf16", "adafactor", 2, 1024, "sdpa", "none", None),
    ("phi-3-mini-4k", "lora", "bf16", "adamw", 2, 4096, "sdpa", "full", {"lora": (16, ["qkv_proj", "o_proj"])}),
    # --- Mistral-7B ---
    ("mistral-7b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", None),
    ("mistral-7b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "full", {"lora": (16, ALL_LINEAR)}),
    ("mistral-7b", "prefill", "bf16", "adamw", 2, 4096, "sdpa", "none", {"prefill": "bf16"}),
    # --- MoE ---
    ("mixtral-tiny", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", None),
    ("mixtral-tiny", "pretrain", "fp32", "adamw", 4, 512, "eager", "none", None),
    ("qwen1.5-moe-a2.7b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("qwen1.5-moe-a2.7b", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    # --- Pythia (GPT-NeoX: parallel residual, partial rotary, untied head) ---
    ("pythia-160m", "finetune", "fp32", "adamw", 8, 2048, "sdpa", "none", None),
    ("pythia-160m", "finetune", "amp_bf16", "adamw", 16, 1024, "eager", "none", None),
    ("pythia-410m", "finetune", "bf16", "sgd_momentum", 8, 2048, "sdpa", "full", None),
    ("pythia-1b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("pythia-1b", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (8, ["query_key_value"])}),
    # --- added after the first matrix: families and precisions it did not have ---
    ("qwen3-0.6b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("qwen3-0.6b", "lora", "bf16", "adamw", 8, 1024, "sdpa", "full", {"lora": (16, ALL_LINEAR)}),
    ("qwen3-0.6b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("gemma-3-1b", "finetune", "bf16", "adamw", 2, 1024, "sdpa", "none", None),
    ("gemma-3-1b", "finetune", "bf16", "adamw", 2, 512, "eager", "full", None),
    ("olmo-1b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("opt-125m", "finetune", "fp32", "adamw", 8, 1024, "eager", "none", None),
    ("opt-350m", "finetune", "bf16", "sgd", 8, 1024, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "fp16", "adamw", 2, 2048, "sdpa", "none", None),
    ("pythia-160m", "finetune", "amp_fp16", "sgd_momentum", 8, 1024, "sdpa", "none", None),
    ("smollm2-135m", "finetune", "fp16", "sgd", 8, 1024, "eager", "none", None),
    # --- Llama-like families of issue 12: Granite (embedding, residual and logits multipliers),
    # ERNIE 4.5 (interleaved fp32 rotary, tied head), OLMoE (64 experts top-8, full-width q/k norm),
    # SmolLM3 (no rotary on every fourth layer) ---
    ("granite-3.3-2b-instruct", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("granite-3.3-2b-instruct", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "full", None),
    ("granite-3.3-2b-instruct", "lora", "bf16", "adamw", 4, 1024, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("granite-3.3-2b-instruct", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("granite-3.3-2b-instruct", "finetune", "bf16", "adamw", 1, 1024, "eager", "none", None),
    ("ernie-4.5-0.3b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("ernie-4.5-0.3b", "finetune", "bf16", "adamw", 8, 2048, "sdpa", "full", None),
    ("ernie-4.5-0.3b", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("ernie-4.5-0.3b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("ernie-4.5-0.3b", "finetune", "bf16", "adamw", 2, 1024, "eager", "none", None),
    ("olmoe-tiny", "finetune", "bf16", "adamw", 8, 2048, "sdpa", "none", None),
    ("olmoe-tiny", "finetune", "bf16", "adamw", 8, 4096, "sdpa", "full", None),
    ("olmoe-tiny", "lora", "bf16", "adamw", 4, 1024, "sdpa", "none", {"lora": (16, QKVO)}),
    ("olmoe-tiny", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("olmoe-tiny", "finetune", "bf16", "adamw", 8, 2048, "eager", "none", None),
    ("smollm3-3b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("smollm3-3b", "finetune", "bf16", "adamw", 4, 4096, "sdpa", "full", None),
    ("smollm3-3b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("smollm3-3b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("smollm3-3b", "finetune", "bf16", "adamw", 1, 2048, "eager", "none", None),
    ("granitemoe-tiny", "finetune", "bf16", "adamw", 8, 2048, "sdpa", "none", None),
    ("granitemoe-tiny", "finetune", "bf16", "adamw", 8, 4096, "sdpa", "full", None),
    ("granitemoe-tiny", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, QKVO)}),
    ("granitemoe-tiny", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("granitemoe-tiny", "finetune", "bf16", "adamw", 4, 2048, "eager", "none", None),
    ("phimoe-tiny", "finetune", "bf16", "adamw", 8, 4096, "sdpa", "none", None),
    ("phimoe-tiny", "finetune", "bf16", "adamw", 16, 4096, "sdpa", "full", None),
    ("phimoe-tiny", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, QKVO)}),
    ("phimoe-tiny", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("phimoe-tiny", "finetune", "bf16", "adamw", 4, 2048, "eager", "none", None),
    # --- issue 12 breadth, 2025 families: GLM-4-0414 (sandwich norms, fused gate_up_proj,
    # interleaved partial rotary), EXAONE 4.0 (post-norm, per-head q/k norms, tied head) ---
    ("glm-4-9b-0414", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("glm-4-9b-0414", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", None),
    ("glm-4-9b-0414", "lora", "bf16", "adamw", 2, 2048, "sdpa", "none", {"lora": (16, QKVO)}),
    ("glm-4-9b-0414", "finetune", "bf16", "sgd", 1, 1024, "eager", "none", None),
    ("glm-4-9b-0414", "prefill", "bf16", "adamw", 2, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("exaone-4.0-1.2b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("exaone-4.0-1.2b", "finetune", "bf16", "adamw", 4, 4096, "sdpa", "full", None),
    ("exaone-4.0-1.2b", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("exaone-4.0-1.2b", "finetune", "amp_bf16", "adamw", 2, 1024, "eager", "none", None),
    ("exaone-4.0-1.2b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    # gpt-oss (attention sinks, 128-token windows on every other layer, biased 3-D experts):
    # transformers 5.23 refuses sdpa for it, so every case is eager.
    ("gpt-oss-tiny", "finetune", "bf16", "adamw", 2, 1024, "eager", "none", None),
    ("gpt-oss-tiny", "finetune", "bf16", "adamw", 2, 2048, "eager", "full", None),
    ("gpt-oss-tiny", "lora", "bf16", "adamw", 4, 1024, "eager", "none", {"lora": (16, QKVO)}),
    ("gpt-oss-tiny", "finetune", "bf16", "sgd", 4, 512, "eager", "none", None),
    ("gpt-oss-tiny", "prefill", "bf16", "adamw", 4, 2048, "eager", "none", {"prefill": "bf16"}),
    # Llama 4 text (4 layers: chunked rotary layers with weightless q/k norms, global layers with
    # temperature-tuned queries, dense MLPs interleaved with 8-expert MoE run densely by bmm;
    # 256-token chunks, so SDPA masks the chunked layers and runs the global ones unmasked; fp32
    # takes the memory-efficient kernel there, AMP casts each expert bmm):
    ("llama4-tiny", "finetune", "bf16", "adamw", 2, 1024, "sdpa", "none", None),
    ("llama4-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("llama4-tiny", "finetune", "bf16", "sgd", 2, 1024, "eager", "none", None),
    ("llama4-tiny", "lora", "bf16", "adamw", 4, 1024, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("llama4-tiny", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("llama4-tiny", "prefill", "bf16", "adamw", 2, 1024, "eager", "none", {"prefill": "bf16"}),
    ("llama4-tiny", "finetune", "fp32", "adamw", 1, 1024, "sdpa", "none", None),
    ("llama4-tiny", "finetune", "amp_bf16", "adamw", 2, 1024, "sdpa", "none", None),
    # --- issue 12 breadth (classic families): StableLM-2 (LayerNorm, qkv bias, partial rotary) ---
    ("stablelm-2-1_6b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("stablelm-2-1_6b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "full", None),
    ("stablelm-2-1_6b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, QV)}),
    ("stablelm-2-1_6b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("stablelm-2-1_6b", "finetune", "amp_bf16", "adamw", 2, 1024, "eager", "none", None),
    # --- Cohere Command-R (2 layers of the real widths; fp32 LayerNorm by hand, parallel block, logit_scale) ---
    ("cohere-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("cohere-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("cohere-tiny", "lora", "bf16", "adamw", 2, 2048, "sdpa", "none", {"lora": (16, QV)}),
    ("cohere-tiny", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("cohere-tiny", "finetune", "bf16", "adamw", 1, 1024, "eager", "none", None),
    # --- Cohere Command-R7B (4 layers: 3 sliding-window with rotary, 1 global without) ---
    ("cohere2-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("cohere2-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("cohere2-tiny", "lora", "bf16", "adamw", 2, 2048, "sdpa", "none", {"lora": (16, QV)}),
    ("cohere2-tiny", "prefill", "bf16", "adamw", 4, 8192, "sdpa", "none", {"prefill": "bf16"}),
    ("cohere2-tiny", "finetune", "bf16", "adamw", 1, 1024, "eager", "none", None),
    # --- GPT-J-6B (its own eager attention in fp32, no SDPA path; partial interleaved rotary, biased lm_head) ---
    ("gpt-j-6b", "finetune", "bf16", "adamw", 1, 2048, "eager", "none", None),
    ("gpt-j-6b", "finetune", "bf16", "adamw", 2, 2048, "eager", "full", None),
    ("gpt-j-6b", "lora", "bf16", "adamw", 2, 1024, "eager", "none", {"lora": (16, QV)}),
    ("gpt-j-6b", "prefill", "bf16", "adamw", 4, 2048, "eager", "none", {"prefill": "bf16"}),
    ("gpt-j-6b", "finetune", "amp_bf16", "adamw", 1, 1024, "eager", "none", None),
    # --- BLOOM-560m (ALiBi through its own eager baddbmm attention, no SDPA path; embedding LayerNorm) ---
    ("bloom-560m", "finetune", "bf16", "adamw", 4, 2048, "eager", "none", None),
    ("bloom-560m", "finetune", "bf16", "adamw", 8, 2048, "eager", "full", None),
    ("bloom-560m", "lora", "bf16", "adamw", 4, 2048, "eager", "none", {"lora": (16, ["query_key_value"])}),
    ("bloom-560m", "prefill", "bf16", "adamw", 8, 2048, "eager", "none", {"prefill": "bf16"}),
    ("bloom-560m", "finetune", "amp_bf16", "adamw", 4, 1024, "eager", "none", None),
    # --- Falcon-7B (RW layout: one key/value head, parallel attention/MLP; always-materialised mask) ---
    ("falcon-7b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "none", None),
    ("falcon-7b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("falcon-7b", "lora", "bf16", "adamw", 2, 2048, "sdpa", "none", {"lora": (16, ["query_key_value"])}),
    ("falcon-7b", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("falcon-7b", "finetune", "bf16", "adamw", 1, 1024, "eager", "none", None),
    # --- Falcon-RW-1B (ALiBi folded into a (batch, heads, q, kv) SDPA mask; sequential, biased) ---
    ("falcon-rw-1b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "none", None),
    ("falcon-rw-1b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "full", None),
    ("falcon-rw-1b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, ["query_key_value"])}),
    ("falcon-rw-1b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("falcon-rw-1b", "finetune", "bf16", "adamw", 2, 1024, "eager", "none", None),
    # --- Falcon-40B layout (4 of 60 layers: 8 key/value groups, ln_attn and ln_mlp) ---
    ("falcon-40b-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("falcon-40b-tiny", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("falcon-40b-tiny", "prefill", "bf16", "adamw", 1, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("falcon-40b-tiny", "finetune", "bf16", "adamw", 1, 1024, "eager", "none", None),
    # Adapters leave the activations as the larger part: these test the block programs above.
    ("falcon-40b-tiny", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, ["query_key_value"])}),
    ("falcon-40b-tiny", "lora", "bf16", "adamw", 2, 1024, "eager", "none", {"lora": (16, ["query_key_value"])}),
    ("falcon-7b", "lora", "bf16", "adamw", 1, 1024, "eager", "none", {"lora": (16, ["query_key_value"])}),
    ("cohere-tiny", "lora", "bf16", "adamw", 2, 1024, "eager", "none", {"lora": (16, QV)}),
]

_SHORT = {"finetune": "ft", "pretrain": "pt", "lora": "lora", "prefill": "prefill", "decode": "decode"}

MLA_PROJ = ["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"]

# Issue 12: inference across families (sliding-window caches, soft-capping, MoE, MLA, long prompts),
# decoding against a filled cache, and training settings where trainfit drifted.
# extra {"decode": (kv_dtype, generate)}: prefill of `sequence` tokens, then `generate` steps.
# extra {"accumulate": n}: n micro-batches (forward + backward each) before every optimizer step.
_ROWS_12 = [
    ("gemma-3-1b", "prefill", "bf16", "adamw", 4, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("gemma-3-1b", "prefill", "bf16", "adamw", 2, 2048, "eager", "none", {"prefill": "bf16"}),
    ("phi-3-mini-4k", "prefill", "bf16", "adamw", 2, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("phi-3-mini-4k", "prefill", "bf16", "adamw", 1, 2048, "eager", "none", {"prefill": "bf16"}),
    ("gemma-2-2b", "prefill", "bf16", "adamw", 1, 8192, "eager", "none", {"prefill": "bf16"}),
    ("gemma-2-2b", "prefill", "bf16", "adamw", 2, 4096, "eager", "none", {"prefill": "bf16"}),
    ("mistral-7b", "prefill", "bf16", "adamw", 1, 8192, "sdpa", "none", {"prefill": "bf16"}),
    ("mixtral-tiny", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("deepseek-v2-lite", "prefill", "bf16", "adamw", 2, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("deepseek-v2-lite", "prefill", "bf16", "adamw", 1, 4096, "eager", "none", {"prefill": "bf16"}),
    ("deepseek-v3-tiny", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("gpt2", "prefill", "fp32", "adamw", 8, 1024, "eager", "none", {"prefill": "fp32"}),
    ("pythia-1b", "prefill", "bf16", "adamw", 8, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("qwen3-0.6b", "prefill", "bf16", "adamw", 2, 16384, "sdpa", "none", {"prefill": "bf16"}),
    ("llama-3.2-1b", "prefill", "bf16", "adamw", 1, 32768, "sdpa", "none", {"prefill": "bf16"}),
    ("opt-350m", "prefill", "fp16", "adamw", 16, 1024, "sdpa", "none", {"prefill": "fp16"}),
    ("llama-3.2-1b", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("gemma-3-1b", "decode", "bf16", "adamw", 4, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("qwen2.5-0.5b", "decode", "bf16", "adamw", 16, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("mistral-7b", "decode", "bf16", "adamw", 2, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("phi-3-mini-4k", "decode", "bf16", "adamw", 2, 3072, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("deepseek-v2-lite", "decode", "bf16", "adamw", 2, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("mixtral-tiny", "decode", "bf16", "adamw", 8, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("gpt2", "decode", "fp32", "adamw", 8, 512, "eager", "none", {"decode": ("fp32", 4)}),
    ("pythia-410m", "finetune", "bf16", "adamw", 16, 2048, "sdpa", "none", None),
    ("pythia-160m", "finetune", "amp_bf16", "adamw", 32, 1024, "sdpa", "none", None),
    ("qwen2.5-0.5b", "finetune", "fp32", "adamw", 4, 256, "sdpa", "none", None),
    ("qwen1.5-moe-a2.7b", "lora", "bf16", "adamw", 2, 1024, "sdpa", "full", {"lora": (16, ALL_LINEAR)}),
    ("deepseek-v3-tiny", "lora", "bf16", "adamw", 2, 1024, "sdpa", "none", {"lora": (16, MLA_PROJ)}),
    ("deepseek-v3-tiny", "finetune", "bf16", "adamw", 1, 1024, "sdpa", "none", None),
    ("deepseek-v2-lite", "lora", "bf16", "adamw", 1, 2048, "sdpa", "full", {"lora": (8, MLA_PROJ[2:])}),
    ("gpt2", "finetune", "bf16", "adamw", 32, 1024, "sdpa", "none", None),
    ("gemma-3-1b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, ALL_LINEAR)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 32, 2048, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", {"accumulate": 2}),
    ("qwen2.5-0.5b", "finetune", "amp_bf16", "adamw", 4, 1024, "sdpa", "none", {"accumulate": 2}),
    ("smollm2-360m", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none", {"lora": (16, QV), "accumulate": 2}),
    # Families imported in the previous session, and two suite families without a case.
    ("phi-2", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", None),
    ("phi-2", "lora", "bf16", "adamw", 4, 2048, "sdpa", "full", {"lora": (16, ["q_proj", "k_proj", "v_proj", "dense"])}),
    ("phi-2", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("starcoder2-3b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", None),
    ("starcoder2-3b", "lora", "bf16", "adamw", 4, 2048, "sdpa", "none", {"lora": (16, QKVO)}),
    ("starcoder2-3b", "prefill", "bf16", "adamw", 4, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("starcoder", "lora", "bf16", "adamw", 2, 2048, "sdpa", "full", {"lora": (16, ["c_attn"])}),
    ("starcoder", "prefill", "bf16", "adamw", 4, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("starcoder", "lora", "bf16", "adamw", 1, 2048, "eager", "none", {"lora": (8, ["c_attn"])}),
    ("olmo-2-7b", "lora", "bf16", "adamw", 2, 2048, "sdpa", "none", {"lora": (16, QV)}),
    ("olmo-2-7b", "prefill", "bf16", "adamw", 4, 4096, "sdpa", "none", {"prefill": "bf16"}),
    ("qwen3-30b-a3b", "prefill", "bf16", "adamw", 2, 2048, "sdpa", "none", {"prefill": "bf16"}),
    ("qwen3-30b-a3b", "lora", "bf16", "adamw", 1, 2048, "sdpa", "full", {"lora": (16, QKVO)}),
    # Decoding across the families (4 tokens after the prompt).
    ("gemma-2-2b", "decode", "bf16", "adamw", 2, 2048, "eager", "none", {"decode": ("bf16", 4)}),
    ("qwen3-0.6b", "decode", "bf16", "adamw", 16, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("smollm2-1.7b", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("tinyllama-1.1b", "decode", "bf16", "adamw", 16, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("olmo-1b", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("pythia-1b", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("opt-350m", "decode", "bf16", "adamw", 16, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("phi-2", "decode", "bf16", "adamw", 4, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("starcoder2-3b", "decode", "bf16", "adamw", 4, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("stablelm-2-1_6b", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("bloom-560m", "decode", "bf16", "adamw", 8, 1024, "eager", "none", {"decode": ("bf16", 4)}),
    ("falcon-rw-1b", "decode", "bf16", "adamw", 8, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("gpt-j-6b", "decode", "bf16", "adamw", 2, 2048, "eager", "none", {"decode": ("bf16", 4)}),
    ("granite-3.3-2b-instruct", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("exaone-4.0-1.2b", "decode", "bf16", "adamw", 8, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("glm-4-9b-0414", "decode", "bf16", "adamw", 4, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("olmoe-tiny", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("granitemoe-tiny", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("phimoe-tiny", "decode", "bf16", "adamw", 8, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("gpt-oss-tiny", "decode", "bf16", "adamw", 4, 2048, "eager", "none", {"decode": ("bf16", 4)}),
    ("llama4-tiny", "decode", "bf16", "adamw", 4, 1024, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("cohere2-tiny", "decode", "bf16", "adamw", 4, 8192, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("smollm3-3b", "decode", "bf16", "adamw", 4, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("ernie-4.5-0.3b", "decode", "bf16", "adamw", 16, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("deepseek-v3-tiny", "decode", "bf16", "adamw", 4, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("qwen1.5-moe-a2.7b", "decode", "bf16", "adamw", 4, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("llama-3-8b", "decode", "bf16", "adamw", 4, 4096, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("qwen2.5-7b", "decode", "bf16", "adamw", 2, 8192, "sdpa", "none", {"decode": ("bf16", 4)}),
    ("falcon-7b", "decode", "bf16", "adamw", 2, 2048, "sdpa", "none", {"decode": ("bf16", 4)}),
]


_SHARDING = {"fsdp_full_shard": "fsdp", "fsdp_shard_grad_op": "fsdpsgo", "none": "dp"}

# --- Sharded and tensor-parallel training (measure.py `distribute`): FSDP2 per decoder layer and
# root; tensor parallel with the config's plan, vocabulary-parallel embedding and head; both on a
# data x tensor mesh.
FULL, SGO = "fsdp_full_shard", "fsdp_shard_grad_op"
_ROWS_PARALLEL = [
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (2, 1, FULL)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (4, 1, FULL)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (8, 1, FULL)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (4, 1, SGO)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "full", {"parallel": (4, 1, FULL)}),
    ("llama-tiny-60m", "pretrain", "amp_bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (4, 1, FULL)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (1, 2, "none")}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (1, 4, "none")}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "full", {"parallel": (1, 2, "none")}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (2, 2, FULL)}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (4, 1, FULL), "accumulate": 2}),
    ("llama-tiny-60m", "lora", "bf16", "adamw", 8, 1024, "sdpa", "none",
     {"parallel": (4, 1, FULL), "lora": (16, ALL_LINEAR)}),
    ("llama-3-8b", "lora", "bf16", "adamw", 2, 4096, "sdpa", "full", {"parallel": (8, 1, FULL), "lora": (16, QV)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", {"parallel": (8, 1, FULL), "accumulate": 4}),
    # Other families: tied embeddings (Qwen2.5-1.5B, GPT-2), Conv1D and learned positions (GPT-2), a
    # mixture of experts (OLMoE), sliding-window attention (Mistral), fp32 (Qwen2.5-0.5B).
    ("qwen2.5-1.5b", "finetune", "bf16", "adamw", 4, 2048, "sdpa", "full", {"parallel": (4, 1, FULL)}),
    ("qwen2.5-0.5b", "finetune", "fp32", "adamw", 2, 2048, "sdpa", "none", {"parallel": (2, 1, SGO)}),
    ("gpt2-medium", "finetune", "amp_bf16", "adamw", 8, 1024, "sdpa", "none", {"parallel": (8, 1, FULL)}),
    ("olmoe-tiny", "pretrain", "bf16", "adamw", 4, 2048, "sdpa", "none", {"parallel": (4, 1, FULL)}),
    ("mistral-7b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", {"parallel": (8, 1, SGO)}),
    ("qwen2.5-7b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", {"parallel": (1, 4, "none")}),
    ("mistral-7b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", {"parallel": (1, 8, "none")}),
    ("llama-tiny-60m", "pretrain", "bf16", "adamw", 8, 1024, "sdpa", "full", {"parallel": (4, 2, SGO)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", {"parallel": (8, 1, FULL)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "full", {"parallel": (8, 1, SGO)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 2, 4096, "sdpa", "full", {"parallel": (4, 1, FULL)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 2048, "sdpa", "none", {"parallel": (8, 1, FULL)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 1, 4096, "sdpa", "full", {"parallel": (1, 8, "none")}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "none", {"parallel": (1, 4, "none")}),
    ("llama-2-7b", "finetune", "amp_bf16", "adamw", 1, 2048, "sdpa", "full", {"parallel": (8, 1, FULL)}),
    ("llama-3-8b", "finetune", "bf16", "adamw", 2, 4096, "sdpa", "full", {"parallel": (2, 4, FULL)}),
    ("llama-2-7b", "finetune", "bf16", "adamw", 2, 2048, "sdpa", "full", {"parallel": (4, 2, FULL)}),
]


def _make(row):
    cfg, task, prec, opt, b, s, attn, ckpt, extra = row
    req = {
        "model": {"hf_config_file": f"configs/{cfg}.json"},
        "task": task, "precision": prec, "optimizer": opt,
        "micro_batch": b, "sequence": s, "attention": attn, "checkpointing": ckpt,
    }
    parts = [cfg, prec]
    if task == "prefill":
        req["inference"] = {"prompt": s, "generate": 0, "kv_dtype": extra["prefill"]}
        parts += ["prefill"]
    elif task == "decode":
        kv_dtype, generate = extra["decode"]
        req["inference"] = {"prompt": s, "generate": generate, "kv_dtype": kv_dtype}
        parts += [f"decode{generate}"]
    else:
        parts += [_SHORT[task], opt]
    if extra and "lora" in extra:
        rank, targets = extra["lora"]
        req["lora"] = {"rank": rank, "alpha": 2 * rank, "targets": list(targets), "dtype": "fp32"}
        parts += [f"r{rank}" + ("all" if list(targets) == ALL_LINEAR else "-".join(t.split("_")[0] for t in targets))]
    parts += [f"b{b}", f"s{s}", attn]
    if ckpt == "full":
        parts.append("ckpt")
    if extra and "accumulate" in extra:
        req["parallel"] = {"micro_batches": extra["accumulate"]}
        parts.append(f"acc{extra['accumulate']}")
    if extra and "parallel" in extra:
        # (data, tensor, sharding): one rank of a fake process group of data x tensor ranks.
        dp, tp, sharding = extra["parallel"]
        req["parallel"] = {**req.get("parallel", {}), "data": dp, "tensor": tp, "sharding": sharding}
        if dp > 1:
            parts.append(f"{_SHARDING[sharding]}{dp}")
        if tp > 1:
            parts.append(f"tp{tp}")
    return {"id": "_".join(parts), "config": cfg, "request": req}


CASES = [_make(r) for r in _ROWS + _ROWS_12 + _ROWS_PARALLEL]

VALIDATION = [_make(r) for r in [
    ("val-llama-2l", "pretrain", "fp32", "adamw", 2, 64, "sdpa", "none", None),
    ("val-llama-2l", "pretrain", "bf16", "sgd_momentum", 2, 64, "eager", "full", None),
    ("val-llama-2l", "lora", "bf16", "adamw", 2, 64, "sdpa", "none", {"lora": (8, QV)}),
    ("val-gpt2-2l", "pretrain", "fp32", "adamw", 2, 64, "eager", "none", None),
    ("val-gpt2-2l", "pretrain", "amp_bf16", "adafactor", 2, 64, "sdpa", "none", None),
    ("val-llama-2l", "prefill", "bf16", "adamw", 2, 64, "sdpa", "none", {"prefill": "bf16"}),
]]

# Cases for inventory.py (saved-tensor listings under inventory/): small batch and sequence.
INVENTORY = [_make(r) for r in [
    ("llama-3.2-1b", "finetune", "bf16", "adamw", 1, 512, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "fp32", "adamw", 1, 512, "sdpa", "none", None),
    ("llama-3.2-1b", "finetune", "amp_bf16", "adamw", 1, 512, "sdpa", "none", None),
    ("llama-3.2-1b", "lora", "bf16", "adamw", 1, 512, "sdpa", "none", {"lora": (16, QV)}),
    ("llama-3.2-1b", "finetune", "bf16", "adamw", 1, 512, "sdpa", "full", None),
    ("gpt2", "finetune", "fp32", "adamw", 2, 256, "eager", "none", None),
    ("gpt2", "finetune", "amp_bf16", "adamw", 2, 256, "sdpa", "none", None),
    ("tinyllama-1.1b", "prefill", "bf16", "adamw", 1, 512, "sdpa", "none", {"prefill": "bf16"}),
]]

_ids = [c["id"] for c in CASES + VALIDATION + INVENTORY]
assert len(_ids) == len(set(_ids)), "duplicate case ids"


def by_id(case_id):
    for c in CASES + VALIDATION + INVENTORY:
        if c["id"] == case_id:
            return c
    raise KeyError(case_id)
