// A training configuration's data path (the plan's `data`): the dataset and how much of it the
// run reads, the download or first pass and the rate it is read at, whether streaming keeps up
// with training, where the tokenised shards are cached, and the temporary disk against the free
// disk. Every figure carries its path in the plan (`data-path`) and raw value, for the tests.

import type { CacheTier, Configuration, DataLocation, DataPlan, KnownDataset, RateSource } from "trainfit/web/lean";
import { h } from "./dom";
import { pathOf } from "./terms";
import { duration, gb, gib, mbs, si, tokensPerS } from "./units";

const DATASET_NAMES: Record<KnownDataset, string> = {
  fineweb: "FineWeb",
  fineweb_edu: "FineWeb-Edu",
  slimpajama: "SlimPajama-627B",
  pile: "The Pile",
  openwebtext: "OpenWebText",
};

const LOCATION_NAMES: Record<DataLocation, string> = {
  local: "local disk",
  network_mount: "network mount",
  object_store: "object store",
  hub: "hub",
};

const RATE_NAMES: Record<RateSource, string> = {
  measured_network: "measured network",
  link_speed: "link speed, an upper bound",
  measured_storage: "measured disk",
  assumed_storage: "the disk's kind",
  memory: "memory bandwidth",
};

const CACHE_NAMES: Record<CacheTier, string> = {
  ram: "RAM (page cache)",
  nvme: "NVMe",
  ssd: "SATA SSD",
  hdd: "HDD",
  none: "nowhere with room",
};

/** A name of the core's, or the string as given when this page does not know it yet. */
function named<K extends string>(names: Record<K, string>, key: string): string {
  return (names as Record<string, string>)[key] ?? key;
}

function fig(text: string, path: string, value: unknown, className = ""): HTMLElement {
  return h("span", { class: `figure ${className}`.trim(), ...pathOf(path, value) }, text);
}

/** Keeps up, or sets the pace: a word and a mark, never colour alone. */
function pace(keepsUp: boolean | null, path: string): HTMLElement {
  const [cls, word] = keepsUp === null ? ["keeps-unknown", "unknown"] : keepsUp ? ["keeps-ok", "keeps up"] : ["keeps-bad", "too slow"];
  return h("span", { class: `keeps ${cls}`, ...pathOf(path, keepsUp) }, word);
}

function row(label: string, ...content: (Node | string | null)[]): Node[] {
  return [h("dt", {}, label), h("dd", {}, ...content)];
}

/** The part of one pass a run reads, or its passes. */
function passes(d: DataPlan): string {
  if (d.epochs >= 0.995 && d.epochs < 1.05) return "one pass";
  if (d.epochs >= 1.05) return `${d.epochs.toFixed(d.epochs >= 10 ? 0 : 1)} passes`;
  const p = d.epochs * 100;
  return `${p >= 1 ? p.toFixed(0) : p >= 0.01 ? p.toFixed(2) : "<0.01"}\u00a0% of one pass`;
}

