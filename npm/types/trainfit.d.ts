/* tslint:disable */
/* eslint-disable */

/** The stable code of every error an export throws (the core's error kinds). */
export type ErrorCode = "invalid_field" | "missing_field" | "unsupported_model_type" | "unknown_model" | "invalid_json" | "schema_version" | "overflow" | "no_device" | "unsupported";

/** What every export throws: an `Error` whose `message` names the field, the value and what was
 * expected, with a `code` to branch on and, when it is about one, the `field`'s path
 * (`goal.model.hf_config.hidden_size`). */
export interface TrainfitError extends Error {
    code: ErrorCode;
    field?: string;
}


/**
 * A GPU matrix-multiply result.
 */
export interface GpuMatmul {
    /**
     * Adapter name.
     */
    adapter: string;
    /**
     * PCI bus id, when the backend reports it.
     */
    pci_bus_id?: string | null;
    /**
     * wgpu backend used: Vulkan, Metal or DX12.
     */
    backend?: Backend | null;
    /**
     * Matrix side.
     */
    n: number;
    /**
     * Achieved fp32 TFLOP/s of a plain tiled WGSL kernel: a floor, well below vendor libraries.
     */
    tflops: Value<number>;
}

/**
 * A PCIe link.
 */
export interface Pcie {
    /**
     * Generation now (drops at idle to save power).
     */
    gen_current?: number | null;
    /**
     * Highest generation the link supports.
     */
    gen_max?: number | null;
    /**
     * Lanes now.
     */
    width_current?: number | null;
    /**
     * Most lanes the link supports.
     */
    width_max?: number | null;
}

/**
 * A WebGPU adapter as `GPUAdapter.info`, `.limits` and `.features` describe it
 * (<https://www.w3.org/TR/webgpu/#gpuadapterinfo>).
 */
export interface WebGpuAdapter {
    /**
     * `info.vendor`, lowercase, e.g. `nvidia`, `amd`, `intel`, `apple`, `google`; empty when
     * the browser withholds it.
     */
    vendor: string;
    /**
     * `info.architecture`, e.g. `lovelace`, `rdna-3`, `gen-12lp`, `common-3`, `swiftshader`.
     */
    architecture: string;
    /**
     * `info.device`, a vendor-specific identifier; usually empty.
     */
    device: string;
    /**
     * `info.description`, the driver's name for the adapter; usually empty.
     */
    description: string;
    /**
     * `info.isFallbackAdapter` (Chromium moved it there from `GPUAdapter`): a software
     * implementation or one with major performance caveats.
     */
    is_fallback_adapter: boolean | null;
    /**
     * Limits that bound the buffers a computation can use.
     */
    limits: WebGpuLimits;
    /**
     * Optional features the adapter supports, e.g. `shader-f16`, `subgroups`, `timestamp-query`.
     */
    features: string[];
}

/**
 * A catalogue model as every front end lists it: `trainfit models --json` and the npm
 * package's `models()` give the same array of these.
 */
export interface CatalogueModel {
    /**
     * Catalogue id, e.g. `llama-3-8b`: what `{"catalogue": ...}` takes.
     */
    id: string;
    /**
     * Hugging Face repository, e.g. `meta-llama/Meta-Llama-3-8B`.
     */
    repo: string;
    /**
     * Architecture family.
     */
    family: Family;
    /**
     * All parameters.
     */
    parameters: number;
    /**
     * Parameters each token runs through (fewer than `parameters` for mixture-of-experts).
     */
    active_parameters: number;
}

/**
 * A condition worth acting on.
 */
export interface Warning {
    /**
     * Stable identifier, e.g. `does_not_fit`.
     */
    code: WarningCode;
    /**
     * One sentence with the numbers.
     */
    message: string;
}

/**
 * A device to move the job to.
 */
export type TargetDevice = "cpu";

/**
 * A format with what it produces, for listings.
 */
export interface FormatInfo {
    /**
     * The format's name (`--format`).
     */
    format: Format;
    /**
     * `training` or `serving`.
     */
    kind: string;
    /**
     * One line: the engine and the files.
     */
    description: string;
}

/**
 * A generated model's shape (Llama architecture: RMSNorm, SwiGLU, rotary, untied head).
 */
export interface Shape {
    /**
     * Decoder layers.
     */
    layers: number;
    /**
     * Hidden size.
     */
    hidden: number;
    /**
     * Attention heads.
     */
    heads: number;
    /**
     * SwiGLU intermediate size.
     */
    intermediate: number;
    /**
     * Vocabulary.
     */
    vocab: number;
}

/**
 * A learning-rate schedule after the warm-up.
 */
export type Schedule = "cosine" | "constant" | "linear";

/**
 * A link as a collective sees it.
 */
export interface LinkSpeed {
    /**
     * Bus bandwidth one device gets, per direction, GB/s (what nccl-tests reports as `busbw`).
     */
    bandwidth_gbs: number;
    /**
     * Latency of one message, µs.
     */
    latency_us: number;
}

/**
 * A link of the cluster as a plan reports it.
 */
export interface ClusterLink {
    /**
     * What the link is.
     */
    class: LinkClass;
    /**
     * Bus bandwidth one device gets, per direction, GB/s.
     */
    bandwidth_gbs: number;
    /**
     * Latency of one message, µs.
     */
    latency_us: number;
    /**
     * Where the numbers come from.
     */
    why: string;
}

/**
 * A link: its class, and what one device gets on it where known.
 */
export interface Link {
    /**
     * Which machines it joins: no name for the fabric (every pair of machines no other link
     * names), one name for the devices inside that machine, two names for the machines between
     * them (the same name twice: two machines of a group with `count` above 1). Default: none.
     */
    machines?: string[];
    /**
     * What the link is.
     */
    class: LinkClass;
    /**
     * NCCL-style bus bandwidth one device gets on this link, per direction, GB/s: what an
     * all-reduce's `busbw` reports; `measured` when `trainfit net test` measured it. Default:
     * from the profiles' interfaces of this class, else the class default.
     */
    bandwidth_gbs?: Value<number> | null;
    /**
     * Latency of one message, one way, microseconds. Default: the class default.
     */
    latency_us?: Value<number> | null;
}

/**
 * A machine, or a group of identical machines.
 */
export interface Machine {
    /**
     * The name links use. Default: the profile's `hostname`, else `machine-<index>` (from 0).
     */
    name?: string | null;
    /**
     * How many machines of this profile (64 for "64 of this 8xH100 node"). Default: 1.
     */
    count?: number;
    /**
     * The machine, as `trainfit probe --json` prints it (or typed by hand). Completed as it is
     * read: catalogue figures and the flat summary are filled where absent.
     */
    profile: HardwareProfile;
}

/**
 * A model's architecture as engines take it as settings: sizes, attention grouping, feed-forward
 * block, positions, normalisation, biases and experts (from the resolved model spec, whose
 * fields name the `config.json` keys they come from).
 */
export interface Architecture {
    /**
     * Hugging Face `model_type`.
     */
    family: Family;
    /**
     * Decoder layers (`num_hidden_layers`).
     */
    layers: number;
    /**
     * Hidden size (`hidden_size`).
     */
    hidden: number;
    /**
     * Query heads (`num_attention_heads`).
     */
    heads: number;
    /**
     * Key/value heads (`num_key_value_heads`); fewer than `heads` with grouped-query attention.
     */
    kv_heads: number;
    /**
     * Width of one head (`head_dim`, else `hidden / heads`).
     */
    head_dim: number;
    /**
     * Width of the dense feed-forward block (`intermediate_size`).
     */
    intermediate: number;
    /**
     * Feed-forward activation.
     */
    activation: Activation;
    /**
     * Gated feed-forward block (SwiGLU with SiLU, GeGLU with GELU).
     */
    gated: boolean;
    /**
     * Vocabulary rows (`vocab_size`).
     */
    vocab: number;
    /**
     * Longest context the checkpoint was trained for (`max_position_embeddings`).
     */
    max_positions: number;
    /**
     * How positions enter the model.
     */
    positions: Positions;
    /**
     * The output projection shares the token embedding (`tie_word_embeddings`).
     */
    tied_embeddings: boolean;
    /**
     * Normalisation layers' kind.
     */
    norm: NormKind;
    /**
     * Queries and keys are normalised inside attention.
     */
    qk_norm: boolean;
    /**
     * Which projections carry a bias vector.
     */
    bias: Bias;
    /**
     * Mixture-of-experts layers; absent for a dense model.
     */
    moe: ArchitectureMoe | null;
    /**
     * Multi-head latent attention (DeepSeek-V2/V3).
     */
    latent_attention: boolean;
    /**
     * Attention and feed-forward read the same input (GPT-NeoX, GPT-J, Phi-2).
     */
    parallel_residual: boolean;
    /**
     * Sliding-window (or chunked) attention's window in tokens, on some or all layers.
     */
    sliding_window: number | null;
    /**
     * Logits or attention scores pass through a `tanh` soft cap (Gemma-2).
     */
    softcap: boolean;
}

/**
 * A network result.
 */
export interface NetworkBenchmark {
    /**
     * The peer as given, `HOST:PORT`.
     */
    peer: string;
    /**
     * This host to the peer, Gbit/s.
     */
    send_gbps?: Value<number> | null;
    /**
     * The peer to this host, Gbit/s.
     */
    receive_gbps?: Value<number> | null;
    /**
     * Round-trip latency, microseconds (median of small messages).
     */
    latency_us?: Value<number> | null;
}

/**
 * A number and where it came from.
 */
export interface Value<T> {
    /**
     * The number, in the unit its field name says.
     */
    value: T;
    /**
     * Where it came from.
     */
    source: Source;
}

/**
 * A numeric type an accelerator's matrix units run at full rate.
 */
export type MatrixDtype = "fp64" | "fp32" | "tf32" | "fp16" | "bf16" | "fp8" | "int8";

/**
 * A parallel layout.
 */
export interface Layout {
    /**
     * Data-parallel replicas (expert parallelism is carved out of them).
     */
    data: number;
    /**
     * Tensor-parallel degree.
     */
    tensor: number;
    /**
     * Pipeline stages.
     */
    pipeline: number;
    /**
     * Context-parallel degree.
     */
    context: number;
    /**
     * Expert-parallel degree (divides `data` and the experts).
     */
    expert: number;
    /**
     * Model chunks per pipeline stage (interleaved 1F1B); 1 for plain 1F1B.
     */
    virtual_stages: number;
    /**
     * Megatron sequence parallelism with tensor parallelism.
     */
    sequence_parallel: boolean;
    /**
     * Tensor-parallel collectives overlap the layer's multiplies (Transformer Engine's
     * `tp_comm_overlap`, PyTorch async tensor parallelism); false: they run between them
     * (Megatron-LM's default).
     */
    overlap_tensor_comm: boolean;
    /**
     * The first and last pipeline stages hold one layer fewer, for the embedding and the head
     * (Llama 3, Dubey et al. 2024, §3.3.2); false: layers split evenly.
     */
    lighter_ends: boolean;
    /**
     * Sharding of model states across the data axis.
     */
    sharding: Sharding;
    /**
     * Sequences per micro-batch per data-parallel replica.
     */
    micro_batch: number;
    /**
     * Micro-batches per optimizer step per replica (accumulation; pipeline micro-batches).
     */
    micro_batches: number;
    /**
     * The data axis reduces gradients while the last micro-batch's backward runs (PyTorch DDP
     * and FSDP, DeepSpeed, Megatron-Core's `--overlap-grad-reduce`); false when it reduces
     * them after the whole backward (Megatron-LM before Megatron-Core: `train_step` called
     * `allreduce_gradients` after `forward_backward_func` with its default `DDP_impl local`).
     */
    overlap_grad_reduce: boolean;
}

/**
 * A phase of a training or inference step.
 */
export type Phase = "forward" | "backward" | "optimizer_step" | "prefill" | "decode";

/**
 * A planning mode.
 */
export type Mode = "conservative" | "balanced" | "extreme";

/**
 * A public pretraining dataset of trainfit's table.
 */
export type KnownDataset = "fineweb" | "fineweb_edu" | "slimpajama" | "pile" | "openwebtext";

/**
 * A reader that contributed to an accelerator's entry.
 */
export type Reader = "nvml" | "sysfs" | "wgpu" | "sysinfo" | "metal" | "ioreg" | "catalogue" | "webgpu";

/**
 * A reader that failed.
 */
export interface ProbeError {
    /**
     * Profile section it would have filled, e.g. `accelerators`, `memory`.
     */
    section: string;
    /**
     * The reader, e.g. `nvml`, `/sys/fs/cgroup/memory.max`, `wgpu`.
     */
    source: string;
    /**
     * What went wrong.
     */
    message: string;
}

/**
 * A storage result.
 */
export interface StorageBenchmark {
    /**
     * Directory the test file was written in.
     */
    path: string;
    /**
     * Bytes written and read back.
     */
    size_bytes: number;
    /**
     * Sequential write, MB/s (1e6), synced to the device.
     */
    write_mbs?: Value<number> | null;
    /**
     * Sequential read, MB/s (1e6), bypassing the page cache.
     */
    read_mbs?: Value<number> | null;
    /**
     * Whether the page cache was bypassed (`O_DIRECT`); when false the read may be cached.
     */
    direct_io?: boolean | null;
}

/**
 * Accelerator vendor.
 */
