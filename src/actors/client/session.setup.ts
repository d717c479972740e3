import { join } from 'node:path';
import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import {
  clientTableName,
  exchangeLogFormat,
  exchangeLogName,
  timestampTableFormat,
} from '../../storage';
import { backoffDelay } from '../../time';
import type { ClientConnection, ServerMessage } from '../../transport';
import { type Failure, failure } from '../errors';
import type { ConnectionLost, WireEvent } from '../shared';
import { closeWriter, type FileWriterNotification, fileWriterMachine } from '../writer';
import { connect, readServer } from './connect';
import { failures, footer } from './failures';
import {
  type ClientHandshakeInput,
  clientHandshakeMachine,
  type HandshakeOutcome,
} from './handshake.machine';
import { type LedgerReport, sessionLedger } from './ledger';
import type { ClientSessionContext, ClientSessionInput } from './sessionContext';
import type { ClientSessionSummary } from './summary';

export type ClientSessionEvent =
  | WireEvent<'server', ServerMessage>
  | ConnectionLost
  | { type: 'session.stop'; reason: string }
  | FileWriterNotification
  | LedgerReport;

/** What the handshake needs from the session; `clientId` is the ID to ask for. */
export const handshakeInput = (
  context: ClientSessionContext,
  clientId: number | undefined,
): ClientHandshakeInput => ({
  connection: context.connection!,
  intervalMs: context.config.intervalMs,
  clientId,
  secret: context.config.secret,
  timeoutMs: context.config.handshakeTimeoutMs,
});

/** Why a handshake did not welcome us (a welcome for another ID is a protocol error). */
export const whyNot = (outcome: HandshakeOutcome): Failure =>
  outcome.kind === 'welcomed'
    ? failure('ERR_PROTOCOL', `welcomed as client ${outcome.clientId}`)
    : outcome.failure;

/** Ends a session early: `why` for the footer (first one wins), `failure` if it failed. */
const endWith = (
  context: ClientSessionContext,
  why: Failure,
  failed: Failure | null = why,
): Partial<ClientSessionContext> => ({
  endedAt: context.endedAt ?? context.config.clock.now(),
  endedEarly: context.endedEarly ?? why,
  ...(failed ? { failure: failed } : {}),
});

/**
 * The named pieces of the client session machine (see `session.machine.ts` for the chart):
 * its actors, its guards, and its actions. Every `assign` here computes values only; I/O,
 * logging and sends are separate actions.
 */
