import { join } from 'node:path';
import { assertEvent, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { getLogger } from '../../log/logger';
import { nodeFileSystem, SERVER_TABLE_NAME, timestampTableFormat } from '../../storage';
import { systemClock } from '../../time';
import type { ChannelListener, Transport } from '../../transport';
import { type Failure, failure, failureOf } from '../errors';
import { acceptConnections } from '../shared';
import { closeWriter, fileWriterMachine } from '../writer';
import { handlerPool } from './handlerPool';
import { DEFAULT_PRE_HELLO_LIMITS } from './preHelloGate';
import { DEFAULT_KEEP_SERVED, EMPTY_SERVED_LOG, servedClients, withServed } from './servedLog';
import type { ServerContext, ServerEvent, ServerInput, ServerSummary } from './serverTypes';

export type { ServerContext, ServerEvent, ServerInput, ServerSummary } from './serverTypes';

/**
 * The timestamp server:
 *
 * opening (the file) → binding → serving (listening → stopping) → finishing (the file)
 * → stopped | failed
 *
 * Each accepted connection gets a connection-handler actor (from the handler pool, which also
 * hands out client IDs); every handler's rows stream into the one `serverTimeData.txt` that
 * the table writer owns.
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
    handlerPool,
    bind: fromPromise<ChannelListener, { transport: Transport; host: string; port: number }>(
      ({ input }) => input.transport.listen({ host: input.host, port: input.port }),
    ),
    acceptConnections,
  },
  actions: {
    keepTable: assign({
      table: ({ event }) => {
        assertEvent(event, 'writer.opened');
        return event.sink;
      },
    }),
    keepListener: assign((_, params: { listener: ChannelListener }) => ({
      listener: params.listener,
      address: `${params.listener.host}:${params.listener.port}`,
    })),
    noteStop: assign({
      stopReason: ({ event }) => {
        assertEvent(event, 'server.stop');
        return event.reason ?? 'server shutting down';
      },
    }),
    openHandler: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'connection.accepted');
      enqueue.sendTo('pool', { type: 'pool.open', channel: event.channel });
    }),
    reportDrop: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'connection.dropped');
      enqueue.sendTo('pool', { type: 'pool.dropped', address: event.address });
    }),
    countConnection: assign({ connections: ({ context }) => context.connections + 1 }),
    dropConnections: assign({
      connections: ({ context, event }) => {
        assertEvent(event, 'connections.dropped');
        return context.connections - event.count;
      },
    }),
    keepRefusals: assign({
      refused: ({ event }) => {
        assertEvent(event, 'connections.refused');
        return event.counts;
      },
    }),
    releaseConnection: assign(({ context, event }) => {
      assertEvent(event, 'connection.released');
      return {
        connections: context.connections - 1,
        clients: context.clients - (event.clientId === null ? 0 : 1),
      };
    }),
    register: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'client.register');
      enqueue.sendTo('pool', {
        type: 'pool.register',
        handler: event.handler,
        requestedId: event.requestedId,
      });
    }),
    admit: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'client.admitted');
      enqueue.assign({ clients: context.clients + 1 });
      enqueue.sendTo(event.handler, { type: 'registration.accepted', clientId: event.clientId });
    }),
    turnAway: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'client.refused');
      context.logger.warn(`refused a client: ${event.refusal.message}`, {
        code: event.refusal.code,
      });
      enqueue.sendTo(event.handler, { type: 'registration.refused', refusal: event.refusal });
    }),
    refuseWhileStopping: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'client.register');
      enqueue.sendTo(event.handler, {
        type: 'registration.refused',
        refusal: failure('ERR_SHUTTING_DOWN', 'server is shutting down'),
      });
    }),
    recordServed: assign(({ context, event }) => {
      assertEvent(event, 'handler.closed');
      const { clientId, address, ticks, reason, code } = event;
      if (clientId === null) return {};
      // Never copied: thousands of clients ending cost O(1) each, and memory stays bounded.
      const client = { clientId, address, ticks, reason, code };
      return { served: withServed(context.served, client, context.config.keepServed) };
    }),
    shutDownHandlers: enqueueActions(({ context, enqueue }) =>
      enqueue.sendTo('pool', {
        type: 'pool.shutdown',
        reason: context.stopReason ?? 'server shutting down',
      }),
    ),
    closeFile: enqueueActions(({ context, enqueue }) => {
      if (context.writerFailed) return; // nothing left to finish
      enqueue.sendTo(
        'tableWriter',
        closeWriter({
          durationMs: context.config.clock.now() - context.startedAt,
          ...(context.failure ? { endedEarly: context.failure.message } : {}),
        }),
      );
    }),
    keepRows: assign({
      rowsWritten: ({ event }) => {
        assertEvent(event, 'writer.closed');
        return event.records;
      },
    }),
    fail: assign((_, params: { failure: Failure }) => ({ failure: params.failure })),
    failOnFile: assign(({ event }) => {
      assertEvent(event, 'writer.failed');
      return {
        failure: event.error,
        writerFailed: true,
        rowsWritten: event.records,
        stopReason: `server failed: ${event.error.message}`,
      };
    }),
    logListening: ({ context }) => context.logger.info(`listening on ${context.address}`),
    logFinishing: ({ context }) => context.logger.verbose('finishing the server file'),
    logFailed: ({ context }) => context.logger.error(`server failed: ${context.failure?.message}`),
  },
  guards: {
    noConnectionsLeft: ({ context }) => context.connections === 0,
    writerFailed: ({ context }) => context.writerFailed,
    failed: ({ context }) => context.failure !== null,
  },
  delays: {
    stopTimeout: ({ context }) => context.config.stopTimeoutMs,
  },
}).createMachine({
  id: 'server',
  context: ({ input }) => ({
    config: {
      transport: input.transport,
      host: input.host ?? '0.0.0.0',
      port: input.port ?? 5555,
      clock: input.clock ?? systemClock,
      handshakeTimeoutMs: input.handshakeTimeoutMs ?? 5000,
      secret: input.secret,
      limits: input.limits ?? {},
      maxClients: input.maxClients ?? 10_000,
      maxPending: input.maxPending ?? DEFAULT_PRE_HELLO_LIMITS.maxPending,
      maxPendingPerAddress:
        input.maxPendingPerAddress ?? DEFAULT_PRE_HELLO_LIMITS.maxPendingPerAddress,
      maxReplyDelayMs: input.maxReplyDelayMs ?? 10_000,
      keepServed: input.keepServed ?? DEFAULT_KEEP_SERVED,
      flushIntervalMs: input.flushIntervalMs ?? 200,
      stopTimeoutMs: input.stopTimeoutMs ?? 2000,
      fs: input.fs ?? nodeFileSystem,
    },
    logger: input.logger ?? getLogger('server'),
    file: join(input.outDir, SERVER_TABLE_NAME),
    table: null,
    listener: null,
    address: null,
    connections: 0,
    clients: 0,
    served: EMPTY_SERVED_LOG,
    refused: { ERR_TOO_MANY_PENDING: 0, ERR_TOO_MANY_FROM_ADDRESS: 0, EMFILE: 0 },
    rowsWritten: 0,
    writerFailed: false,
    startedAt: (input.clock ?? systemClock).now(),
    stopReason: null,
    failure: null,
  }),
  invoke: {
    id: 'tableWriter',
    src: 'fileWriter',
    input: ({ context, self }) => ({
      path: context.file,
      format: timestampTableFormat,
      // A restarted server must not overwrite the rows its previous run acknowledged.
      keepExisting: true,
      flushIntervalMs: context.config.flushIntervalMs,
      notify: self,
      logger: context.logger,
      fs: context.config.fs,
    }),
  },
  initial: 'opening',
  on: {
    // The file is gone before anyone connected: nothing to tell anyone, stop.
    'writer.failed': { target: '.finishing', actions: 'failOnFile' },
  },
  states: {
    opening: {
      on: {
        'writer.opened': { target: 'binding', actions: 'keepTable' },
        'server.stop': { target: 'finishing', actions: 'noteStop' },
      },
    },
    binding: {
      invoke: {
        src: 'bind',
        input: ({ context }) => ({
          transport: context.config.transport,
          host: context.config.host,
          port: context.config.port,
        }),
        onDone: {
          target: 'serving',
          actions: [
            { type: 'keepListener', params: ({ event }) => ({ listener: event.output }) },
            'logListening',
          ],
        },
        onError: {
          target: 'finishing',
          actions: { type: 'fail', params: ({ event }) => ({ failure: failureOf(event.error) }) },
        },
      },
    },
    serving: {
      invoke: {
        id: 'pool',
        src: 'handlerPool',
        input: ({ context, self }) => ({
          maxClients: context.config.maxClients,
          preHello: {
            maxPending: context.config.maxPending,
            maxPendingPerAddress: context.config.maxPendingPerAddress,
          },
          logger: context.logger,
          handler: {
            clock: context.config.clock,
            table: context.table!,
            server: self,
            handshakeTimeoutMs: context.config.handshakeTimeoutMs,
            maxReplyDelayMs: context.config.maxReplyDelayMs,
            limits: context.config.limits,
            ...(context.config.secret !== undefined ? { secret: context.config.secret } : {}),
            logger: context.logger,
          },
        }),
      },
      on: {
        'connection.opened': { actions: 'countConnection' },
        'connection.released': { actions: 'releaseConnection' },
        'connections.refused': { actions: 'keepRefusals' },
        'connections.dropped': { actions: 'dropConnections' },
        'handler.closed': { actions: 'recordServed' },
        'client.admitted': { actions: 'admit' },
        'client.refused': { actions: 'turnAway' },
        // The file is gone: tell every client why, then stop (there is nothing left to log to).
        'writer.failed': { target: '.stopping', actions: 'failOnFile' },
      },
      initial: 'listening',
      states: {
        listening: {
          invoke: {
            src: 'acceptConnections',
            input: ({ context }) => ({ listener: context.listener! }),
          },
          on: {
            'connection.accepted': { actions: 'openHandler' },
            'connection.dropped': { actions: 'reportDrop' },
            'client.register': { actions: 'register' },
            'server.stop': { target: 'stopping', actions: 'noteStop' },
          },
        },
        stopping: {
          entry: 'shutDownHandlers',
          always: { guard: 'noConnectionsLeft', target: '#server.finishing' },
          after: { stopTimeout: '#server.finishing' },
          on: {
            'client.register': { actions: 'refuseWhileStopping' },
          },
        },
      },
    },
    finishing: {
      entry: ['closeFile', 'logFinishing'],
      always: { guard: 'writerFailed', target: 'failed' },
      on: {
        'writer.closed': [
          { guard: 'failed', target: 'failed', actions: 'keepRows' },
          { target: 'stopped', actions: 'keepRows' },
        ],
        'writer.failed': { target: 'failed', actions: 'failOnFile' },
        'server.stop': {},
      },
    },
    stopped: { type: 'final' },
    failed: { type: 'final', entry: 'logFailed' },
  },
  output: ({ context }) => ({
    outcome: context.failure ? 'failed' : 'stopped',
    address: context.address,
    ...servedClients(context.served, context.config.keepServed),
    servedCount: context.served.total,
    rows: context.rowsWritten,
    refused: context.refused,
    durationMs: context.config.clock.now() - context.startedAt,
    error: context.failure,
    file: context.file,
  }),
});
