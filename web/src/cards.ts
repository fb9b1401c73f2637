// The three configurations side by side, as the command line's report lays them out: verdict,
// memory against the mode's target, the knobs, time and where a step's time goes, power, scale,
// warnings with their codes, the out-of-memory fallback ladder and, on demand, the whole
// breakdown.

import type { Configuration, Plan, Warning } from "trainfit/web/lean";
import { memoryBar } from "./bar";
import { overBudget } from "./budget";
import { dataPath } from "./datapath";
import { phases } from "./phases";
import { runIt } from "./runit";
import { supplyBar } from "./supply";
import { disclosure, h, s } from "./dom";
import { bytesFigure, figure, pathOf, TERM_NAMES, type Field } from "./terms";
import { stepParts } from "./timebar";
import { count, gb, gib, duration, kwh, percent, rate, seconds, si, watts } from "./units";

const MODE_NAMES: Record<string, string> = {
  conservative: "Conservative",
  balanced: "Balanced",
  extreme: "Extreme",
};

export function modeName(mode: string): string {
  return MODE_NAMES[mode] ?? mode;
}

/** A verdict as a word and an icon, never colour alone. */
export type Verdict = "fits" | "over" | "nofit";

export function verdictOf(c: Configuration): Verdict {
  if (c.fits) return "fits";
  return c.memory.fit?.fits ? "over" : "nofit";
}

export const VERDICT_WORDS: Record<Verdict, string> = {
  fits: "Fits",
  over: "Over target",
  nofit: "Does not fit",
};

/** A small icon for a verdict: a check, a triangle, a cross. */
export function verdictIcon(v: Verdict): SVGSVGElement {
  const paths: Record<Verdict, string> = {
    fits: "M3 8.5l3.2 3.2L13 5",
    over: "M8 2.5L14 13.5H2z M8 6.5v3.2 M8 11.4v.2",
    nofit: "M4 4l8 8 M12 4l-8 8",
  };
  return s("svg", { class: "icon", viewBox: "0 0 16 16", width: "16", height: "16", "aria-hidden": "true", focusable: "false" }, s("path", { d: paths[v] }));
}

function row(label: string, ...content: (Node | string)[]): Node[] {
  return [h("dt", {}, label), h("dd", {}, ...content)];
}

function f(c: Configuration, field: string, value: unknown): Field {
  return { mode: c.mode, field, value };
}

function orDash<T>(v: T | null | undefined, show: (v: T) => string): string {
  return v === null || v === undefined ? "unknown" : show(v);
}

/** Warnings and suggestions, each with its stable code. */
export function warningList(items: Warning[], label: string): HTMLElement | null {
  if (!items.length) return null;
  return h(
    "ul",
    { class: "warnings", "aria-label": label },
    ...items.map((w) => h("li", { "data-code": w.code }, h("code", {}, w.code), " ", w.message)),
  );
}

/** Where the step's time goes, under the step: the time model's breakdown, or why there is
 * none (the core prices a step only with the device's peak and memory bandwidth). */
function stepRow(plan: Plan, c: Configuration, index: number): Node {
  const base = `configurations.${index}.time.breakdown`;
  if (c.time.breakdown) return h("dd", { class: "wide" }, stepParts(c.time.breakdown, base, `${c.mode} configuration`));
  const d = plan.device;
  const missing = [d.peak_tflops === null ? "peak FLOP/s" : "", d.memory_bandwidth_gbs === null ? "memory bandwidth" : ""].filter(Boolean).join(" and ");
  return h(
    "dd",
    { class: "wide hint step-unknown", ...pathOf(base, null) },
    missing ? `Where the step's time goes is unknown: the device's ${missing} ${missing.includes(" and ") ? "are" : "is"} missing. Paste what ` : "Where the step's time goes is unknown for this configuration. Paste what ",
    h("code", {}, "trainfit probe --json --benchmark"),
    " prints on this machine.",
  );
}

