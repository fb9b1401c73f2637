//! Warnings and suggestions: every code the estimate and the plan emit, and the sentence of each.
//!
//! A warning carries a stable code and one sentence with its numbers. The code is what programs
//! match on (it is a closed set, serialised in snake_case); the sentence is for people. Each code's
//! sentence is built here, from typed numbers (bytes, seconds, watts), so the code that decides
//! *when* to warn never spells a code or formats a message itself.

use alloc::format;
use alloc::string::String;
use serde::{Deserialize, Serialize};

use crate::math::gib;
use crate::plan::Mode;
use crate::text::Text;
use crate::wire::wire_names;

/// A condition worth acting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct Warning {
    /// Stable identifier, e.g. `does_not_fit`.
    pub code: WarningCode,
    /// One sentence with the numbers.
    pub message: String,
}

/// The stable identifier of a warning or suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// The peak exceeds the device's usable memory (estimate) or the mode's memory target (plan).
    DoesNotFit,
    /// The request's tokens exceed the positions the model was trained for.
    SequenceBeyondContext,
    /// The model soft-caps attention scores, which SDPA cannot do, so attention runs eager.
    AttentionRunsEager,
    /// Logits and the loss's buffers are more than a quarter of the estimate's peak.
    LogitsDominate,
    /// The optimizer step's temporaries are more than a tenth of the peak.
    OptimizerStepPeak,
    /// The run does not finish within the mode's (or the user's) wall-clock budget.
    TimeBudgetExceeded,
    /// The micro-batch had to go below the mode's range to fit.
    BelowModeRange,
    /// Logits and the loss take more than a quarter of a configuration's peak.
    LargeVocabLogits,
    /// QLoRA peaks at least as high as LoRA on the 16-bit model.
    QloraExceedsLora,
    /// The input pipeline needs more than the measured storage read rate.
    DataLoadingBottleneck,
    /// The dataset and two checkpoints need more than the free disk space.
    DiskSpace,
    /// The mode asks for less power than the device will draw, and its limit cannot be set.
    PowerAboveTarget,
    /// The accelerators run at full power for the whole run.
    PowerNearLimit,
    /// A laptop, or a GPU already close to its slowdown temperature, before a full-power run.
    ThermalRisk,
    /// The machine runs on battery.
    OnBattery,
    /// Swap is in use before training starts.
    SwapInUse,
    /// The root file system is on a spinning disk.
    HddStreaming,
    /// The GPU has no bf16.
    NoBf16,
    /// No FlashAttention kernel on this GPU.
    NoFlashAttention,
    /// The container's memory limit is below the host's memory.
    CgroupLimit,
    /// The GPU may wire only part of the unified memory (Metal working set).
    UnifiedMemoryLimit,
    /// There is no GPU: training runs on the CPU.
    CpuOnly,
    /// The device's peak throughput is unknown, so time and energy are not computed.
    SpeedUnknown,
    /// Suggestion: a GPU trains far faster than this CPU.
    UseAGpu,
    /// Suggestion: the GPUs talk over a slow link.
    SlowInterconnect,
    /// At a fixed global batch, more devices each do less: utilisation falls with the count.
    FixedBatchScaling,
    /// Streaming the dataset from where it lives is slower than training consumes tokens.
    DataPathBound,
    /// Tokenisation and shuffling need more temporary disk than is free.
    TemporaryDisk,
    /// The whole system would draw more than the safe share of the power supply's rating.
    PsuHeadroom,
}

