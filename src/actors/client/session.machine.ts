import { failureOf } from '../errors';
import { clientSessionSetup, handshakeInput, whyNot } from './session.setup';
import { initialContext } from './sessionContext';
import { summarizeSession } from './summary';

export type { ClientSessionEvent } from './session.setup';

/**
 * One client's whole session with the server:
 *
 * connecting ⇄ waitingToRetry → session(handshaking → preparing → ticking(online ⇄
 * reconnecting) → draining) → closing → done | failed
 *
 * Ticks come from a drift-free grid (slot n at start + n × interval); the deadline is a delayed
 * transition; a lost link is reconnected on the same grid (the handshake machine runs again);
 * replies still in flight get a bounded drain; every way out of the session goes through
 * `closing`, which finishes both files with the real duration and, if it ended early, why.
 * Ticks and replies do not go through the machine: the ledger (the data path, like the server's
 * tick responder) runs the grid, writes each tick, reads the connection while the session is
 * online or draining, and keeps the figures. A transition per tick and per reply was about two
 * thirds of the client's busy time at 100 Hz and most of its garbage (BENCHMARKS.md, issue 11).
 * The machine hears what its decisions need: a reply overdue (→ reconnect), the server's other
 * messages and the link's end (→ reconnect or close), draining done, and once a second the
 * counts. The named guards and actions are in `session.setup.ts`.
 */
