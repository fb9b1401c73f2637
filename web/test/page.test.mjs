// The built calculator (web/dist) in headless Chromium, one test per item of the issue's list of
// browser tests. Every number a card shows is compared, exactly, with what the npm package's
// `plan` gives for the same request; every request any page makes is recorded, and the last test
// fails if one left 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { exportPlan, plan } from "trainfit";
import { cells, dist, open, paste, rendered, renders, reopened, repoRoot, requests, settled, start, webRoot } from "./browser.mjs";

const profiles = `${repoRoot}/tests/data/profiles`;
const fixtures = readdirSync(profiles).filter((f) => f.endsWith(".json"));
const screenshots = `${webRoot}/screenshots`;

let env;
before(async () => {
  assert.ok(existsSync(`${dist}/index.html`), "web/dist is built (npm run build)");
  env = await start(["--enable-unsafe-webgpu"]);
});
after(async () => env?.close());

/** The value at `path` of a configuration; `memory.breakdown.<term>` is that term's bytes. */
function at(config, path) {
  const breakdown = /^memory\.breakdown\.(.+)$/.exec(path);
  if (breakdown) return config.memory.breakdown.find((t) => t.term === breakdown[1])?.bytes;
  return path.split(".").reduce((v, k) => (v === null || v === undefined ? v : v[k]), config);
}

/** Every card cell equals the plan's value, compared as JSON text (exact for every number). */
async function assertCards(page, expected, label) {
  const found = await cells(page);
  const modes = new Set(found.map((c) => c.mode));
  assert.deepEqual([...modes].sort(), expected.configurations.map((c) => c.mode).sort(), `${label}: a card per configuration`);
  assert.ok(found.length >= 3 * 15, `${label}: ${found.length} result cells`);
  for (const c of found) {
    const config = expected.configurations.find((x) => x.mode === c.mode);
    assert.equal(c.value, JSON.stringify(at(config, c.field) ?? null), `${label}: ${c.mode} ${c.field}`);
  }
  return found.length;
}

/** Chooses a hardware or model source by its radio button. */
async function choose(page, name, value) {
  await page.check(`input[name="${name}"][value="${value}"]`);
}

/** Sets a field's text and waits for the results computed from it. */
async function typeAndRender(page, selector, text) {
  const n = await renders(page);
  await page.fill(selector, text);
  await rendered(page, n);
  await quiet(page);
}

/** Waits until no render has come for 300 ms: a field can fire a second event (its change on
 * top of its input) whose render would replace the cards while a check reads them. */
async function quiet(page) {
  for (;;) {
    const before = await renders(page);
    await page.waitForTimeout(300);
    if ((await renders(page)) === before) return;
  }
}

/** Pastes into a field and waits for the results computed from it. */
async function pasteAndRender(page, selector, text) {
  const n = await renders(page);
  await paste(page, selector, text);
  await rendered(page, n);
}

async function errorText(page, target) {
  await page.waitForSelector(`#err-${target}:not([hidden])`, { timeout: 10_000 });
  return page.textContent(`#err-${target}`);
}

test("detection with --enable-unsafe-webgpu: SwiftShader is a software adapter, not a GPU, and the page plans for the CPU", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  const summary = await page.textContent("#detected-summary");
  assert.match(summary, /software adapter \(swiftshader\), not a GPU/);
  assert.match(summary, /runs on the CPU/);
  assert.equal(await page.isHidden("#candidates"), true, "no 'is this your GPU?' for a software adapter");
  assert.equal(await page.getAttribute("[data-provenance]", "data-provenance"), "estimated");
  assert.equal(await page.getAttribute(".device-name", "data-class"), "cpu");
  assert.equal(await page.locator("#cards .card").count(), 3);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a real GPU's WebGPU answer (a stand-in adapter with NVIDIA Ada's info) offers the catalogue's Ada cards, and one click plans on the one chosen", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Headless Chromium has only SwiftShader; this adapter answers as an Ada GPU's would
  // (GPUAdapterInfo's vendor and architecture, https://www.w3.org/TR/webgpu/#gpuadapterinfo).
  await context.addInitScript(() => {
    const info = Object.create(GPUAdapterInfo.prototype);
    Object.defineProperties(info, { vendor: { value: "nvidia" }, architecture: { value: "ada" }, device: { value: "" }, description: { value: "" }, isFallbackAdapter: { value: false } });
    const limits = Object.create(GPUSupportedLimits.prototype);
    Object.defineProperties(limits, { maxBufferSize: { value: 2 ** 32 }, maxStorageBufferBindingSize: { value: 2 ** 31 } });
    const adapter = Object.create(GPUAdapter.prototype);
    Object.defineProperties(adapter, { info: { value: info }, limits: { value: limits }, features: { value: new Set(["shader-f16"]) } });
    Object.defineProperty(Object.getPrototypeOf(navigator.gpu), "requestAdapter", { value: async () => adapter });
  });
  const { page, errors } = await open(env, { context });
  await page.waitForSelector("#candidates:not([hidden])");
  assert.match(await page.textContent("#detected-summary"), /estimated/);
  const offered = await page.evaluate(() => [...document.querySelectorAll("[data-candidate]")].map((b) => b.dataset.candidate));
  assert.ok(offered.includes("NVIDIA GeForce RTX 4090"), offered.join(", "));
  const n = await renders(page);
  await page.click('[data-candidate="NVIDIA GeForce RTX 4090"]');
  await rendered(page, n);
  assert.equal(await page.isChecked('input[name="hardware"][value="catalogue"]'), true);
  assert.equal(await page.inputValue("#accelerator"), "NVIDIA GeForce RTX 4090");
  assert.equal(await page.getAttribute("[data-provenance]", "data-provenance"), "catalogue");
  await assertCards(page, plan({ profile: { accelerators: [{ vendor: "nvidia", name: "NVIDIA GeForce RTX 4090", kind: "discrete" }] }, goal: { task: "pretrain" } }), "candidate");
  assert.deepEqual(errors, []);
  await context.close();
});

test("each probe fixture pasted (one dropped, one chosen as a file): the cards equal the npm package's plan for the same request, and the charts start at the configuration's peak", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "profile");
  for (const [i, f] of fixtures.entries()) {
    const text = readFileSync(`${profiles}/${f}`, "utf8");
    const n = await renders(page);
    if (i === 0) {
      // Dropped on the field as a file.
      const drop = await page.evaluateHandle((t) => {
        const dt = new DataTransfer();
        dt.items.add(new File([t], "profile.json", { type: "application/json" }));
        return dt;
      }, text);
      await page.dispatchEvent("#profile", "drop", { dataTransfer: drop });
      await rendered(page, n);
    } else if (i === 1) {
      // Chosen with the file picker.
      await page.setInputFiles("#profile-file", { name: f, mimeType: "application/json", buffer: Buffer.from(text) });
      await rendered(page, n);
    } else {
      await pasteAndRender(page, "#profile", text);
    }
    assert.equal(await page.inputValue("#profile"), text, `${f}: the field holds the profile`);
    const expected = plan({ profile: JSON.parse(text), goal: { task: "pretrain" } });
    await assertCards(page, expected, f);
    assert.equal(await page.getAttribute("[data-provenance]", "data-provenance"), "measured", `${f}: exact figures`);
    // The chart's point at the configuration's own micro-batch and sequence is the package's
    // `estimate` of the request rebuilt from the configuration: it must equal the card's peak.
    await settled(page);
    const balanced = expected.configurations.find((c) => c.mode === "balanced");
    for (const key of ["micro_batch", "sequence"]) {
      const here = await page.getAttribute(`svg.curve[data-key="${key}"] circle.here`, "data-peak");
      assert.equal(Number(here), balanced.memory.peak_bytes, `${f}: chart against ${key} passes through the peak`);
    }
  }
  // A given model and another task on one of them.
  const text = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
  await paste(page, "#profile", text);
  await page.selectOption("#task", "lora");
  await choose(page, "model", "catalogue");
  await typeAndRender(page, "#modelId", "llama-3-8b");
  await typeAndRender(page, "#micro_batch", "2");
  const lora = plan({ profile: JSON.parse(text), goal: { task: "lora", model: { catalogue: "llama-3-8b" }, micro_batch: 2 } });
  await assertCards(page, lora, "rtx4090 lora llama-3-8b");
  await settled(page);
  const balanced = lora.configurations.find((c) => c.mode === "balanced");
  assert.equal(Number(await page.getAttribute('svg.curve[data-key="micro_batch"] circle.here', "data-peak")), balanced.memory.peak_bytes);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the #profile= fragment of `trainfit open --print` loads that profile", async () => {
  const bin = process.env.TRAINFIT_BIN ?? `${repoRoot}/target/debug/trainfit`;
  assert.ok(existsSync(bin), `${bin} exists (cargo build -p trainfit-probe, or set TRAINFIT_BIN)`);
  const url = execFileSync(bin, ["open", "--print", "--site", `${env.server.url}/`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  assert.ok(url.startsWith(`${env.server.url}/#profile=`), url.slice(0, 80));
  const packed = url.slice(url.indexOf("#profile=") + "#profile=".length);
  const profile = JSON.parse(gunzipSync(Buffer.from(packed, "base64url")).toString("utf8"));
  const { page, errors, context } = await open(env, { url: url.slice(env.server.url.length) });
  await rendered(page);
  assert.equal(await page.isChecked('input[name="hardware"][value="profile"]'), true);
  assert.deepEqual(JSON.parse(await page.inputValue("#profile")), profile, "the profile field holds the profile the link carried");
  await assertCards(page, plan({ profile, goal: { task: "pretrain" } }), "trainfit open");
  assert.deepEqual(errors, []);
  await context.close();
});

