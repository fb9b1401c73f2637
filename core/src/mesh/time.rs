//! Step time of one training layout, from the work and the hardware: Calculon's structure
//! (Isaev et al., SC'23) with the parallel axes of Megatron-LM (Narayanan et al. 2021), sequence
//! parallelism and selective recomputation (Korthikanti et al. 2022), context and expert
//! parallelism, and ZeRO/FSDP sharding.
//!
//! Per micro-batch and pipeline stage: every matrix multiply of the stage's layers at a
//! size-dependent share of peak plus its memory traffic at a size-dependent share of bandwidth
//! (Calculon's `no_overlap` processing mode, the one its A100 and H100 systems use), the
//! memory-bound operations (norms, activations, residual adds, rotary, softmax, loss) at a share
//! of bandwidth, attention by kernel, recomputation, and the exposed collectives of the tensor,
//! context and expert axes. The pipeline runs `m + (p-1)/v` micro-batch times of its slowest
//! stage (1F1B, interleaved with `v` chunks: Narayanan et al. 2021, §2.2). Then the data-parallel
//! gradient reduction, overlapped with the last micro-batch's backward, and the optimizer step,
//! memory-bound.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::collective::{all_to_all_s, Collective, LinkSpeed};
use super::efficiency;
use super::efficiency::{attention_share, AttentionKernel};
use crate::model::ModelSpec;
use crate::plan::{
    frozen_weight_gradient_flops, hardware_flops_per_token, model_flops_per_token, FLOPS_CONVENTION,
};
use crate::request::{Checkpointing, Sharding};

/// The parallel axes, innermost (fastest links) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Tensor parallelism (with sequence parallelism when set).
    Tensor,
    /// Context parallelism: the sequence split across ranks in attention.
    Context,
    /// Expert parallelism: routed experts split across ranks of the data axis.
    Expert,
    /// Pipeline parallelism.
    Pipeline,
    /// Data parallelism (with ZeRO or FSDP sharding).
    Data,
}

/// One device's speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chip {
    /// Dense peak of the 16-bit compute dtype, TFLOP/s.
    pub peak_tflops: f64,
    /// Share of that peak the largest multiplies reach (MAMF, or a measured matmul).
    pub matmul_share: f64,
    /// Dense fp8 peak, TFLOP/s, and its matmul share, where the device has fp8 tensor cores.
    pub fp8: Option<(f64, f64)>,
    /// Hopper or later (FlashAttention-3 and cuDNN attention use its features).
    pub hopper_or_later: bool,
    /// Memory bandwidth, GB/s.
    pub memory_gbs: f64,
}

impl Chip {
    /// A catalogue accelerator's speed, under a power limit of `power_limit_w` when one is set
    /// below its TDP (clocks fall as the cube root of the power share: `plan::speed_at_power`),
    /// and with its memory bandwidth replaced by `memory_gbs` when given (a measured figure, or
    /// a variant the catalogue lacks).
    pub fn catalogue(
        spec: &crate::hardware::AcceleratorSpec,
        power_limit_w: Option<f64>,
        memory_gbs: Option<f64>,
    ) -> Option<Chip> {
        let peak = spec.tflops.bf16.or(spec.tflops.fp16)?;
        let speed = match (power_limit_w, spec.tdp_w) {
            (Some(limit), Some(tdp)) if limit < tdp => crate::plan::speed_at_power(limit / tdp),
            _ => 1.0,
        };
        let (share, fp8_share, _) = efficiency::matmul_share(spec.name);
        let arch = spec.architecture.to_ascii_lowercase();
        Some(Chip {
            peak_tflops: peak * speed,
            matmul_share: share,
            fp8: spec
                .tflops
                .fp8
                .map(|p| (p * speed, fp8_share.unwrap_or(share))),
            hopper_or_later: ["hopper", "blackwell"].iter().any(|a| arch.contains(a)),
            memory_gbs: memory_gbs.unwrap_or(spec.bandwidth_gbs),
        })
    }
}

/// The links a layout's axes run on: inside a machine and between machines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fabric {
    /// Devices per machine.
    pub per_machine: u64,
    /// Between devices of one machine.
    pub intra: LinkSpeed,
    /// Between machines, per device.
    pub inter: LinkSpeed,
}

