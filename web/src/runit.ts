// "Run it": a configuration as the files of an engine, from the package's `exportPlan` (fast and
// pure, so it runs on the page's thread when the visitor picks a format). Every format of the
// configuration's kind is offered; a format that cannot express the configuration shows the
// package's reason, never nothing.

import { exportFormats, exportPlan, type Configuration, type ExportFile, type Format, type FormatInfo, type Plan } from "trainfit/web";
import { disclosure, fill, h } from "./dom";

/** The format and dataset the visitor chose per mode, kept across re-renders of the cards. */
const chosen = new Map<string, Format>();
const datasets = new Map<string, string>();
let listed: FormatInfo[] | null = null;

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

/** The collapsed "Run it" panel of one configuration. */
export function runIt(plan: Plan, c: Configuration): HTMLElement {
  const kind = c.task === "serve" ? "serving" : "training";
  const formats = (listed ??= exportFormats()).filter((f) => f.kind === kind);
  return disclosure({ class: "more runit", "data-key": `runit-${c.mode}` }, ["Run it"], () => {
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
        const out = exportPlan(plan, c.mode, format, dataset.value.trim() ? { dataset: dataset.value.trim() } : undefined);
        fill(files, ...out.map((file) => fileView(file, c.mode, say)));
      } catch (e) {
        fill(files, h("p", { class: "export-refused", role: "alert" }, (e as Error).message));
      }
    };
    select.addEventListener("change", show);
    dataset.addEventListener("input", show);
    show();
    return [
      h(
        "div",
        { class: "runit-inputs" },
        h("div", {}, h("label", { for: select.id }, "Format"), select),
        kind === "training" ? h("div", {}, h("label", { for: dataset.id }, "Dataset path"), dataset) : null,
      ),
      about,
      files,
      status,
    ];
  });
}
