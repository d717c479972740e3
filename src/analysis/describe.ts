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

/**
 * Equal-width histogram from `min` up to the `clipQuantile` quantile of the sample, with
 * simple-statistics' `equalIntervalBreaks` for the edges. Values past the clip are counted
 * in `above` rather than stretching every bin.
 */
export function histogram(
  values: readonly number[],
  bins = 40,
  clipQuantile = 0.999,
): Histogram | null {
  if (values.length === 0) return null;
  const sorted = numericSort(values as number[]);
  const low = minSorted(sorted);
  let high = quantileSorted(sorted, clipQuantile);
  if (high <= low) high = low + 1e-3;
  const edges = equalIntervalBreaks([low, high], bins);
  const width = (high - low) / bins;
  const counts = new Array<number>(bins).fill(0);
  let above = 0;
  for (const value of sorted) {
    if (value > high) {
      above += 1;
      continue;
    }
    const bin = Math.min(bins - 1, Math.floor((value - low) / width));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return { edges, counts, above };
}
