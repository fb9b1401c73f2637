// From what the visitor typed to the documents the package reads: the plan request, the
// profile of a catalogue machine, and the estimate request of one configuration at another
// micro-batch or sequence (the charts). Every check of a value is the core's own; this module
// only says which field of the page an error belongs to.

import {
  accelerators,
  modelFromHfConfig,
  parseProfile,
  type AcceleratorSpec,
  type Configuration,
  type EstimateRequest,
  type Goal,
  type HardwareProfile,
  type ModelSource,
  type Plan,
  type PlanRequest,
  type TrainfitError,
} from "trainfit/web/lean";
import { allAccelerators } from "./catalogue";
import { buildCluster, type BuiltCluster } from "./cluster";
import { KNOBS, RUN_FIELDS, type Inputs, type Knob, type RunField } from "./inputs";

/** The page field an error is shown next to: an input's key, a knob, a field of the run, or the
 * request as a whole. */
export type Target = keyof Inputs | Knob | RunField | "request" | `machine-${number}`;

export interface FieldError {
  target: Target;
  /** The field's path in the request, as the error names it. */
  path: string;
  message: string;
}

/** How exact the hardware figures are, from the weakest of them. */
export type Provenance = "measured" | "catalogue" | "user" | "estimated";

export type Built =
  | { ok: true; request: PlanRequest; provenance: Provenance; cluster?: BuiltCluster }
  | { ok: false; errors: FieldError[]; cluster?: BuiltCluster };

const GIB = 2 ** 30;

/** Knobs the goal sends for each task; the others keep what was typed but are not sent. */
export const TASK_KNOBS: Record<string, readonly Knob[]> = {
  pretrain: ["sequence", "micro_batch", "global_batch", "precision", "optimizer", "checkpointing", "attention", "sharding", "devices", "tokens", "hours"],
  finetune: ["sequence", "micro_batch", "global_batch", "precision", "optimizer", "checkpointing", "attention", "sharding", "devices", "tokens", "hours"],
  lora: ["sequence", "micro_batch", "global_batch", "precision", "optimizer", "checkpointing", "attention", "sharding", "devices", "lora_rank", "tokens", "hours"],
  qlora: ["sequence", "micro_batch", "global_batch", "precision", "optimizer", "checkpointing", "attention", "sharding", "devices", "lora_rank", "tokens", "hours"],
  serve: ["sequence", "micro_batch", "precision", "attention", "devices", "concurrency"],
};

/** The run's fields each task sends: the data path is a training run's, the power supply any
 * configuration's, two phases a pretraining run's (the core refuses them for another task). */
export const TASK_RUN_FIELDS: Record<string, readonly RunField[]> = {
  pretrain: RUN_FIELDS,
  finetune: ["dataset", "dataset_tokens", "dataset_bytes", "dataset_location", "psu_w", "psu_atx3"],
  lora: ["dataset", "dataset_tokens", "dataset_bytes", "dataset_location", "psu_w", "psu_atx3"],
  qlora: ["dataset", "dataset_tokens", "dataset_bytes", "dataset_location", "psu_w", "psu_atx3"],
  serve: ["psu_w", "psu_atx3"],
};

const CHOICES: ReadonlySet<Knob> = new Set(["precision", "optimizer", "checkpointing", "attention", "sharding"]);

const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/** A typed number: digits with an optional k, M, B or T (`40k`, `1.5B`); anything else is
 * passed on as text, so the core's own message says what is wrong with it. `binary` reads k as
 * 1024, as context lengths are spoken of (a "4k context" is 4096 tokens). */
export function typedNumber(text: string, binary = false): number | string {
  const t = text.trim().replace(/[_,\s]/g, "");
  const m = /^(-?\d+(?:\.\d+)?(?:e\d+)?)([kmbgt]?)$/i.exec(t);
  if (!m) return text.trim();
  const unit = m[2]?.toLowerCase() ?? "";
  const n = Number(m[1]) * (unit === "k" && binary ? 1024 : unit ? SUFFIX[unit]! : 1);
  // 1.5k is 1500 exactly; rounding removes the binary fraction 1.1 * 1e3 leaves.
  return unit ? Math.round(n * 1e6) / 1e6 : n;
}

