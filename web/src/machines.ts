// The cluster field's machines, under it: one row per machine (identical ones folded), each with
// its name, what it is, and a count to edit, and the slot for that count's error.

import { machineSummary } from "./cluster";
import { byId, fill, h } from "./dom";
import type { Inputs } from "./inputs";
import type { Built } from "./request";

/** The machines' names when the rows were last built. */
let machineKey = "";

/** The rows of the cluster of `built`, rebuilt only when its machines change, so a count being
 * typed keeps its focus; each count shows what was typed, else the documents' count. */
export function renderMachines(built: Built, inputs: Inputs): void {
  const list = byId("machine-list");
  const groups = inputs.hardware === "cluster" ? (built.cluster?.groups ?? []) : [];
  const key = groups.map((g) => g.name).join("\u0000");
  if (key !== machineKey) {
    machineKey = key;
    fill(
      list,
      ...groups.map((g, i) =>
        h(
          "li",
          { class: "machine" },
          h("div", { class: "machine-text" }, h("strong", { class: "machine-name" }, g.name), h("span", { class: "muted machine-what" }, machineSummary(g.profile), g.folded > 1 ? ` · ${g.folded} identical, folded` : "")),
          h(
            "div",
            { class: "field machine-count" },
            h("label", { for: `machine-${i}` }, "Count", h("span", { class: "visually-hidden" }, ` of ${g.name}`)),
            h("input", { id: `machine-${i}`, "data-machine": g.name, inputmode: "numeric", autocomplete: "off", "aria-describedby": `err-machine-${i}` }),
          ),
          h("p", { class: "field-error", id: `err-machine-${i}`, hidden: true }),
        ),
      ),
    );
  }
  groups.forEach((g, i) => {
    const el = document.getElementById(`machine-${i}`) as HTMLInputElement | null;
    if (!el) return;
    if (document.activeElement !== el) el.value = inputs.counts[g.name] ?? String(g.count);
    if (inputs.counts[g.name] !== undefined) el.dataset.edited = "1";
  });
}

