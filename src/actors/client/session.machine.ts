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
 * Each tick and each reply is one transition: the machine decides (reply overdue → reconnect,
 * awaited or unexpected reply), the ledger stamps, writes and keeps the figures. Unlike the
 * server's responder, this data path still goes through the machine: measured, it is about a
 * third of the client's CPU at 100 Hz (BENCHMARKS.md, "Where the round trip goes") but none of
 * its round trip, since t1 is read in the ledger right before the write and t4 when the bytes
 * arrive. The named guards and actions are in `session.setup.ts`.
 */
export const clientSessionMachine = clientSessionSetup.createMachine({
  id: 'clientSession',
  context: ({ input }) => initialContext(input),
  // The data path: writes ticks, turns replies into rows and round trips (see sessionLedger).
  invoke: {
    id: 'ledger',
    src: 'ledger',
    input: ({ context }) => ({
      clock: context.config.clock,
      reportEvery: Math.max(1, Math.ceil(1000 / context.config.intervalMs)),
    }),
  },
  initial: 'connecting',
  on: {
    'session.stop': { target: '.failed', actions: 'failStopped' },
    'ledger.progress': { actions: 'keepRttMedian' },
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
            'session.stop': { target: 'draining', actions: 'endOnStop' },
          },
          initial: 'online',
          states: {
            online: {
              invoke: {
                src: 'readServer',
                input: ({ context }) => ({ connection: context.connection! }),
              },
              on: {
                'tick.due': [
                  {
                    guard: 'replyOverdue',
                    target: 'reconnecting',
                    actions: ['noteOverdue', 'abandonInFlight', 'skipOfflineSlot'],
                  },
                  { actions: ['sendTick', 'countTick'] },
                ],
                'server.reply': [
                  { guard: 'isAwaitedReply', actions: ['recordReply', 'countReply'] },
                  { actions: ['recordReply', 'countUnexpectedReply', 'warnUnexpectedReply'] },
                ],
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
                'tick.due': { actions: 'skipOfflineSlot' },
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
          invoke: {
            src: 'readServer',
            input: ({ context }) => ({ connection: context.connection! }),
          },
          always: { guard: 'nothingInFlight', target: '#clientSession.closing' },
          after: { drainTimeout: '#clientSession.closing' },
          on: {
            // The session ran its course: losing the link now only loses the replies in flight.
            'connection.lost': '#clientSession.closing',
            'server.reply': [
              { guard: 'isAwaitedReply', actions: ['recordReply', 'countReply'] },
              { actions: ['recordReply', 'countUnexpectedReply', 'warnUnexpectedReply'] },
            ],
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
