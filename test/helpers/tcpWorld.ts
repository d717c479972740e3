import { join } from 'node:path';
import type { ClientSessionInput, ClientSessionSummary } from '../../src/actors/client';
import type { ServerInput } from '../../src/actors/server';
import { tempDir } from './simulation';
import { type RawClient, rawClient, startTcpClient, startTcpServer, type TcpServer } from './tcp';

type Started = ReturnType<typeof startTcpClient>;

/** What a test does in its world; everything it starts is gone after the test. */
export interface TcpWorld {
  /** This test's own temporary folder. */
  readonly dir: string;
  /** `join(dir, …parts)`. */
  path(...parts: string[]): string;
  /** The first server started in this test (throws if none). */
  readonly server: TcpServer;
  /** The real server on 127.0.0.1, port 0; its table under `dir/server` unless told. */
  startServer(
    input?: Omit<ServerInput, 'transport' | 'host' | 'port' | 'outDir'> & {
      outDir?: string;
      port?: number;
    },
  ): Promise<TcpServer>;
  /** A real client session to `port` (default: the server's); files under `dir/client_N`. */
  startClient(
    input?: Omit<ClientSessionInput, 'transport' | 'server' | 'outDir'> & {
      outDir?: string;
      port?: number;
    },
  ): Started;
  /** `n` clients at once (each its own folder); resolves with their summaries. */
  runClients(
    n: number,
    input?: (i: number) => Omit<ClientSessionInput, 'transport' | 'server' | 'outDir'>,
  ): Promise<ClientSessionSummary[]>;
  /** A raw protocol client to `port` (default: the server's). */
  raw(options?: { port?: number; localAddress?: string }): Promise<RawClient>;
  /** Something else to close after the test (a proxy, a child process…). */
  onTeardown(close: () => unknown): void;
}

/** How long teardown waits for an actor to finish before it gives up on it (a bound, not a timing). */
const TEARDOWN_LIMIT_MS = 15_000;

const bounded = <T>(promise: Promise<T>) =>
  Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => setTimeout(resolve, TEARDOWN_LIMIT_MS).unref()),
  ]);

/**
 * The TCP-world fixture: call it at the top of a test file (or a describe). Before each test
 * it makes a temporary folder; after each test it destroys the raw clients, stops every client
 * session and every server the test started (waiting, bounded, until each has finished its
 * files), runs what was registered with `onTeardown`, and removes the folder. No test leaves
 * a socket, a timer or a file handle behind.
 */
export function tcpWorld(prefix = 'timeswarm-tcp-'): TcpWorld {
  let dir: Awaited<ReturnType<typeof tempDir>> | null = null;
  let servers: TcpServer[] = [];
  let clients: Started[] = [];
  let raws: RawClient[] = [];
  let teardowns: Array<() => unknown> = [];

  beforeEach(async () => {
    dir = await tempDir(prefix);
  });
  afterEach(async () => {
    for (const raw of raws) raw.destroy();
    for (const client of clients) {
      if (client.actor.getSnapshot().status === 'active') {
        client.actor.send({ type: 'session.stop', reason: 'test teardown' });
      }
    }
    await Promise.all(clients.map((client) => bounded(client.done)));
    for (const server of servers) {
      if (server.actor.getSnapshot().status === 'active')
        server.actor.send({ type: 'server.stop' });
    }
    await Promise.all(servers.map((server) => bounded(server.done)));
    for (const close of teardowns.reverse()) await bounded(Promise.resolve().then(close));
    await dir?.remove();
    [servers, clients, raws, teardowns, dir] = [[], [], [], [], null];
  });

  const folder = () => {
    if (!dir) throw new Error('tcpWorld is used outside a test');
    return dir.path;
  };
  const serverPort = (port?: number) => {
    if (port !== undefined) return port;
    if (!servers[0]) throw new Error('no server started in this test');
    return servers[0].port;
  };

  const world: TcpWorld = {
    get dir() {
      return folder();
    },
    path: (...parts) => join(folder(), ...parts),
    get server() {
      if (!servers[0]) throw new Error('no server started in this test');
      return servers[0];
    },
    async startServer(input = {}) {
      const server = await startTcpServer({ outDir: join(folder(), 'server'), ...input });
      servers.push(server);
      return server;
    },
    startClient({ port, ...input } = {}) {
      const client = startTcpClient(serverPort(port), {
        outDir: join(folder(), `client_${clients.length + 1}`),
        ...input,
      });
      clients.push(client);
      return client;
    },
    runClients(n, input = () => ({})) {
      const started = Array.from({ length: n }, (_, i) => world.startClient(input(i)));
      return Promise.all(started.map((client) => client.done));
    },
    async raw({ port, localAddress } = {}) {
      const raw = await rawClient(serverPort(port), localAddress);
      raws.push(raw);
      return raw;
    },
    onTeardown(close) {
      teardowns.push(close);
    },
  };
  return world;
}
