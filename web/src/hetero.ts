// Machines of unequal devices (plan.hetero): per mode, the layouts the planner found, fastest
// first, each device a row with its rank, role, layers or batch share and its memory term by
// term; the device that sets the pace named; a mode or layout that cannot run, with the reason.

import type { DeviceShare, HeteroLayout, HeteroModePlan, Plan } from "trainfit/web/lean";
import { modeName, verdictIcon, type Verdict, VERDICT_WORDS } from "./cards";
import { termBar } from "./bar";
import { h } from "./dom";
import { pathOf } from "./terms";
import { count, gib, percent, seconds } from "./units";

const ROLE_NAMES: Record<string, string> = {
  coordinator: "coordinator",
  worker: "worker",
  gradient_accumulator: "gradient accumulator",
};

/** A mode's verdict: planned, or refused. */
export function heteroVerdict(m: HeteroModePlan): Verdict {
  return m.plan && m.plan.layouts.length ? "fits" : "nofit";
}

/** The verdict's words: a refused mode does not fit its share of the devices' memory. */
export function heteroWords(m: HeteroModePlan): string {
  return heteroVerdict(m) === "fits" ? VERDICT_WORDS.fits : "Refused";
}

function share(d: DeviceShare, base: string): HTMLElement {
  if (d.layers) {
    const [a, b] = d.layers;
    const ends = [d.embedding ? "embedding" : "", d.head ? "head and loss" : ""].filter(Boolean).join(", ");
    return h("span", { class: "share", ...pathOf(`${base}.layers`, d.layers) }, `layers ${a}–${b - 1}`, h("span", { class: "muted" }, ` (${b - a})${ends ? ` + ${ends}` : ""}`));
  }
  return h("span", { class: "share", ...pathOf(`${base}.sequences`, d.sequences) }, `${count(d.sequences)} sequences`, h("span", { class: "muted" }, ` = ${d.micro_batch} × ${d.accumulation}`));
}

function device(d: DeviceShare, base: string, pace: boolean): HTMLElement {
  return h(
    "li",
    { class: `hdevice${pace ? " pace" : ""}`, "data-rank": d.rank },
    h(
      "div",
      { class: "hdevice-head" },
      h("span", { class: "rank", ...pathOf(`${base}.rank`, d.rank) }, `rank ${d.rank}`),
      h("strong", { class: "hdevice-name" }, d.name),
      h("span", { class: `role role-${d.role}`, ...pathOf(`${base}.role`, d.role) }, ROLE_NAMES[d.role] ?? d.role),
      pace ? h("span", { class: "pace-tag" }, "sets the pace") : null,
    ),
    h("p", { class: "hdevice-figures" }, share(d, base)),
    h(
      "p",
      { class: "hdevice-figures" },
      h("strong", pathOf(`${base}.peak_bytes`, d.peak_bytes), gib(d.peak_bytes)),
      h("span", { class: "muted" }, " of "),
      h("span", pathOf(`${base}.usable_bytes`, d.usable_bytes), gib(d.usable_bytes)),
      h("span", { class: "muted" }, ` · busy ${seconds(d.busy_s)} per ${d.layers ? "micro-batch" : "step"}`),
    ),
    termBar({
      breakdown: d.breakdown,
      peak: d.peak_bytes,
      usable: d.usable_bytes,
      target: null,
      label: `rank ${d.rank}, ${d.name}`,
      data: (_t, i) => pathOf(`${base}.breakdown.${i}.bytes`, d.breakdown[i]!.bytes),
      attrs: { "data-rank": String(d.rank) },
    }),
  );
}

function layout(l: HeteroLayout, base: string, first: boolean): HTMLElement {
  const kind = l.kind === "pipeline" ? "Pipeline" : "Data parallel, uneven shares";
  return h(
    "section",
    { class: `hlayout${first ? " best" : ""}`, "data-kind": l.kind },
    h("h4", {}, kind, first ? "" : h("span", { class: "muted" }, " · alternative")),
    h(
      "p",
      { class: "hlayout-figures" },
      h("span", pathOf(`${base}.step_s`, l.step_s), `${seconds(l.step_s)}/step`),
      " · ",
      h("span", pathOf(`${base}.tokens_per_s`, l.tokens_per_s), `${count(Math.round(l.tokens_per_s))} tok/s`),
      " · MFU ",
      h("span", pathOf(`${base}.mfu`, l.mfu), percent(l.mfu)),
      l.bubble_s > 0 ? h("span", { class: "muted" }, ` · bubble ${seconds(l.bubble_s)}`) : null,
      h("span", { class: "muted" }, ` · waiting on links ${seconds(l.communication_s)}`),
    ),
    h("p", { class: "pace-line" }, h("span", { class: "muted" }, "Slowest: "), h("span", pathOf(`${base}.pace`, l.pace), l.pace)),
    h("ol", { class: "hdevices", "aria-label": `devices, ${kind}` }, ...l.devices.map((d, i) => device(d, `${base}.devices.${i}`, d.rank === l.pace_rank))),
    h("p", { class: "hint engine" }, h("span", { class: "muted" }, "How to run it: "), l.engine_note),
  );
}

function mode(m: HeteroModePlan, index: number): HTMLElement {
  const v = heteroVerdict(m);
  const base = `hetero.${index}`;
  const body: (Node | null)[] = [];
  if (!m.plan || !m.plan.layouts.length) {
    body.push(h("p", { class: "refused", ...pathOf(`${base}.refused`, m.refused ?? null) }, m.refused ?? "no layout fits"));
  } else {
    const p = m.plan;
    body.push(...p.layouts.map((l, i) => layout(l, `${base}.plan.layouts.${i}`, i === 0)));
    if (p.refused.length) body.push(h("ul", { class: "warnings", "aria-label": `layouts left out, ${m.mode}` }, ...p.refused.map((r, i) => h("li", pathOf(`${base}.plan.refused.${i}`, r), h("code", {}, "refused"), " ", r))));
    if (p.slower_with.length) body.push(h("p", { class: "hint" }, `Faster without: ${p.slower_with.join(", ")}.`));
  }
  return h(
    "article",
    { class: `card hmode${v === "fits" ? "" : " refused-mode"}`, "data-mode": m.mode, "aria-labelledby": `hmode-${m.mode}` },
    h("header", { class: "card-head" }, h("h3", { id: `hmode-${m.mode}` }, modeName(m.mode)), h("span", { class: `verdict v-${v}` }, verdictIcon(v), heteroWords(m))),
    ...body,
  );
}

/** Every mode of `plan.hetero`, the planned ones first as they come. */
export function heteroView(plan: Plan): HTMLElement | null {
  const modes = plan.hetero ?? [];
  if (!modes.length) return null;
  const first = modes.find((m) => m.plan);
  return h(
    "section",
    { class: "hetero", "aria-labelledby": "hetero-title" },
    h("h3", { id: "hetero-title" }, "Unequal devices: each device's part"),
    h("p", { class: "hint" }, `Each mode may use its share of every device's memory. MFU against the sum of the devices' peaks${first?.plan ? `, ${first.plan.peak_tflops.toFixed(1)} TFLOP/s` : ""}.`),
    // The modes that run first, so the first screen shows a plan; a refused one keeps its reason.
    h("div", { class: "hmodes" }, ...modes.map((m, i) => ({ m, i })).sort((a, b) => Number(!a.m.plan) - Number(!b.m.plan)).map(({ m, i }) => mode(m, i))),
  );
}
