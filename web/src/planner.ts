// The page's side of the planner's thread (web/src/planner.worker.ts): calls that resolve to the
// answers of `plan` and `estimate`, one batch at a time. A call whose computation is no longer
// the page's latest when its turn comes is never sent (it resolves to `null`), so after a burst
// of keystrokes the worker plans the last state, not every one in between.

import type { EstimateRequest, Plan, PlanRequest } from "trainfit/web/lean";
import wasmUrl from "trainfit/web/lean/trainfit_bg.wasm?url";

/** The package's module, compiled while it downloads where the server says it is WebAssembly:
 * the page instantiates it for itself and hands it to the planner's thread. */
export async function compileModule(): Promise<WebAssembly.Module> {
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new Error(`${response.status} ${response.statusText} fetching ${response.url}`);
  if (response.headers.get("Content-Type")?.startsWith("application/wasm")) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** One request's answer: its value, or the core's error as `plan` throws it. */
export type Answer<T> = { ok: true; value: T } | { ok: false; message: string; code?: string | undefined; field?: string | undefined };

/** A batch as the worker receives it. */
export interface Call {
  id: number;
  kind: "plan" | "estimate";
  requests: unknown[];
}

interface Job extends Call {
  generation: number;
  resolve: (answers: Answer<unknown>[] | null) => void;
}

let worker: Worker | null = null;
let latest: () => number = () => 0;
const queue: Job[] = [];
let running: Job | null = null;
let ids = 0;
/** Why the worker stopped, once it has: every call then answers with it. */
let broken: string | null = null;

/** Starts the worker on `module` (the page's own compiled module); `generation` says which
 * computation is the page's latest. */
export function startPlanner(module: WebAssembly.Module, generation: () => number): void {
  latest = generation;
  worker = new Worker(new URL("./planner.worker.ts", import.meta.url), { type: "module", name: "trainfit planner" });
  worker.postMessage({ module });
  worker.onmessage = (e: MessageEvent<{ id: number; answers: Answer<unknown>[] }>) => {
    const job = running;
    running = null;
    if (job && job.id === e.data.id) job.resolve(e.data.answers);
    next();
  };
  // A worker that fails to load or throws outside a call (a call's own errors are answers)
  // would leave every call waiting; each says why instead, next to the request's field.
  worker.onerror = (e) => {
    e.preventDefault();
    broken = `the planner's thread stopped: ${e.message || "its script did not load"}`;
    for (const job of [...(running ? [running] : []), ...queue.splice(0)]) job.resolve(failed(job));
    running = null;
  };
}

function failed(job: Job): Answer<unknown>[] {
  return job.requests.map(() => ({ ok: false, message: broken ?? "" }));
}

function next(): void {
  if (running || !worker) return;
  // Work for an older computation is dropped unsent.
  while (queue.length && queue[0]!.generation !== latest()) queue.shift()!.resolve(null);
  const job = queue.shift();
  if (!job) return;
  running = job;
  const call: Call = { id: job.id, kind: job.kind, requests: job.requests };
  worker.postMessage(call);
}

function call(kind: Call["kind"], requests: unknown[], generation: number): Promise<Answer<unknown>[] | null> {
  return new Promise((resolve) => {
    const job = { id: ++ids, kind, requests, generation, resolve };
    if (broken) return resolve(failed(job));
    queue.push(job);
    next();
  });
}

/** `plan(request)` for computation `generation`; `null` when a newer one took its turn. */
export async function planOff(request: PlanRequest, generation: number): Promise<Answer<Plan> | null> {
  const answers = await call("plan", [request], generation);
  return (answers?.[0] as Answer<Plan> | undefined) ?? null;
}

/** `estimate(r).peak_bytes` of each request, in one message. */
export async function peaksOff(requests: EstimateRequest[], generation: number): Promise<Answer<number>[] | null> {
  return (await call("estimate", requests, generation)) as Answer<number>[] | null;
}

/** An answer's error as the package throws it: an Error with the core's `code` and `field`. */
export function thrown(a: Extract<Answer<unknown>, { ok: false }>): Error {
  return Object.assign(new Error(a.message), a.code === undefined ? {} : { code: a.code }, a.field === undefined ? {} : { field: a.field });
}
