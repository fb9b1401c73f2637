// The exporter module (the package's `trainfit/web/export`: exportPlan and exportFormats), which
// the page's own module (`trainfit/web/lean`) does not carry: this chunk, its glue and its
// module are fetched the first time a "Run it" panel opens (web/src/runit.ts), so a first visit
// does not transfer them (docs/performance.md). It runs on the page's thread: an export takes
// well under a millisecond.

import init, { exportFormats, exportPlan } from "trainfit/web/export";
import wasmUrl from "trainfit/web/export/trainfit_export_bg.wasm?url";

await init({ module_or_path: wasmUrl });

export { exportFormats, exportPlan };
