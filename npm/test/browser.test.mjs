// The browser entry in headless Chromium (Debian's package; CHROMIUM names another), driven by
// playwright-core: the shared checks (cases.mjs), then detectBrowserHardware() in a Window and
// a Worker, once with WebGPU on (Chromium's SwiftShader adapter: a software, CPU-kind device)
// and once with it off (no adapter: a profile without accelerators and a reason).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";
import { fixtures } from "./fixtures.mjs";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
// As root in a container Chromium needs --no-sandbox; the rest keep it off the closed network
// and away from a GPU it does not have.
const flags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server;
before(async () => {
  server = await serve(root);
});
after(() => server.close());

/** The page's results in Chromium started with `extra` flags: `trainfitTest`, or the function
 * `check` of test/browser.html. */
async function run(extra, check = "trainfitTest") {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...flags, ...extra],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/test/browser.html`);
    await page.waitForFunction(() => document.title === "ready", null, { timeout: 20_000 });
    const result = await page.evaluate(([f, check]) => window[check](f), [fixtures, check]);
    assert.deepEqual(errors, [], "no uncaught errors on the page");
    return result;
  } finally {
    await browser.close();
  }
}

/** Every figure the browser gave is marked estimated. */
function assertEstimated(profile) {
  for (const v of [profile.cpu.logical_cores, profile.memory.total_bytes]) {
    if (v !== null) assert.equal(v.source, "estimated");
  }
  assert.ok(profile.cpu.logical_cores, "navigator.hardwareConcurrency read");
}

test("with WebGPU: the checks pass and SwiftShader is a software, CPU-kind device", async () => {
  const { failures, inWindow, inWorker } = await run(["--enable-unsafe-webgpu"]);
  assert.deepEqual(failures, {});
  for (const hw of [inWindow, inWorker]) {
    assert.equal(hw.profile.probe.kind, "browser");
    assert.equal(hw.profile.accelerators.length, 1);
    const device = hw.profile.accelerators[0];
    assert.equal(device.kind, "cpu", "a software adapter is never a GPU");
    assert.equal(device.vendor, "other");
    assert.deepEqual(device.sources, ["webgpu"]);
    assert.equal(hw.webgpu.architecture, "swiftshader");
    assert.equal(hw.webgpu.is_fallback_adapter, true);
    assert.ok(hw.webgpu.limits.max_buffer_size > 0);
    assert.deepEqual(hw.candidates, []);
    assertEstimated(hw.profile);
  }
});

test("without WebGPU: no accelerators and a reason, not an exception", async () => {
  const { failures, inWindow, inWorker } = await run([]);
  assert.deepEqual(failures, {});
  for (const hw of [inWindow, inWorker]) {
    assert.deepEqual(hw.profile.accelerators, []);
    assert.equal(hw.webgpu, null);
    assert.equal(hw.profile.errors[0].source, "webgpu");
    assert.match(hw.profile.errors[0].message, /gave no adapter/);
    assertEstimated(hw.profile);
  }
});

test("the split entries (web/lean and web/export): the checks pass on the first, the second exports as the whole module does", async () => {
  const { failures, compared, differ, formats, formatCount, leanHasExporter } = await run([], "trainfitSplit");
  assert.deepEqual(failures, {});
  assert.equal(leanHasExporter, false, "web/lean has no exporter");
  assert.equal(formats, true, "the same formats");
  // 4 calls (object, text with options, a bad mode, a bad plan) x 3 modes x every format (14
  // when this was written: `trainfit export --list-formats`).
  assert.ok(formatCount >= 14, `${formatCount} formats`);
  assert.equal(compared, 4 * 3 * formatCount);
  assert.deepEqual(differ, []);
});
