import type { Observer } from 'rxjs';
import {
  type AnyActorRef,
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  sendTo,
  setup,
} from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import type { TimestampRow } from '../storage';
import { type Clock, TickPace } from '../time';
import {
  type ByteChannel,
  type ClientHello,
  type ClientMessage,
  clientProof,
  createNonce,
  proofMatches,
  SESSION_PROTOCOL_VERSION,
  type ServerConnection,
  serverConnection,
  serverProof,
} from '../transport';

export interface ConnectionHandlerInput {
  channel: ByteChannel;
  clock: Clock;
  /** Where the server's table rows go (shared by every handler; the server writes them). */
  rows: Observer<TimestampRow>;
  /** The server actor: asked for a client ID, told when the connection ends. */
  server: AnyActorRef;
  handshakeTimeoutMs: number;
  /** Shared secret: when set, a client must prove it knows it before it may register. */
  secret?: string;
  /** Limits on what an exchanging client may do; see {@link ExchangeLimits}. */
  limits?: Partial<ExchangeLimits>;
  /** How often the handler reports its tick count to the server. */
  progressIntervalMs?: number;
  maxFrameBytes?: number;
  logger?: Logger;
}

/** Sent by a handler to the server that spawned it. */
export type HandlerToServerEvent =
  | { type: 'client.register'; handlerId: string; requestedId: number | undefined; address: string }
  | {
      type: 'handler.closed';
      handlerId: string;
      clientId: number | null;
      address: string;
      ticks: number;
      reason: string;
      code: string;
    };

export type ConnectionHandlerEvent =
  | { type: 'client.message'; message: ClientMessage }
  | { type: 'connection.lost'; code: string; message: string }
  | { type: 'client.accepted'; clientId: number }
  | { type: 'client.refused'; code: string; reason: string }
  | { type: 'client.bye'; reason: string }
  | { type: 'protocol.violation'; code: string; message: string }
  | { type: 'exchange.progress'; ticks: number }
  | { type: 'server.shutdown'; reason: string };

/** What the server tolerates from a client once it exchanges (irtt's server has the same kind). */
export interface ExchangeLimits {
  /** Fastest tick interval accepted, in hello and in practice. */
  minIntervalMs: number;
  /**
   * Ticks a client may send ahead of `minIntervalMs` pacing, by its own clock (t1), before it
   * is cut off. Ticks that merely arrive bunched (a backlog after a server stall) are
   * tolerated for up to 5 s of stall.
   */
  tickBurst: number;
  /** A client silent this long (or 3 of its intervals, if longer) is cut off. */
  idleTimeoutMs: number;
}

/** How long a server stall may last before the ticks it queued count against a client. */
const BACKLOG_TOLERANCE_MS = 5000;

export const DEFAULT_EXCHANGE_LIMITS: ExchangeLimits = {
  minIntervalMs: 10,
  tickBurst: 20,
  idleTimeoutMs: 5000,
};

export interface HandlerContext {
  connection: ServerConnection;
  clock: Clock;
  rows: Observer<TimestampRow>;
  server: AnyActorRef;
  handshakeTimeoutMs: number;
  secret: string | undefined;
  /** The nonce this server sent in its challenge. */
  nonce: Buffer | null;
  limits: ExchangeLimits;
  progressIntervalMs: number;
  logger: Logger;
  hello: ClientHello | null;
  clientId: number | null;
  /** Ticks answered so far, as last reported (for the inspector); `answered` is exact. */
  ticks: number;
  answered: { ticks: number };
  closeReason: string;
  closeCode: string;
}

export interface ResponderInput {
  connection: ServerConnection;
  clock: Clock;
  rows: Observer<TimestampRow>;
  progressIntervalMs: number;
  limits: ExchangeLimits;
  /** The interval the client announced in its hello. */
  intervalMs: number;
  /** Ticks answered, counted on the data path; read by the handler when it closes. */
  answered: { ticks: number };
}

/**
 * Answers ticks on the data path, without a state transition per tick: at 100 Hz per client
 * and thousands of clients, a transition each would cost more than the answer itself. Only
 * what changes the lifecycle (bye, violations, loss) and a periodic progress count reach the
 * machine.
 */
