// Generated bad input for every export of the package, through the JavaScript boundary:
// `CASES` seeded mutations per export of the valid requests, profiles and configs of tests/data
// and tests/accuracy/configs. Fields are removed, duplicated (in the text), retyped and replaced
// by 0, -1, 1e308, 2^64, NaN, Infinity, undefined, BigInt, Symbol, functions, huge arrays and
// strings, nesting 10,000 deep, cycles, throwing getters and toJSON; text is cut short or
// replaced by random bytes. Every case must give a result or an Error with a string `code`,
// never a trap (WebAssembly.RuntimeError) or another exception, and a valid request must still
// be answered after them all.
//
// Usage: node test/robustness.mjs [cases per export, default 10000] [seed, default 1]
// Prints, per export: results, errors by code, slowest case; exits 1 on any failure.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as trainfit from "../dist/node/trainfit.js";

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const repo = fileURLToPath(new URL("../..", import.meta.url));

/** mulberry32 (Tommy Ettinger, 2017): a small seeded generator, the same on every engine. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    below: (n) => Math.floor(next() * n),
    chance: (percent) => next() * 100 < percent,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function jsonFiles(dir) {
  return readdirSync(join(repo, dir))
    .filter((f) => f.endsWith(".json") && !f.startsWith("bad-"))
    .sort()
    .map((f) => join(repo, dir, f));
}

/** The valid inputs every mutation starts from. */
function bases() {
  const requests = jsonFiles("tests/data/requests").map((path) => {
    const request = readJson(path);
    const file = request.model?.hf_config_file;
    return file ? { ...request, model: { hf_config: readJson(join(dirname(path), file)) } } : request;
  });
  const profiles = jsonFiles("tests/data/profiles").map(readJson);
  const configs = jsonFiles("tests/accuracy/configs").map(readJson);
  const plans = profiles.flatMap((profile) => [
    { profile },
    { profile, goal: { task: "lora", model: { catalogue: "llama-3-8b" } }, modes: ["balanced"] },
  ]);
  const exportable = plans.map((p) => trainfit.plan(p));
  return { requests, profiles, configs, plans, exportable };
}

function nested(depth, leaf, array) {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
}

/** A value that replaces another: extremes, wrong types, what JSON cannot hold. */
function oddValue(rng) {
  switch (rng.below(34)) {
    case 0: return 0;
    case 1: return -1;
    case 2: return 1e308;
    case 3: return 2 ** 64;
    case 4: return 2 ** 53 + 2;
    case 5: return NaN;
    case 6: return Infinity;
    case 7: return -Infinity;
    case 8: return "NaN";
    case 9: return "";
    case 10: return "x".repeat(rng.pick([100, 100_000, 1_000_000]));
    case 11: return undefined;
    case 12: return null;
    case 13: return 10n ** 30n;
    case 14: return Symbol("s");
    case 15: return () => 1;
    case 16: return [];
    case 17: return {};
    case 18: return new Array(rng.pick([1000, 100_000])).fill(rng.pick([0, {}, "a", { name: "" }]));
    case 19: return nested(rng.pick([127, 129, 1000, 10_000]), 1, rng.chance(50));
    case 20: {
      const o = { a: 1 };
      o.self = o;
      return o;
    }
    case 21: return { toJSON() { throw new Error("toJSON threw"); } };
    case 22: return Object.defineProperty({}, "x", { enumerable: true, get() { throw new RangeError("getter threw"); } });
    case 23: return new Date(0);
    case 24: return new Map([["a", 1]]);
    case 25: return [1, , 3]; // eslint-disable-line no-sparse-arrays
    case 26: return true;
    case 27: return 1.5;
    case 28: return -0.5;
    case 29: return Number.MIN_VALUE;
    case 30: return "two\nlines\u001b[31m\ud800";
    case 31: return new Proxy({}, { ownKeys() { throw new TypeError("proxy threw"); } });
    case 32: return new Uint8Array(8);
    default: return rng.below(1e9) / 7 - 1e8;
  }
}

