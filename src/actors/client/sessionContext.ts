import { getLogger, type Logger } from '../../log/logger';
import type { Spread } from '../../measure/sessionStats';
import type { FileSystem } from '../../storage';
import { type Clock, type RetryPolicy, retryPolicy, systemClock } from '../../time';
import type { ClientConnection, Transport } from '../../transport';
import type { Failure } from '../errors';

export interface ClientSessionInput {
  transport: Transport;
  server: { host: string; port: number };
  /** Local address to bind (e.g. 127.0.0.2 to appear as a distinct client). */
  localAddress?: string;
  /** Shared secret: authenticate to the server, and require it to authenticate to us. */
  secret?: string;
  /** The client ID to ask for; the server assigns one when absent. */
  requestedId?: number;
  /** Tick interval; the assignment's is 10 ms. */
  intervalMs?: number;
  /** Session length; the assignment's is 5 minutes. */
  durationMs?: number;
  /** Folder for `client_N_TimeData.txt` and its sidecar. */
  outDir: string;
  /** Must be the same clock given to `createActor(…, { clock })`. */
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  /**
   * Reconnecting after the server goes away mid-session (default: 5 attempts from 250 ms,
   * doubling). The session resumes on the same tick grid; slots that pass while disconnected
   * are counted, never sent late. `attempts: 0` ends the session at the first loss.
   */
  reconnect?: Partial<RetryPolicy>;
  handshakeTimeoutMs?: number;
  /**
   * A tick unanswered this long means the path is dead even without FIN or RST (a stalled
   * route): the session treats it as a lost connection and reconnects. Default 3 s.
   */
  replyTimeoutMs?: number;
  /** How long to wait for replies still in flight after the last tick. */
  drainTimeoutMs?: number;
  flushIntervalMs?: number;
  /** See {@link TickGridOptions.spinMs}; keep 0 with a simulated clock. */
  spinMs?: number;
  logger?: Logger;
  /** Where the files are written (default: the real file system; tests pass a failing disk). */
  fs?: FileSystem;
}

/** The session's settings, with defaults applied. */
export interface SessionConfig {
  transport: Transport;
  server: { host: string; port: number };
  localAddress: string | undefined;
  secret: string | undefined;
  requestedId: number | undefined;
  intervalMs: number;
  durationMs: number;
  outDir: string;
  clock: Clock;
  retry: RetryPolicy;
  reconnect: RetryPolicy;
  handshakeTimeoutMs: number;
  replyTimeoutMs: number;
  drainTimeoutMs: number;
  flushIntervalMs: number;
  spinMs: number;
  fs: FileSystem | undefined;
}

/**
 * A session's state, all of it values: counts, stamps, failures. Besides the settings, the
 * only handle is the current connection (read by the invoked reader and handshake, written by
 * actions). Measurements and the files' sinks live in the ledger actor.
 */
export interface ClientSessionContext {
  config: SessionConfig;
  logger: Logger;
  /** Connection attempts so far (the first connect and its retries). */
  attempt: number;
  connection: ClientConnection | null;
  clientId: number | null;
  files: { table: string; exchanges: string } | null;
  writersSpawned: number;
  writersOpen: number;
  writersDone: number;
  /** Ticks sent and not yet answered, as the ledger last reported (about once a second). */
  inFlight: number;
  ticksSent: number;
  replies: number;
  /** Replies for a tick not in flight (never sent, already answered, or given up on). */
  unexpectedReplies: number;
  /** Grid slots that passed without a tick (the process was too late for them). */
  missedSlots: number;
  /** Slots that came due while disconnected (reconnecting): not sent, counted. */
  offlineSlots: number;
  /** Reconnection attempts since the connection was lost, and reconnections that worked. */
  reconnectAttempt: number;
  reconnections: number;
  /** Why the connection was lost, and why the last attempt to come back failed. */
  lostBecause: Failure | null;
  lastReconnectFailure: Failure | null;
  /** Median round trip of the last second's replies, as the ledger last reported it. */
  rttMedianMs: number | null;
  /** The ledger's final figures, once the session is over. */
  totals: { rttMs: Spread | null; timerErrorMs: Spread | null } | null;
  startedAt: number | null;
  endedAt: number | null;
  /** Why the session ended before its time (the footer says so), if it did. */
  endedEarly: Failure | null;
  /** Why the session failed, if it did. */
  failure: Failure | null;
}

export function initialContext(input: ClientSessionInput): ClientSessionContext {
  return {
    config: {
      transport: input.transport,
      server: input.server,
      localAddress: input.localAddress,
      requestedId: input.requestedId,
      secret: input.secret,
      intervalMs: input.intervalMs ?? 10,
      durationMs: input.durationMs ?? 5 * 60_000,
      outDir: input.outDir,
      clock: input.clock ?? systemClock,
      retry: retryPolicy(input.retry),
      reconnect: retryPolicy(input.reconnect),
      handshakeTimeoutMs: input.handshakeTimeoutMs ?? 5000,
      drainTimeoutMs: input.drainTimeoutMs ?? 2000,
      replyTimeoutMs: input.replyTimeoutMs ?? 3000,
      flushIntervalMs: input.flushIntervalMs ?? 200,
      spinMs: input.spinMs ?? 0,
      fs: input.fs,
    },
    logger: input.logger ?? getLogger('client'),
    attempt: 0,
    connection: null,
    clientId: null,
    files: null,
    writersSpawned: 0,
    writersOpen: 0,
    writersDone: 0,
    inFlight: 0,
    ticksSent: 0,
    replies: 0,
    unexpectedReplies: 0,
    missedSlots: 0,
    offlineSlots: 0,
    reconnectAttempt: 0,
    reconnections: 0,
    lostBecause: null,
    lastReconnectFailure: null,
    rttMedianMs: null,
    totals: null,
    startedAt: null,
    endedAt: null,
    endedEarly: null,
    failure: null,
  };
}
