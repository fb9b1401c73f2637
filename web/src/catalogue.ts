// The package's catalogues, read once: each call of `accelerators()` or `models()` encodes the
// whole list across the wasm boundary, and the page consults them on every keystroke.

import { accelerators, models, type AcceleratorSpec, type CatalogueModel } from "trainfit/web/lean";

let acceleratorCache: AcceleratorSpec[] | null = null;
let modelCache: CatalogueModel[] | null = null;

/** Every catalogue accelerator. */
export function allAccelerators(): AcceleratorSpec[] {
  acceleratorCache ??= accelerators();
  return acceleratorCache;
}

/** Every catalogue model. */
export function allModels(): CatalogueModel[] {
  modelCache ??= models();
  return modelCache;
}
