// What the browser said about its hardware, in words, and its "is this your GPU?" candidates.

import type { BrowserHardware } from "trainfit/web/lean";
import { byId, fill, h } from "./dom";
import { gib } from "./units";

/** One sentence on the browser's answer: a GPU, a software adapter (never a GPU), or none. */
export function describeDetected(hw: BrowserHardware): string {
  const p = hw.profile;
  const cores = p.cpu?.logical_cores?.value;
  const ram = p.memory?.total_bytes?.value;
  const host = `${cores ? `${cores} CPU threads` : "CPU threads unknown"} · ${ram ? `${gib(ram)} RAM` : "RAM unknown"}`;
  const a = p.accelerators?.[0];
  if (!hw.webgpu || !a) {
    const why = p.errors?.[0]?.message ?? "no WebGPU adapter";
    return `No GPU visible to the browser (${why}). Planning for the CPU: ${host}, estimated.`;
  }
  if (a.kind === "cpu") {
    return `WebGPU answers with a software adapter (${hw.webgpu.architecture || hw.webgpu.vendor || "unnamed"}), not a GPU, so the plan runs on the CPU: ${host}, estimated.`;
  }
  const name = a.name ?? `${hw.webgpu.vendor} ${hw.webgpu.architecture}`;
  if (!a.memory_total_bytes) {
    return `GPU: ${name}. The browser does not say how much memory it has: pick it below to plan on it; until then the plan runs on the CPU (${host}), estimated.`;
  }
  return `GPU: ${name} (${gib(a.memory_total_bytes.value)}) · ${host}, all estimated from what the browser reports.`;
}

/** Shows the answer and a button per candidate; `pick` gets the chosen catalogue name. */
export function showDetected(hw: BrowserHardware, pick: (name: string) => void): void {
  byId("detected-summary").textContent = describeDetected(hw);
  byId("candidates").hidden = hw.candidates.length === 0;
  fill(
    byId("candidate-buttons"),
    ...hw.candidates.slice(0, 6).map((c) => {
      const b = h("button", { type: "button", class: "chip-button", "data-candidate": c.name }, `${c.name} · ${c.memory_gib} GiB`);
      b.addEventListener("click", () => pick(c.name));
      return b;
    }),
  );
}
