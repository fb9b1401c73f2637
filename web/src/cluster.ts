// From the documents pasted or dropped into the cluster field to the request's `cluster`: each
// document a probe profile (one machine), a list of them, or a cluster document (what
// `trainfit cluster merge` writes); identical machines folded into one with a count, as the merge
// folds them; the counts as the visitor typed them; the link class between machines. Every value
// is passed to the core as typed: the page only says which field an error belongs to.

import { parseProfile, type Cluster, type HardwareProfile, type Link, type LinkClass } from "trainfit/web/lean";
import type { Inputs } from "./inputs";
import { typedNumber, type FieldError, type Provenance } from "./request";

/** The link classes the core knows (`LinkClass`), in the order the page offers them. */
export const LINK_CLASSES: { value: LinkClass; label: string }[] = [
  { value: "nvlink", label: "NVLink" },
  { value: "nvswitch", label: "NVSwitch" },
  { value: "pcie", label: "PCIe" },
  { value: "infiniband", label: "InfiniBand" },
  { value: "roce", label: "RoCE" },
  { value: "ethernet", label: "Ethernet" },
  { value: "thunderbolt", label: "Thunderbolt" },
  { value: "wifi", label: "Wi-Fi" },
];

/** One JSON document of the field and where it starts (1-based line and column). */
interface Doc {
  text: string;
  line: number;
  column: number;
}

/** The documents of `text`: top-level JSON values one after another (whitespace between them),
 * found by matching braces outside strings. A value that never closes runs to the end, so its
 * parse error says where it broke. */
export function documents(text: string): Doc[] {
  const docs: Doc[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  const step = (to: number) => {
    for (; i < to; i++) {
      if (text[i] === "\n") {
        line += 1;
        column = 1;
      } else column += 1;
    }
  };
  while (i < text.length) {
    let j = i;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    step(j);
    if (i >= text.length) break;
    const start = i;
    const at = { line, column };
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth <= 0) {
          j++;
          break;
        }
      } else if (depth === 0 && /\s/.test(c)) break;
    }
    step(j);
    docs.push({ text: text.slice(start, j), ...at });
  }
  return docs;
}

/** A machine as read from the documents, before folding. */
interface Read {
  name: string | undefined;
  count: unknown;
  profile: unknown;
}

/** A machine of the request, with what the page shows of it. */
export interface Group {
  name: string;
  /** The count the documents give (folded machines summed), before the visitor's edit. */
  count: unknown;
  profile: unknown;
  /** Documents (machines read) folded into it. */
  folded: number;
}

