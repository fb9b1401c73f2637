// "Run it": a configuration as the files of an engine, from the package's `exportPlan` (fast and
// pure, so it runs on the page's thread when the visitor picks a format). Every format of the
// configuration's kind is offered; a format that cannot express the configuration shows the
// package's reason, never nothing. The exporter is a module of its own (web/src/exporter.ts),
// loaded when the first panel opens.

import type { Configuration, ExportFile, Format, FormatInfo, Plan } from "trainfit/web/lean";
import { disclosure, fill, h } from "./dom";

type Exporter = typeof import("./exporter");

/** The format and dataset the visitor chose per mode, kept across re-renders of the cards. */
const chosen = new Map<string, Format>();
const datasets = new Map<string, string>();
let listed: FormatInfo[] | null = null;
let exporter: Promise<Exporter> | null = null;

/** The exporter, fetched and instantiated once; after a failure (the network), the next panel
 * to open tries again. */
function loadExporter(): Promise<Exporter> {
  exporter ??= import("./exporter").catch((e: unknown) => {
    exporter = null;
    throw e;
  });
  return exporter;
}

function download(file: ExportFile): void {
  const a = h("a", { href: URL.createObjectURL(new Blob([file.text], { type: file.media_type })), download: file.name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function fileView(file: ExportFile, mode: string, say: (t: string) => void): HTMLElement {
  const copy = h("button", { type: "button", class: "quiet" }, "Copy");
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(file.text).then(
      () => say(`${file.name} copied.`),
      (e: Error) => say(`The browser refused the clipboard (${e.message}); use Download.`),
    );
  });
  const save = h("button", { type: "button", class: "quiet" }, "Download");
  save.addEventListener("click", () => {
    download(file);
    say(`${file.name} downloaded.`);
  });
  return h(
    "div",
    { class: "export-file", "data-name": file.name },
    h("div", { class: "export-head" }, h("code", { class: "export-name" }, file.name), h("span", { class: "muted" }, file.media_type), h("span", { class: "export-actions" }, copy, save)),
    h("pre", { class: "code export-text", tabindex: 0, role: "region", "aria-label": `${file.name}, ${mode}` }, file.text),
  );
}

/** The collapsed "Run it" panel of one configuration. Its content is built when it opens, once
 * the exporter is loaded; until then it says so. */
export function runIt(plan: Plan, c: Configuration): HTMLElement {
  const d = disclosure({ class: "more runit", "data-key": `runit-${c.mode}` }, ["Run it"], () => {
    const opened = performance.now();
    const loading = h("p", { class: "hint", role: "status" }, "Loading the exporter\u2026");
    loadExporter().then(
      (x) => {
        loading.replaceWith(...panel(x, plan, c));
        // From the panel's toggle to its files in the page (docs/performance.md).
        performance.measure("trainfit:runit-to-files", { start: opened, end: performance.now() });
      },
      (e: unknown) => loading.replaceWith(h("p", { class: "export-refused", role: "alert" }, `The exporter did not load: ${(e as Error).message ?? String(e)}. Close and open Run it to try again.`)),
    );
    return [loading];
  });
  // A pointer over the summary, or focus on it, usually comes just before the click or key that
  // opens it: fetching then takes the download off the wait, while a visit that never comes
  // near Run it still never fetches the exporter.
  const summary = d.querySelector("summary");
  for (const event of ["pointerenter", "focus"]) summary?.addEventListener(event, () => void loadExporter().catch(() => {}), { once: true });
  return d;
}

/** A panel's content: the format, the dataset path, the files. */
function panel(x: Exporter, plan: Plan, c: Configuration): HTMLElement[] {
  const kind = c.task === "serve" ? "serving" : "training";
  const formats = (listed ??= x.exportFormats()).filter((f) => f.kind === kind);
  const id = `runit-${c.mode}`;
  const select = h("select", { id: `${id}-format` }, ...formats.map((f) => h("option", { value: f.format }, f.format)));
  select.value = chosen.get(c.mode) ?? formats[0]?.format ?? "";
  const dataset = h("input", { id: `${id}-dataset`, type: "text", placeholder: "<DATASET_PATH>", spellcheck: "false", autocomplete: "off" });
  dataset.value = datasets.get(c.mode) ?? "";
  const about = h("p", { class: "hint" });
  const status = h("p", { class: "hint", role: "status" });
  const files = h("div", { class: "export-files" });
  const say = (t: string) => (status.textContent = t);
  const show = () => {
    const format = select.value as Format;
    chosen.set(c.mode, format);
    datasets.set(c.mode, dataset.value);
    about.textContent = formats.find((f) => f.format === format)?.description ?? "";
    say("");
    try {
      const out = x.exportPlan(plan, c.mode, format, dataset.value.trim() ? { dataset: dataset.value.trim() } : undefined);
      fill(files, ...out.map((file) => fileView(file, c.mode, say)));
    } catch (e) {
      fill(files, h("p", { class: "export-refused", role: "alert" }, (e as Error).message));
    }
  };
  select.addEventListener("change", show);
  dataset.addEventListener("input", show);
  show();
  const inputs = h(
    "div",
    { class: "runit-inputs" },
    h("div", {}, h("label", { for: select.id }, "Format"), select),
    kind === "training" ? h("div", {}, h("label", { for: dataset.id }, "Dataset path"), dataset) : null,
  );
  return [inputs, about, files, status];
}
