import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { ErrorInfo } from '../../errors';
import { authFor, authProblem, helloProblem, transcriptFor } from '../../p2p/identity';
import { backoffDelay } from '../../time';
import {
  isCurrentHello,
  MAX_PEERS_PER_MESSAGE,
  MAX_RECORDS_PER_MESSAGE,
  PEER_PROTOCOL_VERSION,
  type PeerConnection,
  type PeerHello,
  type PeerMessage,
} from '../../transport';
import { connect, wire } from './transfer.actors';
import {
  endFromError,
  type TransferContext,
  type TransferEnd,
  type TransferEvent,
  type TransferInput,
  type TransferToKeeperEvent,
} from './types';

const DONE = 'DONE';

const roleOf = (context: TransferContext) =>
  context.input.direction === 'outbound' ? ('dialer' as const) : ('acceptor' as const);

/** Both hellos, as the transcript both sides sign (§9.3). */
const transcriptOf = (context: TransferContext) =>
  transcriptFor(roleOf(context), {
    self: context.input.identity.peerId,
    ownNonce: context.nonce,
    remote: context.remoteHello!.peerId,
    remoteNonce: context.remoteHello!.nonce,
  });

/** Why the remote's hello is refused, or null (the checks of §9.3, in order). */
const helloCode = (context: TransferContext, event: TransferEvent) =>
  event.type === 'remote.hello' && isCurrentHello(event.message)
    ? helloProblem(
        { peerId: context.input.identity.peerId, nonce: context.nonce },
        event.message,
        context.input.expectedPeerId,
      )
    : null;

/** Why the remote's auth does not prove it, or null. */
const authCode = (context: TransferContext, event: TransferEvent) =>
  event.type === 'remote.auth' && context.remoteHello
    ? authProblem(
        {
          role: context.input.direction === 'outbound' ? 'acceptor' : 'dialer',
          publicKey: context.remoteHello.publicKey,
          secret: context.input.secret,
        },
        transcriptOf(context),
        event.message,
      )
    : null;

/** Writes one message to the remote (through the wire actor, which owns the socket). */
const write = (context: TransferContext, message: PeerMessage) =>
  context.wire?.send({ type: 'wire.send', message });

/** Sets why the transfer ends, unless a reason was already set (the first one wins). */
const firstEnd = (context: TransferContext, end: TransferEnd) => ({ end: context.end ?? end });

/**
 * The named pieces of the transfer machine (see `transfer.machine.ts` for the chart). Every
 * `assign` computes values only; sends to the socket and to the peer are separate actions.
 */
