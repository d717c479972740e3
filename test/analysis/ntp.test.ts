import {
  describe as describeStats,
  histogram,
  ipdv,
  minimumDelayFilter,
  ntpSamples,
  rfc3550Jitter,
} from '../../src/analysis';

describe('NTP on-wire calculation', () => {
  it('computes offset θ and delay δ as RFC 5905 defines them', () => {
    // Server 25 ms ahead; 100 µs up, 50 µs held, 150 µs down.
    const [sample] = ntpSamples([
      {
        seq: 0,
        t1: 1_000_000,
        t2: 1_025_100,
        t3: 1_025_150,
        t4: 1_000_300,
        rttMicros: 300,
        timerErrorMicros: 7,
      },
    ]);
    expect(sample!.offsetMs).toBeCloseTo(24.975, 9);
    expect(sample!.delayMs).toBeCloseTo(0.25, 9);
    expect(sample!.upMs).toBeCloseTo(25.1, 9);
    expect(sample!.downMs).toBeCloseTo(-24.85, 9);
    expect(sample!.rttMs).toBeCloseTo(0.3, 9);
  });

  it('skips exchanges without all four timestamps', () => {
    expect(
      ntpSamples([
        { seq: 0, t1: 1, t2: null, t3: null, t4: null, rttMicros: null, timerErrorMicros: 0 },
      ]),
    ).toEqual([]);
  });

  it('keeps the minimum-delay sample of each window of 8', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({
      seq: i,
      t1: i,
      offsetMs: i,
      delayMs: [5, 3, 9, 1, 7, 8, 6, 4][i % 8]! + i / 100,
      rttMs: null,
      upMs: 0,
      downMs: 0,
    }));
    const kept = minimumDelayFilter(samples);
    expect(kept.map((s) => s.seq)).toEqual([3, 11, 19]);
  });
});

describe('jitter and summary statistics', () => {
  it('IPDV is the absolute change between consecutive delays', () => {
    expect(ipdv([1, 3, 2, 2])).toEqual([2, 1, 0]);
    expect(rfc3550Jitter([1])).toBeNull();
    expect(rfc3550Jitter([0, 16])).toBeCloseTo(1, 9);
  });

  it('describes a sample with simple-statistics and refuses an empty one', () => {
    expect(describeStats([])).toBeNull();
    const d = describeStats([4, 1, 3, 2, 5])!;
    expect(d).toMatchObject({ count: 5, min: 1, median: 3, max: 5, mean: 3 });
    expect(d.stddev).toBeCloseTo(Math.sqrt(2.5), 9);
  });

  it('bins a histogram and counts the clipped tail apart', () => {
    const values = [...Array.from({ length: 999 }, (_, i) => i % 10), 1000];
    const h = histogram(values, { bins: 10 })!;
    expect(h.counts).toHaveLength(10);
    expect(h.edges).toHaveLength(11);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.above).toBe(1000);
    expect(h.above).toBeGreaterThanOrEqual(1);
    const fixed = histogram([0, 5, 10, 20], { bins: 2, range: { low: 0, high: 10 } })!;
    expect(fixed).toEqual({ edges: [0, 5, 10], counts: [1, 2], above: 1 });
    const log = histogram([0.1, 1, 10, 100], { bins: 3, log: true })!;
    expect(log.edges.map((e) => Number(e.toPrecision(6)))).toEqual([0.1, 1, 10, 100]);
    expect(log.counts).toEqual([1, 1, 2]);
    expect(log.above).toBe(0);
  });
});
