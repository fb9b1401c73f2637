// The memory terms as the page names them, and the figure of a byte count that shows its exact
// value on hover and on keyboard focus.

import type { TermKind } from "trainfit/web/lean";
import { h } from "./dom";
import { exactBytes, gib } from "./units";

/** A reader's name for each term of the breakdown (the core's `TermKind`). */
export const TERM_NAMES: Record<TermKind, string> = {
  weights: "Weights",
  master_weights: "fp32 master weights",
  gradients: "Gradients",
  optimizer_states: "Optimizer states",
  optimizer_temporaries: "Optimizer temporaries",
  adapter_weights: "Adapter weights",
  activations: "Activations",
  logits_and_loss: "Logits and loss",
  kv_cache: "KV cache",
  sharding_buffers: "Sharding buffers",
  runtime_context: "Runtime context",
  kernel_workspaces: "Kernel workspaces",
  communication_buffers: "Communication buffers",
  allocator_fragmentation: "Allocator fragmentation",
};

/** Where a raw value sits in a configuration, for the tests to compare with `plan()`. */
export interface Field {
  mode: string;
  field: string;
  value: unknown;
}

/** `data-` attributes that carry a result's raw value. */
export function dataOf(f: Field | undefined): Record<string, string> {
  if (!f) return {};
  return { "data-mode": f.mode, "data-field": f.field, "data-value": JSON.stringify(f.value ?? null) };
}

/** A byte count in GiB that shows the exact bytes on hover and focus, and says them to a screen
 * reader. */
export function bytesFigure(bytes: number, field?: Field, className = "", attrs: Record<string, string> = {}): HTMLElement {
  return h(
    "span",
    { class: `bytes ${className}`.trim(), tabindex: 0, "data-exact": exactBytes(bytes), ...dataOf(field), ...attrs },
    gib(bytes),
    h("span", { class: "visually-hidden" }, ` (${exactBytes(bytes)})`),
  );
}

/** `data-path` and `data-value`: where a value of the cluster view sits in the plan (dotted,
 * array indices as numbers) and its raw value, for the tests to compare with `plan()`. */
export function pathOf(path: string, value: unknown): Record<string, string> {
  return { "data-path": path, "data-value": JSON.stringify(value ?? null) };
}

/** Any other figure, with its raw value in `data-` attributes. */
export function figure(text: string, field?: Field, className = ""): HTMLElement {
  return h("span", { class: `figure ${className}`.trim(), ...dataOf(field) }, text);
}
