// The exporter alone (`trainfit/web/export`): exportPlan, exportFormats and adjust, as `trainfit/web`
// declares them, from a module of their own with its own init (loaded from
// `trainfit_export_bg.wasm` beside it by default), for a page that loads `trainfit/web/lean`
// first and the exporter when it needs it. Written by hand, checked as types/web-lean.d.ts is.
export { adjust, exportFormats, exportPlan } from "./trainfit.js";
export type * from "./trainfit.js";
export type { InitInput, InitOutput, SyncInitInput } from "./web.js";
export { default, initSync } from "./web.js";
