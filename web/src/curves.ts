// Peak memory of one device against micro-batch and against sequence length for the chosen
// configuration, everything else held, with the device's capacity and the mode's target drawn:
// where the curve crosses them is where the configuration stops fitting. Each point is the
// package's `estimate` of the request the planner measured the configuration with.

import type { Configuration, EstimateRequest, ModelSource, Plan } from "trainfit/web/lean";
import { disclosure, h, s } from "./dom";
import { estimateRequest } from "./request";
import { count, gib, gibNumber } from "./units";

/** Points of the x axis: 1, 2, 3, 4, 6, 8, 12, ... (powers of two and the halves between). */
function ladder(from: number, upTo: number, include: number): number[] {
  const out = new Set<number>([include]);
  for (let p = 1; p <= upTo; p *= 2) {
    if (p >= from) out.add(p);
    const between = p + p / 2;
    if (between >= from && between <= upTo && Number.isInteger(between)) out.add(between);
  }
  return [...out].sort((a, b) => a - b);
}

interface Point {
  x: number;
  peak: number;
}

const GIB = 2 ** 30;

/** 1, 2, 2.5 or 5 times a power of ten: the round step nearest above `raw`. */
export function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

const W = 320;
const H = 190;
const PAD = { left: 40, right: 12, top: 14, bottom: 34 };

/** What `plot` draws: points on a log2 x axis, a y axis from zero with round gridlines. */
export interface PlotSpec<P extends { x: number; y: number }> {
  key: string;
  title: string;
  desc: string;
  axis: string;
  points: P[];
  /** The x of the highlighted point. */
  current: number;
  yMax: number;
  /** Gridline spacing, in y units. */
  yStep: number;
  yLabel: (y: number) => string;
  /** Drawn under the line: shaded regions, limits. */
  under?: (px: (x: number) => number, py: (y: number) => number) => SVGElement[];
  point: (p: P) => { class?: string; title: string; attrs: Record<string, string | number> };
  attrs?: Record<string, string>;
}

/** A line chart as an SVG element: title and description for screen readers, gridlines,
 * powers of two on the x axis, the line and its points (each with a tooltip). */
