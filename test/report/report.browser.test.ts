import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun } from '../../src/analysis';
import { collectRunMetadata, type TransferTimeline, writeReport } from '../../src/report';
import { startClient, startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';
import { writeSyntheticRun } from '../analysis/syntheticRun';
import {
  ARTIFACTS_DIR,
  type LaunchedBrowser,
  launchBrowser,
  saveScreenshot,
  writeArtifact,
} from '../helpers/browser';
import { coloursByClient, openReport, type ReportState, zoom } from './reportPage';

/**
 * Opens the HTML report in headless Chromium (test/helpers/browser.ts) and checks what a
 * person would see: every chart drawn with data, nothing fetched from anywhere, no console
 * error, one colour per client everywhere, a table that fits. Leaves the pages and their
 * screenshots under out/test-artifacts/ to look at, and the render time measured in the
 * browser in report-render.txt (recorded, not asserted: the machine is shared).
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
let bigRunDir: string;

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), 'timeswarm-browser-run-'));
  bigRunDir = await mkdtemp(join(tmpdir(), 'timeswarm-browser-big-'));
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
  await rm(bigRunDir, { recursive: true, force: true });
});

const TIME_CHARTS = ['chart-loss', 'chart-offset', 'chart-oneway', 'chart-rtt', 'chart-timer'];
const ALL_CHARTS = [...TIME_CHARTS, 'chart-cdf', 'chart-transfer-bytes', 'chart-transfers'].sort();

/** The structural facts every report must show, whatever its size. */
async function expectWellDrawn(
  opened: Awaited<ReturnType<typeof openReport>>,
  charts: string[],
  clientIds: number[],
) {
  const { page, problems, requests, state } = opened;
  expect(problems).toEqual([]);
  expect(state.errors).toEqual([]);
  expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
  expect(state.charts.map((c) => c.id).sort()).toEqual(charts);
  for (const chart of state.charts) expect(chart.points).toBeGreaterThan(0);
  const drawn = await page.$$eval('.chart', (els) =>
    els.map((el) => (el as unknown as { dataset: Record<string, string> }).dataset.drawn),
  );
  expect(drawn.every((d) => d === 'true')).toBe(true);
  // uPlot draws on canvases; each chart's canvas has ink.
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
  expect(inked).toHaveLength(charts.filter((id) => id !== 'chart-transfers').length);
  for (const ink of inked) expect(ink).toBeGreaterThan(100);
  // One colour per client across every chart, bar, lane and table row.
  const colours = await coloursByClient(page, state);
  expect([...colours.keys()].sort()).toEqual(clientIds);
  for (const [, set] of colours) expect(set.size).toBe(1);
  expect(new Set([...colours.values()].map((set) => [...set][0])).size).toBe(clientIds.length);
  // A static page shows no empty live legend.
  const legends = await page.$$eval('.legend, .readout', (els) =>
    els.map((el) => (el as unknown as { textContent: string }).textContent),
  );
  for (const text of legends) expect(text).not.toMatch(/--/);
}

/** The summary table's last column is inside the viewport, and nothing scrolls sideways. */
async function expectTableFits(opened: Awaited<ReturnType<typeof openReport>>, width: number) {
  const { page } = opened;
  await page.setViewportSize({ width, height: 900 });
  // The charts follow the window's width on its resize event: let that run and repaint.
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const raf = (globalThis as unknown as { requestAnimationFrame(f: () => void): void })
          .requestAnimationFrame;
        raf(() => raf(() => resolve()));
      }),
  );
  const fit = await page.evaluate(() => {
    type Box = { getBoundingClientRect(): { right: number; width: number } };
    type Sized = Box & { scrollWidth: number; clientWidth: number };
    const d = (
      globalThis as unknown as {
        document: { querySelector(s: string): Sized; documentElement: Sized };
      }
    ).document;
    const table = d.querySelector('#summary');
    const last = d.querySelector('#summary thead th:last-child').getBoundingClientRect();
    const lastDirection = d
      .querySelector('#directions thead th:last-child')
      .getBoundingClientRect();
    return {
      lastRight: last.right,
      lastWidth: last.width,
      directionsRight: lastDirection.right,
      viewport: d.documentElement.clientWidth,
      overflow: table.scrollWidth - table.clientWidth,
      pageOverflow: d.documentElement.scrollWidth - d.documentElement.clientWidth,
    };
  });
  expect(fit.lastWidth).toBeGreaterThan(20);
  expect(fit.lastRight).toBeLessThanOrEqual(fit.viewport);
  expect(fit.directionsRight).toBeLessThanOrEqual(fit.viewport);
  expect(fit.overflow).toBeLessThanOrEqual(0);
  expect(fit.pageOverflow).toBeLessThanOrEqual(0);
}

