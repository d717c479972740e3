import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalysisError, analysisTable, analyzeRun, findRunFiles } from '../../src/analysis';
import { writeSyntheticRun } from './syntheticRun';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-analysis-'));
  await writeSyntheticRun(dir, [
    {
      clientId: 1,
      address: '127.0.0.2',
      slots: 500,
      offsetMs: 25,
      missed: [0, 10, 11, 499],
      lostUp: [20],
      lostDown: [30, 31],
    },
    { clientId: 2, address: '127.0.0.3', slots: 300, offsetMs: -3 },
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('analyzeRun on a synthetic run', () => {
  it('counts ticks, replies, loss per direction and missed slots', async () => {
    const { analysis } = await analyzeRun([dir]);
    const [one, two] = analysis.clients;
    expect(one).toMatchObject({
      clientId: 1,
      address: '127.0.0.2',
      ticks: 496,
      replies: 493,
      lost: 3,
      duplicates: 0,
      plannedSlots: 500,
    });
    // Slot 0 (before the first tick), 10 and 11 (a gap) and 499 (never reached).
    expect(one!.missedSlots).toBe(4);
    expect(one!.up).toMatchObject({ sent: 496, delivered: 495, lost: 1, duplicates: 0 });
    expect(one!.down).toMatchObject({ sent: 495, delivered: 493, lost: 2 });
    expect(two).toMatchObject({ ticks: 300, replies: 300, lost: 0, missedSlots: 0 });
    expect(one!.intervalMs).toBeCloseTo(10, 1);
  });

  it('recovers the modelled clock offset and bounds the delays', async () => {
    const { analysis } = await analyzeRun([dir]);
    const [one, two] = analysis.clients;
    // One-way delays are 100–300 µs each way, so any asymmetry error is under 0.1 ms.
    expect(Math.abs(one!.offsetMs!.median - 25)).toBeLessThan(0.1);
    expect(Math.abs(one!.filteredOffsetMs!.median - 25)).toBeLessThan(0.1);
    expect(Math.abs(two!.offsetMs!.median + 3)).toBeLessThan(0.1);
    expect(one!.delayMs!.min).toBeGreaterThanOrEqual(0.2);
    expect(one!.delayMs!.max).toBeLessThanOrEqual(0.6);
    expect(one!.rttMs!.p99).toBeLessThanOrEqual(one!.rttMs!.max);
    expect(one!.timerErrorMs!.max).toBeLessThanOrEqual(0.2);
    expect(one!.filteredOffsetMs!.count).toBe(Math.ceil(493 / 8));
    expect(one!.up.ipdvMs!.max).toBeLessThanOrEqual(0.2);
  });

  it('gives plot series of every answered exchange', async () => {
    const { series } = await analyzeRun([dir]);
    expect(series[0]!.answered.t).toHaveLength(493);
    expect(series[0]!.answered.rttMs).toHaveLength(493);
    expect(
      series[0]!.rttHistogram!.counts.reduce((a, b) => a + b, 0) + series[0]!.rttHistogram!.above,
    ).toBe(493);
  });

  it('formats a table for people', async () => {
    const { analysis } = await analyzeRun([dir]);
    const text = analysisTable(analysis);
    expect(text).toContain('127.0.0.2');
    expect(text).toContain('down (server → client)');
  });
});

describe('finding the files of a run', () => {
  it('takes each file once when peers hold copies of each other', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'timeswarm-analysis-copy-'));
    try {
      await cp(dir, copy, { recursive: true });
      await cp(
        join(copy, 'client_2', 'client_2_TimeData.txt'),
        join(copy, 'client_1', 'client_2_TimeData.txt'),
      );
      const files = await findRunFiles([copy]);
      expect(files.clientTables.get(2)).toBe(join(copy, 'client_2', 'client_2_TimeData.txt'));
      expect([...files.clientTables.keys()].sort()).toEqual([1, 2]);
      expect(files.serverTable).toBe(join(copy, 'server', 'serverTimeData.txt'));
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('analyzes a table without its sidecar, with a note', async () => {
    const { analysis } = await analyzeRun([join(dir, 'client_2', 'client_2_TimeData.txt')]);
    expect(analysis.clients[0]).toMatchObject({ ticks: 300, replies: 300, rttMs: null });
    expect(analysis.clients[0]!.notes.length).toBeGreaterThan(0);
  });

  it('refuses missing paths, foreign files and empty folders with codes', async () => {
    await expect(findRunFiles([join(dir, 'nope')])).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    const foreign = join(dir, 'notes.txt');
    await writeFile(foreign, 'hello');
    await expect(findRunFiles([foreign])).rejects.toMatchObject({ code: 'ERR_UNKNOWN_FILE' });
    const empty = await mkdtemp(join(tmpdir(), 'timeswarm-empty-'));
    await expect(findRunFiles([empty])).rejects.toBeInstanceOf(AnalysisError);
    await expect(findRunFiles([empty])).rejects.toMatchObject({ code: 'ERR_NO_DATA' });
    await rm(empty, { recursive: true, force: true });
  });
});
