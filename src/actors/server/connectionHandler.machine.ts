import { getLogger } from '../../log/logger';
import { createNonce, serverConnection } from '../../transport';
import {
  connectionHandlerSetup,
  DEFAULT_MAX_REPLY_BUFFER_BYTES,
  DEFAULT_MAX_REPLY_DELAY_MS,
  OK,
} from './connectionHandler.setup';
import { DEFAULT_EXCHANGE_LIMITS } from './limits';

export type {
  ConnectionHandlerEvent,
  ConnectionHandlerInput,
  HandlerContext,
  HandlerRef,
  HandlerToServerEvent,
  ServedClient,
  ServerToHandlerEvent,
} from './connectionHandler.setup';

/**
 * The server's side of one client connection:
 *
 * handshaking (awaitingHello → authenticating, with a secret) → registering → exchanging → closed
 * (or handshaking → dropped, when the server stops)
 *
 * A client that says nothing within the handshake timeout, sends anything but a valid hello
 * first, asks for an ID in use, speaks another protocol version, or sends garbage is cut off
 * with a logged reason; nothing it does reaches any other connection. Once it exchanges, ticks
 * are answered on the data path by the responder (no transition per tick); the machine keeps
 * the lifecycle. The named guards and actions are in `connectionHandler.setup.ts`.
 */
export const connectionHandlerMachine = connectionHandlerSetup.createMachine({
  id: 'connectionHandler',
  context: ({ input }) => ({
    connection: serverConnection(input.channel, {
      // t2 is when the tick's bytes arrived, not when it was decoded and validated.
      stamp: () => ({ wallMicros: input.clock.wallMicros(), monoMs: input.clock.now() }),
      maxFrameBytes: input.maxFrameBytes ?? 64 * 1024,
      maxSendDelayMs: input.maxReplyDelayMs ?? DEFAULT_MAX_REPLY_DELAY_MS,
      maxSendBufferBytes: input.maxReplyBufferBytes ?? DEFAULT_MAX_REPLY_BUFFER_BYTES,
    }),
    clock: input.clock,
    table: input.table,
    server: input.server,
    handshakeTimeoutMs: input.handshakeTimeoutMs,
    secret: input.secret,
    nonce: input.secret !== undefined ? createNonce() : null,
    limits: { ...DEFAULT_EXCHANGE_LIMITS, ...input.limits },
    maxReplyDelayMs: input.maxReplyDelayMs ?? DEFAULT_MAX_REPLY_DELAY_MS,
    progressIntervalMs: input.progressIntervalMs ?? 1000,
    logger: input.logger ?? getLogger('connection'),
    hello: null,
    clientId: null,
    ticks: 0,
    closeCode: OK,
    closeReason: '',
  }),
  // However the handler ends (final state or stopped from outside), its socket goes with it.
  invoke: { src: 'ownConnection', input: ({ context }) => ({ connection: context.connection }) },
  initial: 'handshaking',
  on: {
    'connection.lost': { target: '.closed', actions: 'closeOnLoss' },
    'server.shutdown': { target: '.closed', actions: ['closeOnShutdown', 'sayBye'] },
  },
  states: {
    handshaking: {
      // One deadline for the whole handshake, however the bytes trickle in.
      invoke: {
        src: 'handshakeDeadline',
        input: ({ context }) => ({ clock: context.clock, ms: context.handshakeTimeoutMs }),
      },
      on: {
        'handshake.timeout': { target: 'closed', actions: 'closeOnHandshakeTimeout' },
        // The server is stopping: nothing to tell a connection that never spoke (one of
        // thousands, perhaps), nothing to report.
        'server.drop': { target: 'dropped', actions: 'dropConnection' },
      },
      initial: 'awaitingHello',
      states: {
        awaitingHello: {
          invoke: {
            src: 'readClientOnce',
            input: ({ context }) => ({ connection: context.connection }),
          },
          on: {
            'client.hello': [
              {
                guard: 'intervalOutOfRange',
                target: '#connectionHandler.closed',
                actions: ['refuseInterval', 'sendRefusal'],
              },
              { guard: 'versionSupported', target: 'checkingSecret', actions: 'keepHello' },
              { target: '#connectionHandler.closed', actions: ['refuseVersion', 'sendRefusal'] },
            ],
            'client.auth': { target: '#connectionHandler.closed', actions: 'closeExpectingHello' },
            'client.tick': { target: '#connectionHandler.closed', actions: 'closeExpectingHello' },
            'client.bye': { target: '#connectionHandler.closed', actions: 'closeExpectingHello' },
          },
        },
        checkingSecret: {
          always: [
            { guard: 'hasSecret', target: 'authenticating' },
            { target: '#connectionHandler.registering' },
          ],
        },
        authenticating: {
          entry: 'challenge',
          invoke: {
            src: 'readClientOnce',
            input: ({ context }) => ({ connection: context.connection }),
          },
          on: {
            // A client that cannot prove it, or finds our proof wrong, leaves here.
            'connection.lost': {
              target: '#connectionHandler.closed',
              actions: 'closeLeftDuringAuth',
            },
            'client.auth': [
              { guard: 'proofValid', target: '#connectionHandler.registering' },
              { target: '#connectionHandler.closed', actions: ['refuseAuth', 'sendRefusal'] },
            ],
            'client.hello': {
              target: '#connectionHandler.closed',
              actions: ['refuseAuth', 'sendRefusal'],
            },
            'client.tick': {
              target: '#connectionHandler.closed',
              actions: ['refuseAuth', 'sendRefusal'],
            },
            'client.bye': {
              target: '#connectionHandler.closed',
              actions: ['refuseAuth', 'sendRefusal'],
            },
          },
        },
      },
    },
    registering: {
      entry: 'askForId',
      on: {
        'registration.accepted': [
          {
            guard: 'authenticated',
            target: 'exchanging',
            actions: ['keepClientId', 'welcome', 'protectFrames'],
          },
          { target: 'exchanging', actions: ['keepClientId', 'welcome'] },
        ],
        'registration.refused': { target: 'closed', actions: ['closeOnRefusal', 'sendRefusal'] },
      },
    },
    exchanging: {
      entry: 'logJoined',
      invoke: {
        id: 'responder',
        src: 'respondToTicks',
        input: ({ context }) => ({
          connection: context.connection,
          clock: context.clock,
          table: context.table,
          progressIntervalMs: context.progressIntervalMs,
          limits: context.limits,
          intervalMs: context.hello?.intervalMs ?? context.limits.minIntervalMs,
          maxReplyDelayMs: context.maxReplyDelayMs,
        }),
      },
      on: {
        'exchange.progress': { actions: 'keepTicks' },
        'client.bye': { target: 'closed', actions: 'closeOnBye' },
        'protocol.violation': { target: 'closed', actions: 'closeOnViolation' },
        // The responder reports its exact count before the handler says goodbye.
        'server.shutdown': { actions: ['closeOnShutdown', 'stopResponder'] },
        'exchange.stopped': { target: 'closed', actions: ['keepTicks', 'sayBye'] },
      },
    },
    closed: {
      type: 'final',
      entry: ['closeConnection', 'report'],
    },
    dropped: { type: 'final' },
  },
  output: ({ context }) => ({
    clientId: context.clientId,
    address: context.connection.remoteAddress,
    ticks: context.ticks,
    reason: context.closeReason,
    code: context.closeCode,
  }),
});
