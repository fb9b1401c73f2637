// Where one training step's time goes (the time model's `StepTime`) as a stacked bar: compute,
// recomputation, each axis's exposed communication, the pipeline bubble, the optimizer step, the
// offload copies, and what else the step holds. The cards draw one step with its seconds and
// shares; the mesh view draws every layout the search kept on one scale. Every segment carries
// its path in the plan (`data-path`) and raw value, for the tests.

import type { Axis, StepTime } from "trainfit/web/lean";
import { h, s } from "./dom";
import { pathOf } from "./terms";
import { percent, seconds } from "./units";

export const AXIS_NAMES: Record<Axis, string> = { data: "data", tensor: "tensor", pipeline: "pipeline", context: "context", expert: "expert" };

/** A part of a step, in the order the bar draws them. */
interface Segment {
  key: string;
  label: string;
  /** The label in a card's narrow legend. */
  short: string;
  seconds: number;
  /** Where the figure sits in the plan; empty for the remainder, which has none. */
  path: string;
}

/** The parts of step `t`, whose path in the plan is `base`. */
function segments(t: StepTime, base: string): Segment[] {
  const out: Segment[] = [
    { key: "compute", label: "compute", short: "compute", seconds: t.compute_s, path: `${base}.compute_s` },
    { key: "recompute", label: "recompute", short: "recompute", seconds: t.recompute_s, path: `${base}.recompute_s` },
    ...t.communication.map((a, i) => ({ key: `comm-${a.axis}`, label: `${AXIS_NAMES[a.axis]} communication, exposed`, short: `${AXIS_NAMES[a.axis]} comm.*`, seconds: a.exposed_s, path: `${base}.communication.${i}.exposed_s` })),
    { key: "bubble", label: "pipeline bubble", short: "pipeline bubble", seconds: t.bubble_s, path: `${base}.bubble_s` },
    { key: "optimizer", label: "optimizer step", short: "optimizer step", seconds: t.optimizer_s, path: `${base}.optimizer_s` },
    { key: "offload", label: "offload copies, exposed", short: "offload copies*", seconds: t.offload_s, path: `${base}.offload_s` },
  ];
  // What the step holds beyond the terms above (data loading), so the bar adds up to the step.
  const rest = t.step_s - out.reduce((a, x) => a + x.seconds, 0);
  if (rest > t.step_s * 1e-3) out.push({ key: "other", label: "other (data loading)", short: "other", seconds: rest, path: "" });
  return out;
}

/** Seconds as `seconds` says them, with a decimal under 10 ms, where an optimizer step or a
 * small exposed collective would otherwise read `0 ms`. */
function partSeconds(x: number): string {
  return x < 0.01 ? `${(x * 1e3).toFixed(1)}\u00a0ms` : seconds(x);
}

/** A part's share of the step as a whole percentage, `<1 %` for a part that is there but
 * would round to none. */
function share(x: number, step: number): string {
  const p = x / step;
  return p > 0 && p < 0.005 ? `<1\u00a0%` : percent(p);
}

/** Step `t` (at `base` in the plan) as a stacked bar, scaled so that `longest` fills the width;
 * `name` says whose step it is. */
export function timeBar(t: StepTime, base: string, longest: number, name: string): SVGSVGElement {
  const segs = segments(t, base).filter((x) => x.seconds > 0);
  const bar = s("svg", { class: "timebar", role: "img", "aria-label": `step of ${name}: ${segs.map((x) => `${x.label} ${partSeconds(x.seconds)}`).join(", ")}` });
  bar.append(s("rect", { class: "membar-track", x: "0", y: "2", width: "100%", height: "16", rx: "3" }));
  let x = 0;
  for (const seg of segs) {
    const w = seg.seconds / longest;
    bar.append(
      s(
        "rect",
        { class: `tseg s-${seg.key}`, x: `${(x * 100).toFixed(3)}%`, y: "2", width: `${(w * 100).toFixed(3)}%`, height: "16", "data-segment": seg.key, ...(seg.path ? pathOf(seg.path, seg.seconds) : {}) },
        s("title", {}, `${seg.label}: ${partSeconds(seg.seconds)} (${share(seg.seconds, t.step_s)} of the step)`),
      ),
    );
    x += w;
  }
  return bar;
}

const ORDER = ["compute", "recompute", "comm-tensor", "comm-context", "comm-expert", "comm-pipeline", "comm-data", "bubble", "optimizer", "offload", "other"];

/** The colours and names of the parts any of `steps` has, once for a set of bars. */
export function timeLegend(steps: StepTime[]): HTMLElement {
  const seen = new Map<string, string>();
  for (const t of steps) for (const seg of segments(t, "")) if (seg.seconds > 0 && !seen.has(seg.key)) seen.set(seg.key, seg.label);
  return h("ul", { class: "legend time-legend", "aria-label": "parts of a step" }, ...ORDER.filter((k) => seen.has(k)).map((k) => h("li", {}, h("span", { class: `swatch s-${k}`, "aria-hidden": "true" }), h("span", {}, seen.get(k)!))));
}

/** One step on its own: the bar at full width and, under it, each part's seconds and share of
 * the step (the parts of zero seconds left out), in short names that fit a card's column. */
export function stepParts(t: StepTime, base: string, name: string): HTMLElement {
  const segs = segments(t, base).filter((x) => x.seconds > 0);
  const starred = segs.some((x) => x.short.endsWith("*"));
  return h(
    "div",
    { class: "step-parts" },
    timeBar(t, base, t.step_s, name),
    h(
      "ul",
      { class: "legend step-legend", "aria-label": `parts of a step, ${name}` },
      ...segs.map((seg) =>
        h(
          "li",
          { title: seg.label },
          h("span", { class: `swatch s-${seg.key}`, "aria-hidden": "true" }),
          h("span", { class: "legend-name" }, h("span", { "aria-hidden": "true" }, seg.short), h("span", { class: "visually-hidden" }, seg.label)),
          h("span", { class: "legend-seconds", ...(seg.path ? pathOf(seg.path, seg.seconds) : {}) }, partSeconds(seg.seconds)),
          h("span", { class: "legend-share" }, share(seg.seconds, t.step_s)),
        ),
      ),
    ),
    starred ? h("p", { class: "hint step-note", "aria-hidden": "true" }, "* the part not hidden behind compute") : null,
  );
}
