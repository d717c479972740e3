import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun } from '../../src/analysis';
import { parseTransferTimeline, renderReport, type TransferTimeline } from '../../src/report';
import { writeSyntheticRun } from '../analysis/syntheticRun';

const timeline: TransferTimeline = {
  peers: ['client_1', 'client_2'],
  transfers: [
    {
      file: 'client_2_TimeData.txt',
      to: 'client_1',
      from: ['client_2'],
      startMs: 1,
      endMs: 30,
      bytes: 1000,
      chunks: 1,
    },
    {
      file: 'client_1_TimeData.txt',
      to: 'client_2',
      from: ['client_1'],
      startMs: 2,
      endMs: 25,
      bytes: 900,
    },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-report-'));
  await writeSyntheticRun(dir, [
    { clientId: 1, address: '127.0.0.2', slots: 200, offsetMs: 5 },
    { clientId: 2, address: '127.0.0.3', slots: 200, offsetMs: 5 },
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('renderReport', () => {
  it('is one self-contained page: no external script, style or image', async () => {
    const html = renderReport({ ...(await analyzeRun([dir])), title: 'a <b>run</b>' });
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).toContain('a &lt;b&gt;run&lt;/b&gt;');
    expect(html).toContain('id="chart-rtt"');
    expect(html).toContain('data-client="2"');
    expect(html).toContain('id="metadata"');
    expect(html).not.toContain('id="chart-transfers"');
  });

  it('adds the transfer timeline when there was a P2P exchange', async () => {
    const html = renderReport({
      ...(await analyzeRun([dir])),
      transfers: parseTransferTimeline(timeline),
    });
    expect(html).toContain('id="chart-transfers"');
    expect(html).toContain('client_2_TimeData.txt');
  });
});

describe('parseTransferTimeline', () => {
  it('gives a lane to every peer named in a span', () => {
    const parsed = parseTransferTimeline({ ...timeline, peers: [] });
    expect(parsed.peers.sort()).toEqual(['client_1', 'client_2']);
  });

  it('refuses a malformed timeline with ERR_TRANSFERS_FORMAT', () => {
    expect(() => parseTransferTimeline({ peers: [], transfers: [{ file: 'x' }] })).toThrow(
      expect.objectContaining({ code: 'ERR_TRANSFERS_FORMAT' }),
    );
    const backwards = { ...timeline.transfers[0]!, startMs: 50, endMs: 10 };
    expect(() => parseTransferTimeline({ peers: [], transfers: [backwards] })).toThrow(
      expect.objectContaining({ code: 'ERR_TRANSFERS_FORMAT' }),
    );
  });
});
