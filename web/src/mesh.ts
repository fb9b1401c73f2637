// A plan on a cluster: the machines and links, each configuration's mesh (its named axes,
// sharding and batch) with the alternatives the search kept, each as a stacked bar of its step
// time (web/src/timebar.ts), the constraint that binds, the mesh's warnings, and the scaling
// curve as two charts. Every figure carries its path in the plan (`data-path`) and raw value, for the tests.

import type { ClusterLink, Configuration, Layout, MeshCandidate, Plan, PlanRequest, ScalingPoint } from "trainfit/web/lean";
import { modeName, verdictIcon, verdictOf, VERDICT_WORDS, warningList } from "./cards";
import { machineSummary } from "./cluster";
import { disclosure, h } from "./dom";
import { niceStep, plot } from "./curves";
import { pathOf } from "./terms";
import { AXIS_NAMES, timeBar, timeLegend } from "./timebar";
import { count, gib, percent, seconds, si } from "./units";

const NB = "\u00a0";

const LINK_NAMES: Record<string, string> = {
  nvlink: "NVLink",
  nvswitch: "NVSwitch",
  pcie: "PCIe",
  infiniband: "InfiniBand",
  roce: "RoCE",
  ethernet: "Ethernet",
  thunderbolt: "Thunderbolt",
  wifi: "Wi-Fi",
};

/** A link in words: class, GB/s per device, latency. */
function linkText(l: ClusterLink): string {
  return `${LINK_NAMES[l.class] ?? l.class} · ${l.bandwidth_gbs.toFixed(1)}${NB}GB/s per device · ${l.latency_us.toFixed(0)}${NB}µs`;
}

/** The machines and links: the plan's summary where it gives one (machines of one kind), else
 * the machines and links of the request as sent (unequal devices). */
export function clusterSummary(plan: Plan, request: PlanRequest): HTMLElement | null {
  const c = plan.cluster;
  const rows: Node[] = [];
  const row = (label: string, ...content: (Node | string)[]) => rows.push(h("dt", {}, label), h("dd", {}, ...content));
  if (c) {
    row("Machines", h("span", pathOf("cluster.machines", c.machines), count(c.machines)), " × ", h("span", pathOf("cluster.devices_per_machine", c.devices_per_machine), count(c.devices_per_machine)), ` device${c.devices_per_machine === 1 ? "" : "s"} = `, h("strong", pathOf("cluster.devices", c.devices), `${count(c.devices)} devices`));
    for (const [label, key] of [
      ["Within a machine", "within"],
      ["Between machines", "between"],
    ] as const) {
      const l = c[key];
      if (l) row(label, h("span", pathOf(`cluster.${key}.bandwidth_gbs`, l.bandwidth_gbs), linkText(l)), h("span", { class: "muted why" }, ` (${l.why})`));
    }
  } else if (request.cluster) {
    for (const m of request.cluster.machines) row(`${m.name ?? "machine"} × ${String(m.count ?? 1)}`, machineSummary(m.profile));
    for (const l of request.cluster.links ?? []) {
      const bw = l.bandwidth_gbs ? `${l.bandwidth_gbs.value}${NB}GB/s per device (${l.bandwidth_gbs.source})` : "the class's default bandwidth";
      row(l.machines?.length ? `Link ${l.machines.join(" – ")}` : "Between machines", `${LINK_NAMES[l.class] ?? l.class} · ${bw}`);
    }
  } else return null;
  return h("section", { class: "cluster-summary", "aria-labelledby": "cluster-title" }, h("h3", { id: "cluster-title" }, "Cluster"), h("dl", { class: "figures cluster-figures" }, ...rows));
}

const SHARDING_NAMES: Record<string, string> = {
  none: "DDP (no sharding)",
  zero1: "ZeRO-1",
  zero2: "ZeRO-2",
  zero3: "ZeRO-3",
  fsdp_shard_grad_op: "FSDP shard grad-op",
  fsdp_full_shard: "FSDP full shard",
};

/** The layout's axes by name, innermost first, the ones of one rank left out. */
function axes(l: Layout): string {
  const parts = (["tensor", "context", "expert", "pipeline", "data"] as const).filter((a) => l[a] > 1).map((a) => `${AXIS_NAMES[a]}${NB}${l[a]}`);
  return parts.length ? parts.join(" × ") : "one device";
}

