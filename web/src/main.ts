// The page: reads what the visitor typed, plans in the browser as they type, and shows the three
// configurations, the charts and the hardware comparison. Nothing leaves the browser.

import init, { detectBrowserHardware, version, type BrowserHardware, type Plan, type PlanRequest } from "trainfit/web/lean";
import "./style.css";
import { allAccelerators, allModels } from "./catalogue";
import { cards, commonWarnings, modeName, verdictIcon, verdictOf, VERDICT_WORDS, warningList } from "./cards";
import { compareRow, compareTable, type CompareRow, type SortState } from "./compare";
import { curves } from "./curves";
import { showDetected } from "./detection";
import { byId, fill, h } from "./dom";
import { DEFAULT_COMPARE, defaults, KNOBS, readFragment, RUN_FIELDS, shareFragment, type Inputs } from "./inputs";
import { buildKnobs, updateKnobs } from "./knobs";
import { applyTheme, storedTheme, storeTheme } from "./theme";
import { build, catalogueAccelerator, planError, TASK_KNOBS, TASK_RUN_FIELDS, type FieldError, type Provenance } from "./request";
import { LINK_CLASSES } from "./cluster";
import { renderMachines } from "./machines";
import { heteroVerdict, heteroView, heteroWords } from "./hetero";
import { clusterSummary, meshes } from "./mesh";
import { gib, si } from "./units";
import { compileModule, peaksOff, planOff, startPlanner, thrown } from "./planner";

interface Result {
  plan: Plan;
  request: PlanRequest;
  provenance: Provenance;
  inputs: Inputs;
}

let inputs: Inputs = defaults();
let detected: BrowserHardware | null = null;
let last: Result | null = null;
let sort: SortState = { key: "", ascending: true };
let generation = 0;
let renders = 0;
/** When the input event that started the pending computation happened (performance.now()). */
let inputAt: number | null = null;
let pending = false;
let announced = "";
/** Compare rows of the last goal, by machine, so a change of hardware alone plans none again. */
let compareCache: { goal: string; rows: Map<string, CompareRow> } = { goal: "", rows: new Map() };

const form = () => byId<HTMLFormElement>("inputs");
const output = () => byId<HTMLElement>("output");

// --- the form ---------------------------------------------------------------------------------

function control(name: string): HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
  return byId(name);
}

function radio(name: string): string {
  return document.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? "";
}

function setRadio(name: string, value: string): void {
  for (const r of document.querySelectorAll<HTMLInputElement>(`input[name="${name}"]`)) r.checked = r.value === value;
}

/** The inputs as the form holds them now. */
function readForm(): Inputs {
  const next: Inputs = {
    ...inputs,
    hardware: radio("hardware") as Inputs["hardware"],
    accelerator: control("accelerator").value,
    count: control("count").value,
    memory: control("memory").value,
    ram: control("ram").value,
    cores: control("cores").value,
    profile: control("profile").value,
    cluster: control("cluster").value,
    counts: { ...inputs.counts },
    link: control("link").value,
    bandwidth: control("bandwidth").value,
    model: radio("model") as Inputs["model"],
    modelId: control("modelId").value,
    config: control("config").value,
    task: control("task").value as Inputs["task"],
    knobs: { ...inputs.knobs },
    run: { ...inputs.run },
  };
  for (const k of KNOBS) next.knobs[k] = control(k).value;
  for (const k of RUN_FIELDS) next.run[k] = k === "phases" ? (byId<HTMLInputElement>("phases").checked ? "2" : "") : control(k).value;
  // A machine's count is the visitor's once they have typed in it.
  for (const c of document.querySelectorAll<HTMLInputElement>("input[data-machine][data-edited]")) next.counts[c.dataset.machine!] = c.value;
  return next;
}

