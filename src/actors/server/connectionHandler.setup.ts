import {
  type ActorRef,
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  type Snapshot,
  setup,
} from 'xstate';
import type { Logger } from '../../log/logger';
import type { TimestampRow } from '../../storage';
import type { Clock } from '../../time';
import {
  type ByteChannel,
  type ClientHello,
  type ClientMessage,
  clientProof,
  proofMatches,
  SESSION_PROTOCOL_VERSION,
  type ServerConnection,
  serverProof,
  sessionFrameKeys,
} from '../../transport';
import type { Failure } from '../errors';
import { type ConnectionLost, type ParentRef, readConnection, type WireEvent } from '../shared';
import type { RecordSink } from '../writer';
import type { ExchangeLimits } from './limits';
import { type ResponderReport, respondToTicks } from './tickResponder';

export interface ConnectionHandlerInput {
  channel: ByteChannel;
  clock: Clock;
  /** Where the server's table rows go (shared by every handler; the server's writer owns it). */
  table: RecordSink<TimestampRow>;
  /** The server: asked for a client ID, told when the connection ends. */
  server: ParentRef<HandlerToServerEvent>;
  handshakeTimeoutMs: number;
  /** Shared secret: when set, a client must prove it knows it before it may register. */
  secret?: string;
  /** Limits on what an exchanging client may do; see {@link ExchangeLimits}. */
  limits?: Partial<ExchangeLimits>;
  /** How often the handler hears its tick count (for the inspector). */
  progressIntervalMs?: number;
  maxFrameBytes?: number;
  /**
   * A client whose replies have waited this long, for its `ack` (or, if it sends none, to leave
   * the process: the kernel's buffers are full), is cut off with `ERR_SLOW_CONSUMER`. Default 10 s.
   */
  maxReplyDelayMs?: number;
  /** The most reply bytes held in the process for one client (`ERR_SLOW_CONSUMER`). Default 1 MiB. */
  maxReplyBufferBytes?: number;
  logger?: Logger;
}

/** Defaults of {@link ConnectionHandlerInput}'s bounds on replies a client does not read. */
export const DEFAULT_MAX_REPLY_DELAY_MS = 10_000;
export const DEFAULT_MAX_REPLY_BUFFER_BYTES = 1024 * 1024;

/** What the server tells a handler. */
export type ServerToHandlerEvent =
  | { type: 'registration.accepted'; clientId: number }
  | { type: 'registration.refused'; refusal: Failure }
  | { type: 'server.shutdown'; reason: string }
  /** The server is stopping and this connection never said hello: drop it, say nothing. */
  | { type: 'server.drop' };

/** A handler, as the server addresses it. */
export type HandlerRef = ActorRef<Snapshot<unknown>, ServerToHandlerEvent>;

/** One finished connection, as the server saw it (`code` is `OK` for a clean end). */
export interface ServedClient {
  clientId: number | null;
  address: string;
  ticks: number;
  reason: string;
  code: string;
}

/** Sent by a handler to the server. */
export type HandlerToServerEvent =
  | {
      type: 'client.register';
      handler: HandlerRef;
      requestedId: number | undefined;
      address: string;
    }
  | ({ type: 'handler.closed' } & ServedClient);

export type ConnectionHandlerEvent =
  | WireEvent<'client', ClientMessage>
  | HandshakeTimedOut
  | ConnectionLost
  | ServerToHandlerEvent
  | ResponderReport;

export interface HandlerContext {
  connection: ServerConnection;
  clock: Clock;
  table: RecordSink<TimestampRow>;
  server: ParentRef<HandlerToServerEvent>;
  handshakeTimeoutMs: number;
  secret: string | undefined;
  /** The nonce of our challenge (with a secret). */
  nonce: Buffer | null;
  limits: ExchangeLimits;
  /** See {@link ConnectionHandlerInput.maxReplyDelayMs}; also the bound on unacknowledged replies. */
  maxReplyDelayMs: number;
  progressIntervalMs: number;
  logger: Logger;
  hello: ClientHello | null;
  clientId: number | null;
  /** Ticks answered, as the responder last reported (exact once the handler is closed). */
  ticks: number;
  /** How the connection ended: `OK` and why, or an error code and what happened. */
  closeCode: string;
  closeReason: string;
}

