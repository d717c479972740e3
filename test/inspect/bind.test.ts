import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import { type InspectorHandle, startInspector } from '../../src/inspect';
import { captureLogger } from '../helpers/tcp';

/**
 * Where the inspector listens and whom it answers: 127.0.0.1 only unless asked; a wider bind
 * is explicit and warned about; a page from another site (Origin) or another name (Host,
 * DNS rebinding) gets nothing.
 */
const handles: InspectorHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
});
const start = async (options: Parameters<typeof startInspector>[0]) => {
  const handle = await startInspector(options);
  handles.push(handle);
  return handle;
};

/** Connects to host:port; resolves with the error code, or 'connected'. */
function dial(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

function get(port: number, headers: Record<string, string> = {}, path = '/') {
  return new Promise<{ status: number; body: string; csp?: string }>((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body,
          ...(typeof response.headers['content-security-policy'] === 'string'
            ? { csp: response.headers['content-security-policy'] }
            : {}),
        }),
      );
    });
    request.once('error', reject);
  });
}

function upgrade(url: string, origin?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(String(response.statusCode));
      ws.terminate();
    });
    ws.once('error', () => resolve('error'));
  });
}

describe('the inspector binds to loopback', () => {
  it('listens on 127.0.0.1 by default, on the port chosen when asked for port 0', async () => {
    const handle = await start({ port: 0 });
    expect(handle.address.host).toBe('127.0.0.1');
    expect(handle.address.port).toBeGreaterThan(0);
    expect(handle.exposed).toBe(false);
    expect(handle.pageUrl).toBe(`http://127.0.0.1:${handle.address.port}/`);
    expect(await dial('127.0.0.1', handle.address.port)).toBe('connected');
    // Another loopback address reaches only what binds all interfaces.
    expect(await dial('127.0.0.2', handle.address.port)).toBe('ECONNREFUSED');
  });

  it('binds wider only when told, and warns', async () => {
    const { logger, entries } = captureLogger();
    const handle = await start({ port: 0, host: '0.0.0.0', logger });
    expect(handle.exposed).toBe(true);
    expect(await dial('127.0.0.2', handle.address.port)).toBe('connected');
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.code)).toEqual([
      'INSPECT_EXPOSED',
    ]);
  });

  it('serves the page and its scripts from this process, with a strict CSP', async () => {
    const { address } = await start({ port: 0 });
    const page = await get(address.port);
    expect(page.status).toBe(200);
    expect(page.csp).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const path of ['/app.js', '/chart.js', '/vendor/elk.js', '/style.css'])
      expect((await get(address.port, {}, path)).status).toBe(200);
    expect((await get(address.port, {}, '/../package.json')).status).toBe(404);
  });

  it('answers no other host name (DNS rebinding) and no page from another origin', async () => {
    const { address, wsUrl } = await start({ port: 0 });
    expect((await get(address.port, { Host: 'attacker.example' })).status).toBe(421);
    expect(await upgrade(wsUrl, 'http://attacker.example')).toBe('403');
    expect(await upgrade(wsUrl, `http://127.0.0.1:${address.port}`)).toBe('open');
    expect(await upgrade(wsUrl)).toBe('open');
  });

  it('uses another port when the one asked for is taken', async () => {
    const { logger, entries } = captureLogger();
    const first = await start({ port: 0 });
    const second = await start({ port: first.address.port, logger });
    expect(second.address.port).not.toBe(first.address.port);
    expect(entries.map((e) => e.code)).toEqual(['INSPECT_PORT_IN_USE']);
  });
});
