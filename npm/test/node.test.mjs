// The shared checks (cases.mjs) on the Node ESM entry, plus what only Node can check: the
// CommonJS entry and detectBrowserHardware() where there is no navigator.gpu.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as trainfit from "../dist/node/trainfit.js";
import { cases } from "./cases.mjs";
import { fixtures } from "./fixtures.mjs";

for (const [name, run] of Object.entries(cases(trainfit, fixtures))) {
  test(name, run);
}

test("the CommonJS entry gives the same plan", () => {
  const cjs = createRequire(import.meta.url)("../dist/cjs/trainfit.js");
  assert.deepEqual(cjs.plan({ profile: fixtures.rtx4090 }), trainfit.plan({ profile: fixtures.rtx4090 }));
});

test("detectBrowserHardware without WebGPU is a profile with a reason", async () => {
  const hw = await trainfit.detectBrowserHardware();
  assert.equal(hw.profile.probe.kind, "browser");
  assert.deepEqual(hw.profile.accelerators, []);
  assert.equal(hw.profile.errors[0].source, "webgpu");
  assert.match(hw.profile.errors[0].message, /navigator\.gpu/);
  assert.equal(hw.webgpu, null);
  assert.deepEqual(hw.candidates, []);
});
