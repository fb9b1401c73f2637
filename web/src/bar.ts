// One device's memory at the peak as a stacked bar, every term a segment in the breakdown's
// order, drawn against the device's usable memory with ticks at the mode's target and at
// capacity. Hand-written SVG in percentages of its width, so it scales to any column.

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

/** A stacked bar of `spec.breakdown` with ticks, and its legend with each term's GiB. */
export function termBar(spec: BarSpec): HTMLElement {
  const { peak, usable, target } = spec;
  const scale = Math.max(usable, peak, 1);
  const bar = s("svg", {
    class: "membar",
    role: "img",
    "aria-label": `memory of ${spec.label}: peak ${gib(peak)}${target === null ? "" : `, the mode's target ${gib(target)}`}, usable ${gib(usable)}`,
    ...spec.attrs,
  });
  bar.append(s("rect", { class: "membar-track", x: "0", y: "14", width: pct(usable / scale), height: "20", rx: "3" }));
  let x = 0;
  for (const t of spec.breakdown) {
    if (t.bytes <= 0) continue;
    const w = t.bytes / scale;
    bar.append(
      s(
        "rect",
        { class: `seg t-${t.term}`, x: pct(x), y: "14", width: pct(w), height: "20", "data-term": t.term, "data-bytes": t.bytes },
        s("title", {}, `${TERM_NAMES[t.term]}: ${gib(t.bytes)} (${exactBytes(t.bytes)})`),
      ),
    );
    x += w;
  }
  const capX = usable / scale;
  bar.append(s("line", { class: "tick tick-capacity", x1: pct(capX), x2: pct(capX), y1: "9", y2: "39" }));
  if (target !== null) {
    const targetX = target / scale;
    // The target's label above the bar, capacity's below, so the two never overlap; anchored
    // so that neither runs past an edge.
    bar.append(
      s("line", { class: "tick tick-target", x1: pct(targetX), x2: pct(targetX), y1: "9", y2: "39" }),
      s("text", { class: "tick-label", x: pct(targetX), y: "8", "text-anchor": anchor(targetX) }, `target ${percent(target / usable)}`),
    );
  }
  bar.append(s("text", { class: "tick-label", x: pct(capX), y: "50", "text-anchor": anchor(capX) }, `${target === null ? "may use" : "capacity"} ${gib(usable)}`));
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
