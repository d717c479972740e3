import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { ErrorInfo } from '../../errors';
import { signManifest } from '../../p2p/ownership';
import type { PeerSummary } from '../../p2p/peerSummary';
import { MAX_PEERS_PER_MESSAGE } from '../../transport';
import { acceptConnections } from '../shared';
import { transferMachine } from '../transfer';
import { admitted, duplicateOf } from './admission';
import { afterClosed, memberVerdict } from './closing';
import type { PeerInput } from './config';
import type { PeerContext } from './context';
import { planDials } from './dialPlan';
import type { PeerEvent } from './events';
import {
  failConflict,
  judge,
  learnFile,
  mergePeers,
  nextRequests,
  noteKnownFile,
  recordStored,
} from './exchange';
import { announceEntries } from './gossip';
import { isComplete, peerGuards } from './guards';
import { closeFiles, holdResources, type Prepared, prepare, storage, ticker } from './resources';
import { transferInput } from './transferInput';

export type { PeerEvent } from './events';

/** A failure unless one was recorded already (the first one wins). */
const firstFailure = (context: PeerContext, failure: ErrorInfo) => ({
  failure: context.failure ?? failure,
});

/**
 * The named pieces of the peer machine (see `peer.machine.ts` for the chart). Every `assign`
 * computes new values from the context and the event; effects on the helpers (the swarm's
 * bookkeeping, the announcements, the transfers) are separate named actions.
 */
