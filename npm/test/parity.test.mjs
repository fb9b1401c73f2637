// The package and the command line give the same answers: for every request in
// tests/data/requests/ and plans built from every profile in tests/data/profiles/, the
// package's result written by JSON.stringify equals `trainfit estimate|plan --input F --json`
// read by JSON.parse (same keys in the same order, same numbers), and a refused request gives
// the same message. The binary is target/debug/trainfit (what `cargo test` builds), or
// TRAINFIT_BIN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as trainfit from "../dist/node/trainfit.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.TRAINFIT_BIN ?? join(repo, "target/debug/trainfit");

/** `trainfit <command> --input <file> --json`: the parsed result, or the error message. */
function cli(command, file) {
  const run = spawnSync(bin, [command, "--input", file, "--json"], { encoding: "utf8" });
  if (run.error) throw run.error;
  if (run.status === 0) return { result: JSON.parse(run.stdout) };
  // `error: request F is not valid: …` names the file; the package names none.
  const message = run.stderr.trim().replace(/^error: /, "").replace(/^(request|plan request) \S+ is not/, "$1 is not");
  return { error: message };
}

/** The package's answer in the same form. */
function wasm(run) {
  try {
    return { result: run() };
  } catch (e) {
    assert.ok(e instanceof Error && typeof e.code === "string", `an Error with a code: ${e}`);
    return { error: e.message };
  }
}

function assertSame(name, native, js) {
  assert.equal(JSON.stringify(js), JSON.stringify(native), name);
}

test("estimate: every request of tests/data/requests", () => {
  const dir = join(repo, "tests/data/requests");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  assert.ok(files.length >= 14, `${files.length} requests`);
  for (const file of files) {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    const request = JSON.parse(text);
    let input = text;
    const configFile = request.model?.hf_config_file;
    if (configFile) {
      // The command line inlines `hf_config_file` (a path relative to the request); the package
      // reads no files, so the test does it.
      const config = JSON.parse(readFileSync(join(dirname(path), configFile), "utf8"));
      input = { ...request, model: { hf_config: config } };
    }
    const native = cli("estimate", path);
    assert.equal(file.startsWith("bad-"), "error" in native, `${file}: refused only if bad-*`);
    assertSame(file, native, wasm(() => trainfit.estimate(input)));
  }
});

test("plan: three goals on every profile of tests/data/profiles", () => {
  const dir = join(repo, "tests/data/profiles");
  const scratch = mkdtempSync(join(tmpdir(), "trainfit-parity-"));
  const goals = [
    {},
    { task: "lora", model: { catalogue: "llama-3-8b" } },
    { task: "serve", model: { catalogue: "qwen2.5-0.5b" } },
  ];
  try {
    let plans = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
      for (const [i, goal] of goals.entries()) {
        const request = { profile, goal };
        const path = join(scratch, `${file}-${i}.json`);
        writeFileSync(path, JSON.stringify(request));
        const native = cli("plan", path);
        assertSame(`${file} goal ${i}`, native, wasm(() => trainfit.plan(request)));
        plans += "result" in native;
      }
    }
    assert.ok(plans >= 10, `${plans} plans compared`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