function writeForm(i: Inputs): void {
  setRadio("hardware", i.hardware);
  setRadio("model", i.model);
  setRadio("chosen", i.chosen);
  for (const k of ["accelerator", "count", "memory", "ram", "cores", "profile", "cluster", "link", "bandwidth", "modelId", "config", "task"] as const) control(k).value = i[k];
  for (const k of KNOBS) control(k).value = i.knobs[k];
  for (const k of RUN_FIELDS) {
    if (k === "phases") byId<HTMLInputElement>("phases").checked = i.run.phases !== "";
    else control(k).value = i.run[k];
  }
  showPanels(i);
  renderCompareList();
}

/** Shows the panel of the chosen hardware and model source, and the knobs of the task. */
function showPanels(i: Inputs): void {
  for (const p of byId("hardware-group").querySelectorAll<HTMLElement>(".panel")) p.hidden = p.dataset.panel !== i.hardware;
  for (const p of byId("model-group").querySelectorAll<HTMLElement>(".panel")) p.hidden = p.dataset.panel !== i.model;
  updateKnobs(TASK_KNOBS[i.task] ?? [], last?.plan ?? null);
  // The run's fields of the task only: the others keep what was typed but are not sent.
  const sent = TASK_RUN_FIELDS[i.task] ?? [];
  for (const g of byId("run-box").querySelectorAll<HTMLElement>("[data-run-group]")) {
    g.hidden = ![...g.querySelectorAll<HTMLElement>("input, select")].some((c) => (sent as readonly string[]).includes(c.id));
  }
  for (const k of ["phase_b_share", "phase_b_sequence"] as const) control(k).disabled = i.run.phases === "";
  const info = byId("model-info");
  const m = allModels().find((x) => x.id === i.modelId.trim());
  fill(info, m ? `${m.repo} · ${si(m.parameters)} parameters · ${m.family}` : "");
  showProfileSummary(i);
}

/** What a pasted profile describes, in words (as text: host names come from the document). */
function showProfileSummary(i: Inputs): void {
  const el = byId("profile-summary");
  if (i.hardware !== "profile" || !last || last.inputs.profile !== i.profile) {
    fill(el);
    return;
  }
  // The page builds every request with a profile; a cluster request has none.
  const p = last.request.profile;
  if (!p) {
    fill(el);
    return;
  }
  const host = p.hostname ? `host ${p.hostname} · ` : "";
  fill(el, `Read: ${host}${p.accelerators?.length ?? 0} accelerator(s) · ${p.memory?.total_bytes ? gib(p.memory.total_bytes.value) + " RAM" : "RAM unknown"}`);
}

// --- errors -----------------------------------------------------------------------------------

