import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

/** What the report's page script leaves in `window.timeswarmReport` (src/report/pageScript.ts). */
export interface ReportState {
  ready: boolean;
  errors: string[];
  charts: {
    id: string;
    points: number;
    kind: string;
    series: { client: number | null; color: string }[];
  }[];
  renderMs: number;
  scriptMs: number;
  rawDrawn: number;
}

type Global = { timeswarmReport: ReportState & { zoom(min?: number, max?: number): void } };

/**
 * Opens a report from disk and waits until it says it is drawn; collects console errors and
 * warnings, page errors, and every request (there must be none but the file itself).
 */
export async function openReport(context: BrowserContext, path: string, timeoutMs = 30_000) {
  const page = await context.newPage();
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
    () => (globalThis as unknown as Partial<Global>).timeswarmReport?.ready,
    null,
    { timeout: timeoutMs },
  );
  const state = await reportState(page);
  return { page, problems, requests, state };
}

export const reportState = (page: Page) =>
  page.evaluate(() => {
    const r = (globalThis as unknown as Global).timeswarmReport;
    return JSON.parse(JSON.stringify({ ...r, plots: undefined })) as ReportState;
  });

/** Zooms every time chart to [min, max] seconds (none: the whole run) and waits a frame. */
export async function zoom(page: Page, min?: number, max?: number): Promise<ReportState> {
  await page.evaluate(
    ([a, b]) =>
      new Promise<void>((resolve) => {
        (globalThis as unknown as Global).timeswarmReport.zoom(a, b);
        (
          globalThis as unknown as { requestAnimationFrame(f: () => void): void }
        ).requestAnimationFrame(() => resolve());
      }),
    [min, max],
  );
  return reportState(page);
}

/** `rgba(78,121,167,0.7)` and `#4e79a7` → `#4e79a7`; null for `transparent`. */
export function baseColor(color: string): string | null {
  if (color.startsWith('#')) return color.toLowerCase();
  const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  if (!m) return null;
  return `#${[m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('')}`;
}

/** Every colour each client is drawn in, across all charts, SVG bars and table swatches. */
export async function coloursByClient(page: Page, state: ReportState) {
  const seen = new Map<number, Set<string>>();
  const note = (client: number | null, color: string | null) => {
    if (client === null || color === null) return;
    if (!seen.has(client)) seen.set(client, new Set());
    seen.get(client)!.add(color);
  };
  for (const chart of state.charts)
    for (const s of chart.series) note(s.client, baseColor(s.color));
  const swatches = await page.$$eval('[data-client]', (els) =>
    els.map((el) => {
      const e = el as unknown as {
        dataset: { client: string };
        getAttribute(n: string): string | null;
        querySelector(s: string): { style: { background: string; backgroundColor: string } } | null;
      };
      const swatch = e.querySelector('.swatch');
      return {
        client: Number(e.dataset.client),
        color: e.getAttribute('fill') ?? swatch?.style.backgroundColor ?? '',
      };
    }),
  );
  for (const s of swatches) note(s.client, baseColor(s.color));
  return seen;
}