/// A parallel layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Layout {
    /// Data-parallel replicas (expert parallelism is carved out of them).
    pub data: u64,
    /// Tensor-parallel degree.
    pub tensor: u64,
    /// Pipeline stages.
    pub pipeline: u64,
    /// Context-parallel degree.
    pub context: u64,
    /// Expert-parallel degree (divides `data` and the experts).
    pub expert: u64,
    /// Model chunks per pipeline stage (interleaved 1F1B); 1 for plain 1F1B.
    pub virtual_stages: u64,
    /// Megatron sequence parallelism with tensor parallelism.
    pub sequence_parallel: bool,
    /// Tensor-parallel collectives overlap the layer's multiplies (Transformer Engine's
    /// `tp_comm_overlap`, PyTorch async tensor parallelism); false: they run between them
    /// (Megatron-LM's default).
    pub overlap_tensor_comm: bool,
    /// The first and last pipeline stages hold one layer fewer, for the embedding and the head
    /// (Llama 3, Dubey et al. 2024, §3.3.2); false: layers split evenly.
    pub lighter_ends: bool,
    /// Sharding of model states across the data axis.
    pub sharding: Sharding,
    /// Sequences per micro-batch per data-parallel replica.
    pub micro_batch: u64,
    /// Micro-batches per optimizer step per replica (accumulation; pipeline micro-batches).
    pub micro_batches: u64,
    /// The data axis reduces gradients while the last micro-batch's backward runs (PyTorch DDP
    /// and FSDP, DeepSpeed, Megatron-Core's `--overlap-grad-reduce`); false when it reduces
    /// them after the whole backward (Megatron-LM before Megatron-Core: `train_step` called
    /// `allreduce_gradients` after `forward_backward_func` with its default `DDP_impl local`).
    pub overlap_grad_reduce: bool,
}

impl Layout {
    /// Data parallelism alone over `data` replicas: `micro_batch` sequences per micro-batch,
    /// `micro_batches` per step, states sharded by `sharding`, gradients reduced during the
    /// last backward.
    pub fn data_parallel(
        data: u64,
        sharding: Sharding,
        micro_batch: u64,
        micro_batches: u64,
    ) -> Layout {
        Layout {
            data,
            tensor: 1,
            pipeline: 1,
            context: 1,
            expert: 1,
            virtual_stages: 1,
            sequence_parallel: false,
            overlap_tensor_comm: false,
            lighter_ends: false,
            sharding,
            micro_batch,
            micro_batches,
            overlap_grad_reduce: true,
        }
    }

    /// Its axes of more than one rank, innermost first (`tp2 x pp4 x dp4 x v4`), or `one device`.
    pub fn axes(&self) -> String {
        let mut axes: Vec<String> = [
            ("tp", self.tensor),
            ("cp", self.context),
            ("ep", self.expert),
            ("pp", self.pipeline),
            ("dp", self.data),
        ]
        .iter()
        .filter(|(_, n)| *n > 1)
        .map(|(a, n)| alloc::format!("{a}{n}"))
        .collect();
        if self.virtual_stages > 1 {
            axes.push(alloc::format!("v{}", self.virtual_stages));
        }
        if axes.is_empty() {
            String::from("one device")
        } else {
            axes.join(" x ")
        }
    }

    /// Devices the layout occupies.
    pub fn devices(&self) -> u64 {
        self.data * self.tensor * self.pipeline * self.context
    }

    /// Sequences per optimizer step.
    pub fn global_batch(&self) -> u64 {
        self.data * self.micro_batch * self.micro_batches
    }
}

/// The work of one training step, apart from its layout.
#[derive(Debug, Clone, Copy)]
pub struct Work<'a> {
    /// The model.
    pub spec: &'a ModelSpec,
    /// Parameters used per token (MoE: active), as `Parameters::active`.
    pub active: u64,
    /// Every parameter, as `Parameters::total`.
    pub total: u64,
    /// Parameters that train (all for pretraining and fine-tuning; the adapters for LoRA):
    /// what the data axis reduces and the optimizer steps.
    pub trainable: u64,
    /// Tokens per sequence.
    pub sequence: u64,
    /// Activation recomputation.
    pub recompute: Checkpointing,
    /// Attention kernel.
    pub attention: AttentionKernel,
    /// Bytes per activation and weight element of the compute copy (2 for bf16 and fp16).
    pub compute_bytes: u64,
    /// The decoder's linear layers multiply in fp8 (Transformer Engine, torchao float8) with
    /// dynamic scaling; attention and the head stay in 16-bit.
    pub fp8_linears: bool,
    /// Bits per stored element of the frozen decoder linears when each multiply dequantizes
    /// them to the compute dtype first (QLoRA: bitsandbytes' `MatMul4Bit` dequantizes the 4-bit
    /// weight before the forward multiply and again for the input gradient); `None` for 16-bit
    /// weights.
    pub weight_bits: Option<f64>,
    /// Bytes per gradient element as reduced.
    pub grad_bytes: u64,
    /// Bytes of optimizer state per trained parameter (AdamW with fp32 master weights: 12).
    pub state_bytes: u64,
    /// The elementwise traffic of one micro-batch's forward as eager PyTorch runs the model's
    /// block programs (`memory::elementwise_traffic`: per layer, and for the head with the loss),
    /// or `None` for fused kernels (Megatron-LM, Transformer Engine): one pass per norm,
    /// activation, residual add and rotary, and the softmax passes of unfused attention.
    pub elementwise: Option<(f64, u64)>,
}