test("malformed JSON keeps the pasted text and shows the error next to the field; results come back when it is fixed", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "profile");
  const good = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
  await pasteAndRender(page, "#profile", good);
  const before = await cells(page);
  const bad = good.replace('"hostname": null,', '"hostname": null,,');
  await paste(page, "#profile", bad);
  const message = await errorText(page, "profile");
  assert.match(message, /line \d+ column \d+/, "says where");
  assert.equal(await page.inputValue("#profile"), bad, "the pasted text is kept as pasted");
  assert.equal(await page.getAttribute("#profile", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#output", "data-stale"), "true");
  assert.equal(await page.isVisible("#stale"), true, "the old results are marked stale");
  assert.deepEqual(await cells(page), before, "and stay on the page");
  const n = await renders(page);
  await paste(page, "#profile", good);
  await rendered(page, n);
  assert.equal(await page.isHidden("#err-profile"), true);
  assert.equal(await page.getAttribute("#output", "data-stale"), "false");
  await assertCards(page, plan({ profile: JSON.parse(good), goal: { task: "pretrain" } }), "fixed");
  assert.deepEqual(errors, []);
  await context.close();
});

test("other bad input (a negative batch, an unknown model_type, a newer schema) gets its field path next to its field, and nothing typed is lost", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await page.fill("#micro_batch", "-1");
  assert.match(await errorText(page, "micro_batch"), /goal\.micro_batch.*-1/);
  assert.equal(await page.inputValue("#micro_batch"), "-1");
  assert.equal(await page.getAttribute("#output", "data-stale"), "true");
  let n = await renders(page);
  await page.fill("#micro_batch", "");
  await rendered(page, n);

  await choose(page, "model", "config");
  const config = JSON.stringify({ model_type: "not_a_model", hidden_size: 64 }, null, 2);
  await paste(page, "#config", config);
  assert.match(await errorText(page, "config"), /goal\.model\.hf_config\.model_type/);
  assert.equal(await page.inputValue("#config"), config);

  await choose(page, "model", "planner");
  await choose(page, "hardware", "profile");
  const newer = JSON.stringify({ ...JSON.parse(readFileSync(`${profiles}/cpu-laptop-16gb.json`, "utf8")), schema_version: 99 }, null, 2);
  await paste(page, "#profile", newer);
  assert.match(await errorText(page, "profile"), /profile\.schema_version.*99.*newer/);
  assert.equal(await page.inputValue("#profile"), newer);
  // Back to the config: what was typed there is still there.
  await choose(page, "model", "config");
  assert.equal(await page.inputValue("#config"), config);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a profile whose host name is <img src=x onerror=alert(1)> renders as text and runs nothing", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  const hostile = "<img src=x onerror=alert(1)>";
  const profile = JSON.parse(readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8"));
  profile.hostname = hostile;
  profile.accelerators[0].name = "<script>alert(2)</script>";
  await choose(page, "hardware", "profile");
  await pasteAndRender(page, "#profile", JSON.stringify(profile, null, 2));
  assert.ok((await page.textContent("#summary")).includes(hostile), "the host name is shown, as text");
  assert.ok((await page.textContent("#profile-summary")).includes(hostile));
  assert.ok((await page.textContent(".device-name")).includes("<script>alert(2)</script>"));
  assert.equal(await page.locator("#output img, #profile-summary img").count(), 0, "no element was made of it");
  await page.waitForTimeout(200);
  assert.ok(!requests.some((u) => u.endsWith("/x")), "the image was never requested");
  assert.deepEqual(errors, [], "no dialog, no error");
  await context.close();
});

test("the share link restores the same inputs and results in a new page; the plan JSON copied and downloaded is the package's plan", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await page.click("#request-details > summary");
  await choose(page, "hardware", "catalogue");
  await page.fill("#accelerator", "NVIDIA GeForce RTX 4090");
  await page.fill("#count", "2");
  await page.selectOption("#task", "qlora");
  await choose(page, "model", "catalogue");
  await page.fill("#modelId", "qwen2.5-7b");
  await page.fill("#sequence", "4k");
  await page.selectOption("#optimizer", "adamw8bit");
  await page.check('input[name="chosen"][value="extreme"]');
  // The chip reads `name × count`; the table's rows are `name xcount`.
  const removed = (await page.textContent("#compare-list li:first-child span")).replace(" × ", " x");
  await page.click('#compare-list li:first-child button');
  await page.waitForFunction(() => {
    const request = document.getElementById("request-json").textContent;
    return request.includes('"sequence": 4096') && request.includes('"adamw8bit"') && document.getElementById("output").dataset.stale === "false";
  });
  await settled(page);
  // The compare table is drawn after the cards: wait for the one without the removed machine.
  await page.waitForFunction(
    (m) => document.getElementById("compare-table")?.dataset.done === "true" && ![...document.querySelectorAll("#compare-table tbody tr")].some((r) => r.dataset.machine === m),
    removed,
  );
  const state = async (p) => ({
    fields: await p.evaluate(() => Object.fromEntries([...document.querySelectorAll("#inputs input:not([type=radio]):not([type=file]), #inputs select, #inputs textarea")].map((e) => [e.id, e.value]))),
    radios: await p.evaluate(() => [...document.querySelectorAll("input[type=radio]:checked")].map((e) => `${e.name}=${e.value}`)),
    cells: await cells(p),
    compare: await p.evaluate(() => [...document.querySelectorAll("#compare-table tbody tr")].map((r) => r.dataset.machine)),
  });
  const original = await state(page);
  assert.ok(original.cells.some((c) => c.field === "sequence" && c.value === "4096"), "the typed 4k is planned as 4096");
  // The plan JSON, copied and downloaded, is the package's plan of the request the page shows.
  const expected = plan(JSON.parse(await page.textContent("#request-json")));
  await page.click("#copy-plan");
  await page.waitForFunction(() => /Plan JSON copied/.test(document.getElementById("share-status").textContent));
  assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), expected);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-plan")]);
  assert.equal(download.suggestedFilename(), "trainfit-plan.json");
  assert.deepEqual(JSON.parse(readFileSync(await download.path(), "utf8")), expected);
  await page.click("#copy-link");
  await page.waitForFunction(() => /copied/.test(document.getElementById("share-status").textContent));
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(link, /#s=/);
  // The address bar holds the same link (rewritten a moment after each change).
  await page.waitForFunction((l) => location.href === l, link);
  for (const address of [link, page.url()]) {
    await reopened(env, address, async (other) => {
      await settled(other);
      assert.deepEqual(await state(other), original, "same inputs, same results, same machines compared");
    });
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("Run it: the balanced card's training_arguments files equal the package's exportPlan, Copy and Download give their text; megatron's refusal of LoRA shows its reason; by keyboard; screenshots", async () => {
  mkdirSync(screenshots, { recursive: true });
  const text = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ]) {
    const { page, errors, context } = await open(env, { viewport: { width, height } });
    await rendered(page);
    await choose(page, "hardware", "profile");
    await pasteAndRender(page, "#profile", text);
    await page.selectOption("#task", "lora");
    await choose(page, "model", "catalogue");
    await typeAndRender(page, "#modelId", "llama-3-8b");
    await page.click("#request-details > summary");
    await page.waitForFunction(() => /"lora"/.test(document.getElementById("request-json").textContent) && document.getElementById("output").dataset.stale === "false");
    await settled(page);
    const expected = plan(JSON.parse(await page.textContent("#request-json")));
    const card = '.card[data-mode="balanced"]';
    // Opened and the format chosen by keyboard only.
    await page.focus(`${card} details.runit > summary`);
    await page.keyboard.press("Enter");
    // The panel's content is built on the disclosure's toggle event, a task after the key.
    await page.waitForSelector("#runit-balanced-format");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.id), "runit-balanced-format");
    const formats = await page.evaluate(() => [...document.querySelectorAll("#runit-balanced-format option")].map((o) => o.value));
    assert.ok(formats.includes("training_arguments") && formats.includes("megatron") && !formats.includes("vllm"), formats.join(", "));
    while ((await page.inputValue("#runit-balanced-format")) !== "training_arguments") await page.keyboard.press("ArrowDown");
    const files = exportPlan(expected, "balanced", "training_arguments");
    assert.ok(files.length >= 1);
    await page.waitForFunction((n) => document.querySelector('.card[data-mode="balanced"] .export-files').children.length === n && document.querySelector('.card[data-mode="balanced"] .export-file'), files.length);
    const shown = await page.$$eval(`${card} .export-file`, (els) => els.map((e) => ({ name: e.dataset.name, text: e.querySelector("pre").textContent })));
    assert.deepEqual(shown, files.map((f) => ({ name: f.name, text: f.text })));
    // Copy and Download of each file.
    for (const [i, f] of files.entries()) {
      const file = page.locator(`${card} .export-file`).nth(i);
      await file.getByRole("button", { name: "Copy" }).click();
      await page.waitForFunction((name) => document.querySelector('.card[data-mode="balanced"] .runit [role=status]').textContent === `${name} copied.`, f.name);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), f.text);
      const [download] = await Promise.all([page.waitForEvent("download"), file.getByRole("button", { name: "Download" }).click()]);
      assert.equal(download.suggestedFilename(), f.name);
      assert.equal(readFileSync(await download.path(), "utf8"), f.text);
    }
    if (width === 390) assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, "no horizontal scrolling at 390 px");
    // The panel's top below the verdict strip that stays at the top of a narrow screen.
    await page.locator(`${card} details.runit > summary`).evaluate((e) => {
      e.scrollIntoView({ block: "start" });
      window.scrollBy(0, -80);
    });
    await page.screenshot({ path: `${screenshots}/runit-${width}x${height}-light.png` });
    // A dataset path typed in goes to the package as the `dataset` option; the files change.
    const dataset = "/data/it's $(here).jsonl";
    const withData = exportPlan(expected, "balanced", "training_arguments", { dataset });
    assert.notDeepEqual(withData, files, "the dataset path reaches a file");
    await page.fill("#runit-balanced-dataset", dataset);
    assert.deepEqual(
      await page.$$eval(`${card} .export-file`, (els) => els.map((e) => ({ name: e.dataset.name, text: e.querySelector("pre").textContent }))),
      withData.map((f) => ({ name: f.name, text: f.text })),
    );
    // A format that cannot express a LoRA configuration: the package's reason, not nothing.
    await page.selectOption("#runit-balanced-format", "megatron");
    assert.throws(() => exportPlan(expected, "balanced", "megatron"), (e) => e.code === "unsupported");
    let reason = "";
    try {
      exportPlan(expected, "balanced", "megatron");
    } catch (e) {
      reason = e.message;
    }
    assert.match(reason, /megatron/);
    await page.waitForSelector(`${card} .export-refused`);
    assert.equal(await page.textContent(`${card} .export-refused`), reason);
    assert.equal(await page.locator(`${card} .export-file`).count(), 0);
    await page.locator(`${card} details.runit > summary`).evaluate((e) => {
      e.scrollIntoView({ block: "start" });
      window.scrollBy(0, -80);
    });
    await page.screenshot({ path: `${screenshots}/runit-refused-${width}x${height}-light.png` });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