export type Vendor = "nvidia" | "amd" | "intel" | "apple" | "other";

/**
 * Activation function of the feed-forward block.
 */
export type Activation = "gelu" | "gelu_tanh" | "gelu_new" | "relu" | "silu";

/**
 * Activation recomputation (gradient checkpointing).
 */
export type Checkpointing = "none" | "selective" | "full";

/**
 * An adjustment of the out-of-memory fallback ladder.
 */
export type FallbackAction = "halve_micro_batch" | "full_checkpointing" | "adamw_8bit" | "offload_optimizer" | "halve_sequence" | "mesh_layout";

/**
 * An engine format.
 */
export type Format = "torchrun" | "training_arguments" | "accelerate" | "deepspeed" | "torchtitan" | "megatron" | "peft" | "unsloth" | "axolotl" | "slurm" | "kubeflow" | "mlx" | "vllm" | "sglang" | "llama_cpp";

/**
 * Architecture family, as named by Hugging Face `model_type`.
 */
export type Family = "gpt2" | "gpt_neox" | "opt" | "llama" | "mistral" | "mixtral" | "qwen2" | "qwen2_moe" | "qwen3" | "qwen3_moe" | "gemma" | "gemma2" | "gemma3" | "phi3" | "olmo" | "olmo2" | "deepseek_v2" | "deepseek_v3" | "phi" | "starcoder2" | "gpt_bigcode" | "granite" | "granitemoe" | "olmoe" | "phimoe" | "smollm3" | "ernie4_5" | "glm4" | "exaone4" | "gpt_oss" | "stablelm" | "cohere" | "cohere2" | "gptj" | "bloom" | "falcon" | "llama4";

/**
 * Attention kernel.
 */
export type AttentionImpl = "eager" | "sdpa" | "flash";

/**
 * Attention kernels and the share of the 16-bit peak they reach.
 */
export type AttentionKernel = "eager" | "flash2" | "flash3";

/**
 * Battery state as the operating system reports it.
 */
export type BatteryStatus = "charging" | "discharging" | "full" | "not_charging" | "unknown";

/**
 * Benchmark results.
 */
export interface Benchmarks {
    /**
     * Multi-threaded STREAM triad (`a[i] = b[i] + s·c[i]`), counting 3 × 8 bytes per element as STREAM does.
     */
    memory_bandwidth_gbs?: Value<number> | null;
    /**
     * Threads the memory and CPU benchmarks used.
     */
    cpu_threads?: number | null;
    /**
     * Multi-threaded fp32 matrix multiply on the CPU, GFLOP/s (2·n³ per product).
     */
    cpu_matmul_gflops?: Value<number> | null;
    /**
     * fp32 matrix multiply through a wgpu compute shader, per real GPU adapter.
     */
    gpu_matmul?: GpuMatmul[];
    /**
     * Sequential storage throughput, per directory tested.
     */
    storage?: StorageBenchmark[];
    /**
     * Throughput to other hosts measured with `trainfit net test`.
     */
    network?: NetworkBenchmark[];
    /**
     * Wall time of all benchmarks, milliseconds.
     */
    duration_ms?: number | null;
}

/**
 * Choices the user fixes; the search fills in the rest.
 */
export interface MeshConstraints {
    /**
     * Seed 003's `mesh_shape`: `[data, model]`, the model axis being tensor parallelism; or
     * `[data, tensor, pipeline]`. Named axes below take priority over it.
     */
    shape?: number[];
    /**
     * Data-parallel replicas.
     */
    data?: number;
    /**
     * Tensor-parallel degree.
     */
    tensor?: number;
    /**
     * Pipeline stages.
     */
    pipeline?: number;
    /**
     * Context-parallel degree.
     */
    context?: number;
    /**
     * Expert-parallel degree.
     */
    expert?: number;
    /**
     * Model chunks per pipeline stage (interleaved 1F1B).
     */
    virtual_stages?: number;
    /**
     * Sharding across the data axis.
     */
    sharding?: Sharding;
    /**
     * Activation recomputation.
     */
    recompute?: Checkpointing;
    /**
     * Sequences per micro-batch.
     */
    micro_batch?: number;
}

/**
 * Closest common point of the path between two accelerators, nearest first.
 */
export type LinkLevel = "nvlink" | "board" | "pcie_switch" | "pcie_switches" | "host_bridge" | "numa_node" | "system";

/**
 * Compute stack that drives an accelerator (or that a benchmark ran through).
 */
export type Backend = "cuda" | "rocm" | "metal" | "xpu" | "vulkan" | "dx12" | "other";

/**
 * Container runtime the probe ran in.
 */
export type Container = "kubernetes" | "docker" | "podman" | "lxc" | "systemd_nspawn" | "other";

/**
 * Cross-entropy implementation.
 */
export type LossImpl = "upcast" | "fused";

/**
 * Dropout probabilities.
 */
export interface Dropout {
    /**
     * On the embedding output (`embd_pdrop`).
     */
    embedding?: number;
    /**
     * On the attention probabilities (`attn_pdrop`, `attention_dropout`).
     */
    attention?: number;
    /**
     * On each residual branch (`resid_pdrop`, `hidden_dropout`).
     */
    residual?: number;
}

/**
 * Element types.
 */
export type Dtype = "fp32" | "bf16" | "fp16" | "fp8" | "int8";

/**
 * Everything `estimate` needs.
 *
 * Fields with a default may be omitted from the JSON.
 */
export interface EstimateRequest {
    /**
     * Document version. Default: the current version (1).
     */
    schema_version?: number;
    /**
     * The model: a catalogue name, a pasted Hugging Face `config.json`, or a full spec.
     */
    model: ModelSource;
    /**
     * What is done with the model. Default: `finetune`.
     */
    task?: Task;
    /**
     * Sequences per device per forward pass (micro-batch). Default: 1.
     */
    micro_batch?: number;
    /**
     * Tokens per sequence; for inference, the prompt length. Default: 2048.
     */
    sequence?: number;
    /**
     * Numeric recipe of weights, gradients and compute. Default: `bf16`.
     */
    precision?: Precision;
    /**
     * Gradient dtype when it differs from the weights (`fp32` main grads as in Megatron-LM). Default: the weights' dtype.
     */
    grad_dtype?: Dtype;
    /**
     * Optimizer. Default: `adamw`.
     */
    optimizer?: Optimizer;
    /**
     * How the optimizer step is executed; decides its temporaries. Default: `foreach` (PyTorch's CUDA default).
     */
    optimizer_impl?: OptimizerImpl;
    /**
     * Attention kernel. Default: `sdpa`.
     */
    attention?: AttentionImpl;
    /**
     * Activation recomputation. Default: `none`.
     */
    checkpointing?: Checkpointing;
    /**
     * Cross-entropy implementation. Default: `upcast` (Hugging Face: fp32 logits, then the loss).
     */
    loss?: LossImpl;
    /**
     * LoRA adapters; required for tasks `lora` and `qlora`.
     */
    lora?: Lora;
    /**
     * Quantisation of the frozen base weights; required for `qlora`, allowed for inference.
     */
    quantization?: Quantization;
    /**
     * Serving shape; required for tasks `prefill` and `decode`.
     */
    inference?: Inference;
    /**
     * Parallelism and sharding. Default: one device.
     */
    parallel?: Parallel;
    /**
     * Framework and device overheads. Default: PyTorch on CUDA.
     */
    runtime?: Runtime;
}

/**
 * Everything about one machine that matters for training and serving models.
 *
 * The fields from `device_id` to `max_recommended_model_size_gb` are the flat device summary of
 * the earlier MLX cluster tooling, kept at the top level so its readers work unchanged; they are
 * derived from the detailed sections when the profile is completed.
 *
 * Every profile the core reads from JSON is complete: `parse_profile` completes and checks it,
 * a plan request completes its `profile` as it is read and `plan` checks it, and the probe
 * completes what it collects. Completing is idempotent, so a complete profile written out and
 * read back is unchanged. Only the derived `Deserialize` on its own, or a profile built in code,
 * is as written: call `HardwareProfile::complete` on it before planning.
 */
export interface HardwareProfile {
    /**
     * Document version. Default: the current version (1).
     */
    schema_version?: number;
    /**
     * Who wrote this profile, when, and how long it took.
     */
    probe?: ProbeInfo;
    /**
     * Stable identifier of this machine: a one-way hash of its machine id (or, where it has none,
     * of its host name, CPU and memory), so the machine id itself is not revealed.
     */
    device_id?: string | null;
    /**
     * Host name; `null` when redacted.
     */
    hostname?: string | null;
    /**
     * Short name of the machine's main compute part, e.g. `M4 Pro`, `NVIDIA GeForce RTX 4090`, or the CPU brand on a CPU-only box.
     */
    model?: string | null;
    /**
     * System memory in GiB (the cgroup limit when lower).
     */
    memory_gb?: number | null;
    /**
     * GPU cores: Apple GPU cores, NVIDIA CUDA cores, AMD compute units; summed over accelerators.
     */
    gpu_cores?: number | null;
    /**
     * Physical CPU cores.
     */
    cpu_cores?: number | null;
    /**
     * Performance cores on a hybrid CPU (Apple P-cores, Intel P-cores).
     */
    cpu_performance_cores?: number | null;
    /**
     * Efficiency cores on a hybrid CPU.
     */
    cpu_efficiency_cores?: number | null;
    /**
     * Apple Neural Engine cores (from the chip table); `null` elsewhere.
     */
    neural_engine_cores?: number | null;
    /**
     * Network bandwidth to other hosts in Gbit/s: the measured `trainfit net test` figure when
     * present, else the fastest active interface's link speed.
     */
    bandwidth_gbps?: number | null;
    /**
     * Whether Apple's Metal (and so MLX) can run here: an Apple-silicon Mac with a Metal device.
     */
    mlx_metal_available?: boolean | null;
    /**
     * 80 % of the memory the main accelerator (or the CPU, without one) can use, in GB (1e9 bytes).
     */
    max_recommended_model_size_gb?: number | null;
    /**
     * Operating system, container and virtualisation.
     */
    host?: Host;
    /**
     * The CPU.
     */
    cpu?: Cpu;
    /**
     * System memory.
     */
    memory?: Memory;
    /**
     * GPUs and other accelerators; software renderers appear with kind `cpu`.
     */
    accelerators?: Accelerator[];
    /**
     * Links between accelerators.
     */
    topology?: Topology;
    /**
     * Mounted file systems that can hold datasets and checkpoints.
     */
    storage?: Storage[];
    /**
     * Battery, mains and CPU package power.
     */
    power?: Power;
    /**
     * Temperature sensors.
     */
    thermal?: ThermalSensor[];
    /**
     * Network interfaces.
     */
    network?: NetworkInterface[];
    /**
     * Results of `trainfit probe --benchmark` and `trainfit net test`.
     */
    benchmarks?: Benchmarks;
    /**
     * Fields withheld for privacy, as dotted paths (`hostname`, `accelerators[].uuid`).
     */
    redactions?: string[];
    /**
     * Readers that failed, and why; the rest of the profile is still valid.
     */
    errors?: ProbeError[];
}

/**
 * Feed-forward block.
 */
export interface Ffn {
    /**
     * Activation function.
     */
    activation: Activation;
    /**
     * Gated (SwiGLU/GeGLU: `down(act(gate(x)) * up(x))`) or plain (`down(act(up(x)))`).
     */
    gated: boolean;
    /**
     * Width of the hidden layer (`intermediate_size`, `n_inner`, `ffn_dim`).
     */
    intermediate: number;
}

/**
 * Framework and backend.
 */
export type Framework = "pytorch_cuda" | "pytorch_rocm" | "pytorch_mps" | "mlx" | "pytorch_cpu" | "none";

/**
 * Framework and device overheads added on top of tensor memory.
 */
export interface Runtime {
    /**
     * The framework and backend. Default: `pytorch_cuda`.
     */
    framework?: Framework;
    /**
     * Total memory of one device, to check the fit. Default: unknown.
     */
    device_memory_bytes?: number;
    /**
     * The device shares memory with the host (Apple silicon, integrated GPUs). Default: false.
     */
    unified_memory?: boolean;
    /**
     * PyTorch `expandable_segments:True`, which shrinks allocator fragmentation. Default: false.
     */
    expandable_segments?: boolean;
    /**
     * GPUs per node, for the communication buffers of multi-node jobs. Default: 8.
     */
    gpus_per_node?: number;
}

/**
 * How a profile was made.
 */
export type ProbeKind = "native" | "browser" | "manual";

/**
 * How accelerators are connected to each other.
 */
export interface Topology {
    /**
     * One entry per pair of accelerators that the probe could relate.
     */
    links?: AcceleratorLink[];
}

/**
 * How many phases a pretraining run has.
 */
export type Phases = number | PhaseSplit;

/**
 * How positions enter a model.
 */
export type Positions = "rotary" | "learned" | "alibi";

/**
 * How the optimizer step runs.
 */
export type OptimizerImpl = "foreach" | "fused" | "for_loop";

/**
 * Hypervisor of a virtual machine, in systemd-detect-virt's names (`hyperv` for its `microsoft`).
 */
export type Virtualization = "kvm" | "amazon" | "vmware" | "oracle" | "xen" | "bochs" | "parallels" | "bhyve" | "hyperv" | "apple" | "google" | "unknown";

/**
 * Instruction-set extensions that matter for training on the CPU.
 */
