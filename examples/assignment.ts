import { join } from 'node:path';
import type { ClientSessionSummary, Logger, ServerSummary } from '../src';
import { getLogger } from '../src';
import { loopbackAddresses } from '../src/runtime/loopback';
import { type StartOptions, startClient, startServer } from '../src/runtime/start';
import { tcpTransport } from '../src/transport';

export interface AssignmentOptions {
  /** Every client's session length (the assignment: 5 minutes). */
  durationMs: number;
  intervalMs: number;
  /** Run folder: `server/` and `client_N/` go inside. */
  outDir: string;
  /** Server port on 127.0.0.1; 0 picks a free one. */
  port: number;
  clients: number;
  /** Delay between client starts: client 2 starts while client 1 is exchanging (Part II). */
  staggerMs: number;
  spinMs: number;
  start?: StartOptions;
  logger?: Logger;
  /** Called with each client's actor as it starts (progress display, inspection). */
  onClientStarted?: (client: ReturnType<typeof startClient>, clientId: number) => void;
  /** Aborting stops every session early; the files are finished all the same. */
  signal?: AbortSignal;
}

export interface AssignmentResult {
  server: ServerSummary;
  clients: ClientSessionSummary[];
  /** `client_N/` folders, in client order. */
  clientDirs: string[];
}

/**
 * Parts I and II of the assignment: one server, then client 1, then clients 2 and 3 while
 * client 1 is already exchanging, each for the full duration; then the server stops.
 */
export async function runAssignment(options: AssignmentOptions): Promise<AssignmentResult> {
  const logger = options.logger ?? getLogger('example');
  const server = await startServer(
    {
      transport: tcpTransport,
      host: '127.0.0.1',
      port: options.port,
      outDir: join(options.outDir, 'server'),
    },
    options.start,
  );
  logger.info(`server listening on 127.0.0.1:${server.address.port}`);
  const addresses = await loopbackAddresses(options.clients);
  const sessions: ReturnType<typeof startClient>[] = [];
  const stopAll = () => {
    for (const session of sessions)
      session.actor.send({ type: 'session.stop', reason: 'stopped by the user' });
  };
  options.signal?.addEventListener('abort', stopAll, { once: true });

  for (let i = 0; i < options.clients; i++) {
    if (i > 0) await delay(options.staggerMs, options.signal);
    if (options.signal?.aborted) break;
    const clientId = i + 1;
    const session = startClient(
      {
        transport: tcpTransport,
        server: { host: '127.0.0.1', port: server.address.port },
        requestedId: clientId,
        localAddress: addresses[i]!,
        intervalMs: options.intervalMs,
        durationMs: options.durationMs,
        outDir: join(options.outDir, `client_${clientId}`),
        spinMs: options.spinMs,
      },
      options.start,
    );
    sessions.push(session);
    options.onClientStarted?.(session, clientId);
    logger.info(`client ${clientId} started from ${addresses[i]}`);
  }

  const clients = await Promise.all(sessions.map((session) => session.done));
  options.signal?.removeEventListener('abort', stopAll);
  server.actor.send({ type: 'server.stop', reason: 'all clients finished' });
  return {
    server: await server.done,
    clients,
    clientDirs: clients.map((_, i) => join(options.outDir, `client_${i + 1}`)),
  };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
