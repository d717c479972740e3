import { type Observable, type Observer, take } from 'rxjs';
import {
  type AnyActorRef,
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  fromPromise,
  setup,
} from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import type { IncomingChunk } from '../p2p/storagePipeline';
import type { Uploader } from '../p2p/uploader';
import { backoffDelay, type RetryPolicy } from '../time';
import {
  type ByteChannel,
  type ByteCounters,
  MAX_PEERS_PER_MESSAGE,
  PEER_PROTOCOL_VERSION,
  type PeerConnection,
  type PeerEntry,
  type PeerHello,
  type PeerMessage,
  peerConnection,
  type Transport,
} from '../transport';

export interface TransferTiming {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** With requests outstanding, a peer that sends nothing for this long is cut off. */
  stallTimeoutMs: number;
  retry: RetryPolicy;
}

/** A message the peer broadcasts to every trading connection, except `except`. */
export interface Announcement {
  message: PeerMessage;
  except?: string;
}

export interface TransferInput {
  id: string;
  direction: 'outbound' | 'inbound';
  transport: Transport;
  /** Where to dial (outbound). */
  target?: { host: string; port: number };
  /** The accepted channel (inbound). */
  channel?: ByteChannel;
  localAddress?: string;
  /** Our own membership entry, sent in the hello. */
  self: () => PeerEntry;
  /** The peer actor: told of the hello, of every control message, and of the end. */
  peer: AnyActorRef;
  uploader: Uploader;
  /** Where chunk payloads go (the peer's verify-and-store pipeline). */
  chunks: Observer<IncomingChunk>;
  /** What the peer says to everyone while we trade. */
  announcements$: Observable<Announcement>;
  /**
   * What to say first once admitted (the remote's ID given): manifests with our bitfields,
   * or just `have`s for files the remote already announced; then the peers we know.
   */
  greeting: (remotePeerId: string) => PeerMessage[];
  /**
   * Trims a broadcast for this remote before it is sent (`null`: send nothing): it need not
   * hear of chunks it already holds, nor of a file it announced itself.
   */
  tailor?: (remotePeerId: string, message: PeerMessage) => PeerMessage | null;
  counters: ByteCounters;
  timing: TransferTiming;
  logger?: Logger;
}

/** Control messages passed to the peer machine (chunk data and requests never are). */
export type ForwardedMessage = Extract<
  PeerMessage,
  { type: 'manifest' | 'have' | 'peers' | 'done' | 'reject' }
>;

/** What a transfer tells the peer that spawned it. */
export type TransferToPeerEvent =
  | { type: 'transfer.hello'; transferId: string; hello: PeerHello; remoteAddress: string }
  | { type: 'transfer.message'; transferId: string; peerId: string; message: ForwardedMessage }
  | {
      type: 'transfer.closed';
      transferId: string;
      peerId: string | null;
      direction: 'outbound' | 'inbound';
      target: { host: string; port: number } | null;
      /** How far it got: `connect` (never connected), `handshake`, or `trading`. */
      stage: 'connect' | 'handshake' | 'trading';
      code: string;
      reason: string;
      /** The other side ended it (its `bye`), rather than us or the network. */
      byRemote: boolean;
    };

export type TransferEvent =
  | { type: 'remote.message'; message: PeerMessage }
  | { type: 'remote.chunk'; name: string; index: number }
  | { type: 'connection.lost'; code: string; message: string }
  | { type: 'transfer.admit' }
  | { type: 'transfer.refuse'; code: string; reason: string; peers?: PeerEntry[] }
  | { type: 'transfer.request'; requests: Array<{ name: string; index: number }> }
  | { type: 'transfer.cancel'; requests: Array<{ name: string; index: number }> }
  | { type: 'transfer.close'; code: string; reason: string };

