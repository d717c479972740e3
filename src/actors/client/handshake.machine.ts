import { assertEvent, assign, setup } from 'xstate';
import {
  type ClientConnection,
  clientProof,
  createNonce,
  proofMatches,
  SESSION_PROTOCOL_VERSION,
  type ServerMessage,
  serverProof,
  sessionFrameKeys,
} from '../../transport';
import type { Failure } from '../errors';
import type { ConnectionLost, WireEvent } from '../shared';
import { readServerOnce } from './connect';
import { failures } from './failures';

export interface ClientHandshakeInput {
  connection: ClientConnection;
  intervalMs: number;
  /** The ID to ask for: a resumed session's own, or the one the user asked for (if any). */
  clientId: number | undefined;
  /** With a secret, the server must prove it knows it too, and we answer its challenge. */
  secret: string | undefined;
  timeoutMs: number;
}

/** How a handshake went wrong; the session decides which ones are worth another attempt. */
export type HandshakeFailureKind =
  /** The connection ended, or the handshake took too long. */
  | 'lost'
  | 'timedOut'
  /** The server said no (`refused`, with its code) or goodbye. */
  | 'refused'
  | 'bye'
  /** Authentication failed, on either side. */
  | 'auth'
  /** The server sent something that has no place in a handshake. */
  | 'protocol';

export type HandshakeOutcome =
  | { kind: 'welcomed'; clientId: number }
  | { kind: HandshakeFailureKind; failure: Failure };

export interface ClientHandshakeContext {
  connection: ClientConnection;
  intervalMs: number;
  clientId: number | undefined;
  secret: string | undefined;
  /** Our nonce, sent in the hello when we hold a secret: the server must sign it. */
  nonce: Buffer | null;
  timeoutMs: number;
  outcome: HandshakeOutcome | null;
}

type ServerEvent = WireEvent<'server', ServerMessage>;

/**
 * One handshake on a fresh connection, invoked by the session on connect and on every
 * reconnect:
 *
 * awaitingAnswer (hello sent) → [challenge answered → awaitingWelcome] → welcomed | failed
 *
 * One deadline covers the whole exchange. Each step reads exactly one message, so whatever
 * the server sends after its welcome stays queued for the session.
 */