function clearErrors(): void {
  for (const e of document.querySelectorAll<HTMLElement>(".field-error:not(#err-compare)")) {
    e.hidden = true;
    fill(e);
  }
  for (const c of document.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
}

/** Each error next to its field, with the field's path; the field keeps what was typed. */
function showErrors(errors: FieldError[]): void {
  for (const e of errors) {
    const slot = document.getElementById(`err-${e.target}`) ?? byId("err-request");
    slot.hidden = false;
    // serde's "… is not valid: at `path`: " repeats the path shown before the message.
    const message = e.path ? e.message.replace(/^.*? is not valid: at `[^`]*`: /, "") : e.message;
    slot.append(h("span", { class: "error-line" }, e.path ? h("code", { class: "path" }, e.path) : null, e.path ? " " : null, message));
    document.getElementById(e.target)?.setAttribute("aria-invalid", "true");
  }
  announce(`${errors.length === 1 ? "One field needs" : `${errors.length} fields need`} fixing: ${errors.map((e) => e.path || e.target).join(", ")}`);
}

function markStale(stale: boolean): void {
  output().dataset.stale = String(stale && last !== null);
  byId("stale").hidden = !(stale && last !== null);
  if (stale && last === null) fill(byId("summary"), h("p", { class: "loading" }, "Fix the field marked in red to see results."));
}

function announce(text: string): void {
  if (text === announced) return;
  announced = text;
  byId("status").textContent = text;
}

// --- computing --------------------------------------------------------------------------------

/** Plans on the next task: keystrokes that arrive together are planned once. */
function schedule(at?: number): void {
  if (at !== undefined && inputAt === null) inputAt = at;
  if (pending) return;
  pending = true;
  setTimeout(() => {
    pending = false;
    void compute();
  }, 0);
}

async function compute(): Promise<void> {
  const gen = ++generation;
  const planned = structuredClone(inputs);
  const built = build(planned, detected?.profile ?? null);
  renderMachines(built, planned);
  if (!built.ok) {
    clearErrors();
    showErrors(built.errors);
    markStale(true);
    inputAt = null;
    return;
  }
  // The plan comes from the planner's thread; meanwhile the page takes keystrokes, and an answer
  // that a newer computation (or one about to start) has overtaken is never shown.
  const answer = await planOff(built.request, gen);
  if (answer === null || gen !== generation || pending) return;
  clearErrors();
  if (!answer.ok) {
    showErrors([planError(planned, thrown(answer), built.cluster?.pageLink ?? -1)]);
    markStale(true);
    inputAt = null;
    return;
  }
  const p: Plan = answer.value;
  last = { plan: p, request: built.request, provenance: built.provenance, inputs: planned };
  markStale(false);
  render(last);
  renders += 1;
  output().dataset.renders = String(renders);
  if (renders === 1) performance.mark("trainfit:first-results");
  // Timings for web/bench.mjs, in the page's Performance timeline (DevTools shows them too).
  const started = inputAt;
  if (started !== null) {
    performance.measure("trainfit:input-to-results", { start: started, end: performance.now() });
    inputAt = null;
  }
  setTimeout(() => deferred(gen, started), 0);
}

const PROVENANCE: Record<Provenance, [string, string]> = {
  measured: ["exact", "Exact: figures measured by trainfit probe"],
  catalogue: ["catalogue", "Catalogue figures for this accelerator"],
  user: ["user", "Your figures"],
  estimated: ["estimated", "Estimated from what this browser reports; paste trainfit probe --json for exact results"],
};

function summary(r: Result): HTMLElement {
  const d = r.plan.device;
  const [badge, words] = PROVENANCE[r.provenance];
  const machines = r.request.cluster?.machines ?? [];
  if (r.plan.hetero?.length) {
    const devices = machines.reduce((n, m) => n + (typeof m.count === "number" ? m.count : 1), 0);
    return h(
      "div",
      { class: "summary-inner" },
      h("p", { class: "device-line" }, h("span", { class: `badge b-${badge}`, "data-provenance": r.provenance }, badge), " ", h("strong", { class: "device-name" }, `${devices} machines of unequal devices`), ` · ${d.precision} · ${d.framework}`),
      h("p", { class: "hint" }, words),
    );
  }
  const speed = d.peak_tflops === null ? "speed unknown" : `${d.peak_tflops} TFLOP/s peak each`;
  return h(
    "div",
    { class: "summary-inner" },
    h("p", { class: "device-line" }, h("span", { class: `badge b-${badge}`, "data-provenance": r.provenance }, badge), " ", h("strong", { class: "device-name", "data-class": d.class }, d.name), ` × ${d.count} · ${gib(d.usable_bytes)} usable each · ${d.precision} · ${d.attention} · ${speed} · score ${d.count ? r.plan.score.value.toFixed(1) : "0"}/10`),
    h("p", { class: "hint" }, words, r.request.profile?.hostname ? ` · host ${r.request.profile.hostname}` : ""),
  );
}

function render(r: Result): void {
  for (const id of ["charts-block", "compare-block", "request-details"]) byId(id).hidden = false;
  // Unequal devices have no configuration to chart: each device has its own share.
  byId("charts-block").hidden = r.plan.configurations.length === 0;
  fill(byId("summary"), summary(r));
  fill(byId("cluster-summary"), clusterSummary(r.plan, r.request));
  fill(
    byId("plan-notes"),
    warningList([...r.plan.warnings, ...commonWarnings(r.plan)], "warnings about the machine and every configuration"),
    warningList(r.plan.suggestions, "suggestions"),
  );
  const open = new Set([...document.querySelectorAll<HTMLDetailsElement>("#cards details[open]")].map((d) => d.dataset.key));
  fill(byId("cards"), cards(r.plan, inputs.chosen));
  for (const d of document.querySelectorAll<HTMLDetailsElement>("#cards details")) if (open.has(d.dataset.key)) d.open = true;
  // The meshes keep the visitor's open and folded ones; the first time, the charted one is open.
  const view = byId("cluster-view");
  const before = [...view.querySelectorAll<HTMLDetailsElement>("details[data-key]")];
  const meshOpen = before.some((d) => d.classList.contains("mesh-mode")) ? new Set(before.filter((d) => d.open).map((d) => d.dataset.key!)) : null;
  const moreOpen = new Set(before.filter((d) => d.open).map((d) => d.dataset.key));
  fill(view, heteroView(r.plan), meshes(r.plan, inputs.chosen, meshOpen));
  for (const d of view.querySelectorAll<HTMLDetailsElement>("details.more")) if (moreOpen.has(d.dataset.key)) d.open = true;
  showRequest();
  updateKnobs(TASK_KNOBS[inputs.task] ?? [], r.plan);
  showProfileSummary(inputs);
  const hetero = r.plan.hetero ?? [];
  announce([...r.plan.configurations.map((c) => `${modeName(c.mode)}: ${VERDICT_WORDS[verdictOf(c)].toLowerCase()}`), ...hetero.map((m) => `${modeName(m.mode)}: ${heteroWords(m).toLowerCase()}`)].join(", "));
  // The verdicts again at the top, for a narrow screen where the results are below the form.
  byId("verdict-strip").hidden = false;
  fill(
    byId("verdict-list"),
    ...r.plan.configurations.map((c) => {
      const v = verdictOf(c);
      return h("span", { class: "strip-item" }, h("span", { class: "strip-mode" }, modeName(c.mode)), h("span", { class: `strip-verdict v-${v}` }, verdictIcon(v), h("span", { class: "visually-hidden" }, ` ${VERDICT_WORDS[v]}, `), gib(c.memory.peak_bytes)));
    }),
    ...hetero.map((m) => {
      const v = heteroVerdict(m);
      return h("span", { class: "strip-item" }, h("span", { class: "strip-mode" }, modeName(m.mode)), h("span", { class: `strip-verdict v-${v}` }, verdictIcon(v), heteroWords(m)));
    }),
  );
}

/** The plan request as JSON, written when its disclosure is open (a probe profile makes it
 * tens of kilobytes: not work for every keystroke). */
function showRequest(): void {
  if (last && byId<HTMLDetailsElement>("request-details").open) byId("request-json").textContent = JSON.stringify(last.request, null, 2);
}

/** The charts, then the compare rows one task each; a newer computation stops this one. */
function deferred(gen: number, started: number | null): void {
  if (gen !== generation || !last) return;
  void renderCharts(last, gen);
  renderCompare(gen, () => {
    if (started !== null) performance.measure("trainfit:input-to-everything", { start: started, end: performance.now() });
  });
}

/** The charts of the chosen configuration, their points estimated on the planner's thread. */
async function renderCharts(r: Result, gen: number): Promise<void> {
  const c = r.plan.configurations.find((x) => x.mode === inputs.chosen) ?? r.plan.configurations[0];
  const el = byId("charts");
  const drawn = renders;
  if (c) {
    const chart = await curves(r.plan, c, r.request.goal?.model, async (requests) => (await peaksOff(requests, gen))?.map((a) => (a.ok ? a.value : null)) ?? null);
    if (!chart || gen !== generation) return;
    const open = new Set([...el.querySelectorAll<HTMLDetailsElement>("details[open]")].map((d) => d.dataset.key));
    fill(el, chart);
    for (const d of el.querySelectorAll<HTMLDetailsElement>("details")) if (open.has(d.dataset.key)) d.open = true;
  }
  el.dataset.done = String(drawn);
}

function renderCompare(gen: number, done?: () => void): void {
  if (!last) return;
  const goal = last.request.goal ?? {};
  const key = JSON.stringify(goal);
  if (compareCache.goal !== key) compareCache = { goal: key, rows: new Map() };
  const table = byId("compare-table");
  table.dataset.done = "false";
  const entries = inputs.compare;
  const draw = () => {
    const rows = entries.map((e) => compareCache.rows.get(`${e.name}|${e.count}`)).filter((r): r is CompareRow => r !== undefined);
    const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.sort : undefined;
    fill(table, compareTable(rows, inputs.chosen, inputs.task === "serve", sort, onSort));
    if (focused) table.querySelector<HTMLElement>(`[data-sort="${focused}"]`)?.focus();
  };
  const step = async (i: number) => {
    if (gen !== generation) return;
    if (i >= entries.length) {
      draw();
      table.dataset.done = "true";
      done?.();
      return;
    }
    const e = entries[i]!;
    const k = `${e.name}|${e.count}`;
    if (!compareCache.rows.has(k)) {
      const row = await compareRow(e, goal, gen);
      if (row === null || gen !== generation) return;
      compareCache.rows.set(k, row);
      draw();
    }
    setTimeout(() => void step(i + 1), 0);
  };
  void step(0);
}

function onSort(key: string): void {
  sort = sort.key === key ? { key, ascending: !sort.ascending } : { key, ascending: key === "machine" };
  renderCompare(generation);
}

// --- the compare list ---------------------------------------------------------------------------

function renderCompareList(): void {
  const list = byId("compare-list");
  fill(
    list,
    ...inputs.compare.map((e, i) => {
      const remove = h("button", { type: "button", class: "chip-remove", "aria-label": `Remove ${e.name} × ${e.count}` }, "×");
      remove.addEventListener("click", () => {
        inputs.compare = inputs.compare.filter((_, j) => j !== i);
        changed();
        renderCompareList();
        (list.querySelectorAll("button")[Math.min(i, inputs.compare.length - 1)] as HTMLElement | undefined ?? byId("compare-name")).focus();
      });
      return h("li", { class: "chip" }, h("span", {}, `${e.name} × ${e.count}`), remove);
    }),
  );
}

function addCompare(): void {
  const err = byId("err-compare");
  fill(err);
  err.hidden = true;
  const name = control("compare-name").value;
  const spec = catalogueAccelerator(name);
  const countText = control("compare-count").value.trim();
  const n = Number(countText);
  const problems: string[] = [];
  if (typeof spec === "string") problems.push(spec);
  if (!Number.isSafeInteger(n) || n < 1 || n > 4096) problems.push(`field \`count\` is "${countText}", expected a whole number from 1 to 4096`);
  if (problems.length || typeof spec === "string") {
    err.hidden = false;
    fill(err, problems.join("; "));
    control("compare-name").setAttribute("aria-invalid", "true");
    return;
  }
  control("compare-name").removeAttribute("aria-invalid");
  if (!inputs.compare.some((e) => e.name === spec.name && e.count === n)) inputs.compare = [...inputs.compare, { name: spec.name, count: n }];
  control("compare-name").value = "";
  renderCompareList();
  changed();
}

// --- sharing ------------------------------------------------------------------------------------

let hashTimer: ReturnType<typeof setTimeout> | undefined;

/** Rewrites the address's fragment with the inputs, so the address bar is always a link to this
 * state (a reload keeps it). */
function rememberInAddress(): void {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(async () => {
    history.replaceState(null, "", await shareFragment(inputs));
  }, 250);
}

/** A link to this page with this state. The browser's own detection is written into it as a
 * profile, so whoever opens it sees the same hardware, not theirs. */
async function shareLink(): Promise<string> {
  let shared = inputs;
  if (inputs.hardware === "detected" && detected) {
    shared = { ...inputs, hardware: "profile", profile: JSON.stringify(detected.profile, null, 2) };
  }
  return `${location.origin}${location.pathname}${await shareFragment(shared)}`;
}

function say(text: string): void {
  byId("share-status").textContent = text;
}

async function copy(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    say(`${what} copied.`);
  } catch (e) {
    say(`The browser refused the clipboard (${(e as Error).message}); the address bar holds the link.`);
  }
}

