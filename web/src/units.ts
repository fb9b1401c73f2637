// Numbers as a glance reads them: the command line's rules (probe/src/cli/render/units.rs), so
// the page and the report print the same figure the same way.

const GIB = 2 ** 30;

/** A no-break space between a number and its unit, so a line never ends between them. */
const NB = "\u00a0";

/** Bytes in GiB with two decimals under 100, one above: `17.59 GiB`, `141.0 GiB`. */
export function gib(bytes: number): string {
  const g = bytes / GIB;
  return `${g.toFixed(Math.abs(g) >= 100 ? 1 : 2)}${NB}GiB`;
}

/** Bytes in GiB without the unit, for a column that names it once. */
export function gibNumber(bytes: number): string {
  const g = bytes / GIB;
  return g.toFixed(Math.abs(g) >= 100 ? 1 : 2);
}

/** Thousands separators: `26,405,025,380`. */
export function count(n: number): string {
  const sign = n < 0 ? "-" : "";
  const s = Math.trunc(Math.abs(n)).toString();
  return sign + s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The exact byte count, as a tooltip and a screen reader give it. */
export function exactBytes(bytes: number): string {
  return `${count(bytes)}${NB}bytes`;
}

/** Three significant digits with K, M, B or T. */
export function si(n: number): string {
  const steps: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of steps) {
    if (n >= size) {
      const v = n / size;
      return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)}${unit}`;
    }
  }
  return n.toFixed(0);
}

/** Decimal gigabytes, as disks are sold. */
export function gb(bytes: number): string {
  const g = bytes / 1e9;
  if (g >= 100) return `${g.toFixed(0)}${NB}GB`;
  if (g >= 0.1) return `${g.toFixed(1)}${NB}GB`;
  return `${(bytes / 1e6).toFixed(0)}${NB}MB`;
}

/** A step time: `996 ms`, `2.42 s`, then as a duration. */
export function seconds(s: number): string {
  if (s < 1) return `${(s * 1e3).toFixed(0)}${NB}ms`;
  if (s < 100) return `${s.toFixed(2)}${NB}s`;
  return duration(s);
}

/** A run's length in the largest unit that keeps it readable: `90 min`, `5.6 h`, `4.2 days`. */
export function duration(s: number): string {
  if (s < 120) return `${s.toFixed(0)}${NB}s`;
  if (s < 7200) return `${(s / 60).toFixed(0)}${NB}min`;
  if (s < 3 * 86_400) return `${(s / 3600).toFixed(1)}${NB}h`;
  return `${(s / 86_400).toFixed(1)}${NB}days`;
}

/** A share as a whole percentage: `40 %`. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(0)}${NB}%`;
}

/** A learning rate in the report's notation: `1.7e-3`. */
export function rate(x: number): string {
  const [mantissa, exponent] = x.toExponential(1).split("e");
  return `${mantissa}e${Number(exponent)}`;
}

/** Power: `360 W`. */
export function watts(w: number): string {
  return `${w.toFixed(0)}${NB}W`;
}

/** Energy: `2.03 kWh`. */
export function kwh(e: number): string {
  return `${e.toFixed(2)}${NB}kWh`;
}

/** A data rate: `313 MB/s`, `0.18 MB/s`, three significant digits below 100. */
export function mbs(x: number): string {
  return `${x >= 100 ? count(Math.round(x)) : x.toPrecision(x >= 1 ? 3 : 2)}${NB}MB/s`;
}

/** Tokens per second in the report's SI form: `91.1K tok/s`. */
export function tokensPerS(x: number): string {
  return `${si(x)}${NB}tok/s`;
}