export const clientHandshakeMachine = setup({
  types: {
    input: {} as ClientHandshakeInput,
    context: {} as ClientHandshakeContext,
    events: {} as ServerEvent | ConnectionLost,
    output: {} as HandshakeOutcome,
  },
  actors: { readServerOnce },
  actions: {
    sendHello: ({ context }) =>
      context.connection.send({
        type: 'hello',
        version: SESSION_PROTOCOL_VERSION,
        intervalMs: context.intervalMs,
        ...(context.clientId !== undefined ? { clientId: context.clientId } : {}),
        ...(context.nonce ? { nonce: context.nonce } : {}),
      }),
    answerChallenge: ({ context, event }) => {
      assertEvent(event, 'server.challenge');
      context.connection.send({
        type: 'auth',
        proof: clientProof(context.secret!, event.message.nonce),
      });
    },
    /**
     * From the welcome on, every frame both ways carries a tag under the session's keys
     * (docs/protocol.md, 4.3.2); the connection switches as it decodes the welcome.
     */
    armFrameMacs: ({ context, event }) => {
      assertEvent(event, 'server.challenge');
      context.connection.protect(
        sessionFrameKeys(context.secret!, context.nonce!, event.message.nonce, 'client'),
        (message) => message.type === 'welcome',
      );
    },
    noteWelcome: assign({
      outcome: ({ event }): HandshakeOutcome => {
        assertEvent(event, 'server.welcome');
        return { kind: 'welcomed', clientId: event.message.clientId };
      },
    }),
    noteRefusal: assign({
      outcome: ({ event }): HandshakeOutcome => {
        assertEvent(event, 'server.refused');
        return { kind: 'refused', failure: failures.refused(event.message) };
      },
    }),
    noteBye: assign({
      outcome: ({ event }): HandshakeOutcome => {
        assertEvent(event, 'server.bye');
        return { kind: 'bye', failure: failures.bye(event.message) };
      },
    }),
    noteUnexpected: assign({
      outcome: ({ event }): HandshakeOutcome => {
        assertEvent(event, [
          'server.welcome',
          'server.challenge',
          'server.reply',
          'server.refused',
          'server.bye',
        ]);
        return { kind: 'protocol', failure: failures.unexpected(event.message) };
      },
    }),
    noteLost: assign({
      outcome: ({ event }): HandshakeOutcome => {
        assertEvent(event, 'connection.lost');
        return { kind: 'lost', failure: event.error };
      },
    }),
    giveUp: assign((_, params: { kind: HandshakeFailureKind; failure: Failure }) => ({
      outcome: { kind: params.kind, failure: params.failure },
    })),
  },
  guards: {
    hasSecret: ({ context }) => context.secret !== undefined,
    /** The challenge carries a valid proof over our nonce: the server knows the secret. */
    serverProven: ({ context, event }) =>
      event.type === 'server.challenge' &&
      context.secret !== undefined &&
      context.nonce !== null &&
      proofMatches(serverProof(context.secret, context.nonce), event.message.proof),
    /** The ID we asked for, or any ID when we asked for none. */
    isExpectedId: ({ context, event }) =>
      event.type === 'server.welcome' &&
      (context.clientId === undefined || event.message.clientId === context.clientId),
  },
  delays: {
    timeout: ({ context }) => context.timeoutMs,
  },
}).createMachine({
  id: 'clientHandshake',
  context: ({ input }) => ({
    ...input,
    nonce: input.secret !== undefined ? createNonce() : null,
    outcome: null,
  }),
  initial: 'talking',
  states: {
    talking: {
      entry: 'sendHello',
      // One deadline for the whole handshake, however many steps it takes.
      after: {
        timeout: {
          target: 'failed',
          actions: {
            type: 'giveUp',
            params: { kind: 'timedOut', failure: failures.handshakeTimeout() },
          },
        },
      },
      on: {
        'server.refused': { target: 'failed', actions: 'noteRefusal' },
        'server.bye': { target: 'failed', actions: 'noteBye' },
        'server.reply': { target: 'failed', actions: 'noteUnexpected' },
        'connection.lost': { target: 'failed', actions: 'noteLost' },
      },
      initial: 'awaitingAnswer',
      states: {
        awaitingAnswer: {
          invoke: {
            src: 'readServerOnce',
            input: ({ context }) => ({ connection: context.connection }),
          },
          on: {
            'server.challenge': [
              {
                guard: 'serverProven',
                target: 'awaitingWelcome',
                actions: ['answerChallenge', 'armFrameMacs'],
              },
              {
                guard: 'hasSecret',
                target: '#clientHandshake.failed',
                actions: {
                  type: 'giveUp',
                  params: { kind: 'auth', failure: failures.serverUnproven() },
                },
              },
              {
                target: '#clientHandshake.failed',
                actions: {
                  type: 'giveUp',
                  params: { kind: 'auth', failure: failures.secretRequired() },
                },
              },
            ],
            'server.welcome': [
              // Holding a secret, we expect to be challenged first.
              {
                guard: 'hasSecret',
                target: '#clientHandshake.failed',
                actions: {
                  type: 'giveUp',
                  params: { kind: 'auth', failure: failures.serverSkippedAuth() },
                },
              },
              {
                guard: 'isExpectedId',
                target: '#clientHandshake.welcomed',
                actions: 'noteWelcome',
              },
              { target: '#clientHandshake.failed', actions: 'noteUnexpected' },
            ],
          },
        },
        awaitingWelcome: {
          invoke: {
            src: 'readServerOnce',
            input: ({ context }) => ({ connection: context.connection }),
          },
          on: {
            'server.welcome': [
              {
                guard: 'isExpectedId',
                target: '#clientHandshake.welcomed',
                actions: 'noteWelcome',
              },
              { target: '#clientHandshake.failed', actions: 'noteUnexpected' },
            ],
            'server.challenge': { target: '#clientHandshake.failed', actions: 'noteUnexpected' },
          },
        },
      },
    },
    welcomed: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => context.outcome!,
});
