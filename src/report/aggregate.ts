/**
 * Pre-aggregation for the report, done in Node so the page stays small and draws fast at any
 * run length: a few hundred time windows per client instead of every exchange, and a CDF
 * sampled at a few hundred quantiles.
 */

/** Window widths a person can read off an axis, seconds. */
const NICE_WINDOWS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/**
 * The narrowest readable window that cuts `spanS` into at most `maxWindows`: 5 minutes →
 * 1 s windows, 1 hour → 10 s windows (with the default 400).
 */
export function windowWidth(spanS: number, maxWindows = 400): number {
  for (const w of NICE_WINDOWS_S) if (spanS / w <= maxWindows) return w;
  return Math.ceil(spanS / maxWindows / 3600) * 3600;
}

/** Linear-interpolated quantile (R type 7, as numpy's default) of an ascending array. */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Values grouped by window index; `t` in seconds from the run's start. */
export function byWindow(
  t: readonly number[],
  values: readonly number[],
  t0: number,
  widthS: number,
  windows: number,
): Float64Array[] {
  const counts = new Uint32Array(windows);
  const index = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const w = Math.min(windows - 1, Math.max(0, Math.floor((t[i]! - t0) / widthS)));
    index[i] = w;
    counts[w]! += 1;
  }
  const groups = Array.from(counts, (c) => new Float64Array(c));
  const fill = new Uint32Array(windows);
  for (let i = 0; i < t.length; i++) {
    const w = index[i]!;
    groups[w]![fill[w]!++] = values[i]!;
  }
  return groups;
}

/** Per-window quantiles (null where a window is empty), rounded to the µs. */
export function windowQuantiles(
  groups: readonly Float64Array[],
  ps: readonly number[],
): (number | null)[][] {
  const out = ps.map(() => [] as (number | null)[]);
  for (const group of groups) {
    group.sort();
    ps.forEach((p, k) => {
      out[k]!.push(group.length > 0 ? round3(quantileOfSorted(group, p)) : null);
    });
  }
  return out;
}

/** Per-window sums of `weights` (1 each when omitted). */
export function windowCounts(
  t: readonly number[],
  t0: number,
  widthS: number,
  windows: number,
  weights?: readonly number[],
): number[] {
  const counts = new Array<number>(windows).fill(0);
  for (let i = 0; i < t.length; i++) {
    const w = Math.min(windows - 1, Math.max(0, Math.floor((t[i]! - t0) / widthS)));
    counts[w]! += weights ? weights[i]! : 1;
  }
  return counts;
}

/**
 * Per window, the exchange with the smallest delay δ (NTP's best sample): its offset θ and
 * δ/2. The true offset lies within θ ± δ/2 whatever the path asymmetry (RFC 5905 §8).
 */
export function bestOffsetPerWindow(
  t: readonly number[],
  offsetMs: readonly number[],
  delayMs: readonly number[],
  t0: number,
  widthS: number,
  windows: number,
): { theta: (number | null)[]; halfDelay: (number | null)[] } {
  const best = new Int32Array(windows).fill(-1);
  for (let i = 0; i < t.length; i++) {
    const w = Math.min(windows - 1, Math.max(0, Math.floor((t[i]! - t0) / widthS)));
    const b = best[w]!;
    if (b < 0 || delayMs[i]! < delayMs[b]!) best[w] = i;
  }
  return {
    theta: Array.from(best, (i) => (i < 0 ? null : round3(offsetMs[i]!))),
    halfDelay: Array.from(best, (i) => (i < 0 ? null : round3(Math.max(0, delayMs[i]!) / 2))),
  };
}

/**
 * The empirical CDF at a few hundred probabilities: every percent of the body, then ever
 * finer steps into the tail (99.9 %, 99.99 %, … as far as the sample size supports), and the
 * extremes. `x` ascending, ms; `p` in 0..1.
 */
export function cdf(values: readonly number[]): { x: number[]; p: number[] } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { x: [], p: [] };
  const ps = new Set<number>();
  for (let k = 0; k <= 200; k++) ps.add(k / 200);
  for (let decade = 2; 10 ** decade <= n; decade++) {
    for (let k = 1; k < 10; k++) ps.add(1 - (10 - k) / 10 ** decade);
  }
  const x: number[] = [];
  const p: number[] = [];
  for (const q of [...ps].sort((a, b) => a - b)) {
    const value = round3(quantileOfSorted(sorted, q));
    const prob = Math.round(q * 1e6) / 1e6;
    // One point per x (a step of the CDF): equal quantiles keep the highest probability.
    if (x.length > 0 && x[x.length - 1] === value) p[p.length - 1] = prob;
    else {
      x.push(value);
      p.push(prob);
    }
  }
  return { x, p };
}

/**
 * Integers as base64 of LEB128 varints (signed ones zigzagged, `deltas` first differenced):
 * raw exchanges cost ~5 bytes each instead of 12, so the page stays small and parses fast.
 * The page script's `unvarint` is the inverse.
 */
export function varintBase64(
  values: ArrayLike<number>,
  options: { deltas?: boolean } = {},
): string {
  const out = Buffer.allocUnsafe(values.length * 5 + 16);
  let at = 0;
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]!);
    const d = options.deltas ? v - previous : v;
    previous = v;
    // zigzag: 0, -1, 1, -2 … → 0, 1, 2, 3 … (kept in doubles: safe up to 2^52)
    let z = d >= 0 ? d * 2 : -d * 2 - 1;
    while (z >= 0x80) {
      out[at++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    out[at++] = z;
  }
  return out.subarray(0, at).toString('base64');
}

export const round3 = (v: number) => Math.round(v * 1000) / 1000;
