import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { type InspectorHandle, startInspector } from '../../src/inspect';
import { startClient, startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';
import { type LaunchedBrowser, launchBrowser, saveScreenshot } from '../helpers/browser';

/**
 * Opens the offline live view in headless Chromium (test/helpers/browser.ts, no network) and watches a client
 * session's machine go connecting → ticking → done on the page, reading the DOM (the tree
 * row's data-state, the chart's data-active), never pixels. Leaves screenshots under
 * out/test-artifacts/ to look at.
 */
const SECRET = 'browser-test-secret-7f3a';

let dir: string;
let browser: LaunchedBrowser | undefined;
let inspector: InspectorHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-live-'));
  inspector = await startInspector({ port: 0, secrets: [SECRET], title: 'timeswarm test' });
  browser = await launchBrowser({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await inspector?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The little of the browser's globals the recorder uses (the tests compile without DOM types). */
interface Row {
  getAttribute(name: string): string | null;
}
interface Browser$ {
  document: {
    body: unknown;
    querySelector(selector: string): Row | null;
    querySelectorAll(selector: string): Iterable<Row>;
  };
  MutationObserver: new (
    callback: () => void,
  ) => { observe(target: unknown, options: Record<string, unknown>): void };
}

/**
 * Records, in the page, every state shown in the actor tree by the first actor of `machine`
 * that appears from now on (rows are re-created as the tree changes; data-sid follows it).
 */
async function recordStates(page: Page, machine: string): Promise<void> {
  await page.evaluate((name) => {
    const { document, MutationObserver } = globalThis as unknown as Browser$;
    const selector = `.tree .row[data-machine="${name}"]`;
    const before = new Set(
      [...document.querySelectorAll(selector)].map((r) => r.getAttribute('data-sid')),
    );
    const seen: string[] = [];
    let sid: string | null = null;
    (globalThis as unknown as { seenStates: string[] }).seenStates = seen;
    const look = () => {
      if (sid === null)
        sid =
          [...document.querySelectorAll(selector)]
            .map((r) => r.getAttribute('data-sid'))
            .find((s) => !before.has(s)) ?? null;
      const value =
        sid && document.querySelector(`.tree .row[data-sid="${sid}"]`)?.getAttribute('data-state');
      if (value && seen.at(-1) !== value) seen.push(value);
    };
    new MutationObserver(look).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
  }, machine);
}

const seenStates = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { seenStates: string[] }).seenStates);

describe('the live view in Chromium', () => {
  it('shows a client session going connecting → ticking → done, offline', async () => {
    const page = await browser!.context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(inspector.pageUrl.replace(/\/$/, '')))
        foreign.push(request.url());
    });
    await page.goto(inspector.pageUrl);
    await page.waitForSelector('body[data-connection="live"]', { timeout: 30_000 });

    const inspect = inspector.inspect;
    const server = await startServer(
      {
        transport: tcpTransport,
        host: '127.0.0.1',
        port: 0,
        outDir: join(dir, 'server'),
        secret: SECRET,
      },
      { inspect },
    );
    const session = (name: string, durationMs: number) =>
      startClient(
        {
          transport: tcpTransport,
          server: { host: '127.0.0.1', port: server.address.port },
          durationMs,
          outDir: join(dir, name),
          secret: SECRET,
        },
        { inspect },
      );
    try {
      // A first, short session brings the machine definitions; the page lays each chart out
      // once (ELK, in the page), so the watched session is drawn from its first state.
      await session('warm-up', 200).done;
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { timeswarmLive: { layouts: Record<string, number> } })
            .timeswarmLive.layouts.clientSession !== undefined,
        null,
        { timeout: 60_000 },
      );
      // The page may still be drawing the warm-up's last events: record only once it is done.
      await page.waitForSelector(
        '#chart g.state.kind-final[data-active="true"][data-path="done"]',
        {
          state: 'attached',
          timeout: 30_000,
        },
      );
      await recordStates(page, 'clientSession');
      const client = session('client', 3000);
      // The newest root machine is selected by itself: the watched session's chart shows.
      await page.waitForSelector(
        '#chart[data-machine="clientSession"] g.state[data-active="true"][data-path$="ticking"]',
        { state: 'attached', timeout: 30_000 },
      );
      await saveScreenshot(page, 'live-view-ticking', { fullPage: false });
      await page.click('#fit');
      await saveScreenshot(page, 'live-view-ticking-fit', { fullPage: false });
      await client.done;
    } finally {
      server.actor.send({ type: 'server.stop', reason: 'test over' });
      await server.done;
    }
    await page.waitForSelector('#chart g.state.kind-final[data-active="true"][data-path="done"]', {
      state: 'attached',
      timeout: 30_000,
    });
    await saveScreenshot(page, 'live-view-done', { fullPage: false });

    const states = await seenStates(page);
    const first = (test: (s: string) => boolean) => states.findIndex(test);
    const connecting = first((s) => s === 'connecting');
    const ticking = first((s) => /(^|\.)ticking(\.|$)/.test(s));
    const done = first((s) => s === 'done');
    expect({ states, order: connecting >= 0 && connecting < ticking && ticking < done }).toEqual({
      states,
      order: true,
    });
    // The event stream shows the session's events, and filtering by type works.
    const types = await page.$$eval('#log li[data-type]', (rows) =>
      rows.map((row) => row.getAttribute('data-type')),
    );
    expect(types.length).toBeGreaterThan(0);
    await page.fill('#type-filter', 'tick');
    await page.waitForFunction(() => {
      const rows = [
        ...(globalThis as unknown as Browser$).document.querySelectorAll('#log li[data-type]'),
      ];
      return (
        rows.length > 0 && rows.every((row) => row.getAttribute('data-type')?.includes('tick'))
      );
    });
    await saveScreenshot(page, 'live-view-filtered', { fullPage: false });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
