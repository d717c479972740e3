import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun } from '../../src/analysis';
import {
  bestOffsetPerWindow,
  byWindow,
  cdf,
  quantileOfSorted,
  varintBase64,
  windowCounts,
  windowQuantiles,
  windowWidth,
} from '../../src/report/aggregate';
import { formatBytes, formatCount, formatMs, formatRatio } from '../../src/report/format';
import {
  collectRunMetadata,
  RUN_METADATA_FILE,
  readRunMetadata,
  writeRunMetadata,
} from '../../src/report/metadata';
import { clientColor, clientIdOf, pageData } from '../../src/report/pageData';
import { writeSyntheticRun } from '../analysis/syntheticRun';

/** The page script's decoder (pageScript.ts `unvarint`), restated for Node. */
function unvarint(b64: string, deltas: boolean): number[] {
  const bytes = Buffer.from(b64, 'base64');
  const out: number[] = [];
  let v = 0;
  let mul = 1;
  let prev = 0;
  for (const byte of bytes) {
    v += (byte & 0x7f) * mul;
    if (byte & 0x80) {
      mul *= 128;
      continue;
    }
    const d = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    prev = deltas ? prev + d : d;
    out.push(prev);
    v = 0;
    mul = 1;
  }
  return out;
}

describe('aggregation for the report', () => {
  it('picks readable windows: 5 min → 1 s, 1 h → 10 s, a 1.5 s test run → 0.1 s', () => {
    expect(windowWidth(300)).toBe(1);
    expect(windowWidth(3600)).toBe(10);
    expect(windowWidth(1.5)).toBe(0.1);
  });

  it('computes per-window quantiles, counts and the best offset with its ±δ/2', () => {
    const t = [0.05, 0.1, 0.2, 0.3, 1.1, 1.2];
    const v = [5, 1, 3, 2, 10, 20];
    const groups = byWindow(t, v, 0, 1, 3);
    expect(groups.map((g) => g.length)).toEqual([4, 2, 0]);
    const [p50] = windowQuantiles(groups, [0.5]);
    expect(p50).toEqual([2.5, 15, null]);
    expect(windowCounts(t, 0, 1, 3)).toEqual([4, 2, 0]);
    expect(windowCounts([0.5, 2.5], 0, 1, 3, [7, 2])).toEqual([7, 0, 2]);
    const best = bestOffsetPerWindow(
      t,
      [1, 2, 3, 4, 5, 6],
      [0.9, 0.3, 0.5, 0.4, 0.2, 0.1],
      0,
      1,
      3,
    );
    expect(best).toEqual({ theta: [2, 6, null], halfDelay: [0.15, 0.05, null] });
    expect(quantileOfSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('samples the CDF into the tail, one point per distinct RTT, ending at 1', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 0.1 + (i % 1000) / 1000);
    const { x, p } = cdf(values);
    expect(x.length).toBeLessThan(400);
    expect(new Set(x).size).toBe(x.length);
    for (let i = 1; i < x.length; i++) {
      expect(x[i]!).toBeGreaterThan(x[i - 1]!);
      expect(p[i]!).toBeGreaterThan(p[i - 1]!);
    }
    expect(p.at(-1)).toBe(1);
    expect(p).toContain(0.999);
    expect(cdf([])).toEqual({ x: [], p: [] });
  });

  it('round-trips integers through the varint encoding, signed and as deltas', () => {
    const values = [0, 1, -1, 127, 128, -129, 2 ** 31, -(2 ** 33), 1_000_000, 5];
    expect(unvarint(varintBase64(values), false)).toEqual(values);
    const times = [0, 1000, 2001, 2999, 5_000_000_000];
    expect(unvarint(varintBase64(times, { deltas: true }), true)).toEqual(times);
  });
});

describe('units for people', () => {
  it('scales durations, bytes, counts and ratios', () => {
    expect(formatMs(0.2134)).toBe('213 µs');
    expect(formatMs(0.0042)).toBe('4.2 µs');
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(45.66)).toBe('45.7 ms');
    expect(formatMs(-0.5)).toBe('-500 µs');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatMs(null)).toBe('–');
    expect(formatBytes(8_000_000)).toBe('8 MB');
    expect(formatBytes(9100)).toBe('9.1 kB');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatCount(28123)).toBe('28,123');
    expect(formatRatio(0.0123)).toBe('1.23%');
    expect(formatRatio(0.00001)).toBe('0.001%');
    expect(formatRatio(0)).toBe('0%');
  });
});