function trainingRows(plan: Plan, c: Configuration, index: number): Node[] {
  const t = c.time;
  const over = t.over_budget !== undefined || (t.total_s !== null && t.total_s > t.budget_s);
  return [
    ...row(
      "Batch",
      figure(String(c.micro_batch), f(c, "micro_batch", c.micro_batch)),
      " × ",
      figure(String(c.gradient_accumulation), f(c, "gradient_accumulation", c.gradient_accumulation)),
      " = ",
      figure(count(c.global_batch), f(c, "global_batch", c.global_batch)),
    ),
    ...row("Sequence", figure(`${count(c.sequence)} tokens`, f(c, "sequence", c.sequence))),
    ...(c.model.tokenizer
      ? row(
          "Vocabulary",
          h("span", { title: `${c.model.tokenizer.name}: ${c.model.tokenizer.source}` }, figure(count(c.model.tokenizer.vocab), f(c, "model.tokenizer.vocab", c.model.tokenizer.vocab))),
          h("span", { class: "muted" }, " (optimum "),
          figure(count(c.model.tokenizer.optimal_vocab), f(c, "model.tokenizer.optimal_vocab", c.model.tokenizer.optimal_vocab), "muted"),
          h("span", { class: "muted" }, ")"),
        )
      : []),
    ...row(
      "Recipe",
      figure(c.precision, f(c, "precision", c.precision)),
      " · ",
      figure(c.optimizer ?? "none", f(c, "optimizer", c.optimizer)),
      " · ",
      figure(c.checkpointing === "none" ? "no recompute" : `${c.checkpointing} recompute`, f(c, "checkpointing", c.checkpointing)),
    ),
    ...row(
      "Devices",
      figure(String(c.devices), f(c, "devices", c.devices)),
      " · ",
      figure(c.sharding === "none" ? "no sharding" : c.sharding, f(c, "sharding", c.sharding)),
      " · ",
      figure(c.attention, f(c, "attention", c.attention)),
      ...(c.lora_rank !== null ? [" · rank ", figure(String(c.lora_rank), f(c, "lora_rank", c.lora_rank))] : []),
    ),
    ...row("Step", figure(orDash(t.step_s, seconds), f(c, "time.step_s", t.step_s))),
    stepRow(plan, c, index),
    ...row("Tokens/s", figure(orDash(t.tokens_per_s, (v) => count(Math.round(v))), f(c, "time.tokens_per_s", t.tokens_per_s))),
    ...row("MFU / HFU", figure(orDash(t.mfu, percent), f(c, "time.mfu", t.mfu)), " / ", figure(orDash(t.hfu, percent), f(c, "time.hfu", t.hfu))),
    ...row(
      "Time",
      figure(orDash(t.total_s, duration), f(c, "time.total_s", t.total_s), over ? "over-budget" : ""),
      " / ",
      figure(duration(t.budget_s), f(c, "time.budget_s", t.budget_s)),
      h("span", { class: "muted" }, " budget"),
      ...(over ? [h("span", { class: "over-budget" }, " (over)")] : []),
    ),
    ...row("Tokens", figure(si(t.tokens), f(c, "time.tokens", t.tokens)), h("span", { class: "muted" }, " in "), figure(count(t.steps), f(c, "time.steps", t.steps)), h("span", { class: "muted" }, " steps")),
    ...row(
      "Power",
      figure(orDash(c.power.draw_w, watts), f(c, "power.draw_w", c.power.draw_w)),
      " · cap ",
      figure(c.power.power_cap_w === null ? "none" : watts(c.power.power_cap_w), f(c, "power.power_cap_w", c.power.power_cap_w)),
    ),
    ...row("Energy", figure(orDash(c.power.energy_kwh, kwh), f(c, "power.energy_kwh", c.power.energy_kwh))),
    ...row(
      "Data / ckpt",
      figure(gb(c.scale.dataset_bytes), f(c, "scale.dataset_bytes", c.scale.dataset_bytes)),
      " / ",
      figure(gb(c.scale.checkpoint_bytes), f(c, "scale.checkpoint_bytes", c.scale.checkpoint_bytes)),
    ),
    ...(c.training
      ? row(
          "LR",
          figure(rate(c.training.learning_rate), f(c, "training.learning_rate", c.training.learning_rate)),
          ` ${c.training.schedule}, warm-up `,
          figure(count(c.training.warmup_steps), f(c, "training.warmup_steps", c.training.warmup_steps)),
        )
      : []),
  ];
}