/** Everything else that defines the layout, in words. */
function extras(l: Layout, recompute: string): string[] {
  const out: string[] = [];
  if (l.virtual_stages > 1) out.push(`interleaved, ${l.virtual_stages} chunks per stage`);
  if (l.sequence_parallel) out.push("sequence parallel");
  out.push(SHARDING_NAMES[l.sharding] ?? l.sharding);
  out.push(`micro-batch ${l.micro_batch} × ${l.micro_batches} accumulation`);
  out.push(recompute === "none" ? "no recompute" : `${recompute} recompute`);
  return out;
}

/** One candidate: its layout, figures and bar. */
function candidate(cand: MeshCandidate, base: string, longest: number, best: boolean): HTMLElement {
  const l = cand.layout;
  const name = axes(l);
  const lp = `${base}.layout`;
  return h(
    "li",
    { class: `candidate${best ? " best" : ""}` },
    h(
      "div",
      { class: "cand-head" },
      h(
        "span",
        { class: "cand-layout" },
        // The axes, sharding and batch as raw values for the tests; the text below says them.
        ...(["data", "tensor", "pipeline", "context", "expert"] as const).map((a) => h("span", { hidden: true, ...pathOf(`${lp}.${a}`, l[a]) })),
        h("strong", {}, name),
        h("span", { class: "muted" }, ` · ${extras(l, cand.recompute).join(" · ")}`),
        h("span", { hidden: true, ...pathOf(`${lp}.sharding`, l.sharding) }),
        h("span", { hidden: true, ...pathOf(`${lp}.micro_batch`, l.micro_batch) }),
        h("span", { hidden: true, ...pathOf(`${lp}.micro_batches`, l.micro_batches) }),
        h("span", { hidden: true, ...pathOf(`${lp}.virtual_stages`, l.virtual_stages) }),
        h("span", { hidden: true, ...pathOf(`${base}.recompute`, cand.recompute) }),
      ),
      h(
        "span",
        { class: "cand-figures" },
        h("span", pathOf(`${base}.time.step_s`, cand.time.step_s), `${seconds(cand.time.step_s)}/step`),
        " · ",
        h("span", pathOf(`${base}.time.tokens_per_s`, cand.time.tokens_per_s), `${si(cand.time.tokens_per_s)}${NB}tok/s`),
        " · MFU ",
        h("span", pathOf(`${base}.time.mfu`, cand.time.mfu), percent(cand.time.mfu)),
        " · ",
        h("span", pathOf(`${base}.peak_bytes`, cand.peak_bytes), gib(cand.peak_bytes)),
        " peak",
      ),
    ),
    timeBar(cand.time, `${base}.time`, longest, name),
  );
}

/** The best candidate's collectives, axis by axis. */
function collectives(cand: MeshCandidate, base: string): HTMLElement | null {
  const comm = cand.time.communication;
  if (!comm.length) return null;
  return h(
    "div",
    { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "communication per axis" },
    h(
      "table",
      { class: "axes-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Axis"), h("th", { scope: "col", class: "num" }, "Ranks"), h("th", { scope: "col" }, "Link"), h("th", { scope: "col", class: "num" }, "On the link"), h("th", { scope: "col", class: "num" }, "Exposed"), h("th", { scope: "col" }, "What"))),
      h(
        "tbody",
        {},
        ...comm.map((a, i) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("span", { class: `swatch s-comm-${a.axis}`, "aria-hidden": "true" }), AXIS_NAMES[a.axis]),
            h("td", { class: "num" }, count(a.ranks)),
            h("td", {}, `${a.link.bandwidth_gbs.toFixed(0)}${NB}GB/s${a.crosses_machines ? ", across machines" : ", in a machine"}`),
            h("td", { class: "num" }, seconds(a.total_s)),
            h("td", { class: "num", ...pathOf(`${base}.time.communication.${i}.exposed_s`, a.exposed_s) }, seconds(a.exposed_s)),
            h("td", { class: "detail" }, a.what),
          ),
        ),
      ),
    ),
  );
}

