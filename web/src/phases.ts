// Two-phase pretraining (the plan's `phase_b`): phase A, this configuration, then phase B from
// its last checkpoint at a longer sequence with the learning rate decayed. Both phases' time as
// one bar against the budget, then the two side by side: tokens, sequence, batch, memory against
// the mode's target, step, time and schedule; phase B's memory term by term on demand.

import type { Configuration, Plan } from "trainfit/web/lean";
import { stackedBar, termBar } from "./bar";
import { overBudget } from "./budget";
import { disclosure, h } from "./dom";
import { bytesFigure, pathOf } from "./terms";
import { count, duration, gib, percent, rate, seconds, si } from "./units";

/** The two phases of configuration `c`, the plan's `configurations.<index>`. */
export function phases(plan: Plan, c: Configuration, index: number): HTMLElement | null {
  const b = c.phase_b;
  if (!b) return null;
  const a = `configurations.${index}`;
  const pb = `${a}.phase_b`;
  const fig = (text: string, path: string, value: unknown, className = "") => h("span", { class: `figure ${className}`.trim(), ...pathOf(path, value) }, text);
  const unknown = (v: number | null, show: (x: number) => string) => (v === null ? "unknown" : show(v));
  const budget = b.time.budget_s;
  const timeA = c.time.total_s;
  const timeB = b.time.total_s;
  const timeline =
    timeA !== null && timeB !== null
      ? stackedBar(
          [
            { value: timeA, className: "ph-a", title: `phase A: ${duration(timeA)}`, attrs: { "data-phase": "a" } },
            { value: timeB, className: "ph-b", title: `phase B: ${duration(timeB)}`, attrs: { "data-phase": "b" } },
          ],
          budget,
          [{ at: budget, label: `budget ${duration(budget)}`, below: true }],
          "membar phasebar",
          { "aria-label": `phase A ${duration(timeA)}, then phase B ${duration(timeB)}, against a budget of ${duration(budget)}`, "data-mode": c.mode },
        )
      : null;
  const over = b.time.over_budget;
  const cell = (...content: (Node | string)[]) => h("td", {}, ...content);
  const fitsB = h("span", { class: `keeps ${b.fits ? "keeps-ok" : "keeps-bad"}`, ...pathOf(`${pb}.fits`, b.fits) }, b.fits ? "fits" : "does not fit");
  const rows: [string, Node[], Node[]][] = [
    ["Tokens", [fig(si(c.time.tokens), `${a}.time.tokens`, c.time.tokens)], [fig(si(b.time.tokens), `${pb}.time.tokens`, b.time.tokens)]],
    ["Sequence", [fig(count(c.sequence), `${a}.sequence`, c.sequence)], [fig(count(b.sequence), `${pb}.sequence`, b.sequence, "strong")]],
    [
      "Batch",
      [fig(String(c.micro_batch), `${a}.micro_batch`, c.micro_batch), document.createTextNode(" × "), fig(String(c.gradient_accumulation), `${a}.gradient_accumulation`, c.gradient_accumulation)],
      [fig(String(b.micro_batch), `${pb}.micro_batch`, b.micro_batch), document.createTextNode(" × "), fig(String(b.gradient_accumulation), `${pb}.gradient_accumulation`, b.gradient_accumulation)],
    ],
    ["Recompute", [fig(c.checkpointing, `${a}.checkpointing`, c.checkpointing)], [fig(b.checkpointing, `${pb}.checkpointing`, b.checkpointing)]],
    ["Peak", [bytesFigure(c.memory.peak_bytes, undefined, "", pathOf(`${a}.memory.peak_bytes`, c.memory.peak_bytes))], [bytesFigure(b.memory.peak_bytes, undefined, b.fits ? "" : "bad", pathOf(`${pb}.memory.peak_bytes`, b.memory.peak_bytes))]],
    ["Step", [fig(unknown(c.time.step_s, seconds), `${a}.time.step_s`, c.time.step_s)], [fig(unknown(b.time.step_s, seconds), `${pb}.time.step_s`, b.time.step_s)]],
    ["Time", [fig(unknown(timeA, duration), `${a}.time.total_s`, timeA)], [fig(unknown(timeB, duration), `${pb}.time.total_s`, timeB)]],
    [
      "LR",
      c.training ? [fig(rate(c.training.learning_rate), `${a}.training.learning_rate`, c.training.learning_rate), document.createTextNode(" "), fig(c.training.schedule, `${a}.training.schedule`, c.training.schedule, "muted")] : [document.createTextNode("none")],
      // The schedule as the plan names it: a value this page does not know yet is shown as given.
      [fig(b.training.schedule, `${pb}.training.schedule`, b.training.schedule)],
    ],
  ];
  return h(
    "section",
    { class: "card-sec phases", "aria-label": `two phases, ${c.mode}` },
    h("h4", {}, "Phase A ", h("span", { class: "arrow", "aria-hidden": "true" }, "→"), h("span", { class: "visually-hidden" }, "then"), " phase B"),
    timeline,
    h(
      "p",
      { class: "phase-total" },
      h("span", { class: "swatch ph-a", "aria-hidden": "true" }),
      "A ",
      h("span", { class: "swatch ph-b", "aria-hidden": "true" }),
      "B: ",
      fig(unknown(b.total_s, duration), `${pb}.total_s`, b.total_s, over ? "bad" : "strong"),
      h("span", { class: "muted" }, " of "),
      fig(duration(budget), `${pb}.time.budget_s`, budget),
      h("span", { class: "muted" }, " budget"),
    ),
    over ? overBudget(plan, over, `${pb}.time.over_budget`, budget, "both phases") : null,
    h(
      "div",
      { class: "table-scroll", role: "region", tabindex: 0, "aria-label": `phase A and phase B, ${c.mode}` },
      h(
        "table",
        { class: "phases-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "figure")),
            h("th", { scope: "col" }, "A ", h("span", { class: "muted" }, percent(1 - b.share))),
            h("th", { scope: "col" }, "B ", fig(percent(b.share), `${pb}.share`, b.share, "muted")),
          ),
        ),
        h("tbody", {}, ...rows.map(([label, ra, rb]) => h("tr", {}, h("th", { scope: "row" }, label), cell(...ra), cell(...rb)))),
      ),
    ),
    h(
      "p",
      { class: "phase-note" },
      "Phase B ",
      fitsB,
      " the mode's target of ",
      bytesFigure(c.memory_target_bytes),
      "; it starts from phase A's last checkpoint and decays the learning rate from its peak, without warm-up.",
    ),
    disclosure({ class: "more", "data-key": `phase-b-memory-${c.mode}` }, ["Phase B's memory"], () => [
      termBar({
        breakdown: b.memory.breakdown,
        peak: b.memory.peak_bytes,
        usable: plan.device.usable_bytes,
        target: c.memory_target_bytes,
        label: `one device in phase B, ${c.mode}`,
        data: (t, i) => pathOf(`${pb}.memory.breakdown.${i}.bytes`, t.bytes),
      }),
      h("p", { class: "hint" }, `Peak ${gib(b.memory.peak_bytes)} against the mode's target of ${gib(c.memory_target_bytes)}.`),
    ]),
  );
}
