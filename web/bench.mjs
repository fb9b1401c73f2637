// Figures of the built calculator (web/dist), printed, not asserted: what a first visit
// transfers gzipped, the time from navigation to the first three configurations with a cold and
// a warm cache, the time from a keystroke to updated results, and the page's thread while a
// 4 x 8 H100 cluster is planned. Run from the repository root
// or web/: `node web/bench.mjs` (after `npm run build` in web/).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { dist, open, start } from "./test/browser.mjs";

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (x) => `${x.toFixed(1)} ms`;

// --- transfer -------------------------------------------------------------------------------
// The exporter's chunk and module are fetched when a Run it panel first opens, not on a first
// visit (web/test/page.test.mjs checks which files a visit fetches).
const onDemand = (f) => /^assets\/(exporter-.*\.js|trainfit_export_bg-.*\.wasm)$/.test(f);
let raw = 0;
let packed = 0;
let later = 0;
console.log("web/dist, gzip -9 per file:");
for (const f of files(dist)) {
  const body = readFileSync(f);
  const gz = gzipSync(body, { level: 9 }).length;
  const name = relative(dist, f);
  if (onDemand(name)) later += gz;
  else {
    raw += body.length;
    packed += gz;
  }
  console.log(`  ${name.padEnd(40)} ${String(body.length).padStart(9)} B  ${String(gz).padStart(8)} B gzipped${onDemand(name) ? " (when Run it opens)" : ""}`);
}
console.log(`  first visit: ${raw} B, ${packed} B gzipped = ${(packed / 1024).toFixed(0)} KiB (budget: 500 KB, wasm included); the exporter, when Run it opens: ${later} B gzipped`);

// --- timings --------------------------------------------------------------------------------

/** A link to the page with these inputs, as the page's "Copy link" writes it. */
function link(inputs) {
  return `/#s=${gzipSync(JSON.stringify(inputs)).toString("base64url")}`;
}

const rtx4090 = { hardware: "catalogue", accelerator: "NVIDIA GeForce RTX 4090", count: "1" };
const states = {
  "this browser (WebGPU detection, CPU plan)": "/",
  "RTX 4090, pretraining (planner-sized model)": link(rtx4090),
  "RTX 4090, LoRA of Llama-3-8B": link({ ...rtx4090, task: "lora", model: "catalogue", modelId: "llama-3-8b" }),
};
const RUNS = 3;
const KEYS = 10;

/** Navigation start to the first three configurations on the page (its performance mark). */
const firstResults = (page) =>
  page.waitForFunction(() => performance.getEntriesByName("trainfit:first-results")[0]?.startTime, null, { timeout: 30_000 }).then((h) => h.jsonValue());

// Cold: a browser started for the one visit, with an empty profile (nothing cached, the module
// compiled from scratch); two of the states, to keep ./test.sh short.
const cold = {};
for (const [name, url] of Object.entries(states).filter((_, i) => i !== 1)) {
  cold[name] = [];
  for (let i = 0; i < RUNS; i++) {
    const fresh = await start(["--enable-unsafe-webgpu"]);
    const { page } = await open(fresh, { url });
    cold[name].push(await firstResults(page));
    await fresh.close();
  }
}