const BYTE_PREFIX: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** A typed size in bytes: digits with an optional decimal (`40GB`, `1.3 TB`) or binary
 * (`500 MiB`) unit; a bare `B` is bytes here, not billions. Anything else is passed on as text,
 * for the core to say what is wrong with it. */
export function typedBytes(text: string): number | string {
  const t = text.trim().replace(/[_,]/g, "");
  const m = /^(-?\d+(?:\.\d+)?(?:e\d+)?)\s*(?:([kmgtp])(i?))?b?$/i.exec(t);
  if (!m) return t;
  const prefix = m[2]?.toLowerCase();
  const unit = prefix ? (m[3] ? 1024 ** ("kmgtp".indexOf(prefix) + 1) : BYTE_PREFIX[prefix]!) : 1;
  return Math.round(Number(m[1]) * unit);
}

/** A typed share: `0.1` or `10 %`. */
function typedShare(text: string): number | string {
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
  return pct ? Number(pct[1]) / 100 : typedNumber(text);
}

/** The run's fields of `inputs` that its task sends, into `goal` as the request spells them;
 * every value goes to the core as typed, so its message names what is wrong. */
function runFields(inputs: Inputs, goal: Record<string, unknown>): void {
  const sent = new Set(TASK_RUN_FIELDS[inputs.task] ?? []);
  const text = (k: RunField) => (sent.has(k) ? inputs.run[k].trim() : "");
  const dataset: Record<string, unknown> = {};
  if (text("dataset")) dataset.name = text("dataset");
  if (text("dataset_tokens")) dataset.tokens = typedNumber(text("dataset_tokens"));
  if (text("dataset_bytes")) dataset.bytes = typedBytes(text("dataset_bytes"));
  if (text("dataset_location")) dataset.location = text("dataset_location");
  if (Object.keys(dataset).length) goal.dataset = dataset;
  // A rating typed with its unit (`850 W`) is the same rating.
  if (text("psu_w")) goal.psu_w = typedNumber(text("psu_w").replace(/\s*w$/i, ""));
  if (text("psu_atx3")) goal.psu_atx3 = text("psu_atx3") === "true";
  if (text("phases")) {
    const split: Record<string, unknown> = {};
    if (text("phase_b_share")) split.phase_b_share = typedShare(text("phase_b_share"));
    if (text("phase_b_sequence")) split.phase_b_sequence = typedNumber(text("phase_b_sequence"), true);
    goal.phases = Object.keys(split).length ? split : 2;
  }
}

function isTrainfitError(e: unknown): e is TrainfitError {
  return e instanceof Error && typeof (e as TrainfitError).code === "string";
}

/** The error of `f` as a field error of `target`, its path prefixed. */
function caught(e: unknown, target: Target, prefix: string): FieldError {
  if (!isTrainfitError(e)) return { target, path: prefix, message: String(e) };
  const path = e.field ? (prefix ? `${prefix}.${e.field}` : e.field) : prefix;
  return { target, path, message: e.message };
}

/** The catalogue entry named `name` (any case), or why there is none. */
export function catalogueAccelerator(name: string): AcceleratorSpec | string {
  const wanted = name.trim().toLowerCase();
  const all = allAccelerators();
  const found = all.find((a) => a.name.toLowerCase() === wanted);
  if (found) return found;
  if (!wanted) return `field \`accelerator\` is empty, expected a name from the catalogue, e.g. ${all[0]?.name}`;
  const close = accelerators(wanted.split(/\s+/).slice(-1)[0]).slice(0, 3).map((a) => a.name);
  return `field \`accelerator\` is "${name.trim()}", not a name in the catalogue${close.length ? `; closest: ${close.join(", ")}` : ""}`;
}