describe('the HTML report in Chromium', () => {
  it('draws every chart of a real run with data, offline, without console errors', async () => {
    const data = await analyzeRun([runDir]);
    const path = await writeReport(join(ARTIFACTS, 'report.html'), {
      ...data,
      transfers,
      title: 'timeswarm report (test run)',
      meta: collectRunMetadata({ command: 'jest test/report/report.browser.test.ts', ended: true }),
    });
    const opened = await openReport(browser!.context, path);
    await expectWellDrawn(opened, ALL_CHARTS, [1, 2, 3]);
    const { page } = opened;
    expect(await page.$$eval('#chart-transfers rect.span', (rects) => rects.length)).toBe(
      transfers.transfers.length,
    );
    expect(await page.$$eval('#summary tbody tr', (rows) => rows.length)).toBe(3);
    expect(await page.textContent('#metadata')).toContain(process.version);
    await saveScreenshot(page, 'report.png');
    await page.close();
  });

  it('reads a 3 × 30,000-exchange run: bands, raw points when zoomed in, a table that fits', async () => {
    // 5 minutes at 10 ms per client, with missed slots and lost ticks in both directions.
    const slots = 30_000;
    const every = (step: number, from: number) =>
      Array.from({ length: Math.floor((slots - from) / step) }, (_, i) => from + i * step);
    await writeSyntheticRun(
      bigRunDir,
      [1, 2, 3].map((clientId) => ({
        clientId,
        address: `127.0.0.${clientId + 1}`,
        slots,
        offsetMs: 0.02 * clientId,
        missed: every(97, 13 * clientId),
        lostUp: every(3001, 500 * clientId),
        lostDown: every(4999, 700 * clientId),
        startMicros: Date.UTC(2026, 10, 24, 0, 0, clientId * 2) * 1000,
      })),
    );
    const data = await analyzeRun([bigRunDir]);
    expect(data.series.map((s) => s.answered.t.length)).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);
    for (const s of data.series) expect(s.answered.t.length).toBeGreaterThan(29_000);
    const path = await writeReport(join(ARTIFACTS, 'report-3x30000.html'), {
      ...data,
      title: 'timeswarm report (synthetic: 3 clients × 30,000 exchanges)',
      meta: collectRunMetadata({ command: 'jest (synthetic 3 × 30,000)', ended: true }),
    });
    const opened = await openReport(browser!.context, path);
    const { page, state } = opened;
    await expectWellDrawn(opened, [...TIME_CHARTS, 'chart-cdf'].sort(), [1, 2, 3]);
    // Windows, not raw points, at full width: a few hundred per client per series.
    const rtt = state.charts.find((c) => c.id === 'chart-rtt')!;
    expect(rtt.points).toBeLessThan(3 * 3 * 400);
    expect(state.rawDrawn).toBe(0);
    await writeArtifact(
      'report-render.txt',
      `3 × 30,000 exchanges: rendered ${state.renderMs} ms after navigation start ` +
        `(page script ${state.scriptMs} ms), measured in the browser; Chromium ${browser!.version}
`,
    );
    console.log(`report of 3 × 30,000 exchanges rendered in ${state.renderMs} ms (in-browser)`);
    await saveScreenshot(page, 'report-3x30000-1400px.png');

    // Zoomed to 4 s, every exchange in view is drawn as a dot (~400 per client).
    const zoomed: ReportState = await zoom(page, 100, 104);
    expect(zoomed.rawDrawn).toBeGreaterThan(3 * 350);
    expect(zoomed.rawDrawn).toBeLessThan(3 * 450);
    await saveScreenshot(page, 'report-3x30000-zoomed.png', { fullPage: false });
    expect((await zoom(page)).rawDrawn).toBe(0);

    await expectTableFits(opened, 1400);
    await expectTableFits(opened, 1000);
    await saveScreenshot(page, 'report-3x30000-1000px.png');
    await page.close();
  }, 240_000);
});
