// Benchmarks of the built package in Node (run `npm/build.sh` first): the module's size, its
// instantiation time, and the medians of `plan` and `estimate` through the JavaScript boundary
// (decoding the request, the core, encoding the result). It prints figures; it asserts nothing.
//
// Usage: node npm/bench.mjs [runs, default 300]
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const runs = Number(process.argv[2] ?? 300);
const here = (path) => new URL(path, import.meta.url);
const data = (path) => JSON.parse(readFileSync(here(`../tests/${path}`), "utf8"));

// The native figures to compare with (docs/performance.md: `cargo bench -p trainfit-core`,
// criterion, on the same 2-core VM): `estimate` of the request below, and `plan` for one
// RTX 4090, pretraining, three modes.
// Measured by ./bench.sh on 2 December 2026.
const NATIVE_ESTIMATE_US = 11.2;
const NATIVE_PLAN_US = 340;
// `cargo bench -p trainfit-core --bench mesh`, 2 December 2026.
const NATIVE_MESH_405B_MS = 13.6;

function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median milliseconds of `f` over `runs` calls, after a tenth as many to warm up. */
function time(f, n = runs) {
  for (let i = 0; i < Math.ceil(n / 10); i++) f();
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const bytes = readFileSync(here("dist/web/trainfit_bg.wasm"));
console.log(`size: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped (gzip -9)`);

// Compile and instantiate, each time in a fresh copy of the browser entry's glue (a new URL is
// a new module instance), as a page or a Node process does once at start.
const instantiations = [];
for (let i = 0; i < 20; i++) {
  const glue = await import(`${here("dist/web/trainfit.js")}?copy=${i}`);
  const t0 = performance.now();
  glue.initSync({ module: bytes });
  instantiations.push(performance.now() - t0);
}
console.log(`instantiate (compile + instantiate, 20 runs): median ${median(instantiations).toFixed(2)} ms`);

const trainfit = await import(here("dist/node/trainfit.js"));
const profile = data("data/profiles/rtx4090-desktop.json");
const plan = time(() => trainfit.plan({ profile }));
console.log(
  `plan (RTX 4090 fixture, pretraining, three modes, ${runs} runs): median ${plan.toFixed(3)} ms` +
    ` (target 2 ms; native ${NATIVE_PLAN_US} µs)`,
);

// The cluster benchmark of core/benches/mesh.rs: Llama-3.1-405B pretraining on 2,048 nodes of the
// 8 x H100 fixture over 44 GB/s-per-GPU InfiniBand, one mode (issue 13's target: 200 ms in wasm).
const node = data("data/profiles/h100x8-node.json");
const cluster = (count) => ({
  machines: [{ name: "node", count, profile: node }],
  links: [{ class: "infiniband", bandwidth_gbs: { value: 44.0, source: "user" } }],
});
const big = time(
  () =>
    trainfit.plan({
      cluster: cluster(2048),
      goal: { task: "pretrain", model: { catalogue: "Llama-3.1-405B" }, sequence: 8192, global_batch: 2048 },
      modes: ["balanced"],
    }),
  Math.max(10, Math.ceil(runs / 10)),
);
console.log(
  `plan (405B on 2,048 x 8 H100, one mode): median ${big.toFixed(1)} ms (target 200 ms; native ${NATIVE_MESH_405B_MS} ms)`,
);

// The criterion benchmark's request (core/benches/estimate.rs): Llama-3-8B as a spec, LoRA r16
// on q and v, bf16, micro-batch 4 x 2048 tokens, full checkpointing.
const spec = trainfit.modelFromHfConfig(data("accuracy/configs/llama-3-8b.json"));
const request = {
  model: { spec },
  task: "lora",
  precision: "bf16",
  micro_batch: 4,
  sequence: 2048,
  checkpointing: "full",
  lora: { rank: 16, targets: ["q_proj", "v_proj"] },
};
const estimate = time(() => trainfit.estimate(request), runs * 10) * 1000;
console.log(
  `estimate (Llama-3-8B LoRA r16, b4 x 2048, full checkpointing, ${runs * 10} runs): median ${estimate.toFixed(1)} µs` +
    ` (native ${NATIVE_ESTIMATE_US} µs, ${(estimate / NATIVE_ESTIMATE_US).toFixed(1)}x, decoding and encoding included)`,
);