export type CpuFlag = "avx" | "avx2" | "fma" | "f16c" | "avx512f" | "avx512bw" | "avx512_vnni" | "avx512_bf16" | "avx512_fp16" | "avx_vnni" | "amx_tile" | "amx_bf16" | "amx_int8" | "neon" | "asimddp" | "fp16" | "bf16" | "i8mm" | "sve" | "sve2" | "sme" | "sme2";

/**
 * Kind of normalisation.
 */
export type NormKind = "rms_norm" | "layer_norm" | "none";

/**
 * Kinds of device with their own rules.
 */
export type DeviceClass = "nvidia_gpu" | "amd_gpu" | "intel_gpu" | "apple_gpu" | "cpu";

/**
 * Kinds of memory.
 */
export type TermKind = "weights" | "master_weights" | "gradients" | "optimizer_states" | "optimizer_temporaries" | "adapter_weights" | "activations" | "logits_and_loss" | "kv_cache" | "sharding_buffers" | "runtime_context" | "kernel_workspaces" | "communication_buffers" | "allocator_fragmentation";

/**
 * Live tensor bytes at the peak of one phase.
 */
export interface PhasePeak {
    /**
     * The phase.
     */
    phase: Phase;
    /**
     * Live tensor bytes at its peak.
     */
    allocated_bytes: number;
}

/**
 * LoRA adapters.
 */
export interface Lora {
    /**
     * Rank `r`.
     */
    rank: number;
    /**
     * Scaling numerator `lora_alpha`; does not change memory. Default: `2 * rank`.
     */
    alpha?: number;
    /**
     * Adapted modules by their Hugging Face names (`q_proj`, `v_proj`, `c_attn`, `query_key_value`, ...) or `all-linear`. Default: `["q_proj", "v_proj"]`.
     */
    targets?: string[];
    /**
     * Adapter weight dtype. Default: `fp32` (PEFT's `autocast_adapter_dtype=True`).
     */
    dtype?: Dtype;
    /**
     * `lora_dropout` probability; above 0 each adapted input is copied through dropout. Default: 0.
     */
    dropout?: number;
}

/**
 * Machines and the links between and within them.
 */
export interface Cluster {
    /**
     * Document version. Default: the current version (1).
     */
    schema_version?: number;
    /**
     * A name for the whole cluster. Default: none.
     */
    name?: string | null;
    /**
     * The machines, each a hardware profile with how many of it there are.
     */
    machines: Machine[];
    /**
     * Links between and within machines, where the defaults (from the profiles' NVLink, PCIe
     * and network interfaces) are wrong or unknown. Default: none.
     */
    links?: Link[];
}

/**
 * Mixture-of-experts feed-forward layers.
 */
export interface Moe {
    /**
     * Routed experts per MoE layer.
     */
    experts: number;
    /**
     * Experts each token is routed to (`num_experts_per_tok`, top-k).
     */
    active: number;
    /**
     * Width of one routed expert (`moe_intermediate_size`).
     */
    expert_intermediate: number;
    /**
     * Always-on shared experts (DeepSeek `n_shared_experts`; Qwen-MoE has one).
     */
    shared_experts?: number;
    /**
     * Total width of the shared expert block (Qwen-MoE `shared_expert_intermediate_size`, DeepSeek `n_shared_experts * moe_intermediate_size`).
     */
    shared_intermediate?: number;
    /**
     * Qwen-MoE gates the shared expert with a `Linear(hidden, 1)` and a sigmoid.
     */
    shared_expert_gate?: boolean;
    /**
     * Layers whose feed-forward block stays dense (`ffn`): DeepSeek's first `first_k_dense_replace`,
     * Qwen-MoE's `mlp_only_layers` and those skipped by `decoder_sparse_step`.
     */
    dense_layers?: number;
    /**
     * Router has a per-expert bias vector (DeepSeek-V3 `e_score_correction_bias`, stored in the checkpoint).
     */
    router_bias?: boolean;
    /**
     * In training, each MoE layer's input is multiplied in place by uniform noise twice, once by
     * the block and once by the router, each noise tensor kept for backward (Phi-MoE
     * `input_jitter_noise` above 0). Default: false.
     */
    input_jitter?: boolean;
}

/**
 * Multi-head latent attention dimensions (DeepSeek-V2/V3).
 */
export interface Mla {
    /**
     * Rank of the query compression; `None` projects queries directly.
     */
    q_lora_rank?: number | null;
    /**
     * Rank of the joint key/value compression (what the KV cache stores).
     */
    kv_lora_rank: number;
    /**
     * Per-head query/key width without rotary.
     */
    qk_nope_head_dim: number;
    /**
     * Per-head query/key width with rotary (shared key part is cached).
     */
    qk_rope_head_dim: number;
    /**
     * Per-head value width.
     */
    v_head_dim: number;
}

/**
 * Normalisation layers.
 */
export interface Norm {
    /**
     * RMSNorm or LayerNorm.
     */
    kind: NormKind;
    /**
     * LayerNorm carries a bias vector.
     */
    bias: boolean;
    /**
     * Norm layers per decoder layer (2 for most, 1 for parallel-residual GPT-J/Phi-2 style, 4 for Gemma-2/3).
     */
    per_layer: number;
    /**
     * A norm after the last layer (absent in OPT-350m, `do_layer_norm_before: false`). Default: true.
     */
    final_norm?: boolean;
}

/**
 * Numeric recipe.
 */
export type Precision = "fp32" | "bf16" | "fp16" | "amp_bf16" | "amp_fp16" | "mixed_bf16" | "mixed_fp16";

/**
 * Offload of model states to host memory.
 */
export interface Offload {
    /**
     * Optimizer states (and fp32 master weights) live in host memory, the step runs on the CPU.
     */
    optimizer?: boolean;
    /**
     * Weights live in host memory between uses (ZeRO-3 / FSDP only).
     */
    parameters?: boolean;
}

/**
 * One GPU or other accelerator.
 */
export interface Accelerator {
    /**
     * Vendor.
     */
    vendor?: Vendor;
    /**
     * Name as the driver reports it, e.g. `NVIDIA GeForce RTX 4090`.
     */
    name: string;
    /**
     * Discrete, integrated, unified, software (cpu), virtual.
     */
    kind?: AcceleratorKind;
    /**
     * The catalogue entry matched by name, when any.
     */
    catalogue_name?: string | null;
    /**
     * PCI address `domain:bus:device.function`, the stable key (NVML and CUDA order differ).
     */
    pci_bus_id?: string | null;
    /**
     * Vendor UUID; `null` when redacted (the default).
     */
    uuid?: string | null;
    /**
     * Compute stack that drives it.
     */
    backend?: Backend | null;
    /**
     * Architecture, e.g. `ampere`, `hopper`, `gfx1100`, `xe-hpg`, `apple-m4`.
     */
    architecture?: string | null;
    /**
     * NVIDIA compute capability, e.g. `8.9`.
     */
    compute_capability?: string | null;
    /**
     * Memory this device can allocate: VRAM, the Metal working set, or for APUs the GTT pool.
     */
    memory_total_bytes?: Value<number> | null;
    /**
     * Of that, free now.
     */
    memory_free_bytes?: Value<number> | null;
    /**
     * Which reading `memory_total_bytes` came from.
     */
    memory_source?: MemorySource | null;
    /**
     * Dedicated VRAM (for an APU, the firmware carve-out; not to be added to `gtt_bytes`).
     */
    vram_bytes?: Value<number> | null;
    /**
     * AMD GTT: system memory the GPU may map.
     */
    gtt_bytes?: Value<number> | null;
    /**
     * Streaming multiprocessors (NVIDIA) or compute units (AMD, Intel Xe-cores).
     */
    compute_units?: Value<number> | null;
    /**
     * Shader cores: CUDA cores, Apple GPU cores, stream processors.
     */
    cores?: Value<number> | null;
    /**
     * Numeric types its matrix units run at full rate.
     */
    dtypes?: MatrixDtype[];
    /**
     * Peak dense matrix throughput per dtype.
     */
    peak_tflops?: PeakTflops;
    /**
     * Peak memory bandwidth.
     */
    memory_bandwidth_gbs?: Value<number> | null;
    /**
     * Memory bus width.
     */
    memory_bus_width_bits?: Value<number> | null;
    /**
     * Highest memory clock.
     */
    memory_max_mhz?: Value<number> | null;
    /**
     * Highest SM / shader clock.
     */
    sm_max_mhz?: Value<number> | null;
    /**
     * Current SM / shader clock.
     */
    sm_mhz?: Value<number> | null;
    /**
     * PCIe link.
     */
    pcie?: Pcie | null;
    /**
     * Active NVLink links.
     */
    nvlink_links?: Value<number> | null;
    /**
     * NVLink version.
     */
    nvlink_version?: number | null;
    /**
     * Power limit in force.
     */
    power_limit_w?: Value<number> | null;
    /**
     * Default power limit.
     */
    power_default_limit_w?: Value<number> | null;
    /**
     * Lowest power limit that can be set.
     */
    power_min_limit_w?: Value<number> | null;
    /**
     * Highest power limit that can be set.
     */
    power_max_limit_w?: Value<number> | null;
    /**
     * Board power now.
     */
    power_draw_w?: Value<number> | null;
    /**
     * Thermal design power, from the catalogue.
     */
    tdp_w?: Value<number> | null;
    /**
     * Temperature now.
     */
    temperature_c?: Value<number> | null;
    /**
     * Temperature at which the GPU slows itself down.
     */
    temperature_slowdown_c?: Value<number> | null;
    /**
     * Temperature at which the GPU shuts down.
     */
    temperature_shutdown_c?: Value<number> | null;
    /**
     * Why clocks are held below their maximum now; idle is not a reason.
     */
    throttle_reasons?: ThrottleReason[];
    /**
     * ECC enabled.
     */
    ecc_enabled?: boolean | null;
    /**
     * Uncorrected ECC errors since the driver loaded.
     */
    ecc_uncorrected_errors?: Value<number> | null;
    /**
     * Multi-Instance GPU mode enabled.
     */
    mig_enabled?: boolean | null;
    /**
     * MIG instances present.
     */
    mig_instances?: number | null;
    /**
     * Kernel driver version.
     */
    driver_version?: string | null;
    /**
     * Compute runtime version the driver supports, e.g. CUDA `12.8`.
     */
    runtime_version?: string | null;
    /**
     * NUMA node the device is attached to.
     */
    numa_node?: number | null;
    /**
     * Apple Neural Engine cores.
     */
    neural_engine_cores?: Value<number> | null;
    /**
     * Readers that contributed, in the order they did.
     */
    sources?: Reader[];
}

/**
 * One NUMA node.
 */
export interface NumaNode {
    /**
     * Node number.
     */
    node: number;
    /**
     * Its CPUs as a kernel cpulist, e.g. `0-15,32-47`.
     */
    cpus?: string | null;
    /**
     * Memory attached to it.
     */
    memory_bytes?: Value<number> | null;
}

/**
 * One catalogue entry, as the npm package's `accelerators()` lists it.
 */
export interface AcceleratorSpec {
    /**
     * Display name.
     */
    name: string;
    /**
     * Vendor.
     */
    vendor: Vendor;
    /**
     * Architecture, lowercase: `turing`, `ampere`, `hopper`, `cdna3`, `rdna3`, `xe-hpg`, `apple-m4`.
     */
    architecture: string;
    /**
     * Memory per device in GiB (the largest configuration for Apple chips, whose memory varies).
     */
    memory_gib: number;
    /**
     * Peak memory bandwidth, GB/s.
     */
    bandwidth_gbs: number;
    /**
     * Peak throughput.
     */
    tflops: SpecTflops;
    /**
     * Board power (TDP), W.
     */
    tdp_w: number | null;
    /**
     * GPU cores (Apple).
     */
    gpu_cores: number | null;
    /**
     * Neural Engine cores (Apple).
     */
    neural_engine_cores: number | null;
    /**
     * The throughput figures are derived (clock × units) rather than published.
     */
    estimated: boolean;
    /**
     * Where the numbers come from.
     */
    source: string;
}

/**
 * One configuration.
 */
