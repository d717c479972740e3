import { join } from 'node:path';
import { BehaviorSubject, EMPTY, map, Observable, Subject, switchMap } from 'rxjs';
import {
  and,
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  fromPromise,
  not,
  setup,
} from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import { SessionStats } from '../measure/sessionStats';
import {
  clientTableName,
  type EndInfo,
  type ExchangeRecord,
  exchangeLogFormat,
  exchangeLogName,
  type TimestampRow,
  timestampTableFormat,
} from '../storage';
import {
  backoffDelay,
  type Clock,
  type GridTick,
  type RetryPolicy,
  retryPolicy,
  startTickGrid,
  systemClock,
} from '../time';
import {
  type ClientConnection,
  clientConnection,
  clientProof,
  createNonce,
  proofMatches,
  SESSION_PROTOCOL_VERSION,
  type ServerMessage,
  type Stamp,
  serverProof,
  type Transport,
} from '../transport';
import { type FileWriterNotification, fileWriterMachine } from './fileWriter.machine';
import { type ClientSessionSummary, summarizeSession } from './sessionSummary';

/** What the footer says about time spent disconnected, if there was any. */
function gapNote(context: ClientSessionContext): string | null {
  const { reconnections } = context;
  const offline = context.stats.offlineSlots;
  if (reconnections === 0 && offline === 0) return null;
  return `${reconnections} reconnection${reconnections === 1 ? '' : 's'}, ${offline} slot${offline === 1 ? '' : 's'} skipped while disconnected`;
}

/** A connection's messages as session events; its end, clean or not, as `connection.lost`. */
function readEvents(connection: ClientConnection): Observable<ClientSessionEvent> {
  return new Observable<ClientSessionEvent>((subscriber) =>
    connection.messages$
      .pipe(map(({ message, at }) => ({ type: 'server.message', message, at }) as const))
      .subscribe({
        next: (event) => subscriber.next(event),
        error: (error) => subscriber.next({ type: 'connection.lost', ...describeError(error) }),
        complete: () =>
          subscriber.next({
            type: 'connection.lost',
            code: 'ERR_CONNECTION_CLOSED',
            message: 'server closed the connection',
          }),
      }),
  );
}

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
}

export type ClientSessionEvent =
  | { type: 'server.message'; message: ServerMessage; at: Stamp }
  | { type: 'connection.lost'; code: string; message: string }
  | { type: 'tick.due'; tick: GridTick }
  | { type: 'ticks.ended'; missed: number }
  | { type: 'session.stop'; reason: string }
  | FileWriterNotification;

export interface ClientSessionContext {
  config: Required<
    Omit<
      ClientSessionInput,
      'localAddress' | 'requestedId' | 'retry' | 'reconnect' | 'logger' | 'secret'
    >
  > & {
    localAddress: string | undefined;
    secret: string | undefined;
    reconnect: RetryPolicy;
    requestedId: number | undefined;
    retry: RetryPolicy;
  };
  logger: Logger;
  attempt: number;
  connection: ClientConnection | null;
  /** The current connection, for the reader to follow across reconnects. */
  connections: BehaviorSubject<ClientConnection | null>;
  /** Reconnection attempts since the connection was lost, and reconnections that worked. */
  reconnectAttempt: number;
  reconnections: number;
  /** Why the connection was lost, kept in case reconnecting fails. */
  lostBecause: { code: string; message: string } | null;
  /** The nonce sent in our hello (with a secret), and whether we answered the challenge. */
  nonce: Buffer | null;
  authenticated: boolean;
  clientId: number | null;
  stats: SessionStats;
  tableRows: Subject<TimestampRow>;
  exchanges: Subject<ExchangeRecord>;
  files: { table: string; exchanges: string } | null;
  writersSpawned: number;
  writersOpen: number;
  writersDone: number;
  ticksSent: number;
  replies: number;
  missedSlots: number;
  startedAt: number | null;
  endedAt: number | null;
  endedEarly: string | null;
  failure: { code: string; message: string } | null;
}

