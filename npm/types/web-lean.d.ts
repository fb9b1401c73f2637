// The browser entry without the exporter (`trainfit/web/lean`): every export of `trainfit/web`
// but exportPlan and exportFormats, from a module 83 KB smaller gzipped; `trainfit/web/export`
// has those two. Written by hand (npm/build.sh checks the two name the whole API, with the
// signatures of types/trainfit.d.ts). The types are all there, for the values the exporter takes
// and gives.
export { accelerators, detectBrowserHardware, estimate, modelFromHfConfig, models, parseProfile, plan, version } from "./trainfit.js";
export type * from "./trainfit.js";
export type { InitInput, InitOutput, SyncInitInput } from "./web.js";
export { default, initSync } from "./web.js";