/** A machine of `count` catalogue accelerators. Apple chips share memory with the CPU: the
 * memory given (else the chip's largest configuration in the catalogue) is the Mac's, and the
 * core estimates the GPU's working set of it (a probe reads the exact Metal figure instead). */
export function catalogueProfile(spec: AcceleratorSpec, count: number, memoryBytes?: number): HardwareProfile {
  const unified = spec.vendor === "apple";
  const device = {
    vendor: spec.vendor,
    name: spec.name,
    kind: unified ? ("unified" as const) : ("discrete" as const),
    ...(!unified && memoryBytes !== undefined ? { memory_total_bytes: { value: memoryBytes, source: "user" as const } } : {}),
  };
  const profile: HardwareProfile = { accelerators: Array.from({ length: count }, () => ({ ...device })) };
  if (unified) {
    const total = memoryBytes !== undefined
      ? { value: memoryBytes, source: "user" as const }
      : { value: Math.round(spec.memory_gib * GIB), source: "catalogue" as const };
    profile.memory = { total_bytes: total, unified: true };
  }
  return profile;
}

/** A whole number of at least 1, or the error message for field `name`. */
function wholeNumber(text: string, name: string, max: number): number | string {
  const n = typedNumber(text);
  if (typeof n === "number" && Number.isSafeInteger(n) && n >= 1 && n <= max) return n;
  return `field \`${name}\` is "${text.trim()}", expected a whole number from 1 to ${max}`;
}

/** A positive amount of GiB as bytes, or the error message for field `name`. */
function gibibytes(text: string, name: string): number | string {
  const n = typedNumber(text);
  if (typeof n === "number" && Number.isFinite(n) && n > 0 && n <= 1 << 20) return Math.round(n * GIB);
  return `field \`${name}\` is "${text.trim()}", expected a size in GiB above 0 and at most 1048576`;
}

/** The weakest source among the figures the plan's device uses. */
function provenanceOf(profile: HardwareProfile): Provenance {
  const order: Provenance[] = ["estimated", "user", "catalogue", "measured"];
  const sources = new Set<Provenance>();
  for (const a of profile.accelerators ?? []) {
    if (a.memory_total_bytes) sources.add(a.memory_total_bytes.source);
  }
  if (sources.size === 0 && profile.memory?.total_bytes) sources.add(profile.memory.total_bytes.source);
  return order.find((p) => sources.has(p)) ?? "estimated";
}

function hardware(inputs: Inputs, detected: HardwareProfile | null, errors: FieldError[]): { profile: HardwareProfile; provenance: Provenance } | null {
  switch (inputs.hardware) {
    case "detected":
      if (!detected) {
        errors.push({ target: "hardware", path: "profile", message: "the browser has not answered yet" });
        return null;
      }
      return { profile: detected, provenance: "estimated" };
    case "catalogue": {
      const spec = catalogueAccelerator(inputs.accelerator);
      if (typeof spec === "string") errors.push({ target: "accelerator", path: "profile.accelerators[0].name", message: spec });
      const count = wholeNumber(inputs.count, "count", 4096);
      if (typeof count === "string") errors.push({ target: "count", path: "profile.accelerators", message: count });
      const memory = inputs.memory.trim() ? gibibytes(inputs.memory, "memory") : undefined;
      if (typeof memory === "string") errors.push({ target: "memory", path: "profile.accelerators[0].memory_total_bytes", message: memory });
      if (typeof spec === "string" || typeof count === "string" || typeof memory === "string") return null;
      return { profile: catalogueProfile(spec, count, memory), provenance: memory !== undefined || spec.vendor === "apple" ? "user" : "catalogue" };
    }
    case "cpu": {
      const ram = gibibytes(inputs.ram, "ram");
      if (typeof ram === "string") errors.push({ target: "ram", path: "profile.memory.total_bytes", message: ram });
      const cores = inputs.cores.trim() ? wholeNumber(inputs.cores, "cores", 4096) : undefined;
      if (typeof cores === "string") errors.push({ target: "cores", path: "profile.cpu.physical_cores", message: cores });
      if (typeof ram === "string" || typeof cores === "string") return null;
      const profile: HardwareProfile = { accelerators: [], memory: { total_bytes: { value: ram, source: "user" } } };
      if (cores !== undefined) {
        profile.cpu = { physical_cores: { value: cores, source: "user" }, logical_cores: { value: cores, source: "user" } };
      }
      return { profile, provenance: "user" };
    }
    case "cluster":
      // Several machines make a request of their own (`build`), not a profile.
      return null;
    case "profile":
      try {
        const profile = parseProfile(inputs.profile);
        return { profile, provenance: provenanceOf(profile) };
      } catch (e) {
        errors.push(caught(e, "profile", "profile"));
        return null;
      }
  }
}