function servingRows(c: Configuration): Node[] {
  const sv = c.serve;
  return [
    ...row("Context", figure(`${count(c.sequence)} tokens`, f(c, "sequence", c.sequence))),
    ...(sv
      ? [
          ...row("Concurrency", figure(`${count(sv.concurrency)} sequences`, f(c, "serve.concurrency", sv.concurrency))),
          ...row("KV / sequence", bytesFigure(sv.kv_bytes_per_sequence, f(c, "serve.kv_bytes_per_sequence", sv.kv_bytes_per_sequence))),
          ...row("Decode tok/s", figure(orDash(sv.decode_tokens_per_s, (v) => count(Math.round(v))), f(c, "serve.decode_tokens_per_s", sv.decode_tokens_per_s))),
        ]
      : []),
    ...row("Recipe", figure(c.precision, f(c, "precision", c.precision)), " · ", figure(c.attention, f(c, "attention", c.attention))),
    ...row("Devices", figure(String(c.devices), f(c, "devices", c.devices))),
    ...row("Power", figure(orDash(c.power.draw_w, watts), f(c, "power.draw_w", c.power.draw_w))),
    ...row("On disk", figure(gb(c.scale.checkpoint_bytes), f(c, "scale.checkpoint_bytes", c.scale.checkpoint_bytes))),
  ];
}

function ladder(c: Configuration): HTMLElement | null {
  if (!c.fallbacks.length) return null;
  return disclosure({ class: "more", "data-key": `ladder-${c.mode}` }, ["If it runs out of memory"], () => [
    h("p", { class: "hint" }, "Apply in order; the peak after each step:"),
    h(
      "ol",
      { class: "ladder" },
      ...c.fallbacks.map((step, i) =>
        h(
          "li",
          {},
          bytesFigure(step.peak_bytes, f(c, `fallbacks.${i}.peak_bytes`, step.peak_bytes)),
          " ",
          h("code", {}, step.action),
          " ",
          step.description,
        ),
      ),
    ),
  ]);
}

/** The estimate term by term, with the tensor peak of each phase. */
function breakdown(c: Configuration): HTMLElement {
  const m = c.memory;
  const peak = m.peak_bytes;
  return disclosure({ class: "more", "data-key": `breakdown-${c.mode}` }, ["Full breakdown"], () => [
    h(
      "div",
      { class: "table-scroll", tabindex: 0, role: "region", "aria-label": `memory breakdown, ${c.mode}` },
      h(
        "table",
        { class: "breakdown" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Term"), h("th", { scope: "col", class: "num" }, "Bytes"), h("th", { scope: "col", class: "num" }, "GiB"), h("th", { scope: "col", class: "num" }, "Share"), h("th", { scope: "col" }, "How"))),
        h(
          "tbody",
          {},
          ...m.breakdown.map((t) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, h("span", { class: `swatch t-${t.term}`, "aria-hidden": "true" }), TERM_NAMES[t.term]),
              h("td", { class: "num" }, count(t.bytes)),
              h("td", { class: "num" }, (t.bytes / 2 ** 30).toFixed(3)),
              h("td", { class: "num" }, `${((t.bytes / peak) * 100).toFixed(1)} %`),
              h("td", { class: "detail" }, t.detail),
            ),
          ),
          ...m.phases.map((p) =>
            h("tr", { class: "phase" }, h("th", { scope: "row" }, `tensor peak, ${p.phase.replace("_", " ")}`), h("td", { class: "num" }, count(p.allocated_bytes)), h("td", { class: "num" }, (p.allocated_bytes / 2 ** 30).toFixed(3)), h("td", {}), h("td", {})),
          ),
        ),
      ),
    ),
    h("p", { class: "hint" }, `Parameters ${count(m.parameters.total)} total, ${count(m.parameters.trainable)} trainable; peak in the ${m.peak_phase.replace("_", " ")} phase; host memory ${gib(m.host_bytes)}.`),
  ]);
}