export interface TransferContext {
  input: TransferInput;
  logger: Logger;
  attempt: number;
  connection: PeerConnection | null;
  remote: PeerEntry | null;
  /** Requests sent and not yet answered (approximate after cancels; only drives the stall timer). */
  outstanding: number;
  /** The remote's greeting has been received (its first `peers` message ends it). */
  synced: boolean;
  stage: 'connect' | 'handshake' | 'trading';
  end: { code: string; reason: string; byRemote: boolean; peers?: PeerEntry[] } | null;
}

const DONE = 'DONE';

/**
 * One connection to one remote peer:
 *
 * connecting ⇄ backoff → connected(handshaking → admitting → trading(syncing → idle ⇄
 * waiting) → closing) → closed
 *
 * Both sides send `hello` at once; the peer machine then admits or refuses the remote
 * (duplicate, self, full, banned). While trading, control messages go up to the peer
 * machine as events; chunk payloads go straight to the peer's storage pipeline and
 * requests straight to its uploader, so data never passes through a transition. A remote
 * that leaves requests unanswered for `stallTimeoutMs` is cut off, and the peer
 * reassigns what it asked of it.
 */
export const transferMachine = setup({
  types: {
    input: {} as TransferInput,
    context: {} as TransferContext,
    events: {} as TransferEvent,
  },
  actors: {
    connect: fromPromise(
      async ({
        input,
        signal,
      }: {
        input: {
          transport: Transport;
          host: string;
          port: number;
          localAddress?: string;
          timeoutMs: number;
          counters: ByteCounters;
        };
        signal: AbortSignal;
      }) => {
        const channel = await input.transport.connect({
          host: input.host,
          port: input.port,
          signal: AbortSignal.any([signal, AbortSignal.timeout(input.timeoutMs)]),
          ...(input.localAddress ? { localAddress: input.localAddress } : {}),
        });
        return peerConnection(channel, {}, input.counters);
      },
    ),
    /** Reads exactly one message (the hello), then leaves the rest queued in the connection. */
    readHello: fromCallback<TransferEvent, { connection: PeerConnection }>(
      ({ input, sendBack }) => {
        let got = false;
        // take(1) lets go of the connection synchronously after the hello, so whatever the
        // remote sent right behind it stays queued in the connection for the trading reader.
        const subscription = input.connection.messages$.pipe(take(1)).subscribe({
          next: ({ message }) => {
            got = true;
            sendBack({ type: 'remote.message', message });
          },
          error: (error) => sendBack({ type: 'connection.lost', ...describeError(error) }),
          complete: () => {
            if (!got) {
              sendBack({
                type: 'connection.lost',
                code: 'ERR_CONNECTION_CLOSED',
                message: 'closed during the handshake',
              });
            }
          },
        });
        return () => subscription.unsubscribe();
      },
    ),
    /** The data path: chunks to storage, requests to the uploader, the rest to the machine. */
    readMessages: fromCallback<
      TransferEvent,
      {
        connection: PeerConnection;
        id: string;
        peerId: string;
        uploader: Uploader;
        chunks: Observer<IncomingChunk>;
      }
    >(({ input, sendBack }) => {
      const { connection, id, peerId, uploader, chunks } = input;
      const subscription = connection.messages$.subscribe({
        next: ({ message }) => {
          switch (message.type) {
            case 'chunk':
              chunks.next({
                transferId: id,
                peerId,
                name: message.name,
                index: message.index,
                data: message.data,
              });
              sendBack({ type: 'remote.chunk', name: message.name, index: message.index });
              return;
            case 'request':
              uploader.request(id, message.name, message.index);
              return;
            case 'cancel':
              uploader.cancel(id, message.name, message.index);
              return;
            default:
              sendBack({ type: 'remote.message', message });
          }
        },
        error: (error) => sendBack({ type: 'connection.lost', ...describeError(error) }),
        complete: () =>
          sendBack({
            type: 'connection.lost',
            code: 'ERR_CONNECTION_CLOSED',
            message: 'the peer closed the connection',
          }),
      });
      return () => subscription.unsubscribe();
    }),
    holdConnection: fromCallback<TransferEvent, { connection: PeerConnection }>(({ input }) => {
      return () => input.connection.destroy();
    }),
    announce: fromCallback<
      TransferEvent,
      {
        connection: PeerConnection;
        id: string;
        peerId: string;
        announcements$: Observable<Announcement>;
        tailor: TransferInput['tailor'];
      }
    >(({ input }) => {
      const subscription = input.announcements$.subscribe(({ message, except }) => {
        if (except === input.id) return;
        const out = input.tailor ? input.tailor(input.peerId, message) : message;
        if (out) input.connection.send(out);
      });
      return () => subscription.unsubscribe();
    }),
  },
  actions: {
    sendHello: ({ context }) =>
      context.connection!.send({
        type: 'hello',
        version: PEER_PROTOCOL_VERSION,
        self: context.input.self(),
      }),
    tellPeerHello: ({ context }) => {
      context.input.peer.send({
        type: 'transfer.hello',
        transferId: context.input.id,
        hello: { type: 'hello', version: PEER_PROTOCOL_VERSION, self: context.remote! },
        remoteAddress: context.connection!.remoteAddress,
      } satisfies TransferToPeerEvent);
    },
    /** The side that accepted the connection greets first; the dialer answers (`greetBack`). */
    startTrading: ({ context }) => {
      const { connection } = context;
      context.input.uploader.attach(context.input.id, connection!);
      if (context.input.direction === 'inbound') {
        for (const message of context.input.greeting(context.remote!.peerId))
          connection!.send(message);
      }
    },
    stopUploads: ({ context }) => context.input.uploader.detach(context.input.id),
    forward: ({ context, event }) => {
      assertEvent(event, 'remote.message');
      context.input.peer.send({
        type: 'transfer.message',
        transferId: context.input.id,
        peerId: context.remote!.peerId,
        message: event.message as ForwardedMessage,
      } satisfies TransferToPeerEvent);
    },
    sendRequests: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.request');
      for (const { name, index } of event.requests)
        context.connection!.send({ type: 'request', name, index });
      enqueue.assign({ outstanding: context.outstanding + event.requests.length });
    }),
    sendCancels: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.cancel');
      for (const { name, index } of event.requests)
        context.connection!.send({ type: 'cancel', name, index });
      enqueue.assign({ outstanding: Math.max(0, context.outstanding - event.requests.length) });
    }),
    /**
     * The remote's greeting ends with its first `peers` message. A dialer greets only then:
     * it knows what the remote holds (and sends a `have` instead of a whole manifest for a
     * file the remote announced), and a refused dialer never greets for nothing.
     */
    markSynced: enqueueActions(({ context, event, enqueue }) => {
      if (context.synced || event.type !== 'remote.message' || event.message.type !== 'peers')
        return;
      enqueue.assign({ synced: true });
      if (context.input.direction === 'outbound') {
        for (const message of context.input.greeting(context.remote!.peerId))
          context.connection!.send(message);
      }
    }),
    /** A `bye` may name other peers to try (a full peer's answer): passed on as gossip. */
    forwardByePeers: ({ context, event }) => {
      assertEvent(event, 'remote.message');
      if (event.message.type !== 'bye' || !event.message.peers?.length) return;
      context.input.peer.send({
        type: 'transfer.message',
        transferId: context.input.id,
        peerId: context.remote!.peerId,
        message: { type: 'peers', peers: event.message.peers },
      } satisfies TransferToPeerEvent);
    },
    answered: assign({ outstanding: ({ context }) => Math.max(0, context.outstanding - 1) }),
    endWith: assign({
      end: ({ context, event }) => {
        if (context.end) return context.end;
        switch (event.type) {
          case 'connection.lost':
            return { code: event.code, reason: event.message, byRemote: false };
          case 'transfer.close':
            return { code: event.code, reason: event.reason, byRemote: false };
          case 'transfer.refuse':
            return {
              code: event.code,
              reason: event.reason,
              byRemote: false,
              ...(event.peers ? { peers: event.peers } : {}),
            };
          case 'remote.message':
            if (event.message.type === 'bye')
              return { code: event.message.code, reason: event.message.reason, byRemote: true };
            if (event.message.type === 'hello' && event.message.version !== PEER_PROTOCOL_VERSION) {
              return {
                code: 'ERR_VERSION',
                reason: `protocol version ${event.message.version} is not ${PEER_PROTOCOL_VERSION}`,
                byRemote: false,
              };
            }
            return {
              code: 'ERR_PROTOCOL',
              reason: `unexpected ${event.message.type} message`,
              byRemote: false,
            };
          default: {
            const error = (event as { error?: unknown }).error;
            return error !== undefined
              ? { ...describeError(error), reason: describeError(error).message, byRemote: false }
              : { code: 'ERR_TIMEOUT', reason: 'timed out', byRemote: false };
          }
        }
      },
    }),
    endStalled: assign({
      end: ({ context }) =>
        context.end ?? {
          code: 'ERR_STALLED',
          reason: `no answer to ${context.outstanding} request(s) for ${context.input.timing.stallTimeoutMs} ms`,
          byRemote: false,
        },
    }),
    endHandshakeTimeout: assign({
      end: ({ context }) =>
        context.end ?? {
          code: 'ERR_HANDSHAKE_TIMEOUT',
          reason: 'no hello in time',
          byRemote: false,
        },
    }),
    sayBye: ({ context }) => {
      const { connection, end } = context;
      if (!connection || connection.isClosed) return;
      if (
        end &&
        !end.byRemote &&
        !end.code.startsWith('ERR_CONNECTION') &&
        end.code !== 'ECONNRESET'
      ) {
        connection.send({
          type: 'bye',
          code: /^[A-Z0-9_]{1,64}$/.test(end.code) ? end.code : 'ERR_CLOSED',
          reason: end.reason.slice(0, 500),
          ...(end.peers ? { peers: end.peers.slice(0, MAX_PEERS_PER_MESSAGE) } : {}),
        });
      }
      connection.close();
    },
    tellPeerClosed: ({ context }) => {
      const end = context.end ?? { code: DONE, reason: 'closed', byRemote: false };
      context.input.peer.send({
        type: 'transfer.closed',
        transferId: context.input.id,
        peerId: context.remote?.peerId ?? null,
        direction: context.input.direction,
        target: context.input.target ?? null,
        stage: context.stage,
        ...end,
      } satisfies TransferToPeerEvent);
    },
    logRetry: ({ context, event }) =>
      context.logger.verbose(
        `dial ${context.input.target?.host}:${context.input.target?.port} failed, retrying`,
        describeError((event as { error?: unknown }).error),
      ),
  },
  guards: {
    canRetry: ({ context }) => context.attempt < context.input.timing.retry.attempts,
    isGoodHello: ({ event }) =>
      event.type === 'remote.message' &&
      event.message.type === 'hello' &&
      event.message.version === PEER_PROTOCOL_VERSION,
    isBye: ({ event }) => event.type === 'remote.message' && event.message.type === 'bye',
    isForwarded: ({ event }) =>
      event.type === 'remote.message' &&
      ['manifest', 'have', 'peers', 'done', 'reject'].includes(event.message.type),
    isReject: ({ event }) => event.type === 'remote.message' && event.message.type === 'reject',
    hasOutstanding: ({ context }) => context.outstanding > 0,
    isSynced: ({ context }) => context.synced,
    lastOutstanding: ({ context }) => context.outstanding <= 1,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.input.timing.retry, context.attempt),
    handshakeTimeout: ({ context }) => context.input.timing.handshakeTimeoutMs,
    stallTimeout: ({ context }) => context.input.timing.stallTimeoutMs,
  },
}).createMachine({
  id: 'transfer',
  context: ({ input }) => ({
    input,
    logger: input.logger ?? getLogger('transfer', { transfer: input.id }),
    attempt: 0,
    connection: input.channel ? peerConnection(input.channel, {}, input.counters) : null,
    remote: null,
    outstanding: 0,
    synced: false,
    stage: input.channel ? 'handshake' : 'connect',
    end: null,
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [
        { guard: ({ context }) => context.connection !== null, target: 'connected' },
        { target: 'connecting' },
      ],
    },
    connecting: {
      entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
      invoke: {
        src: 'connect',
        input: ({ context }) => ({
          transport: context.input.transport,
          host: context.input.target!.host,
          port: context.input.target!.port,
          timeoutMs: context.input.timing.connectTimeoutMs,
          counters: context.input.counters,
          ...(context.input.localAddress ? { localAddress: context.input.localAddress } : {}),
        }),
        onDone: {
          target: 'connected',
          actions: assign({ connection: ({ event }) => event.output, stage: 'handshake' }),
        },
        onError: [
          { guard: 'canRetry', target: 'backoff', actions: 'logRetry' },
          { target: 'closed', actions: 'endWith' },
        ],
      },
      on: { 'transfer.close': { target: 'closed', actions: 'endWith' } },
    },
    backoff: {
      after: { retryDelay: 'connecting' },
      on: { 'transfer.close': { target: 'closed', actions: 'endWith' } },
    },
    connected: {
      initial: 'handshaking',
      // However this actor ends (even stopped from outside), its socket does not outlive it.
      invoke: {
        src: 'holdConnection',
        input: ({ context }) => ({ connection: context.connection! }),
      },
      on: {
        'connection.lost': { target: '.closing', actions: 'endWith' },
        'transfer.close': { target: '.closing', actions: 'endWith' },
      },
      states: {
        handshaking: {
          entry: 'sendHello',
          invoke: {
            src: 'readHello',
            input: ({ context }) => ({ connection: context.connection! }),
          },
          after: { handshakeTimeout: { target: 'closing', actions: 'endHandshakeTimeout' } },
          on: {
            'remote.message': [
              {
                guard: 'isGoodHello',
                target: 'admitting',
                actions: [
                  assign({ remote: ({ event }) => (event.message as PeerHello).self }),
                  'tellPeerHello',
                ],
              },
              { target: 'closing', actions: 'endWith' },
            ],
          },
        },
        admitting: {
          after: { handshakeTimeout: { target: 'closing', actions: 'endHandshakeTimeout' } },
          on: {
            'transfer.admit': 'trading',
            'transfer.refuse': { target: 'closing', actions: 'endWith' },
          },
        },
        trading: {
          entry: [assign({ stage: 'trading' }), 'startTrading'],
          exit: 'stopUploads',
          invoke: [
            {
              src: 'readMessages',
              input: ({ context }) => ({
                connection: context.connection!,
                id: context.input.id,
                peerId: context.remote!.peerId,
                uploader: context.input.uploader,
                chunks: context.input.chunks,
              }),
            },
            {
              src: 'announce',
              input: ({ context }) => ({
                connection: context.connection!,
                id: context.input.id,
                peerId: context.remote!.peerId,
                announcements$: context.input.announcements$,
                tailor: context.input.tailor,
              }),
            },
          ],
          initial: 'syncing',
          on: {
            'remote.message': [
              { guard: 'isBye', target: 'closing', actions: ['forwardByePeers', 'endWith'] },
              { guard: 'isReject', target: '.answered', actions: 'forward' },
              { guard: 'isForwarded', actions: ['forward', 'markSynced'] },
              // A second hello, or anything else out of place.
              { target: 'closing', actions: 'endWith' },
            ],
            'transfer.request': { target: '.waiting', actions: 'sendRequests' },
            'transfer.cancel': { actions: 'sendCancels' },
          },
          states: {
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
              always: { guard: ({ context }) => context.outstanding === 0, target: 'idle' },
              after: {
                stallTimeout: { target: '#transfer.connected.closing', actions: 'endStalled' },
              },
              on: {
                // Each answer restarts the stall timer.
                'remote.chunk': { target: 'waiting', reenter: true, actions: 'answered' },
                'transfer.request': { actions: 'sendRequests' },
              },
            },
            /** A reject counts as an answer, like a chunk. */
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
