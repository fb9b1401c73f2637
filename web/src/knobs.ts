// The goal's optional fields. Each shows, under it, what each mode picked when it was left
// empty, so leaving it empty is an informed choice.

import type { Configuration, Plan } from "trainfit/web/lean";
import { fill, h } from "./dom";
import type { Knob } from "./inputs";
import { count, si } from "./units";

interface KnobSpec {
  key: Knob;
  label: string;
  /** The choices of a select; a text field without. */
  choices?: string[];
  placeholder?: string;
  /** What a configuration used for this field. */
  used: (c: Configuration) => string;
}

export const KNOB_SPECS: KnobSpec[] = [
  { key: "sequence", label: "Sequence, tokens", placeholder: "e.g. 4k (4096)", used: (c) => count(c.sequence) },
  { key: "micro_batch", label: "Micro-batch", placeholder: "e.g. 8", used: (c) => count(c.micro_batch) },
  { key: "global_batch", label: "Global batch", placeholder: "e.g. 256", used: (c) => count(c.global_batch) },
  { key: "precision", label: "Precision", choices: ["fp32", "bf16", "fp16", "amp_bf16", "amp_fp16", "mixed_bf16", "mixed_fp16"], used: (c) => c.precision },
  { key: "optimizer", label: "Optimizer", choices: ["adamw", "adamw8bit", "sgd", "sgd_momentum", "adafactor", "lion"], used: (c) => c.optimizer ?? "none" },
  { key: "checkpointing", label: "Checkpointing", choices: ["none", "selective", "full"], used: (c) => c.checkpointing },
  { key: "attention", label: "Attention", choices: ["eager", "sdpa", "flash"], used: (c) => c.attention },
  { key: "sharding", label: "Sharding", choices: ["none", "zero1", "zero2", "zero3", "fsdp_shard_grad_op", "fsdp_full_shard"], used: (c) => c.sharding },
  { key: "devices", label: "Devices", placeholder: "all", used: (c) => String(c.devices) },
  { key: "lora_rank", label: "LoRA rank", placeholder: "e.g. 16", used: (c) => (c.lora_rank === null ? "none" : String(c.lora_rank)) },
  { key: "tokens", label: "Tokens", placeholder: "e.g. 2B", used: (c) => si(c.time.tokens) },
  { key: "hours", label: "Budget, hours", placeholder: "e.g. 6", used: (c) => `${+(c.time.budget_s / 3600).toFixed(2)}` },
  { key: "concurrency", label: "Concurrency", placeholder: "e.g. 32", used: (c) => (c.serve ? count(c.serve.concurrency) : "none") },
];

/** The fields, built once into `container`. */
export function buildKnobs(container: HTMLElement): void {
  for (const k of KNOB_SPECS) {
    const control = k.choices
      ? h("select", { id: k.key, name: k.key, "aria-describedby": `hint-${k.key} err-${k.key}` }, h("option", { value: "" }, "Mode's pick"), ...k.choices.map((c) => h("option", { value: c }, c)))
      : h("input", { id: k.key, name: k.key, autocomplete: "off", inputmode: k.key === "hours" ? "decimal" : "text", placeholder: k.placeholder, "aria-describedby": `hint-${k.key} err-${k.key}` });
    container.append(
      h(
        "div",
        { class: "field knob", "data-knob": k.key },
        h("label", { for: k.key }, k.label),
        control,
        h("p", { class: "hint mode-picks", id: `hint-${k.key}` }),
        h("p", { class: "field-error", id: `err-${k.key}`, hidden: true }),
      ),
    );
  }
}

/** Shows the fields of `visible` only and, under each, what the modes of `plan` used. */
export function updateKnobs(visible: readonly Knob[], plan: Plan | null): void {
  for (const k of KNOB_SPECS) {
    const field = document.querySelector<HTMLElement>(`[data-knob="${k.key}"]`);
    if (!field) continue;
    field.hidden = !visible.includes(k.key);
    const hint = document.getElementById(`hint-${k.key}`);
    if (!hint || !plan) continue;
    // Machines of unequal devices plan per device, not per configuration: nothing to show.
    if (!plan.configurations.length) {
      fill(hint);
      continue;
    }
    const used = plan.configurations.map((c) => k.used(c));
    fill(hint, "Modes use: ", h("span", { class: "picks", "data-knob-picks": k.key }, used.join(" · ")));
  }
}