export interface Configuration {
    /**
     * The mode.
     */
    mode: Mode;
    /**
     * Whether it fits within the mode's memory target.
     */
    fits: boolean;
    /**
     * The mode's share of usable device memory, bytes.
     */
    memory_target_bytes: number;
    /**
     * The model trained or served.
     */
    model: ModelChoice;
    /**
     * The task as the memory model runs it.
     */
    task: GoalTask;
    /**
     * Numeric recipe.
     */
    precision: Precision;
    /**
     * Optimizer (absent when serving).
     */
    optimizer: Optimizer | null;
    /**
     * Devices used.
     */
    devices: number;
    /**
     * Sharding across devices.
     */
    sharding: Sharding;
    /**
     * Offload to host memory.
     */
    offload: Offload;
    /**
     * Sequences per device per step.
     */
    micro_batch: number;
    /**
     * Micro-batches accumulated per optimizer step.
     */
    gradient_accumulation: number;
    /**
     * Sequences per optimizer step over all devices.
     */
    global_batch: number;
    /**
     * Tokens per sequence (serving: the context).
     */
    sequence: number;
    /**
     * Activation recomputation.
     */
    checkpointing: Checkpointing;
    /**
     * Attention kernel.
     */
    attention: AttentionImpl;
    /**
     * LoRA rank, for adapter tasks.
     */
    lora_rank: number | null;
    /**
     * Peak memory of one device, term by term.
     */
    memory: Estimate;
    /**
     * Step time, throughput and total time.
     */
    time: TimeEstimate;
    /**
     * Token budget, data, checkpoints, disk.
     */
    scale: Scale;
    /**
     * Power and energy.
     */
    power: PowerEstimate;
    /**
     * The data path: download or first pass, streaming against training, cache tier and
     * temporary disk (absent when serving).
     */
    data?: DataPlan;
    /**
     * Serving figures, for `serve`.
     */
    serve: ServeEstimate | null;
    /**
     * The training config for the engine.
     */
    training: TrainingConfig | null;
    /**
     * Ordered adjustments for out-of-memory recovery, each with the memory after it.
     */
    fallbacks: Fallback[];
    /**
     * On a cluster, training: the mesh search's best layouts (the first is this
     * configuration's), each with its time breakdown, and the scaling curve.
     */
    mesh?: MeshPlan;
    /**
     * On a cluster, serving: tensor- and pipeline-parallel layouts with their KV-cache pool,
     * concurrency and decode speed.
     */
    serving_layouts?: ServePlan;
    /**
     * Conditions worth acting on, each with a stable code and its numbers.
     */
    warnings: Warning[];
    /**
     * Two-phase pretraining (`goal.phases`): the second phase. This configuration's own knobs,
     * memory, time and training config are then phase A's, on its share of the tokens.
     * Default: absent (one phase).
     */
    phase_b?: PhaseB;
}

/**
 * One decoder-only transformer, described by what determines its memory and compute.
 *
 * Every field is read from (or implied by) the model's Hugging Face `config.json`.
 */
export interface ModelSpec {
    /**
     * Display name, e.g. `Llama-3-8B`.
     */
    name: string;
    /**
     * Architecture family; decides the shape of the block.
     */
    family: Family;
    /**
     * Number of decoder layers (`num_hidden_layers`).
     */
    layers: number;
    /**
     * Residual stream width (`hidden_size`).
     */
    hidden: number;
    /**
     * Query heads (`num_attention_heads`).
     */
    heads: number;
    /**
     * Key/value heads (`num_key_value_heads`); equals `heads` without GQA/MQA.
     */
    kv_heads: number;
    /**
     * Width of one attention head (`head_dim`, else `hidden / heads`).
     */
    head_dim: number;
    /**
     * Multi-head latent attention (DeepSeek-V2/V3); `None` for ordinary attention.
     */
    mla?: Mla;
    /**
     * The feed-forward block of dense layers.
     */
    ffn: Ffn;
    /**
     * Mixture-of-experts layers; `None` for a dense model.
     */
    moe?: Moe;
    /**
     * Rows of the token embedding (`vocab_size`, padded as in the checkpoint).
     */
    vocab: number;
    /**
     * Rows of a learned absolute position table (GPT-2 `n_positions`, OPT `max_position_embeddings + 2`); 0 for rotary or ALiBi.
     */
    learned_positions?: number;
    /**
     * Longest context the checkpoint was trained for (`max_position_embeddings`).
     */
    max_positions: number;
    /**
     * Whether the output projection shares the token embedding (`tie_word_embeddings`).
     */
    tied_embeddings: boolean;
    /**
     * Normalisation layers.
     */
    norm: Norm;
    /**
     * Per-head normalisation of queries and keys (Qwen3, OLMo-2, Gemma-3).
     */
    qk_norm?: QkNorm;
    /**
     * Which projections carry a bias vector.
     */
    bias: Bias;
    /**
     * Attention and MLP read the same input and are summed (GPT-NeoX, GPT-J, Phi-2).
     */
    parallel_residual?: boolean;
    /**
     * Sliding-window attention: window length in tokens, and which layers use it. Llama 4's
     * chunked attention is described here too (chunk length, chunked layers): it caches and masks
     * as a window does.
     */
    sliding_window?: SlidingWindow;
    /**
     * Dropout probabilities as configured (0 for most modern checkpoints).
     */
    dropout?: Dropout;
    /**
     * Gemma-2 style `final_logit_softcapping`: logits pass through `tanh(x / c) * c`.
     */
    final_logit_softcap?: number;
    /**
     * Gemma-2 style `attn_logit_softcapping`: attention scores pass through `tanh(x / c) * c`.
     */
    attn_logit_softcap?: number;
    /**
     * OPT-350m style projection between a narrower embedding and the residual stream (`word_embed_proj_dim`).
     */
    embed_proj_dim?: number;
    /**
     * Channels of each head that the rotary embedding rotates when the family's block program
     * depends on it (GPT-J `rotary_dim`); absent otherwise.
     */
    rotary_dim?: number;
    /**
     * Attention biased by ALiBi's per-head linear distance penalties instead of rotary or learned
     * positions (BLOOM; Falcon with `alibi: true`).
     */
    alibi?: boolean;
    /**
     * Where the configuration came from (URL of the `config.json`).
     */
    source?: string;
}

/**
 * One device's part of a layout.
 */
export interface DeviceShare {
    /**
     * Rank.
     */
    rank: number;
    /**
     * Device name.
     */
    name: string;
    /**
     * Role.
     */
    role: Role;
    /**
     * Pipeline: decoder layers `[first, end)` of the stage; `None` for data parallelism.
     */
    layers: [number, number] | null;
    /**
     * Pipeline: the stage holds the embedding.
     */
    embedding: boolean;
    /**
     * Pipeline: the stage holds the output head and the loss.
     */
    head: boolean;
    /**
     * Sequences this device computes per optimizer step.
     */
    sequences: number;
    /**
     * Sequences per micro-batch.
     */
    micro_batch: number;
    /**
     * Micro-batches per optimizer step (accumulation; pipeline micro-batches).
     */
    accumulation: number;
    /**
     * Pipeline: micro-batches whose activations it holds at once under 1F1B.
     */
    in_flight: number;
    /**
     * Peak memory, bytes.
     */
    peak_bytes: number;
    /**
     * Bytes it may use.
     */
    usable_bytes: number;
    /**
     * The terms of the peak; they add up to `peak_bytes`.
     */
    breakdown: Term[];
    /**
     * Time of one decoder layer's forward and backward for one micro-batch on it, s.
     */
    layer_s: number;
    /**
     * Its compute per step: pipeline, one micro-batch of its stage (with the sends); data,
     * all its micro-batches, s.
     */
    busy_s: number;
    /**
     * Its optimizer step, s.
     */
    optimizer_s: number;
}

/**
 * One exported file.
 */
export interface ExportFile {
    /**
     * File name, without a directory (`ds_config.json`).
     */
    name: string;
    /**
     * IANA media type: `application/json`, `application/yaml` (RFC 9512), `application/toml`,
     * `application/x-sh` for shell scripts, `text/x-python` for Python scripts, or `text/plain`.
     */
    media_type: string;
    /**
     * The file's text, ending with a newline.
     */
    text: string;
}

/**
 * One layout for the devices.
 */
export interface HeteroLayout {
    /**
     * Pipeline or data parallelism.
     */
    kind: HeteroKind;
    /**
     * Each device's part, by rank.
     */
    devices: DeviceShare[];
    /**
     * Rank of the device that sets the pace (the slowest stage, or the last to finish its
     * share).
     */
    pace_rank: number;
    /**
     * Its name and why, in words.
     */
    pace: string;
    /**
     * Pipeline fill and drain, s.
     */
    bubble_s: number;
    /**
     * Time waiting on the ring per step (sends between stages, or the gradient sum), s.
     */
    communication_s: number;
    /**
     * One optimizer step, s.
     */
    step_s: number;
    /**
     * Tokens per second over all devices.
     */
    tokens_per_s: number;
    /**
     * Model FLOPs utilisation against the sum of the devices' peaks.
     */
    mfu: number;
    /**
     * How the engine must run it.
     */
    engine_note: string;
}

/**
 * One layout the search keeps.
 */
export interface MeshCandidate {
    /**
     * The layout.
     */
    layout: Layout;
    /**
     * Activation recomputation.
     */
    recompute: Checkpointing;
    /**
     * Peak memory of the most loaded device, bytes.
     */
    peak_bytes: number;
    /**
     * Its step time, broken down.
     */
    time: StepTime;
}

/**
 * One mounted file system.
 */
export interface Storage {
    /**
     * Mount point.
     */
    mount_point: string;
    /**
     * Block device, e.g. `nvme0n1`, `sda`, `vda`.
     */
    device?: string | null;
    /**
     * File system type.
     */
    file_system?: string | null;
    /**
     * What holds it.
     */
    kind?: StorageKind | null;
    /**
     * Size.
     */
    total_bytes?: Value<number> | null;
    /**
     * Free for this user.
     */
    available_bytes?: Value<number> | null;
    /**
     * Removable (USB, SD card).
     */
    removable?: boolean | null;
    /**
     * Mounted read-only.
     */
    read_only?: boolean | null;
}

/**
 * One named term of the memory at the peak.
 */
export interface Term {
    /**
     * What the bytes are.
     */
    term: TermKind;
    /**
     * Bytes on one device.
     */
    bytes: number;
    /**
     * How the number was obtained, with the formula's inputs.
     */
    detail: string;
}

/**
 * One network interface.
 */
export interface NetworkInterface {
    /**
     * Interface name.
     */
    name: string;
    /**
     * What it is.
     */
    kind?: NetworkKind | null;
    /**
     * Operationally up.
     */
    up?: boolean | null;
    /**
     * Negotiated link speed, megabits per second.
     */
    speed_mbps?: Value<number> | null;
    /**
     * MTU in bytes.
     */
    mtu?: number | null;
}

/**
 * One observation of a running job, as `trainfit watch` reports it (issue 15's wire format).
 * Optional fields may be left out; each rule says what it assumes then.
 */
export type Observation = { kind: "out_of_memory"; step?: number; requested_bytes?: number; used_bytes?: number; capacity_bytes?: number } | { kind: "memory_pressure"; used_bytes: number; capacity_bytes: number; predicted_bytes?: number } | { kind: "throttling"; reason: ThrottleCause; temperature_c?: number; clock_share?: number } | { kind: "slow_step"; measured_step_s: number; predicted_step_s?: number } | { kind: "device_lost"; devices_left: number } | { kind: "swap"; swap_used_bytes: number } | { kind: "battery" };

/**
 * One point of the scaling curve.
 */
export interface ScalingPoint {
    /**
     * Devices.
     */
    devices: number;
    /**
     * Data-parallel replicas.
     */
    data: number;
    /**
     * Tokens per second over all devices.
     */
    tokens_per_s: number;
    /**
     * Model FLOPs utilisation.
     */
    mfu: number;
    /**
     * Step time, s.
     */
    step_s: number;
}

/**
 * One serving layout.
 */
export interface ServeLayout {
    /**
     * Tensor-parallel degree of a replica.
     */
    tensor: number;
    /**
     * Pipeline stages of a replica.
     */
    pipeline: number;
    /**
     * Replicas over the cluster.
     */
    replicas: number;
    /**
     * Weights on one device, bytes.
     */
    weights_bytes: number;
    /**
     * KV cache of one device at `concurrency`, bytes: the pool its memory leaves.
     */
    kv_pool_bytes: number;
    /**
     * Peak memory of one device at `concurrency`, bytes.
     */
    peak_bytes: number;
    /**
     * Most sequences of the full context one replica serves at once.
     */
    concurrency: number;
    /**
     * One decode step of a replica, s.
     */
    step_s: number;
    /**
     * Decode tokens per second of one sequence.
     */
    tokens_per_s_per_sequence: number;
    /**
     * Decode tokens per second over the cluster.
     */
    tokens_per_s: number;
}

/**
 * One step of the out-of-memory fallback ladder.
 */
export interface Fallback {
    /**
     * Stable identifier of the adjustment.
     */
    action: FallbackAction;
    /**
     * What changes, with the numbers.
     */
    description: string;
    /**
     * Peak memory of one device after this and every earlier step, bytes; for a
     * `mesh_layout`, which replaces the layout instead, after this step alone.
     */
    peak_bytes: number;
}

/**
 * One swap area.
 */
export interface SwapDevice {
    /**
     * Device or file, e.g. `/dev/nvme0n1p3`, `/swapfile`, `/dev/zram0`.
     */
    name: string;
    /**
     * Partition, file or zram (compressed RAM, not disk).
     */
    kind?: SwapKind | null;
    /**
     * Size.
     */
    size_bytes?: Value<number> | null;
    /**
     * In use.
     */
    used_bytes?: Value<number> | null;
}

/**
 * One temperature sensor.
 */
export interface ThermalSensor {
    /**
     * Sensor name, e.g. `x86_pkg_temp`, `k10temp Tctl`, `amdgpu edge`.
     */
    label: string;
    /**
     * Temperature now.
     */
    temperature_c?: Value<number> | null;
    /**
     * Critical trip point.
     */
    critical_c?: Value<number> | null;
}

/**
 * Operating system and environment.
 */