/**
 * One client's whole session with the server:
 *
 * connecting ⇄ waitingToRetry → session(handshaking → preparing → ticking → draining)
 * → closing → done | failed
 *
 * Ticks come from a drift-free grid (slot n at start + n × interval); the 5-minute deadline
 * is a delayed transition; replies still in flight get a bounded drain; every way out of
 * the session goes through `closing`, which finishes both files with the real duration and,
 * if the session ended early, why.
 */
export const clientSessionMachine = setup({
  types: {
    input: {} as ClientSessionInput,
    context: {} as ClientSessionContext,
    events: {} as ClientSessionEvent,
    output: {} as ClientSessionSummary,
  },
  actors: {
    fileWriter: fileWriterMachine,
    connect: fromPromise(
      async ({
        input,
        signal,
      }: {
        input: Pick<
          ClientSessionContext['config'],
          'transport' | 'server' | 'localAddress' | 'clock'
        >;
        signal: AbortSignal;
      }) => {
        const channel = await input.transport.connect({
          ...input.server,
          signal,
          ...(input.localAddress ? { localAddress: input.localAddress } : {}),
        });
        const { clock } = input;
        return clientConnection(channel, {
          stamp: () => ({ wallMicros: clock.wallMicros(), monoMs: clock.now() }),
        });
      },
    ),
    /**
     * Reads whichever connection is current: after a reconnect, `switchMap` drops the old
     * connection's stream and follows the new one, so no event of a dead connection arrives.
     */
    readConnection: fromCallback<
      ClientSessionEvent,
      { connections: Observable<ClientConnection | null> }
    >(({ input, sendBack }) => {
      const subscription = input.connections
        .pipe(switchMap((connection) => (connection ? readEvents(connection) : EMPTY)))
        .subscribe(sendBack);
      return () => subscription.unsubscribe();
    }),
    tickGrid: fromCallback<
      ClientSessionEvent,
      { clock: Clock; intervalMs: number; count: number; spinMs: number }
    >(({ input, sendBack }) =>
      startTickGrid({
        ...input,
        onTick: (tick) => sendBack({ type: 'tick.due', tick }),
        onEnd: (missed) => sendBack({ type: 'ticks.ended', missed }),
      }),
    ),
  },
  actions: {
    useConnection: enqueueActions(({ context, event, enqueue }) => {
      const connection = (event as unknown as { output: ClientConnection }).output;
      enqueue.assign({ connection });
      context.connections.next(connection);
    }),
    noteLoss: assign(({ context, event }) => {
      const cause =
        event.type === 'connection.lost'
          ? { code: event.code, message: event.message }
          : event.type === 'tick.due'
            ? {
                code: 'ERR_REPLY_TIMEOUT',
                message: `no reply for ${context.config.replyTimeoutMs} ms`,
              }
            : event.type === 'server.message' && event.message.type === 'bye'
              ? {
                  code: 'ERR_SERVER_BYE',
                  message: `server ended the session: ${event.message.reason}`,
                }
              : { code: 'ERR_CONNECTION_CLOSED', message: 'connection lost' };
      context.logger.warn(`connection lost (${cause.message}); reconnecting`, { code: cause.code });
      context.connection?.destroy();
      return { lostBecause: cause, reconnectAttempt: 0 };
    }),
    countReconnectAttempt: assign({
      reconnectAttempt: ({ context }) => context.reconnectAttempt + 1,
    }),
    markReconnected: assign(({ context }) => {
      context.logger.info(`reconnected as client ${context.clientId}; resuming on the same grid`);
      return { reconnections: context.reconnections + 1, lostBecause: null };
    }),
    skipOfflineSlot: assign(({ context, event }) => {
      assertEvent(event, 'tick.due');
      context.stats.recordOffline(event.tick.missedBefore);
      return { missedSlots: context.stats.missedSlots };
    }),
    failReconnect: assign(({ context, event }) => {
      const last = (event as { error?: unknown }).error;
      const why = last !== undefined ? describeError(last).message : 'no welcome';
      const cause = context.lostBecause ?? {
        code: 'ERR_CONNECTION_CLOSED',
        message: 'connection lost',
      };
      const message = `${cause.message} (reconnecting failed after ${context.reconnectAttempt} attempts: ${why})`;
      return { failure: { code: cause.code, message }, endedEarly: context.endedEarly ?? message };
    }),
    sendHello: enqueueActions(({ context, enqueue }) => {
      // With a secret, a fresh nonce asks the server to prove it knows the secret too.
      const nonce = context.config.secret !== undefined ? createNonce() : null;
      enqueue.assign({ nonce, authenticated: false });
      context.connection?.send({
        type: 'hello',
        version: SESSION_PROTOCOL_VERSION,
        intervalMs: context.config.intervalMs,
        ...(context.clientId !== null
          ? { clientId: context.clientId } // resuming: the same ID, the same files
          : context.config.requestedId !== undefined
            ? { clientId: context.config.requestedId }
            : {}),
        ...(nonce ? { nonce } : {}),
      });
    }),
    answerChallenge: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'server.message');
      if (event.message.type !== 'challenge') return;
      enqueue.assign({ authenticated: true });
      context.connection?.send({
        type: 'auth',
        proof: clientProof(context.config.secret!, event.message.nonce),
      });
    }),
    failAuth: assign({
      failure: ({ context, event }) => {
        if (context.config.secret === undefined) {
          return {
            code: 'ERR_AUTH_REQUIRED',
            message: 'the server requires a shared secret (--secret)',
          };
        }
        const challenged = event.type === 'server.message' && event.message.type === 'challenge';
        return {
          code: 'ERR_AUTH',
          message: challenged
            ? 'the server could not prove it knows the shared secret'
            : 'the server did not authenticate (it has no secret, or is not the one you meant)',
        };
      },
    }),
    acceptWelcome: assign(({ context, event }) => {
      assertEvent(event, 'server.message');
      const clientId = (event.message as { clientId: number }).clientId;
      const dir = context.config.outDir;
      return {
        clientId,
        files: {
          table: join(dir, clientTableName(clientId)),
          exchanges: join(dir, exchangeLogName(clientId)),
        },
      };
    }),
    openFiles: enqueueActions(({ context, enqueue, self }) => {
      const common = {
        notify: self,
        flushIntervalMs: context.config.flushIntervalMs,
        logger: context.logger,
      };
      enqueue.assign({ writersSpawned: 2 });
      enqueue.spawnChild('fileWriter', {
        id: 'tableWriter',
        input: {
          ...common,
          path: context.files!.table,
          format: timestampTableFormat,
          records$: context.tableRows,
        },
      });
      enqueue.spawnChild('fileWriter', {
        id: 'exchangeWriter',
        input: {
          ...common,
          path: context.files!.exchanges,
          format: exchangeLogFormat,
          records$: context.exchanges,
        },
      });
    }),
    markStarted: assign({ startedAt: ({ context }) => context.config.clock.now() }),
    sendTick: assign(({ context, event }) => {
      assertEvent(event, 'tick.due');
      const { connection, stats, config } = context;
      // Stamp and write at once; bookkeeping waits until the tick is on the wire.
      const sentAt = config.clock.now();
      const t1 = config.clock.wallMicros();
      connection!.sendNow({ type: 'tick', seq: event.tick.slot, t1 });
      context.tableRows.next({
        senderIp: connection!.localAddress,
        receiverIp: connection!.remoteAddress,
        timeMicros: t1,
      });
      stats.recordSent(
        {
          seq: event.tick.slot,
          t1,
          sentAt,
          timerErrorMs: event.tick.firedAt - event.tick.dueAt,
        },
        event.tick.missedBefore,
      );
      return { ticksSent: stats.sent, missedSlots: stats.missedSlots };
    }),
    recordReply: assign(({ context, event }) => {
      assertEvent(event, 'server.message');
      const reply = event.message;
      if (reply.type !== 'reply') return {};
      const { connection, stats, config } = context;
      // The reply's arrival, stamped when its bytes came in (not after decoding it).
      const arrived = event.at;
      const t4 = arrived.wallMicros;
      context.tableRows.next({
        senderIp: connection!.remoteAddress,
        receiverIp: connection!.localAddress,
        timeMicros: reply.t3,
      });
      const answered = stats.recordReply(reply.seq, arrived.monoMs);
      if (answered) {
        context.exchanges.next({
          seq: reply.seq,
          t1: answered.tick.t1,
          t2: reply.t2,
          t3: reply.t3,
          t4,
          rttMicros: answered.rttMs * 1000,
          timerErrorMicros: answered.tick.timerErrorMs * 1000,
        });
      } else {
        context.logger.warn('reply for a tick not in flight', { seq: reply.seq });
      }
      return { replies: stats.replies };
    }),
    markEnded: assign({ endedAt: ({ context }) => context.endedAt ?? context.config.clock.now() }),
    endEarly: assign({
      endedEarly: ({ context, event }) => {
        if (context.endedEarly) return context.endedEarly;
        if (event.type === 'connection.lost') return event.message;
        if (event.type === 'session.stop') return event.reason;
        if (event.type === 'writer.failed') return `file ${event.path} failed: ${event.message}`;
        if (event.type === 'server.message' && event.message.type === 'bye')
          return `server said bye: ${event.message.reason}`;
        if (event.type === 'server.message')
          return `unexpected ${event.message.type} message from the server`;
        return 'ended early';
      },
    }),
    fail: assign({
      failure: ({ event }) => {
        if (event.type === 'connection.lost') return { code: event.code, message: event.message };
        if (event.type === 'session.stop') return { code: 'ERR_STOPPED', message: event.reason };
        if (event.type === 'writer.failed') return { code: event.code, message: event.message };
        if (event.type === 'server.message' && event.message.type === 'bye') {
          return {
            code: 'ERR_SERVER_BYE',
            message: `server ended the session: ${event.message.reason}`,
          };
        }
        if (event.type === 'server.message' && event.message.type === 'refused') {
          return { code: event.message.code, message: `server refused: ${event.message.reason}` };
        }
        if (event.type === 'server.message') {
          return {
            code: 'ERR_PROTOCOL',
            message: `unexpected ${event.message.type} message from the server`,
          };
        }
        const error = (event as { error?: unknown }).error;
        return error !== undefined
          ? describeError(error)
          : { code: 'ERR_TIMEOUT', message: 'handshake timed out' };
      },
    }),
    /** A failed handshake: end the connection without a goodbye (there was no session). */
    dropConnection: ({ context }) => context.connection?.close(),
    finishConnection: ({ context }) => {
      const connection = context.connection;
      if (!connection || connection.isClosed) return;
      connection.send({ type: 'bye', reason: context.endedEarly ?? 'session complete' });
      connection.close();
    },
    // Ticks that will never be answered (session over, or their connection died) go to the
    // sidecar with empty t2..t4, so loss is visible there too.
    recordUnanswered: ({ context }) => {
      for (const tick of context.stats.takeUnanswered()) {
        context.exchanges.next({
          seq: tick.seq,
          t1: tick.t1,
          t2: null,
          t3: null,
          t4: null,
          rttMicros: null,
          timerErrorMicros: tick.timerErrorMs * 1000,
        });
      }
    },
    closeFiles: enqueueActions(({ context, enqueue, self }) => {
      // A writer that already failed has stopped; only the live ones are told to finish.
      const live = self.getSnapshot().children as Record<string, unknown>;
      const end: EndInfo = {
        durationMs: (context.endedAt ?? 0) - (context.startedAt ?? context.endedAt ?? 0),
        ...(context.endedEarly ? { endedEarly: context.endedEarly } : {}),
        ...(gapNote(context) ? { notes: gapNote(context)! } : {}),
      };
      if (live.tableWriter) enqueue.sendTo('tableWriter', { type: 'writer.close', end });
      if (live.exchangeWriter) enqueue.sendTo('exchangeWriter', { type: 'writer.close', end });
    }),
    countWriterOpen: assign({ writersOpen: ({ context }) => context.writersOpen + 1 }),
    countWriterDone: assign({ writersDone: ({ context }) => context.writersDone + 1 }),
    logConnected: ({ context }) =>
      context.logger.verbose(
        `connected to ${context.config.server.host}:${context.config.server.port} from ${context.connection?.localAddress}`,
      ),
    logConnectRetry: ({ context, event }) =>
      context.logger.warn(
        `connection attempt ${context.attempt} failed, retrying`,
        describeError((event as { error?: unknown }).error),
      ),
    logStarted: ({ context }) =>
      context.logger.info(
        `client ${context.clientId} ticking every ${context.config.intervalMs} ms for ${context.config.durationMs / 1000} s`,
      ),
    logFailed: ({ context }) =>
      context.logger.error(`session failed: ${context.failure?.message}`, {
        code: context.failure?.code,
      }),
  },
  guards: {
    canRetry: ({ context }) => context.attempt < context.config.retry.attempts,
    isWelcome: ({ event }) => event.type === 'server.message' && event.message.type === 'welcome',
    isRefused: ({ event }) => event.type === 'server.message' && event.message.type === 'refused',
    isReply: ({ event }) => event.type === 'server.message' && event.message.type === 'reply',
    /** A challenge we can answer: we have the secret and the server proved it has it too. */
    challengeProven: ({ context, event }) =>
      event.type === 'server.message' &&
      event.message.type === 'challenge' &&
      context.config.secret !== undefined &&
      context.nonce !== null &&
      proofMatches(serverProof(context.config.secret, context.nonce), event.message.proof),
    isChallenge: ({ event }) =>
      event.type === 'server.message' && event.message.type === 'challenge',
    /** A welcome from a server that skipped authentication, while we hold a secret. */
    unauthenticatedWelcome: ({ context, event }) =>
      event.type === 'server.message' &&
      event.message.type === 'welcome' &&
      context.config.secret !== undefined &&
      !context.authenticated,
    canReconnect: ({ context }) => context.config.reconnect.attempts > 0,
    /** The oldest unanswered tick has waited longer than the reply timeout. */
    replyOverdue: ({ context, event }) => {
      const oldest = context.stats.oldestInFlightSentAt();
      return (
        event.type === 'tick.due' &&
        oldest !== null &&
        event.tick.firedAt - oldest > context.config.replyTimeoutMs
      );
    },
    reconnectAttemptsLeft: ({ context }) =>
      context.reconnectAttempt < context.config.reconnect.attempts,
    isServerBye: ({ event }) => event.type === 'server.message' && event.message.type === 'bye',
    isIdInUse: ({ event }) =>
      event.type === 'server.message' &&
      event.message.type === 'refused' &&
      event.message.code === 'ERR_ID_IN_USE',
    welcomeBackMatches: ({ context, event }) =>
      event.type === 'server.message' &&
      event.message.type === 'welcome' &&
      event.message.clientId === context.clientId,
    welcomeMatchesRequest: ({ context, event }) =>
      event.type === 'server.message' &&
      event.message.type === 'welcome' &&
      (context.config.requestedId === undefined ||
        event.message.clientId === context.config.requestedId),
    bothWritersOpen: ({ context }) => context.writersOpen === 2,
    filesFinished: ({ context }) => context.writersDone === context.writersSpawned,
    filesFinishedAfterFailure: ({ context }) =>
      context.writersDone === context.writersSpawned && context.failure !== null,
    nothingInFlight: ({ context }) => context.stats.inFlightCount === 0,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.config.retry, context.attempt),
    handshakeTimeout: ({ context }) => context.config.handshakeTimeoutMs,
    sessionDuration: ({ context }) => context.config.durationMs,
    drainTimeout: ({ context }) => context.config.drainTimeoutMs,
    reconnectDelay: ({ context }) =>
      backoffDelay(context.config.reconnect, context.reconnectAttempt + 1),
  },
}).createMachine({
  id: 'clientSession',
  context: ({ input }) => ({
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
    },
    logger: input.logger ?? getLogger('client'),
    attempt: 0,
    nonce: null,
    authenticated: false,
    connection: null,
    connections: new BehaviorSubject<ClientConnection | null>(null),
    reconnectAttempt: 0,
    reconnections: 0,
    lostBecause: null,
    clientId: null,
    stats: new SessionStats(),
    tableRows: new Subject<TimestampRow>(),
    exchanges: new Subject<ExchangeRecord>(),
    files: null,
    writersSpawned: 0,
    writersOpen: 0,
    writersDone: 0,
    ticksSent: 0,
    replies: 0,
    missedSlots: 0,
    startedAt: null,
    endedAt: null,
    endedEarly: null,
    failure: null,
  }),
  initial: 'connecting',
  on: {
    'session.stop': { target: '.failed', actions: 'fail' },
  },
  states: {
    connecting: {
      entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
      invoke: {
        src: 'connect',
        input: ({ context }) => context.config,
        onDone: { target: 'session', actions: ['useConnection', 'logConnected'] },
        onError: [
          { guard: 'canRetry', target: 'waitingToRetry', actions: 'logConnectRetry' },
          { target: 'failed', actions: 'fail' },
        ],
      },
    },
    waitingToRetry: {
      after: { retryDelay: 'connecting' },
    },
    session: {
      invoke: {
        src: 'readConnection',
        input: ({ context }) => ({ connections: context.connections }),
      },
      initial: 'handshaking',
      on: {
        // Whatever ends a session early still goes through `closing`, which finishes the files.
        'server.message': { target: 'closing', actions: ['markEnded', 'endEarly', 'fail'] },
        'connection.lost': { target: 'closing', actions: ['markEnded', 'endEarly', 'fail'] },
        'session.stop': { target: 'closing', actions: ['markEnded', 'endEarly'] },
        'writer.failed': {
          target: 'closing',
          actions: ['markEnded', 'endEarly', 'fail', 'countWriterDone'],
        },
      },
      states: {
        handshaking: {
          entry: 'sendHello',
          after: { handshakeTimeout: { target: '#clientSession.failed', actions: 'fail' } },
          on: {
            'server.message': [
              { guard: 'challengeProven', actions: 'answerChallenge' },
              { guard: 'isChallenge', target: '#clientSession.failed', actions: 'failAuth' },
              {
                guard: 'unauthenticatedWelcome',
                target: '#clientSession.failed',
                actions: 'failAuth',
              },
              { guard: 'welcomeMatchesRequest', target: 'preparing', actions: 'acceptWelcome' },
              { target: '#clientSession.failed', actions: 'fail' },
            ],
            'connection.lost': { target: '#clientSession.failed', actions: 'fail' },
            'session.stop': { target: '#clientSession.failed', actions: 'fail' },
          },
        },
        preparing: {
          entry: 'openFiles',
          on: {
            'writer.opened': { actions: 'countWriterOpen' },
          },
          always: { guard: 'bothWritersOpen', target: 'ticking' },
        },
        ticking: {
          entry: ['markStarted', 'logStarted'],
          // The grid runs through reconnects: the session keeps its schedule, not the socket's.
          invoke: {
            src: 'tickGrid',
            input: ({ context }) => ({
              clock: context.config.clock,
              intervalMs: context.config.intervalMs,
              count: Math.round(context.config.durationMs / context.config.intervalMs),
              spinMs: context.config.spinMs,
            }),
          },
          after: { sessionDuration: { target: 'draining', actions: 'markEnded' } },
          on: {
            'session.stop': { target: 'draining', actions: ['markEnded', 'endEarly'] },
          },
          initial: 'online',
          states: {
            online: {
              on: {
                'tick.due': [
                  {
                    guard: 'replyOverdue',
                    target: 'reconnecting',
                    actions: ['noteLoss', 'recordUnanswered', 'skipOfflineSlot'],
                  },
                  { actions: 'sendTick' },
                ],
                'server.message': [
                  { guard: 'isReply', actions: 'recordReply' },
                  {
                    guard: and(['isServerBye', 'canReconnect']),
                    target: 'reconnecting',
                    actions: ['noteLoss', 'recordUnanswered'],
                  },
                ],
                'connection.lost': {
                  guard: 'canReconnect',
                  target: 'reconnecting',
                  actions: ['noteLoss', 'recordUnanswered'],
                },
              },
            },
            reconnecting: {
              on: {
                'tick.due': { actions: 'skipOfflineSlot' },
                // Replies or goodbyes of the old connection no longer matter.
                'server.message': {},
                'connection.lost': {},
              },
              initial: 'waiting',
              states: {
                waiting: {
                  always: {
                    guard: not('reconnectAttemptsLeft'),
                    target: '#clientSession.closing',
                    actions: ['markEnded', 'failReconnect'],
                  },
                  after: { reconnectDelay: 'connecting' },
                },
                connecting: {
                  entry: 'countReconnectAttempt',
                  invoke: {
                    src: 'connect',
                    input: ({ context }) => context.config,
                    onDone: { target: 'handshaking', actions: 'useConnection' },
                    onError: 'waiting',
                  },
                },
                handshaking: {
                  entry: 'sendHello',
                  after: { handshakeTimeout: 'waiting' },
                  on: {
                    'server.message': [
                      { guard: 'challengeProven', actions: 'answerChallenge' },
                      {
                        guard: 'isChallenge',
                        target: '#clientSession.closing',
                        actions: ['markEnded', 'failAuth'],
                      },
                      {
                        guard: 'unauthenticatedWelcome',
                        target: '#clientSession.closing',
                        actions: ['markEnded', 'failAuth'],
                      },
                      {
                        guard: 'welcomeBackMatches',
                        target: '#clientSession.session.ticking.online',
                        actions: 'markReconnected',
                      },
                      // The server has not noticed the old connection is gone yet: try again.
                      { guard: 'isIdInUse', target: 'waiting' },
                      {
                        target: '#clientSession.closing',
                        actions: ['markEnded', 'endEarly', 'fail'],
                      },
                    ],
                    'connection.lost': 'waiting',
                  },
                },
              },
            },
          },
        },
        draining: {
          always: { guard: 'nothingInFlight', target: '#clientSession.closing' },
          after: { drainTimeout: '#clientSession.closing' },
          on: {
            // The session ran its course: losing the link now only loses the replies in flight.
            'connection.lost': '#clientSession.closing',
            'server.message': [
              { guard: 'isReply', actions: 'recordReply' },
              { guard: 'isServerBye', target: '#clientSession.closing' },
            ],
            'session.stop': { target: '#clientSession.closing', actions: 'endEarly' },
          },
        },
      },
    },
    closing: {
      entry: ['finishConnection', 'recordUnanswered', 'closeFiles'],
      always: [
        { guard: 'filesFinishedAfterFailure', target: 'failed' },
        { guard: 'filesFinished', target: 'done' },
      ],
      on: {
        'writer.closed': { actions: 'countWriterDone' },
        'writer.failed': { actions: ['countWriterDone', 'fail'] },
        // Already on the way out: a second stop request changes nothing.
        'session.stop': {},
      },
    },
    done: { type: 'final' },
    failed: { type: 'final', entry: ['dropConnection', 'logFailed'] },
  },
  output: ({ context }) => summarizeSession(context),
});
