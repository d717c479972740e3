import http from 'node:http';
import net from 'node:net';
import type { InspectionEvent, Observer } from 'xstate';
import { getLogger, type Logger } from '../log/logger';
import { lightenInspectionEvent } from './lighten';
import { loadInspect } from './loadEsm';
import { DEFAULT_INSPECT_PORT } from './option';

export { DEFAULT_INSPECT_PORT };

export interface InspectorOptions {
  /** Relay port (HTTP page + WebSocket). The relay of `@statelyai/inspect` needs a fixed port. */
  port?: number;
  logger?: Logger;
}

export interface InspectorHandle {
  /** Give this to `createActor(…, { inspect })` (e.g. through `StartOptions.inspect`). */
  inspect: Observer<InspectionEvent>;
  /** Whether this process runs the relay, or joined one that another process runs. */
  role: 'relay' | 'joined';
  /** The page a person opens. */
  pageUrl: string;
  /** Where inspection events stream (any WebSocket client can listen). */
  wsUrl: string;
  /** Flushes pending events, disconnects and stops the relay (if ours). Safe to call twice. */
  stop(): Promise<void>;
}

/** Is `port` free on all interfaces (as the relay binds it)? */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

/**
 * `createInspectorServer` with a stop that really stops: its own `stop()` closes the
 * WebSocket server and the HTTP server, but (ws 8) leaves open connections alone, so a
 * browser tab still watching would keep the process alive. The library creates its HTTP
 * server synchronously with `http.createServer`; catching that one server lets us track the
 * upgraded sockets and end them on stop.
 */
function startRelay(
  create: (options: { port: number; autoOpen: boolean }) => { stop(): void },
  port: number,
): { stop(): void } {
  const original = http.createServer;
  let captured: http.Server | null = null;
  (http as { createServer: unknown }).createServer = (...args: unknown[]) => {
    captured = (original as (...a: unknown[]) => http.Server)(...args);
    return captured;
  };
  let relay: { stop(): void };
  try {
    relay = create({ port, autoOpen: false });
  } finally {
    (http as { createServer: unknown }).createServer = original;
  }
  const sockets = new Set<net.Socket>();
  const httpServer = captured as http.Server | null;
  httpServer?.on('upgrade', (_request, socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    stop() {
      relay.stop();
      for (const socket of sockets) socket.destroy();
      httpServer?.closeAllConnections();
    },
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Streams every actor's inspection events to the Stately inspector through a local relay:
 * `createInspectorServer` from `@statelyai/inspect/server` (an HTTP page that embeds
 * stately.ai/inspect, plus a WebSocket relay) and `createWebSocketInspector` as its client.
 *
 * If the port is already taken, by the relay of another timeswarm process started with
 * `--inspect` for example, this process joins it, so one inspector shows the server and its
 * clients together. Created only on request: without a reachable relay the inspector client
 * retries every 5 s and keeps the process alive, so {@link InspectorHandle.stop} must run on
 * every way out.
 */
export async function startInspector(options: InspectorOptions = {}): Promise<InspectorHandle> {
  const port = options.port ?? DEFAULT_INSPECT_PORT;
  const logger = options.logger ?? getLogger('inspect');
  const { inspect, server } = await loadInspect();

  const role: InspectorHandle['role'] = (await portIsFree(port)) ? 'relay' : 'joined';
  const relay = role === 'relay' ? startRelay(server.createInspectorServer, port) : null;
  const wsUrl = `ws://localhost:${port}`;
  const inspector = inspect.createWebSocketInspector({ url: wsUrl, maxDeferredEvents: 1000 });
  const adapter = inspector.adapter as unknown as { status: string; start(): void };
  logger.verbose(
    role === 'relay'
      ? `inspector relay on port ${port}`
      : `joined the inspector relay on port ${port}`,
  );

  // Wait for the connection, so that the first events are not held back and so that a
  // stop during the handshake cannot trigger the adapter's reconnect loop.
  for (let waited = 0; adapter.status !== 'open' && waited < 2000; waited += 20) await delay(20);
  if (adapter.status !== 'open')
    logger.warn(`inspector relay on port ${port} not reachable yet; events are buffered`);

  let stopped: Promise<void> | null = null;
  return {
    role,
    pageUrl: `http://localhost:${port}`,
    wsUrl,
    inspect: {
      next: (event) => {
        if (!stopped) inspector.inspect.next?.(lightenInspectionEvent(event));
      },
      error: () => undefined,
      complete: () => undefined,
    },
    stop() {
      stopped ??= (async () => {
        // The inspector converts events on a zero-delay timer; let the last ones go out.
        await delay(50);
        // A reconnect already scheduled (relay gone) must not start a new socket.
        adapter.start = () => undefined;
        inspector.stop();
        relay?.stop();
        logger.verbose('inspector stopped');
      })();
      return stopped;
    },
  };
}

/** What a person is told to do, printed once the inspector runs. */
export function inspectorInstructions(handle: InspectorHandle): string {
  const how =
    handle.role === 'relay'
      ? `Inspector: open ${handle.pageUrl} in a browser to watch every state machine live\n` +
        '  (the page embeds the Stately inspector from https://stately.ai/inspect, which needs internet access;\n' +
        `  offline, any WebSocket client on ${handle.wsUrl} receives the raw inspection events).\n` +
        '  Other timeswarm processes started with the same --inspect port join this inspector.'
      : `Inspector: joined the relay already running on ${handle.wsUrl}; watch at ${handle.pageUrl}.`;
  return how;
}
