import { defineConfig, type Plugin } from "vite";

// Everything the page loads comes from its own origin; the module is compiled from bytes, which
// CSP Level 3 allows with 'wasm-unsafe-eval' alone (no 'unsafe-eval'). Added to the built HTML
// only: the dev server injects CSS through <style> elements, which style-src 'self' refuses.
const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join("; ");

// Right after the charset, before any element that loads something: a policy in a <meta>
// covers only what follows it.
const contentSecurityPolicy: Plugin = {
  name: "trainfit-csp",
  apply: "build",
  transformIndexHtml: (html) =>
    html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`),
};

export default defineConfig({
  // Relative asset addresses: dist/ works from any folder of any static host.
  base: "./",
  plugins: [contentSecurityPolicy],
  build: {
    target: "es2022",
    // The polyfill is for browsers without <link rel=modulepreload>; every browser with
    // WebAssembly and CompressionStream has it.
    modulePreload: { polyfill: false },
  },
  // The planner's thread (web/src/planner.worker.ts) is a module worker, bundled as ES like the
  // page: it imports the package's glue and receives the compiled module from the page.
  worker: { format: "es" },
  // The package finds its .wasm with new URL(..., import.meta.url); pre-bundling would move the
  // module away from the file.
  optimizeDeps: { exclude: ["trainfit"] },
  // The package is linked from ../npm (file:../npm), so the dev server must serve that folder
  // too; a package installed from the registry sits in node_modules and needs nothing.
  server: { fs: { allow: [".", "../npm"] } },
  // `trainfit open` points at this port by default (probe/src/cli/open.rs, DEFAULT_SITE).
  preview: { port: 4173, strictPort: true },
});