wire_names!(WarningCode, "warning code", {
    DoesNotFit => "does_not_fit",
    SequenceBeyondContext => "sequence_beyond_context",
    AttentionRunsEager => "attention_runs_eager",
    LogitsDominate => "logits_dominate",
    OptimizerStepPeak => "optimizer_step_peak",
    TimeBudgetExceeded => "time_budget_exceeded",
    BelowModeRange => "below_mode_range",
    LargeVocabLogits => "large_vocab_logits",
    QloraExceedsLora => "qlora_exceeds_lora",
    DataLoadingBottleneck => "data_loading_bottleneck",
    DiskSpace => "disk_space",
    PowerAboveTarget => "power_above_target",
    PowerNearLimit => "power_near_limit",
    ThermalRisk => "thermal_risk",
    OnBattery => "on_battery",
    SwapInUse => "swap_in_use",
    HddStreaming => "hdd_streaming",
    NoBf16 => "no_bf16",
    NoFlashAttention => "no_flash_attention",
    CgroupLimit => "cgroup_limit",
    UnifiedMemoryLimit => "unified_memory_limit",
    CpuOnly => "cpu_only",
    SpeedUnknown => "speed_unknown",
    UseAGpu => "use_a_gpu",
    SlowInterconnect => "slow_interconnect",
    FixedBatchScaling => "fixed_batch_scaling",
    DataPathBound => "data_path_bound",
    TemporaryDisk => "temporary_disk",
    PsuHeadroom => "psu_headroom",
});

/// A mode's memory target, as the plan's memory warnings state it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemoryTarget {
    /// The mode.
    pub mode: Mode,
    /// The target, bytes.
    pub target_bytes: u64,
    /// The mode's share of usable memory.
    pub share: f64,
    /// Usable memory of one device, bytes.
    pub usable_bytes: u64,
}

/// The smallest setting a plan reports when nothing fits its memory target.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SmallestSetting {
    /// Serving `sequences` sequences of `tokens` tokens.
    Serving {
        /// Sequences served at once on one device.
        sequences: u64,
        /// Context of each.
        tokens: u64,
    },
    /// Training at this micro-batch and sequence with full recomputation.
    Training {
        /// Sequences per device per step.
        micro_batch: u64,
        /// Tokens per sequence.
        sequence: u64,
    },
}

impl Warning {
    fn new(code: WarningCode, message: String) -> Warning {
        Warning { code, message }
    }

    // The estimate's warnings.

