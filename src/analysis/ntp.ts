import type { ExchangeRecord } from '../storage';

/** One answered exchange with NTP's derived values, all in milliseconds. */
export interface NtpSample {
  seq: number;
  /** Client send time, µs since the epoch (client clock): the x axis of every plot. */
  t1: number;
  /**
   * Clock offset θ = ((t2 − t1) + (t3 − t4)) / 2: how far the server's clock is ahead of the
   * client's (positive: server ahead). Exact when the two one-way delays are equal.
   */
  offsetMs: number;
  /** Network delay δ = (t4 − t1) − (t3 − t2): the round trip minus the server's holding time. */
  delayMs: number;
  /** Round trip on the client's monotonic clock (includes the server's holding time). */
  rttMs: number | null;
  /** Apparent one-way delays: true delay plus (up) or minus (down) the offset. */
  upMs: number;
  downMs: number;
}

/** NTP's on-wire calculation (RFC 5905 §8) for every exchange that has all four timestamps. */
export function ntpSamples(records: readonly ExchangeRecord[]): NtpSample[] {
  const samples: NtpSample[] = [];
  for (const r of records) {
    if (r.t2 === null || r.t3 === null || r.t4 === null) continue;
    samples.push({
      seq: r.seq,
      t1: r.t1,
      offsetMs: (r.t2 - r.t1 + (r.t3 - r.t4)) / 2 / 1000,
      delayMs: (r.t4 - r.t1 - (r.t3 - r.t2)) / 1000,
      rttMs: r.rttMicros === null ? null : r.rttMicros / 1000,
      upMs: (r.t2 - r.t1) / 1000,
      downMs: (r.t4 - r.t3) / 1000,
    });
  }
  return samples;
}

/** Window of NTP's clock filter (RFC 5905 §10 keeps the last 8 samples). */
export const CLOCK_FILTER_WINDOW = 8;

/**
 * The minimum-delay filter of NTP's clock filter and chrony: a sample that waited in a queue
 * has both a larger delay and an offset error of up to half the extra delay, so within each
 * window of `window` consecutive samples only the one with the smallest δ is kept. Windows
 * do not overlap (each kept sample stands for its own `window` exchanges), so the result is
 * a thinned series whose offsets are the most trustworthy of the run.
 */
export function minimumDelayFilter(
  samples: readonly NtpSample[],
  window = CLOCK_FILTER_WINDOW,
): NtpSample[] {
  const kept: NtpSample[] = [];
  for (let start = 0; start < samples.length; start += window) {
    let best: NtpSample | undefined;
    for (let i = start; i < Math.min(samples.length, start + window); i++) {
      const sample = samples[i]!;
      if (!best || sample.delayMs < best.delayMs) best = sample;
    }
    if (best) kept.push(best);
  }
  return kept;
}

/**
 * Inter-packet delay variation (RFC 3393, RFC 5481): the change in delay between consecutive
 * delivered packets, absolute. For one-way delays the unknown clock offset cancels out in the
 * difference, so each direction gets a meaningful jitter even with unsynchronised clocks.
 */
export function ipdv(delays: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < delays.length; i++) out.push(Math.abs(delays[i]! - delays[i - 1]!));
  return out;
}

/** RFC 3550's running interarrival jitter estimate, J += (|D| − J) / 16, at the end of the run. */
export function rfc3550Jitter(delays: readonly number[]): number | null {
  if (delays.length < 2) return null;
  let jitter = 0;
  for (let i = 1; i < delays.length; i++)
    jitter += (Math.abs(delays[i]! - delays[i - 1]!) - jitter) / 16;
  return jitter;
}
