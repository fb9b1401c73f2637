// The whole system's draw in a configuration against the power supply (the plan's
// `power.system`, present when the supply's rating is known): the accelerators, the CPU and the
// rest of the machine as a stacked bar against the rating, ticked at the share of it the system
// may draw sustained, and the per-device cap that fits or the supply that would do.

import type { Configuration, SystemPower } from "trainfit/web/lean";
import { stackedBar, type BarTick } from "./bar";
import { h } from "./dom";
import { pathOf } from "./terms";
import { count, percent, watts } from "./units";

/** The supply a system of `s` needs: its draw at the safe share of a rating, the figure the
 * core's `psu_headroom` warning names ("use a supply of at least ... W"). */
export function supplyNeeded(s: SystemPower): number {
  return Math.round(s.total_w / s.safe_share);
}

/** The system against the supply for configuration `c`, the plan's `configurations.<index>`. */
export function supplyBar(c: Configuration, index: number): HTMLElement | null {
  const sys = c.power.system;
  if (!sys) return null;
  const base = `configurations.${index}.power.system`;
  const safe = sys.safe_share * sys.psu_w;
  const within = sys.load_share <= sys.safe_share;
  const parts = [
    { key: "accelerators", name: "Accelerators", value: sys.accelerators_w, path: `${base}.accelerators_w`, note: "" },
    { key: "cpu", name: "CPU", value: sys.cpu_w, path: `${base}.cpu_w`, note: sys.cpu_source },
    { key: "rest", name: "Rest of the system", value: sys.rest_w, path: `${base}.rest_w`, note: "board, memory, drives, fans" },
  ];
  const ticks: BarTick[] = [{ at: sys.psu_w, label: `rating ${watts(sys.psu_w)}`, below: true }];
  if (sys.safe_share < 1) ticks.unshift({ at: safe, label: `safe ${percent(sys.safe_share)}, ${watts(safe)}`, dashed: true });
  const bar = stackedBar(
    parts.map((p) => ({ value: p.value, className: `p-${p.key}`, title: `${p.name}: ${watts(p.value)}${p.note ? ` (${p.note})` : ""}`, attrs: { "data-part": p.key } })),
    sys.psu_w,
    ticks,
    "membar psubar",
    { "aria-label": `system draw ${watts(sys.total_w)} against a ${watts(sys.psu_w)} supply, safe up to ${watts(safe)}`, "data-mode": c.mode },
  );
  const cap = c.power.power_cap_w;
  let verdict: (Node | string)[];
  if (within) {
    verdict = cap === null ? ["Within the safe share."] : ["Within the safe share with each device capped at ", h("span", { class: "figure strong", ...pathOf(`configurations.${index}.power.power_cap_w`, cap) }, watts(cap)), "."];
  } else if (cap !== null) {
    verdict = ["Above the safe share even with each device capped at ", h("span", { class: "figure strong", ...pathOf(`configurations.${index}.power.power_cap_w`, cap) }, watts(cap)), `: a supply of at least ${count(supplyNeeded(sys))}\u00a0W.`];
  } else {
    verdict = [`Above the safe share and no power limit can be set here: a supply of at least `, h("span", { class: "strong", "data-supply-needed": String(supplyNeeded(sys)) }, `${count(supplyNeeded(sys))}\u00a0W`), "."];
  }
  return h(
    "section",
    { class: "card-sec supply", "aria-label": `power supply, ${c.mode}` },
    h(
      "h4",
      {},
      "Power supply ",
      h("span", { class: `keeps ${within ? "keeps-ok" : "keeps-bad"}`, ...pathOf(`${base}.load_share`, sys.load_share) }, `${percent(sys.load_share)} of it`),
    ),
    h(
      "p",
      { class: "supply-total" },
      h("span", { class: "figure strong", ...pathOf(`${base}.total_w`, sys.total_w) }, watts(sys.total_w)),
      h("span", { class: "muted" }, " of "),
      h("span", { class: "figure", ...pathOf(`${base}.psu_w`, sys.psu_w) }, watts(sys.psu_w)),
      h("span", { class: "muted", ...pathOf(`${base}.safe_share`, sys.safe_share) }, sys.safe_share < 1 ? `, safe up to ${percent(sys.safe_share)} (not known to be ATX 3.0)` : " (ATX 3.0: its full rating)"),
    ),
    bar,
    h(
      "ul",
      { class: "legend supply-legend", "aria-label": `system draw, ${c.mode}` },
      ...parts.map((p) =>
        h(
          "li",
          { title: p.note || p.name },
          h("span", { class: `swatch p-${p.key}`, "aria-hidden": "true" }),
          h("span", { class: "legend-name" }, p.name),
          h("span", { class: "legend-watts figure", ...pathOf(p.path, p.value) }, watts(p.value)),
        ),
      ),
    ),
    h("p", { class: `supply-verdict ${within ? "" : "bad"}`.trim() }, ...verdict),
  );
}