const respondToTicks = fromCallback<ConnectionHandlerEvent, ResponderInput>(
  ({ input, sendBack }) => {
    const { connection, clock, rows, progressIntervalMs, limits } = input;
    const client = connection.remoteAddress;
    const server = connection.localAddress;
    const idleLimitMs = Math.max(limits.idleTimeoutMs, 3 * input.intervalMs);
    const { answered } = input;
    let reported = answered.ticks;
    let lastHeard = clock.now();
    // More than `tickBurst` ticks ahead of the minimum interval, by the client's own clock, is
    // a flood; a backlog that queued while this server was stalled is not (see TickPace).
    const pace = new TickPace(
      limits.minIntervalMs,
      limits.tickBurst,
      limits.tickBurst + BACKLOG_TOLERANCE_MS / limits.minIntervalMs,
      clock.now(),
    );
    let stopped = false;
    const report = () => {
      if (answered.ticks !== reported)
        sendBack({ type: 'exchange.progress', ticks: answered.ticks });
      reported = answered.ticks;
    };
    const end = (event: ConnectionHandlerEvent) => {
      stopped = true;
      report();
      sendBack(event);
    };
    let timer: unknown = null;
    const schedule = () => {
      timer = clock.setTimeout(
        () => {
          report();
          // A client that trickles bytes without ever completing a message is silent too.
          const silentMs = clock.now() - lastHeard;
          if (silentMs > idleLimitMs) {
            end({
              type: 'protocol.violation',
              code: 'ERR_IDLE_TIMEOUT',
              message: `no message for ${Math.round(silentMs)} ms`,
            });
          } else schedule();
        },
        Math.min(progressIntervalMs, idleLimitMs / 2),
      );
    };
    schedule();
    const subscription = connection.messages$.subscribe({
      next({ message, at }) {
        if (stopped) return;
        const now = clock.now();
        lastHeard = now;
        if (message.type !== 'tick') {
          if (message.type === 'bye') return end({ type: 'client.bye', reason: message.reason });
          return end({
            type: 'protocol.violation',
            code: 'ERR_PROTOCOL',
            message: `unexpected ${message.type} after the handshake`,
          });
        }
        if (!pace.admit(now, message.t1)) {
          return end({
            type: 'protocol.violation',
            code: 'ERR_RATE_LIMIT',
            message: `ticks faster than one per ${limits.minIntervalMs} ms`,
          });
        }
        const t2 = at.wallMicros;
        rows.next({ senderIp: client, receiverIp: server, timeMicros: message.t1 });
        const t3 = clock.wallMicros();
        connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2, t3 });
        rows.next({ senderIp: server, receiverIp: client, timeMicros: t3 });
        answered.ticks += 1;
      },
      error(error) {
        if (!stopped) end({ type: 'connection.lost', ...describeError(error) });
      },
      complete() {
        if (stopped) return;
        end({
          type: 'connection.lost',
          code: 'ERR_CONNECTION_CLOSED',
          message: 'client closed the connection',
        });
      },
    });
    return () => {
      clock.clearTimeout(timer);
      subscription.unsubscribe();
    };
  },
);

/** Holds the connection for the handler's lifetime and drops it if still open at the end. */
const ownConnection = fromCallback<ConnectionHandlerEvent, { connection: ServerConnection }>(
  ({ input }) =>
    () => {
      if (!input.connection.isClosed) input.connection.destroy();
    },
);

/** Reads messages before the exchange starts: each one is a transition (there are few). */
const readHandshake = fromCallback<ConnectionHandlerEvent, { connection: ServerConnection }>(
  ({ input, sendBack }) => {
    const subscription = input.connection.messages$.subscribe({
      next: ({ message }) => sendBack({ type: 'client.message', message }),
      error: (error) => sendBack({ type: 'connection.lost', ...describeError(error) }),
      complete: () =>
        sendBack({
          type: 'connection.lost',
          code: 'ERR_CONNECTION_CLOSED',
          message: 'client closed the connection',
        }),
    });
    return () => subscription.unsubscribe();
  },
);

/**
 * The server's side of one client connection:
 *
 * handshaking (awaitingHello → authenticating, with a secret) → registering → exchanging → closed
 *
 * A client that says nothing within the handshake timeout, sends anything but a valid hello
 * first, asks for an ID in use, speaks another protocol version, or sends garbage is cut off
 * with a logged reason; nothing it does reaches any other connection.
 */
