import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeRun } from '../../src/analysis';
import { type TransferTimeline, writeReport } from '../../src/report';
import { startClient, startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';
import {
  ARTIFACTS_DIR,
  type LaunchedBrowser,
  launchBrowser,
  saveScreenshot,
} from '../helpers/browser';

/**
 * Opens the HTML report in headless Chromium (test/helpers/browser.ts) and checks what a
 * person would see: every chart drawn with data, nothing fetched from anywhere, no console
 * error. Leaves report.html and report.png under out/test-artifacts/ to look at.
 */
const ARTIFACTS = ARTIFACTS_DIR;

// What the P2P exchange of three peers could look like (Part III writes the real one).
const transfers: TransferTimeline = {
  peers: ['client_1', 'client_2', 'client_3'],
  transfers: [
    {
      file: 'client_2_TimeData.txt',
      to: 'client_1',
      from: ['client_2', 'client_3'],
      startMs: 2,
      endMs: 41,
      bytes: 9000,
      chunks: 3,
    },
    {
      file: 'client_3_TimeData.txt',
      to: 'client_1',
      from: ['client_3'],
      startMs: 3,
      endMs: 38,
      bytes: 8800,
      chunks: 3,
    },
    {
      file: 'client_1_TimeData.txt',
      to: 'client_2',
      from: ['client_1'],
      startMs: 2,
      endMs: 35,
      bytes: 9100,
      chunks: 3,
    },
    {
      file: 'client_3_TimeData.txt',
      to: 'client_2',
      from: ['client_3', 'client_1'],
      startMs: 4,
      endMs: 44,
      bytes: 8800,
      chunks: 3,
    },
    {
      file: 'client_1_TimeData.txt',
      to: 'client_3',
      from: ['client_2'],
      startMs: 36,
      endMs: 52,
      bytes: 9100,
      chunks: 3,
    },
    {
      file: 'client_2_TimeData.txt',
      to: 'client_3',
      from: ['client_1'],
      startMs: 42,
      endMs: 60,
      bytes: 9000,
      chunks: 3,
    },
  ],
};

let runDir: string;
let browser: LaunchedBrowser | undefined;

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'timeswarm-browser-run-'));
  // A real run: a server and three staggered clients over TCP on loopback.
  const server = await startServer({
    transport: tcpTransport,
    host: '127.0.0.1',
    port: 0,
    outDir: join(runDir, 'server'),
  });
  try {
    const sessions = [];
    for (const clientId of [1, 2, 3]) {
      sessions.push(
        startClient({
          transport: tcpTransport,
          server: { host: '127.0.0.1', port: server.address.port },
          requestedId: clientId,
          durationMs: 1500,
          outDir: join(runDir, `client_${clientId}`),
        }),
      );
      await new Promise((r) => setTimeout(r, 300));
    }
    await Promise.all(sessions.map((s) => s.done));
  } finally {
    server.actor.send({ type: 'server.stop', reason: 'test over' });
    await server.done;
  }
  browser = await launchBrowser({ viewport: { width: 1300, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await rm(runDir, { recursive: true, force: true });
});

async function open(path: string) {
  const page = await browser!.context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { timeswarmReport?: { ready: boolean } }).timeswarmReport?.ready,
    null,
    {
      timeout: 15_000,
    },
  );
  const report = await page.evaluate(
    () =>
      (
        globalThis as unknown as {
          timeswarmReport: { charts: { id: string; points: number }[]; errors: string[] };
        }
      ).timeswarmReport,
  );
  const drawn = await page.$$eval('.chart', (els) =>
    els.map((el) => ({
      id: el.id,
      drawn: (el as unknown as { dataset: Record<string, string> }).dataset.drawn,
    })),
  );
  return { page, problems, requests, report, drawn };
}

describe('the HTML report in Chromium', () => {
  it('draws every chart with data, offline, without console errors', async () => {
    const data = await analyzeRun([runDir]);
    const path = await writeReport(join(ARTIFACTS, 'report.html'), {
      ...data,
      transfers,
      title: 'timeswarm report (test run)',
    });
    const { page, problems, requests, report, drawn } = await open(path);

    expect(problems).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    const ids = report.charts.map((c) => c.id).sort();
    expect(ids).toEqual([
      'chart-histogram',
      'chart-offset',
      'chart-rtt',
      'chart-transfer-bytes',
      'chart-transfers',
    ]);
    for (const chart of report.charts) expect(chart.points).toBeGreaterThan(0);
    expect(drawn.every((d) => d.drawn === 'true')).toBe(true);
    // uPlot draws on canvases; each chart's canvas has non-blank pixels.
    const inked = await page.$$eval('.chart canvas', (canvases) =>
      canvases.map((canvas) => {
        const c = canvas as unknown as {
          width: number;
          height: number;
          getContext(kind: '2d'): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
        };
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink++;
        return ink;
      }),
    );
    expect(inked).toHaveLength(4);
    for (const ink of inked) expect(ink).toBeGreaterThan(100);
    expect(await page.$$eval('#chart-transfers rect.span', (rects) => rects.length)).toBe(
      transfers.transfers.length,
    );
    expect(await page.$$eval('#summary tbody tr', (rows) => rows.length)).toBe(3);

    await saveScreenshot(page, 'report.png');
    await page.close();
  });
});
