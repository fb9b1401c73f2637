// Everything the visitor typed or chose, as typed: the page's whole state. It travels in the URL
// fragment (gzip, then base64url), which a browser never sends to a server (RFC 9110 §7.1).

import type { GoalTask, Mode } from "trainfit/web/lean";

/** Where the hardware comes from. */
export type HardwareSource = "detected" | "catalogue" | "cpu" | "profile" | "cluster";

/** Where the model comes from. */
export type ModelKind = "catalogue" | "config" | "planner";

/** The optional fields of the plan request's goal, each a text field or a choice. */
export const KNOBS = [
  "sequence",
  "micro_batch",
  "global_batch",
  "precision",
  "optimizer",
  "checkpointing",
  "attention",
  "sharding",
  "devices",
  "lora_rank",
  "tokens",
  "hours",
  "concurrency",
] as const;

export type Knob = (typeof KNOBS)[number];

/** The goal's fields about the run around the model (issue 16): the dataset and where it lives,
 * the power supply, and two-phase pretraining. Each is kept as typed (`phases` is `"2"` when the
 * box is ticked, else empty; `psu_atx3` is `"true"`, `"false"` or empty for not known). */
export const RUN_FIELDS = [
  "dataset",
  "dataset_tokens",
  "dataset_bytes",
  "dataset_location",
  "psu_w",
  "psu_atx3",
  "phases",
  "phase_b_share",
  "phase_b_sequence",
] as const;

export type RunField = (typeof RUN_FIELDS)[number];

/** One machine of the compare table: a catalogue accelerator and how many. */
export interface CompareEntry {
  name: string;
  count: number;
}

export interface Inputs {
  hardware: HardwareSource;
  /** Catalogue accelerator name, device count and an optional memory per device in GiB. */
  accelerator: string;
  count: string;
  memory: string;
  /** CPU-only machine: RAM in GiB and physical cores. */
  ram: string;
  cores: string;
  /** The text `trainfit probe --json` printed. */
  profile: string;
  /** Several machines: their profiles or a cluster document, as pasted (src/cluster.ts). */
  cluster: string;
  /** A machine's count as typed, by machine name; absent: the documents' count. */
  counts: Record<string, string>;
  /** The link class between machines (`LinkClass`); empty: the documents' or the profiles'. */
  link: string;
  /** Its bus bandwidth per device, GB/s, as typed; empty: the class default. */
  bandwidth: string;
  model: ModelKind;
  modelId: string;
  /** A Hugging Face config.json as pasted. */
  config: string;
  task: GoalTask;
  knobs: Record<Knob, string>;
  run: Record<RunField, string>;
  compare: CompareEntry[];
  /** The configuration the charts and the compare table's time columns show. */
  chosen: Mode;
}

/** The compare table's machines when the visitor has picked none: a laptop-class card up to an
 * eight-GPU H100 node (names as the catalogue spells them, `accelerators()`). */
export const DEFAULT_COMPARE: CompareEntry[] = [
  { name: "NVIDIA GeForce RTX 4060", count: 1 },
  { name: "NVIDIA GeForce RTX 3090", count: 1 },
  { name: "NVIDIA GeForce RTX 4090", count: 1 },
  { name: "Apple M4 Max (40-core GPU)", count: 1 },
  { name: "NVIDIA L40S", count: 1 },
  { name: "NVIDIA A100 SXM4 80GB", count: 1 },
  { name: "NVIDIA H100 SXM5 80GB", count: 1 },
  { name: "NVIDIA H100 SXM5 80GB", count: 8 },
];

export function defaults(): Inputs {
  return {
    hardware: "detected",
    accelerator: "",
    count: "1",
    memory: "",
    ram: "",
    cores: "",
    profile: "",
    cluster: "",
    counts: {},
    link: "",
    bandwidth: "",
    model: "planner",
    modelId: "",
    config: "",
    task: "pretrain",
    knobs: Object.fromEntries(KNOBS.map((k) => [k, ""])) as Record<Knob, string>,
    run: Object.fromEntries(RUN_FIELDS.map((k) => [k, ""])) as Record<RunField, string>,
    compare: DEFAULT_COMPARE.map((e) => ({ ...e })),
    chosen: "balanced",
  };
}