export interface Host {
    /**
     * Operating system.
     */
    os?: Os | null;
    /**
     * Distribution or product name with version, e.g. `Debian GNU/Linux 12 (bookworm)`.
     */
    os_name?: string | null;
    /**
     * Kernel release.
     */
    kernel?: string | null;
    /**
     * CPU architecture, e.g. `x86_64`, `aarch64`.
     */
    arch?: string | null;
    /**
     * Running under Windows Subsystem for Linux.
     */
    wsl?: boolean | null;
    /**
     * Container runtime when inside one.
     */
    container?: Container | null;
    /**
     * Hypervisor when in a virtual machine.
     */
    virtualization?: Virtualization | null;
    /**
     * Laptop, desktop or server, from the firmware's chassis type.
     */
    form_factor?: FormFactor | null;
}

/**
 * Operating system, as `std::env::consts::OS` names it.
 */
export type Os = "linux" | "macos" | "windows" | "other";

/**
 * Optimizer.
 */
export type Optimizer = "adamw" | "adamw8bit" | "sgd" | "sgd_momentum" | "adafactor" | "lion";

/**
 * Parallelism and sharding.
 */
export interface Parallel {
    /**
     * Data-parallel replicas (the ZeRO/FSDP sharding degree). Default: 1.
     */
    data?: number;
    /**
     * Tensor-parallel degree (Megatron-style column/row split). Default: 1.
     */
    tensor?: number;
    /**
     * Pipeline stages (1F1B schedule). Default: 1.
     */
    pipeline?: number;
    /**
     * Context-parallel degree (sequence split across ranks in attention). Default: 1.
     */
    context?: number;
    /**
     * Megatron sequence parallelism alongside tensor parallelism. Default: false.
     */
    sequence_parallel?: boolean;
    /**
     * Micro-batches per optimizer step (gradient accumulation; pipeline micro-batches). Default: 1.
     */
    micro_batches?: number;
    /**
     * Sharding of model states across the data-parallel group. Default: `none`.
     */
    sharding?: Sharding;
    /**
     * What is offloaded to host memory. Default: nothing.
     */
    offload?: Offload;
}

/**
 * Parameter counts of a model.
 */
export interface Parameters {
    /**
     * Every parameter, tied weights counted once.
     */
    total: number;
    /**
     * Token embedding, learned positions and an untied output projection (the Pythia convention:
     * its published non-embedding counts exclude both `embed_in` and `embed_out`).
     */
    embedding: number;
    /**
     * `total - embedding`.
     */
    non_embedding: number;
    /**
     * Parameters that receive gradients (all of them for the model alone; adapters for LoRA).
     */
    trainable: number;
    /**
     * Parameters used per token (MoE: shared and top-k routed experts only; equals `total` when dense).
     */
    active: number;
}

/**
 * Peak dense throughput per dtype, TFLOP/s (TOP/s for int8).
 */
export interface PeakTflops {
    /**
     * fp32 (non-tensor).
     */
    fp32?: Value<number> | null;
    /**
     * TF32 tensor.
     */
    tf32?: Value<number> | null;
    /**
     * fp16 tensor, fp32 accumulate.
     */
    fp16?: Value<number> | null;
    /**
     * bf16 tensor, fp32 accumulate.
     */
    bf16?: Value<number> | null;
    /**
     * fp8 tensor.
     */
    fp8?: Value<number> | null;
    /**
     * int8 tensor, TOP/s.
     */
    int8?: Value<number> | null;
}

/**
 * Peak dense throughput per dtype, TFLOP/s (TOP/s for int8); `None` where the part has no such unit.
 */
export interface SpecTflops {
    /**
     * fp32 (non-tensor).
     */
    fp32: number | null;
    /**
     * TF32 tensor.
     */
    tf32: number | null;
    /**
     * fp16 tensor, fp32 accumulate.
     */
    fp16: number | null;
    /**
     * bf16 tensor, fp32 accumulate.
     */
    bf16: number | null;
    /**
     * fp8 tensor.
     */
    fp8: number | null;
    /**
     * int8 tensor, TOP/s.
     */
    int8: number | null;
}

/**
 * Peak memory of one device for one request.
 */
export interface Estimate {
    /**
     * Document version.
     */
    schema_version: number;
    /**
     * Name of the model.
     */
    model: string;
    /**
     * Parameter counts of the model; `trainable` reflects the task (adapters only for LoRA).
     */
    parameters: Parameters;
    /**
     * Bytes of live tensors at the peak: what `torch.cuda.max_memory_allocated()` reports.
     */
    peak_allocated_bytes: number;
    /**
     * `peak_allocated_bytes` plus the overhead terms: what the device must have free.
     */
    peak_bytes: number;
    /**
     * Phase in which the peak happens.
     */
    peak_phase: Phase;
    /**
     * Model states of one device after sharding and offload, whatever the phase.
     */
    model_states: ModelStates;
    /**
     * Every term live at the peak, tensors first, then overheads; they add up to `peak_bytes`.
     */
    breakdown: Term[];
    /**
     * Peak of live tensors in each phase of a step.
     */
    phases: PhasePeak[];
    /**
     * Host memory the job needs besides the device (offloaded states, pinned buffers).
     */
    host_bytes: number;
    /**
     * Whether the peak fits the device, when the device's memory is known.
     */
    fit?: Fit;
    /**
     * Conditions worth acting on, each with its numbers.
     */
    warnings: Warning[];
}

/**
 * Phase B of a two-phase pretraining run, as the goal fixes it.
 */
export interface PhaseSplit {
    /**
     * Share of the run's tokens trained in phase B, above 0 and at most 0.5. Default: 0.1
     * (MiniCPM's WSD decay stage, about 10 % of the tokens).
     */
    phase_b_share?: number;
    /**
     * Phase B's tokens per sequence. Default: the longest that fits the mode's memory target,
     * at most 16 times phase A's (Llama 3's 8K to 128K) and the model's positions, at least
     * phase A's.
     */
    phase_b_sequence?: number;
}

/**
 * Phase B of a two-phase pretraining run: the same model, from phase A's last checkpoint, at a
 * longer sequence (when one fits) with the learning rate decayed from phase A's constant peak.
 */
export interface PhaseB {
    /**
     * Share of the run's tokens trained in phase B.
     */
    share: number;
    /**
     * Whether phase B fits within the mode's memory target.
     */
    fits: boolean;
    /**
     * Sequences per device per step.
     */
    micro_batch: number;
    /**
     * Micro-batches accumulated per optimizer step.
     */
    gradient_accumulation: number;
    /**
     * Sequences per optimizer step over all devices: the same tokens per step as phase A
     * where whole micro-batches allow.
     */
    global_batch: number;
    /**
     * Tokens per sequence.
     */
    sequence: number;
    /**
     * Activation recomputation.
     */
    checkpointing: Checkpointing;
    /**
     * Optimizer.
     */
    optimizer: Optimizer;
    /**
     * Sharding across devices.
     */
    sharding: Sharding;
    /**
     * Offload to host memory.
     */
    offload: Offload;
    /**
     * Peak memory of one device, term by term.
     */
    memory: Estimate;
    /**
     * Step time, throughput and phase B's time (its `budget_s` is the whole run's).
     */
    time: TimeEstimate;
    /**
     * The training config of phase B: no warm-up, linear decay from phase A's peak to 0.
     */
    training: TrainingConfig;
    /**
     * Ordered adjustments for out-of-memory recovery in phase B.
     */
    fallbacks: Fallback[];
    /**
     * Both phases, seconds.
     */
    total_s: number | null;
    /**
     * Conditions of phase B worth acting on.
     */
    warnings: Warning[];
}

/**
 * Power and energy of a configuration.
 */
export interface PowerEstimate {
    /**
     * TDP of all devices, W.
     */
    tdp_w: number | null;
    /**
     * Expected draw of all devices under the mode, W.
     */
    draw_w: number | null;
    /**
     * Power limit to set per device (`nvidia-smi -pl`), W, when the mode asks for less than TDP.
     */
    power_cap_w: number | null;
    /**
     * Energy of the run, kWh.
     */
    energy_kwh: number | null;
    /**
     * The whole system against the power supply, when its rating is known (one machine).
     */
    system?: SystemPower;
}

/**
 * Power sources.
 */
export interface Power {
    /**
     * Has a battery.
     */
    has_battery?: boolean | null;
    /**
     * Running on battery now.
     */
    on_battery?: boolean | null;
    /**
     * Mains connected.
     */
    ac_online?: boolean | null;
    /**
     * Battery charge in percent.
     */
    battery_percent?: Value<number> | null;
    /**
     * Battery state as the OS reports it.
     */
    battery_status?: BatteryStatus | null;
    /**
     * Power drawn from the battery now.
     */
    battery_draw_w?: Value<number> | null;
    /**
     * CPU package power limit (RAPL long-term constraint).
     */
    cpu_package_limit_w?: Value<number> | null;
    /**
     * Whether RAPL energy counters are readable by this user (root-only since Linux 5.10).
     */
    rapl_readable?: boolean | null;
    /**
     * Rating of the power supply, W: typed by the user (source `user`), since no interface
     * reports it. Default: unknown.
     */
    psu_w?: Value<number>;
    /**
     * Whether the power supply is ATX 3.0, typed by the user. Default: unknown.
     */
    psu_atx3?: boolean;
}

/**
 * Quantised storage of the frozen base linears.
 */
export interface Quantization {
    /**
     * Storage format of the decoder's linear weights.
     */
    format: QuantFormat;
    /**
     * bitsandbytes double quantisation of the 4-bit block constants. Default: true.
     */
    double_quant?: boolean;
    /**
     * QLoRA training prepared as PEFT's `prepare_model_for_kbit_training` does (`peft/utils/other.py`):
     * every parameter bitsandbytes leaves unquantised (embeddings, norms, the output layer) is cast
     * to fp32, so the residual stream and the logits are fp32 and each 4-bit linear casts its input
     * to the compute dtype and its output back. Only for task `qlora`. Default: false.
     */
    prepare_for_training?: boolean;
}

/**
 * Query/key normalisation inside attention.
 */
export type QkNorm = "none" | "per_head" | "full" | "l2";

/**
 * Scale of a configuration.
 */
export interface Scale {
    /**
     * Tokens per trained parameter of this run.
     */
    tokens_per_parameter: number;
    /**
     * Chinchilla's compute-optimal tokens for this model (20 per parameter).
     */
    chinchilla_tokens: number;
    /**
     * Parameters this hardware trains compute-optimally within the time budget (sustained
     * FLOP/s × budget) at the mode's tokens per parameter.
     */
    compute_optimal_parameters: number;
    /**
     * Tokenised dataset on disk, bytes.
     */
    dataset_bytes: number;
    /**
     * Raw text the tokens come from, bytes.
     */
    text_bytes: number;
    /**
     * One checkpoint (weights, master weights, optimizer states; adapters only for LoRA), bytes.
     */
    checkpoint_bytes: number;
    /**
     * Seconds to write one checkpoint, from the measured storage write rate when known.
     */
    checkpoint_write_s: number | null;
    /**
     * Checkpoint interval (Young/Daly), seconds.
     */
    save_interval_s: number | null;
    /**
     * Disk the run needs: the dataset and two checkpoints, bytes.
     */
    disk_needed_bytes: number;
    /**
     * Free space on the largest local file system, bytes.
     */
    disk_free_bytes: number | null;
}

/**
 * Serving figures.
 */
export interface ServeEstimate {
    /**
     * Context length per sequence.
     */
    context: number;
    /**
     * Sequences served at once.
     */
    concurrency: number;
    /**
     * KV cache of one sequence at full context, bytes.
     */
    kv_bytes_per_sequence: number;
    /**
     * Generated tokens per second over all sequences (memory-bound decode).
     */
    decode_tokens_per_s: number | null;
}

/**
 * Serving shape.
 */
export interface Inference {
    /**
     * Prompt tokens per sequence.
     */
    prompt: number;
    /**
     * Tokens generated per sequence. Default: 0.
     */
    generate?: number;
    /**
     * KV cache element type. Default: the compute dtype.
     */
    kv_dtype?: Dtype;
}

/**
 * Sharding of model states across data-parallel ranks.
 */
export type Sharding = "none" | "zero1" | "zero2" | "zero3" | "fsdp_shard_grad_op" | "fsdp_full_shard";

/**
 * Sliding-window attention.
 */
export interface SlidingWindow {
    /**
     * Window length in tokens.
     */
    window: number;
    /**
     * Layers using the window out of each group of `pattern` layers; the rest are global.
     * Mistral v0.1: every layer (`local_per_pattern = pattern = 1`); Gemma-2: 1 of 2; Gemma-3: 5 of 6.
     */
    local_per_pattern: number;
    /**
     * Size of the repeating layer group.
     */
    pattern: number;
}

/**
 * Step time, broken down.
 */
export interface StepTime {
    /**
     * Forward and backward of every micro-batch on the slowest stage, s.
     */
    compute_s: number;
    /**
     * Recomputed forward, s.
     */
    recompute_s: number;
    /**
     * Collectives of each axis that has more than one rank.
     */
    communication: AxisTime[];
    /**
     * Pipeline fill and drain, s.
     */
    bubble_s: number;
    /**
     * Optimizer step, s.
     */
    optimizer_s: number;
    /**
     * Host-offloaded weights fetched over PCIe and not hidden behind the compute, s.
     */
    offload_s: number;
    /**
     * One optimizer step, s.
     */
    step_s: number;
    /**
     * Tokens per second over all devices.
     */
    tokens_per_s: number;
    /**
     * Tokens per second per device.
     */
    tokens_per_s_per_device: number;
    /**
     * Model FLOP/s per device, TFLOP/s, in the convention of `convention`.
     */
    model_tflops_per_device: number;
    /**
     * Model FLOPs utilisation.
     */
    mfu: number;
    /**
     * Hardware FLOPs utilisation (recomputation counted).
     */
    hfu: number;
    /**
     * The pipeline stage that sets the pace: `first`, `last` or `middle`.
     */
    slowest_stage: string;
    /**
     * FLOP counting convention of `mfu`.
     */
    convention: string;
}

