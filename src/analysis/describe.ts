import {
  equalIntervalBreaks,
  maxSorted,
  mean,
  medianSorted,
  minSorted,
  numericSort,
  quantileSorted,
  sampleStandardDeviation,
} from 'simple-statistics';

/** Summary statistics of one sample, in the sample's unit (milliseconds throughout analysis). */
export interface Description {
  count: number;
  min: number;
  mean: number;
  median: number;
  p99: number;
  max: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  stddev: number;
}

/**
 * Describes a sample with simple-statistics (sorted once, then quantiles by its
 * nearest-rank-with-interpolation rule). `null` for an empty sample, so callers must say
 * "no data" instead of printing a misleading 0.
 */
export function describe(values: readonly number[]): Description | null {
  if (values.length === 0) return null;
  const sorted = numericSort(values as number[]);
  return {
    count: sorted.length,
    min: minSorted(sorted),
    mean: mean(sorted),
    median: medianSorted(sorted),
    p99: quantileSorted(sorted, 0.99),
    max: maxSorted(sorted),
    stddev: sorted.length > 1 ? sampleStandardDeviation(sorted) : 0,
  };
}

/** Equal-width bins: `edges` has one more entry than `counts`. */
export interface Histogram {
  edges: number[];
  counts: number[];
  /** Values above the last edge (the long tail is clipped so the body stays readable). */
  above: number;
}

export interface HistogramOptions {
  bins?: number;
  /** The top edge is this quantile of the sample (default 0.999), unless `range` is given. */
  clipQuantile?: number;
  /** Fixed edges, so that several samples can share one set of bins. */
  range?: { low: number; high: number };
  /**
   * Bins of equal width in log10 (needs positive values): latency has a long tail, and log
   * bins show the body and the tail in one picture without clipping.
   */
  log?: boolean;
}

/**
 * Equal-width histogram (linear or log10) from the minimum up to the `clipQuantile` quantile
 * of the sample (the maximum for log bins), or over a fixed `range`, with simple-statistics'
 * `equalIntervalBreaks` for the edges.
 * Values past the top edge are counted in `above` rather than stretching every bin; values
 * below a fixed range's bottom go into the first bin.
 */
export function histogram(
  values: readonly number[],
  options: HistogramOptions = {},
): Histogram | null {
  if (values.length === 0) return null;
  const bins = options.bins ?? 40;
  const log = options.log ?? false;
  const sorted = numericSort(values as number[]);
  const scale = log ? (v: number) => Math.log10(Math.max(v, 1e-9)) : (v: number) => v;
  const top = log ? maxSorted(sorted) : quantileSorted(sorted, options.clipQuantile ?? 0.999);
  const low = scale(options.range?.low ?? minSorted(sorted));
  let high = scale(options.range?.high ?? top);
  if (high <= low) high = low + 1e-3;
  const scaledEdges = equalIntervalBreaks([low, high], bins);
  const edges = log ? scaledEdges.map((e) => 10 ** e) : scaledEdges;
  const width = (high - low) / bins;
  const counts = new Array<number>(bins).fill(0);
  let above = 0;
  for (const value of sorted) {
    const v = scale(value);
    if (v > high + 1e-12) {
      above += 1;
      continue;
    }
    const bin = Math.max(0, Math.min(bins - 1, Math.floor((v - low) / width)));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return { edges, counts, above };
}