const HARDWARE: HardwareSource[] = ["detected", "catalogue", "cpu", "profile", "cluster"];
const MODELS: ModelKind[] = ["catalogue", "config", "planner"];
const TASKS: GoalTask[] = ["pretrain", "finetune", "lora", "qlora", "serve"];
const MODES: Mode[] = ["conservative", "balanced", "extreme"];

/** The inputs a shared document holds, over the defaults; a field of the wrong type is left at
 * its default, so an edited or truncated link restores what it can. */
export function fromShared(doc: unknown): Inputs {
  const out = defaults();
  if (typeof doc !== "object" || doc === null) return out;
  const d = doc as Record<string, unknown>;
  const text = (k: keyof Inputs) => {
    const v = d[k];
    if (typeof v === "string") (out[k] as string) = v;
  };
  for (const k of ["accelerator", "count", "memory", "ram", "cores", "profile", "cluster", "link", "bandwidth", "modelId", "config"] as const) text(k);
  if (typeof d.counts === "object" && d.counts !== null) {
    for (const [k, v] of Object.entries(d.counts)) if (typeof v === "string") out.counts[k] = v;
  }
  if (HARDWARE.includes(d.hardware as HardwareSource)) out.hardware = d.hardware as HardwareSource;
  if (MODELS.includes(d.model as ModelKind)) out.model = d.model as ModelKind;
  if (TASKS.includes(d.task as GoalTask)) out.task = d.task as GoalTask;
  if (MODES.includes(d.chosen as Mode)) out.chosen = d.chosen as Mode;
  if (typeof d.knobs === "object" && d.knobs !== null) {
    for (const k of KNOBS) {
      const v = (d.knobs as Record<string, unknown>)[k];
      if (typeof v === "string") out.knobs[k] = v;
    }
  }
  if (typeof d.run === "object" && d.run !== null) {
    for (const k of RUN_FIELDS) {
      const v = (d.run as Record<string, unknown>)[k];
      if (typeof v === "string") out.run[k] = v;
    }
  }
  if (Array.isArray(d.compare)) {
    out.compare = d.compare
      .filter(
        (e): e is CompareEntry =>
          typeof e === "object" &&
          e !== null &&
          typeof e.name === "string" &&
          Number.isSafeInteger(e.count) &&
          e.count >= 1,
      )
      .map((e) => ({ name: e.name, count: e.count }));
  }
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unbase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function through(bytes: Uint8Array, stream: GenericTransformStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** gzip, then base64url without padding: the encoding `trainfit open` writes. */
export async function pack(text: string): Promise<string> {
  return base64url(await through(new TextEncoder().encode(text), new CompressionStream("gzip")));
}

/** The inverse of `pack`. */
export async function unpack(encoded: string): Promise<string> {
  return new TextDecoder().decode(await through(unbase64url(encoded), new DecompressionStream("gzip")));
}

/** The fragment that restores `inputs`: `#s=` and the packed JSON. */
export async function shareFragment(inputs: Inputs): Promise<string> {
  return `#s=${await pack(JSON.stringify(inputs))}`;
}

/** What a fragment asks for: shared inputs (`#s=`), a profile from `trainfit open`
 * (`#profile=`), nothing, or a reason it could not be read. */
export async function readFragment(hash: string): Promise<{ inputs?: Inputs; error?: string }> {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const shared = params.get("s");
  const profile = params.get("profile");
  try {
    if (shared !== null) return { inputs: fromShared(JSON.parse(await unpack(shared))) };
    if (profile !== null) {
      const text = await unpack(profile);
      const inputs = defaults();
      inputs.hardware = "profile";
      // Pretty-printed so the visitor can read and edit it; left as sent when it is not JSON,
      // so the profile field shows what arrived and the error it has.
      try {
        inputs.profile = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        inputs.profile = text;
      }
      return { inputs };
    }
  } catch (e) {
    return { error: `the link's fragment could not be read (${(e as Error).message}); the page starts from its defaults` };
  }
  return {};
}
