// Every export of the package, typed: the install test (install.test.mjs) compiles this file
// with `tsc --noEmit --strict` against the packed tarball. The @ts-expect-error lines prove the
// declarations are real types, not `any`.
import {
  accelerators,
  detectBrowserHardware,
  estimate,
  modelFromHfConfig,
  models,
  parseProfile,
  plan,
  version,
} from "trainfit";
import type {
  AcceleratorSpec,
  BrowserHardware,
  CatalogueModel,
  Estimate,
  EstimateRequest,
  HardwareProfile,
  ModelSpec,
  Plan,
  PlanRequest,
  TrainfitError,
  ErrorCode,
  Versions,
} from "trainfit";
import init, { plan as planInPage } from "trainfit/web";

const request: EstimateRequest = {
  model: { catalogue: "llama-3-8b" },
  task: "lora",
  micro_batch: 1,
  sequence: 2048,
  lora: { rank: 16, targets: ["q_proj", "v_proj"] },
};
const e: Estimate = estimate(request);
const peak: number = e.peak_bytes;

const profile: HardwareProfile = parseProfile(
  '{"accelerators": [{"vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete"}]}',
);
const planRequest: PlanRequest = { profile, goal: { task: "pretrain" }, modes: ["balanced"] };
const p: Plan = plan(planRequest);
const modes: string[] = p.configurations.map((c) => c.mode);

const spec: ModelSpec = modelFromHfConfig({ model_type: "gpt2", n_embd: 768, n_layer: 12, n_head: 12 });
const layers: number = spec.layers;
const found: CatalogueModel[] = models("llama");
const gpus: AcceleratorSpec[] = accelerators("h100");
const v: Versions = version();

async function inBrowser(): Promise<BrowserHardware> {
  await init();
  planInPage(planRequest);
  const hw = await detectBrowserHardware();
  // A profile is both what a caller passes and what comes back, so the fields a probe may leave
  // out are optional in its type, though detectBrowserHardware() always fills these.
  const kinds: string[] = (hw.profile.accelerators ?? []).map((a) => a.kind ?? "gpu");
  const first: AcceleratorSpec | undefined = hw.candidates[0];
  console.log(kinds, first?.name);
  return hw;
}

try {
  estimate({ model: { catalogue: "no-such-model" } });
} catch (err) {
  // Errors carry the core's stable code and the field's path.
  const { code, field } = err as TrainfitError;
  const known: ErrorCode = code;
  // @ts-expect-error: not one of the codes
  const unknown: ErrorCode = "no_such_code";
  console.log(known, field, unknown);
}

// @ts-expect-error: micro_batch is a number
estimate({ model: { catalogue: "gpt2" }, micro_batch: "4" });
// @ts-expect-error: no such mode
plan({ profile, modes: ["reckless"] });

console.log(peak, modes, layers, found.length, gpus.length, v.trainfit, inBrowser);
