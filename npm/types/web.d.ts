// The browser entry (`trainfit/web`): the same exports as the package's main entry, plus the
// loading of the module, which a page does once before calling any of them. Written by hand
// (npm/build.sh checks wasm-bindgen still generates the same API and these two functions);
// wasm-bindgen's own InitOutput names the module's internals, which change with every build.
export * from "./trainfit.js";

/** Where the module comes from: its URL (the default, next to this file), a response, its
 * bytes, or a compiled module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** What a synchronous load takes: the module's bytes or a compiled module. */
export type SyncInitInput = BufferSource | WebAssembly.Module;

/** The loaded module's exports; its memory is the only part meant for callers. */
export interface InitOutput {
    readonly memory: WebAssembly.Memory;
}

/** Loads the module synchronously (bytes or a compiled module already at hand). */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/** Fetches, compiles and instantiates the module, by default from `trainfit_bg.wasm` beside
 * this file; call once, before any other export. */
export default function init(
    module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;