function model(inputs: Inputs, errors: FieldError[]): ModelSource | undefined {
  switch (inputs.model) {
    case "planner":
      return undefined;
    case "catalogue":
      return { catalogue: inputs.modelId.trim() };
    case "config":
      try {
        modelFromHfConfig(inputs.config);
        return { hf_config: JSON.parse(inputs.config) as Record<string, unknown> };
      } catch (e) {
        errors.push(caught(e, "config", "goal.model.hf_config"));
        return undefined;
      }
  }
}

/** The goal as typed: empty knobs left out, the others passed on for the core to check. */
export function goalOf(inputs: Inputs, errors: FieldError[]): Goal {
  const goal: Record<string, unknown> = { task: inputs.task };
  const m = model(inputs, errors);
  if (m) goal.model = m;
  for (const k of TASK_KNOBS[inputs.task] ?? []) {
    const text = inputs.knobs[k].trim();
    if (!text) continue;
    goal[k] = CHOICES.has(k) ? text : typedNumber(text, k === "sequence");
  }
  runFields(inputs, goal);
  return goal as Goal;
}

/** The plan request of `inputs`, or every error found before the core was asked. */
export function build(inputs: Inputs, detected: HardwareProfile | null): Built {
  const errors: FieldError[] = [];
  if (inputs.hardware === "cluster") {
    const built = buildCluster(inputs, errors);
    const goal = goalOf(inputs, errors);
    if (errors.length) return { ok: false, errors, cluster: built };
    return { ok: true, request: { cluster: built.cluster, goal }, provenance: built.provenance, cluster: built };
  }
  const hw = hardware(inputs, detected, errors);
  const goal = goalOf(inputs, errors);
  if (!hw || errors.length) return { ok: false, errors };
  return { ok: true, request: { profile: hw.profile, goal }, provenance: hw.provenance };
}

/** The request's paths of the run's fields, the most specific first. */
const RUN_PATHS: [string, RunField][] = [
  ["goal.dataset.name", "dataset"],
  ["goal.dataset.tokens", "dataset_tokens"],
  ["goal.dataset.bytes", "dataset_bytes"],
  ["goal.dataset.location", "dataset_location"],
  ["goal.dataset", "dataset"],
  ["goal.psu_w", "psu_w"],
  ["goal.psu_atx3", "psu_atx3"],
  ["goal.phases.phase_b_share", "phase_b_share"],
  ["goal.phases.phase_b_sequence", "phase_b_sequence"],
  ["goal.phases", "phases"],
];

/** The page field an error of `plan` belongs to, from the path the core names; `pageLink` is
 * the index of the link the page's own fields add to the cluster (-1: none). */
