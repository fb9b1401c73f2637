// detectBrowserHardware() in a dedicated Worker, for the browser test.
import init, { detectBrowserHardware } from "../dist/web/trainfit.js";

await init();
postMessage(await detectBrowserHardware());
