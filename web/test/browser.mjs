// Debian's Chromium, driven by playwright-core, on the built site served from 127.0.0.1: the
// launch every browser test shares, with each request the page makes recorded so a test can
// prove none leaves the machine.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

export const webRoot = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
export const dist = `${webRoot}/dist`;
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

// As root in a container Chromium needs --no-sandbox; the rest keep it off the network it has no
// business with and away from a GPU it does not have (as npm/test/browser.test.mjs starts it).
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

/** Every request any page of the run made, by URL. */
export const requests = [];

/** Starts the server and a browser (with `extra` flags). */
export async function start(extra = ["--enable-unsafe-webgpu"]) {
  const server = await serve(dist);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...flags, ...extra],
  });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** A new page in a fresh context, its requests recorded and its errors collected. */
export async function open(env, { url = "/", viewport = { width: 1280, height: 800 }, colorScheme = "light", context } = {}) {
  // The clipboard is how a visitor pastes a profile; the page's own copy buttons write to it.
  const ctx = context ?? (await env.browser.newContext({ viewport, colorScheme, permissions: ["clipboard-read", "clipboard-write"] }));
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(env.server.url + url);
  return { page, errors, context: ctx };
}

/**
 * The share link `address` (a full URL on the test server) opened in a fresh page: once it has
 * rendered, `check(page)` runs, then no error may have been reported and the page is closed.
 */
export async function reopened(env, address, check) {
  const { page, errors, context } = await open(env, { url: address.slice(env.server.url.length) });
  await rendered(page);
  await check(page);
  assert.deepEqual(errors, []);
  await context.close();
}

/** Waits until the page has rendered results `after` times (its `data-renders` counter). */
export async function rendered(page, after = 0) {
  await page.waitForFunction((n) => Number(document.getElementById("output")?.dataset.renders ?? 0) > n, after, { timeout: 20_000 });
}

/** The render counter now. */
export async function renders(page) {
  return page.evaluate(() => Number(document.getElementById("output")?.dataset.renders ?? 0));
}

/** Waits until the charts and the compare table of the latest render are drawn. */
export async function settled(page) {
  await page.waitForFunction(
    () => {
      const o = document.getElementById("output");
      return o && document.getElementById("charts")?.dataset.done === o.dataset.renders && document.getElementById("compare-table")?.dataset.done === "true";
    },
    null,
    { timeout: 30_000 },
  );
}

/** Every result cell of the cards: mode, field path and raw value. */
export async function cells(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("#cards [data-field]")].map((e) => ({
      mode: e.getAttribute("data-mode"),
      field: e.getAttribute("data-field"),
      value: e.getAttribute("data-value"),
    })),
  );
}

/** Pastes `text` into the field `selector` as a visitor does: through the clipboard, over what
 * the field held. (Playwright's fill types a long multi-line text line by line, seconds for a
 * probe profile; one paste is one input event.) */
export async function paste(page, selector, text) {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.focus(selector);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Control+V");
}