function download(): void {
  if (!last) return;
  const blob = new Blob([JSON.stringify(last.plan, null, 2)], { type: "application/json" });
  const a = h("a", { href: URL.createObjectURL(blob), download: "trainfit-plan.json" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  say("Plan JSON downloaded as trainfit-plan.json.");
}

// --- wiring -------------------------------------------------------------------------------------

/** Something the visitor typed or chose changed the inputs. */
function changed(at?: number): void {
  showPanels(inputs);
  rememberInAddress();
  schedule(at ?? performance.now());
}

async function readDropped(file: File): Promise<void> {
  const text = await file.text();
  control("profile").value = text;
  setRadio("hardware", "profile");
  inputs = readForm();
  changed();
}

/** Several files dropped or chosen at once: the cluster field holds them, one after another. */
async function readCluster(files: File[]): Promise<void> {
  const texts = await Promise.all(files.map((f) => f.text()));
  control("cluster").value = texts.map((t) => t.trim()).join("\n");
  setRadio("hardware", "cluster");
  inputs = readForm();
  changed();
}

function wire(): void {
  const f = form();
  f.addEventListener("submit", (e) => e.preventDefault());
  const onInput = (e: Event) => {
    if (e.target instanceof HTMLInputElement && e.target.dataset.machine !== undefined) e.target.dataset.edited = "1";
    inputs = readForm();
    changed(e.timeStamp);
  };
  f.addEventListener("input", onInput);
  f.addEventListener("change", onInput);
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="chosen"]')) {
    r.addEventListener("change", () => {
      inputs = { ...inputs, chosen: r.value as Inputs["chosen"] };
      for (const c of document.querySelectorAll<HTMLElement>(".card")) c.classList.toggle("chosen", c.dataset.mode === inputs.chosen);
      rememberInAddress();
      if (last) {
        void renderCharts(last, generation);
        renderCompare(generation);
      }
    });
  }
  const profilePanel = document.querySelector<HTMLElement>('[data-panel="profile"]')!;
  for (const target of [profilePanel, control("profile")]) {
    target.addEventListener("dragover", (e) => {
      e.preventDefault();
      profilePanel.classList.add("dropping");
    });
    target.addEventListener("dragleave", () => profilePanel.classList.remove("dropping"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      profilePanel.classList.remove("dropping");
      const file = (e as DragEvent).dataTransfer?.files[0];
      if (file) void readDropped(file);
    });
  }
  byId<HTMLInputElement>("profile-file").addEventListener("change", (e) => {
    e.stopPropagation();
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) void readDropped(file);
  });
  const clusterPanel = document.querySelector<HTMLElement>('[data-panel="cluster"]')!;
  for (const target of [clusterPanel, control("cluster")]) {
    target.addEventListener("dragover", (e) => {
      e.preventDefault();
      clusterPanel.classList.add("dropping");
    });
    target.addEventListener("dragleave", () => clusterPanel.classList.remove("dropping"));
    target.addEventListener("drop", (e) => {
      e.preventDefault();
      e.stopPropagation();
      clusterPanel.classList.remove("dropping");
      const files = [...((e as DragEvent).dataTransfer?.files ?? [])];
      if (files.length) void readCluster(files);
    });
  }
  byId<HTMLInputElement>("cluster-file").addEventListener("change", (e) => {
    e.stopPropagation();
    const files = [...((e.target as HTMLInputElement).files ?? [])];
    if (files.length) void readCluster(files);
  });
  byId("compare-add").addEventListener("click", addCompare);
  control("compare-name").addEventListener("keydown", (e) => {
    if ((e as KeyboardEvent).key === "Enter") {
      e.preventDefault();
      addCompare();
    }
  });
  byId("compare-reset").addEventListener("click", () => {
    inputs.compare = DEFAULT_COMPARE.map((e) => ({ ...e }));
    renderCompareList();
    changed();
  });
  byId("copy-link").addEventListener("click", async () => copy(await shareLink(), "Link"));
  byId("copy-plan").addEventListener("click", () => (last ? copy(JSON.stringify(last.plan, null, 2), "Plan JSON") : say("No plan yet.")));
  byId("download-plan").addEventListener("click", download);
  byId("request-details").addEventListener("toggle", showRequest);
  const toResults = (e: Event) => {
    // The fragment holds the state: a jump must not replace it.
    e.preventDefault();
    byId("results").focus();
    byId("results").scrollIntoView();
  };
  document.querySelector<HTMLAnchorElement>(".skip")!.addEventListener("click", toResults);
  byId("verdict-strip").addEventListener("click", toResults);
  const theme = control("theme");
  theme.value = storedTheme();
  theme.addEventListener("change", () => {
    applyTheme(theme.value);
    storeTheme(theme.value);
  });
  window.addEventListener("hashchange", async () => {
    const frag = await readFragment(location.hash);
    if (frag.inputs) {
      inputs = frag.inputs;
      writeForm(inputs);
      schedule();
    }
  });
}