    /// `does_not_fit` of an estimate: the peak exceeds the device's usable memory.
    pub(crate) fn exceeds_device(peak_bytes: u64, usable_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::DoesNotFit,
            format!(
                "peak {:.2} GiB exceeds the {:.2} GiB usable on the device by {:.2} GiB",
                gib(peak_bytes),
                gib(usable_bytes),
                gib(peak_bytes.saturating_sub(usable_bytes))
            ),
        )
    }

    /// `sequence_beyond_context`: `tokens` beyond the model's trained positions.
    pub(crate) fn sequence_beyond_context(tokens: u64, max_positions: u64, model: &str) -> Warning {
        Warning::new(
            WarningCode::SequenceBeyondContext,
            format!("{tokens} tokens exceed the {max_positions} positions {model} was trained for"),
        )
    }

    /// `attention_runs_eager`: eager attention keeps `score_bytes` per token, head and layer.
    pub(crate) fn attention_runs_eager(model: &str, score_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::AttentionRunsEager,
            format!(
                "{model} soft-caps attention scores, which SDPA cannot do: the estimate uses eager attention, which keeps about {score_bytes} bytes of scores per token, head and layer (tanh, fp32 softmax and bf16 probabilities)"
            ),
        )
    }

    /// `logits_dominate`: logits and loss buffers of `logits_bytes`, `percent` of the peak.
    pub(crate) fn logits_dominate(logits_bytes: u64, percent: u64) -> Warning {
        Warning::new(
            WarningCode::LogitsDominate,
            Text::new()
                .s("logits and loss buffers take ")
                .gib(logits_bytes)
                .s(" GiB (")
                .n(percent)
                .s(" % of the peak); a chunked or fused cross-entropy (loss: fused) avoids most of it")
                .done(),
        )
    }

    /// `optimizer_step_peak`: the optimizer step's temporaries at the peak.
    pub(crate) fn optimizer_step_peak(temporaries_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::OptimizerStepPeak,
            Text::new()
                .s("the optimizer step's temporaries take ")
                .gib(temporaries_bytes)
                .s(" GiB at the peak; optimizer_impl fused avoids them")
                .done(),
        )
    }

    // A configuration's warnings.

    /// `does_not_fit` of a plan: even the smallest setting peaks above the mode's target;
    /// `qlora_peak_bytes` is QLoRA's peak when that would fit.
    pub(crate) fn does_not_fit_target(
        setting: SmallestSetting,
        peak_bytes: u64,
        target: MemoryTarget,
        qlora_peak_bytes: Option<u64>,
    ) -> Warning {
        let setting = match setting {
            SmallestSetting::Serving { sequences, tokens } => format!(
                "serving {} sequence{} of {} tokens",
                sequences,
                if sequences == 1 { "" } else { "s" },
                tokens
            ),
            SmallestSetting::Training {
                micro_batch,
                sequence,
            } => {
                format!("micro-batch {micro_batch} and sequence {sequence} with full recomputation")
            }
        };
        let alternative = qlora_peak_bytes.map(|q| {
            format!(
                "; QLoRA (4-bit base weights) would peak at {:.1} GiB and fit",
                gib(q)
            )
        });
        Warning::new(
            WarningCode::DoesNotFit,
            format!(
                "even {} the peak is {:.1} GiB, above the {} target of {:.1} GiB ({:.0} % of {:.1} GiB){}",
                setting,
                gib(peak_bytes),
                target.mode.as_str(),
                gib(target.target_bytes),
                target.share * 100.0,
                gib(target.usable_bytes),
                alternative.unwrap_or_default()
            ),
        )
    }

    /// `time_budget_exceeded` of pretraining: even the smallest ladder model `model` does not
    /// train on `tokens_per_parameter` within `budget_s`.
    pub(crate) fn smallest_model_over_budget(
        model: &str,
        tokens_per_parameter: f64,
        mode: Mode,
        budget_s: f64,
    ) -> Warning {
        Warning::new(
            WarningCode::TimeBudgetExceeded,
            format!(
                "even the smallest model ({}) does not train on {:.0} tokens per parameter within the {} budget of {:.1} h",
                model,
                tokens_per_parameter,
                mode.as_str(),
                budget_s / 3600.0
            ),
        )
    }

    /// `time_budget_exceeded`: `total_s` of training at `tokens_per_s` exceeds `budget_s`.
    pub(crate) fn time_budget_exceeded(
        total_s: f64,
        tokens_per_s: f64,
        mode: Mode,
        budget_s: f64,
    ) -> Warning {
        Warning::new(
            WarningCode::TimeBudgetExceeded,
            format!(
                "{:.1} h of training at {:.0} tokens/s exceeds the {} budget of {:.1} h",
                total_s / 3600.0,
                tokens_per_s,
                mode.as_str(),
                budget_s / 3600.0
            ),
        )
    }

    /// `time_budget_exceeded` of a two-phase run: both phases together, `total_s`, exceed the
    /// budget though phase A alone does not.
    pub(crate) fn phases_over_budget(total_s: f64, mode: Mode, budget_s: f64) -> Warning {
        Warning::new(
            WarningCode::TimeBudgetExceeded,
            format!(
                "phases A and B together take {:.1} h, past the {} budget of {:.1} h",
                total_s / 3600.0,
                mode.as_str(),
                budget_s / 3600.0
            ),
        )
    }

    /// Appends to a `time_budget_exceeded` warning what fits the budget instead.
    pub(crate) fn add_budget_options(&mut self, over: &crate::plan::OverBudget) {
        let t = over.tokens_in_budget as f64;
        let tokens = if t >= 1e9 {
            format!("{:.1}B", t / 1e9)
        } else if t >= 1e6 {
            format!("{:.1}M", t / 1e6)
        } else {
            format!("{:.0}K", t / 1e3)
        };
        self.message = format!(
            "{}; within the budget it trains {tokens} tokens ({:.1} per parameter, {:.3} nats more loss by Chinchilla's fit), or it needs a budget of {:.1} h (goal.hours), or a faster device",
            self.message,
            over.tokens_per_parameter_in_budget,
            over.loss_increase,
            over.hours_needed
        );
    }

    /// `speed_unknown`: the peak throughput of `device` is not known.
    pub(crate) fn speed_unknown(device: &str) -> Warning {
        Warning::new(
            WarningCode::SpeedUnknown,
            format!(
                "the peak throughput of {device} is not known (not in the catalogue, not measured); run `trainfit probe --benchmark` or give peak_tflops, so time and energy can be computed"
            ),
        )
    }

    /// `data_loading_bottleneck`: training reads `need_mbs` but storage measured `have_mbs`.
    pub(crate) fn data_loading_bottleneck(need_mbs: f64, have_mbs: f64) -> Warning {
        Warning::new(
            WarningCode::DataLoadingBottleneck,
            format!(
                "training reads {need_mbs:.1} MB/s of tokens but storage measured {have_mbs:.0} MB/s"
            ),
        )
    }

    /// `disk_space`: the dataset and two checkpoints need `needed_bytes`, `free_bytes` are free.
    pub(crate) fn disk_space(
        dataset_bytes: u64,
        checkpoint_bytes: u64,
        needed_bytes: u64,
        free_bytes: u64,
    ) -> Warning {
        Warning::new(
            WarningCode::DiskSpace,
            format!(
                "the dataset ({:.1} GB) and two checkpoints ({:.1} GB each) need {:.1} GB, {:.1} GB are free",
                dataset_bytes as f64 / 1e9,
                checkpoint_bytes as f64 / 1e9,
                needed_bytes as f64 / 1e9,
                free_bytes as f64 / 1e9
            ),
        )
    }

    /// `data_path_bound`: streaming from `location` delivers `stream_tokens_per_s` (the source at
    /// `source_mbs` and `stored_bytes_per_token`, tokenising on the fly at `tokenizer_tokens_per_s`)
    /// but training takes `train_tokens_per_s`; pre-tokenising takes `tokenise_s` and the shards
    /// would be cached in `cache`, which keeps up or not (`cache_keeps_up`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn data_path_bound(
        location: &str,
        stream_tokens_per_s: f64,
        train_tokens_per_s: f64,
        source_mbs: f64,
        stored_bytes_per_token: f64,
        tokenizer_tokens_per_s: f64,
        tokenise_s: f64,
        cache: &str,
        cache_keeps_up: Option<bool>,
    ) -> Warning {
        let limit = if tokenizer_tokens_per_s <= stream_tokens_per_s {
            format!(
                "tokenising on the fly ({:.0} tokens/s) is the limit",
                tokenizer_tokens_per_s
            )
        } else {
            format!(
                "the source ({source_mbs:.0} MB/s at {stored_bytes_per_token:.2} bytes per token) is the limit"
            )
        };
        let fix = match cache_keeps_up {
            Some(false) => format!(
                "pre-tokenise ({:.1} h) and cache the shards in {cache}, though even that reads slower than training: add DataLoader workers and a faster disk",
                tokenise_s / 3600.0
            ),
            _ => format!(
                "pre-tokenise ({:.1} h) and cache the shards in {cache}, or add DataLoader workers",
                tokenise_s / 3600.0
            ),
        };
        Warning::new(
            WarningCode::DataPathBound,
            format!(
                "streaming from {location} delivers {stream_tokens_per_s:.0} tokens/s but training takes {train_tokens_per_s:.0}: the data path, not the accelerator, sets the pace; {limit}; {fix}"
            ),
        )
    }

    /// `temporary_disk`: the download (`download_bytes`), the tokenised shards
    /// (`tokenised_bytes`) and the shuffle index need `needed_bytes`, `free_bytes` are free.
    pub(crate) fn temporary_disk(
        download_bytes: u64,
        tokenised_bytes: u64,
        needed_bytes: u64,
        free_bytes: u64,
    ) -> Warning {
        Warning::new(
            WarningCode::TemporaryDisk,
            format!(
                "tokenising and shuffling need {:.1} GB of temporary disk (download {:.1} GB, tokenised shards {:.1} GB, shuffle index), {:.1} GB are free: train on fewer tokens, stream the download, or free disk",
                needed_bytes as f64 / 1e9,
                download_bytes as f64 / 1e9,
                tokenised_bytes as f64 / 1e9,
                free_bytes as f64 / 1e9
            ),
        )
    }

    /// `psu_headroom`: in `mode` the system would draw `unconstrained_w` (accelerators, CPU and
    /// the rest in `parts_w`) against `safe_share` of a `psu_w` supply; `cap_w` is the
    /// per-device cap the plan sets to fit, bringing it to `capped_w`; `settable` says whether
    /// the devices' limit can be set at all.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn psu_headroom(
        mode: Mode,
        unconstrained_w: f64,
        parts_w: (f64, f64, f64),
        psu_w: f64,
        safe_share: f64,
        cap_w: Option<f64>,
        capped_w: f64,
        settable: bool,
    ) -> Warning {
        let (acc, cpu, rest) = parts_w;
        let safe_w = safe_share * psu_w;
        let head = format!(
            "{} would draw about {:.0} W (accelerators {:.0} W, CPU {:.0} W, rest {:.0} W), above {:.0} % of the {:.0} W power supply ({:.0} W) that leaves room for GPU power spikes",
            mode.as_str(),
            unconstrained_w,
            acc,
            cpu,
            rest,
            safe_share * 100.0,
            psu_w,
            safe_w
        );
        let fix = match cap_w {
            Some(c) if capped_w <= safe_w * 1.0001 => format!(
                "the plan caps each GPU at {c:.0} W (`nvidia-smi -pl {c:.0}`), {capped_w:.0} W in all"
            ),
            Some(c) => format!(
                "even the lowest settable cap, {c:.0} W per GPU, leaves {capped_w:.0} W: use a supply of at least {:.0} W or fewer GPUs",
                capped_w / safe_share
            ),
            None if settable => format!(
                "use a supply of at least {:.0} W or fewer GPUs",
                unconstrained_w / safe_share
            ),
            None => format!(
                "the power limit cannot be set here: use a supply of at least {:.0} W",
                unconstrained_w / safe_share
            ),
        };
        Warning::new(WarningCode::PsuHeadroom, format!("{head}; {fix}"))
    }

    /// `power_above_target`: the mode asks for `fraction` of TDP, the device will draw `draw_w`.
    pub(crate) fn power_above_target(mode: Mode, fraction: f64, draw_w: f64) -> Warning {
        Warning::new(
            WarningCode::PowerAboveTarget,
            format!(
                "{} asks for at most {:.0} % of TDP but this device's power limit cannot be read or set; expect about {:.0} W",
                mode.as_str(),
                fraction * 100.0,
                draw_w
            ),
        )
    }

    /// `thermal_risk` of a GPU at `temperature_c`, within `margin_c` of its `slowdown_c`.
    pub(crate) fn thermal_risk_hot(temperature_c: f64, slowdown_c: f64, margin_c: f64) -> Warning {
        Warning::new(
            WarningCode::ThermalRisk,
            format!(
                "the GPU is at {temperature_c:.0} °C, within {margin_c:.0} °C of its {slowdown_c:.0} °C slowdown point, before a sustained full-power run"
            ),
        )
    }

    /// `thermal_risk` of a laptop at full load for `run_s` seconds.
    pub(crate) fn thermal_risk_laptop(run_s: f64) -> Warning {
        Warning::new(
            WarningCode::ThermalRisk,
            format!(
                "a laptop at full load for {:.1} h will throttle: raise it for airflow, keep it on mains, expect clocks below the estimate",
                run_s / 3600.0
            ),
        )
    }

    /// `power_near_limit`: extreme runs the accelerators at `draw_w` in all.
    pub(crate) fn power_near_limit(draw_w: f64) -> Warning {
        Warning::new(
            WarningCode::PowerNearLimit,
            format!(
                "extreme runs the accelerators at their full power ({draw_w:.0} W in all) for the whole run: check the power supply and cooling"
            ),
        )
    }

    /// `large_vocab_logits`: logits and loss take `logits_bytes` of `peak_bytes`, for a
    /// vocabulary of `vocab` and `tokens` per micro-batch.
    pub(crate) fn large_vocab_logits(
        logits_bytes: u64,
        peak_bytes: u64,
        vocab: u64,
        tokens: u64,
    ) -> Warning {
        Warning::new(
            WarningCode::LargeVocabLogits,
            format!(
                "logits and loss take {:.1} GiB of the {:.1} GiB peak ({:.0} %): vocabulary {} x {} tokens per micro-batch; a fused cross-entropy (Liger, loss: fused) avoids most of it",
                gib(logits_bytes),
                gib(peak_bytes),
                logits_bytes as f64 * 100.0 / peak_bytes as f64,
                vocab,
                tokens
            ),
        )
    }

    /// `qlora_exceeds_lora`: QLoRA peaks at `qlora_bytes`, LoRA at `lora_bytes`.
    pub(crate) fn qlora_exceeds_lora(qlora_bytes: u64, lora_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::QloraExceedsLora,
            format!(
                "QLoRA peaks at {:.2} GiB, LoRA on the 16-bit model at {:.2} GiB: at this size the dequantisation buffers outweigh the 4-bit savings; use LoRA",
                gib(qlora_bytes),
                gib(lora_bytes)
            ),
        )
    }

    /// `below_mode_range`: micro-batch `micro_batch` is below the mode's lower bound `lowest`.
    pub(crate) fn below_mode_range(micro_batch: u64, lowest: u64, target: MemoryTarget) -> Warning {
        Warning::new(
            WarningCode::BelowModeRange,
            format!(
                "micro-batch {} is below the {} range ({}+) to fit {:.1} GiB",
                micro_batch,
                target.mode.as_str(),
                lowest,
                gib(target.target_bytes)
            ),
        )
    }

    /// `below_mode_range`: sequence `sequence` is below the mode's shortest, `shortest`.
    pub(crate) fn sequence_below_mode_range(
        sequence: u64,
        shortest: u64,
        target: MemoryTarget,
    ) -> Warning {
        Warning::new(
            WarningCode::BelowModeRange,
            format!(
                "sequence {} tokens is below the {} range ({}+) to fit {:.1} GiB",
                sequence,
                target.mode.as_str(),
                shortest,
                gib(target.target_bytes)
            ),
        )
    }

    // The machine's warnings and suggestions.

    /// `on_battery`, with the charge in percent when known.
    pub(crate) fn on_battery(charge_percent: Option<f64>) -> Warning {
        Warning::new(
            WarningCode::OnBattery,
            format!(
                "running on battery ({}): laptops cut GPU and CPU power on battery; plug in before training",
                charge_percent.map_or(String::from("charge unknown"), |b| format!("{b:.0} %"))
            ),
        )
    }

    /// `does_not_fit` on a cluster: no layout of the mesh search fits the mode's target (the
    /// search's message says how many were tried against what).
    pub(crate) fn no_mesh_fits(e: &crate::error::Error) -> Warning {
        Warning::new(
            WarningCode::DoesNotFit,
            format!("no parallel layout of the cluster fits: {e}"),
        )
    }

    /// `fixed_batch_scaling`: at `global_batch` sequences, MFU falls from `from_mfu` on
    /// `from_devices` devices to `to_mfu` on `to_devices`.
    pub(crate) fn fixed_batch_scaling(
        global_batch: u64,
        from_devices: u64,
        from_mfu: f64,
        to_devices: u64,
        to_mfu: f64,
    ) -> Warning {
        Warning::new(
            WarningCode::FixedBatchScaling,
            format!(
                "at a fixed global batch of {global_batch} sequences, MFU falls from {:.0} % on {from_devices} devices to {:.0} % on {to_devices}: each device gets fewer micro-batches; a larger batch (with the learning rate scaled by the square root of the batch ratio) keeps them busy",
                100.0 * from_mfu,
                100.0 * to_mfu
            ),
        )
    }

    /// `swap_in_use`: `used_bytes` of swap in use.
    pub(crate) fn swap_in_use(used_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::SwapInUse,
            format!(
                "{:.1} GiB of swap in use: memory is short before training starts",
                gib(used_bytes)
            ),
        )
    }

    /// `hdd_streaming`: the root file system is on a spinning disk.
    pub(crate) fn hdd_streaming() -> Warning {
        Warning::new(
            WarningCode::HddStreaming,
            String::from("the root file system is on a spinning disk: keep the dataset on an SSD or in RAM, or pre-tokenise it into one contiguous file"),
        )
    }

    /// `no_bf16`: `device` has no bf16, with the reason for the recipe chosen instead.
    pub(crate) fn no_bf16(device: &str, reason: &str) -> Warning {
        Warning::new(
            WarningCode::NoBf16,
            format!("{device} has no bf16: {reason}"),
        )
    }

    /// `no_flash_attention` on `device`.
    pub(crate) fn no_flash_attention(device: &str) -> Warning {
        Warning::new(
            WarningCode::NoFlashAttention,
            format!(
                "FlashAttention is not available on {device}: attention uses PyTorch's SDPA kernels"
            ),
        )
    }

    /// `cgroup_limit`: the container may use `limit_bytes` of the host's `total_bytes`.
    pub(crate) fn cgroup_limit(limit_bytes: u64, total_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::CgroupLimit,
            format!(
                "this container may use {:.1} GiB of the host's {:.1} GiB; plans use the limit",
                gib(limit_bytes),
                gib(total_bytes)
            ),
        )
    }

    /// `unified_memory_limit`: the GPU may wire `working_set_bytes` of `total_bytes`.
    pub(crate) fn unified_memory_limit(working_set_bytes: u64, total_bytes: u64) -> Warning {
        Warning::new(
            WarningCode::UnifiedMemoryLimit,
            format!(
                "the GPU may wire {:.1} GiB of the {:.1} GiB unified memory (Metal working set); `sudo sysctl iogpu.wired_limit_mb=N` raises it until reboot",
                gib(working_set_bytes),
                gib(total_bytes)
            ),
        )
    }

    /// `cpu_only`: training runs on the CPU `device` with `threads` threads.
    pub(crate) fn cpu_only(device: &str, threads: u32) -> Warning {
        Warning::new(
            WarningCode::CpuOnly,
            format!(
                "no GPU: training runs on {device} with {threads} threads (one per physical core)"
            ),
        )
    }

    /// Suggestion `use_a_gpu`.
    pub(crate) fn use_a_gpu() -> Warning {
        Warning::new(
            WarningCode::UseAGpu,
            String::from("a rented GPU trains 10-100x faster than a CPU; `trainfit plan` with that GPU's profile shows what fits"),
        )
    }

    /// Suggestion `slow_interconnect`: the GPUs talk at `link_gbs`, over PCIe inside one
    /// machine or over the network between machines.
    pub(crate) fn slow_interconnect(link_gbs: f64, between_machines: bool) -> Warning {
        let over = if between_machines {
            "the network between machines"
        } else {
            "PCIe"
        };
        Warning::new(
            WarningCode::SlowInterconnect,
            format!(
                "GPUs talk over {over} at about {link_gbs:.0} GB/s: prefer gradient accumulation (fewer all-reduces) or ZeRO-1 over ZeRO-3"
            ),
        )
    }
}
