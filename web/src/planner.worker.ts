// The planner's thread: `plan` and `estimate` run here, off the page's thread, so that a
// cluster's mesh search (about 150 ms for 4 x 8 H100 on the 2-core VM, docs/web.md "Figures")
// never holds a keystroke. The page compiles the module once and sends it first; each later
// message is a batch of requests of one kind, answered in order (web/src/planner.ts).

import { estimate, initSync, plan } from "trainfit/web/lean";
import type { Answer, Call } from "./planner";

/** An error as the page reads it back: a structured clone of an Error keeps its message only,
 * not the core's `code` and `field`. */
function failure(e: unknown): Answer<never> {
  const err = e as { message?: unknown; code?: unknown; field?: unknown };
  return { ok: false, message: String(err?.message ?? e), code: typeof err?.code === "string" ? err.code : undefined, field: typeof err?.field === "string" ? err.field : undefined };
}

self.onmessage = (e: MessageEvent<{ module: WebAssembly.Module } | Call>) => {
  const msg = e.data;
  if ("module" in msg) {
    initSync({ module: msg.module });
    return;
  }
  const answers = msg.requests.map((r): Answer<unknown> => {
    try {
      return { ok: true, value: msg.kind === "plan" ? plan(r as Parameters<typeof plan>[0]) : estimate(r as Parameters<typeof estimate>[0]).peak_bytes };
    } catch (err) {
      return failure(err);
    }
  });
  postMessage({ id: msg.id, answers });
};
