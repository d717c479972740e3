import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InspectionEvent } from 'xstate';
import { type LiveLimits, LiveModel } from './liveModel';
import { type Asset, type PageServer, startPageServer } from './pageServer';
import type { Redactor } from './redact';

/** How often pages get a batch: often enough to look live, rarely enough to stay light. */
export const DEFAULT_FLUSH_MS = 100;

const PAGE_DIR = join(__dirname, 'page');
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

let assets: Record<string, Asset> | null = null;

/** The page and its scripts, with ELK's bundle: all served from this process, no network. */
function pageAssets(): Record<string, Asset> {
  assets ??= (() => {
    const files: Record<string, Asset> = {};
    for (const name of [
      'index.html',
      'app.js',
      'camera.js',
      'chart.js',
      'chartLayout.js',
      'log.js',
      'tree.js',
      'style.css',
    ]) {
      const type = TYPES[name.split('.').pop()!]!;
      files[`/${name}`] = { type, body: readFileSync(join(PAGE_DIR, name)) };
    }
    files['/'] = files['/index.html']!;
    files['/vendor/elk.js'] = {
      type: TYPES.js!,
      body: readFileSync(require.resolve('elkjs/lib/elk.bundled.js')),
    };
    return files;
  })();
  return assets;
}

/** Only this server's own scripts and feed; no inline script, no third party, no frames. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface LiveViewOptions {
  host: string;
  port: number;
  redactor: Redactor;
  title?: string;
  flushMs?: number;
  limits?: Partial<LiveLimits>;
}

export interface LiveView {
  observe(event: InspectionEvent): void;
  server: PageServer;
  stop(): Promise<void>;
}

/**
 * The offline live view: a {@link LiveModel} fed by the inspection observer, served to
 * browsers by a {@link startPageServer} page server. Every message passes the redactor's
 * text check on its way out, after the model already redacted each value.
 */
export async function startLiveView(options: LiveViewOptions): Promise<LiveView> {
  const model = new LiveModel(options.redactor, options.title, options.limits);
  const encode = (message: unknown) => options.redactor.text(JSON.stringify(message));
  const server = await startPageServer({
    host: options.host,
    port: options.port,
    assets: pageAssets(),
    csp: CSP,
    onPage: (send) => send(encode(model.init())),
  });
  const flush = () => {
    const batch = model.takeBatch();
    if (batch && server.pages() > 0) server.broadcast(encode(batch));
  };
  const timer = setInterval(flush, options.flushMs ?? DEFAULT_FLUSH_MS);
  timer.unref();
  let stopped: Promise<void> | null = null;
  return {
    observe: (event) => model.observe(event),
    server,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        flush();
        await server.stop();
      })();
      return stopped;
    },
  };
}