/** Tokens/s and MFU against devices, a chart each, with the numbers on demand. */
function scalingCharts(points: ScalingPoint[], base: string, mode: string): HTMLElement {
  const all = points.at(-1)?.devices ?? 0;
  const pts = points.map((p, i) => ({ x: p.devices, y: p.tokens_per_s, p, i }));
  const tMax = Math.max(...points.map((p) => p.tokens_per_s), 1) * 1.15;
  const tStep = niceStep(tMax / 4);
  const tokens = plot({
    key: `scaling-tokens-${mode}`,
    title: "Tokens per second against devices",
    desc: points.map((p) => `${count(p.devices)} devices: ${count(Math.round(p.tokens_per_s))} tokens/s`).join("; "),
    axis: "devices",
    points: pts,
    current: all,
    yMax: tStep * Math.ceil(tMax / tStep),
    yStep: tStep,
    yLabel: (y) => si(y),
    point: (q) => ({ title: `${count(q.x)} devices: ${count(Math.round(q.y))} tokens/s, MFU ${percent(q.p.mfu)}`, attrs: { "data-x": q.x, "data-y": q.y, ...pathOf(`${base}.scaling.${q.i}.tokens_per_s`, q.p.tokens_per_s) } }),
    attrs: { "data-mode": mode },
  });
  const mfu = plot({
    key: `scaling-mfu-${mode}`,
    title: "MFU against devices",
    desc: points.map((p) => `${count(p.devices)} devices: MFU ${percent(p.mfu)}`).join("; "),
    axis: "devices",
    points: points.map((p, i) => ({ x: p.devices, y: p.mfu, p, i })),
    current: all,
    yMax: Math.max(0.6, Math.ceil((Math.max(...points.map((p) => p.mfu)) * 1.15) / 0.1) * 0.1),
    yStep: 0.1,
    yLabel: (y) => `${Math.round(y * 100)}%`,
    point: (q) => ({ title: `${count(q.x)} devices: MFU ${percent(q.y)}`, attrs: { "data-x": q.x, "data-y": q.y, ...pathOf(`${base}.scaling.${q.i}.mfu`, q.p.mfu) } }),
    attrs: { "data-mode": mode },
  });
  const table = disclosure({ class: "more", "data-key": `data-scaling-${mode}` }, ["Chart data"], () => [
    h(
      "table",
      { class: "chart-data" },
      h("thead", {}, h("tr", {}, ...["Devices", "Data replicas", "Tokens/s", "MFU", "Step"].map((t) => h("th", { scope: "col", class: "num" }, t)))),
      h("tbody", {}, ...points.map((p) => h("tr", { class: p.devices === all ? "here" : "" }, h("td", { class: "num" }, count(p.devices)), h("td", { class: "num" }, count(p.data)), h("td", { class: "num" }, count(Math.round(p.tokens_per_s))), h("td", { class: "num" }, percent(p.mfu)), h("td", { class: "num" }, seconds(p.step_s))))),
    ),
  ]);
  const note = points.length === 1 ? "One point: on fewer machines the layout does not fit at this global batch." : "The global batch held; the best layout's tensor, context and pipeline degrees kept where they fit.";
  return h(
    "div",
    { class: "scaling" },
    h("h4", {}, "Scaling"),
    h("p", { class: "hint" }, note),
    h(
      "div",
      { class: "charts" },
      h("figure", { class: "chart" }, h("figcaption", {}, h("strong", {}, "Tokens per second against devices")), tokens),
      h("figure", { class: "chart" }, h("figcaption", {}, h("strong", {}, "MFU against devices")), mfu),
    ),
    table,
  );
}