export const connectionHandlerMachine = setup({
  types: {
    input: {} as ConnectionHandlerInput,
    context: {} as HandlerContext,
    events: {} as ConnectionHandlerEvent,
  },
  actors: { ownConnection, readHandshake, respondToTicks },
  actions: {
    askForId: sendTo(
      ({ context }) => context.server,
      ({ context, self }) =>
        ({
          type: 'client.register',
          handlerId: self.id,
          requestedId: context.hello?.clientId,
          address: context.connection.remoteAddress,
        }) satisfies HandlerToServerEvent,
    ),
    welcome: ({ context }) =>
      context.connection.send({
        type: 'welcome',
        version: SESSION_PROTOCOL_VERSION,
        clientId: context.clientId!,
        serverTime: context.clock.wallMicros(),
      }),
    refuse: ({ context, event }) => {
      const refusal =
        event.type === 'client.refused'
          ? { code: event.code, reason: event.reason }
          : { code: context.closeCode, reason: context.closeReason };
      context.connection.send({ type: 'refused', ...refusal });
    },
    sayBye: ({ context, event }) => {
      assertEvent(event, 'server.shutdown');
      context.connection.send({ type: 'bye', reason: event.reason });
    },
    noteReason: assign(({ event }) => {
      switch (event.type) {
        case 'client.bye':
          return { closeCode: 'OK', closeReason: `client said bye: ${event.reason}` };
        case 'connection.lost':
          return { closeCode: event.code, closeReason: event.message };
        case 'protocol.violation':
          return { closeCode: event.code, closeReason: event.message };
        case 'client.refused':
          return { closeCode: event.code, closeReason: event.reason };
        case 'server.shutdown':
          return { closeCode: 'OK', closeReason: event.reason };
        case 'client.message':
          return {
            closeCode: 'ERR_PROTOCOL',
            closeReason: `expected hello, got ${event.message.type}`,
          };
        default:
          return {
            closeCode: 'ERR_HANDSHAKE_TIMEOUT',
            closeReason: 'no hello within the handshake timeout',
          };
      }
    }),
    refuseVersion: assign(({ event }) => {
      assertEvent(event, 'client.message');
      const version = (event.message as ClientHello).version;
      return {
        closeCode: 'ERR_VERSION',
        closeReason: `protocol version ${version} is not supported (this server speaks ${SESSION_PROTOCOL_VERSION})`,
      };
    }),
    // Sends what is queued (a refusal, a bye) and ends; bytes that could not be decoded
    // already made the connection drop itself.
    challenge: enqueueActions(({ context, enqueue }) => {
      const nonce = createNonce();
      const clientNonce = context.hello?.nonce;
      enqueue.assign({ nonce });
      context.connection.send({
        type: 'challenge',
        nonce,
        ...(clientNonce ? { proof: serverProof(context.secret!, clientNonce) } : {}),
      });
    }),
    refuseAuth: assign({
      closeCode: 'ERR_AUTH',
      closeReason: 'authentication failed: the client does not know the shared secret',
    }),
    refuseInterval: assign(({ context, event }) => {
      assertEvent(event, 'client.message');
      const asked = (event.message as ClientHello).intervalMs;
      return {
        closeCode: 'ERR_INTERVAL',
        closeReason: `interval ${asked} ms is below this server's minimum of ${context.limits.minIntervalMs} ms`,
      };
    }),
    closeConnection: ({ context }) => context.connection.close(),
    report: enqueueActions(({ context, enqueue, self }) => {
      const level = context.closeCode === 'OK' ? 'info' : 'warn';
      const who = context.clientId !== null ? `client ${context.clientId}` : 'connection';
      context.logger.log(
        level,
        `${who} from ${context.connection.remoteAddress} closed: ${context.closeReason}`,
        {
          code: context.closeCode,
          ticks: context.answered.ticks,
          address: context.connection.remoteAddress,
        },
      );
      enqueue.sendTo(context.server, {
        type: 'handler.closed',
        handlerId: self.id,
        clientId: context.clientId,
        address: context.connection.remoteAddress,
        ticks: context.answered.ticks,
        reason: context.closeReason,
        code: context.closeCode,
      } satisfies HandlerToServerEvent);
    }),
  },
  guards: {
    isHello: ({ event }) => event.type === 'client.message' && event.message.type === 'hello',
    versionSupported: ({ event }) =>
      event.type === 'client.message' &&
      event.message.type === 'hello' &&
      event.message.version === SESSION_PROTOCOL_VERSION,
    versionSupportedAndSecretSet: ({ context, event }) =>
      context.secret !== undefined &&
      event.type === 'client.message' &&
      event.message.type === 'hello' &&
      event.message.version === SESSION_PROTOCOL_VERSION,
    proofValid: ({ context, event }) =>
      event.type === 'client.message' &&
      event.message.type === 'auth' &&
      context.nonce !== null &&
      proofMatches(clientProof(context.secret!, context.nonce), event.message.proof),
    intervalTooShort: ({ context, event }) =>
      event.type === 'client.message' &&
      event.message.type === 'hello' &&
      event.message.intervalMs < context.limits.minIntervalMs,
  },
  delays: {
    handshakeTimeout: ({ context }) => context.handshakeTimeoutMs,
  },
}).createMachine({
  id: 'connectionHandler',
  context: ({ input }) => ({
    connection: serverConnection(input.channel, {
      // t2 is when the tick's bytes arrived, not when it was decoded and validated.
      stamp: () => ({ wallMicros: input.clock.wallMicros(), monoMs: input.clock.now() }),
      maxFrameBytes: input.maxFrameBytes ?? 64 * 1024,
    }),
    clock: input.clock,
    rows: input.rows,
    server: input.server,
    handshakeTimeoutMs: input.handshakeTimeoutMs,
    secret: input.secret,
    nonce: null,
    limits: { ...DEFAULT_EXCHANGE_LIMITS, ...input.limits },
    progressIntervalMs: input.progressIntervalMs ?? 1000,
    logger: input.logger ?? getLogger('connection'),
    hello: null,
    clientId: null,
    ticks: 0,
    answered: { ticks: 0 },
    closeReason: '',
    closeCode: 'OK',
  }),
  // However the handler ends (final state or stopped from outside), its socket goes with it.
  invoke: { src: 'ownConnection', input: ({ context }) => ({ connection: context.connection }) },
  initial: 'handshaking',
  on: {
    'connection.lost': { target: '.closed', actions: 'noteReason' },
    'protocol.violation': { target: '.closed', actions: 'noteReason' },
    'server.shutdown': { target: '.closed', actions: ['noteReason', 'sayBye'] },
  },
  states: {
    handshaking: {
      invoke: {
        src: 'readHandshake',
        input: ({ context }) => ({ connection: context.connection }),
      },
      // One deadline for the whole handshake, however the bytes trickle in.
      after: { handshakeTimeout: { target: 'closed', actions: 'noteReason' } },
      initial: 'awaitingHello',
      states: {
        awaitingHello: {
          on: {
            'client.message': [
              {
                guard: 'intervalTooShort',
                target: '#connectionHandler.closed',
                actions: ['refuseInterval', 'refuse'],
              },
              {
                guard: 'versionSupportedAndSecretSet',
                target: 'authenticating',
                actions: assign({ hello: ({ event }) => event.message as ClientHello }),
              },
              {
                guard: 'versionSupported',
                target: '#connectionHandler.registering',
                actions: assign({ hello: ({ event }) => event.message as ClientHello }),
              },
              {
                guard: 'isHello',
                target: '#connectionHandler.closed',
                actions: ['refuseVersion', 'refuse'],
              },
              { target: '#connectionHandler.closed', actions: 'noteReason' },
            ],
          },
        },
        authenticating: {
          entry: 'challenge',
          on: {
            // A client that cannot prove it, or finds our proof wrong, leaves here.
            'connection.lost': {
              target: '#connectionHandler.closed',
              actions: assign({
                closeCode: 'ERR_AUTH',
                closeReason: 'client left during authentication (no secret, or another one)',
              }),
            },
            'client.message': [
              { guard: 'proofValid', target: '#connectionHandler.registering' },
              { target: '#connectionHandler.closed', actions: ['refuseAuth', 'refuse'] },
            ],
          },
        },
      },
    },
    registering: {
      entry: 'askForId',
      on: {
        'client.accepted': {
          target: 'exchanging',
          actions: [assign({ clientId: ({ event }) => event.clientId }), 'welcome'],
        },
        'client.refused': { target: 'closed', actions: ['noteReason', 'refuse'] },
      },
    },
    exchanging: {
      entry: ({ context }) =>
        context.logger.info(
          `client ${context.clientId} joined from ${context.connection.remoteAddress}`,
          {
            intervalMs: context.hello?.intervalMs,
          },
        ),
      invoke: {
        src: 'respondToTicks',
        input: ({ context }) => ({
          connection: context.connection,
          clock: context.clock,
          rows: context.rows,
          progressIntervalMs: context.progressIntervalMs,
          limits: context.limits,
          intervalMs: context.hello?.intervalMs ?? context.limits.minIntervalMs,
          answered: context.answered,
        }),
      },
      on: {
        'exchange.progress': { actions: assign({ ticks: ({ event }) => event.ticks }) },
        'client.bye': { target: 'closed', actions: 'noteReason' },
      },
    },
    closed: {
      type: 'final',
      entry: ['closeConnection', 'report'],
    },
  },
  output: ({ context }) => ({
    clientId: context.clientId,
    address: context.connection.remoteAddress,
    ticks: context.answered.ticks,
    reason: context.closeReason,
    code: context.closeCode,
  }),
});
