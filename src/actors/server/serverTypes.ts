import type { Logger } from '../../log/logger';
import type { FileSystem, TimestampRow } from '../../storage';
import type { Clock } from '../../time';
import type { ChannelListener, Transport } from '../../transport';
import type { Failure } from '../errors';
import type { ConnectionAccepted, ConnectionDropped } from '../shared';
import type { FileWriterNotification, RecordSink } from '../writer';
import type { HandlerToServerEvent, ServedClient } from './connectionHandler.machine';
import type { PoolReport } from './handlerPool';
import type { ExchangeLimits } from './limits';
import type { PreHelloRefusal } from './preHelloGate';
import type { ServedLog, ServedTally } from './servedLog';

/* The server machine's input, events, context and output (the machine is server.machine.ts). */

export interface ServerInput {
  transport: Transport;
  host?: string;
  /** 0 picks a free port; {@link selectAddress} tells which. */
  port?: number;
  /** Folder for `serverTimeData.txt`. */
  outDir: string;
  /** Must be the same clock given to `createActor(…, { clock })`. */
  clock?: Clock;
  handshakeTimeoutMs?: number;
  /** Shared secret (HMAC challenge–response in the handshake); without it anyone may connect. */
  secret?: string;
  /** Pace, burst and idle limits for exchanging clients (defaults: 10 ms, 20 ticks, 5 s). */
  limits?: Partial<ExchangeLimits>;
  /** Most clients exchanging at once; one more is refused with `ERR_SERVER_FULL`. */
  maxClients?: number;
  /**
   * Most connections at once that have not said hello (nor, with a secret, proved it): one
   * more is closed at accept, logged with `ERR_TOO_MANY_PENDING`. Default 1024.
   */
  maxPending?: number;
  /** The same, from one source address (`ERR_TOO_MANY_FROM_ADDRESS`). Default 128. */
  maxPendingPerAddress?: number;
  /**
   * A client whose replies have waited this long to leave this process (it does not read them
   * and the kernel's buffers for it are full) is cut off with `ERR_SLOW_CONSUMER`. Default 10 s.
   */
  maxReplyDelayMs?: number;
  /**
   * Finished clients kept in full for the summary and the status (address, ID, ticks, code);
   * those before them are kept as counts only (`earlier`). Default 10,000.
   */
  keepServed?: number;
  flushIntervalMs?: number;
  /** On stop, how long clients get to say goodbye before the file is finished anyway. */
  stopTimeoutMs?: number;
  logger?: Logger;
  /** Where the table is written (default: the real file system; tests pass a failing disk). */
  fs?: FileSystem;
}

export type ServerEvent =
  | ConnectionAccepted
  | ConnectionDropped
  | { type: 'server.stop'; reason?: string }
  | HandlerToServerEvent
  | PoolReport
  | FileWriterNotification;

export interface ServerSummary {
  outcome: 'stopped' | 'failed';
  address: string | null;
  /** The last `keepServed` clients that finished, oldest first. */
  clients: ServedClient[];
  /** The clients that finished before those, as counts. */
  earlier: ServedTally;
  /** Every client that finished: `clients.length + earlier.clients`. */
  servedCount: number;
  /** Rows handed to the file writer; after a disk failure the last flush's rows may be missing. */
  rows: number;
  /** Connections closed at accept, by code (the limits before the hello). */
  refused: Record<PreHelloRefusal, number>;
  durationMs: number;
  error: Failure | null;
  file: string;
}

export interface ServerContext {
  config: Required<Omit<ServerInput, 'secret' | 'logger' | 'limits' | 'outDir'>> & {
    secret: string | undefined;
    limits: Partial<ExchangeLimits>;
  };
  logger: Logger;
  file: string;
  /** Where every handler writes its rows: the table writer's sink, once the file is open. */
  table: RecordSink<TimestampRow> | null;
  listener: ChannelListener | null;
  /** `host:port` once listening. */
  address: string | null;
  /** Connections with a live handler, and clients among them holding an ID. */
  connections: number;
  clients: number;
  /** Clients that have finished: the last `keepServed` in full, counts for the rest. */
  served: ServedLog;
  /** Connections closed at accept, by code, as the pool last reported. */
  refused: Record<PreHelloRefusal, number>;
  rowsWritten: number;
  writerFailed: boolean;
  startedAt: number;
  stopReason: string | null;
  failure: Failure | null;
}
