// The package as a user gets it: `npm pack`, installed from the tarball into a fresh project,
// then imported from ESM, required from CommonJS, and type-checked with `tsc --strict` over an
// example that uses every export (example.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(pkg, "node_modules/typescript/bin/tsc");
let project;

function run(command, args, cwd = project) {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

before(() => {
  project = mkdtempSync(join(tmpdir(), "trainfit-install-"));
  run("npm", ["pack", "--silent", "--pack-destination", project], pkg);
  const tarball = readdirSync(project).find((f) => f.endsWith(".tgz"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // The package has no dependencies, so this needs no network.
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", `./${tarball}`]);
});

after(() => rmSync(project, { recursive: true, force: true }));

test("ESM import", () => {
  writeFileSync(
    join(project, "esm.mjs"),
    `import { plan, version } from "trainfit";
     const p = plan({ profile: { memory: { total_bytes: { value: 17179869184, source: "user" } } } });
     console.log(JSON.stringify([version().trainfit, p.configurations.length]));`,
  );
  const [v, configurations] = JSON.parse(run("node", ["esm.mjs"]));
  assert.match(v, /^\d+\.\d+\.\d+/);
  assert.equal(configurations, 3);
});

test("CommonJS require, and the schemas shipped", () => {
  writeFileSync(
    join(project, "cjs.cjs"),
    `const { models } = require("trainfit");
     const schema = require("trainfit/schema/plan.schema.json");
     console.log(JSON.stringify([models("gpt2").length > 0, schema.title]));`,
  );
  assert.deepEqual(JSON.parse(run("node", ["cjs.cjs"])), [true, "Plan"]);
});

/** The code block under the heading `heading` of npm/README.md. */
function readmeExample(heading) {
  const readme = readFileSync(join(pkg, "README.md"), "utf8");
  const section = readme.split(`\n## ${heading}\n`)[1];
  assert.ok(section, `README section ${heading}`);
  return section.split("```js\n")[1].split("```")[0];
}

test("the README's Node examples run as written", () => {
  writeFileSync(join(project, "readme-esm.mjs"), readmeExample("Node (ESM)"));
  assert.match(run("node", ["readme-esm.mjs"]), /^conservative [\d.]+ GiB/);
  writeFileSync(join(project, "readme-cjs.cjs"), readmeExample("Node (CommonJS)"));
  assert.match(run("node", ["readme-cjs.cjs"]), /^weights \d+\n(.|\n)*peak \d+\n$/);
});

test("tsc --noEmit --strict over an example using every export", () => {
  copyFileSync(fileURLToPath(new URL("example.ts", import.meta.url)), join(project, "example.ts"));
  for (const resolution of [["nodenext", "nodenext"], ["esnext", "bundler"]]) {
    run("node", [
      tsc, "--noEmit", "--strict", "--target", "es2022", "--lib", "es2022,dom",
      "--module", resolution[0], "--moduleResolution", resolution[1], "example.ts",
    ]);
  }
});