/** One configuration's card. */
function card(plan: Plan, c: Configuration, index: number, chosen: boolean, own: (w: Warning) => boolean): HTMLElement {
  const v = verdictOf(c);
  const usable = plan.device.usable_bytes;
  const headroom = usable - c.memory.peak_bytes;
  const id = `card-${c.mode}`;
  return h(
    "article",
    { class: `card${chosen ? " chosen" : ""}`, "data-mode": c.mode, "aria-labelledby": `${id}-title` },
    h(
      "header",
      { class: "card-head" },
      h("h3", { id: `${id}-title` }, modeName(c.mode)),
      h("span", { class: `verdict v-${v}`, ...{ "data-mode": c.mode, "data-field": "fits", "data-value": JSON.stringify(c.fits) } }, verdictIcon(v), VERDICT_WORDS[v]),
    ),
    h(
      "p",
      { class: "model-line" },
      figure(c.model.name, f(c, "model.name", c.model.name), "model-name"),
      " · ",
      figure(si(c.model.parameters), f(c, "model.parameters", c.model.parameters)),
      c.model.trainable !== c.model.parameters && c.model.trainable > 0 ? h("span", { class: "muted" }, ` (${si(c.model.trainable)} trained)`) : null,
    ),
    c.time.over_budget ? overBudget(plan, c.time.over_budget, `configurations.${index}.time.over_budget`, c.time.budget_s, c.phase_b ? "phase A" : "the run") : null,
    h("p", { class: "peak" }, bytesFigure(c.memory.peak_bytes, f(c, "memory.peak_bytes", c.memory.peak_bytes), "big"), h("span", { class: "peak-of" }, " peak per device")),
    h(
      "p",
      { class: "headroom muted" },
      "target ",
      bytesFigure(c.memory_target_bytes, f(c, "memory_target_bytes", c.memory_target_bytes)),
      ` (${percent(c.memory_target_bytes / usable)}) · `,
      headroom >= 0 ? `${gib(headroom)} free of ${gib(usable)}` : `${gib(-headroom)} over the ${gib(usable)} usable`,
    ),
    memoryBar(c, usable),
    h("dl", { class: "figures" }, ...(c.task === "serve" ? servingRows(c) : trainingRows(plan, c, index))),
    phases(plan, c, index),
    dataPath(c, index),
    supplyBar(c, index),
    warningList(c.warnings.filter(own), `warnings, ${c.mode}`),
    ladder(c),
    breakdown(c),
    runIt(plan, c),
  );
}

const key = (w: Warning) => `${w.code}\u0000${w.message}`;

/** Warnings every configuration carries word for word: shown once, above the cards. */
export function commonWarnings(plan: Plan): Warning[] {
  const [first, ...rest] = plan.configurations;
  if (!first || rest.length === 0) return [];
  return first.warnings.filter((w) => rest.every((c) => c.warnings.some((x) => key(x) === key(w))));
}

/** The three cards; warnings common to all of them are left to `commonWarnings`. */
export function cards(plan: Plan, chosen: string): HTMLElement {
  const common = new Set(commonWarnings(plan).map(key));
  return h("div", { class: "cards" }, ...plan.configurations.map((c, i) => card(plan, c, i, c.mode === chosen, (w) => !common.has(key(w)))));
}