/** A random place in a JSON-like tree: its parent and key, more often deep than shallow. */
function place(value, rng) {
  let parent = null;
  let key = null;
  let v = value;
  // Only into plain data: the odd values already placed (proxies, getters) are left alone.
  const plain = (x) => x !== null && typeof x === "object" && (Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype);
  while (plain(v) && rng.chance(75)) {
    let keys;
    try {
      keys = Object.keys(v);
    } catch {
      break;
    }
    if (keys.length === 0) break;
    key = rng.pick(keys);
    parent = v;
    v = v[key];
  }
  return { parent, key };
}

const FIELD_NAMES = ["model", "profile", "goal", "micro_batch", "accelerators", "name", "hidden_size", "x", "__proto__", "constructor"];

/** One mutated input: an object, its JSON text (perhaps cut or with a repeated key), or noise. */
function mutate(base, rng) {
  const value = structuredClone(base);
  const edits = 1 + rng.below(3);
  let root = value;
  for (let i = 0; i < edits; i++) {
    try {
      root = edit(root, rng);
    } catch {
      // An odd value placed earlier (a throwing getter) refused the edit; the input stays odd.
    }
  }
  return serialise(root, rng);
}

/** One edit at a random place: removed, added, retyped or replaced. */
function edit(root, rng) {
  {
    const { parent, key } = place(root, rng);
    const action = rng.below(6);
    if (parent === null) return action === 0 ? oddValue(rng) : root;
    if (action === 0) delete parent[key];
    else if (action === 1) parent[rng.pick(FIELD_NAMES)] = oddValue(rng);
    else if (action === 2 && typeof parent[key] === "number") parent[key] = String(parent[key]);
    else if (action === 3 && parent[key] && typeof parent[key] === "object") parent[key] = Object.values(parent[key]);
    else parent[key] = oddValue(rng);
    return root;
  }
}

/** The input as given: the object itself, its JSON text (cut, with a repeated key, or with a
 * number beyond u64 or f64 spliced in), or noise. */
function serialise(root, rng) {
  const form = rng.below(10);
  if (form < 6) return root;
  let text;
  try {
    text = JSON.stringify(root);
  } catch {
    return root;
  }
  if (typeof text !== "string") return root;
  if (form === 6) return text.slice(0, rng.below(text.length + 1));
  if (form === 7) {
    // A key written twice, which no object can hold.
    const at = text.indexOf('":');
    return at < 0 ? text : `${text.slice(0, at + 2)} 1, "${text.slice(1, at)}":${text.slice(at + 2)}`;
  }
  if (form === 8) return Array.from({ length: rng.below(200) }, () => String.fromCharCode(rng.below(0x3000))).join("");
  return text.replace(/[0-9]+/, () => rng.pick(["18446744073709551616", "9007199254740993", "1e400", "-0", "340282366920938463463374607431768211456"]));
}

const b = bases();
const exports = {
  estimate: { run: trainfit.estimate, base: (rng) => rng.pick(b.requests) },
  plan: { run: trainfit.plan, base: (rng) => rng.pick(b.plans) },
  parseProfile: { run: trainfit.parseProfile, base: (rng) => rng.pick(b.profiles) },
  modelFromHfConfig: { run: trainfit.modelFromHfConfig, base: (rng) => rng.pick(b.configs) },
  models: { run: trainfit.models, base: (rng) => rng.pick(["llama", "3-8b", "", "qwen moe"]) },
  accelerators: { run: trainfit.accelerators, base: (rng) => rng.pick(["h100", "nvidia ada", "", "apple m4"]) },
  version: { run: trainfit.version, base: () => ({}) },
  detectBrowserHardware: { run: trainfit.detectBrowserHardware, base: () => ({}) },
  // An edited plan (of each fixture machine, as plan() gave it), options or a whole call's
  // arguments, in every format.
  exportPlan: {
    // Reflect.apply reads the arguments by index: a mutation may give the array another
    // prototype (`__proto__` edited), without the iterator a spread needs.
    run: (args) => (Array.isArray(args) ? Reflect.apply(trainfit.exportPlan, undefined, args) : trainfit.exportPlan(args, "balanced", "torchrun")),
    base: (rng) => [
      rng.pick(b.exportable),
      rng.pick(["balanced", "extreme", "conservative"]),
      rng.pick(trainfit.exportFormats().map((f) => f.format)),
      rng.pick([undefined, { dataset: "/data/x", master_port: 29400 }]),
    ],
  },
  exportFormats: { run: trainfit.exportFormats, base: () => ({}) },
  // An edited plan, mode or observation (every kind, with numbers from the plan's own
  // prediction), or a whole call's arguments.
  adjust: {
    run: (args) => (Array.isArray(args) ? Reflect.apply(trainfit.adjust, undefined, args) : trainfit.adjust(args, "balanced", { kind: "battery" })),
    base: (rng) => {
      const plan = rng.pick(b.exportable);
      const peak = plan.configurations?.[0]?.memory?.peak_bytes ?? 1 << 30;
      return [
        plan,
        rng.pick(["balanced", "extreme", "conservative"]),
        rng.pick([
          { kind: "out_of_memory", step: 120, requested_bytes: 1 << 28, used_bytes: peak, capacity_bytes: peak },
          { kind: "out_of_memory" },
          { kind: "memory_pressure", used_bytes: peak, capacity_bytes: peak },
          { kind: "throttling", reason: "thermal", temperature_c: 88, clock_share: 0.7 },
          { kind: "throttling", reason: "power" },
          { kind: "slow_step", measured_step_s: 9.5 },
          { kind: "device_lost", devices_left: 0 },
          { kind: "swap", swap_used_bytes: 1 << 30 },
          { kind: "battery" },
        ]),
      ];
    },
  },
};