export const clientSessionSetup = setup({
  types: {
    input: {} as ClientSessionInput,
    context: {} as ClientSessionContext,
    events: {} as ClientSessionEvent,
    output: {} as ClientSessionSummary,
  },
  actors: {
    connect,
    handshake: clientHandshakeMachine,
    readServer,
    ledger: sessionLedger,
    fileWriter: fileWriterMachine,
  },
  actions: {
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    useConnection: assign((_, params: { connection: ClientConnection }) => ({
      connection: params.connection,
    })),
    /** A handshake that failed, or a link given up on: end it without a goodbye. */
    dropConnection: ({ context }) => context.connection?.destroy(),
    finishConnection: ({ context }) => {
      const connection = context.connection;
      if (!connection || connection.isClosed) return;
      connection.send({ type: 'bye', reason: context.endedEarly?.message ?? 'session complete' });
      connection.close();
    },
    acceptWelcome: assign(({ context }, params: { outcome: HandshakeOutcome }) => {
      if (params.outcome.kind !== 'welcomed') return {};
      const clientId = params.outcome.clientId;
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
        // A client run again with the same ID keeps its earlier table and sidecar (`.1.txt`).
        keepExisting: true,
        ...(context.config.fs ? { fs: context.config.fs } : {}),
      };
      enqueue.assign({ writersSpawned: 2 });
      enqueue.spawnChild('fileWriter', {
        id: 'tableWriter',
        input: { ...common, path: context.files!.table, format: timestampTableFormat },
      });
      enqueue.spawnChild('fileWriter', {
        id: 'exchangeWriter',
        input: { ...common, path: context.files!.exchanges, format: exchangeLogFormat },
      });
    }),
    attachTable: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'writer.opened');
      enqueue.sendTo('ledger', { type: 'ledger.table', sink: event.sink });
    }),
    attachExchanges: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'writer.opened');
      enqueue.sendTo('ledger', { type: 'ledger.exchanges', sink: event.sink });
    }),
    countWriterOpen: assign({ writersOpen: ({ context }) => context.writersOpen + 1 }),
    countWriterDone: assign({ writersDone: ({ context }) => context.writersDone + 1 }),
    markStarted: assign({ startedAt: ({ context }) => context.config.clock.now() }),
    markEnded: assign({ endedAt: ({ context }) => context.endedAt ?? context.config.clock.now() }),
    startLedger: enqueueActions(({ enqueue }) =>
      enqueue.sendTo('ledger', { type: 'ledger.start' }),
    ),
    /** The ledger ticks on this connection and reads it (replies never reach the machine). */
    tickOnConnection: enqueueActions(({ context, enqueue }) =>
      enqueue.sendTo('ledger', { type: 'ledger.online', connection: context.connection! }),
    ),
    drainLedger: enqueueActions(({ enqueue }) =>
      enqueue.sendTo('ledger', { type: 'ledger.drain' }),
    ),
    keepProgress: assign(({ event }) => {
      assertEvent(event, 'ledger.progress');
      return { ...event.counts, rttMedianMs: event.rttMedianMs };
    }),
    /** The ticks in flight will not be answered on this link: the ledger logs them as lost. */
    abandonInFlight: enqueueActions(({ enqueue }) => {
      enqueue.assign({ inFlight: 0 });
      enqueue.sendTo('ledger', { type: 'ledger.offline' });
    }),
    noteOverdue: assign({
      lostBecause: ({ context }) => failures.replyTimeout(context.config.replyTimeoutMs),
    }),
    noteBye: assign({
      lostBecause: ({ event }) => {
        assertEvent(event, 'server.bye');
        return failures.bye(event.message);
      },
    }),
    noteLoss: assign({
      lostBecause: ({ event }) => {
        assertEvent(event, 'connection.lost');
        return event.error;
      },
    }),
    warnReconnecting: ({ context }) =>
      context.logger.warn(`connection lost (${context.lostBecause?.message}); reconnecting`, {
        code: context.lostBecause?.code,
      }),
    resetReconnectAttempts: assign({ reconnectAttempt: 0 }),
    countReconnectAttempt: assign({
      reconnectAttempt: ({ context }) => context.reconnectAttempt + 1,
    }),
    noteReconnectFailure: assign((_, params: { failure: Failure }) => ({
      lastReconnectFailure: params.failure,
    })),
    markReconnected: assign({
      reconnections: ({ context }) => context.reconnections + 1,
      lostBecause: null,
    }),
    logReconnected: ({ context }) =>
      context.logger.info(`reconnected as client ${context.clientId}; resuming on the same grid`),
    failReconnect: assign(({ context }) => {
      const failed = failures.reconnectFailed(
        context.lostBecause,
        context.reconnectAttempt,
        context.lastReconnectFailure,
      );
      return endWith(context, failed);
    }),
    fail: assign((_, params: { failure: Failure }) => ({ failure: params.failure })),
    failStopped: assign({
      failure: ({ event }) => {
        assertEvent(event, 'session.stop');
        return failures.stopped(event.reason);
      },
    }),
    endOnStop: assign(({ context, event }) => {
      assertEvent(event, 'session.stop');
      return endWith(context, failures.stopped(event.reason), null);
    }),
    endOnUnexpected: assign(({ context, event }) => {
      assertEvent(event, ['server.welcome', 'server.challenge', 'server.reply']);
      return endWith(context, failures.unexpected(event.message));
    }),
    endOnRefusal: assign(({ context, event }) => {
      assertEvent(event, 'server.refused');
      return endWith(context, failures.refused(event.message));
    }),
    endOnBye: assign(({ context, event }) => {
      assertEvent(event, 'server.bye');
      return endWith(context, failures.bye(event.message));
    }),
    endOnLoss: assign(({ context, event }) => {
      assertEvent(event, 'connection.lost');
      return endWith(context, event.error);
    }),
    endOnFileFailure: assign(({ context, event }) => {
      assertEvent(event, 'writer.failed');
      return endWith(context, failures.fileFailed(event.path, event.error), event.error);
    }),
    failOnFile: assign({
      failure: ({ event }) => {
        assertEvent(event, 'writer.failed');
        return event.error;
      },
    }),
    endAfterHandshake: assign(({ context }, params: { outcome: HandshakeOutcome }) =>
      endWith(context, whyNot(params.outcome)),
    ),
    finishLedger: enqueueActions(({ enqueue }) =>
      enqueue.sendTo('ledger', { type: 'ledger.finish' }),
    ),
    keepTotals: assign(({ event }) => {
      assertEvent(event, 'ledger.finished');
      return {
        ...event.counts,
        totals: { rttMs: event.rttMs, timerErrorMs: event.timerErrorMs },
      };
    }),
    closeFiles: enqueueActions(({ context, enqueue, self }) => {
      // A writer that already failed has stopped; only the live ones are told to finish.
      const { children } = self.getSnapshot();
      const end = closeWriter(footer(context));
      if (children.tableWriter) enqueue.sendTo('tableWriter', end);
      if (children.exchangeWriter) enqueue.sendTo('exchangeWriter', end);
    }),
    logConnected: ({ context }) =>
      context.logger.verbose(
        `connected to ${context.config.server.host}:${context.config.server.port} from ${context.connection?.localAddress}`,
      ),
    logConnectRetry: ({ context }, params: { error: Failure }) =>
      context.logger.warn(`connection attempt ${context.attempt} failed, retrying`, params.error),
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
    canReconnect: ({ context }) => context.config.reconnect.attempts > 0,
    noReconnectAttemptsLeft: ({ context }) =>
      context.reconnectAttempt >= context.config.reconnect.attempts,
    isWelcomed: (_, params: { outcome: HandshakeOutcome }) => params.outcome.kind === 'welcomed',
    /** The link died, the handshake ran out of time, or the server still holds our old ID. */
    isWorthRetrying: (_, { outcome }: { outcome: HandshakeOutcome }) =>
      outcome.kind === 'lost' ||
      outcome.kind === 'timedOut' ||
      (outcome.kind === 'refused' && outcome.failure.code === 'ERR_ID_IN_USE'),
    isTableFile: ({ context, event }) =>
      event.type === 'writer.opened' && event.path === context.files?.table,
    bothWritersOpen: ({ context }) => context.writersOpen === 2,
    finished: ({ context }) =>
      context.totals !== null && context.writersDone === context.writersSpawned,
    finishedAfterFailure: ({ context }) =>
      context.totals !== null &&
      context.writersDone === context.writersSpawned &&
      context.failure !== null,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.config.retry, context.attempt),
    sessionDuration: ({ context }) => context.config.durationMs,
    drainTimeout: ({ context }) => context.config.drainTimeoutMs,
    reconnectDelay: ({ context }) =>
      backoffDelay(context.config.reconnect, context.reconnectAttempt + 1),
  },
});
