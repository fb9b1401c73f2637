// One device's memory at the peak as a stacked bar, every term a segment in the breakdown's
// order, drawn against the device's usable memory with ticks at the mode's target and at
// capacity. Hand-written SVG in percentages of its width, so it scales to any column.

import type { Configuration } from "trainfit/web";
import { h, s } from "./dom";
import { bytesFigure, TERM_NAMES } from "./terms";
import { exactBytes, gib, percent } from "./units";

function pct(x: number): string {
  return `${(x * 100).toFixed(3)}%`;
}

function anchor(x: number): string {
  return x < 0.2 ? "start" : x > 0.8 ? "end" : "middle";
}

/** The bar and its legend for configuration `c` on a device with `usable` bytes. */
export function memoryBar(c: Configuration, usable: number): HTMLElement {
  const peak = c.memory.peak_bytes;
  const target = c.memory_target_bytes;
  const scale = Math.max(usable, peak, 1);
  const bar = s("svg", {
    class: "membar",
    role: "img",
    "aria-label": `memory of one device: peak ${gib(peak)}, the mode's target ${gib(target)}, usable ${gib(usable)}`,
    "data-mode": c.mode,
  });
  bar.append(s("rect", { class: "membar-track", x: "0", y: "14", width: pct(usable / scale), height: "20", rx: "3" }));
  let x = 0;
  for (const t of c.memory.breakdown) {
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
  const targetX = target / scale;
  const capX = usable / scale;
  bar.append(
    s("line", { class: "tick tick-target", x1: pct(targetX), x2: pct(targetX), y1: "9", y2: "39" }),
    s("line", { class: "tick tick-capacity", x1: pct(capX), x2: pct(capX), y1: "9", y2: "39" }),
    // The target's label above the bar, capacity's below, so the two never overlap; anchored
    // so that neither runs past an edge.
    s("text", { class: "tick-label", x: pct(targetX), y: "8", "text-anchor": anchor(targetX) }, `target ${percent(target / usable)}`),
    s("text", { class: "tick-label", x: pct(capX), y: "50", "text-anchor": anchor(capX) }, `capacity ${gib(usable)}`),
  );
  const legend = h("ul", { class: "legend", "aria-label": `memory terms, ${c.mode}` });
  for (const t of c.memory.breakdown) {
    legend.append(
      h(
        "li",
        {},
        h("span", { class: `swatch t-${t.term}`, "aria-hidden": "true" }),
        h("span", { class: "legend-name" }, TERM_NAMES[t.term]),
        bytesFigure(t.bytes, { mode: c.mode, field: `memory.breakdown.${t.term}`, value: t.bytes }, "legend-bytes"),
      ),
    );
  }
  return h("div", { class: "membar-wrap" }, bar, legend);
}