describe('page data', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-pagedata-'));
    await writeSyntheticRun(dir, [
      {
        clientId: 1,
        address: '127.0.0.2',
        slots: 3000,
        offsetMs: 2,
        missed: [10, 11, 12, 2000],
        lostUp: [500],
        lostDown: [1500],
      },
      { clientId: 3, address: '127.0.0.4', slots: 3000, offsetMs: 2 },
    ]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps every missed slot and lost tick in the series, and in the windows', async () => {
    const { analysis, series } = await analyzeRun([dir]);
    const one = series[0]!;
    expect(one.missed.slots.reduce((a, b) => a + b, 0)).toBe(analysis.clients[0]!.missedSlots);
    expect(one.missed.slots).toEqual([3, 1]);
    expect(one.lost.t).toHaveLength(analysis.clients[0]!.lost);
    expect(one.ticks.t).toHaveLength(analysis.clients[0]!.ticks);
    const { page, raw } = pageData(series, null);
    expect(page.windowS).toBe(0.1);
    const c1 = page.clients[0]!;
    expect(c1.missed.reduce((a, b) => a + b, 0)).toBe(4);
    expect(c1.lost.reduce((a, b) => a + b, 0)).toBe(2);
    expect(c1.color).toBe(clientColor(1));
    expect(page.clients[1]!.color).toBe(clientColor(3));
    // Raw exchanges decode back to the series (µs precision).
    expect(raw).not.toBeNull();
    const rtt = unvarint(raw![0]!.rtt, false);
    expect(rtt).toEqual(one.answered.rttMs.map((v) => Math.round(v * 1000)));
    expect(unvarint(raw![0]!.t, true)).toHaveLength(one.answered.t.length);
    // Over the budget, no raw points ride along.
    const small = pageData(series, null, { rawPointBudget: 10 });
    expect(small.raw).toBeNull();
    expect(small.page.rawEmbedded).toBe(false);
  });

  it('colours a peer and its file by the client they belong to', () => {
    expect(clientIdOf('client_12_TimeData.txt')).toBe(12);
    expect(clientIdOf('server')).toBeNull();
    const { page } = pageData([], {
      peers: ['client_2', 'stranger'],
      transfers: [
        {
          file: 'client_2_TimeData.txt',
          to: 'stranger',
          from: ['client_2'],
          startMs: 0,
          endMs: 1,
          bytes: 1,
        },
      ],
    });
    expect(page.transfers!.colors['client_2']).toBe(clientColor(2));
    expect(page.transfers!.colors['client_2_TimeData.txt']).toBe(clientColor(2));
    expect(page.transfers!.colors['stranger']).toBe(clientColor(3));
  });
});

describe('run metadata', () => {
  it('writes run.json and reads it back; ignores a broken one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'timeswarm-meta-'));
    try {
      expect(await readRunMetadata([dir])).toBeNull();
      const start = collectRunMetadata({ command: 'timeswarm client --duration 5m' });
      expect(start.loadAtStart).toHaveLength(3);
      expect(start.endedAt).toBeUndefined();
      const meta = collectRunMetadata({ ...start, ended: true });
      expect(meta.startedAt).toBe(start.startedAt);
      expect(meta.loadAtEnd).toHaveLength(3);
      expect(meta.nodeVersion).toBe(process.version);
      await writeRunMetadata(dir, meta);
      expect(await readRunMetadata([dir])).toEqual(meta);
      await writeFile(join(dir, RUN_METADATA_FILE), '{"host": 5');
      expect(await readRunMetadata([dir])).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