/**
 * Storage formats of quantised linear weights.
 */
export type QuantFormat = "nf4" | "fp4" | "int8";

/**
 * System memory.
 */
export interface Memory {
    /**
     * Installed memory the OS sees (the host's, even inside a container).
     */
    total_bytes?: Value<number> | null;
    /**
     * Memory available to new allocations without swapping (`MemAvailable`).
     */
    available_bytes?: Value<number> | null;
    /**
     * Memory limit of this process's cgroup; `null` when unlimited.
     */
    cgroup_limit_bytes?: Value<number> | null;
    /**
     * Memory the cgroup already uses.
     */
    cgroup_usage_bytes?: Value<number> | null;
    /**
     * Swap space.
     */
    swap_total_bytes?: Value<number> | null;
    /**
     * Swap in use.
     */
    swap_used_bytes?: Value<number> | null;
    /**
     * Swap areas and what backs them.
     */
    swap_devices?: SwapDevice[];
    /**
     * Size of `/dev/shm`, which PyTorch's DataLoader workers and NCCL use.
     */
    shm_bytes?: Value<number> | null;
    /**
     * CPU and accelerator share the same memory (Apple silicon, AMD APUs, GB10).
     */
    unified?: boolean | null;
    /**
     * Peak memory bandwidth of the platform, from the chip catalogue.
     */
    bandwidth_gbs?: Value<number> | null;
}

/**
 * The CPU.
 */
export interface Cpu {
    /**
     * Brand string, e.g. `AMD Ryzen 9 7950X 16-Core Processor`, `Apple M4 Pro`.
     */
    brand?: string | null;
    /**
     * Vendor, e.g. `GenuineIntel`, `AuthenticAMD`, `Apple`, `ARM`.
     */
    vendor?: string | null;
    /**
     * Sockets (physical packages).
     */
    sockets?: Value<number> | null;
    /**
     * Physical cores over all sockets.
     */
    physical_cores?: Value<number> | null;
    /**
     * Logical CPUs (hardware threads) the OS shows.
     */
    logical_cores?: Value<number> | null;
    /**
     * Performance cores on a hybrid CPU.
     */
    performance_cores?: Value<number> | null;
    /**
     * Efficiency cores on a hybrid CPU.
     */
    efficiency_cores?: Value<number> | null;
    /**
     * CPUs this process may use: affinity and cgroup quota applied.
     */
    available_parallelism?: Value<number> | null;
    /**
     * CPU quota of this process's cgroup, in cores; `null` when unlimited.
     */
    cgroup_quota_cores?: Value<number> | null;
    /**
     * Highest clock of any core.
     */
    max_mhz?: Value<number> | null;
    /**
     * Instruction-set extensions that matter for training on the CPU, in the order of their
     * list.
     */
    flags?: CpuFlag[];
    /**
     * NUMA nodes with their CPUs and memory.
     */
    numa_nodes?: NumaNode[];
}

/**
 * The adapter's limits that matter for compute (`GPUSupportedLimits`); `null` where the browser
 * does not report one.
 */
export interface WebGpuLimits {
    /**
     * `maxBufferSize`, bytes: the largest buffer. Not the memory of the device.
     */
    max_buffer_size: number | null;
    /**
     * `maxStorageBufferBindingSize`, bytes: the largest storage buffer one binding sees.
     */
    max_storage_buffer_binding_size: number | null;
    /**
     * `maxComputeWorkgroupStorageSize`, bytes: workgroup (shared) memory.
     */
    max_compute_workgroup_storage_size: number | null;
    /**
     * `maxComputeInvocationsPerWorkgroup`.
     */
    max_compute_invocations_per_workgroup: number | null;
}

/**
 * The capability score.
 */
export interface Score {
    /**
     * 0 to 10, one decimal.
     */
    value: number;
    /**
     * How it is computed.
     */
    formula: string;
}

/**
 * The change a decision makes.
 */
export type Action = "halve_micro_batch" | "full_checkpointing" | "adamw_8bit" | "offload_optimizer" | "halve_sequence" | "mesh_layout" | "lower_precision" | "keep_optimizer_on_device" | "more_accumulation" | "power_cap" | "pause" | "fewer_devices" | "cpu" | "continue" | "none_left";

/**
 * The cluster a plan ran on.
 */
export interface ClusterSummary {
    /**
     * Machines.
     */
    machines: number;
    /**
     * Devices of one machine.
     */
    devices_per_machine: number;
    /**
     * Devices in all.
     */
    devices: number;
    /**
     * Between two devices of a machine; absent for one-device machines.
     */
    within: ClusterLink | null;
    /**
     * Between two machines; absent for one machine.
     */
    between: ClusterLink | null;
}

/**
 * The data path of a configuration.
 */
export interface DataPlan {
    /**
     * The dataset of the table, when the goal names one.
     */
    dataset: KnownDataset | null;
    /**
     * Where it lives.
     */
    location: DataLocation;
    /**
     * Tokens in the dataset.
     */
    dataset_tokens: number;
    /**
     * Passes over the dataset the run makes: its tokens over the dataset's.
     */
    epochs: number;
    /**
     * Bytes as stored per token (the table's size over its tokens, the goal's, or 4 bytes of
     * text per token).
     */
    stored_bytes_per_token: number;
    /**
     * Bytes the run takes from where the data lives: the dataset, or the part one run reads when
     * it reads less than one pass.
     */
    fetch_bytes: number;
    /**
     * Rate at which the data is read where it lives, MB/s; `null` when unknown.
     */
    source_mbs: number | null;
    /**
     * Where that rate comes from.
     */
    source_rate: RateSource | null;
    /**
     * Seconds to download (hub, object store) or read once (local disk, network mount) the
     * fetched bytes at that rate.
     */
    first_pass_s: number | null;
    /**
     * Seconds to tokenise the fetched text once at the tokenizer's rate (50 MB/s).
     */
    tokenise_s: number;
    /**
     * Tokens per second that streaming from the source delivers: its rate, or tokenising on the
     * fly, whichever is slower.
     */
    stream_tokens_per_s: number | null;
    /**
     * Whether streaming keeps up with the configuration's tokens per second.
     */
    streaming_keeps_up: boolean | null;
    /**
     * Tokenised shards of the fetched tokens, bytes (2 or 4 bytes per token by vocabulary).
     */
    tokenised_bytes: number;
    /**
     * RAM the page cache may use: system memory (within the cgroup limit) less the OS reserve
     * and the run's own host memory, bytes.
     */
    page_cache_bytes: number | null;
    /**
     * Where the tokenised shards are best cached: RAM when they fit the page cache, else the
     * fastest local disk with room.
     */
    cache: CacheTier;
    /**
     * Mount point of the cache, for a disk.
     */
    cache_mount: string | null;
    /**
     * Read rate of the cache, MB/s.
     */
    cache_read_mbs: number | null;
    /**
     * Where that rate comes from.
     */
    cache_rate: RateSource | null;
    /**
     * Whether reading the cached shards keeps up with training.
     */
    cache_keeps_up: boolean | null;
    /**
     * Temporary disk for tokenisation and shuffling: the download (hub, object store), the
     * tokenised shards and the shuffle index, bytes.
     */
    temporary_bytes: number;
    /**
     * Free space on the largest local file system, bytes.
     */
    disk_free_bytes: number | null;
}

/**
 * The devices a plan runs on.
 */
export interface Device {
    /**
     * Name, e.g. `NVIDIA GeForce RTX 4090` or the CPU brand.
     */
    name: string;
    /**
     * Class.
     */
    class: DeviceClass;
    /**
     * How many of them.
     */
    count: number;
    /**
     * Memory one of them may use, bytes (a GPU's own memory, Apple's Metal working set, or the
     * RAM left to a CPU job after the OS reserve and within the cgroup limit).
     */
    usable_bytes: number;
    /**
     * The GPU shares memory with the CPU.
     */
    unified_memory: boolean;
    /**
     * Numeric recipe for training.
     */
    precision: Precision;
    /**
     * Why that recipe.
     */
    precision_reason: string;
    /**
     * Attention kernel.
     */
    attention: AttentionImpl;
    /**
     * FlashAttention (or an equivalent fused kernel) is available.
     */
    flash_attention: boolean;
    /**
     * Framework and backend the memory model applies.
     */
    framework: Framework;
    /**
     * Peak dense TFLOP/s of one device in the recipe's compute dtype; `None` when unknown.
     */
    peak_tflops: number | null;
    /**
     * Share of peak a training run sustains.
     */
    efficiency: number;
    /**
     * Where that share comes from.
     */
    efficiency_source: string;
    /**
     * Memory bandwidth of one device, GB/s.
     */
    memory_bandwidth_gbs: number | null;
    /**
     * Bandwidth between devices for collectives (NCCL bus bandwidth), GB/s.
     */
    link_gbs: number | null;
    /**
     * Collective backend: `nccl`, `rccl`, `gloo`, `mlx` or none for one device.
     */
    collective: string | null;
    /**
     * CPU training: intra-op threads to set (`torch.set_num_threads`), one per physical core:
     * hyper-threads share a core's vector units (PyTorch performance tuning guide, "CPU specific
     * optimizations": use physical cores, avoid logical ones).
     */
    threads: number | null;
    /**
     * Thermal design power of one device, W.
     */
    tdp_w: number | null;
    /**
     * Lowest power limit that can be set, W (NVIDIA).
     */
    power_min_w: number | null;
}

/**
 * The experts of a mixture-of-experts architecture.
 */
export interface ArchitectureMoe {
    /**
     * Routed experts per MoE layer.
     */
    experts: number;
    /**
     * Experts each token is routed to (`num_experts_per_tok`).
     */
    top_k: number;
    /**
     * Width of one routed expert (`moe_intermediate_size`).
     */
    expert_intermediate: number;
    /**
     * Total width of the always-on shared experts; 0 without them.
     */
    shared_intermediate: number;
    /**
     * Layers whose feed-forward block stays dense.
     */
    dense_layers: number;
}

/**
 * The fit of the peak on a device.
 */
export interface Fit {
    /**
     * Memory of the device as given.
     */
    device_bytes: number;
    /**
     * What the job may use of it (unified memory: the GPU's working-set limit).
     */
    usable_bytes: number;
    /**
     * What the operating system keeps from the job: on unified memory the RAM beyond the GPU's
     * working-set limit; 0 on a discrete GPU, whose reported memory is already net of the driver.
     */
    os_reserve_bytes: number;
    /**
     * `usable_bytes - peak_bytes`; negative when it does not fit.
     */
    headroom_bytes: number;
    /**
     * `peak_bytes <= usable_bytes`.
     */
    fits: boolean;
}

/**
 * The heterogeneous plan of one mode.
 */
export interface HeteroModePlan {
    /**
     * The mode: its share of each device's usable memory is the memory each may use.
     */
    mode: Mode;
    /**
     * The layouts, fastest first; absent when the devices cannot hold the job within the
     * mode's share of their memory.
     */
    plan: HeteroPlan | null;
    /**
     * Why not, when `plan` is absent.
     */
    refused?: string;
}

/**
 * The job, and every choice the user fixes; what is not fixed the mode decides.
 */