export const OK = 'OK';

/** Holds the connection for the handler's lifetime and drops it if still open at the end. */
const ownConnection = fromCallback<ConnectionHandlerEvent, { connection: ServerConnection }>(
  ({ input }) =>
    () => {
      if (!input.connection.isClosed) input.connection.destroy();
    },
);

/**
 * The handshake's deadline, as a timer of our own rather than XState's `after`: XState scans
 * every delayed event of the whole actor system each time any actor stops, so thousands of
 * connections in their handshake (a flood) made each one's end cost O(n).
 */
const handshakeDeadline = fromCallback<HandshakeTimedOut, { clock: Clock; ms: number }>(
  ({ input, sendBack }) => {
    const timer = input.clock.setTimeout(() => sendBack({ type: 'handshake.timeout' }), input.ms);
    return () => input.clock.clearTimeout(timer);
  },
);

/** The handshake took longer than its deadline. */
export interface HandshakeTimedOut {
  type: 'handshake.timeout';
}

/** Reads one client message and leaves the rest queued (the responder reads them later). */
const readClientOnce = readConnection<'client', ClientMessage>('client', {
  closedMessage: 'client closed the connection',
  count: 1,
});

/** How a connection that never said hello may end without a warning in the log. */
const QUIET_PRE_HELLO_ENDS = new Set([
  'ERR_HANDSHAKE_TIMEOUT',
  'ERR_CONNECTION_CLOSED',
  'ECONNRESET',
]);

/** How the connection ends: a code (`OK` when nothing went wrong) and a reason. */
const closing = (code: string, reason: string) => ({ closeCode: code, closeReason: reason });

/**
 * The named pieces of the connection handler (see `connectionHandler.machine.ts` for the
 * chart). Every `assign` computes values only; sends and logging are separate actions.
 */
