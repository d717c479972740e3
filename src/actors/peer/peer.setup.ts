import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { ErrorInfo } from '../../errors';
import type { PeerSummary } from '../../p2p/peerSummary';
import { transferMachine } from '../transfer';
import { admitted, duplicateOf } from './admission';
import { afterClosed, memberVerdict } from './closing';
import type { PeerInput } from './config';
import type { PeerContext } from './context';
import { planDials } from './dialPlan';
import type { PeerEvent } from './events';
import { isComplete, peerGuards } from './guards';
import { swarmKeeper } from './keeper';
import type { PeerToKeeperEvent } from './keeperEvents';
import { type Prepared, prepare, ticker } from './resources';
import { transferInput } from './transferInput';

export type { PeerEvent } from './events';

/** A failure unless one was recorded already (the first one wins). */
const firstFailure = (context: PeerContext, failure: ErrorInfo) => ({
  failure: context.failure ?? failure,
});

/** Tells the keeper (`keeper.ts`) to do something the machine decided. */
const tellKeeper = (context: PeerContext, command: PeerToKeeperEvent) =>
  context.keeper.send(command);

/**
 * The named pieces of the peer machine (see `peer.machine.ts` for the chart). Every `assign`
 * computes new values from the context and the event, and the context holds plain values
 * only; the swarm's bookkeeping is the keeper's, told by named actions (`keeper.*`).
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
    swarmKeeper,
    prepare,
    ticker,
  },
  actions: {
    takeView: assign(({ event }) => {
      assertEvent(event, 'swarm.view');
      return { view: event.view };
    }),
    adoptFiles: ({ context }, params: { prepared: Prepared }) =>
      tellKeeper(context, { type: 'keeper.adopt', prepared: params.prepared }),
    keepAddress: assign((_, params: { prepared: Prepared }) => ({
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
      const { dials, bootstrap, dialCredit } = planDials(context);
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
      enqueue.assign({ transfers, bootstrap, nextTransfer: next, dialCredit });
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
            ? { peers: context.view.farewell, records: context.view.farewellRecords }
            : {}),
        });
      },
    ),
    /** Both dialed each other and the new connection stays: the old one goes. */
    closeReplaced: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.hello');
      const replaced = duplicateOf(context, event);
      if (!replaced) return;
      enqueue.sendTo(context.keeper, { type: 'keeper.dropPeer', peerId: event.peerId });
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
      const { verdict } = event;
      const [code, problem] =
        verdict.kind === 'bad'
          ? [verdict.code, verdict.problem]
          : ['ERR_BAD_MANIFEST', 'bad manifest'];
      context.logger.warn(`peer ${event.peerId} sent a bad manifest: ${problem}`);
      enqueue.sendTo(context.keeper, {
        type: 'keeper.ban',
        peerId: event.peerId,
        code,
        message: problem,
      });
      enqueue.sendTo(event.transferId, { type: 'transfer.close', code, reason: problem });
    }),
    /** An owner off the trust list, or a name too many: not counted, not passed on. */
    noteIgnored: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      const code = event.verdict.kind === 'ignored' ? event.verdict.code : 'ERR_QUOTA';
      const limit =
        event.verdict.kind === 'ignored' && event.verdict.limit
          ? `, quota: ${event.verdict.limit}`
          : '';
      context.logger.warn(
        `${event.message.name} from ${event.peerId} ignored (owner ${event.message.owner}${limit})`,
        { code },
      );
    },
    failConflict: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      const { transferId, message } = event;
      tellKeeper(context, { type: 'keeper.conflict', transferId, message });
    },
    notePeerFile: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      tellKeeper(context, {
        type: 'keeper.knownFile',
        peerId: event.peerId,
        message: event.message,
      });
    },
    learnFile: ({ context, event }) => {
      assertEvent(event, 'transfer.manifest');
      const { transferId, peerId, message } = event;
      tellKeeper(context, { type: 'keeper.learnFile', transferId, peerId, message });
    },
    notePeerHas: ({ context, event }) => {
      assertEvent(event, 'transfer.have');
      tellKeeper(context, { type: 'keeper.peerHas', peerId: event.peerId, message: event.message });
    },
    mergePeers: ({ context, event }) => {
      assertEvent(event, 'transfer.peers');
      const { transferId, peerId, message } = event;
      tellKeeper(context, { type: 'keeper.mergePeers', transferId, peerId, message });
    },
    noteDone: ({ context, event }) => {
      assertEvent(event, 'transfer.done');
      const { transferId, peerId, message } = event;
      tellKeeper(context, { type: 'keeper.peerDone', transferId, peerId, seq: message.seq });
    },
    releaseRejected: ({ context, event }) => {
      assertEvent(event, 'transfer.reject');
      const { name, index } = event.message;
      tellKeeper(context, { type: 'keeper.release', peerId: event.peerId, name, index });
    },
    markProgress: assign({ lastProgressAt: ({ context }) => context.config.clock.now() }),
    banForChunks: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'chunk.bad');
      const reason = `${event.bad} chunks failed their hash`;
      enqueue.sendTo(context.keeper, {
        type: 'keeper.ban',
        peerId: event.peerId,
        code: 'ERR_BAD_CHUNKS',
        message: reason,
      });
      const id = context.activeByPeer[event.peerId];
      if (id) enqueue.sendTo(id, { type: 'transfer.close', code: 'ERR_BAD_CHUNKS', reason });
    }),
    /** What the end of a transfer says of its remote goes into the membership. */
    judgeClosedRemote: ({ context, event }) => {
      assertEvent(event, 'transfer.closed');
      const verdict = memberVerdict(context, event);
      if (!verdict) return;
      tellKeeper(context, { type: 'keeper.judgeClosed', verdict });
      if (verdict.wasActive)
        context.logger.verbose(
          `connection to ${verdict.peerId} ended: ${event.code} ${event.reason}`,
        );
    },
    forgetTransfer: assign(({ context, event }) => {
      assertEvent(event, 'transfer.closed');
      return afterClosed(context, event);
    }),
    /** The scheduler (the keeper's) asks the trading transfers for what they can give. */
    schedule: ({ context }) => tellKeeper(context, { type: 'keeper.schedule' }),
    announceComplete: ({ context }) => {
      tellKeeper(context, { type: 'keeper.announceSelf', complete: true });
      const now = context.config.clock.now();
      context.logger.info(
        `complete: ${Object.keys(context.view.files).length} file(s) after ${Math.round(now - context.startedAt)} ms`,
      );
    },
    markComplete: assign({
      completeAt: ({ context }) => context.completeAt ?? context.config.clock.now(),
    }),
    announceIncomplete: ({ context }) =>
      tellKeeper(context, { type: 'keeper.announceSelf', complete: false }),
    markWaiting: assign({ waitingSince: ({ context }) => context.config.clock.now() }),
    /**
     * Two complete peers have nothing left to trade: their connection is closed (`IDLE`) so
     * both have a slot free for a peer that is still fetching (with many peers and bounded
     * connections, latecomers would otherwise find everyone full).
     */
    releaseIdle: enqueueActions(({ context, enqueue }) => {
      const { view } = context;
      if (!view.self.complete) return;
      for (const [peerId, id] of Object.entries(context.activeByPeer)) {
        if (!view.members.find((m) => m.entry.peerId === peerId)?.entry.complete) continue;
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
    /** Out of the swarm: no more connections, chunks or uploads (`keeper.leaveSwarm`). */
    leaveSwarm: ({ context }) => tellKeeper(context, { type: 'keeper.leaveSwarm' }),
    closeFiles: ({ context }) => tellKeeper(context, { type: 'keeper.close' }),
    takeReport: assign(({ event }) => {
      assertEvent(event, 'swarm.closed');
      return { report: event.report };
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
      const { missing } = context.view;
      return firstFailure(context, {
        code: 'ERR_MISSING_FILES',
        message: `${missing.length} file(s) cannot be obtained: ${missing.join(', ')}`,
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