/** One configuration's mesh: open for the configuration charted below, folded for the others. */
function meshOf(c: Configuration, index: number, open: boolean): HTMLElement | null {
  const m = c.mesh;
  const base = `configurations.${index}.mesh`;
  if (!m) {
    if (c.serving_layouts) return servingOf(c, index, open);
    return null;
  }
  const best = m.candidates[0];
  const v = verdictOf(c);
  const longest = Math.max(...m.candidates.map((x) => x.time.step_s), 1e-9);
  const d = h(
    "details",
    { class: "mesh-mode", "data-key": `mesh-${c.mode}`, "data-mode": c.mode, open },
    h(
      "summary",
      {},
      h("span", { class: "mesh-title" }, modeName(c.mode)),
      h("span", { class: `verdict v-${v}` }, verdictIcon(v), VERDICT_WORDS[v]),
      best ? h("span", { class: "mesh-line" }, `${axes(best.layout)} · ${SHARDING_NAMES[best.layout.sharding] ?? best.layout.sharding} · ${seconds(best.time.step_s)}/step · MFU ${percent(best.time.mfu)}`) : null,
    ),
  );
  d.append(
    h("p", { class: "binding" }, h("span", { class: "muted" }, "What binds: "), h("span", pathOf(`${base}.binding`, m.binding), m.binding)),
    h("p", { class: "hint" }, `${count(m.considered)} layouts tried over ${count(m.devices)} devices; ${count(m.rejected_for_memory)} over ${gib(m.memory_limit_bytes)} per device left out. The first is this configuration's; the others are the next fastest.`),
    timeLegend(m.candidates.map((x) => x.time)),
    h("ol", { class: "candidates", "aria-label": `layouts, ${c.mode}` }, ...m.candidates.map((cand, i) => candidate(cand, `${base}.candidates.${i}`, longest, i === 0))),
  );
  if (best) {
    const comm = collectives(best, `${base}.candidates.0`);
    if (comm) d.append(h("h4", {}, "Communication of the first layout"), comm);
  }
  const warnings = warningList(m.warnings, `mesh warnings, ${c.mode}`);
  if (warnings) d.append(warnings);
  if (m.scaling.length) d.append(scalingCharts(m.scaling, base, c.mode));
  return d;
}

/** Serving on a cluster: the tensor and pipeline layouts, best first. */
function servingOf(c: Configuration, index: number, open: boolean): HTMLElement | null {
  const sv = c.serving_layouts;
  if (!sv || !sv.layouts.length) return null;
  const base = `configurations.${index}.serving_layouts`;
  const first = sv.layouts[0]!;
  return h(
    "details",
    { class: "mesh-mode", "data-key": `mesh-${c.mode}`, "data-mode": c.mode, open },
    // The layouts listed are those that fit; the card's verdict above is of the configuration.
    h("summary", {}, h("span", { class: "mesh-title" }, modeName(c.mode)), h("span", { class: "verdict v-fits" }, verdictIcon("fits"), `${sv.layouts.length} layout${sv.layouts.length === 1 ? "" : "s"} fit`), h("span", { class: "mesh-line" }, `tensor ${first.tensor} × pipeline ${first.pipeline} · ${first.replicas} replicas · ${si(first.tokens_per_s)}${NB}tok/s`)),
    h("p", { class: "hint" }, `Serving layouts at ${count(sv.context)} tokens of context, by decode tokens/s over the cluster.`),
    h(
      "div",
      { class: "table-scroll", tabindex: 0, role: "region", "aria-label": `serving layouts, ${c.mode}` },
      h(
        "table",
        { class: "serve-table" },
        h("thead", {}, h("tr", {}, ...["Layout", "Replicas", "Weights", "KV pool", "Sequences", "Tok/s per sequence", "Tok/s in all"].map((t, i) => h("th", { scope: "col", class: i ? "num" : "" }, t)))),
        h(
          "tbody",
          {},
          ...sv.layouts.map((l, i) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, `tensor ${l.tensor} × pipeline ${l.pipeline}`),
              h("td", { class: "num", ...pathOf(`${base}.layouts.${i}.replicas`, l.replicas) }, count(l.replicas)),
              h("td", { class: "num" }, gib(l.weights_bytes)),
              h("td", { class: "num", ...pathOf(`${base}.layouts.${i}.kv_pool_bytes`, l.kv_pool_bytes) }, gib(l.kv_pool_bytes)),
              h("td", { class: "num", ...pathOf(`${base}.layouts.${i}.concurrency`, l.concurrency) }, count(l.concurrency)),
              h("td", { class: "num" }, l.tokens_per_s_per_sequence.toFixed(1)),
              h("td", { class: "num", ...pathOf(`${base}.layouts.${i}.tokens_per_s`, l.tokens_per_s) }, count(Math.round(l.tokens_per_s))),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The meshes of every configuration that has one, `chosen`'s open. */
export function meshes(plan: Plan, chosen: string, opened: Set<string> | null): HTMLElement | null {
  const parts = plan.configurations.map((c, i) => meshOf(c, i, opened ? opened.has(`mesh-${c.mode}`) : c.mode === chosen)).filter((x): x is HTMLElement => x !== null);
  if (!parts.length) return null;
  return h("section", { class: "meshes", "aria-labelledby": "mesh-title" }, h("h3", { id: "mesh-title" }, plan.configurations.some((c) => c.mesh) ? "Mesh: how the devices split the work" : "Serving layouts"), ...parts);
}