export const peerSetup = setup({
  types: {
    input: {} as PeerInput,
    context: {} as PeerContext,
    events: {} as PeerEvent,
    output: {} as PeerSummary,
  },
  actors: {
    transfer: transferMachine,
    prepare,
    acceptConnections,
    storage,
    ticker,
    holdResources,
    closeFiles,
  },
  actions: {
    adoptFiles: ({ context }, params: { prepared: Prepared }) => {
      const { swarm, config } = context;
      const { sources, listener } = params.prepared;
      for (const source of sources)
        swarm.addOwn(source, signManifest(config.identity, source.manifest));
      const wildcard = listener.host === '0.0.0.0' || listener.host === '::';
      swarm.membership.updateSelf({
        host: config.advertise?.host ?? (wildcard ? '' : listener.host),
        port: config.advertise?.port ?? listener.port,
        offers: sources.map((s) => s.manifest.name),
      });
      context.logger.info(
        `peer ${swarm.membership.self.peerId} listening on ${listener.host}:${listener.port}, sharing ${sources.length} file(s)`,
      );
    },
    keepListener: assign((_, params: { prepared: Prepared }) => ({
      listener: params.prepared.listener,
      address: `${params.prepared.listener.host}:${params.prepared.listener.port}`,
    })),
    spawnInbound: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'connection.accepted');
      const id = `transfer-${context.nextTransfer}`;
      enqueue.spawnChild('transfer', {
        id,
        input: transferInput(context, self, id, 'inbound', { channel: event.channel }),
      });
      enqueue.assign({
        nextTransfer: context.nextTransfer + 1,
        transfers: {
          ...context.transfers,
          [id]: {
            direction: 'inbound',
            peerId: null,
            target: null,
            remoteAddress: event.channel.remoteAddress,
            stage: 'connecting',
            bootstrap: null,
          },
        },
      });
    }),
    /** Tops up outbound connections as the dial plan says (`dialPlan.ts`). */
    dial: enqueueActions(({ context, enqueue, self }) => {
      const { dials, bootstrap } = planDials(context);
      if (dials.length === 0) return;
      const transfers = { ...context.transfers };
      let next = context.nextTransfer;
      for (const dial of dials) {
        const id = `transfer-${next++}`;
        enqueue.spawnChild('transfer', {
          id,
          input: transferInput(context, self, id, 'outbound', {
            target: dial.target,
            ...(dial.peerId ? { expectedPeerId: dial.peerId } : {}),
          }),
        });
        transfers[id] = {
          direction: 'outbound',
          peerId: dial.peerId,
          target: dial.target,
          remoteAddress: dial.target.host,
          stage: 'connecting',
          bootstrap: dial.bootstrap,
        };
      }
      enqueue.assign({ transfers, bootstrap, nextTransfer: next });
    }),
    /** Refuses a hello with a code; a full peer names whom it knows, so the dialer goes there. */
    refuse: enqueueActions(
      (
        { context, event, enqueue },
        params: { code: string; reason: string; farewell?: boolean },
      ) => {
        assertEvent(event, 'transfer.hello');
        enqueue.sendTo(event.transferId, {
          type: 'transfer.refuse',
          code: params.code,
          reason: params.reason,
          ...(params.farewell
            ? { peers: context.swarm.knownEntries().slice(0, MAX_PEERS_PER_MESSAGE) }
            : {}),
        });
      },
    ),
    /** Both dialed each other and the new connection stays: the old one goes. */
    closeReplaced: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.hello');
      const replaced = duplicateOf(context, event);
      if (!replaced) return;
      context.swarm.scheduler.removePeer(event.peerId);
      enqueue.sendTo(replaced.id, {
        type: 'transfer.close',
        code: 'ERR_DUPLICATE',
        reason: 'replaced by a new connection',
      });
    }),
    /** The remote proved its ID; its entry (where it listens, what it offers) comes in its greeting. */
    logAdmission: ({ context, event }) => {
      assertEvent(event, 'transfer.hello');
      const direction = context.transfers[event.transferId]?.direction;
      context.logger.verbose(
        `trading with ${event.peerId} at ${event.remoteAddress} (${direction})`,
      );
    },
    recordAdmission: assign(({ context, event }) => {
      assertEvent(event, 'transfer.hello');
      return admitted(context, event);
    }),
    sendAdmit: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'transfer.hello');
      enqueue.sendTo(event.transferId, { type: 'transfer.admit' });
    }),
    banForManifest: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.manifest');
      const verdict = judge(context, event.message);
      const [code, problem] =
        verdict.kind === 'bad'
          ? [verdict.code, verdict.problem]
          : ['ERR_BAD_MANIFEST', 'bad manifest'];
      context.logger.warn(`peer ${event.peerId} sent a bad manifest: ${problem}`);
      context.swarm.membership.setStatus(event.peerId, 'banned', { code, message: problem });
      enqueue.sendTo(event.transferId, { type: 'transfer.close', code, reason: problem });
    }),
    /** An owner off the trust list, or a name too many: not counted, not passed on. */
    noteIgnored: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      const verdict = judge(context, event.message);
      const code = verdict.kind === 'ignored' ? verdict.code : 'ERR_QUOTA';
      context.logger.warn(
        `${event.message.name} from ${event.peerId} ignored (owner ${event.message.owner})`,
        { code },
      );
    },
    failConflict: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      failConflict(context, event.transferId, event.message);
    },
    notePeerFile: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      noteKnownFile(context, event.peerId, event.message);
    },
    learnFile: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      learnFile(context, event.transferId, event.peerId, event.message);
    },
    notePeerHas: ({ context, event }) => {
      assertEvent(event, 'transfer.have');
      for (const index of event.message.chunks)
        context.swarm.scheduler.peerHas(event.peerId, event.message.name, index);
    },
    mergePeers: ({ context, event }) => {
      assertEvent(event, 'transfer.peers');
      mergePeers(context, event.transferId, event.peerId, event.message.peers);
    },
    noteDone: ({ context, event }) => {
      assertEvent(event, 'transfer.done');
      const entry = context.swarm.membership.markComplete(event.peerId, event.message.seq);
      if (entry) announceEntries(context.swarm, context.announcements, [entry], event.transferId);
    },
    releaseRejected: ({ context, event }) => {
      assertEvent(event, 'transfer.reject');
      context.swarm.scheduler.released(event.peerId, event.message.name, event.message.index);
    },
    markProgress: assign({ lastProgressAt: ({ context }) => context.config.clock.now() }),
    storeChunk: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'chunk.stored');
      for (const [id, requests] of recordStored(context, event))
        enqueue.sendTo(id, { type: 'transfer.cancel', requests });
    }),
    countBadChunk: ({ context, event }) => {
      assertEvent(event, 'chunk.bad');
      context.swarm.scheduler.failed(event.peerId, event.name, event.index);
      const bad = context.swarm.countBad(event.peerId);
      context.logger.warn(
        `bad chunk ${event.index} of ${event.name} from ${event.peerId} (${bad})`,
      );
    },
    banForChunks: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'chunk.bad');
      const reason = `${context.swarm.badChunks.get(event.peerId) ?? 0} chunks failed their hash`;
      context.swarm.membership.setStatus(event.peerId, 'banned', {
        code: 'ERR_BAD_CHUNKS',
        message: reason,
      });
      const id = context.activeByPeer[event.peerId];
      if (id) enqueue.sendTo(id, { type: 'transfer.close', code: 'ERR_BAD_CHUNKS', reason });
    }),
    releaseUnwanted: ({ context, event }) => {
      assertEvent(event, 'chunk.unwanted');
      context.swarm.scheduler.released(event.peerId, event.name, event.index);
    },
    openedFile: ({ context, event }) => {
      assertEvent(event, 'file.opened');
      const { swarm } = context;
      swarm.fileOpened(event.name, event.file);
      // A resumed or already present file: tell everyone what we hold of it.
      if (event.file.have.count > 0)
        context.announcements.next({
          message: swarm.manifestMessage(swarm.files.get(event.name)!),
        });
      if (event.file.complete) context.logger.info(`${event.name} already here (verified)`);
    },
    fileFailed: ({ context, event }) => {
      assertEvent(event, 'file.failed');
      context.swarm.fileFailed(event.name, { code: event.code, message: event.message });
      context.logger.error(`cannot receive ${event.name}: ${event.message}`, { code: event.code });
    },
    /** What the end of a transfer says of its remote goes into the membership. */
    judgeClosedRemote: ({ context, event }) => {
      assertEvent(event, 'transfer.closed');
      const verdict = memberVerdict(context, event);
      if (!verdict) return;
      const { membership, scheduler } = context.swarm;
      if (verdict.wasActive) scheduler.removePeer(verdict.peerId);
      if (verdict.status)
        membership.setStatus(verdict.peerId, verdict.status.value, verdict.status.reason);
      if (verdict.busyUntil !== null) membership.markBusy(verdict.peerId, verdict.busyUntil);
      if (verdict.wasActive)
        context.logger.verbose(
          `connection to ${verdict.peerId} ended: ${event.code} ${event.reason}`,
        );
    },
    forgetTransfer: assign(({ context, event }) => {
      assertEvent(event, 'transfer.closed');
      return afterClosed(context, event);
    }),
    /** Asks the scheduler for new requests and sends them to the transfers. */
    schedule: enqueueActions(({ context, enqueue }) => {
      for (const [id, requests] of nextRequests(context))
        enqueue.sendTo(id, { type: 'transfer.request', requests });
    }),
    announceComplete: ({ context }) => {
      const entry = context.swarm.membership.updateSelf({ complete: true });
      if (entry) context.announcements.next({ message: { type: 'done', seq: entry.seq } });
      const now = context.config.clock.now();
      context.logger.info(
        `complete: ${context.swarm.files.size} file(s) after ${Math.round(now - context.startedAt)} ms`,
      );
    },
    markComplete: assign({
      completeAt: ({ context }) => context.completeAt ?? context.config.clock.now(),
    }),
    announceIncomplete: ({ context }) => {
      const entry = context.swarm.membership.updateSelf({ complete: false });
      if (entry) announceEntries(context.swarm, context.announcements, [entry]);
    },
    markWaiting: assign({ waitingSince: ({ context }) => context.config.clock.now() }),
    /**
     * Two complete peers have nothing left to trade: their connection is closed (`IDLE`) so
     * both have a slot free for a peer that is still fetching (with many peers and bounded
     * connections, latecomers would otherwise find everyone full).
     */
    releaseIdle: enqueueActions(({ context, enqueue }) => {
      const { membership } = context.swarm;
      if (!membership.self.complete) return;
      for (const [peerId, id] of Object.entries(context.activeByPeer)) {
        if (!membership.get(peerId)?.entry.complete) continue;
        enqueue.sendTo(id, {
          type: 'transfer.close',
          code: 'IDLE',
          reason: 'both hold every file',
        });
      }
    }),
    closeTransfers: enqueueActions(({ context, enqueue }) => {
      const complete = isComplete(context);
      for (const id of Object.keys(context.transfers)) {
        enqueue.sendTo(id, {
          type: 'transfer.close',
          code: complete ? 'DONE' : 'ERR_SHUTTING_DOWN',
          reason: complete ? 'holds every file' : 'shutting down',
        });
      }
    }),
    fail: assign(({ context }, params: { failure: ErrorInfo }) =>
      firstFailure(context, params.failure),
    ),
    failNoPeers: assign(({ context }) =>
      firstFailure(context, {
        code: 'ERR_NO_PEERS',
        message: `no peer reached in ${context.config.discoveryTimeoutMs} ms (bootstrap: ${context.bootstrap.map((b) => `${b.host}:${b.port} ${b.state}${b.reason ? ` (${b.reason})` : ''}`).join(', ') || 'none'})`,
      }),
    ),
    failMissing: assign(({ context }) => {
      const missing = context.swarm.missing(context.config.expect);
      return firstFailure(context, {
        code: 'ERR_MISSING_FILES',
        message: `${missing.length} file(s) cannot be obtained: ${missing.map((m) => m.name).join(', ')}`,
      });
    }),
    /** Stopped by the user: a failure unless every file is already held. */
    stopFromUser: assign(({ context, event }) => {
      assertEvent(event, 'peer.stop');
      if (context.failure || isComplete(context)) return {};
      return { failure: { code: 'ERR_STOPPED', message: event.reason } };
    }),
    logFailure: ({ context }) =>
      context.logger.error(`peer failed: ${context.failure?.message ?? 'files missing'}`),
  },
  guards: {
    isComplete: (args) => peerGuards.isComplete(args, undefined),
    notComplete: (args) => peerGuards.notComplete(args, undefined),
    hasMet: (args) => peerGuards.hasMet(args, undefined),
    isUnknownTransfer: (args) => peerGuards.isUnknownTransfer(args, undefined),
    isBanned: (args) => peerGuards.isBanned(args, undefined),
    losesDuplicate: (args) => peerGuards.losesDuplicate(args, undefined),
    isFull: (args) => peerGuards.isFull(args, undefined),
    replacesDuplicate: (args) => peerGuards.replacesDuplicate(args, undefined),
    isStale: (args) => peerGuards.isStale(args, undefined),
    isBadManifest: (args) => peerGuards.isBadManifest(args, undefined),
    isConflictingManifest: (args) => peerGuards.isConflictingManifest(args, undefined),
    isIgnoredManifest: (args) => peerGuards.isIgnoredManifest(args, undefined),
    isKnownManifest: (args) => peerGuards.isKnownManifest(args, undefined),
    isUnknownFile: (args) => peerGuards.isUnknownFile(args, undefined),
    bringsNoNewChunk: (args) => peerGuards.bringsNoNewChunk(args, undefined),
    bringsNews: (args) => peerGuards.bringsNews(args, undefined),
    tooManyBadChunks: (args) => peerGuards.tooManyBadChunks(args, undefined),
    nothingToDo: (args) => peerGuards.nothingToDo(args, undefined),
    somethingToDo: (args) => peerGuards.somethingToDo(args, undefined),
    lingeredEnough: (args) => peerGuards.lingeredEnough(args, undefined),
    gaveUp: (args) => peerGuards.gaveUp(args, undefined),
    othersComplete: (args) => peerGuards.othersComplete(args, undefined),
    noTransfers: (args) => peerGuards.noTransfers(args, undefined),
    succeeded: (args) => peerGuards.succeeded(args, undefined),
  },
  delays: {
    discoveryTimeout: ({ context }) => context.config.discoveryTimeoutMs,
    closeTimeout: ({ context }) => context.config.closeTimeoutMs,
  },
});
