// The checks every build of the package passes: this one file runs in Node (node.test.mjs, on
// the ESM entry) and in headless Chromium (browser.test.mjs, on the browser entry), so both
// builds are held to the same answers. No Node or browser API is used here.

/** Throws unless `ok`. */
export function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

/** Throws unless `a` and `b` are the same JSON. */
export function same(a, b, message) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  check(x === y, `${message}: ${x} !== ${y}`);
}

/** The error `f` throws; fails when it returns. */
export function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("check failed: expected an error, got a result");
}

/**
 * The checks, by name. `api` is the package's module; `fixtures` holds `rtx4090` (the profile of
 * tests/data/profiles/rtx4090-desktop.json) and `gpt2` (tests/data/requests/gpt2-finetune-fp32.json).
 */
export function cases(api, fixtures) {
  return {
    "plan gives the three modes, each within its memory target"() {
      const p = api.plan({ profile: fixtures.rtx4090 });
      same(p.configurations.map((c) => c.mode), ["conservative", "balanced", "extreme"], "modes");
      for (const c of p.configurations) {
        check(c.memory.peak_bytes <= c.memory_target_bytes, `${c.mode} within its target`);
      }
      // Ada (compute capability 8.9) trains in bf16 autocast.
      check(p.device.precision === "amp_bf16", `precision ${p.device.precision}`);
      // The same request as JSON text gives the same plan.
      same(api.plan(JSON.stringify({ profile: fixtures.rtx4090 })), p, "text and object");
    },

    "estimate of GPT-2 fine-tuned in fp32 sums its terms"() {
      const e = api.estimate(fixtures.gpt2);
      // openai-community/gpt2: 124,439,808 parameters.
      check(e.parameters.total === 124_439_808, `parameters ${e.parameters.total}`);
      const sum = e.breakdown.reduce((s, t) => s + t.bytes, 0);
      check(sum === e.peak_bytes, `breakdown ${sum} = peak ${e.peak_bytes}`);
    },

    "errors are Errors with a stable code and the field's path"() {
      const request = { ...fixtures.gpt2, micro_batch: 0 };
      let e = thrown(() => api.estimate(request));
      check(e instanceof Error, "an Error");
      check(e.code === "invalid_field" && e.field === "micro_batch", `${e.code} ${e.field}`);
      check(e.message === "field `micro_batch` is 0, expected an integer of at least 1", e.message);
      e = thrown(() => api.estimate({ ...fixtures.gpt2, parallel: { data: "8" } }));
      check(e.code === "invalid_json" && e.field === "parallel.data", `${e.code} ${e.field}`);
      e = thrown(() => api.estimate({ ...fixtures.gpt2, sequnce: 5 }));
      check(/unknown field `sequnce`/.test(e.message) && e.field === undefined, e.message);
      e = thrown(() => api.plan({ profile: fixtures.rtx4090, goal: { task: "lora" } }));
      check(e.code === "missing_field" && e.field === "goal.model", `${e.code} ${e.field}`);
    },

    "undefined is not set, and what JSON cannot hold is an error"() {
      same(api.estimate({ ...fixtures.gpt2, sequence: undefined }), api.estimate({ ...fixtures.gpt2, sequence: 2048 }), "undefined takes the default");
      let e = thrown(() => api.plan({ profile: fixtures.rtx4090, goal: { hours: NaN } }));
      check(e.field === "goal.hours" && /"NaN"/.test(e.message), e.message);
      e = thrown(() => api.estimate({ ...fixtures.gpt2, task: "lora", lora: { rank: 8, alpha: -Infinity } }));
      check(e.field === "lora.alpha" && /"-Infinity"/.test(e.message), e.message);
      const cyclic = { ...fixtures.gpt2 };
      cyclic.self = cyclic;
      e = thrown(() => api.estimate(cyclic));
      check(e.code === "invalid_json" && /cannot be written as JSON/.test(e.message), e.message);
      e = thrown(() => api.estimate({ ...fixtures.gpt2, micro_batch: 1n }));
      check(e.code === "invalid_json", e.message);
      for (const bad of [undefined, Symbol("x"), () => 1]) {
        check(thrown(() => api.estimate(bad)).code === "invalid_json", String(typeof bad));
      }
      // Still answering after all of that.
      check(api.estimate(fixtures.gpt2).parameters.total === 124_439_808, "still answering");
    },

    "parseProfile completes a profile given as text or object"() {
      const text = JSON.stringify({
        accelerators: [{ vendor: "nvidia", name: "NVIDIA GeForce RTX 4090", kind: "discrete",
          memory_total_bytes: { value: 25757220864, source: "user" } }],
      });
      const p = api.parseProfile(text);
      // Ada whitepaper, RTX 4090: 165.2 dense bf16 TFLOP/s.
      same(p.accelerators[0].peak_tflops.bf16, { value: 165.2, source: "catalogue" }, "bf16 peak");
      same(api.parseProfile(JSON.parse(text)), p, "object and text");
      const e = thrown(() => api.parseProfile({ schema_version: 9 }));
      check(e.code === "schema_version" && e.field === "schema_version", e.message);
    },

    "modelFromHfConfig reads a config.json"() {
      const config = fixtures.gpt2.model.hf_config;
      const spec = api.modelFromHfConfig(config);
      check(spec.layers === 12 && spec.hidden === 768, `${spec.layers} x ${spec.hidden}`);
      same(api.modelFromHfConfig(JSON.stringify(config)), spec, "text and object");
      const e = thrown(() => api.modelFromHfConfig({ model_type: "no_such_type" }));
      check(e.code === "unsupported_model_type" && e.field === "model_type", e.message);
    },

    "models and accelerators search their catalogues"() {
      const found = api.models("llama 3-8b");
      // Meta's published 8.03B parameters.
      check(found.some((m) => m.id === "llama-3-8b" && m.parameters === 8_030_261_248), "llama-3-8b");
      check(api.models().length >= found.length && api.models(undefined).length > 0, "all models");
      const gpus = api.accelerators("4090");
      check(gpus.length === 1 && gpus[0].name === "NVIDIA GeForce RTX 4090", JSON.stringify(gpus));
      check(gpus[0].tflops.bf16 === 165.2 && gpus[0].memory_gib === 24, "4090 figures");
      check(api.accelerators().length > 40, "the whole catalogue");
      check(thrown(() => api.models(5)).code === "invalid_field", "a number is no query");
    },

    "version names the crate and every document's schema"() {
      const v = api.version();
      check(/^\d+\.\d+\.\d+/.test(v.trainfit), v.trainfit);
      check(v.estimate === 1 && v.plan === 2 && v.hardware_profile === 2, JSON.stringify(v));
    },
  };
}
