// The declarations committed in npm/types/trainfit.d.ts predate the time model's breakdown on
// one machine: `TimeEstimate.breakdown` (core/src/plan/mod.rs) and `StepTime.offload_s`
// (core/src/mesh/time.rs) are in the plan the module returns but not in the committed file, which
// `TRAINFIT_BLESS=1 npm/build.sh` regenerates. Declared here, as wasm-bindgen generates them,
// until that is committed; then this file goes.
declare module "trainfit" {
  interface TimeEstimate {
    breakdown?: StepTime;
  }
  interface StepTime {
    offload_s: number;
  }
}

export {};