export interface Goal {
    /**
     * What is done. Default: `pretrain`.
     */
    task?: GoalTask;
    /**
     * The model; required for every task but `pretrain`. Default (pretraining only): a
     * Llama-style model the planner sizes to the mode's time budget and memory target.
     */
    model?: ModelSource;
    /**
     * Tokens per sequence (serving: the context length). Default: the longest of the mode's
     * range (within the model's positions) that fits, halving to one step below the range and
     * never under 128 tokens.
     */
    sequence?: number;
    /**
     * Sequences per device per step. Default: the largest of the mode's range that fits, else
     * the largest below it; serving, the concurrency per device.
     */
    micro_batch?: number;
    /**
     * Sequences per optimizer step over all devices. Default: pretraining, DeepSeek LLM's
     * compute-optimal batch for the run's compute; fine-tuning, the micro-batches of all devices
     * times the mode's accumulation, at least 16; serving, one micro-batch per device.
     */
    global_batch?: number;
    /**
     * Numeric recipe. Default: the device's, with its reason in `device.precision_reason`
     * (on NVIDIA: bf16 autocast from Ampere, fp16 autocast on Volta and Turing); frozen weights
     * (LoRA, QLoRA, serving) in that recipe's 16-bit dtype.
     */
    precision?: Precision;
    /**
     * Optimizer. Default: AdamW; 8-bit AdamW, then its states offloaded, when AdamW does not
     * fit (a given model, or extreme pretraining).
     */
    optimizer?: Optimizer;
    /**
     * Activation recomputation. Default: none when that fits, else full.
     */
    checkpointing?: Checkpointing;
    /**
     * Attention kernel. Default: FlashAttention where the device has it, else SDPA.
     */
    attention?: AttentionImpl;
    /**
     * Sharding across devices. Default: none on one device; on several, the first of none,
     * ZeRO-2 and ZeRO-3 that fits.
     */
    sharding?: Sharding;
    /**
     * Devices to use (at most those in the profile). Default: every device of the profile's
     * primary kind.
     */
    devices?: number;
    /**
     * LoRA rank for `lora` and `qlora`. Default: 16.
     */
    lora_rank?: number;
    /**
     * Training tokens. Default: the mode's tokens per parameter for pretraining, the mode's
     * wall-clock budget for fine-tuning.
     */
    tokens?: number;
    /**
     * Wall-clock budget in hours, instead of the mode's. Default: the mode's (2 h, 6 h, 24 h).
     */
    hours?: number;
    /**
     * Serving: concurrent sequences over all devices. Default: the most that fit, up to 4096
     * per device.
     */
    concurrency?: number;
    /**
     * On a cluster, the mesh axes to fix (named axes, or seed 003's `shape` `[data, model]`);
     * the search fills in the rest. Explicit axes win over `shape`, `shape` over the search.
     */
    mesh?: MeshConstraints;
    /**
     * The training data: a dataset of the table or its size, and where it lives; the plan's
     * `data` section reads it. Default: the run's tokens, on a local disk.
     */
    dataset?: Dataset;
    /**
     * The power supply's rating, W, instead of the profile's `power.psu_w` (the probe cannot
     * read it). Default: the profile's, else none (no headroom check).
     */
    psu_w?: number;
    /**
     * Whether the power supply is ATX 3.0 (built to carry GPU power excursions), instead of the
     * profile's `power.psu_atx3`: it may then run at its full rating rather than 68 % of it.
     * Default: the profile's, else not known (68 %).
     */
    psu_atx3?: boolean;
    /**
     * Pretraining in phases: `1`, `2`, or `{"phase_b_share": ..., "phase_b_sequence": ...}`
     * for two. Phase A trains most tokens at the configuration's sequence; phase B the rest at
     * a longer context with the learning rate decayed, as Llama 3's long-context stage, MiniCPM's
     * WSD decay and OLMo 2's mid-training do (see `configuration.phase_b`). Default: one phase
     * (phase B needs a long-context or high-quality data set only the user can supply).
     */
    phases?: Phases;
}

/**
 * The knobs a decision changes, each absent when it stays.
 */
export interface Changes {
    /**
     * Sequences per device per step.
     */
    micro_batch?: number;
    /**
     * Micro-batches accumulated per optimizer step.
     */
    gradient_accumulation?: number;
    /**
     * Sequences per optimizer step over all devices.
     */
    global_batch?: number;
    /**
     * Tokens per sequence.
     */
    sequence?: number;
    /**
     * Activation recomputation.
     */
    checkpointing?: Checkpointing;
    /**
     * Optimizer.
     */
    optimizer?: Optimizer;
    /**
     * Optimizer states in host memory.
     */
    offload_optimizer?: boolean;
    /**
     * Numeric recipe.
     */
    precision?: Precision;
    /**
     * Devices used.
     */
    devices?: number;
    /**
     * Power limit per device, W (`nvidia-smi -pl`).
     */
    power_cap_w?: number;
    /**
     * Seconds to pause before resuming.
     */
    pause_s?: number;
    /**
     * The device to train on instead: `cpu`.
     */
    device?: TargetDevice;
}

/**
 * The layouts that fit, fastest first.
 */
export interface HeteroPlan {
    /**
     * Layouts that fit, fastest first.
     */
    layouts: HeteroLayout[];
    /**
     * Layouts left out, with the reason and the numbers.
     */
    refused: string[];
    /**
     * Devices whose removal would make the best plan faster (a slow device adds a pipeline
     * stage or holds back the data-parallel step: exo #803, a cluster slower than one node).
     */
    slower_with: string[];
    /**
     * Sum of the devices' 16-bit peaks, TFLOP/s (the MFU denominator).
     */
    peak_tflops: number;
    /**
     * FLOP counting convention of `mfu`.
     */
    convention: string;
}

/**
 * The machine's shape, from the firmware's chassis type.
 */
export type FormFactor = "laptop" | "desktop" | "server";

/**
 * The model of a configuration.
 */
export interface ModelChoice {
    /**
     * Name.
     */
    name: string;
    /**
     * All parameters.
     */
    parameters: number;
    /**
     * Parameters that are trained.
     */
    trainable: number;
    /**
     * Whose model it is.
     */
    origin: ModelOrigin;
    /**
     * Layers, hidden size, heads, FFN size and vocabulary, for a generated model.
     */
    shape: Shape | null;
    /**
     * The architecture of the model, given or generated, from its resolved spec: what engines
     * that build the model from flags (Megatron-LM, torchtitan) need. Absent in plans written
     * before it was added.
     */
    architecture?: Architecture;
    /**
     * The tokenizer a generated model is sized for. Default: absent (a given model's own).
     */
    tokenizer?: Tokenizer;
}

/**
 * The parallel axes, innermost (fastest links) first.
 */
export type Axis = "tensor" | "context" | "expert" | "pipeline" | "data";

/**
 * The path between two accelerators, keyed by PCI bus id.
 */
export interface AcceleratorLink {
    /**
     * PCI bus id of one end.
     */
    a: string;
    /**
     * PCI bus id of the other end.
     */
    b: string;
    /**
     * Closest common point.
     */
    level: LinkLevel;
    /**
     * NVLink links between the two.
     */
    nvlink_links?: number | null;
}

/**
 * The planner's answer.
 */
export interface Plan {
    /**
     * Document version.
     */
    schema_version: number;
    /**
     * The cluster, when the request gave one: machines, devices and links.
     */
    cluster?: ClusterSummary;
    /**
     * What the configurations run on (on a cluster: every device of it).
     */
    device: Device;
    /**
     * How capable the machine is for training, 0 to 10.
     */
    score: Score;
    /**
     * One configuration per requested mode, in the order asked (none on machines of unequal
     * devices: see `hetero`).
     */
    configurations: Configuration[];
    /**
     * On machines of unequal devices: per requested mode, the pipeline and uneven
     * data-parallel layouts with each device's role, layers or batch share, and memory.
     * Default: empty (one kind of device).
     */
    hetero?: HeteroModePlan[];
    /**
     * Conditions of the machine itself, each with its numbers.
     */
    warnings: Warning[];
    /**
     * What would make the machine train better.
     */
    suggestions: Warning[];
}

/**
 * The searched layouts.
 */
export interface MeshPlan {
    /**
     * Devices planned on.
     */
    devices: number;
    /**
     * Bytes one device may use.
     */
    memory_limit_bytes: number;
    /**
     * The fastest layouts that fit, fastest first.
     */
    candidates: MeshCandidate[];
    /**
     * Layouts whose memory was estimated.
     */
    considered: number;
    /**
     * Of those, layouts that did not fit.
     */
    rejected_for_memory: number;
    /**
     * What limits the best layout, in words.
     */
    binding: string;
    /**
     * Throughput against device count at the same global batch, the best layout's tensor,
     * context and pipeline degrees kept where they fit: one point per power-of-two share of
     * the machines, the whole cluster last.
     */
    scaling: ScalingPoint[];
    /**
     * Warnings with their numbers.
     */
    warnings: Warning[];
}

/**
 * The serving layouts that fit, by total decode throughput, best first.
 */
export interface ServePlan {
    /**
     * Context per sequence.
     */
    context: number;
    /**
     * The layouts.
     */
    layouts: ServeLayout[];
}

/**
 * The stable identifier of a warning or suggestion.
 */
export type WarningCode = "does_not_fit" | "sequence_beyond_context" | "attention_runs_eager" | "logits_dominate" | "optimizer_step_peak" | "time_budget_exceeded" | "below_mode_range" | "large_vocab_logits" | "qlora_exceeds_lora" | "data_loading_bottleneck" | "disk_space" | "power_above_target" | "power_near_limit" | "thermal_risk" | "on_battery" | "swap_in_use" | "hdd_streaming" | "no_bf16" | "no_flash_attention" | "cgroup_limit" | "unified_memory_limit" | "cpu_only" | "speed_unknown" | "use_a_gpu" | "slow_interconnect" | "fixed_batch_scaling" | "data_path_bound" | "temporary_disk" | "psu_headroom";

/**
 * The tokenizer of a generated model: the public one nearest the vocabulary that Tao et al.
 * 2024 predict as compute-optimal for its non-embedding parameters.
 */
export interface Tokenizer {
    /**
     * Short name: `sentencepiece-bpe-4096`, `llama-2`, `gpt-2` or `llama-3`.
     */
    name: string;
    /**
     * Its vocabulary, tokens (the model's `vocab_size`).
     */
    vocab: number;
    /**
     * The vocabulary Tao et al. 2024 predict for the model's size, tokens.
     */
    optimal_vocab: number;
    /**
     * Which tokenizer, and where it comes from.
     */
    source: string;
}

/**
 * The training data a goal names.
 */
export interface Dataset {
    /**
     * A public dataset from trainfit's table, whose size and tokens are known. Default: none.
     */
    name?: KnownDataset;
    /**
     * Tokens in the dataset (a part of a named one, when smaller). Default: the named dataset's;
     * else `bytes` at 4 bytes of text per token; else the run's tokens.
     */
    tokens?: number;
    /**
     * Size as stored where it lives, bytes. Default: the named dataset's size per token times
     * `tokens`; else 4 bytes per token.
     */
    bytes?: number;
    /**
     * Where it lives. Default: `hub` for a named dataset, else `local`.
     */
    location?: DataLocation;
}

/**
 * The two layouts.
 */
export type HeteroKind = "pipeline" | "data";

/**
 * The whole system's draw in a mode, against the power supply's rating.
 */
export interface SystemPower {
    /**
     * Accelerators at their power limit in the mode (the cap, else TDP), all of them, W.
     */
    accelerators_w: number;
    /**
     * CPU package power, all sockets, W.
     */
    cpu_w: number;
    /**
     * Where the CPU figure comes from.
     */
    cpu_source: string;
    /**
     * Board, memory, drives and fans, W.
     */
    rest_w: number;
    /**
     * The sum, W.
     */
    total_w: number;
    /**
     * The power supply's rating, W.
     */
    psu_w: number;
    /**
     * Share of the rating the system may draw sustained: 0.68, or 1 for an ATX 3.0 supply.
     */
    safe_share: number;
    /**
     * Share of the rating the system draws.
     */
    load_share: number;
}

/**
 * Time of a configuration.
 */
export interface TimeEstimate {
    /**
     * The FLOP-counting convention.
     */
    convention: string;
    /**
     * Model FLOPs per token.
     */
    model_flops_per_token: number;
    /**
     * Hardware FLOPs per token (recomputation included).
     */
    hardware_flops_per_token: number;
    /**
     * Sustained TFLOP/s of all devices: the time model's hardware FLOP/s, or peak × the
     * device class's efficiency × devices where the model lacks the memory bandwidth; `null`
     * when the peak is unknown.
     */
    achievable_tflops: number | null;
    /**
     * Seconds per optimizer step; `null` when the device's speed is unknown.
     */
    step_s: number | null;
    /**
     * Of which exposed gradient communication.
     */
    communication_s: number | null;
    /**
     * Tokens per second over all devices.
     */
    tokens_per_s: number | null;
    /**
     * Model FLOPs utilisation: model FLOPs per second over peak.
     */
    mfu: number | null;
    /**
     * Hardware FLOPs utilisation: hardware FLOPs per second over peak.
     */
    hfu: number | null;
    /**
     * Share of full speed kept under the mode's power cap.
     */
    power_cap_speed: number;
    /**
     * Tokens the run trains on.
     */
    tokens: number;
    /**
     * Optimizer steps.
     */
    steps: number;
    /**
     * Total seconds.
     */
    total_s: number | null;
    /**
     * The mode's (or the user's) wall-clock budget, seconds.
     */
    budget_s: number;
    /**
     * Storage read rate the input pipeline needs, MB/s.
     */
    data_read_mbs: number | null;
    /**
     * Where the step's time goes, from the time model (compute, recomputation, exposed
     * communication per axis, bubble, optimizer step, offload copies); absent when the
     * device's peak or memory bandwidth is unknown, and for serving. On a cluster the mesh's
     * best candidate carries the same.
     */
    breakdown?: StepTime;
    /**
     * When the run ends past `budget_s`: what fits the budget instead. Default: absent (the run
     * fits its budget, or its time is unknown).
     */
    over_budget?: OverBudget;
}

/**
 * Time of one axis's collectives per optimizer step.
 */
export interface AxisTime {
    /**
     * The axis.
     */
    axis: Axis;
    /**
     * What it runs, e.g. `2 all-reduce per layer, forward and backward`.
     */
    what: string;
    /**
     * Ranks in one group.
     */
    ranks: number;
    /**
     * The group spans machines.
     */
    crosses_machines: boolean;
    /**
     * The link it runs on.
     */
    link: LinkSpeed;
    /**
     * Time on the link per step, s.
     */
    total_s: number;
    /**
     * Time not hidden behind compute per step, s (part of `step_s`).
     */
    exposed_s: number;
}

/**
 * Training-config fields for the engine, with where the defaults come from.
 */
