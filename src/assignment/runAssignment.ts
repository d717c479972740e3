import { join } from 'node:path';
import type { ClientSessionSummary } from '../actors/client';
import type { ServerSummary } from '../actors/server';
import { getLogger, type Logger } from '../log/logger';
import { type StartedClient, startClient } from '../runtime/client';
import { loopbackAddresses } from '../runtime/loopback';
import { startServer } from '../runtime/server';
import type { StartOptions } from '../runtime/start';
import { tcpTransport } from '../transport';

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
  onClientStarted?: (client: StartedClient, clientId: number) => void;
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
 * Parts I and II of the assignment over TCP on loopback: one server, then client 1, then
 * clients 2 and 3 while client 1 is already exchanging, each for the full duration; then the
 * server stops. Each client binds its own loopback address (127.0.0.2, …) where the OS allows.
 *
 * @example
 * const run = await runAssignment({ durationMs: 300_000, intervalMs: 10, outDir: 'out/run',
 *   port: 5555, clients: 3, staggerMs: 2000, spinMs: 1 });
 */
export async function runAssignment(options: AssignmentOptions): Promise<AssignmentResult> {
  const logger = options.logger ?? getLogger('assignment');
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
  const sessions: StartedClient[] = [];
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

/** Waits `ms`, or less when `signal` aborts first. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
