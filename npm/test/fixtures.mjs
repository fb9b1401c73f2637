// The fixtures the shared checks (cases.mjs) use, read from the repository's test data.
import { readFileSync } from "node:fs";

const data = new URL("../../tests/data/", import.meta.url);

/** Parsed JSON of a file under tests/data/. */
export function read(path) {
  return JSON.parse(readFileSync(new URL(path, data), "utf8"));
}

export const fixtures = {
  rtx4090: read("profiles/rtx4090-desktop.json"),
  gpt2: read("requests/gpt2-finetune-fp32.json"),
};
