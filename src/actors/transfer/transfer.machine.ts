import { getLogger } from '../../log/logger';
import { createHandshakeNonce } from '../../p2p/identity';
import { type PeerHello, peerConnection } from '../../transport';
import { failureOf } from '../errors';
import { transferSetup } from './transfer.setup';

/**
 * One connection to one remote peer:
 *
 * connecting ⇄ backoff → connected(handshaking(hello → auth) → admitting → trading(syncing → idle ⇄
 * waiting) → closing) → closed
 *
 * Both sides send `hello` at once and prove their IDs with `auth` (protocol v2, §9.3); the
 * peer machine then admits or refuses the proven remote (duplicate, full, banned). While trading, each control message is its own event
 * (`remote.manifest`, `remote.have`, …) passed up to the peer machine (`transfer.manifest`, …);
 * chunk payloads go straight to the keeper's storage pipeline and requests straight to its
 * uploader, so data never passes through a transition. A remote that leaves requests
 * unanswered for `stallTimeoutMs` is cut off, and the peer reassigns what it asked of it.
 */
export const transferMachine = transferSetup.createMachine({
  id: 'transfer',
  context: ({ input: { channel, ...input }, spawn }) => ({
    input,
    logger: input.logger ?? getLogger('transfer', { transfer: input.id }),
    attempt: 0,
    wire: channel
      ? spawn('wire', {
          input: {
            connection: peerConnection(channel),
            transferId: input.id,
            keeper: input.keeper,
          },
        })
      : null,
    remoteAddress: channel?.remoteAddress ?? null,
    nonce: createHandshakeNonce(),
    remoteHello: null,
    remoteId: null,
    outstanding: 0,
    synced: false,
    stage: channel ? 'handshake' : 'connect',
    end: null,
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'hasConnection', target: 'connected' }, { target: 'connecting' }],
    },
    connecting: {
      entry: 'countAttempt',
      invoke: {
        src: 'connect',
        input: ({ context }) => ({
          transport: context.input.transport,
          host: context.input.target!.host,
          port: context.input.target!.port,
          timeoutMs: context.input.timing.connectTimeoutMs,
          ...(context.input.localAddress ? { localAddress: context.input.localAddress } : {}),
        }),
        onDone: {
          target: 'connected',
          actions: { type: 'useConnection', params: ({ event }) => ({ connection: event.output }) },
        },
        onError: [
          {
            guard: 'canRetry',
            target: 'backoff',
            actions: {
              type: 'logRetry',
              params: ({ event }) => ({ error: failureOf(event.error) }),
            },
          },
          {
            target: 'closed',
            actions: {
              type: 'endConnectFailed',
              params: ({ event }) => ({ error: failureOf(event.error) }),
            },
          },
        ],
      },
      on: { 'transfer.close': { target: 'closed', actions: 'endAsTold' } },
    },
    backoff: {
      after: { retryDelay: 'connecting' },
      on: { 'transfer.close': { target: 'closed', actions: 'endAsTold' } },
    },
    connected: {
      initial: 'handshaking',
      exit: 'dropWire',
      on: {
        'connection.lost': { target: '.closing', actions: 'endConnectionLost' },
        'transfer.close': { target: '.closing', actions: 'endAsTold' },
      },
      states: {
        /**
         * The v2 handshake (§9.3): both send `hello`; each answers the other's with `auth`,
         * its signature (and membership MAC) over both IDs and both fresh nonces. The remote
         * is proven only once its `auth` verifies; until then nothing else is accepted.
         */
        handshaking: {
          entry: 'sendHello',
          after: { handshakeTimeout: { target: 'closing', actions: 'endHandshakeTimeout' } },
          on: {
            'remote.bye': { target: 'closing', actions: 'endByRemote' },
            // Anything else before the handshake ends.
            'remote.*': { target: 'closing', actions: 'endUnexpected' },
          },
          initial: 'hello',
          states: {
            hello: {
              entry: 'readOne',
              exit: 'stopReading',
              on: {
                'remote.hello': [
                  {
                    guard: 'isForeignHello',
                    target: '#transfer.connected.closing',
                    actions: 'endWrongVersion',
                  },
                  {
                    guard: 'claimsAnotherId',
                    target: '#transfer.connected.closing',
                    actions: {
                      type: 'endRefused',
                      params: {
                        code: 'ERR_PEER_ID_MISMATCH',
                        reason: 'its ID is not its key’s fingerprint, or not the peer dialed',
                      },
                    },
                  },
                  {
                    guard: 'reflectsOurNonce',
                    target: '#transfer.connected.closing',
                    actions: {
                      type: 'endRefused',
                      params: { code: 'ERR_PROTOCOL', reason: 'our own nonce reflected' },
                    },
                  },
                  {
                    guard: 'isOurOwnId',
                    target: '#transfer.connected.closing',
                    actions: {
                      type: 'endRefused',
                      params: { code: 'ERR_SELF', reason: 'connected to itself' },
                    },
                  },
                  {
                    target: 'auth',
                    actions: [
                      {
                        type: 'keepRemoteHello',
                        params: ({ event }) => ({ hello: event.message as PeerHello }),
                      },
                      'sendAuth',
                    ],
                  },
                ],
              },
            },
            auth: {
              entry: 'readOne',
              exit: 'stopReading',
              on: {
                'remote.auth': [
                  {
                    guard: 'lacksMembership',
                    target: '#transfer.connected.closing',
                    actions: {
                      type: 'endRefused',
                      params: { code: 'ERR_AUTH', reason: 'no or wrong membership proof' },
                    },
                  },
                  {
                    guard: 'badSignature',
                    target: '#transfer.connected.closing',
                    actions: {
                      type: 'endRefused',
                      params: {
                        code: 'ERR_BAD_SIGNATURE',
                        reason: 'its handshake signature does not verify',
                      },
                    },
                  },
                  {
                    target: '#transfer.connected.admitting',
                    actions: ['proveRemote', 'tellPeerHello'],
                  },
                ],
              },
            },
          },
        },
        admitting: {
          after: { handshakeTimeout: { target: 'closing', actions: 'endHandshakeTimeout' } },
          on: {
            'transfer.admit': 'trading',
            'transfer.refuse': { target: 'closing', actions: 'endAsTold' },
          },
        },
        trading: {
          entry: ['markTrading', 'startUploads', 'readAll'],
          exit: ['stopReading', 'stopUploads'],
          initial: 'greeting',
          on: {
            'remote.bye': { target: 'closing', actions: ['forwardByePeers', 'endByRemote'] },
            // A reject counts as an answer, like a chunk.
            'remote.reject': { target: '.answered', actions: 'forward' },
            'remote.manifest': { actions: 'forward' },
            'remote.records': { actions: 'forwardRecords' },
            'remote.have': { actions: 'forward' },
            'remote.done': { actions: 'forward' },
            // The remote's greeting ends with its first `peers`: the dialer then greets back.
            'remote.peers': [
              {
                guard: 'greetsBack',
                actions: ['forward', 'markSynced', 'greet'],
              },
              { actions: ['forward', 'markSynced'] },
            ],
            // A second hello, or anything else out of place.
            'remote.*': { target: 'closing', actions: 'endUnexpected' },
            'transfer.request': { target: '.waiting', actions: ['sendRequests', 'countRequests'] },
            'transfer.cancel': { actions: ['sendCancels', 'countCancels'] },
          },
          states: {
            /** The side that accepted the connection greets first, as soon as it is admitted. */
            greeting: {
              always: [
                { guard: 'isDialer', target: 'syncing' },
                { target: 'syncing', actions: 'greet' },
              ],
            },
            /** The remote's greeting (its manifests, then whom it knows) is still arriving. */
            syncing: {
              always: { guard: 'isSynced', target: 'idle' },
              after: {
                handshakeTimeout: {
                  target: '#transfer.connected.closing',
                  actions: 'endHandshakeTimeout',
                },
              },
              on: { 'remote.chunk': { actions: 'answered' } },
            },
            idle: {
              always: { guard: 'hasOutstanding', target: 'waiting' },
              on: { 'remote.chunk': { actions: 'answered' } },
            },
            waiting: {
              always: { guard: 'nothingOutstanding', target: 'idle' },
              after: {
                stallTimeout: { target: '#transfer.connected.closing', actions: 'endStalled' },
              },
              on: {
                // Each answer restarts the stall timer.
                'remote.chunk': { target: 'waiting', reenter: true, actions: 'answered' },
                'transfer.request': { actions: ['sendRequests', 'countRequests'] },
              },
            },
            answered: {
              entry: 'answered',
              always: [{ guard: 'hasOutstanding', target: 'waiting' }, { target: 'idle' }],
            },
          },
        },
        closing: {
          entry: 'sayBye',
          always: '#transfer.closed',
        },
      },
    },
    closed: {
      type: 'final',
      entry: 'tellPeerClosed',
    },
  },
});