export const connectionHandlerSetup = setup({
  types: {
    input: {} as ConnectionHandlerInput,
    context: {} as HandlerContext,
    events: {} as ConnectionHandlerEvent,
    output: {} as ServedClient,
  },
  actors: { ownConnection, handshakeDeadline, readClientOnce, respondToTicks },
  actions: {
    keepHello: assign({
      hello: ({ event }) => {
        assertEvent(event, 'client.hello');
        return event.message;
      },
    }),
    keepClientId: assign({
      clientId: ({ event }) => {
        assertEvent(event, 'registration.accepted');
        return event.clientId;
      },
    }),
    keepTicks: assign({
      ticks: ({ event }) => {
        assertEvent(event, ['exchange.progress', 'exchange.stopped']);
        return event.ticks;
      },
    }),
    closeOnLoss: assign(({ event }) => {
      assertEvent(event, 'connection.lost');
      return closing(event.error.code, event.error.message);
    }),
    closeOnShutdown: assign(({ event }) => {
      assertEvent(event, 'server.shutdown');
      return closing(OK, event.reason);
    }),
    closeOnHandshakeTimeout: assign(
      closing('ERR_HANDSHAKE_TIMEOUT', 'no hello within the handshake timeout'),
    ),
    closeExpectingHello: assign(({ event }) => {
      assertEvent(event, ['client.auth', 'client.tick', 'client.bye']);
      return closing('ERR_PROTOCOL', `expected hello, got ${event.message.type}`);
    }),
    refuseInterval: assign(({ context, event }) => {
      assertEvent(event, 'client.hello');
      const { minIntervalMs, maxIntervalMs } = context.limits;
      return closing(
        'ERR_INTERVAL',
        `interval ${event.message.intervalMs} ms is outside this server's range of ${minIntervalMs} to ${maxIntervalMs} ms`,
      );
    }),
    refuseVersion: assign(({ event }) => {
      assertEvent(event, 'client.hello');
      return closing(
        'ERR_VERSION',
        `protocol version ${event.message.version} is not supported (this server speaks ${SESSION_PROTOCOL_VERSION})`,
      );
    }),
    refuseAuth: assign(
      closing('ERR_AUTH', 'authentication failed: the client does not know the shared secret'),
    ),
    closeLeftDuringAuth: assign(
      closing('ERR_AUTH', 'client left during authentication (no secret, or another one)'),
    ),
    closeOnRefusal: assign(({ event }) => {
      assertEvent(event, 'registration.refused');
      return closing(event.refusal.code, event.refusal.message);
    }),
    closeOnBye: assign(({ event }) => {
      assertEvent(event, 'client.bye');
      return closing(OK, `client said bye: ${event.message.reason}`);
    }),
    closeOnViolation: assign(({ event }) => {
      assertEvent(event, 'protocol.violation');
      return closing(event.error.code, event.error.message);
    }),
    askForId: enqueueActions(({ context, enqueue, self }) =>
      enqueue.sendTo(context.server, {
        type: 'client.register',
        handler: self,
        requestedId: context.hello?.clientId,
        address: context.connection.remoteAddress,
      }),
    ),
    challenge: ({ context }) => {
      const clientNonce = context.hello?.nonce;
      context.connection.send({
        type: 'challenge',
        nonce: context.nonce!,
        ...(clientNonce ? { proof: serverProof(context.secret!, clientNonce) } : {}),
      });
    },
    welcome: ({ context }) =>
      context.connection.send({
        type: 'welcome',
        version: SESSION_PROTOCOL_VERSION,
        clientId: context.clientId!,
        serverTime: context.clock.wallMicros(),
      }),
    /**
     * With a secret, every frame after the welcome (both ways) carries a tag under the
     * session's keys (docs/protocol.md, 4.3.2). Runs right after `welcome`: the welcome itself
     * is the last frame without one.
     */
    protectFrames: ({ context }) =>
      context.connection.protect(
        sessionFrameKeys(context.secret!, context.hello?.nonce, context.nonce!, 'server'),
      ),
    /** Tells the client why it is cut off; the connection closes after it. */
    sendRefusal: ({ context }) =>
      context.connection.send({
        type: 'refused',
        code: context.closeCode,
        reason: context.closeReason,
      }),
    sayBye: ({ context }) => context.connection.send({ type: 'bye', reason: context.closeReason }),
    stopResponder: enqueueActions(({ enqueue }) =>
      enqueue.sendTo('responder', { type: 'responder.stop' }),
    ),
    // Sends what is queued (a refusal, a bye) and ends; bytes that could not be decoded
    // already made the connection drop itself.
    closeConnection: ({ context }) => context.connection.close(),
    dropConnection: ({ context }) => context.connection.destroy(),
    logJoined: ({ context }) =>
      context.logger.info(
        `client ${context.clientId} joined from ${context.connection.remoteAddress}`,
        { intervalMs: context.hello?.intervalMs },
      ),
    report: enqueueActions(({ context, enqueue }) => {
      // A connection that never said hello and just went away (or ran out of time) is what a
      // flood is made of: logged at verbose, so that thousands of them do not flood the log
      // (the limits before the hello log their own counts).
      const level =
        context.clientId === null && QUIET_PRE_HELLO_ENDS.has(context.closeCode)
          ? 'verbose'
          : context.closeCode === OK
            ? 'info'
            : 'warn';
      const who = context.clientId !== null ? `client ${context.clientId}` : 'connection';
      const address = context.connection.remoteAddress;
      context.logger.log(level, `${who} from ${address} closed: ${context.closeReason}`, {
        code: context.closeCode,
        ticks: context.ticks,
        address,
      });
      enqueue.sendTo(context.server, {
        type: 'handler.closed',
        clientId: context.clientId,
        address,
        ticks: context.ticks,
        reason: context.closeReason,
        code: context.closeCode,
      });
    }),
  },
  guards: {
    intervalOutOfRange: ({ context, event }) =>
      event.type === 'client.hello' &&
      (event.message.intervalMs < context.limits.minIntervalMs ||
        event.message.intervalMs > context.limits.maxIntervalMs),
    versionSupported: ({ event }) =>
      event.type === 'client.hello' && event.message.version === SESSION_PROTOCOL_VERSION,
    hasSecret: ({ context }) => context.secret !== undefined,
    /** Authenticated with the secret: the frames from here on are sealed. */
    authenticated: ({ context }) => context.secret !== undefined && context.nonce !== null,
    proofValid: ({ context, event }) =>
      event.type === 'client.auth' &&
      context.nonce !== null &&
      proofMatches(clientProof(context.secret!, context.nonce), event.message.proof),
  },
});
