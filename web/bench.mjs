// Figures of the built calculator (web/dist), printed, not asserted: what a first visit
// transfers gzipped, the time from navigation to the first three configurations with a cold and
// a warm cache, and the time from a keystroke to updated results. Run from the repository root
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
let raw = 0;
let packed = 0;
console.log("web/dist, gzip -9 per file:");
for (const f of files(dist)) {
  const body = readFileSync(f);
  const gz = gzipSync(body, { level: 9 }).length;
  raw += body.length;
  packed += gz;
  console.log(`  ${relative(dist, f).padEnd(40)} ${String(body.length).padStart(9)} B  ${String(gz).padStart(8)} B gzipped`);
}
console.log(`  total: ${raw} B, ${packed} B gzipped = ${(packed / 1024).toFixed(0)} KiB (budget: 500 KB, wasm included)`);

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

const env = await start(["--enable-unsafe-webgpu"]);
try {
  /** Navigation start to the first three configurations on the page (its performance mark). */
  const firstResults = (page) =>
    page.waitForFunction(() => performance.getEntriesByName("trainfit:first-results")[0]?.startTime, null, { timeout: 30_000 }).then((h) => h.jsonValue());

  console.log("\nnavigation to the first three configurations (median of 5; cold: a new browser profile each time, warm: reloads with the wasm cached):");
  for (const [name, url] of Object.entries(states)) {
    const cold = [];
    const warm = [];
    for (let i = 0; i < 5; i++) {
      const { page, context } = await open(env, { url });
      cold.push(await firstResults(page));
      await context.close();
    }
    const { page, context } = await open(env, { url });
    await firstResults(page);
    for (let i = 0; i < 5; i++) {
      await page.reload();
      warm.push(await firstResults(page));
    }
    await context.close();
    console.log(`  ${name.padEnd(45)} cold ${ms(median(cold))}, warm ${ms(median(warm))} (target: under 300 ms warm)`);
  }

  console.log("\nkeystroke to updated results (micro-batch typed and erased, 20 times each; the charts and the compare table follow in later tasks):");
  for (const [name, url] of Object.entries(states).slice(1)) {
    const { page, context } = await open(env, { url });
    await firstResults(page);
    await page.waitForFunction(() => document.getElementById("compare-table")?.dataset.done === "true", null, { timeout: 30_000 });
    await page.focus("#micro_batch");
    await page.evaluate(() => performance.clearMeasures());
    for (let i = 0; i < 20; i++) {
      for (const key of ["4", "Backspace"]) {
        const before = await page.evaluate(() => performance.getEntriesByName("trainfit:input-to-everything").length);
        await page.keyboard.press(key);
        await page.waitForFunction((n) => performance.getEntriesByName("trainfit:input-to-everything").length > n, before, { timeout: 30_000 });
      }
    }
    const cards = await page.evaluate(() => performance.getEntriesByName("trainfit:input-to-results").map((e) => e.duration));
    const all = await page.evaluate(() => performance.getEntriesByName("trainfit:input-to-everything").map((e) => e.duration));
    console.log(`  ${name.padEnd(45)} cards: median ${ms(median(cards))}, p90 ${ms(quantile(cards, 0.9))} (target: under 50 ms); with charts and compare: median ${ms(median(all))}`);
    await context.close();
  }
} finally {
  await env.close();
}