const env = await start(["--enable-unsafe-webgpu"]);
try {
  console.log(`\nnavigation to the first three configurations (median of ${RUNS}; cold: a browser started for the visit, nothing cached; warm: reloads, the wasm cached):`);
  for (const [name, url] of Object.entries(states)) {
    const warm = [];
    const { page, context } = await open(env, { url });
    await firstResults(page);
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      warm.push(await firstResults(page));
    }
    await context.close();
    const coldText = cold[name] ? `cold ${ms(median(cold[name]))}, ` : "";
    console.log(`  ${name.padEnd(45)} ${coldText}warm ${ms(median(warm))} (target: under 300 ms warm)`);
  }

  // Run it: a click on the balanced card's summary to the frame after its files are in the page,
  // first with the exporter fetched (a fresh context: nothing cached), then on a second card.
  const lora = link({ ...rtx4090, task: "lora", model: "catalogue", modelId: "llama-3-8b" });
  const runIt = (page, mode) =>
    page.evaluate(
      (mode) =>
        new Promise((resolve) => {
          const d = document.querySelector(`.card[data-mode="${mode}"] details.runit`);
          const clicked = performance.now();
          const seen = new MutationObserver(() => {
            if (!d.querySelector(".export-file, .export-refused")) return;
            seen.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - clicked));
          });
          seen.observe(d, { childList: true, subtree: true });
          d.querySelector("summary").click();
        }),
      mode,
    );
  const first = [];
  const second = [];
  for (let i = 0; i < RUNS; i++) {
    const { page, context } = await open(env, { url: lora });
    await firstResults(page);
    first.push(await runIt(page, "balanced"));
    second.push(await runIt(page, "conservative"));
    await context.close();
  }
  console.log(`\nRun it, a click to the files shown (LoRA of Llama-3-8B on an RTX 4090, median of ${RUNS}): ${ms(median(first))} fetching the exporter (nothing cached), ${ms(median(second))} once loaded`);

  console.log(`\nkeystroke to updated results (a digit typed into micro-batch and erased, ${KEYS} times; the charts and the compare table follow in later tasks, a newer keystroke cancels them):`);
  for (const [name, url] of Object.entries(states).slice(1)) {
    const { page, context } = await open(env, { url });
    await firstResults(page);
    const count = (entry) => page.evaluate((e) => performance.getEntriesByName(e).length, entry);
    const press = async (key, entry) => {
      const before = await count(entry);
      await page.keyboard.press(key);
      await page.waitForFunction(([e, n]) => performance.getEntriesByName(e).length > n, [entry, before], { timeout: 30_000 });
    };
    await page.focus("#micro_batch");
    for (let i = 0; i < KEYS; i++) {
      await press("4", "trainfit:input-to-results");
      await press("Backspace", "trainfit:input-to-results");
    }
    // A few more, each left to finish the charts and the compare table.
    for (let i = 0; i < 3; i++) {
      await press("4", "trainfit:input-to-everything");
      await press("Backspace", "trainfit:input-to-everything");
    }
    const cards = await page.evaluate(() => performance.getEntriesByName("trainfit:input-to-results").map((e) => e.duration));
    const all = await page.evaluate(() => performance.getEntriesByName("trainfit:input-to-everything").map((e) => e.duration));
    console.log(`  ${name.padEnd(45)} cards: median ${ms(median(cards))}, p90 ${ms(quantile(cards, 0.9))} (target: under 50 ms); with charts and compare: median ${ms(median(all))}`);
    await context.close();
  }

  // Bursts of keys into the global batch of the 4x8 H100 cluster (tests/data/plan-requests),
  // fine-tuning Llama-3.1-8B: the page's long tasks (over 50 ms), how long each key waited for
  // the next frame, and the time from a burst's last digit to the results.
  const h100 = JSON.parse(readFileSync(new URL("../tests/data/plan-requests/h100x32-llama70b.json", import.meta.url), "utf8"));
  const clusterUrl = link({ hardware: "cluster", cluster: JSON.stringify(h100.cluster, null, 2), task: "finetune", model: "catalogue", modelId: "Llama-3.1-8B", knobs: { sequence: "4096", global_batch: "128" } });
  const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(() => {
    Object.assign(window, { waits: [], longTasks: [], lastDigit: 0, afterLast: [] });
    new PerformanceObserver((l) => window.longTasks.push(...l.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
    document.addEventListener("keydown", (e) => {
      if (/^[0-9]$/.test(e.key)) window.lastDigit = e.timeStamp;
      requestAnimationFrame(() => window.waits.push(performance.now() - e.timeStamp));
    }, true);
    document.addEventListener("DOMContentLoaded", () =>
      new MutationObserver(() => {
        if (window.lastDigit) window.afterLast.push(performance.now() - window.lastDigit);
        window.lastDigit = 0;
      }).observe(document.getElementById("output"), { attributes: true, attributeFilter: ["data-renders"] }),
    );
  });
  const page = await ctx.newPage();
  await page.goto(env.server.url + clusterUrl);
  await firstResults(page);
  await page.waitForFunction(() => document.getElementById("compare-table")?.dataset.done === "true", null, { timeout: 60_000 });
  await page.evaluate(() => Object.assign(window, { waits: [], longTasks: [], afterLast: [] }));
  for (let i = 0; i < 8; i++) {
    await page.focus("#global_batch");
    await page.keyboard.press("Control+A");
    await page.keyboard.type(i % 2 ? "128" : "256");
    await page.waitForFunction((v) => document.querySelector('#cards [data-field="global_batch"]')?.dataset.value === v && document.getElementById("compare-table").dataset.done === "true", i % 2 ? "128" : "256", { timeout: 60_000 });
  }
  const b = await page.evaluate(() => ({ waits: window.waits, longTasks: window.longTasks, afterLast: window.afterLast }));
  const sum = b.longTasks.reduce((a, x) => a + x, 0);
  console.log(`\n4 x 8 H100, 8 bursts of Ctrl+A and three digits into the global batch:\n  long tasks ${b.longTasks.length}, ${ms(sum)} in all, the longest ${ms(Math.max(0, ...b.longTasks))}; a key's wait for the next frame: median ${ms(median(b.waits))}, longest ${ms(Math.max(...b.waits))}; last digit to results: median ${ms(median(b.afterLast))}`);
  await ctx.close();
} finally {
  await env.close();
}