export function targetOf(inputs: Inputs, path: string | undefined, pageLink = -1): Target {
  if (!path) return "request";
  const count = /^cluster\.machines\[(\d+)\]\.count/.exec(path);
  if (count) return `machine-${Number(count[1])}`;
  const link = /^cluster\.links\[(\d+)\](\.\w+)?/.exec(path);
  if (link && Number(link[1]) === pageLink) return link[2] === ".bandwidth_gbs" ? "bandwidth" : "link";
  if (path.startsWith("cluster")) return "cluster";
  if (path.startsWith("goal.model.hf_config")) return "config";
  if (path.startsWith("goal.model.catalogue")) return "modelId";
  if (path === "goal.model") return "model";
  const knob = path.slice("goal.".length) as Knob;
  if (path.startsWith("goal.") && KNOBS.includes(knob)) return knob;
  const run = RUN_PATHS.find(([prefix]) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`));
  if (run) return run[1];
  if (path.startsWith("profile")) {
    return ({ detected: "hardware", catalogue: "accelerator", cpu: "ram", profile: "profile", cluster: "cluster" } as const)[inputs.hardware];
  }
  return "request";
}

/** The core's error from `plan`, as a field error. */
export function planError(inputs: Inputs, e: unknown, pageLink = -1): FieldError {
  const path = isTrainfitError(e) ? e.field : undefined;
  return caught(e, targetOf(inputs, path, pageLink), "");
}

/** The positions a planner-sized model is trained for (core/src/plan/ladder.rs,
 * `LADDER_MAX_POSITIONS`); the estimate needs the spec the planner generated, and its
 * `config.json` is rebuilt from the configuration's shape as ladder.rs writes it. */
const LADDER_MAX_POSITIONS = 8192;

/** The model a configuration trains, as an estimate request takes it. */
function configurationModel(c: Configuration, given: ModelSource | undefined): ModelSource | null {
  if (c.model.origin === "given") return given ?? null;
  const shape = c.model.shape;
  if (!shape) return null;
  return {
    hf_config: {
      model_type: "llama",
      hidden_size: shape.hidden,
      num_hidden_layers: shape.layers,
      num_attention_heads: shape.heads,
      num_key_value_heads: shape.heads,
      intermediate_size: shape.intermediate,
      vocab_size: shape.vocab,
      max_position_embeddings: LADDER_MAX_POSITIONS,
      tie_word_embeddings: false,
      hidden_act: "silu",
    },
  };
}

/** One part in this many of a served context is generated (core/src/plan/serve.rs,
 * `GENERATED_PART`): serving is estimated at the prompt, as the planner does. */
const GENERATED_PART = 4;

/** The estimate request the planner measured configuration `c` with (core/src/plan/planner.rs,
 * `Planner::request`), at another micro-batch and sequence: what the charts plot. At the
 * configuration's own values its `peak_bytes` equals `c.memory.peak_bytes` (the browser tests
 * check it on every chart). */
export function estimateRequest(plan: Plan, c: Configuration, given: ModelSource | undefined, microBatch: number, sequence: number): EstimateRequest | null {
  const model = configurationModel(c, given);
  if (!model) return null;
  const serving = c.task === "serve";
  const request: EstimateRequest = {
    model,
    task: c.task === "serve" ? "decode" : c.task,
    micro_batch: microBatch,
    sequence,
    precision: c.precision,
    optimizer_impl: "foreach",
    attention: c.attention,
    checkpointing: c.checkpointing,
    loss: "upcast",
    parallel: { data: c.devices, micro_batches: c.gradient_accumulation, sharding: c.sharding, offload: c.offload },
    runtime: { framework: plan.device.framework, device_memory_bytes: plan.device.usable_bytes },
  };
  if (c.optimizer) request.optimizer = c.optimizer;
  if (serving) {
    const generate = Math.floor(sequence / GENERATED_PART);
    request.sequence = sequence - generate;
    request.inference = { prompt: sequence - generate, generate };
  }
  if (c.lora_rank !== null) request.lora = { rank: c.lora_rank, targets: ["all-linear"], dtype: "fp32", dropout: 0 };
  if (c.task === "qlora") request.quantization = { format: "nf4", double_quant: true };
  return request;
}