export function plot<P extends { x: number; y: number }>(spec: PlotSpec<P>): SVGSVGElement {
  const id = `curve-${spec.key}`;
  const xs = spec.points.map((p) => Math.log2(p.x));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const yMax = spec.yMax;
  const px = (x: number) => PAD.left + ((Math.log2(x) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => PAD.top + (1 - Math.min(y, yMax) / yMax) * (H - PAD.top - PAD.bottom);
  const svg = s("svg", { class: "curve", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, "data-key": spec.key, ...spec.attrs });
  svg.append(s("title", { id: `${id}-title` }, spec.title), s("desc", { id: `${id}-desc` }, spec.desc));
  for (let y = 0; y <= yMax; y += spec.yStep) {
    svg.append(
      s("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: py(y), y2: py(y) }),
      s("text", { class: "axis-label", x: PAD.left - 4, y: py(y) + 3, "text-anchor": "end" }, spec.yLabel(y)),
    );
  }
  // Powers of two only, every other one when they would crowd.
  const powers = spec.points.filter((p) => Number.isInteger(Math.log2(p.x)));
  const every = powers.length > 7 ? 2 : 1;
  powers.forEach((p, i) => {
    if (i % every !== 0 && p.x !== spec.current) return;
    svg.append(s("text", { class: "axis-label", x: px(p.x), y: H - PAD.bottom + 13, "text-anchor": "middle" }, p.x >= 1024 ? `${p.x / 1024}k` : String(p.x)));
  });
  svg.append(s("text", { class: "axis-title", x: (PAD.left + W - PAD.right) / 2, y: H - 4, "text-anchor": "middle" }, spec.axis));
  svg.append(...(spec.under?.(px, py) ?? []));
  svg.append(s("polyline", { class: "line", points: spec.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ") }));
  for (const p of spec.points) {
    const here = p.x === spec.current;
    const pt = spec.point(p);
    svg.append(s("circle", { class: `pt${here ? " here" : ""}${pt.class ? ` ${pt.class}` : ""}`, cx: px(p.x).toFixed(1), cy: py(p.y).toFixed(1), r: here ? 5 : 3, ...pt.attrs }, s("title", {}, pt.title)));
  }
  return svg;
}

function chart(title: string, axis: string, key: string, pts: Point[], current: number, usable: number, target: number, mode: string): HTMLElement {
  const fitsUpTo = pts.filter((p) => p.peak <= target).at(-1);
  // The y axis stops a little above capacity: a curve far beyond it is clipped at the top edge.
  const yMax = Math.max(usable * 1.25, Math.min(Math.max(...pts.map((p) => p.peak)), usable * 2));
  const svg = plot({
    key,
    title,
    desc: fitsUpTo ? `Within the mode's target up to ${axis} ${count(fitsUpTo.x)}; the configuration uses ${count(current)}.` : `Over the mode's target at every ${axis} shown.`,
    axis,
    points: pts.map((p) => ({ ...p, y: p.peak })),
    current,
    yMax,
    // Gridlines at a round number of GiB, about four of them.
    yStep: niceStep(yMax / GIB / 4) * GIB,
    yLabel: (y) => `${+(y / GIB).toFixed(2)}`,
    // The region above the target, shaded: a point there does not fit the mode.
    under: (_px, py) => [
      s("rect", { class: "over-target", x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: Math.max(0, py(target) - PAD.top) }),
      s("line", { class: "limit capacity", x1: PAD.left, x2: W - PAD.right, y1: py(usable), y2: py(usable) }),
      s("line", { class: "limit target", x1: PAD.left, x2: W - PAD.right, y1: py(target), y2: py(target) }),
    ],
    point: (p) => ({ class: p.peak > target ? "over" : "", title: `${axis} ${count(p.x)}: ${gib(p.peak)}`, attrs: { "data-x": p.x, "data-peak": p.peak } }),
    attrs: { "data-mode": mode },
  });
  const clipped = pts.some((p) => p.peak > yMax);
  const table = disclosure({ class: "more", "data-key": `data-${key}` }, ["Chart data"], () => [
    h(
      "table",
      { class: "chart-data" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, axis), h("th", { scope: "col", class: "num" }, "Peak, GiB"), h("th", { scope: "col", class: "num" }, "Peak, bytes"), h("th", { scope: "col" }, "Within target"))),
      h("tbody", {}, ...pts.map((p) => h("tr", { class: p.x === current ? "here" : "" }, h("td", { class: "num" }, count(p.x)), h("td", { class: "num" }, gibNumber(p.peak)), h("td", { class: "num" }, count(p.peak)), h("td", {}, p.peak <= target ? "yes" : "no")))),
    ),
  ]);
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, h("strong", {}, title), h("br", {}), h("span", { class: "muted" }, fitsUpTo ? `Fits the target up to ${axis} ${count(fitsUpTo.x)}` : "Over the target at every point shown", clipped ? `; points on the top edge are beyond ${gib(yMax)}` : "")),
    svg,
    // The key in the page's text rather than on the plot, where a label would cross the curve.
    h(
      "p",
      { class: "chart-key" },
      h("span", { class: "key-item" }, h("span", { class: "key key-capacity", "aria-hidden": "true" }), `capacity ${gib(usable)}`),
      h("span", { class: "key-item" }, h("span", { class: "key key-target", "aria-hidden": "true" }), `the mode's target ${gib(target)}`),
      h("span", { class: "key-item" }, h("span", { class: "key key-here", "aria-hidden": "true" }), `this configuration, ${axis} ${count(current)}`),
    ),
    table,
  );
}

/** The peak of each request, `null` for one the estimator refuses; `null` in all when the charts
 * are no longer wanted. */
export type Peaks = (requests: EstimateRequest[]) => Promise<(number | null)[] | null>;

/** Both charts for configuration `c`, their points estimated by `peaks` in one batch; `null`
 * when `peaks` gives up on them. */
export async function curves(plan: Plan, c: Configuration, given: ModelSource | undefined, peaks: Peaks): Promise<HTMLElement | null> {
  const usable = plan.device.usable_bytes;
  const target = c.memory_target_bytes;
  const serving = c.task === "serve";
  const batchAxis = serving ? "sequences per device" : "micro-batch";
  const asked = [
    ...ladder(1, Math.max(2 * c.micro_batch, 8), c.micro_batch).map((x) => ({ axis: "mb", x, request: estimateRequest(plan, c, given, x, c.sequence) })),
    ...ladder(128, Math.max(2 * c.sequence, 4096), c.sequence).map((x) => ({ axis: "seq", x, request: estimateRequest(plan, c, given, c.micro_batch, x) })),
  ].filter((a): a is { axis: string; x: number; request: EstimateRequest } => a.request !== null);
  const got = await peaks(asked.map((a) => a.request));
  if (!got) return null;
  // A point the estimator refuses (a sequence past what the request allows) is left out.
  const along = (axis: string): Point[] => asked.flatMap((a, i) => (a.axis === axis && got[i] !== null && got[i] !== undefined ? [{ x: a.x, peak: got[i]! }] : []));
  const mbs = along("mb");
  const seqs = along("seq");
  return h(
    "div",
    { class: "charts" },
    chart(`Peak memory (GiB) against ${batchAxis}`, batchAxis, "micro_batch", mbs, c.micro_batch, usable, target, c.mode),
    chart(`Peak memory (GiB) against ${serving ? "context" : "sequence"} length`, serving ? "context" : "sequence", "sequence", seqs, c.sequence, usable, target, c.mode),
  );
}