/// Time of one axis's collectives per optimizer step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct AxisTime {
    /// The axis.
    pub axis: Axis,
    /// What it runs, e.g. `2 all-reduce per layer, forward and backward`.
    pub what: String,
    /// Ranks in one group.
    pub ranks: u64,
    /// The group spans machines.
    pub crosses_machines: bool,
    /// The link it runs on.
    pub link: LinkSpeed,
    /// Time on the link per step, s.
    pub total_s: f64,
    /// Time not hidden behind compute per step, s (part of `step_s`).
    pub exposed_s: f64,
}

/// Step time, broken down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct StepTime {
    /// Forward and backward of every micro-batch on the slowest stage, s.
    pub compute_s: f64,
    /// Recomputed forward, s.
    pub recompute_s: f64,
    /// Collectives of each axis that has more than one rank.
    pub communication: Vec<AxisTime>,
    /// Pipeline fill and drain, s.
    pub bubble_s: f64,
    /// Optimizer step, s.
    pub optimizer_s: f64,
    /// Host-offloaded weights fetched over PCIe and not hidden behind the compute, s.
    pub offload_s: f64,
    /// One optimizer step, s.
    pub step_s: f64,
    /// Tokens per second over all devices.
    pub tokens_per_s: f64,
    /// Tokens per second per device.
    pub tokens_per_s_per_device: f64,
    /// Model FLOP/s per device, TFLOP/s, in the convention of `convention`.
    pub model_tflops_per_device: f64,
    /// Model FLOPs utilisation.
    pub mfu: f64,
    /// Hardware FLOPs utilisation (recomputation counted).
    pub hfu: f64,
    /// The pipeline stage that sets the pace: `first`, `last` or `middle`.
    pub slowest_stage: String,
    /// FLOP counting convention of `mfu`.
    pub convention: String,
}

/// Time of one multiply of `flops` FLOPs moving `bytes` (Calculon `no_overlap`), at `peak`
/// TFLOP/s whose largest multiplies reach `share` of it.
fn gemm_s(flops: f64, bytes: f64, peak: f64, share: f64, chip: &Chip) -> f64 {
    let rate = peak * 1e12 * share * efficiency::matrix(flops) / efficiency::MATRIX_PLATEAU;
    flops / rate + memory_s(bytes, chip)
}

/// Time of a memory-bound pass over `bytes`.
fn memory_s(bytes: f64, chip: &Chip) -> f64 {
    if bytes <= 0.0 {
        return 0.0;
    }
    bytes / (chip.memory_gbs * 1e9 * efficiency::memory(bytes))
}

/// Per micro-batch times of one average decoder layer on one rank.
struct LayerTimes {
    /// Forward, s.
    forward: f64,
    /// Backward, s.
    backward: f64,
    /// Attention core forward (what selective recomputation repeats), s.
    attention_forward: f64,
}

/// Where an axis of `ranks` ranks with `stride` inner ranks runs.
pub(super) fn axis_link(fabric: &Fabric, stride: u64, ranks: u64) -> (LinkSpeed, bool) {
    if stride.saturating_mul(ranks) <= fabric.per_machine {
        (fabric.intra, false)
    } else {
        (fabric.inter, true)
    }
}

