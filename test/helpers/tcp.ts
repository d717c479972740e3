/**
 * Real TCP pieces for tests: the real server and client on 127.0.0.1 (port 0), a raw client
 * speaking the protocol by hand, a logger that keeps its entries, and readers of the tables.
 * `tcpWorld.ts` builds the per-test fixture out of them.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { ClientSessionInput } from '../../src/actors/client';
import type { ServerInput, ServerSummary } from '../../src/actors/server';
import type { Logger } from '../../src/log/logger';
import { startClient, startServer } from '../../src/runtime';
import { type ParsedTable, parseTimestampTable } from '../../src/storage';
import {
  createFrameDecoder,
  decodePayload,
  encodeFrame,
  type ServerMessage,
  tcpTransport,
} from '../../src/transport';

/** One log entry as winston hands it to a transport. */
export interface LogEntry {
  level: string;
  message: string;
  code?: string;
  [key: string]: unknown;
}

/** A logger that keeps every entry in memory, for asserting what the server logged. */
export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: LogEntry, _encoding, callback) {
      entries.push(info);
      callback();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, entries };
}

/** Codes of the connections the server logged as closed (handshake failures included). */
export const closeCodes = (entries: LogEntry[]) =>
  entries.filter((e) => / closed: /.test(e.message) && e.code).map((e) => e.code as string);

export type TcpServer = Awaited<ReturnType<typeof startServer>> & {
  port: number;
  /** Stops the server (idempotent) and resolves with its summary. */
  stop: () => Promise<ServerSummary>;
};

/** The real server over real TCP on 127.0.0.1, port 0. */
export async function startTcpServer(
  input: Omit<ServerInput, 'transport' | 'host' | 'port'> & { port?: number },
): Promise<TcpServer> {
  const server = await startServer({
    transport: tcpTransport,
    host: '127.0.0.1',
    port: 0,
    ...input,
  });
  return {
    ...server,
    port: server.address.port,
    stop: () => {
      server.actor.send({ type: 'server.stop' });
      return server.done;
    },
  };
}

/** The real client session over real TCP. */
export function startTcpClient(
  port: number,
  input: Omit<ClientSessionInput, 'transport' | 'server'>,
  host = '127.0.0.1',
) {
  return startClient({ transport: tcpTransport, server: { host, port }, ...input });
}

export async function readTable(path: string): Promise<ParsedTable> {
  return parseTimestampTable(await readFile(path, 'utf8'), path);
}

/** Rows of a table sent by `from` to `to`. */
export const rowsFrom = (table: ParsedTable, from: string, to: string) =>
  table.rows.filter((r) => r.senderIp === from && r.receiverIp === to);

/**
 * A hand-written client on a raw socket with the real codec (encodeFrame, createFrameDecoder,
 * decodePayload), for behaviour the reference client never shows.
 */
export async function rawClient(port: number, localAddress?: string) {
  const socket = net.connect({
    host: '127.0.0.1',
    port,
    allowHalfOpen: true,
    ...(localAddress ? { localAddress } : {}),
  });
  socket.setNoDelay(true);
  const decoder = createFrameDecoder();
  const messages: ServerMessage[] = [];
  const state = { ended: false, closed: false, error: null as string | null, decodeError: false };
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const payload of decoder.push(chunk))
        messages.push(decodePayload(payload) as ServerMessage);
    } catch {
      state.decodeError = true;
    }
  });
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', (error: NodeJS.ErrnoException) => (state.error = error.code ?? 'ERR'));
  await once(socket, 'connect');
  return {
    socket,
    messages,
    state,
    /** The server ended or dropped the connection. */
    get gone() {
      return state.ended || state.closed;
    },
    send(message: unknown) {
      if (!socket.destroyed) socket.write(encodeFrame(message));
    },
    write(bytes: Uint8Array) {
      if (!socket.destroyed) socket.write(bytes);
    },
    destroy: () => socket.destroy(),
  };
}
export type RawClient = Awaited<ReturnType<typeof rawClient>>;