const failures = [];
const started = performance.now();

// The largest inputs, once each: a list of two million small entries (24 MB of text, gigabytes
// once read, so it must be refused unread), text over the 64 MiB bound, nesting 100,000 deep.
const extremes = [
  ["plan", () => trainfit.plan({ profile: { accelerators: new Array(2_000_000).fill({ name: "" }) } })],
  ["estimate", () => trainfit.estimate(" ".repeat(70 << 20))],
  ["parseProfile", () => trainfit.parseProfile(nested(100_000, 1, false))],
  ["modelFromHfConfig", () => trainfit.modelFromHfConfig(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)],
];
for (const [name, run] of extremes) {
  const t0 = performance.now();
  try {
    run();
    failures.push(`${name}: an extreme input gave a result`);
  } catch (e) {
    if (!(e instanceof Error && typeof e.code === "string")) failures.push(`${name} (extreme input): ${e?.constructor?.name}: ${e?.message}`);
    console.log(`${name}, extreme input: ${e.code ?? e.constructor.name} in ${((performance.now() - t0) / 1000).toFixed(2)} s: ${String(e.message).slice(0, 100)}`);
  }
}
for (const [name, { run, base }] of Object.entries(exports)) {
  const rng = generator(seed * 1000 + name.length);
  const tally = { result: 0 };
  let slowest = [0, -1];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const input = mutate(base(rng), rng);
    const start = performance.now();
    try {
      await run(input);
      tally.result++;
    } catch (e) {
      if (e instanceof Error && typeof e.code === "string") {
        tally[e.code] = (tally[e.code] ?? 0) + 1;
      } else {
        failures.push(`${name} case ${i} (seed ${seed}): ${e?.constructor?.name}: ${e?.message ?? e}`);
        if (e instanceof WebAssembly.RuntimeError) break;
      }
    }
    const ms = performance.now() - start;
    if (ms > slowest[0]) slowest = [ms, i];
  }
  const total = (performance.now() - t0) / 1000;
  console.log(`${name}: ${cases} cases in ${total.toFixed(1)} s; ${JSON.stringify(tally)}; slowest case ${slowest[1]}: ${slowest[0].toFixed(1)} ms`);
}

// Still answering: the module was never trapped.
const plan = trainfit.plan(b.plans[0]);
if (plan.configurations.length !== 3) failures.push("a valid plan request is no longer answered");
const estimate = trainfit.estimate(b.requests[0]);
if (!(estimate.peak_bytes > 0)) failures.push("a valid estimate request is no longer answered");

console.log(`robustness: ${Object.keys(exports).length} exports x ${cases} cases, seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s, ${failures.length} failures`);
for (const f of failures.slice(0, 20)) console.log(`  ${f}`);
process.exit(failures.length ? 1 : 0);
