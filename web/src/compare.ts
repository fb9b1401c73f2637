// The same goal on other machines of the catalogue: whether it fits in each mode, and the
// chosen mode's time, throughput and energy, in a table sorted by any column. Rows are planned
// one at a time on the planner's thread after the main results, so typing never waits for them.

import type { Goal, Plan } from "trainfit/web/lean";
import { modeName, verdictIcon, verdictOf, VERDICT_WORDS } from "./cards";
import { h } from "./dom";
import type { CompareEntry } from "./inputs";
import { planOff } from "./planner";
import { catalogueAccelerator, catalogueProfile } from "./request";
import { count, duration, gib, kwh } from "./units";

const MODES = ["conservative", "balanced", "extreme"] as const;

export interface CompareRow {
  entry: CompareEntry;
  plan?: Plan;
  error?: string;
}

/** Plans `goal` on one catalogue machine, on the planner's thread, for computation
 * `generation` (`null` when a newer one took its turn). The goal's device count is left out: each
 * machine is compared on all of its devices. */
export async function compareRow(entry: CompareEntry, goal: Goal, generation: number): Promise<CompareRow | null> {
  const spec = catalogueAccelerator(entry.name);
  if (typeof spec === "string") return { entry, error: spec };
  const { devices: _devices, ...rest } = goal;
  const answer = await planOff({ profile: catalogueProfile(spec, entry.count), goal: rest }, generation);
  if (answer === null) return null;
  return answer.ok ? { entry, plan: answer.value } : { entry, error: answer.message };
}

type Column = { key: string; label: string; numeric: boolean; value: (r: CompareRow) => number | string | null };

function columns(chosen: string, serving: boolean): Column[] {
  const pick = (r: CompareRow) => r.plan?.configurations.find((c) => c.mode === chosen);
  const cols: Column[] = [
    { key: "machine", label: "Machine", numeric: false, value: (r) => `${r.entry.name} ${String(r.entry.count).padStart(5, "0")}` },
    { key: "memory", label: "Memory", numeric: true, value: (r) => r.plan?.device.usable_bytes ?? null },
    ...MODES.map((m) => ({
      key: m,
      label: modeName(m),
      numeric: true,
      // Fitting first, then by the share of the device the peak takes.
      value: (r: CompareRow) => {
        const c = r.plan?.configurations.find((x) => x.mode === m);
        if (!c || !r.plan) return null;
        return (c.fits ? 0 : 10) + c.memory.peak_bytes / r.plan.device.usable_bytes;
      },
    })),
  ];
  if (serving) {
    cols.push(
      { key: "concurrency", label: "Sequences", numeric: true, value: (r) => pick(r)?.serve?.concurrency ?? null },
      { key: "decode", label: "Decode tok/s", numeric: true, value: (r) => pick(r)?.serve?.decode_tokens_per_s ?? null },
    );
  } else {
    cols.push(
      { key: "time", label: "Time", numeric: true, value: (r) => pick(r)?.time.total_s ?? null },
      { key: "tokens_per_s", label: "Tokens/s", numeric: true, value: (r) => pick(r)?.time.tokens_per_s ?? null },
      { key: "energy", label: "Energy", numeric: true, value: (r) => pick(r)?.power.energy_kwh ?? null },
    );
  }
  return cols;
}

function cell(r: CompareRow, col: Column, chosen: string): HTMLElement {
  const el = cellOf(r, col, chosen);
  el.dataset.label = col.label;
  return el;
}

function cellOf(r: CompareRow, col: Column, chosen: string): HTMLElement {
  if (col.key === "machine") {
    return h("th", { scope: "row" }, r.entry.name, h("span", { class: "muted" }, ` × ${r.entry.count}`));
  }
  if (!r.plan) return h("td", { class: "muted" }, "—");
  const p = r.plan;
  if (col.key === "memory") return h("td", { class: "num" }, gib(p.device.usable_bytes));
  const c = p.configurations.find((x) => x.mode === (MODES.includes(col.key as never) ? col.key : chosen));
  if (!c) return h("td", {}, "—");
  const attrs = { "data-machine": `${r.entry.name} x${r.entry.count}`, "data-mode": c.mode };
  if (MODES.includes(col.key as never)) {
    const v = verdictOf(c);
    return h("td", { class: `fitcell v-${v}`, ...attrs, "data-field": "fits", "data-value": JSON.stringify(c.fits) }, verdictIcon(v), h("span", {}, VERDICT_WORDS[v]), h("span", { class: "muted small peak-line" }, gib(c.memory.peak_bytes)));
  }
  const raw = col.value(r);
  const text =
    raw === null
      ? "unknown"
      : col.key === "time"
        ? duration(raw as number)
        : col.key === "energy"
          ? kwh(raw as number)
          : count(Math.round(raw as number));
  return h("td", { class: "num", ...attrs, "data-field": col.key, "data-value": JSON.stringify(raw) }, text);
}

export interface SortState {
  key: string;
  ascending: boolean;
}

/** The table of `rows`, sorted by `sort`; `onSort` is called with a column's key when its
 * header is pressed. */
export function compareTable(rows: CompareRow[], chosen: string, serving: boolean, sort: SortState, onSort: (key: string) => void): HTMLElement {
  const cols = columns(chosen, serving);
  const col = cols.find((c) => c.key === sort.key);
  // No column chosen: the machines in the order the visitor listed them.
  const sorted = !col ? rows : [...rows].sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    // Unknown values last whichever the direction.
    if (va === null || vb === null) return va === null ? (vb === null ? 0 : 1) : -1;
    const d = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
    return sort.ascending ? d : -d;
  });
  const head = h(
    "tr",
    {},
    ...cols.map((c) => {
      const active = c.key === col?.key;
      const button = h("button", { type: "button", class: "sort", "data-sort": c.key }, c.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (sort.ascending ? " ▲" : " ▼") : ""));
      button.addEventListener("click", () => onSort(c.key));
      return h("th", { scope: "col", class: c.numeric ? "num" : "", "aria-sort": active ? (sort.ascending ? "ascending" : "descending") : "none" }, button);
    }),
  );
  const body = sorted.map((r) =>
    h(
      "tr",
      { "data-machine": `${r.entry.name} x${r.entry.count}` },
      ...cols.map((c) => cell(r, c, chosen)),
    ),
  );
  const errors = rows.filter((r) => r.error).map((r) => h("li", {}, `${r.entry.name} × ${r.entry.count}: ${r.error}`));
  return h(
    "div",
    {},
    h("p", { class: "hint" }, serving ? `Sequences and decode rate of the ${chosen} configuration.` : `Time, tokens/s and energy of the ${chosen} configuration.`, " Press a column's header to sort by it."),
    h(
      "div",
      { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "compare hardware table" },
      h("table", { class: "compare" }, h("caption", { class: "visually-hidden" }, `The goal on each machine; time and throughput of the ${chosen} configuration. Press a column's header to sort by it.`), h("thead", {}, head), h("tbody", {}, ...body)),
    ),
    errors.length ? h("ul", { class: "warnings" }, ...errors) : null,
  );
}