/** The data path of configuration `c`, the plan's `configurations.<index>`. */
export function dataPath(c: Configuration, index: number): HTMLElement | null {
  const d = c.data;
  if (!d) return null;
  const base = `configurations.${index}.data`;
  const remote = d.location === "hub" || d.location === "object_store";
  const train = c.time.tokens_per_s;
  // Tokenising on the fly, not the source, is the limit when streaming delivers less than the
  // source's rate in tokens.
  const sourceTokens = d.source_mbs === null ? null : (d.source_mbs * 1e6) / d.stored_bytes_per_token;
  const tokeniserBound = d.stream_tokens_per_s !== null && sourceTokens !== null && d.stream_tokens_per_s < sourceTokens * (1 - 1e-9);
  const over = d.disk_free_bytes !== null && d.temporary_bytes > d.disk_free_bytes;
  return h(
    "section",
    { class: "card-sec data-path", "aria-label": `data path, ${c.mode}` },
    h("h4", {}, "Data path"),
    h(
      "dl",
      { class: "figures" },
      ...row(
        "Dataset",
        d.dataset ? fig(named(DATASET_NAMES, d.dataset), `${base}.dataset`, d.dataset, "strong") : null,
        d.dataset ? " · " : null,
        fig(`${si(d.dataset_tokens)} tokens`, `${base}.dataset_tokens`, d.dataset_tokens),
        " on ",
        fig(named(LOCATION_NAMES, d.location), `${base}.location`, d.location),
      ),
      ...row("Reads", fig(gb(d.fetch_bytes), `${base}.fetch_bytes`, d.fetch_bytes), h("span", { class: "muted" }, " · "), fig(passes(d), `${base}.epochs`, d.epochs)),
      ...row(
        remote ? "Download" : "First pass",
        d.first_pass_s === null ? fig("unknown", `${base}.first_pass_s`, null) : fig(duration(d.first_pass_s), `${base}.first_pass_s`, d.first_pass_s, "strong"),
        d.source_mbs === null ? h("span", { class: "muted" }, " (no rate: no network or disk figure)") : h("span", { class: "muted" }, " at "),
        d.source_mbs === null ? null : fig(mbs(d.source_mbs), `${base}.source_mbs`, d.source_mbs),
        d.source_rate === null ? null : h("span", { class: "muted", ...pathOf(`${base}.source_rate`, d.source_rate) }, ` (${named(RATE_NAMES, d.source_rate)})`),
      ),
      ...row("Tokenise", fig(duration(d.tokenise_s), `${base}.tokenise_s`, d.tokenise_s), h("span", { class: "muted" }, " once, to "), fig(gb(d.tokenised_bytes), `${base}.tokenised_bytes`, d.tokenised_bytes), h("span", { class: "muted" }, " of shards")),
      ...row(
        "Streaming",
        pace(d.streaming_keeps_up, `${base}.streaming_keeps_up`),
        " ",
        d.stream_tokens_per_s === null ? null : fig(tokensPerS(d.stream_tokens_per_s), `${base}.stream_tokens_per_s`, d.stream_tokens_per_s),
        train === null ? null : h("span", { class: "muted" }, " for "),
        train === null ? null : fig(tokensPerS(train), `configurations.${index}.time.tokens_per_s`, train),
        // Needed against available at the source, in MB/s as stored: the tokens/s above in the
        // unit a disk or a link is rated in.
        train !== null && d.source_mbs !== null
          ? h("span", { class: "sub muted" }, `needs ${mbs((train * d.stored_bytes_per_token) / 1e6)} of the source's ${mbs(d.source_mbs)}${tokeniserBound ? "; tokenising is the limit" : ""}`)
          : null,
      ),
      ...row(
        "Cache",
        fig(named(CACHE_NAMES, d.cache), `${base}.cache`, d.cache, "strong"),
        d.cache_mount ? h("span", { class: "muted" }, " at ") : null,
        d.cache_mount ? fig(d.cache_mount, `${base}.cache_mount`, d.cache_mount) : null,
        d.cache === "ram" && d.page_cache_bytes !== null ? h("span", { class: "muted" }, ", room for ") : null,
        d.cache === "ram" && d.page_cache_bytes !== null ? fig(gib(d.page_cache_bytes), `${base}.page_cache_bytes`, d.page_cache_bytes) : null,
      ),
      ...(d.cache_read_mbs !== null
        ? row(
            "Cache read",
            pace(d.cache_keeps_up, `${base}.cache_keeps_up`),
            " ",
            fig(mbs(d.cache_read_mbs), `${base}.cache_read_mbs`, d.cache_read_mbs),
            c.time.data_read_mbs === null ? null : h("span", { class: "muted" }, " for "),
            c.time.data_read_mbs === null ? null : fig(mbs(c.time.data_read_mbs), `configurations.${index}.time.data_read_mbs`, c.time.data_read_mbs),
          )
        : []),
      ...row(
        "Temp. disk",
        fig(gb(d.temporary_bytes), `${base}.temporary_bytes`, d.temporary_bytes, over ? "bad" : "strong"),
        d.disk_free_bytes === null ? h("span", { class: "muted" }, " (free disk unknown)") : h("span", { class: "muted" }, " of "),
        d.disk_free_bytes === null ? null : fig(`${gb(d.disk_free_bytes)} free`, `${base}.disk_free_bytes`, d.disk_free_bytes),
        over ? h("span", { class: "keeps keeps-bad" }, "no room") : null,
      ),
    ),
  );
}
