import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** Where the inspector listens unless told otherwise: this machine only. */
import { DEFAULT_INSPECT_HOST } from './option';

export { DEFAULT_INSPECT_HOST };
/** The path of the WebSocket feed. */
export const FEED_PATH = '/feed';
/** A page that falls this far behind is disconnected; it reconnects and starts afresh. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** At most this many pages at once: each costs a copy of every batch. */
const MAX_PAGES = 16;

export interface Asset {
  type: string;
  body: string | Buffer;
}

export interface PageServerOptions {
  host: string;
  port: number;
  /** Static files by path (`/`, `/app.js`, …), read once. */
  assets: Record<string, Asset>;
  /** The Content-Security-Policy of HTML answers. */
  csp: string;
  /** Called for each page that connects to the feed, with a send function for it. */
  onPage(send: (text: string) => void): void;
}

export interface PageServer {
  address: { host: string; port: number };
  /** Number of pages connected to the feed now. */
  pages(): number;
  /** Sends a text message to every connected page. */
  broadcast(text: string): void;
  /** Closes every page connection and the server. */
  stop(): Promise<void>;
}

/** Loopback names and addresses: a loopback-bound inspector answers only to these. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

const hostName = (hostHeader: string) => {
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader);
  return match ? match[1]! : '';
};

/**
 * The inspector's HTTP + WebSocket server (node:http and `ws`). Security, as it must hold:
 * - it binds `host` only (127.0.0.1 by default; a wider bind is the caller's explicit choice);
 * - bound to loopback, it answers only requests whose Host is a loopback name, so a web page
 *   elsewhere cannot reach it through DNS rebinding;
 * - the feed refuses WebSocket upgrades whose Origin is not this server's own page (a page
 *   on another site in the same browser could otherwise read the stream);
 * - pages cannot send anything: the feed is one-way, with a 1 KiB message limit;
 * - bounded: at most {@link MAX_PAGES} pages, each dropped when it lags by 4 MiB.
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const loopbackOnly = isLoopback(options.host);
  const hostAllowed = (header: string | undefined) =>
    !loopbackOnly || (header !== undefined && isLoopback(hostName(header)));

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const asset = options.assets[path];
    if (!hostAllowed(request.headers.host)) {
      response.writeHead(421, { 'Content-Type': 'text/plain' }).end('misdirected request\n');
      return;
    }
    if (request.method !== 'GET' || !asset) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'Content-Type': asset.type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...(asset.type.startsWith('text/html')
        ? { 'Content-Security-Policy': options.csp, 'X-Frame-Options': 'DENY' }
        : {}),
    });
    response.end(asset.body);
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024,
    perMessageDeflate: false,
  });
  server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    const origin = request.headers.origin;
    const ownOrigin = origin === undefined || origin === `http://${request.headers.host}`;
    if (
      path !== FEED_PATH ||
      !hostAllowed(request.headers.host) ||
      !ownOrigin ||
      wss.clients.size >= MAX_PAGES
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', () => ws.close(1008, 'the feed is one-way'));
      ws.on('error', () => ws.terminate());
      const send = (text: string) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.close(1013, 'too far behind');
        else ws.send(text);
      };
      options.onPage(send);
      wss.emit('connection', ws, request);
    });
  });

  server.listen(options.port, options.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const address = server.address() as AddressInfo;
  let stopped: Promise<void> | null = null;
  return {
    address: { host: address.address, port: address.port },
    pages: () => wss.clients.size,
    broadcast(text) {
      for (const ws of wss.clients) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) ws.close(1013, 'too far behind');
        else ws.send(text);
      }
    },
    stop() {
      stopped ??= (async () => {
        for (const ws of wss.clients) ws.close(1001, 'the process is ending');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // A page that does not answer the close within a moment is cut.
        const cut = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
          server.closeAllConnections();
        }, 200);
        wss.close();
        server.closeIdleConnections();
        await closed;
        clearTimeout(cut);
      })();
      return stopped;
    },
  };
}