async function boot(): Promise<void> {
  applyTheme(storedTheme());
  // The fragment decompresses while the module compiles: neither needs the other.
  const fragment = readFragment(location.hash);
  // Compiled once, here, and handed to the planner's thread as well (a module is cloned to a
  // worker without compiling it again).
  const module = compileModule();
  await init({ module_or_path: module });
  startPlanner(await module, () => generation);
  byId("version").textContent = version().trainfit;
  fill(byId("accelerator-list"), ...allAccelerators().map((a) => h("option", { value: a.name }, `${a.memory_gib} GiB · ${a.vendor}`)));
  fill(byId("model-list"), ...allModels().map((m) => h("option", { value: m.id }, `${m.repo} · ${si(m.parameters)}`)));
  buildKnobs(byId("knobs"));
  byId("link").append(...LINK_CLASSES.map((l) => h("option", { value: l.value }, l.label)));
  const frag = await fragment;
  if (frag.error) say(frag.error);
  inputs = frag.inputs ?? defaults();
  writeForm(inputs);
  // On a phone the optional settings start folded, so the results are a short scroll away;
  // never when one of them holds a value.
  if (matchMedia("(max-width: 700px)").matches) {
    if (KNOBS.every((k) => !inputs.knobs[k].trim())) byId<HTMLDetailsElement>("knob-box").open = false;
    if (RUN_FIELDS.every((k) => !inputs.run[k].trim())) byId<HTMLDetailsElement>("run-box").open = false;
  }
  wire();
  const detection = detectBrowserHardware().then(
    (hw) => {
      detected = hw;
      showDetected(hw, (name) => {
        inputs = { ...inputs, hardware: "catalogue", accelerator: name, count: "1", memory: "" };
        writeForm(inputs);
        changed();
        control("accelerator").focus();
      });
      if (inputs.hardware === "detected") schedule();
    },
    (e: Error) => {
      byId("detected-summary").textContent = `The browser's hardware could not be read (${e.message}); pick a machine from the catalogue.`;
    },
  );
  if (inputs.hardware !== "detected") schedule();
  await detection;
}

boot().catch((e: Error) => {
  fill(byId("summary"), h("p", { class: "field-error" }, `The planner did not start: ${e.message}`));
});

