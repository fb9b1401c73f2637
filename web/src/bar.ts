// Stacked bars: one device's memory at the peak, every term a segment in the breakdown's order,
// drawn against the device's usable memory with ticks at the mode's target and at capacity; the
// same picture serves the power supply and the two phases (src/supply.ts, src/phases.ts).
// Hand-written SVG in percentages of its width, so it scales to any column.

import type { Configuration, Term } from "trainfit/web/lean";
import { h, s } from "./dom";
import { bytesFigure, dataOf, TERM_NAMES } from "./terms";
import { exactBytes, gib, percent } from "./units";

function pct(x: number): string {
  return `${(x * 100).toFixed(3)}%`;
}

function anchor(x: number): string {
  return x < 0.2 ? "start" : x > 0.8 ? "end" : "middle";
}

/** What `termBar` draws: the terms of one device's peak against the bytes it may use. */
export interface BarSpec {
  breakdown: Term[];
  peak: number;
  usable: number;
  /** The mode's target, ticked; none where the usable bytes already are the mode's share. */
  target: number | null;
  /** What the bar is of, for its accessible name and the legend's. */
  label: string;
  /** `data-` attributes with a term's raw value, for the tests. */
  data: (t: Term, i: number) => Record<string, string>;
  /** `data-` attributes of the bar itself. */
  attrs?: Record<string, string>;
}

/** One segment of a stacked bar. */
export interface BarSegment {
  value: number;
  /** Its class: the colour (`t-weights`, `p-cpu`, ...). */
  className: string;
  /** What hovering it says. */
  title: string;
  attrs?: Record<string, string | number>;
}

/** A tick across a stacked bar, labelled above it or below it. */
export interface BarTick {
  at: number;
  label: string;
  dashed?: boolean;
  below?: boolean;
}

/** A stacked bar of `segments` on a track of `track` (in the segments' unit), scaled so that
 * the larger of the track and the segments' sum fills the width, with `ticks`: the one picture
 * behind the memory bar, the power supply's and the two phases' time. */
export function stackedBar(segments: BarSegment[], track: number, ticks: BarTick[], className: string, attrs: Record<string, string>): SVGSVGElement {
  const total = segments.reduce((a, x) => a + Math.max(x.value, 0), 0);
  const scale = Math.max(track, total, ...ticks.map((t) => t.at), Number.MIN_VALUE);
  const bar = s("svg", { class: className, role: "img", ...attrs });
  bar.append(s("rect", { class: "membar-track", x: "0", y: "14", width: pct(track / scale), height: "20", rx: "3" }));
  let x = 0;
  for (const seg of segments) {
    if (seg.value <= 0) continue;
    const w = seg.value / scale;
    bar.append(s("rect", { class: `seg ${seg.className}`, x: pct(x), y: "14", width: pct(w), height: "20", ...seg.attrs }, s("title", {}, seg.title)));
    x += w;
  }
  // Labels above the bar and below it, so that two ticks never overlap; anchored so that
  // neither runs past an edge.
  for (const t of ticks) {
    const at = t.at / scale;
    bar.append(
      s("line", { class: `tick${t.dashed ? " tick-target" : " tick-capacity"}`, x1: pct(at), x2: pct(at), y1: "9", y2: "39" }),
      s("text", { class: "tick-label", x: pct(at), y: t.below ? "50" : "8", "text-anchor": anchor(at) }, t.label),
    );
  }
  return bar;
}

/** A stacked bar of `spec.breakdown` with ticks, and its legend with each term's GiB. */
export function termBar(spec: BarSpec): HTMLElement {
  const { peak, usable, target } = spec;
  const ticks: BarTick[] = [{ at: usable, label: `${target === null ? "may use" : "capacity"} ${gib(usable)}`, below: true }];
  if (target !== null) ticks.unshift({ at: target, label: `target ${percent(target / usable)}`, dashed: true });
  const bar = stackedBar(
    spec.breakdown.map((t) => ({ value: t.bytes, className: `t-${t.term}`, title: `${TERM_NAMES[t.term]}: ${gib(t.bytes)} (${exactBytes(t.bytes)})`, attrs: { "data-term": t.term, "data-bytes": t.bytes } })),
    usable,
    ticks,
    "membar",
    {
      "aria-label": `memory of ${spec.label}: peak ${gib(peak)}${target === null ? "" : `, the mode's target ${gib(target)}`}, usable ${gib(usable)}`,
      ...spec.attrs,
    },
  );
  const legend = h("ul", { class: "legend", "aria-label": `memory terms, ${spec.label}` });
  spec.breakdown.forEach((t, i) => {
    legend.append(
      h(
        "li",
        {},
        h("span", { class: `swatch t-${t.term}`, "aria-hidden": "true" }),
        h("span", { class: "legend-name" }, TERM_NAMES[t.term]),
        bytesFigure(t.bytes, undefined, "legend-bytes", spec.data(t, i)),
      ),
    );
  });
  return h("div", { class: "membar-wrap" }, bar, legend);
}

/** The bar and its legend for configuration `c` on a device with `usable` bytes. */
export function memoryBar(c: Configuration, usable: number): HTMLElement {
  return termBar({
    breakdown: c.memory.breakdown,
    peak: c.memory.peak_bytes,
    usable,
    target: c.memory_target_bytes,
    label: "one device",
    data: (t) => dataOf({ mode: c.mode, field: `memory.breakdown.${t.term}`, value: t.bytes }),
    attrs: { "data-mode": c.mode },
  });
}