export const transferSetup = setup({
  types: {
    input: {} as TransferInput,
    context: {} as TransferContext,
    events: {} as TransferEvent,
  },
  actors: { connect, wire },
  actions: {
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    /** Connected: the socket goes to the wire actor, which owns it from now on. */
    useConnection: assign(({ context, spawn }, params: { connection: PeerConnection }) => ({
      wire: spawn('wire', {
        input: {
          connection: params.connection,
          transferId: context.input.id,
          keeper: context.input.keeper,
        },
      }),
      remoteAddress: params.connection.remoteAddress,
      stage: 'handshake' as const,
    })),
    /** Reads the next handshake message alone (the rest stays queued for the next step). */
    readOne: ({ context }) => context.wire?.send({ type: 'wire.readOne' }),
    /** Reads everything, chunks and requests straight to the keeper. */
    readAll: ({ context }) => context.wire?.send({ type: 'wire.trade', peerId: context.remoteId! }),
    stopReading: ({ context }) => context.wire?.send({ type: 'wire.pause' }),
    /** Our v2 hello: our ID, the key it is the fingerprint of, a fresh nonce. Nothing else. */
    sendHello: ({ context }) =>
      write(context, {
        type: 'hello',
        version: PEER_PROTOCOL_VERSION,
        peerId: context.input.identity.peerId,
        publicKey: context.input.identity.publicKey,
        nonce: context.nonce,
      }),
    keepRemoteHello: assign((_, params: { hello: PeerHello }) => ({ remoteHello: params.hello })),
    /** Our proof for this connection: the transcript signed (and MACed with a secret). */
    sendAuth: ({ context }) => {
      const { identity, secret } = context.input;
      const auth = authFor(identity, roleOf(context), transcriptOf(context), secret);
      write(context, { type: 'auth', ...auth });
    },
    proveRemote: assign(({ context }) => ({ remoteId: context.remoteHello!.peerId })),
    tellPeerHello: ({ context }) =>
      context.input.peer.send({
        type: 'transfer.hello',
        transferId: context.input.id,
        peerId: context.remoteId!,
        remoteAddress: context.remoteAddress ?? '',
      }),
    markTrading: assign({ stage: 'trading' as const }),
    /** Trading: the keeper may write to the remote (uploads, announcements) and ask it. */
    startUploads: ({ context, self }) =>
      context.wire?.send({ type: 'wire.attach', peerId: context.remoteId!, transfer: self }),
    stopUploads: ({ context }) =>
      context.input.keeper.send({ type: 'keeper.detach', transferId: context.input.id }),
    /**
     * Sends our greeting (manifests or `have`s, then whom we know). The side that accepted
     * the connection greets as soon as it is admitted; the dialer once the remote's greeting
     * ended: it then knows what the remote holds, and a refused dialer never greets for nothing.
     */
    greet: ({ context }) =>
      context.input.keeper.send({
        type: 'keeper.greet',
        transferId: context.input.id,
        peerId: context.remoteId!,
      }),
    /** Passes a control message up to the peer as its own event (`remote.have` → `transfer.have`). */
    forward: ({ context, event }) => {
      if (
        event.type !== 'remote.manifest' &&
        event.type !== 'remote.have' &&
        event.type !== 'remote.peers' &&
        event.type !== 'remote.done' &&
        event.type !== 'remote.reject'
      )
        return;
      context.input.keeper.send({
        type: `transfer.${event.message.type}`,
        transferId: context.input.id,
        peerId: context.remoteId!,
        message: event.message,
      } as TransferToKeeperEvent);
    },
    /** Signed peer records go to the keeper, which checks and keeps them (§9.5). */
    forwardRecords: ({ context, event }) => {
      assertEvent(event, 'remote.records');
      context.input.keeper.send({
        type: 'keeper.records',
        transferId: context.input.id,
        peerId: context.remoteId!,
        message: event.message,
      });
    },
    markSynced: assign({ synced: true }),
    sendRequests: ({ context, event }) => {
      assertEvent(event, 'transfer.request');
      for (const { name, index } of event.requests)
        write(context, { type: 'request', name, index });
    },
    countRequests: assign(({ context, event }) => {
      assertEvent(event, 'transfer.request');
      return { outstanding: context.outstanding + event.requests.length };
    }),
    sendCancels: ({ context, event }) => {
      assertEvent(event, 'transfer.cancel');
      for (const { name, index } of event.requests) write(context, { type: 'cancel', name, index });
    },
    countCancels: assign(({ context, event }) => {
      assertEvent(event, 'transfer.cancel');
      return { outstanding: Math.max(0, context.outstanding - event.requests.length) };
    }),
    /** A `bye` may name other peers to try (a full peer's answer): passed on as gossip. */
    forwardByePeers: ({ context, event }) => {
      assertEvent(event, 'remote.bye');
      // Records first: the entries that follow are dialed only if a record vouches for them.
      if (event.message.records?.length)
        context.input.keeper.send({
          type: 'keeper.records',
          transferId: context.input.id,
          peerId: context.remoteId!,
          message: { type: 'records', records: event.message.records },
        });
      if (!event.message.peers?.length) return;
      context.input.keeper.send({
        type: 'transfer.peers',
        transferId: context.input.id,
        peerId: context.remoteId!,
        message: { type: 'peers', peers: event.message.peers },
      });
    },
    answered: assign({ outstanding: ({ context }) => Math.max(0, context.outstanding - 1) }),
    endConnectFailed: assign(({ context }, params: { error: ErrorInfo }) =>
      firstEnd(context, endFromError(params.error)),
    ),
    endConnectionLost: assign(({ context, event }) => {
      assertEvent(event, 'connection.lost');
      return firstEnd(context, endFromError(event.error));
    }),
    /** The peer closes or refuses this transfer (a refusal may name other peers to try). */
    endAsTold: assign(({ context, event }) => {
      assertEvent(event, ['transfer.close', 'transfer.refuse']);
      const peers = event.type === 'transfer.refuse' ? event.peers : undefined;
      const records = event.type === 'transfer.refuse' ? event.records : undefined;
      return firstEnd(context, {
        code: event.code,
        reason: event.reason,
        byRemote: false,
        ...(peers ? { peers } : {}),
        ...(records?.length ? { records } : {}),
      });
    }),
    endByRemote: assign(({ context, event }) => {
      assertEvent(event, 'remote.bye');
      return firstEnd(context, {
        code: event.message.code,
        reason: event.message.reason,
        byRemote: true,
      });
    }),
    /** The handshake refused the remote with `code` (§9.3). */
    endRefused: assign(({ context }, params: { code: string; reason: string }) =>
      firstEnd(context, { code: params.code, reason: params.reason, byRemote: false }),
    ),
    endWrongVersion: assign(({ context, event }) => {
      assertEvent(event, 'remote.hello');
      return firstEnd(context, {
        code: 'ERR_VERSION',
        reason: `protocol version ${event.message.version} is not ${PEER_PROTOCOL_VERSION}`.slice(
          0,
          100,
        ),
        byRemote: false,
      });
    }),
    /** A message out of place: before the hello, a second hello, a reply to nothing. */
    endUnexpected: assign(({ context, event }) =>
      firstEnd(context, {
        code: 'ERR_PROTOCOL',
        reason: `unexpected ${event.type.replace(/^remote\./, '')} message`,
        byRemote: false,
      }),
    ),
    endStalled: assign(({ context }) =>
      firstEnd(context, {
        code: 'ERR_STALLED',
        reason: `no answer to ${context.outstanding} request(s) for ${context.input.timing.stallTimeoutMs} ms`,
        byRemote: false,
      }),
    ),
    endHandshakeTimeout: assign(({ context }) =>
      firstEnd(context, {
        code: 'ERR_HANDSHAKE_TIMEOUT',
        reason: 'no hello in time',
        byRemote: false,
      }),
    ),
    sayBye: ({ context }) => {
      const { wire, end } = context;
      const polite =
        end && !end.byRemote && !end.code.startsWith('ERR_CONNECTION') && end.code !== 'ECONNRESET';
      wire?.send({
        type: 'wire.bye',
        bye: polite
          ? {
              type: 'bye',
              code: /^[A-Z0-9_]{1,64}$/.test(end.code) ? end.code : 'ERR_CLOSED',
              reason: end.reason.slice(0, 500),
              ...(end.peers ? { peers: end.peers.slice(0, MAX_PEERS_PER_MESSAGE) } : {}),
              ...(end.records ? { records: end.records.slice(0, MAX_RECORDS_PER_MESSAGE) } : {}),
            }
          : null,
      });
    },
    /** Out of `connected`: the wire (and with it the socket) goes. */
    dropWire: enqueueActions(({ context, enqueue }) => {
      if (context.wire) enqueue.stopChild(context.wire);
      enqueue.assign({ wire: null });
    }),
    tellPeerClosed: ({ context }) => {
      const end = context.end ?? { code: DONE, reason: 'closed', byRemote: false };
      context.input.peer.send({
        type: 'transfer.closed',
        transferId: context.input.id,
        peerId: context.remoteId,
        direction: context.input.direction,
        target: context.input.target ?? null,
        stage: context.stage,
        code: end.code,
        reason: end.reason,
        byRemote: end.byRemote,
      });
    },
    logRetry: ({ context }, params: { error: ErrorInfo }) =>
      context.logger.verbose(
        `dial ${context.input.target?.host}:${context.input.target?.port} failed, retrying`,
        params.error,
      ),
  },
  guards: {
    hasConnection: ({ context }) => context.wire !== null,
    canRetry: ({ context }) => context.attempt < context.input.timing.retry.attempts,
    /** A hello of another version (every v1 peer's). */
    isForeignHello: ({ event }) => event.type === 'remote.hello' && !isCurrentHello(event.message),
    /** Its ID is not the fingerprint of its key, or not the peer we dialed. */
    claimsAnotherId: ({ context, event }) => helloCode(context, event) === 'ERR_PEER_ID_MISMATCH',
    /** Our own nonce came back: a reflection. */
    reflectsOurNonce: ({ context, event }) => helloCode(context, event) === 'ERR_PROTOCOL',
    isOurOwnId: ({ context, event }) => helloCode(context, event) === 'ERR_SELF',
    /** With a secret: no or a wrong membership MAC (asked before the signature). */
    lacksMembership: ({ context, event }) => authCode(context, event) === 'ERR_AUTH',
    badSignature: ({ context, event }) => authCode(context, event) === 'ERR_BAD_SIGNATURE',
    isDialer: ({ context }) => context.input.direction === 'outbound',
    /** The dialer answers the remote's greeting with its own, once: at its first `peers`. */
    greetsBack: ({ context }) => context.input.direction === 'outbound' && !context.synced,
    isSynced: ({ context }) => context.synced,
    hasOutstanding: ({ context }) => context.outstanding > 0,
    nothingOutstanding: ({ context }) => context.outstanding === 0,
  },
  delays: {
    retryDelay: ({ context }) => backoffDelay(context.input.timing.retry, context.attempt),
    handshakeTimeout: ({ context }) => context.input.timing.handshakeTimeoutMs,
    stallTimeout: ({ context }) => context.input.timing.stallTimeoutMs,
  },
});