/** Tab visits every control a visitor can use once, in document order: one stop per radio
 * group (its checked button), everything else that takes focus and is shown. */
async function assertTabOrder(page, label = "") {
  const expected = await page.evaluate(() => {
    const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex="0"]')];
    return all
      .filter((e) => !e.disabled && e.checkVisibility({ visibilityProperty: true }) && !(e.type === "radio" && !e.checked) && !e.closest("details:not([open]) > :not(summary)"))
      .map((e, i) => {
        e.dataset.kb = String(i);
        return String(i);
      });
  });
  // Where each Tab lands, recorded by the page; one more press than there are controls wraps
  // around past the last one.
  await page.evaluate(() => {
    window.focusOrder = [];
    document.addEventListener("focusin", (e) => window.focusOrder.push(e.target.dataset?.kb ?? e.target.tagName));
    document.activeElement?.blur();
  });
  for (let i = 0; i < expected.length; i++) await page.keyboard.press("Tab");
  const reached = await page.evaluate(() => window.focusOrder);
  assert.deepEqual(reached, expected, `${label}Tab visits every control once, in order`);
}

test("keyboard only: every control is reachable in document order and operable; axe-core finds no serious or critical violation", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await settled(page);
  await assertTabOrder(page);

  /** Presses Tab until `selector` has the focus. */
  async function tabTo(selector) {
    for (let i = 0; i < 400; i++) {
      if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
      await page.keyboard.press("Tab");
    }
    assert.fail(`Tab never reached ${selector}`);
  }
  // The skip link moves the focus to the results without touching the fragment.
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo(".skip");
  const hash = await page.evaluate(() => location.hash);
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "results");
  assert.equal(await page.evaluate(() => location.hash), hash);
  // Radio group by arrow keys, then a field typed into.
  await page.evaluate(() => document.activeElement?.blur());
  await tabTo('input[name="hardware"]');
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.isChecked('input[name="hardware"][value="catalogue"]'), true);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "accelerator");
  let n = await renders(page);
  await page.keyboard.type("NVIDIA GeForce RTX 4090");
  await rendered(page, n);
  await page.waitForFunction(() => document.querySelector(".device-name")?.textContent === "NVIDIA GeForce RTX 4090");
  // A select by arrow keys: fine-tuning needs a model, and the page says so next to the model.
  await tabTo("#task");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.inputValue("#task"), "finetune");
  assert.match(await errorText(page, "model"), /goal\.model/);
  n = await renders(page);
  await page.keyboard.press("ArrowUp");
  await rendered(page, n);
  assert.equal(await page.inputValue("#task"), "pretrain");
  await settled(page);
  // A disclosure by Enter, a sort header by Enter and Space, a remove button by Enter.
  await tabTo('.card[data-mode="balanced"] details[data-key="breakdown-balanced"] > summary');
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.querySelector('details[data-key="breakdown-balanced"]').open), true);
  await tabTo('button[data-sort="tokens_per_s"]');
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('button[data-sort="tokens_per_s"]').closest("th").getAttribute("aria-sort") === "descending");
  await page.keyboard.press(" ");
  await page.waitForFunction(() => document.querySelector('button[data-sort="tokens_per_s"]').closest("th").getAttribute("aria-sort") === "ascending");
  const machines = await page.locator("#compare-list li").count();
  await tabTo("#compare-list li:first-child button");
  await page.keyboard.press("Enter");
  assert.equal(await page.locator("#compare-list li").count(), machines - 1);

  // axe-core over the whole page with every disclosure open, in both themes. It is evaluated
  // through the DevTools protocol, which the page's CSP does not govern.
  const axe = readFileSync(`${webRoot}/node_modules/axe-core/axe.min.js`, "utf8");
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  // Each card's Run it panel is built (on its toggle event) and in the scan, its files or refusal.
  await page.waitForFunction(() => [...document.querySelectorAll("#cards .runit")].filter((d) => d.querySelector(".export-file, .export-refused")).length === 3);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(axe);
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((x) => x.target.join(" ")).slice(0, 5) }));
    });
    const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(serious, [], `axe (${scheme}): ${JSON.stringify(serious, null, 1)}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("screenshots at 1280x800 and 390x844, light and dark, into web/screenshots; nothing overflows at 390 px or at 200 % zoom", async () => {
  mkdirSync(screenshots, { recursive: true });
  // The README's machine: the RTX 4090 fixture, pretraining, arriving as `trainfit open` sends it.
  const fixture = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
  const url = `/#profile=${gzipSync(JSON.stringify(JSON.parse(fixture))).toString("base64url")}`;
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ]) {
    for (const colorScheme of ["light", "dark"]) {
      const { page, errors, context } = await open(env, { url, viewport: { width, height }, colorScheme });
      await rendered(page);
      await settled(page);
      await page.screenshot({ path: `${screenshots}/${width}x${height}-${colorScheme}.png` });
      if (colorScheme === "light") await page.screenshot({ path: `${screenshots}/${width}-${colorScheme}-full.png`, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `no horizontal scrolling at ${width} px (${colorScheme})`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  }
  // 200 % zoom of a 1280x800 window lays the page out in 640x400 CSS pixels; the default page
  // (this browser's own hardware) this time.
  const { page, errors, context } = await open(env, { viewport: { width: 640, height: 400 } });
  await rendered(page);
  await settled(page);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, "no horizontal scrolling at 200 % zoom");
  await page.screenshot({ path: `${screenshots}/zoom-200-light.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

// --- clusters ---------------------------------------------------------------------------------

const clusters = `${repoRoot}/tests/data/clusters`;
/** Seed 000's three Macs, as `trainfit probe --json` would print them. */
const macs = ["m4-16gb", "m4-pro-48gb", "m2-ultra-192gb"].map((m) => readFileSync(`${clusters}/${m}.json`, "utf8"));
/** LoRA of a model none of the Macs holds alone (as core/tests/suite/cluster_plan.rs plans it). */
const macGoal = { task: "lora", model: { catalogue: "Llama-3.1-70B" }, sequence: 2048, global_batch: 8 };
const macPlan = () => plan({ cluster: { machines: macs.map((t) => ({ profile: JSON.parse(t) })), links: [{ class: "thunderbolt" }] }, goal: macGoal });
/** The 4x8 H100 cluster of tests/data/plan-requests, its document as `trainfit cluster merge` writes it. */
const h100Request = JSON.parse(readFileSync(`${repoRoot}/tests/data/plan-requests/h100x32-llama70b.json`, "utf8"));
const h100Cluster = JSON.stringify(h100Request.cluster, null, 2);

/** The value at a dotted path of the plan (array indices as numbers). */
function atPath(doc, path) {
  return path.split(".").reduce((v, k) => (v === null || v === undefined ? v : v[k]), doc);
}

/** Every figure of the cluster view with its path in the plan and raw value; each must equal
 * the plan's value at that path, as JSON text. */
async function assertClusterCells(page, expected, label) {
  const found = await page.evaluate(() => [...document.querySelectorAll("#cluster-summary [data-path], #cluster-view [data-path], #cards [data-path]")].map((e) => ({ path: e.dataset.path, value: e.dataset.value })));
  for (const c of found) assert.equal(c.value, JSON.stringify(atPath(expected, c.path) ?? null), `${label}: ${c.path}`);
  return new Set(found.map((c) => c.path));
}

/** The page's inputs for a goal as the form takes it; waits for the results of the last. */
async function setGoal(page, { task, model, sequence, global_batch }) {
  await page.selectOption("#task", task);
  await choose(page, "model", "catalogue");
  await page.fill("#modelId", model.catalogue);
  await page.fill("#sequence", String(sequence));
  await typeAndRender(page, "#global_batch", String(global_batch));
}

/** The state of a page a share link must restore: fields, radios, the cluster view's figures. */
async function clusterState(p) {
  return {
    fields: await p.evaluate(() => Object.fromEntries([...document.querySelectorAll("#inputs input:not([type=radio]):not([type=file]), #inputs select, #inputs textarea")].map((e) => [e.id, e.value]))),
    radios: await p.evaluate(() => [...document.querySelectorAll("input[type=radio]:checked")].map((e) => `${e.name}=${e.value}`)),
    cells: await p.evaluate(() => [...document.querySelectorAll("#cluster-view [data-path]")].map((e) => `${e.dataset.path}=${e.dataset.value}`)),
  };
}

test("cluster: seed 000's three Macs dropped at once, LoRA of a 70B model: each device's rank, role, layers and memory equal the package's plan; the share link restores it", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "cluster");
  const drop = await page.evaluateHandle((texts) => {
    const dt = new DataTransfer();
    texts.forEach((t, i) => dt.items.add(new File([t], `mac-${i}.json`, { type: "application/json" })));
    return dt;
  }, macs);
  await page.dispatchEvent("#cluster", "drop", { dataTransfer: drop });
  await page.waitForFunction(() => document.querySelectorAll("#machine-list li").length === 3);
  assert.equal(await page.inputValue("#cluster"), macs.map((t) => t.trim()).join("\n"), "the field holds the three files");
  await page.selectOption("#link", "thunderbolt");
  await setGoal(page, macGoal);
  const expected = macPlan();
  assert.equal(expected.configurations.length, 0, "unequal devices: no configuration, a plan per device");
  const paths = await assertClusterCells(page, expected, "macs");
  let devices = 0;
  expected.hetero.forEach((m, k) => {
    if (!m.plan) {
      assert.ok(paths.has(`hetero.${k}.refused`), `${m.mode}: the refusal is shown`);
      return;
    }
    m.plan.layouts.forEach((l, j) => {
      assert.ok(paths.has(`hetero.${k}.plan.layouts.${j}.pace`), `${m.mode}: the slowest stage is named`);
      l.devices.forEach((d, i) => {
        const base = `hetero.${k}.plan.layouts.${j}.devices.${i}`;
        for (const f of ["rank", "role", "peak_bytes", "usable_bytes", d.layers ? "layers" : "sequences"]) assert.ok(paths.has(`${base}.${f}`), `${base}.${f} shown`);
        d.breakdown.forEach((_, t) => assert.ok(paths.has(`${base}.breakdown.${t}.bytes`), `${base}.breakdown.${t} shown`));
        devices += 1;
      });
    });
  });
  assert.ok(devices >= 3, `${devices} device rows`);
  // In words as well: the extreme mode's pipeline over the three, the M4 the coordinator.
  const extreme = await page.textContent('#cluster-view .hmode[data-mode="extreme"]');
  assert.match(extreme, /rank 0\s*Apple M4 \(m4-mini\)\s*coordinator/);
  assert.match(extreme, /layers 0–3/);
  assert.match(await page.textContent('#cluster-view .hmode[data-mode="conservative"]'), /Refused[\s\S]*80 layers/);
  assert.equal(await page.isHidden("#charts-block"), true, "no configuration to chart");
  // The share link restores the cluster, the link class and the results.
  const original = await clusterState(page);
  await page.click("#copy-link");
  await page.waitForFunction(() => /copied/.test(document.getElementById("share-status").textContent));
  const link = await page.evaluate(() => navigator.clipboard.readText());
  await reopened(env, link, async (other) => {
    await other.waitForSelector("#cluster-view .hdevice");
    assert.deepEqual(await clusterState(other), original, "same cluster, same devices' parts");
  });
  assert.deepEqual(errors, []);
  await context.close();
});

test("cluster: a 4x8 H100 cluster document: each configuration's mesh and alternatives equal the package's plan, the scaling chart has a point per ScalingPoint, the count is editable; serving layouts too", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "cluster");
  await paste(page, "#cluster", h100Cluster);
  await page.waitForFunction(() => document.getElementById("machine-0")?.value === "4");
  const goal = h100Request.goal;
  await setGoal(page, goal);
  const check = async (expected, label) => {
    await assertCards(page, expected, label);
    const paths = await assertClusterCells(page, expected, label);
    for (const f of ["machines", "devices_per_machine", "devices"]) assert.ok(paths.has(`cluster.${f}`), `${label}: cluster.${f}`);
    let meshes = 0;
    for (const [k, c] of expected.configurations.entries()) {
      if (!c.mesh) continue;
      meshes += 1;
      const base = `configurations.${k}.mesh`;
      assert.ok(paths.has(`${base}.binding`), `${label} ${c.mode}: what binds`);
      c.mesh.candidates.forEach((cand, i) => {
        for (const f of ["layout.data", "layout.tensor", "layout.pipeline", "layout.context", "layout.expert", "layout.sharding", "layout.micro_batch", "layout.micro_batches", "recompute", "peak_bytes", "time.step_s", "time.mfu", "time.compute_s"]) assert.ok(paths.has(`${base}.candidates.${i}.${f}`), `${label} ${c.mode}: candidate ${i} ${f}`);
        cand.time.communication.forEach((a, j) => {
          if (a.exposed_s > 0) assert.ok(paths.has(`${base}.candidates.${i}.time.communication.${j}.exposed_s`), `${label}: ${a.axis} exposed`);
        });
      });
      for (const chart of ["tokens", "mfu"]) {
        const pts = await page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => Number(e.dataset.x)), `svg[data-key="scaling-${chart}-${c.mode}"] circle`);
        assert.deepEqual(pts, c.mesh.scaling.map((p) => p.devices), `${label} ${c.mode}: one ${chart} point per ScalingPoint`);
      }
    }
    assert.ok(meshes >= 1, `${label}: ${meshes} meshes`);
  };
  const expected = plan({ cluster: h100Request.cluster, goal });
  await check(expected, "h100 llama-70b");
  // A model that scales over one, two and four nodes.
  await typeAndRender(page, "#modelId", "Llama-3.1-8B");
  const small = plan({ cluster: h100Request.cluster, goal: { ...goal, model: { catalogue: "Llama-3.1-8B" } } });
  assert.ok(small.configurations.some((c) => (c.mesh?.scaling.length ?? 0) >= 3), "the 8B model has a curve");
  await check(small, "h100 llama-8b");
  // Two of the four nodes, by the machine's count.
  await typeAndRender(page, "#machine-0", "2");
  const two = plan({ cluster: { ...h100Request.cluster, machines: [{ ...h100Request.cluster.machines[0], count: 2 }] }, goal: { ...goal, model: { catalogue: "Llama-3.1-8B" } } });
  assert.equal(await page.getAttribute('[data-path="cluster.devices"]', "data-value"), "16");
  await check(two, "h100 two nodes");
  // Serving on the two nodes: the tensor and pipeline layouts, as the package plans them.
  const n = await renders(page);
  await page.selectOption("#task", "serve");
  await rendered(page, n);
  const serving = plan({ cluster: { ...h100Request.cluster, machines: [{ ...h100Request.cluster.machines[0], count: 2 }] }, goal: { task: "serve", model: { catalogue: "Llama-3.1-8B" }, sequence: goal.sequence } });
  const servePaths = await assertClusterCells(page, serving, "h100 serving");
  for (const [k, c] of serving.configurations.entries()) {
    (c.serving_layouts?.layouts ?? []).forEach((_, i) => {
      for (const f of ["replicas", "kv_pool_bytes", "concurrency", "tokens_per_s"]) assert.ok(servePaths.has(`configurations.${k}.serving_layouts.layouts.${i}.${f}`), `serving ${c.mode} layout ${i} ${f}`);
    });
  }
  assert.ok(serving.configurations.some((c) => c.serving_layouts?.layouts.length), "serving layouts planned");
  assert.deepEqual(errors, []);
  await context.close();
});

test("cluster: malformed JSON in the second profile and a machine of count 0 are shown next to their field with its path; nothing typed is lost; identical machines fold into a count", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await page.selectOption("#task", "lora");
  await choose(page, "model", "catalogue");
  await page.fill("#modelId", "Llama-3.1-8B");
  await choose(page, "hardware", "cluster");
  const bad = macs[1].replace('"hostname": "m4-pro-mini",', '"hostname": "m4-pro-mini",,');
  const text = [macs[0].trim(), bad.trim(), macs[2].trim()].join("\n");
  await paste(page, "#cluster", text);
  const message = await errorText(page, "cluster");
  const line = text.slice(0, text.indexOf(",,")).split("\n").length;
  assert.match(message, /cluster\.machines\[1\]/, "names the second machine");
  assert.match(message, new RegExp(`line ${line} column \\d+`), `says where in the field (line ${line})`);
  assert.equal(await page.inputValue("#cluster"), text, "the pasted text is kept");
  assert.equal(await page.getAttribute("#cluster", "aria-invalid"), "true");
  // Fixed: three machines, results.
  let n = await renders(page);
  const good = [macs[0].trim(), macs[1].trim(), macs[2].trim()].join("\n");
  await paste(page, "#cluster", good);
  await rendered(page, n);
  assert.equal(await page.isHidden("#err-cluster"), true);
  // A count of 0, typed by keyboard: the field after the file picker is the first machine's count.
  await page.focus("#cluster-file");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "machine-1", "Tab reaches the machines' counts");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("0");
  const countError = await errorText(page, "machine-1");
  assert.match(countError, /cluster\.machines\[1\]\.count/);
  assert.match(countError, /is 0, expected an integer of at least 1/);
  assert.equal(await page.inputValue("#machine-1"), "0", "the count stays as typed");
  assert.equal(await page.getAttribute("#machine-1", "aria-invalid"), "true");
  assert.equal(await page.inputValue("#cluster"), good);
  assert.equal(await page.getAttribute("#output", "data-stale"), "true");
  // A bandwidth without a link class is the page's own check, next to the bandwidth.
  n = await renders(page);
  await page.fill("#machine-1", "1");
  await rendered(page, n);
  await page.fill("#bandwidth", "6");
  assert.match(await errorText(page, "bandwidth"), /no link class/);
  n = await renders(page);
  await page.fill("#bandwidth", "");
  await rendered(page, n);
  // Two M4 minis that differ only in host name fold into one machine of count 2; a host name
  // that is markup stays text.
  const hostile = "<img src=x onerror=alert(1)>";
  const a = { ...JSON.parse(macs[0]), hostname: "mini-a" };
  const b = { ...JSON.parse(macs[0]), hostname: "mini-b" };
  const c = { ...JSON.parse(macs[2]), hostname: hostile };
  await pasteAndRender(page, "#cluster", [a, b, c].map((p) => JSON.stringify(p, null, 2)).join("\n"));
  await page.waitForFunction(() => document.querySelectorAll("#machine-list li").length === 2);
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll("#machine-list .machine-name")].map((e) => e.textContent)), ["mini-a", hostile]);
  assert.equal(await page.inputValue("#machine-0"), "2", "folded into a count of 2");
  assert.equal(await page.locator("#machine-list img, #output img").count(), 0, "no element made of the host name");
  const folded = plan({ cluster: { machines: [{ name: "mini-a", count: 2, profile: a }, { profile: c }] }, goal: { task: "lora", model: { catalogue: "Llama-3.1-8B" } } });
  assert.ok((await assertClusterCells(page, folded, "folded")).size > 20, "the folded cluster's devices are shown");
  assert.ok((await page.textContent("#cluster-view")).includes(hostile));
  assert.deepEqual(errors, []);
  await context.close();
});

test("cluster: screenshots of the cluster view at 1280x800 and 390x844, light and dark; nothing overflows; Tab visits every control in order; axe-core finds no serious or critical violation", async () => {
  mkdirSync(screenshots, { recursive: true });
  const pack = (inputs) => `/#s=${gzipSync(JSON.stringify(inputs)).toString("base64url")}`;
  const views = {
    macs: pack({ hardware: "cluster", cluster: macs.map((t) => t.trim()).join("\n"), link: "thunderbolt", task: "lora", model: "catalogue", modelId: "Llama-3.1-70B", knobs: { sequence: "2048", global_batch: "8" } }),
    h100: pack({ hardware: "cluster", cluster: h100Cluster, task: "finetune", model: "catalogue", modelId: "Llama-3.1-8B", knobs: { sequence: "4096", global_batch: "128" } }),
  };
  const axe = readFileSync(`${webRoot}/node_modules/axe-core/axe.min.js`, "utf8");
  for (const [name, url] of Object.entries(views)) {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ]) {
      for (const colorScheme of ["light", "dark"]) {
        const { page, errors, context } = await open(env, { url, viewport: { width, height }, colorScheme });
        await rendered(page);
        await settled(page);
        await page.waitForSelector("#cluster-view > section");
        await page.locator("#cluster-view").scrollIntoViewIfNeeded();
        await page.evaluate(() => document.getElementById("cluster-view").scrollIntoView({ block: "start" }));
        await page.screenshot({ path: `${screenshots}/cluster-${name}-${width}x${height}-${colorScheme}.png` });
        if (colorScheme === "light") await page.screenshot({ path: `${screenshots}/cluster-${name}-${width}-full.png`, fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${name}: no horizontal scrolling at ${width} px (${colorScheme})`);
        if (width === 1280) {
          if (colorScheme === "light") await assertTabOrder(page, `${name}: `);
          await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
          await page.evaluate(axe);
          const result = await page.evaluate(async () => {
            const r = await window.axe.run(document, { resultTypes: ["violations"] });
            return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((x) => x.target.join(" ")).slice(0, 5) }));
          });
          const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
          assert.deepEqual(serious, [], `axe (${name}, ${colorScheme}): ${JSON.stringify(serious, null, 1)}`);
        }
        assert.deepEqual(errors, []);
        await context.close();
      }
    }
  }
});

// --- the time model on one machine ---------------------------------------------------------------

/** The parts of a step, by path under `base`, as the time model gives them. */
function stepParts(step, base) {
  return [
    [`${base}.compute_s`, step.compute_s],
    [`${base}.recompute_s`, step.recompute_s],
    ...step.communication.map((a, i) => [`${base}.communication.${i}.exposed_s`, a.exposed_s]),
    [`${base}.bubble_s`, step.bubble_s],
    [`${base}.optimizer_s`, step.optimizer_s],
    [`${base}.offload_s`, step.offload_s],
  ];
}

test("where a step's time goes: each card's bar and its figures equal plan's time.breakdown (RTX 4090 profile); without a memory bandwidth (RTX 3060 laptop) there is none, and the card says why", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "profile");
  const figures = () =>
    page.evaluate(() =>
      [...document.querySelectorAll("#cards [data-path]")].map((e) => ({ path: e.dataset.path, value: e.dataset.value, segment: e.tagName === "rect", width: e.tagName === "rect" ? parseFloat(e.getAttribute("width")) : null })),
    );
  for (const task of ["pretrain", "lora"]) {
    const text = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
    if (task === "pretrain") await pasteAndRender(page, "#profile", text);
    else {
      await page.selectOption("#task", "lora");
      await choose(page, "model", "catalogue");
      await typeAndRender(page, "#modelId", "llama-3-8b");
    }
    const expected = plan({ profile: JSON.parse(text), goal: task === "pretrain" ? { task } : { task, model: { catalogue: "llama-3-8b" } } });
    await assertCards(page, expected, `rtx4090 ${task}`);
    const found = await figures();
    for (const f of found) assert.equal(f.value, JSON.stringify(atPath(expected, f.path) ?? null), `rtx4090 ${task}: ${f.path}`);
    for (const [k, c] of expected.configurations.entries()) {
      const b = c.time.breakdown;
      // The RTX 4090's peak (165.2 TFLOP/s dense bf16) and memory bandwidth (1,008 GB/s) are in
      // the catalogue, so the time model prices every training configuration.
      assert.ok(b, `${task} ${c.mode}: the plan has a breakdown`);
      const base = `configurations.${k}.time.breakdown`;
      for (const [path, seconds] of stepParts(b, base)) {
        const shown = found.filter((f) => f.path === path);
        if (seconds > 0) {
          assert.equal(shown.filter((f) => f.segment).length, 1, `${task} ${c.mode}: ${path} drawn`);
          assert.equal(shown.filter((f) => !f.segment).length, 1, `${task} ${c.mode}: ${path} listed with its seconds`);
        } else assert.equal(shown.length, 0, `${task} ${c.mode}: ${path} is zero and left out`);
      }
      // The bar is the step: its parts (and the remainder, if any) fill its width.
      const widths = await page.evaluate((mode) => [...document.querySelectorAll(`.card[data-mode="${mode}"] svg.timebar rect.tseg`)].reduce((a, r) => a + parseFloat(r.getAttribute("width")), 0), c.mode);
      assert.ok(Math.abs(widths - 100) < 0.01, `${task} ${c.mode}: the parts fill the bar (${widths} %)`);
      // The step is the sum of its parts on one GPU (core/src/mesh/time.rs, `layout_time`), so
      // the bar has no remainder.
      const sum = stepParts(b, base).reduce((a, [, s]) => a + s, 0);
      assert.ok(Math.abs(sum - b.step_s) <= 1e-9 * b.step_s, `${task} ${c.mode}: ${sum} s of parts, ${b.step_s} s step`);
      assert.equal(await page.locator(`.card[data-mode="${c.mode}"] rect.s-other`).count(), 0);
    }
  }
  // Serving has no step: neither a bar nor a note.
  let n = await renders(page);
  await page.selectOption("#task", "serve");
  await rendered(page, n);
  assert.equal(await page.locator("#cards .card").count(), 3);
  assert.equal(await page.locator("#cards svg.timebar, #cards .step-unknown").count(), 0, "serving: no step breakdown");
  // A profile without the GPU's memory bandwidth: no breakdown, a note instead.
  n = await renders(page);
  await page.selectOption("#task", "pretrain");
  await rendered(page, n);
  n = await renders(page);
  await choose(page, "model", "planner");
  await rendered(page, n);
  const text = readFileSync(`${profiles}/rtx3060-laptop-6gb.json`, "utf8");
  await pasteAndRender(page, "#profile", text);
  const expected = plan({ profile: JSON.parse(text), goal: { task: "pretrain" } });
  await assertCards(page, expected, "rtx3060");
  assert.equal(expected.device.memory_bandwidth_gbs, null, "the fixture gives no memory bandwidth");
  for (const [k, c] of expected.configurations.entries()) {
    assert.equal(c.time.breakdown, undefined, `rtx3060 ${c.mode}: no breakdown`);
    const card = `.card[data-mode="${c.mode}"]`;
    assert.equal(await page.locator(`${card} svg.timebar`).count(), 0, `rtx3060 ${c.mode}: no bar`);
    const note = page.locator(`${card} .step-unknown`);
    assert.equal(await note.getAttribute("data-path"), `configurations.${k}.time.breakdown`);
    assert.equal(await note.getAttribute("data-value"), "null");
    assert.match(await note.textContent(), /memory bandwidth is missing\. Paste what trainfit probe --json --benchmark prints/);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("the planner's thread: keystrokes that arrive while the 4x8 H100 cluster is being planned render the last state only, equal to plan", async () => {
  const goal = { task: "finetune", model: { catalogue: "Llama-3.1-8B" }, sequence: 4096, global_batch: 128 };
  const url = `/#s=${gzipSync(JSON.stringify({ hardware: "cluster", cluster: h100Cluster, task: "finetune", model: "catalogue", modelId: "Llama-3.1-8B", knobs: { sequence: "4096", global_batch: "128" } })).toString("base64url")}`;
  const { page, errors, context } = await open(env, { url });
  await rendered(page);
  await settled(page);
  // Each render records the global batch its cards show.
  await page.evaluate(() => {
    window.shown = [];
    new MutationObserver(() => window.shown.push(document.querySelector('#cards .card[data-mode="balanced"] [data-field="global_batch"]')?.dataset.value)).observe(document.getElementById("output"), { attributes: true, attributeFilter: ["data-renders"] });
  });
  const n = await renders(page);
  // 2, 25, 256 typed in one task, each its own input event and computation: the first is sent
  // to the planner's thread and the others arrive before its answer can, whatever the machine's
  // load (typed 5 ms apart, a loaded machine could delay the second key past the first plan,
  // which the page then rightly shows). Planned on the page's thread, each would render in turn.
  await page.evaluate(() => {
    const field = document.getElementById("global_batch");
    for (const v of ["2", "25", "256"]) {
      field.value = v;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  await rendered(page, n);
  await settled(page);
  const expected = plan({ cluster: h100Request.cluster, goal: { ...goal, global_batch: 256 } });
  await assertCards(page, expected, "h100 after the burst");
  await assertClusterCells(page, expected, "h100 after the burst");
  assert.equal(await renders(page), n + 1, "one render for the three keystrokes");
  assert.deepEqual(await page.evaluate(() => window.shown), [JSON.stringify(expected.configurations.find((c) => c.mode === "balanced").global_batch)], "no overtaken answer was shown");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the planner's thread does not load (its script answered 404): the page says so instead of waiting", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.route(/planner\.worker-[^/]*\.js$/, (r) => r.fulfill({ status: 404, body: "" }));
  const { page } = await open(env, { context, url: `/#s=${gzipSync(JSON.stringify({ hardware: "catalogue", accelerator: "NVIDIA GeForce RTX 4090", count: "1" })).toString("base64url")}` });
  await page.waitForSelector("#err-request:not([hidden])", { timeout: 20_000 });
  assert.match(await page.textContent("#err-request"), /the planner's thread stopped/);
  assert.equal(await renders(page), 0, "no results");
  await context.close();
});

/** Opens `card`'s Run it panel by a click, in the page, and resolves to the milliseconds from the
 * click to the frame after its files (or refusal) are in the page. */
function openRunIt(page, card) {
  return page.evaluate(
    (card) =>
      new Promise((resolve) => {
        const d = document.querySelector(`${card} details.runit`);
        const clicked = performance.now();
        const seen = new MutationObserver(() => {
          if (!d.querySelector(".export-file, .export-refused")) return;
          seen.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - clicked));
        });
        seen.observe(d, { childList: true, subtree: true });
        d.querySelector("summary").click();
      }),
    card,
  );
}

test("first visit: the exporter's module is not fetched until a Run it panel opens, then once; what the visit fetched is under the 500 KB budget, gzipped", async (t) => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const fetched = [];
  context.on("request", (r) => fetched.push(r.url()));
  const url = `/#s=${gzipSync(JSON.stringify({ hardware: "catalogue", accelerator: "NVIDIA GeForce RTX 4090", count: "1", task: "lora", model: "catalogue", modelId: "llama-3-8b" })).toString("base64url")}`;
  const { page, errors } = await open(env, { context, url });
  await rendered(page);
  await settled(page);
  // The exporter: its chunk (web/src/exporter.ts with the package's glue) and its module.
  const assets = readdirSync(`${dist}/assets`);
  const exporter = assets.filter((f) => /^(exporter-.*\.js|trainfit_export_bg-.*\.wasm)$/.test(f));
  assert.equal(exporter.length, 2, `the exporter's chunk and module in web/dist/assets: ${assets.join(", ")}`);
  const times = (f) => fetched.filter((u) => u.endsWith(`/assets/${f}`)).length;
  for (const f of exporter) assert.equal(times(f), 0, `${f} not fetched on the first visit`);
  assert.equal(fetched.filter((u) => /trainfit_bg-.*\.wasm$/.test(u)).length, 1, "the page's module fetched once");
  // What the visit transferred, each file as `gzip -9` writes it (the server sends them as they
  // are; a static host compresses them).
  const paths = [...new Set(fetched.filter((u) => u.startsWith(env.server.url + "/")).map((u) => new URL(u).pathname))];
  const bytes = paths.map((p) => gzipSync(readFileSync(`${dist}${p.endsWith("/") ? `${p}index.html` : p}`), { level: 9 }).length);
  const total = bytes.reduce((a, b) => a + b, 0);
  t.diagnostic(`first visit: ${paths.length} files, ${total} bytes gzipped (${paths.map((p, i) => `${p} ${bytes[i]}`).join(", ")})`);
  assert.ok(total < 500_000, `first visit ${total} bytes gzipped, budget 500 KB (README, "Figures")`);
  // The first panel fetches the exporter, once; a second panel uses it as loaded.
  const cold = await openRunIt(page, '.card[data-mode="balanced"]');
  for (const f of exporter) assert.equal(times(f), 1, `${f} fetched when Run it opened`);
  const warm = await openRunIt(page, '.card[data-mode="conservative"]');
  for (const f of exporter) assert.equal(times(f), 1, `${f} fetched once`);
  assert.ok(await page.locator('.card[data-mode="conservative"] .export-file').count() >= 1, "the second panel's files");
  const measured = await page.evaluate(() => performance.getEntriesByName("trainfit:runit-to-files").length);
  assert.equal(measured, 2, "the page measured both panels");
  t.diagnostic(`click on Run it to its files shown: ${cold.toFixed(1)} ms with the exporter fetched, ${warm.toFixed(1)} ms once loaded`);
  assert.deepEqual(errors, []);
  await context.close();
});

// --- the run around the model: data path, power supply, two phases, over budget (issue 16) -----

/** Every figure of the cards with its path in the plan; each must equal the plan's value there,
 * as JSON text (exact for every number). Returns the paths shown. */
async function assertPaths(page, expected, label) {
  const found = await page.evaluate(() => [...document.querySelectorAll("#cards [data-path]")].map((e) => ({ path: e.dataset.path, value: e.dataset.value })));
  for (const f of found) assert.equal(f.value, JSON.stringify(atPath(expected, f.path) ?? null), `${label}: ${f.path}`);
  return new Set(found.map((f) => f.path));
}

/** The plan request the page sent, as its Plan request disclosure shows it. */
async function sentRequest(page) {
  await page.evaluate(() => (document.getElementById("request-details").open = true));
  await page.waitForFunction(() => document.getElementById("request-json").textContent.length > 0);
  return JSON.parse(await page.textContent("#request-json"));
}

/** The paths a card of configuration `k` shows for the data path, the supply and phase B. */
function runPaths(c, k) {
  const a = `configurations.${k}`;
  const data = ["dataset_tokens", "location", "fetch_bytes", "epochs", "first_pass_s", "source_mbs", "source_rate", "tokenise_s", "tokenised_bytes", "stream_tokens_per_s", "streaming_keeps_up", "cache", "temporary_bytes", "disk_free_bytes"].map((f) => `${a}.data.${f}`);
  const system = c.power.system ? ["accelerators_w", "cpu_w", "rest_w", "total_w", "psu_w", "safe_share", "load_share"].map((f) => `${a}.power.system.${f}`) : [];
  const b = c.phase_b
    ? ["share", "fits", "sequence", "micro_batch", "gradient_accumulation", "checkpointing", "memory.peak_bytes", "time.tokens", "time.step_s", "time.total_s", "time.budget_s", "training.schedule", "total_s"].map((f) => `${a}.phase_b.${f}`)
    : [];
  return [...data, ...(c.data.dataset ? [`${a}.data.dataset`] : []), ...system, ...b];
}

test("the data path, the power supply and two phases: typed into the goal, every figure of each card equals plan's for the RTX 4090 profile (a public dataset, then a size on a network mount); Run it gives DeepSpeed's files for both phases; the link restores them", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "profile");
  const text = readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8");
  await pasteAndRender(page, "#profile", text);
  await page.selectOption("#dataset", "fineweb");
  await page.fill("#psu_w", "850");
  let n = await renders(page);
  await page.check("#phases");
  await rendered(page, n);
  await quiet(page);
  const goal = { task: "pretrain", dataset: { name: "fineweb" }, psu_w: 850, phases: 2 };
  assert.deepEqual((await sentRequest(page)).goal, goal, "the request carries the typed fields as the core reads them");
  let expected = plan({ profile: JSON.parse(text), goal });
  await assertCards(page, expected, "rtx4090 fineweb");
  let shown = await assertPaths(page, expected, "rtx4090 fineweb");
  for (const [k, c] of expected.configurations.entries()) {
    for (const path of runPaths(c, k)) assert.ok(shown.has(path), `${c.mode}: ${path} shown`);
    // The supply: 450 W of GPU (the RTX 4090's TDP), 170 W of desktop CPU and 150 W for the rest
    // (core/src/plan/psu.rs) is 770 W, 91 % of 850 W, above 68 %; NVML gives this fixture no
    // lowest limit, so no cap fits and the card names the supply that would do: the figure of
    // the core's psu_headroom warning (770 / (750 / 1100) = 1,129 W).
    const warning = c.warnings.find((w) => w.code === "psu_headroom");
    assert.ok(warning, `${c.mode}: psu_headroom`);
    const needed = await page.getAttribute(`.card[data-mode="${c.mode}"] [data-supply-needed]`, "data-supply-needed");
    assert.equal(needed, /at least (\d+) W/.exec(warning.message)[1], `${c.mode}: the supply needed is the warning's`);
    // Three parts of the system drawn, the safe share and the rating ticked.
    assert.equal(await page.locator(`.card[data-mode="${c.mode}"] svg.psubar rect.seg`).count(), c.power.system.cpu_w > 0 ? 3 : 2);
    assert.equal(await page.locator(`.card[data-mode="${c.mode}"] svg.psubar line.tick`).count(), 2);
    // Phase A then phase B, drawn against the budget.
    assert.deepEqual(await page.evaluate((m) => [...document.querySelectorAll(`.card[data-mode="${m}"] svg.phasebar rect.seg`)].map((r) => r.dataset.phase), c.mode), ["a", "b"]);
    assert.ok(c.phase_b.sequence > c.sequence, `${c.mode}: phase B at a longer context`);
  }
  // Phase B's memory, term by term, on demand: each term's bytes equal the plan's.
  // The browser fires `toggle` after the click returns and the content is built then: wait for it.
  await page.click('.card[data-mode="balanced"] details[data-key="phase-b-memory-balanced"] > summary');
  await page.waitForSelector('.card[data-mode="balanced"] details[data-key="phase-b-memory-balanced"] [data-path]');
  const terms = await page.evaluate(() => [...document.querySelectorAll('.card[data-mode="balanced"] details[data-key="phase-b-memory-balanced"] [data-path]')].map((e) => e.dataset.path));
  assert.equal(terms.length, expected.configurations[1].phase_b.memory.breakdown.length);
  shown = await assertPaths(page, expected, "phase B memory");
  // Run it on the balanced card: DeepSpeed's files for both phases, each equal to the package's.
  const card = '.card[data-mode="balanced"]';
  await page.click(`${card} details.runit > summary`);
  await page.waitForSelector("#runit-balanced-format");
  await page.selectOption("#runit-balanced-format", "deepspeed");
  const files = exportPlan(expected, "balanced", "deepspeed");
  const names = files.map((f) => f.name);
  assert.ok(names.includes("ds_config_phase_b.json"), names.join(", "));
  await page.waitForFunction(
    (names) => {
      const shown = [...document.querySelectorAll('.card[data-mode="balanced"] .export-file')].map((e) => e.dataset.name);
      return shown.length === names.length && shown.every((n, i) => n === names[i]);
    },
    names,
  );
  assert.deepEqual(
    await page.$$eval(`${card} .export-file`, (els) => els.map((e) => ({ name: e.dataset.name, text: e.querySelector("pre").textContent }))),
    files.map((f) => ({ name: f.name, text: f.text })),
  );
  await page.click(`${card} details.runit > summary`);

  // A dataset given by its size, on a network mount; an ATX 3.0 supply; phase B's share and
  // sequence typed as a visitor would (`20 %`, `4k`).
  await page.selectOption("#dataset", "");
  await page.fill("#dataset_tokens", "2B");
  await page.fill("#dataset_bytes", "8 GB");
  await page.selectOption("#dataset_location", "network_mount");
  await page.selectOption("#psu_atx3", "true");
  await page.fill("#phase_b_share", "20 %");
  await typeAndRender(page, "#phase_b_sequence", "4k");
  const goal2 = { task: "pretrain", dataset: { tokens: 2e9, bytes: 8e9, location: "network_mount" }, psu_w: 850, psu_atx3: true, phases: { phase_b_share: 0.2, phase_b_sequence: 4096 } };
  assert.deepEqual((await sentRequest(page)).goal, goal2);
  expected = plan({ profile: JSON.parse(text), goal: goal2 });
  await assertCards(page, expected, "rtx4090 network mount");
  shown = await assertPaths(page, expected, "rtx4090 network mount");
  for (const [k, c] of expected.configurations.entries()) {
    for (const path of runPaths(c, k)) assert.ok(shown.has(path), `${c.mode}: ${path} shown`);
    assert.equal(c.data.location, "network_mount");
    assert.equal(c.phase_b.sequence, 4096);
    // ATX 3.0 carries its whole rating: one tick.
    assert.equal(c.power.system.safe_share, 1);
    assert.equal(await page.locator(`.card[data-mode="${c.mode}"] svg.psubar line.tick`).count(), 1);
  }
  // Fine-tuning sends the dataset and the supply but not the phases, whose fields are hidden and
  // keep what was typed.
  n = await renders(page);
  await page.selectOption("#task", "lora");
  await choose(page, "model", "catalogue");
  await typeAndRender(page, "#modelId", "llama-3-8b");
  assert.equal(await page.isHidden("#run-phases"), true);
  assert.equal((await sentRequest(page)).goal.phases, undefined);
  assert.equal(await page.inputValue("#phase_b_share"), "20 %");
  expected = plan({ profile: JSON.parse(text), goal: { task: "lora", model: { catalogue: "llama-3-8b" }, dataset: goal2.dataset, psu_w: 850, psu_atx3: true } });
  await assertPaths(page, expected, "rtx4090 lora");
  // The address restores every field of the run in a new page.
  n = await renders(page);
  await page.selectOption("#task", "pretrain");
  await choose(page, "model", "planner");
  await rendered(page, n);
  await quiet(page);
  const fields = (p) => p.evaluate(() => Object.fromEntries(["dataset", "dataset_tokens", "dataset_bytes", "dataset_location", "psu_w", "psu_atx3", "phase_b_share", "phase_b_sequence"].map((id) => [id, document.getElementById(id).value]).concat([["phases", document.getElementById("phases").checked]])));
  const before = await fields(page);
  // The address is rewritten 250 ms after the last change: wait until it holds this state.
  const held = (url) => {
    const packed = new URL(url).hash.replace(/^#s=/, "");
    if (!packed || packed === new URL(url).hash) return false;
    const shared = JSON.parse(gunzipSync(Buffer.from(packed, "base64url")).toString("utf8"));
    return shared.task === "pretrain" && shared.model === "planner" && Object.entries(before).every(([id, v]) => (id === "phases" ? (shared.run.phases === "2") === v : shared.run[id] === v));
  };
  for (let i = 0; !held(page.url()); i++) {
    assert.ok(i < 100, `the address holds the state within 5 s: ${page.url()}`);
    await page.waitForTimeout(50);
  }
  await reopened(env, page.url(), async (other) => {
    assert.deepEqual(await fields(other), before);
    await assertPaths(other, plan({ profile: JSON.parse(text), goal: goal2 }), "restored");
  });
  assert.deepEqual(errors, []);
  await context.close();
});

test("over budget: pretraining on the CPU-only laptop within a 15-minute budget shows, on each card that overruns it, the hours it needs and what fits instead, equal to plan's time.over_budget", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await choose(page, "hardware", "profile");
  const text = readFileSync(`${profiles}/cpu-laptop-16gb.json`, "utf8");
  await page.fill("#hours", "0.25");
  await pasteAndRender(page, "#profile", text);
  await quiet(page);
  const expected = plan({ profile: JSON.parse(text), goal: { task: "pretrain", hours: 0.25 } });
  await assertCards(page, expected, "cpu laptop");
  await assertPaths(page, expected, "cpu laptop");
  const over = expected.configurations.filter((c) => c.time.over_budget);
  // Balanced and extreme overrun the quarter hour (their smallest model needs 28 and 57 minutes
  // on this CPU); conservative's 12 minutes fit it.
  assert.ok(over.length >= 1 && over.length < expected.configurations.length, `${over.length} of ${expected.configurations.length} over budget`);
  for (const [k, c] of expected.configurations.entries()) {
    const banner = page.locator(`.card[data-mode="${c.mode}"] .over-banner`);
    if (!c.time.over_budget) {
      assert.equal(await banner.count(), 0, `${c.mode}: within the budget, no banner`);
      continue;
    }
    assert.equal(await banner.count(), 1, `${c.mode}: the banner is on the card`);
    const base = `configurations.${k}.time.over_budget`;
    const paths = await banner.evaluate((b) => [...b.querySelectorAll("[data-path]")].map((e) => e.dataset.path));
    assert.deepEqual(paths.sort(), ["hours_needed", "loss_increase", "tokens_in_budget", "tokens_per_parameter_in_budget"].map((f) => `${base}.${f}`));
    const words = await banner.textContent();
    assert.match(words, /Over budget: the run needs/);
    assert.match(words, /a GPU: this plan runs on the CPU/);
    // The banner sits above the memory, not only in the warnings list.
    assert.ok(await banner.evaluate((b) => b.compareDocumentPosition(b.closest(".card").querySelector(".membar")) & Node.DOCUMENT_POSITION_FOLLOWING));
    assert.ok(c.warnings.some((w) => w.code === "time_budget_exceeded"));
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("a bad power supply rating, phase B share or dataset size shows the core's message next to its field, with the field's path and the value; what was typed stays", async () => {
  const { page, errors, context } = await open(env);
  await rendered(page);
  await page.fill("#psu_w", "-5");
  assert.match(await errorText(page, "psu_w"), /goal\.psu_w.*-5.*expected a power supply rating in watts above 0/);
  assert.equal(await page.getAttribute("#psu_w", "aria-invalid"), "true");
  assert.equal(await page.inputValue("#psu_w"), "-5");
  assert.equal(await page.getAttribute("#output", "data-stale"), "true");
  await page.fill("#psu_w", "lots");
  await page.waitForFunction(() => /lots/.test(document.getElementById("err-psu_w").textContent));
  assert.match(await errorText(page, "psu_w"), /goal\.psu_w.*"lots", expected/);
  assert.equal(await page.inputValue("#psu_w"), "lots");
  let n = await renders(page);
  await page.fill("#psu_w", "");
  await rendered(page, n);
  await page.check("#phases");
  await page.fill("#phase_b_share", "0.9");
  assert.match(await errorText(page, "phase_b_share"), /goal\.phases\.phase_b_share.*0\.9.*at most 0\.5/);
  assert.equal(await page.inputValue("#phase_b_share"), "0.9");
  n = await renders(page);
  await page.fill("#phase_b_share", "");
  await rendered(page, n);
  await page.fill("#dataset_bytes", "40 XB");
  assert.match(await errorText(page, "dataset_bytes"), /goal\.dataset\.bytes.*"40 XB"/);
  assert.equal(await page.inputValue("#dataset_bytes"), "40 XB");
  assert.deepEqual(errors, []);
  await context.close();
});

test("screenshots of the data path, the power supply and two phases (RTX 4090) and of over budget (CPU laptop) at 1280x800 and 390x844, light and dark; nothing overflows; Tab visits every control in order; axe-core finds no serious or critical violation", async () => {
  mkdirSync(screenshots, { recursive: true });
  const states = {
    run: { hardware: "profile", profile: readFileSync(`${profiles}/rtx4090-desktop.json`, "utf8"), task: "pretrain", run: { dataset: "fineweb", psu_w: "850", phases: "2" } },
    "over-budget": { hardware: "profile", profile: readFileSync(`${profiles}/cpu-laptop-16gb.json`, "utf8"), task: "pretrain", knobs: { hours: "0.25" } },
  };
  for (const [name, state] of Object.entries(states)) {
    const url = `/#s=${gzipSync(JSON.stringify(state)).toString("base64url")}`;
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ]) {
      for (const colorScheme of ["light", "dark"]) {
        const { page, errors, context } = await open(env, { url, viewport: { width, height }, colorScheme });
        await rendered(page);
        await settled(page);
        // The balanced card from its section of interest down.
        const at = name === "run" ? '.card[data-mode="balanced"] .phases' : '.card[data-mode="balanced"]';
        await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: "start" }), at);
        await page.screenshot({ path: `${screenshots}/${name}-${width}x${height}-${colorScheme}.png` });
        if (colorScheme === "light") await page.locator("#cards").screenshot({ path: `${screenshots}/${name}-${width}-cards.png` });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${name}: no horizontal scrolling at ${width} px (${colorScheme})`);
        if (width === 1280) {
          // The new fields and sections by keyboard, then axe-core with every disclosure open.
          if (colorScheme === "light") await assertTabOrder(page, `${name}: `);
          await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
          await page.evaluate(readFileSync(`${webRoot}/node_modules/axe-core/axe.min.js`, "utf8"));
          const result = await page.evaluate(async () => {
            const r = await window.axe.run(document, { resultTypes: ["violations"] });
            return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((x) => x.target.join(" ")).slice(0, 5) }));
          });
          const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
          assert.deepEqual(serious, [], `axe (${name}, ${colorScheme}): ${JSON.stringify(serious, null, 1)}`);
        }
        assert.deepEqual(errors, []);
        await context.close();
      }
    }
  }
});

test("no request left 127.0.0.1 during the whole run, and the built page declares its Content-Security-Policy", () => {
  assert.ok(requests.length > 10, `${requests.length} requests recorded`);
  const outside = requests.filter((u) => !u.startsWith(env.server.url + "/") && !u.startsWith("data:") && !u.startsWith("blob:"));
  assert.deepEqual(outside, []);
  const html = readFileSync(`${dist}/index.html`, "utf8");
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'/);
  for (const f of readdirSync(`${dist}/assets`)) {
    if (!/\.(js|css|html)$/.test(f)) continue;
    // No address of another origin in what the page loads (a font, a CDN, an analytics beacon).
    const text = readFileSync(`${dist}/assets/${f}`, "utf8");
    assert.deepEqual(text.match(/(?:src|href|url)\s*[(=]\s*["']?https?:\/\/[^"')\s]+/g) ?? [], [], f);
  }
});