export const clientSessionMachine = clientSessionSetup.createMachine({
  id: 'clientSession',
  context: ({ input }) => initialContext(input),
  // The data path: the grid, ticks, replies, rows and round trips (see sessionLedger).
  invoke: {
    id: 'ledger',
    src: 'ledger',
    input: ({ context }) => ({
      clock: context.config.clock,
      intervalMs: context.config.intervalMs,
      durationMs: context.config.durationMs,
      spinMs: context.config.spinMs,
      replyTimeoutMs: context.config.replyTimeoutMs,
      logger: context.logger,
    }),
  },
  initial: 'connecting',
  on: {
    'session.stop': { target: '.failed', actions: 'failStopped' },
    'ledger.progress': { actions: 'keepProgress' },
  },
  states: {
    connecting: {
      entry: 'countAttempt',
      invoke: {
        src: 'connect',
        input: ({ context }) => context.config,
        onDone: {
          target: 'session',
          actions: [
            { type: 'useConnection', params: ({ event }) => ({ connection: event.output }) },
            'logConnected',
          ],
        },
        onError: [
          {
            guard: 'canRetry',
            target: 'waitingToRetry',
            actions: {
              type: 'logConnectRetry',
              params: ({ event }) => ({ error: failureOf(event.error) }),
            },
          },
          {
            target: 'failed',
            actions: { type: 'fail', params: ({ event }) => ({ failure: failureOf(event.error) }) },
          },
        ],
      },
    },
    waitingToRetry: {
      after: { retryDelay: 'connecting' },
    },
    session: {
      initial: 'handshaking',
      // Whatever ends a session early still goes through `closing`, which finishes the files.
      on: {
        'server.welcome': { target: 'closing', actions: 'endOnUnexpected' },
        'server.challenge': { target: 'closing', actions: 'endOnUnexpected' },
        'server.reply': { target: 'closing', actions: 'endOnUnexpected' },
        'server.refused': { target: 'closing', actions: 'endOnRefusal' },
        'server.bye': { target: 'closing', actions: 'endOnBye' },
        'connection.lost': { target: 'closing', actions: 'endOnLoss' },
        'session.stop': { target: 'closing', actions: 'endOnStop' },
        'writer.failed': { target: 'closing', actions: ['endOnFileFailure', 'countWriterDone'] },
      },
      states: {
        handshaking: {
          invoke: {
            src: 'handshake',
            input: ({ context }) => handshakeInput(context, context.config.requestedId),
            onDone: [
              {
                guard: { type: 'isWelcomed', params: ({ event }) => ({ outcome: event.output }) },
                target: 'preparing',
                actions: {
                  type: 'acceptWelcome',
                  params: ({ event }) => ({ outcome: event.output }),
                },
              },
              {
                target: '#clientSession.failed',
                actions: {
                  type: 'fail',
                  params: ({ event }) => ({ failure: whyNot(event.output) }),
                },
              },
            ],
          },
          on: {
            'session.stop': { target: '#clientSession.failed', actions: 'failStopped' },
          },
        },
        preparing: {
          entry: 'openFiles',
          invoke: {
            src: 'readServer',
            input: ({ context }) => ({ connection: context.connection! }),
          },
          on: {
            'writer.opened': [
              { guard: 'isTableFile', actions: ['attachTable', 'countWriterOpen'] },
              { actions: ['attachExchanges', 'countWriterOpen'] },
            ],
          },
          always: { guard: 'bothWritersOpen', target: 'ticking' },
        },
        ticking: {
          // The ledger's grid starts with the first `online` and runs through reconnects: the
          // session keeps its schedule, not the socket's (slots offline are counted, never sent).
          entry: ['markStarted', 'logStarted'],
          after: { sessionDuration: { target: 'draining', actions: 'markEnded' } },
          on: {
            'session.stop': { target: 'draining', actions: 'endOnStop' },
          },
          initial: 'online',
          states: {
            online: {
              // The ledger ticks on and reads the connection from here on, until it is lost.
              entry: 'tickOnConnection',
              on: {
                'ledger.overdue': {
                  target: 'reconnecting',
                  actions: ['noteOverdue', 'abandonInFlight'],
                },
                'server.bye': {
                  guard: 'canReconnect',
                  target: 'reconnecting',
                  actions: ['noteBye', 'abandonInFlight'],
                },
                'connection.lost': {
                  guard: 'canReconnect',
                  target: 'reconnecting',
                  actions: ['noteLoss', 'abandonInFlight'],
                },
              },
            },
            reconnecting: {
              entry: ['warnReconnecting', 'dropConnection', 'resetReconnectAttempts'],
              on: {
                // Late events of the old connection (its reader has stopped) no longer matter.
                'server.welcome': {},
                'server.challenge': {},
                'server.reply': {},
                'server.refused': {},
                'server.bye': {},
                'connection.lost': {},
              },
              initial: 'waiting',
              states: {
                waiting: {
                  always: {
                    guard: 'noReconnectAttemptsLeft',
                    target: '#clientSession.closing',
                    actions: 'failReconnect',
                  },
                  after: { reconnectDelay: 'connecting' },
                },
                connecting: {
                  entry: 'countReconnectAttempt',
                  invoke: {
                    src: 'connect',
                    input: ({ context }) => context.config,
                    onDone: {
                      target: 'handshaking',
                      actions: {
                        type: 'useConnection',
                        params: ({ event }) => ({ connection: event.output }),
                      },
                    },
                    onError: {
                      target: 'waiting',
                      actions: {
                        type: 'noteReconnectFailure',
                        params: ({ event }) => ({ failure: failureOf(event.error) }),
                      },
                    },
                  },
                },
                handshaking: {
                  invoke: {
                    src: 'handshake',
                    input: ({ context }) => handshakeInput(context, context.clientId ?? undefined),
                    onDone: [
                      {
                        guard: {
                          type: 'isWelcomed',
                          params: ({ event }) => ({ outcome: event.output }),
                        },
                        target: '#clientSession.session.ticking.online',
                        actions: ['markReconnected', 'logReconnected'],
                      },
                      // E.g. the server has not noticed the old connection is gone yet.
                      {
                        guard: {
                          type: 'isWorthRetrying',
                          params: ({ event }) => ({ outcome: event.output }),
                        },
                        target: 'waiting',
                        actions: [
                          {
                            type: 'noteReconnectFailure',
                            params: ({ event }) => ({ failure: whyNot(event.output) }),
                          },
                          'dropConnection',
                        ],
                      },
                      {
                        target: '#clientSession.closing',
                        actions: {
                          type: 'endAfterHandshake',
                          params: ({ event }) => ({ outcome: event.output }),
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
        draining: {
          // The ledger stops the grid and keeps reading until no tick is in flight.
          entry: 'drainLedger',
          after: { drainTimeout: '#clientSession.closing' },
          on: {
            'ledger.drained': '#clientSession.closing',
            // The session ran its course: losing the link now only loses the replies in flight.
            'connection.lost': '#clientSession.closing',
            'server.bye': '#clientSession.closing',
            'session.stop': { target: '#clientSession.closing', actions: 'endOnStop' },
          },
        },
      },
    },
    closing: {
      entry: ['finishConnection', 'finishLedger'],
      always: [
        { guard: 'finishedAfterFailure', target: 'failed' },
        { guard: 'finished', target: 'done' },
      ],
      on: {
        'ledger.finished': { actions: ['keepTotals', 'closeFiles'] },
        'writer.closed': { actions: 'countWriterDone' },
        'writer.failed': { actions: ['countWriterDone', 'failOnFile'] },
        // Already on the way out: a second stop request changes nothing.
        'session.stop': {},
      },
    },
    done: { type: 'final' },
    failed: { type: 'final', entry: ['dropConnection', 'logFailed'] },
  },
  output: ({ context }) => summarizeSession(context),
});
