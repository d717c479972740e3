/**
 * A server process for the benchmarks, so that it is measured alone (CPU, RSS, profile):
 *
 *   tsx bench/lib/serverChild.ts timeswarm|echo|proto [--keep-files] [--tick-burst N]
 *
 * `timeswarm` runs the real server actor (startServer + tcpTransport) writing its table into
 * a temporary folder; `echo` is the baseline, a plain Node TCP server that writes every chunk
 * it reads straight back (setNoDelay, no parsing at all, so frames come back intact);
 * `proto` is a bare protocol server (frame decoder + msgpack, hello → welcome, tick → reply;
 * no schema validation, no RxJS, no actors, no file) to tell our client's costs from our
 * server's.
 *
 * IPC: sends `{ type: 'ready', port }`; answers `{ type: 'stats', gc? }` with a
 * {@link ServerStats}; on `{ type: 'stop' }` stops, answers `{ type: 'stopped', … }`, exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { selectStatus } from '../../src/actors/server';
import { startServer } from '../../src/runtime';
import { systemClock } from '../../src/time';
import {
  createFrameDecoder,
  decodePayload,
  encodeFrame,
  SESSION_PROTOCOL_VERSION,
  tcpTransport,
} from '../../src/transport';
import { startProfile, stopProfile } from './profiler';

export type ServerKind = 'timeswarm' | 'echo' | 'proto';

export interface ServerStats {
  type: 'stats';
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  /** Cumulative CPU seconds of this process. */
  cpuSeconds: number;
  /** Cumulative event-loop active and idle ms (see performance.eventLoopUtilization). */
  eluActive: number;
  eluIdle: number;
  /** Open client connections. */
  connections: number;
}

export interface ServerStopped {
  type: 'stopped';
  /** Rows in serverTimeData.txt (timeswarm only). */
  rows: number | null;
  clients: number;
  outcome: string;
  error: { code: string; message: string } | null;
  /** How the server's client connections ended, by code (timeswarm only). */
  closeCodes: Record<string, number>;
}

const MiB = 2 ** 20;
const kind = process.argv[2] as ServerKind;
const keep = process.argv.includes('--keep-files');
const burstFlag = process.argv.indexOf('--tick-burst');
const tickBurst = burstFlag > 0 ? Number(process.argv[burstFlag + 1]) : undefined;

function stats(connections: number, gc: boolean): ServerStats {
  if (gc && typeof global.gc === 'function') global.gc();
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  return {
    type: 'stats',
    rssMiB: memory.rss / MiB,
    heapUsedMiB: memory.heapUsed / MiB,
    heapTotalMiB: memory.heapTotal / MiB,
    externalMiB: memory.external / MiB,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    eluActive: elu.active,
    eluIdle: elu.idle,
    connections,
  };
}

const send = (message: object) => process.send?.(message);

// CPU profiling of the load phase only (not start-up and tsx's compiling), on request:
// `{ type: 'profile-start' }`, then `{ type: 'profile-stop', path }` writes a .cpuprofile.
async function onProfileRequest(message: { type: string; path?: string }): Promise<void> {
  if (message.type === 'profile-start') {
    await startProfile();
    send({ type: 'profile-started' });
  } else if (message.type === 'profile-stop') {
    await stopProfile(message.path!);
    send({ type: 'profile-stopped', path: message.path });
  }
}
process.on('message', (message: { type: string; path?: string }) => void onProfileRequest(message));

async function runEcho(): Promise<void> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  process.on('message', (message: { type: string; gc?: boolean }) => {
    if (message.type === 'stats') send(stats(sockets.size, Boolean(message.gc)));
    if (message.type === 'stop') {
      const clients = sockets.size;
      for (const socket of sockets) socket.destroy();
      server.close(() => {
        send({
          type: 'stopped',
          rows: null,
          clients,
          outcome: 'stopped',
          error: null,
          closeCodes: {},
        } satisfies ServerStopped);
        setImmediate(() => process.exit(0));
      });
    }
  });
  send({ type: 'ready', port });
}

async function runProto(): Promise<void> {
  const sockets = new Set<net.Socket>();
  // The product's calibrated wall clock: performance.timeOrigin alone is off by up to ms between
  // processes under load, which made this server's t2/t3 useless in the tick benchmark's split.
  const wallMicros = () => systemClock.wallMicros();
  let nextId = 1;
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    const decoder = createFrameDecoder();
    socket.on('data', (chunk) => {
      for (const payload of decoder.push(chunk)) {
        const message = decodePayload(payload) as { type: string; seq: number; t1: number };
        if (message.type === 'tick') {
          const t2 = wallMicros();
          socket.write(
            encodeFrame({ type: 'reply', seq: message.seq, t1: message.t1, t2, t3: wallMicros() }),
          );
        } else if (message.type === 'hello') {
          const welcome = {
            type: 'welcome',
            version: SESSION_PROTOCOL_VERSION,
            clientId: nextId++,
            serverTime: wallMicros(),
          };
          socket.write(encodeFrame(welcome));
        } else socket.end();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  process.on('message', (message: { type: string; gc?: boolean }) => {
    if (message.type === 'stats') send(stats(sockets.size, Boolean(message.gc)));
    if (message.type === 'stop') {
      const clients = sockets.size;
      for (const socket of sockets) socket.destroy();
      server.close(() => {
        send({
          type: 'stopped',
          rows: null,
          clients,
          outcome: 'stopped',
          error: null,
          closeCodes: {},
        } satisfies ServerStopped);
        setImmediate(() => process.exit(0));
      });
    }
  });
  send({ type: 'ready', port });
}

async function runTimeswarm(): Promise<void> {
  const outDir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-server-'));
  const server = await startServer({
    transport: tcpTransport,
    host: '127.0.0.1',
    port: 0,
    outDir,
    maxClients: 1_000_000,
    handshakeTimeoutMs: 60_000,
    // Clients connected first wait, silent, while the generator opens the others: keep them.
    limits: { idleTimeoutMs: 600_000, ...(tickBurst !== undefined ? { tickBurst } : {}) },
  });
  process.on('message', (message: { type: string; gc?: boolean }) => {
    if (message.type === 'stats') {
      const handlers = selectStatus(server.actor.getSnapshot()).connections;
      send(stats(handlers, Boolean(message.gc)));
    }
    if (message.type === 'stop') {
      server.actor.send({ type: 'server.stop', reason: 'benchmark over' });
      void server.done.then((summary) => {
        send({
          type: 'stopped',
          rows: summary.rows,
          clients: summary.servedCount,
          outcome: summary.outcome,
          error: summary.error,
          closeCodes: summary.clients.reduce<Record<string, number>>(
            (codes, client) => {
              codes[client.code] = (codes[client.code] ?? 0) + 1;
              return codes;
            },
            { ...summary.earlier.codes },
          ),
        } satisfies ServerStopped);
        setImmediate(() => process.exit(0));
      });
    }
  });
  process.on('exit', () => {
    if (!keep) rmSync(outDir, { recursive: true, force: true });
  });
  send({ type: 'ready', port: server.address.port, outDir });
}

process.on('disconnect', () => process.exit(1));
if (kind === 'echo') void runEcho();
else if (kind === 'proto') void runProto();
else if (kind === 'timeswarm') void runTimeswarm();
else {
  console.error(`usage: serverChild.ts timeswarm|echo|proto (got ${kind})`);
  process.exit(2);
}