/// The step time of `work` under `layout` on devices `chip` joined by `fabric`.
pub fn step_time(work: &Work<'_>, layout: &Layout, chip: &Chip, fabric: &Fabric) -> StepTime {
    let spec = work.spec;
    let tp = layout.tensor.max(1);
    let pp = layout.pipeline.max(1);
    let cp = layout.context.max(1);
    let ep = layout.expert.max(1);
    let v = layout.virtual_stages.max(1);
    let m = layout.micro_batches.max(1);
    let a = work.compute_bytes as f64;
    let b = layout.micro_batch as f64;
    let s = work.sequence as f64;
    let tokens = b * s / cp as f64; // tokens of one micro-batch on one rank
    let h = spec.hidden as f64;
    let layers = spec.layers.max(1) as f64;
    let tpf = tp as f64;

    // Matrix multiplies of the decoder, summed over the model on one rank, then averaged per layer.
    let (linear_peak, linear_share) = match (work.fp8_linears, chip.fp8) {
        (true, Some(fp8)) => fp8,
        _ => (chip.peak_tflops, chip.matmul_share),
    };
    let fp8 = work.fp8_linears && chip.fp8.is_some();
    let mut fwd_gemm = 0.0;
    let mut bwd_gemm = 0.0;
    // Routed experts from the model's MoE shape (some families hold them as bare 3-D
    // parameters, not linears): each MoE layer runs `experts` of `mats` matrices, each token
    // through `active` of them.
    let expert_mats = if spec.ffn.gated { 3.0 } else { 2.0 };
    let mut gemms: alloc::vec::Vec<(f64, f64, f64, f64)> = spec
        .linears()
        .iter()
        .filter(|l| l.in_decoder && !l.routed_expert)
        .map(|l| (l.count as f64, tokens, l.d_in as f64, l.d_out as f64))
        .collect();
    if let Some(moe) = spec.moe.filter(|m| m.experts > 0) {
        let per_rank = (spec.moe_layers() * moe.experts) as f64 / ep as f64;
        let rows = tokens * (ep * moe.active) as f64 / moe.experts as f64;
        let f = moe.expert_intermediate as f64;
        // Up (and gate) projections h -> f, then down f -> h.
        gemms.push((per_rank * (expert_mats - 1.0), rows, h, f));
        gemms.push((per_rank, rows, f, h));
    }
    for &(instances, rows, d_in, d_out) in &gemms {
        let flops = 2.0 * rows * d_in * d_out / tpf;
        let weight = d_in * d_out / tpf;
        let t = gemm_s(
            flops,
            (rows * (d_in + d_out) + weight) * a,
            linear_peak,
            linear_share,
            chip,
        );
        // fp8 with dynamic scaling reads each 16-bit operand twice (its absolute maximum, then
        // the cast) and writes its fp8 copy: the input and weight forward, the output gradient
        // backward (torchao `float8` README, "dynamic scaling"; Transformer Engine does the same
        // per tensor).
        let (cast_fwd, cast_bwd) = if fp8 {
            (
                memory_s((rows * d_in + weight) * (2.0 * a + 1.0), chip),
                memory_s(rows * d_out * (2.0 * a + 1.0), chip),
            )
        } else {
            (0.0, 0.0)
        };
        // Dequantization reads the stored weight and writes its compute-dtype copy, which the
        // multiply then reads (counted in `t`), forward and again for the input gradient.
        let dequant = work
            .weight_bits
            .map_or(0.0, |bits| memory_s(weight * (bits / 8.0 + a), chip));
        fwd_gemm += instances * (t + cast_fwd + dequant);
        // Backward: the input gradient and the weight gradient, each as large as the forward;
        // frozen weights (LoRA) need no weight gradient.
        let grads = if work.trainable < work.total {
            1.0
        } else {
            2.0
        };
        bwd_gemm += instances * (grads * t + cast_bwd + dequant);
    }

    // Attention core: scores and the weighted sum of values.
    let (qk_dim, v_dim) = match spec.mla {
        Some(mla) => (
            (mla.qk_nope_head_dim + mla.qk_rope_head_dim) as f64,
            mla.v_head_dim as f64,
        ),
        None => (spec.head_dim as f64, spec.head_dim as f64),
    };
    let heads = spec.heads as f64 / tpf;
    let local = spec
        .sliding_window
        .map_or(0, |w| w.local_layers(spec.layers)) as f64;
    let window = spec.sliding_window.map_or(s, |w| (w.window as f64).min(s));
    let mean_keys = (s * (layers - local) + window * local) / layers;
    let fused = !matches!(work.attention, AttentionKernel::Eager);
    // Fused causal kernels skip the masked half (FlashAttention-2, Dao 2023, §3.1); eager
    // attention multiplies the whole square.
    let causal = if fused { 0.5 } else { 1.0 };
    let attn_flops = 2.0 * b * (s / cp as f64) * mean_keys * heads * (qk_dim + v_dim) * causal;
    let qkvo_bytes = tokens * heads * (2.0 * qk_dim + 2.0 * v_dim) * a;
    let scores = b * heads * (s / cp as f64) * mean_keys;
    let (peak, share) = (chip.peak_tflops, chip.matmul_share);
    let (attn_fwd, attn_bwd) = if fused {
        let rate = chip.peak_tflops * 1e12 * attention_share(work.attention, chip.hopper_or_later);
        // FlashAttention's backward runs five multiplies to the forward's two (Dao 2023, §3.1.2).
        (
            attn_flops / rate + memory_s(qkvo_bytes, chip),
            2.5 * attn_flops / rate + memory_s(2.0 * qkvo_bytes, chip),
        )
    } else {
        // Eager: scores written, softmax read and written, probabilities read by the second
        // multiply, 16-bit each: 4 passes forward, twice that backward. Attention dropout reads
        // the probabilities, writes them and a byte mask; its backward reads the gradient and
        // the mask and writes the gradient.
        let dropout = if spec.dropout.attention > 0.0 {
            (2.0 * a + 1.0) * scores
        } else {
            0.0
        };
        // The block programs count these passes themselves.
        let passes = if work.elementwise.is_some() { 0.0 } else { 1.0 };
        (
            gemm_s(attn_flops, qkvo_bytes, peak, share, chip)
                + passes * memory_s(4.0 * scores * a + dropout, chip),
            gemm_s(2.0 * attn_flops, 2.0 * qkvo_bytes, peak, share, chip)
                + passes * memory_s(8.0 * scores * a + dropout, chip),
        )
    };

    // Memory-bound passes of one layer, forward: each norm reads and writes the residual stream,
    // each residual add reads two and writes one, the activation reads its inputs and writes
    // its output, rotary reads and writes queries and keys. Sequence parallelism splits the
    // norms and adds across the tensor ranks (Korthikanti et al. 2022, §4.2.2).
    let sp_split = if layout.sequence_parallel { tpf } else { 1.0 };
    let stream = tokens * h * a / sp_split;
    let ffn_width = match spec.moe {
        Some(moe) => {
            let moe_w = (moe.active * moe.expert_intermediate + moe.shared_intermediate) as f64;
            let moe_layers = spec.moe_layers() as f64;
            (moe_w * moe_layers + spec.ffn.intermediate as f64 * (layers - moe_layers)) / layers
        }
        None => spec.ffn.intermediate as f64,
    };
    let act_in = if spec.ffn.gated { 2.0 } else { 1.0 };
    let activation = tokens * ffn_width / tpf * (act_in + 1.0) * a;
    let rotary = if spec.learned_positions == 0 && !spec.alibi {
        2.0 * tokens * (spec.heads + spec.kv_heads) as f64 * spec.head_dim as f64 / tpf * a
    } else {
        0.0
    };
    // Residual dropout (fused with the bias and the add in Megatron-LM) adds a byte mask per
    // element of the stream at each of the two adds.
    let residual_dropout = if spec.dropout.residual > 0.0 {
        2.0 * stream / a
    } else {
        0.0
    };
    let vector_fwd =
        spec.norm.per_layer as f64 * 2.0 * stream + 2.0 * 3.0 * stream + residual_dropout;
    let mem_fwd = match work.elementwise {
        Some((layer_bytes, _)) => layer_bytes / (chip.memory_gbs * 1e9),
        None => memory_s(vector_fwd, chip) + memory_s(activation, chip) + memory_s(rotary, chip),
    };

    let layer = LayerTimes {
        forward: fwd_gemm / layers + attn_fwd + mem_fwd,
        backward: bwd_gemm / layers + attn_bwd + 2.0 * mem_fwd,
        attention_forward: attn_fwd,
    };

    // Output head and loss on the last stage: the vocabulary multiply (tensor-parallel over the
    // vocabulary) and the fp32 cross-entropy (logits read, fp32 written and read for the
    // log-sum-exp; backward writes and reads the fp32 gradient and writes the 16-bit one).
    let head_in = spec.embed_proj_dim.unwrap_or(spec.hidden) as f64;
    let vocab = spec.vocab as f64 / tpf;
    let head_flops = 2.0 * tokens * head_in * vocab;
    let head_bytes = (tokens * (head_in + vocab) + head_in * vocab) * a;
    let logits = tokens * vocab;
    let head_gemm = gemm_s(head_flops, head_bytes, peak, share, chip);
    let loss_s = match work.elementwise {
        Some((_, head_bytes)) => head_bytes as f64 / (chip.memory_gbs * 1e9),
        None => memory_s(logits * (a + 8.0), chip),
    };
    let head_fwd = head_gemm + loss_s;
    let head_bwd = 2.0 * head_gemm + loss_s;
    // Embedding lookup: one row per token written (its backward scatters the same).
    let embed = memory_s(tokens * h * a, chip);

    // Tensor axis: two all-reduces of the residual stream per layer forward and two backward
    // (Megatron's f and g operators, Shoeybi et al. 2019, §3), or with sequence parallelism two
    // all-gathers and two reduce-scatters each way, the same bytes (Korthikanti et al. 2022,
    // §4.2.2); full recomputation repeats the forward's. Exposed unless overlapped with the
    // layer's multiplies.
    let (tp_link, tp_cross) = axis_link(fabric, 1, tp);
    let tp_message = tokens * h * a;
    let recompute_tp = if matches!(work.recompute, Checkpointing::Full) {
        2.0
    } else {
        0.0
    };
    let tp_per_layer =
        (4.0 + recompute_tp) * Collective::AllReduce.seconds(tp_message, tp, tp_link);
    let gemm_per_layer = (fwd_gemm + bwd_gemm) / layers;
    let tp_exposed_layer = if layout.overlap_tensor_comm {
        (tp_per_layer - gemm_per_layer).max(0.0)
    } else {
        tp_per_layer
    };

    // Context axis: each layer all-gathers keys and values over the context ranks and its
    // backward reduce-scatters their gradients (Llama 3's all-gather context parallelism,
    // Dubey et al. 2024, §3.3.2), hidden behind the attention core where it can be.
    let (cp_link, cp_cross) = axis_link(fabric, tp, cp);
    let kv_bytes = b * s * 2.0 * (spec.kv_heads as f64 / tpf).max(1.0) * spec.head_dim as f64 * a;
    let cp_fwd = Collective::AllGather.seconds(kv_bytes, cp, cp_link);
    let cp_bwd = Collective::ReduceScatter.seconds(kv_bytes, cp, cp_link);
    let cp_per_layer = cp_fwd + cp_bwd;
    let cp_exposed = (cp_fwd - attn_fwd).max(0.0) + (cp_bwd - attn_bwd).max(0.0);

    // Expert axis: a dispatch and a combine all-to-all per MoE layer each way (GShard, Lepikhin
    // et al. 2020, §2.2), not overlapped.
    // Across machines, each token's pieces for the same machine stay on its links.
    let (ep_link, ep_cross) = axis_link(fabric, tp * cp, ep);
    let moe_share = spec.moe_layers() as f64 / layers;
    let ep_message = tokens * spec.moe.map_or(0, |m| m.active) as f64 * h * a;
    let ep_local = (fabric.per_machine / (tp * cp)).max(1);
    let ep_per_layer =
        moe_share * 4.0 * all_to_all_s(ep_message, ep, ep_local, fabric.intra, fabric.inter);

    // Stages: the first with the embedding, the last with the head; layers split evenly (the
    // last stage takes what remains) or with one layer fewer on both ends.
    let (end_layers, middle_layers, last_layers) = if pp == 1 {
        (layers, layers, layers)
    } else if layout.lighter_ends && pp > 2 {
        let middle = (spec.layers + 2).div_ceil(pp) as f64;
        (middle - 1.0, middle, middle - 1.0)
    } else {
        let each = spec.layers.div_ceil(pp);
        let last = spec.layers.saturating_sub(each * (pp - 1)) as f64;
        (each as f64, each as f64, last)
    };
    let recompute_layer = match work.recompute {
        Checkpointing::None => 0.0,
        Checkpointing::Selective => layer.attention_forward,
        Checkpointing::Full => layer.forward,
    };
    let layer_total = layer.forward
        + layer.backward
        + recompute_layer
        + tp_exposed_layer
        + cp_exposed
        + ep_per_layer;
    // Pipeline point-to-point: the stage's activations forward and their gradients backward,
    // scattered over the tensor ranks (Narayanan et al. 2021, §4.1), per model chunk.
    let (pp_link, pp_cross) = axis_link(fabric, tp * cp * ep, pp);
    let pp_message = tokens * h * a / tpf;
    let p2p = if pp > 1 {
        2.0 * v as f64 * Collective::PointToPoint.seconds(pp_message, 2, pp_link)
    } else {
        0.0
    };
    let stage = |layers: f64, first: bool, last: bool| -> f64 {
        layers * layer_total
            + if first { 2.0 * embed } else { 0.0 }
            + if last { head_fwd + head_bwd } else { 0.0 }
            + p2p
    };
    let (micro_s, slowest, per_stage) = if pp == 1 {
        (stage(layers, true, true), "first", layers)
    } else {
        let candidates = [
            (stage(end_layers, true, false), "first", end_layers),
            (stage(last_layers, false, true), "last", last_layers),
            (
                if pp > 2 {
                    stage(middle_layers, false, false)
                } else {
                    0.0
                },
                "middle",
                middle_layers,
            ),
        ];
        candidates
            .into_iter()
            .fold(candidates[0], |a, b| if b.0 > a.0 { b } else { a })
    };
    let bubble = (pp - 1) as f64 / v as f64 * micro_s;
    let pipe_s = m as f64 * micro_s + bubble;

    // Data axis: the stage's gradients reduced over the replicas (all-reduce; reduce-scatter
    // when sharded, then the updated weights all-gathered), overlapped with the last
    // micro-batch's backward (Li et al. 2020, "PyTorch Distributed", §3.2.3). ZeRO-3 and FSDP
    // gather each layer's weights before its forward and backward, hidden behind the layer.
    // Routed experts are split over the expert ranks and reduced over the `data / expert`
    // replicas of each; the rest over all `data` replicas.
    let dp = layout.data.max(1);
    let (dp_link, dp_cross) = axis_link(fabric, tp * cp * pp, dp);
    let expert_total = spec.moe.map_or(0.0, |moe| {
        (spec.moe_layers() * moe.experts) as f64 * expert_mats * h * moe.expert_intermediate as f64
    });
    let stage = |params: f64| params / (tpf * pp as f64);
    let dense_params = stage(work.total as f64 - expert_total);
    let expert_params = stage(expert_total) / ep as f64;
    let stage_params = dense_params + expert_params;
    let edp = (dp / ep).max(1);
    // Adapters (LoRA) train a share of the parameters: only their gradients are reduced.
    let trained = work.trainable as f64 / work.total.max(1) as f64;
    let grads = dense_params * trained * work.grad_bytes as f64;
    let weights = dense_params * a;
    let expert_grads = expert_params * trained * work.grad_bytes as f64;
    let expert_weights = expert_params * a;
    let backward_last = if layout.overlap_grad_reduce {
        per_stage * layer.backward
    } else {
        0.0
    };
    let reduce = |grads: f64, weights: f64, n: u64| -> (f64, f64) {
        match layout.sharding {
            Sharding::None => {
                let t = Collective::AllReduce.seconds(grads, n, dp_link);
                (t, t)
            }
            Sharding::Zero1 | Sharding::Zero2 => {
                let rs = Collective::ReduceScatter.seconds(grads, n, dp_link);
                let ag = Collective::AllGather.seconds(weights, n, dp_link);
                (rs + ag, rs)
            }
            Sharding::Zero3 | Sharding::FsdpFullShard | Sharding::FsdpShardGradOp => {
                let rs = Collective::ReduceScatter.seconds(grads, n, dp_link);
                (rs, rs)
            }
        }
    };
    // Each pair: the time on the link, and the part that may hide behind the last backward.
    let (dense_t, dense_hideable) = reduce(grads, weights, dp);
    let (expert_t, expert_hideable) = reduce(expert_grads, expert_weights, edp);
    let hideable = dense_hideable + expert_hideable;
    let reduced = dense_t + expert_t;
    let grad_exposed = (hideable - backward_last).max(0.0) + (reduced - hideable);
    let (dp_total, dp_exposed) = match layout.sharding {
        Sharding::Zero3 | Sharding::FsdpFullShard | Sharding::FsdpShardGradOp => {
            let gathers = if matches!(layout.sharding, Sharding::FsdpShardGradOp) {
                1.0
            } else {
                2.0
            };
            let ag_layer = Collective::AllGather.seconds(weights / per_stage, dp, dp_link)
                + Collective::AllGather.seconds(expert_weights / per_stage, edp, dp_link);
            let per_mb = per_stage
                * ((ag_layer - layer.forward).max(0.0)
                    + (gathers - 1.0) * (ag_layer - layer.backward).max(0.0));
            (
                m as f64 * per_stage * gathers * ag_layer + reduced,
                m as f64 * per_mb + grad_exposed,
            )
        }
        _ => (reduced, grad_exposed),
    };

    // Optimizer step: memory-bound over the parameters this rank updates; each reads and writes
    // its states, reads its gradient and writes its compute copy.
    let updated = trained
        * if matches!(layout.sharding, Sharding::None) {
            stage_params
        } else {
            dense_params / dp as f64 + expert_params / edp as f64
        };
    let step_bytes = updated * (2.0 * work.state_bytes as f64 + work.grad_bytes as f64 + a + a);
    let optimizer_s = memory_s(step_bytes, chip);

    let step_s = pipe_s + dp_exposed + optimizer_s;
    let mut communication = Vec::with_capacity(5);
    let mut push = |axis, what: &str, ranks: u64, cross, link, total: f64, exposed: f64| {
        if ranks > 1 {
            communication.push(AxisTime {
                axis,
                what: String::from(what),
                ranks,
                crosses_machines: cross,
                link,
                total_s: total,
                exposed_s: exposed,
            });
        }
    };
    let per_step_layers = m as f64 * per_stage;
    let tp_what = if layout.sequence_parallel {
        "2 all-gathers and 2 reduce-scatters of the activations per layer, each way"
    } else {
        "2 all-reduces of the activations per layer, each way"
    };
    push(
        Axis::Tensor,
        tp_what,
        tp,
        tp_cross,
        tp_link,
        per_step_layers * tp_per_layer,
        per_step_layers * tp_exposed_layer,
    );
    push(
        Axis::Context,
        "keys and values all-gathered per layer, their gradients reduce-scattered",
        cp,
        cp_cross,
        cp_link,
        per_step_layers * cp_per_layer,
        per_step_layers * cp_exposed,
    );
    push(
        Axis::Expert,
        "dispatch and combine all-to-all per MoE layer, each way",
        ep,
        ep_cross,
        ep_link,
        per_step_layers * ep_per_layer,
        per_step_layers * ep_per_layer,
    );
    push(
        Axis::Pipeline,
        "activations and their gradients sent to the neighbouring stage",
        pp,
        pp_cross,
        pp_link,
        m as f64 * p2p,
        m as f64 * p2p,
    );
    let dp_what = match layout.sharding {
        Sharding::None => "gradients all-reduced",
        Sharding::Zero1 | Sharding::Zero2 => {
            "gradients reduce-scattered, updated weights all-gathered"
        }
        _ => "weights all-gathered per layer, gradients reduce-scattered",
    };
    push(
        Axis::Data,
        dp_what,
        dp,
        dp_cross,
        dp_link,
        dp_total,
        dp_exposed,
    );

    let devices = layout.devices() as f64;
    let step_tokens = layout.global_batch() as f64 * s;
    let tokens_per_s = step_tokens / step_s;
    // Frozen weights (LoRA, QLoRA) need no weight gradient: neither count counts it.
    let frozen = if work.trainable < work.total {
        frozen_weight_gradient_flops(spec, work.active)
    } else {
        0.0
    };
    let model = model_flops_per_token(spec, work.active, work.sequence) - frozen;
    let hardware =
        hardware_flops_per_token(spec, work.active, work.sequence, work.recompute) - frozen;
    let peak = chip.peak_tflops * 1e12 * devices;
    let recompute_s = m as f64 * per_stage * recompute_layer;
    StepTime {
        compute_s: m as f64
            * (micro_s
                - p2p
                - per_stage * (recompute_layer + tp_exposed_layer + cp_exposed + ep_per_layer)),
        recompute_s,
        communication,
        bubble_s: bubble,
        optimizer_s,
        offload_s: 0.0,
        step_s,
        tokens_per_s,
        tokens_per_s_per_device: tokens_per_s / devices,
        model_tflops_per_device: tokens_per_s * model / devices / 1e12,
        mfu: tokens_per_s * model / peak,
        hfu: tokens_per_s * hardware / peak,
        slowest_stage: String::from(slowest),
        convention: String::from(FLOPS_CONVENTION),
    }
}
