import { join } from 'node:path';
import { Subject } from 'rxjs';
import { assertEvent, assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import { SERVER_TABLE_NAME, type TimestampRow, timestampTableFormat } from '../storage';
import { type Clock, systemClock } from '../time';
import type { ByteChannel, ChannelListener, Transport } from '../transport';
import {
  connectionHandlerMachine,
  type ExchangeLimits,
  type HandlerToServerEvent,
} from './connectionHandler.machine';
import { type FileWriterNotification, fileWriterMachine } from './fileWriter.machine';
import { acceptConnections } from './shared';

export interface ServerInput {
  transport: Transport;
  host?: string;
  /** 0 picks a free port; the snapshot's `context.address` tells which. */
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
  flushIntervalMs?: number;
  /** On stop, how long clients get to say goodbye before the file is finished anyway. */
  stopTimeoutMs?: number;
  logger?: Logger;
}

export type ServerEvent =
  | { type: 'connection.accepted'; channel: ByteChannel }
  | { type: 'server.stop'; reason?: string }
  | HandlerToServerEvent
  | FileWriterNotification;

/** One finished client, as the server saw it. */
export interface ServedClient {
  clientId: number | null;
  address: string;
  ticks: number;
  reason: string;
  code: string;
}

export interface ServerSummary {
  outcome: 'stopped' | 'failed';
  address: string | null;
  clients: ServedClient[];
  /** Rows handed to the file writer; after a disk failure the last flush's rows may be missing. */
  rows: number;
  durationMs: number;
  error: { code: string; message: string } | null;
  file: string;
}

export interface ServerContext {
  transport: Transport;
  host: string;
  port: number;
  clock: Clock;
  handshakeTimeoutMs: number;
  secret: string | undefined;
  limits: Partial<ExchangeLimits>;
  maxClients: number;
  flushIntervalMs: number;
  stopTimeoutMs: number;
  logger: Logger;
  file: string;
  rows: Subject<TimestampRow>;
  listener: ChannelListener | null;
  /** `host:port` once listening. */
  address: string | null;
  /** Live handlers by actor id, with the client ID once registered. */
  handlers: Record<string, number | null>;
  nextHandler: number;
  nextAutoId: number;
  served: ServedClient[];
  rowsWritten: number;
  writerFailed: boolean;
  startedAt: number;
  stopReason: string | null;
  failure: { code: string; message: string } | null;
}

/**
 * The timestamp server:
 *
 * opening (the file) → binding → listening → stopping → finishing (the file) → stopped | failed
 *
 * It spawns one connection-handler actor per accepted connection, hands out client IDs,
 * and owns the one `serverTimeData.txt` that every handler's rows stream into.
 */
export const serverMachine = setup({
  types: {
    input: {} as ServerInput,
    context: {} as ServerContext,
    events: {} as ServerEvent,
    output: {} as ServerSummary,
  },
  actors: {
    fileWriter: fileWriterMachine,
    connectionHandler: connectionHandlerMachine,
    bind: fromPromise(
      ({ input }: { input: { transport: Transport; host: string; port: number } }) =>
        input.transport.listen({ host: input.host, port: input.port }),
    ),
    acceptConnections,
  },
  actions: {
    openFile: enqueueActions(({ context, enqueue, self }) => {
      enqueue.spawnChild('fileWriter', {
        id: 'tableWriter',
        input: {
          path: context.file,
          format: timestampTableFormat,
          records$: context.rows,
          // A restarted server must not overwrite the rows its previous run acknowledged.
          keepExisting: true,
          flushIntervalMs: context.flushIntervalMs,
          notify: self,
          logger: context.logger,
        },
      });
    }),
    spawnHandler: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'connection.accepted');
      const id = `connection-${context.nextHandler}`;
      enqueue.spawnChild('connectionHandler', {
        id,
        input: {
          channel: event.channel,
          clock: context.clock,
          rows: context.rows,
          server: self,
          handshakeTimeoutMs: context.handshakeTimeoutMs,
          limits: context.limits,
          ...(context.secret !== undefined ? { secret: context.secret } : {}),
          logger: context.logger,
        },
      });
      enqueue.assign({
        nextHandler: context.nextHandler + 1,
        handlers: { ...context.handlers, [id]: null },
      });
    }),
    register: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'client.register');
      const inUse = new Set(
        Object.values(context.handlers).filter((id): id is number => id !== null),
      );
      const refuse = (code: string, reason: string) => {
        context.logger.warn(`refused ${event.address}: ${reason}`, { code });
        enqueue.sendTo(event.handlerId, { type: 'client.refused', code, reason });
      };
      if (inUse.size >= context.maxClients) {
        return refuse('ERR_SERVER_FULL', `server is full (${context.maxClients} clients)`);
      }
      if (event.requestedId !== undefined && inUse.has(event.requestedId)) {
        return refuse(
          'ERR_ID_IN_USE',
          `client ID ${event.requestedId} is in use by another client`,
        );
      }
      let clientId = event.requestedId;
      let nextAutoId = context.nextAutoId;
      if (clientId === undefined) {
        while (inUse.has(nextAutoId)) nextAutoId += 1;
        clientId = nextAutoId;
        nextAutoId += 1;
      }
      enqueue.assign({
        handlers: { ...context.handlers, [event.handlerId]: clientId },
        nextAutoId,
      });
      enqueue.sendTo(event.handlerId, { type: 'client.accepted', clientId });
    }),
    forgetHandler: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'handler.closed');
      const { [event.handlerId]: _gone, ...handlers } = context.handlers;
      const { clientId, address, ticks, reason, code } = event;
      enqueue.assign({
        handlers,
        served:
          clientId === null
            ? context.served
            : [...context.served, { clientId, address, ticks, reason, code }],
      });
      // A finished handler is released at once: a long-running server would otherwise keep
      // one actor per connection it ever accepted.
      enqueue.stopChild(event.handlerId);
    }),
    shutDownHandlers: enqueueActions(({ context, enqueue }) => {
      const reason = context.stopReason ?? 'server shutting down';
      for (const id of Object.keys(context.handlers))
        enqueue.sendTo(id, { type: 'server.shutdown', reason });
    }),
    closeFile: enqueueActions(({ context, enqueue }) => {
      if (context.writerFailed) return; // nothing left to finish
      enqueue.sendTo('tableWriter', {
        type: 'writer.close',
        end: {
          durationMs: context.clock.now() - context.startedAt,
          ...(context.failure ? { endedEarly: context.failure.message } : {}),
        },
      });
    }),
    fail: assign({
      failure: ({ event }) => {
        if (event.type === 'writer.failed') return { code: event.code, message: event.message };
        return describeError((event as { error?: unknown }).error);
      },
    }),
    logListening: ({ context }) => context.logger.info(`listening on ${context.address}`),
  },
  guards: {
    noHandlersLeft: ({ context }) => Object.keys(context.handlers).length === 0,
    failed: ({ context }) => context.failure !== null,
  },
  delays: {
    stopTimeout: ({ context }) => context.stopTimeoutMs,
  },
}).createMachine({
  id: 'server',
  context: ({ input }) => ({
    transport: input.transport,
    host: input.host ?? '0.0.0.0',
    port: input.port ?? 5555,
    clock: input.clock ?? systemClock,
    handshakeTimeoutMs: input.handshakeTimeoutMs ?? 5000,
    secret: input.secret,
    limits: input.limits ?? {},
    maxClients: input.maxClients ?? 10_000,
    flushIntervalMs: input.flushIntervalMs ?? 200,
    stopTimeoutMs: input.stopTimeoutMs ?? 2000,
    logger: input.logger ?? getLogger('server'),
    file: join(input.outDir, SERVER_TABLE_NAME),
    rows: new Subject<TimestampRow>(),
    listener: null,
    address: null,
    handlers: {},
    nextHandler: 1,
    nextAutoId: 1,
    served: [],
    rowsWritten: 0,
    writerFailed: false,
    startedAt: (input.clock ?? systemClock).now(),
    stopReason: null,
    failure: null,
  }),
  initial: 'opening',
  on: {
    'handler.closed': { actions: 'forgetHandler' },
    // The file is gone: tell every client why, then stop (there is nothing left to log to).
    'writer.failed': {
      target: '.stopping',
      actions: [
        'fail',
        assign({
          writerFailed: true,
          rowsWritten: ({ event }) => event.records,
          stopReason: ({ event }) => `server failed: ${event.message}`,
        }),
      ],
    },
  },
  states: {
    opening: {
      entry: 'openFile',
      on: {
        'writer.opened': 'binding',
        'server.stop': {
          target: 'finishing',
          actions: assign({ stopReason: ({ event }) => event.reason ?? null }),
        },
      },
    },
    binding: {
      invoke: {
        src: 'bind',
        input: ({ context }) => ({
          transport: context.transport,
          host: context.host,
          port: context.port,
        }),
        onDone: {
          target: 'listening',
          actions: [
            assign({
              listener: ({ event }) => event.output,
              address: ({ event }) => `${event.output.host}:${event.output.port}`,
            }),
            'logListening',
          ],
        },
        onError: { target: 'finishing', actions: 'fail' },
      },
    },
    listening: {
      invoke: {
        src: 'acceptConnections',
        input: ({ context }) => ({ listener: context.listener! }),
      },
      on: {
        'connection.accepted': { actions: 'spawnHandler' },
        'client.register': { actions: 'register' },
        'server.stop': {
          target: 'stopping',
          actions: assign({ stopReason: ({ event }) => event.reason ?? 'server shutting down' }),
        },
      },
    },
    stopping: {
      entry: 'shutDownHandlers',
      always: { guard: 'noHandlersLeft', target: 'finishing' },
      after: { stopTimeout: 'finishing' },
      on: {
        'client.register': {
          actions: enqueueActions(({ event, enqueue }) =>
            enqueue.sendTo(event.handlerId, {
              type: 'client.refused',
              code: 'ERR_SHUTTING_DOWN',
              reason: 'server is shutting down',
            }),
          ),
        },
      },
    },
    finishing: {
      entry: ['closeFile', ({ context }) => context.logger.verbose('finishing the server file')],
      always: { guard: ({ context }) => context.writerFailed, target: 'failed' },
      on: {
        'writer.closed': [
          {
            guard: 'failed',
            target: 'failed',
            actions: assign({ rowsWritten: ({ event }) => event.records }),
          },
          { target: 'stopped', actions: assign({ rowsWritten: ({ event }) => event.records }) },
        ],
        'server.stop': {},
      },
    },
    stopped: { type: 'final' },
    failed: {
      type: 'final',
      entry: ({ context }) => context.logger.error(`server failed: ${context.failure?.message}`),
    },
  },
  output: ({ context }) => ({
    outcome: context.failure ? 'failed' : 'stopped',
    address: context.address,
    clients: context.served,
    rows: context.rowsWritten,
    durationMs: context.clock.now() - context.startedAt,
    error: context.failure,
    file: context.file,
  }),
});