export interface BuiltCluster {
  cluster: Cluster;
  groups: Group[];
  /** Index in `cluster.links` of the link the page's own fields add; -1 for none. */
  pageLink: number;
  provenance: Provenance;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The core's message for a document that is not JSON, its line and column moved from the
 * document's to the field's. */
function syntaxError(doc: Doc, path: string): FieldError {
  let message: string;
  try {
    parseProfile(doc.text);
    message = "not valid JSON";
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  message = message.replace(/line (\d+) column (\d+)/, (_, l: string, c: string) => {
    const line = Number(l);
    const column = line === 1 ? Number(c) + doc.column - 1 : Number(c);
    return `line ${line + doc.line - 1} column ${column}`;
  });
  return { target: "cluster", path, message };
}

/** What two machines of the same hardware differ in: the fields `trainfit cluster merge` leaves
 * out when it folds machines (probe/src/cli/cluster.rs, `hardware`): identity, when and how it
 * was probed, and the readings of the moment. */
const VOLATILE_PROFILE = ["probe", "device_id", "hostname", "bandwidth_gbps", "storage", "power", "thermal", "benchmarks", "redactions", "errors"];
const VOLATILE_MEMORY = ["available_bytes", "cgroup_usage_bytes", "swap_used_bytes"];
const VOLATILE_ACCELERATOR = ["uuid", "memory_free_bytes", "sm_mhz", "power_draw_w", "temperature_c", "throttle_reasons", "ecc_uncorrected_errors"];

/** JSON with sorted keys, so two documents that differ only in key order compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** The profile without what differs between identical machines, as a comparable string. */
export function hardwareKey(profile: unknown): string {
  if (!isObject(profile)) return canonical(profile);
  const p: Record<string, unknown> = { ...profile };
  for (const k of VOLATILE_PROFILE) delete p[k];
  if (isObject(p.memory)) {
    const m: Record<string, unknown> = { ...p.memory };
    for (const k of VOLATILE_MEMORY) delete m[k];
    p.memory = m;
  }
  if (Array.isArray(p.accelerators)) {
    p.accelerators = p.accelerators.map((a) => {
      if (!isObject(a)) return a;
      const out: Record<string, unknown> = { ...a };
      for (const k of VOLATILE_ACCELERATOR) delete out[k];
      return out;
    });
  }
  return canonical(p);
}

/** Names as the merge gives them: a second machine of one name is `NAME-2`. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k > 1 ? `${n}-${k}` : n;
  });
}

/** The weakest source among the memory figures of the machines' profiles. */
function provenanceOf(profiles: unknown[]): Provenance {
  const order: Provenance[] = ["estimated", "user", "catalogue", "measured"];
  const sources = new Set<string>();
  for (const p of profiles) {
    if (!isObject(p)) continue;
    const own = new Set<string>();
    for (const a of Array.isArray(p.accelerators) ? p.accelerators : []) {
      if (isObject(a) && isObject(a.memory_total_bytes) && typeof a.memory_total_bytes.source === "string") own.add(a.memory_total_bytes.source);
    }
    const total = isObject(p.memory) && isObject(p.memory.total_bytes) ? p.memory.total_bytes.source : undefined;
    if (own.size === 0 && typeof total === "string") own.add(total);
    if (own.size === 0) own.add("estimated");
    for (const s of own) sources.add(s);
  }
  return order.find((p) => sources.has(p)) ?? "estimated";
}

/** The cluster of `inputs`, the machines the page lists, and every error found before the core
 * is asked. */
export function buildCluster(inputs: Inputs, errors: FieldError[]): BuiltCluster {
  const read: Read[] = [];
  const links: Link[] = [];
  const docs = documents(inputs.cluster);
  if (docs.length === 0) {
    errors.push({ target: "cluster", path: "cluster.machines", message: "field `cluster.machines` is empty, expected the JSON of trainfit probe --json from each machine, or a cluster document" });
  }
  for (const doc of docs) {
    let value: unknown;
    try {
      value = JSON.parse(doc.text);
    } catch {
      errors.push(syntaxError(doc, `cluster.machines[${read.length}]`));
      // A placeholder keeps the machines after it at the index the visitor counts.
      read.push({ name: undefined, count: 1, profile: null });
      continue;
    }
    if (isObject(value) && "machines" in value) {
      if (!Array.isArray(value.machines)) {
        errors.push({ target: "cluster", path: "cluster.machines", message: "field `machines` of a cluster document is not a list, expected a list of {name, count, profile}" });
        continue;
      }
      for (const m of value.machines) {
        const machine = isObject(m) ? m : {};
        read.push({ name: typeof machine.name === "string" ? machine.name : undefined, count: machine.count ?? 1, profile: machine.profile });
      }
      if (Array.isArray(value.links)) links.push(...(value.links as Link[]));
    } else if (Array.isArray(value)) {
      for (const p of value) read.push({ name: undefined, count: 1, profile: p });
    } else {
      read.push({ name: undefined, count: 1, profile: value });
    }
  }
  const names = uniqueNames(read.map((m, i) => m.name ?? (isObject(m.profile) && typeof m.profile.hostname === "string" ? m.profile.hostname : `machine-${i}`)));
  // Fold identical machines, unless a link names one of them (it must stay apart), as
  // `trainfit cluster merge` does.
  const pinned = new Set(links.flatMap((l) => (isObject(l) && Array.isArray(l.machines) ? l.machines : [])));
  const groups: Group[] = [];
  const keys: (string | null)[] = [];
  read.forEach((m, i) => {
    const name = names[i]!;
    const key = pinned.has(name) || m.profile === null ? null : hardwareKey(m.profile);
    const same = key === null ? -1 : keys.indexOf(key);
    const into = groups[same];
    if (into && typeof into.count === "number" && typeof m.count === "number") {
      into.count += m.count;
      into.folded += 1;
      return;
    }
    keys.push(key);
    groups.push({ name, count: m.count, profile: m.profile, folded: 1 });
  });
  // The page's link: the fabric between every pair of machines, in place of a document's.
  let pageLink = -1;
  const bandwidth = inputs.bandwidth.trim();
  if (bandwidth && !inputs.link) {
    errors.push({ target: "bandwidth", path: "cluster.links", message: `field \`bandwidth\` is "${bandwidth}" but no link class is chosen, expected a class for it` });
  }
  const kept = inputs.link ? links.filter((l) => isObject(l) && Array.isArray(l.machines) && l.machines.length > 0) : [...links];
  if (inputs.link) {
    const link: Link = { class: inputs.link as LinkClass };
    if (bandwidth) link.bandwidth_gbs = { value: typedNumber(bandwidth) as number, source: "user" };
    pageLink = kept.length;
    kept.push(link);
  }
  const cluster: Cluster = {
    machines: groups.map((g) => {
      const typed = inputs.counts[g.name];
      const count = typed !== undefined ? typedNumber(typed) : g.count;
      return { name: g.name, count: count as number, profile: g.profile as HardwareProfile };
    }),
  };
  if (kept.length) cluster.links = kept;
  return { cluster, groups, pageLink, provenance: provenanceOf(groups.map((g) => g.profile)) };
}

/** One line of what a machine is: its accelerators and memory. */
export function machineSummary(profile: unknown): string {
  if (!isObject(profile)) return "not read";
  const accs = Array.isArray(profile.accelerators) ? profile.accelerators.filter(isObject) : [];
  const names = new Map<string, number>();
  for (const a of accs) names.set(String(a.name ?? "accelerator"), (names.get(String(a.name ?? "accelerator")) ?? 0) + 1);
  const devices = [...names].map(([n, k]) => (k > 1 ? `${k} × ${n}` : n)).join(" + ") || "no accelerator";
  const total = isObject(profile.memory) && isObject(profile.memory.total_bytes) ? profile.memory.total_bytes.value : undefined;
  const ram = typeof total === "number" ? ` · ${(total / 2 ** 30).toFixed(0)}\u00a0GiB RAM` : "";
  return `${devices}${ram}`;
}
