import type { InspectionEvent } from 'xstate';
import { lightenInspectionEvent } from './lighten';
import { loadInspect } from './loadEsm';
import { type PageServer, startPageServer } from './pageServer';
import type { Redactor } from './redact';

/** Stately's hosted inspector, which the bridge page frames (online only). */
export const STATELY_URL = 'https://stately.ai/inspect';
const STATELY_ORIGIN = new URL(STATELY_URL).origin;
/** Messages kept for a page that opens late (as `@statelyai/inspect`'s own relay keeps 200). */
const KEPT = 200;
const FORWARDED = new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);

const BRIDGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stately inspector (online)</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style>
<script src="/bridge.js" defer></script></head>
<body><iframe id="inspector" src="${STATELY_URL}"></iframe></body></html>
`;

// Forwards the local feed into Stately's frame, and only to Stately's origin.
const BRIDGE_JS = `'use strict';
const frame = document.getElementById('inspector');
const waiting = [];
let connected = false;
const post = (message) => frame.contentWindow.postMessage(message, ${JSON.stringify(STATELY_ORIGIN)});
window.addEventListener('message', (event) => {
  if (event.origin !== ${JSON.stringify(STATELY_ORIGIN)} || event.data?.type !== '@statelyai.connected') return;
  connected = true;
  waiting.splice(0).forEach(post);
});
const ws = new WebSocket('ws://' + location.host + '/feed');
ws.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (connected) post(message);
  else if (waiting.length < ${KEPT}) waiting.push(message);
};
`;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  `frame-src ${STATELY_ORIGIN}`,
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface StatelyView {
  observe(event: InspectionEvent): void;
  server: PageServer;
  stop(): Promise<void>;
}

/**
 * Stately's hosted inspector, for people who are online: a local bridge page (bound like
 * the live view, loopback by default) frames stately.ai/inspect and forwards to it what
 * `@statelyai/inspect`'s `createInspector` makes of each inspection event. Every event is
 * lightened and redacted first, and every message passes the redactor's text check, so
 * what reaches Stately's page holds no secret either.
 */
export async function startStatelyView(options: {
  host: string;
  port: number;
  redactor: Redactor;
}): Promise<StatelyView> {
  const { inspect } = await loadInspect();
  const kept: string[] = [];
  const server = await startPageServer({
    host: options.host,
    port: options.port,
    assets: {
      '/': { type: 'text/html; charset=utf-8', body: BRIDGE_HTML },
      '/bridge.js': { type: 'text/javascript; charset=utf-8', body: BRIDGE_JS },
    },
    csp: CSP,
    onPage: (send) => {
      for (const text of kept) send(text);
    },
  });
  const inspector = inspect.createInspector({
    start: () => undefined,
    stop: () => undefined,
    send(event: unknown) {
      const text = options.redactor.text(JSON.stringify(event));
      kept.push(text);
      if (kept.length > KEPT) kept.shift();
      server.broadcast(text);
    },
  });
  let stopped: Promise<void> | null = null;
  return {
    observe(event) {
      // The three kinds the library converts; it drops the others anyway.
      if (stopped || !FORWARDED.has(event.type)) return;
      inspector.inspect.next?.(lightenInspectionEvent(event, options.redactor));
    },
    server,
    stop() {
      stopped ??= (async () => {
        // The library converts events on a zero-delay timer; let the last ones go out.
        await new Promise((resolve) => setTimeout(resolve, 50));
        await server.stop();
      })();
      return stopped;
    },
  };
}