export interface TrainingConfig {
    /**
     * Peak learning rate.
     */
    learning_rate: number;
    /**
     * Learning-rate schedule after the warm-up.
     */
    schedule: Schedule;
    /**
     * Warm-up steps.
     */
    warmup_steps: number;
    /**
     * Optimizer steps.
     */
    steps: number;
    /**
     * Save a checkpoint every this many steps.
     */
    save_steps: number;
    /**
     * Output directory.
     */
    output_dir: string;
    /**
     * Sources of these defaults.
     */
    sources: string[];
}

/**
 * Versions of the crate and of each document it reads and writes.
 */
export interface Versions {
    /**
     * Version of trainfit-core, e.g. `0.1.0`.
     */
    trainfit: string;
    /**
     * `schema_version` of estimate requests and estimates.
     */
    estimate: number;
    /**
     * `schema_version` of plan requests and plans.
     */
    plan: number;
    /**
     * `schema_version` of hardware profiles.
     */
    hardware_profile: number;
}

/**
 * Weights, gradients and optimizer states of one device (the ZeRO paper's "model states").
 */
export interface ModelStates {
    /**
     * Stored weights (quantised where requested).
     */
    weights_bytes: number;
    /**
     * LoRA adapter weights.
     */
    adapter_bytes: number;
    /**
     * Gradients of the trainable parameters.
     */
    gradients_bytes: number;
    /**
     * fp32 master weights of mixed precision.
     */
    master_weights_bytes: number;
    /**
     * Optimizer states.
     */
    optimizer_states_bytes: number;
}

/**
 * What `detectBrowserHardware()` returns.
 */
export interface BrowserHardware {
    /**
     * A hardware profile of kind `browser`, every figure the browser gave `estimated`,
     * completed as [`crate::hardware::parse_profile`] completes one (an adapter whose
     * description names a catalogue part gets its `catalogue` figures). Without an adapter it has no accelerator
     * and its `errors` say why.
     */
    profile: HardwareProfile;
    /**
     * Catalogue entries of the adapter's vendor and architecture, best match first; empty for
     * a software adapter or no adapter. A page can offer them as "is this your GPU?" and put
     * the chosen one's name in the profile.
     */
    candidates: AcceleratorSpec[];
    /**
     * The adapter as read, `null` without one.
     */
    webgpu: WebGpuAdapter | null;
}

/**
 * What a device does.
 */
export type Role = "coordinator" | "worker" | "gradient_accumulator";

/**
 * What a network interface is.
 */
export type NetworkKind = "ethernet" | "wifi" | "infiniband" | "loopback" | "virtual" | "other";

/**
 * What a run over its wall-clock budget would take, and what fits the budget instead.
 */
export interface OverBudget {
    /**
     * The budget the whole run needs, hours.
     */
    hours_needed: number;
    /**
     * Tokens the configuration trains within the budget.
     */
    tokens_in_budget: number;
    /**
     * Those tokens per parameter.
     */
    tokens_per_parameter_in_budget: number;
    /**
     * Loss given up by stopping at `tokens_in_budget` instead of the run's tokens, nats per
     * token, from Chinchilla's parametric fit L(N, D) (Hoffmann et al. 2022, eq. 10).
     */
    loss_increase: number;
}

/**
 * What backs a swap area.
 */
export type SwapKind = "partition" | "file" | "zram";

/**
 * What holds a file system.
 */
export type StorageKind = "nvme" | "ssd" | "hdd" | "virtual" | "network" | "ram" | "unknown";

/**
 * What is done with the model.
 */
export type GoalTask = "pretrain" | "finetune" | "lora" | "qlora" | "serve";

/**
 * What is done with the model.
 */
export type Task = "pretrain" | "finetune" | "lora" | "qlora" | "prefill" | "decode";

/**
 * What joins two devices.
 */
export type LinkClass = "nvlink" | "nvswitch" | "pcie" | "infiniband" | "roce" | "ethernet" | "thunderbolt" | "wifi";

/**
 * What kind of device an accelerator is.
 */
export type AcceleratorKind = "discrete" | "integrated" | "unified" | "cpu" | "virtual" | "unknown";

/**
 * What the plan does not know. Every field is optional; an unset one is written as the
 * placeholder its doc names, which the file still parses with and the user replaces.
 */
export interface ExportOptions {
    /**
     * Model path or Hugging Face repository. Default: the plan's model name when the user
     * gave the model (catalogue names are Hugging Face repositories), else `<MODEL_PATH>`
     * (a generated pretraining shape has no weights to load).
     */
    model?: string;
    /**
     * Dataset path or Hugging Face dataset name. Default: `<DATASET_PATH>`.
     */
    dataset?: string;
    /**
     * Output directory for checkpoints. Default: the plan's training config's
     * (`./trainfit-<mode>`).
     */
    output_dir?: string;
    /**
     * Address of the rank-0 node. Default: `<MASTER_ADDR>` (SLURM: the job's first node).
     */
    master_addr?: string;
    /**
     * Port of the rendezvous. Default: 29500, torchrun's `--master-port` default
     * (torch/distributed/run.py).
     */
    master_port?: number;
    /**
     * Container image (Kubeflow). Default: `<CONTAINER_IMAGE>`.
     */
    image?: string;
    /**
     * Job name (SLURM, Kubeflow, rendezvous id). Default: `trainfit-<mode>`.
     */
    job_name?: string;
    /**
     * Training script the launchers run, a `.py` path. Default: TRL's SFT script as a module
     * (`-m trl.scripts.sft`), whose flags are TrainingArguments' plus its model and data flags.
     */
    script?: string;
    /**
     * Hosts of an MLX job, comma separated (`mlx.launch --hosts`). Default: `<HOSTS>`.
     */
    hosts?: string;
}

/**
 * What to do about an observation.
 */
export interface Decision {
    /**
     * Stable identifier of the change.
     */
    action: Action;
    /**
     * Why, with the numbers: the observation, the budget it implies and what the change gives.
     */
    reason: string;
    /**
     * The knobs that change, and only those; absent for `none_left`.
     */
    set?: Changes;
    /**
     * The next configuration, re-estimated; absent for `none_left`. Pass it back (in the plan,
     * or to [`crate::adjust::adjust_configuration`]) for the next observation.
     */
    configuration?: Configuration;
    /**
     * Predicted peak of one device of the next configuration, bytes; absent for `none_left`.
     */
    peak_bytes?: number;
    /**
     * Memory budget per device the observation implies, bytes, for the memory observations
     * (out of memory, memory pressure, swap on unified memory, a lost device); absent otherwise.
     */
    budget_bytes?: number;
}

/**
 * What to plan for.
 */
export interface PlanRequest {
    /**
     * Document version. Default: the current version (1).
     */
    schema_version?: number;
    /**
     * The machine, as `trainfit probe` prints it (or typed by hand). Completed as it is read:
     * catalogue figures and the flat summary are filled where absent. Default: none, which
     * only a request with `cluster` may leave out.
     */
    profile?: HardwareProfile;
    /**
     * Several machines and the links between them (`trainfit cluster merge` writes one),
     * instead of `profile`.
     */
    cluster?: Cluster;
    /**
     * The job. Default: pretraining from scratch.
     */
    goal?: Goal;
    /**
     * Modes to plan. Default: all three.
     */
    modes?: Mode[];
}

/**
 * Where a configuration's model comes from.
 */
export type ModelOrigin = "given" | "generated";

/**
 * Where a dataset lives.
 */
export type DataLocation = "local" | "network_mount" | "object_store" | "hub";

/**
 * Where a number came from.
 */
export type Source = "measured" | "catalogue" | "estimated" | "user";

/**
 * Where the model description comes from.
 */
export type ModelSource = { catalogue: string } | { hf_config: Record<string, unknown> | string } | { spec: ModelSpec };

/**
 * Where the rate of a data source comes from.
 */
export type RateSource = "measured_network" | "link_speed" | "measured_storage" | "assumed_storage" | "memory";

/**
 * Where the tokenised shards are best kept.
 */
export type CacheTier = "ram" | "nvme" | "ssd" | "hdd" | "none";

/**
 * Which linear layers carry biases.
 */
export interface Bias {
    /**
     * Query, key and value projections.
     */
    qkv: boolean;
    /**
     * Attention output projection.
     */
    attn_out: boolean;
    /**
     * Feed-forward projections.
     */
    mlp: boolean;
    /**
     * Output (LM head) projection.
     */
    lm_head?: boolean;
}

/**
 * Which reading an accelerator's `memory_total_bytes` came from.
 */
export type MemorySource = "nvml" | "amdgpu_vram" | "amdgpu_gtt" | "xe_vram" | "i915_lmem" | "metal_working_set" | "dxgi" | "vulkan_heap" | "catalogue";

/**
 * Who wrote the profile.
 */
export interface ProbeInfo {
    /**
     * How the profile was made.
     */
    kind?: ProbeKind;
    /**
     * Version of the program that wrote it.
     */
    version?: string | null;
    /**
     * When it was collected, RFC 3339 in UTC.
     */
    collected_at?: string | null;
    /**
     * Time spent collecting it, in milliseconds.
     */
    duration_ms?: number | null;
}

/**
 * Why a device throttles.
 */
export type ThrottleCause = "thermal" | "power";

/**
 * Why an NVIDIA GPU holds its clocks below their maximum (NVML's clocks-event reasons, without
 * `gpu_idle`).
 */
export type ThrottleReason = "applications_clocks_setting" | "sw_power_cap" | "hw_slowdown" | "sync_boost" | "sw_thermal_slowdown" | "hw_thermal_slowdown" | "hw_power_brake" | "display_clock_setting";


/**
 * The accelerator catalogue's entries (published figures and their sources) whose name,
 * vendor or architecture contains every word of `query`; all of them without one.
 *
 * # Errors
 * As [`models`].
 */
export function accelerators(query?: string): AcceleratorSpec[];

/**
 * The decision for an observation of a running job (`schema/observation.schema.json`, or its
 * JSON text) on the `mode` configuration of a plan (or its JSON text), as `trainfit adjust
 * --plan FILE --mode MODE --observation FILE` prints it (`schema/decision.schema.json`).
 *
 * # Errors
 * As [`estimate`].
 */
export function adjust(plan: Plan | string, mode: Mode, observation: Observation | string): Decision;

/**
 * What this browser tells about its machine: the WebGPU adapter and `navigator`'s hints as a
 * hardware profile (every figure `estimated`), the catalogue accelerators of the adapter's
 * vendor and architecture, best match first, and the adapter as read. A software adapter
 * (SwiftShader, llvmpipe, WARP) is a `cpu`-kind device; no WebGPU is a profile without
 * accelerators whose `errors` say why. Works in a Window and in a Worker.
 *
 * # Errors
 * None from the browser's side (what cannot be read is left out).
 */
export function detectBrowserHardware(): Promise<BrowserHardware>;

/**
 * Estimates the peak memory of one device for a request (`schema/estimate-request.schema.json`,
 * or its JSON text), as `trainfit estimate --input FILE --json` does.
 *
 * # Errors
 * An `Error` whose `code` is the core's error kind and whose `field` names the offending field.
 */
export function estimate(request: EstimateRequest | string): Estimate;

/**
 * Every export format with its kind (`training` or `serving`) and a one-line description, as
 * `trainfit export --list-formats` prints them.
 *
 * # Errors
 * None; the signature matches the other exports.
 */
export function exportFormats(): FormatInfo[];

/**
 * The files of an engine `format` (`"deepspeed"`, `"slurm"`, ... as `exportFormats()` lists them) for
 * the `mode` configuration of a plan (or its JSON text), as `trainfit export --plan FILE --mode
 * MODE --format FORMAT` writes them; `options` fill in what the plan does not know (model and
 * dataset paths, master address, container image), placeholders such as `<MODEL_PATH>` where
 * absent.
 *
 * # Errors
 * As [`estimate`]; `unsupported` when the format cannot express a value of the configuration,
 * with the `field` and why.
 */
export function exportPlan(plan: Plan | string, mode: Mode, format: Format, options?: ExportOptions): ExportFile[];

/**
 * The model spec of a Hugging Face `config.json` (its text, or the parsed object).
 *
 * # Errors
 * As [`estimate`]: `unsupported_model_type`, `missing_field`, `invalid_field` or
 * `invalid_json`.
 */
export function modelFromHfConfig(config: Record<string, unknown> | string): ModelSpec;

/**
 * The catalogue models whose id or repository contains every word of `query` (all of them
 * without one), as `trainfit models --json` lists them (`schema/catalogue.schema.json`).
 *
 * # Errors
 * `invalid_field` when `query` is neither a string nor absent.
 */
export function models(query?: string): CatalogueModel[];

/**
 * Reads a hardware profile (what `trainfit probe --json` prints, as text or as an object),
 * completed: catalogue figures for each accelerator and the flat device summary. Newer schema
 * versions and numbers out of range are refused.
 *
 * # Errors
 * As [`estimate`].
 */
export function parseProfile(profile: HardwareProfile | string): HardwareProfile;

/**
 * Plans the three configurations (or those of `modes`) for a plan request
 * (`schema/plan-request.schema.json`: a hardware profile and a goal, or its JSON text), as
 * `trainfit plan --input FILE --json` does.
 *
 * # Errors
 * As [`estimate`].
 */
export function plan(request: PlanRequest | string): Plan;

/**
 * The versions of trainfit and of each document it reads and writes.
 *
 * # Errors
 * None; the signature matches the other exports.
 */
export function version(): Versions;
