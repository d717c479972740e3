import { summarizePeer } from '../../p2p/peerSummary';
import { failureOf } from '../errors';
import { createPeerContext } from './context';
import { peerSetup } from './peer.setup';
import { viewIsComplete } from './view';

/**
 * One peer of the swarm:
 *
 * preparing → swarm(discovering → exchanging(active ⇄ waiting) → complete → lingering)
 * → leaving → finishing → done | failed
 *
 * It describes its own files (manifests), listens, dials its bootstrap peers and then whoever
 * gossip tells it of (at most `maxConnections`, `dialPlan.ts`), and spawns one transfer actor
 * per remote peer. Each control message a transfer forwards is its own event here
 * (`transfer.manifest`, `transfer.have`, …) and each decision a named guard: admission
 * (`admission.ts`), what a manifest is to us, when to give up or leave. Its context holds
 * plain values only: the mutable bookkeeping (files, chunk scheduler, membership, uploader,
 * storage pipeline) belongs to the keeper actor it spawns (`keeper.ts`), which judges each
 * control message as it passes it on, does what the machine tells it (`keeper.*`), and
 * sends a plain {@link SwarmView} (`swarm.view`) that the guards read. Data never passes
 * through this machine.
 * Complete means holding every file known (and `expect` of them); the peer then lingers,
 * serving, until every peer it knows is complete, or nobody has fetched anything for
 * `lingerMs`. Two complete peers drop their connection to free slots for peers still fetching.
 */
export const peerMachine = peerSetup.createMachine({
  id: 'peer',
  context: ({ input, spawn }) =>
    createPeerContext(input, (keeper) => spawn('swarmKeeper', { id: 'keeper', input: keeper })),
  initial: 'preparing',
  on: { 'swarm.view': { actions: 'takeView' } },
  states: {
    preparing: {
      invoke: {
        src: 'prepare',
        input: ({ context }) => ({ config: context.config }),
        onDone: {
          target: 'swarm',
          actions: [
            { type: 'adoptFiles', params: ({ event }) => ({ prepared: event.output }) },
            { type: 'keepAddress', params: ({ event }) => ({ prepared: event.output }) },
          ],
        },
        onError: {
          target: 'failed',
          actions: { type: 'fail', params: ({ event }) => ({ failure: failureOf(event.error) }) },
        },
      },
      on: {
        'peer.stop': {
          target: 'failed',
          actions: {
            type: 'fail',
            params: ({ event }) => ({ failure: { code: 'ERR_STOPPED', message: event.reason } }),
          },
        },
      },
    },
    swarm: {
      invoke: {
        src: 'ticker',
        input: ({ context }) => ({
          clock: context.config.clock,
          ms: context.config.tickMs,
          keeper: context.keeper,
        }),
      },
      entry: 'dial',
      exit: 'leaveSwarm',
      on: {
        'connection.accepted': { actions: 'spawnInbound' },
        'transfer.hello': [
          { guard: 'isUnknownTransfer' },
          {
            guard: 'isBanned',
            actions: { type: 'refuse', params: { code: 'ERR_BANNED', reason: 'banned' } },
          },
          {
            guard: 'losesDuplicate',
            actions: {
              type: 'refuse',
              params: { code: 'ERR_DUPLICATE', reason: 'already connected' },
            },
          },
          {
            guard: 'isFull',
            actions: {
              type: 'refuse',
              params: ({ context }) => ({
                code: 'ERR_BUSY',
                reason: `full (${context.config.maxConnections} connections)`,
                farewell: true,
              }),
            },
          },
          {
            guard: 'replacesDuplicate',
            actions: ['closeReplaced', 'logAdmission', 'recordAdmission', 'sendAdmit', 'schedule'],
          },
          { actions: ['logAdmission', 'recordAdmission', 'sendAdmit', 'schedule'] },
        ],
        'transfer.manifest': [
          { guard: 'isStale' },
          { guard: 'isBadManifest', actions: 'banForManifest' },
          // An owner off the trust list, or a name too many: not counted.
          { guard: 'isIgnoredManifest', actions: 'noteIgnored' },
          // Another content under a name we know: that name fails here, for good (§9.6).
          { guard: 'isConflictingManifest', actions: ['failConflict', 'markProgress'] },
          { guard: 'isKnownManifest', actions: ['notePeerFile', 'markProgress', 'schedule'] },
          { actions: ['learnFile', 'markProgress', 'schedule'] },
        ],
        'transfer.have': [
          { guard: 'isStale' },
          { guard: 'isUnknownFile' },
          { guard: 'bringsNoNewChunk' },
          { actions: ['notePeerHas', 'markProgress', 'schedule'] },
        ],
        // Gossip may name peers worth dialing.
        'transfer.peers': [
          { guard: 'isStale' },
          { guard: 'bringsNews', actions: ['mergePeers', 'markProgress', 'dial', 'schedule'] },
          { actions: ['dial', 'schedule'] },
        ],
        'transfer.done': [{ guard: 'isStale' }, { actions: ['noteDone', 'schedule'] }],
        'transfer.reject': [{ guard: 'isStale' }, { actions: ['releaseRejected', 'schedule'] }],
        'transfer.closed': { actions: ['judgeClosedRemote', 'forgetTransfer', 'dial', 'schedule'] },
        // Storage outcomes, counted by the keeper already.
        'chunk.stored': { actions: ['markProgress', 'schedule'] },
        'chunk.bad': [
          { guard: 'tooManyBadChunks', actions: ['banForChunks', 'schedule'] },
          { actions: 'schedule' },
        ],
        'chunk.unwanted': { actions: 'schedule' },
        'file.opened': { actions: 'schedule' },
        'peer.tick': { actions: ['dial', 'schedule', 'releaseIdle'] },
        'peer.stop': { target: 'leaving', actions: 'stopFromUser' },
      },
      initial: 'discovering',
      states: {
        discovering: {
          always: [
            { guard: 'isComplete', target: 'complete' },
            { guard: 'hasMet', target: 'exchanging' },
          ],
          after: { discoveryTimeout: { target: '#peer.leaving', actions: 'failNoPeers' } },
        },
        exchanging: {
          entry: 'announceIncomplete',
          always: { guard: 'isComplete', target: 'complete' },
          initial: 'active',
          states: {
            active: {
              always: { guard: 'nothingToDo', target: 'waiting' },
            },
            /** Nothing to ask of anyone: either the swarm moves on, or we give up after a while. */
            waiting: {
              entry: 'markWaiting',
              always: { guard: 'somethingToDo', target: 'active' },
              on: {
                'peer.tick': [
                  { guard: 'gaveUp', target: '#peer.leaving', actions: 'failMissing' },
                  { actions: ['dial', 'schedule'] },
                ],
              },
            },
          },
        },
        complete: {
          entry: ['announceComplete', 'markComplete'],
          always: 'lingering',
        },
        /** Holding everything; serving those who do not, until they are done or time is up. */
        lingering: {
          always: [
            { guard: 'notComplete', target: 'exchanging' },
            { guard: 'othersComplete', target: '#peer.leaving' },
          ],
          on: {
            'peer.tick': [
              // Nobody has fetched anything for `lingerMs`: those left are stuck or gone.
              { guard: 'lingeredEnough', target: '#peer.leaving' },
              { actions: ['dial', 'schedule', 'releaseIdle'] },
            ],
          },
        },
      },
    },
    leaving: {
      entry: 'closeTransfers',
      always: { guard: 'noTransfers', target: 'finishing' },
      after: { closeTimeout: 'finishing' },
      on: {
        'transfer.closed': { actions: 'forgetTransfer' },
        'transfer.hello': {
          actions: { type: 'refuse', params: { code: 'ERR_SHUTTING_DOWN', reason: 'leaving' } },
        },
        'peer.stop': {},
      },
    },
    /** The keeper closes the listener and every file, and reports what the swarm held. */
    finishing: {
      entry: 'closeFiles',
      on: {
        'swarm.closed': [
          { guard: 'succeeded', target: 'done', actions: 'takeReport' },
          { target: 'failed', actions: 'takeReport' },
        ],
      },
    },
    done: { type: 'final' },
    failed: { type: 'final', entry: 'logFailure' },
  },
  output: ({ context }) =>
    summarizePeer(context.report, {
      address: context.address,
      dir: context.config.dir,
      expect: context.config.expect,
      bootstrap: context.bootstrap,
      failure: context.failure,
      complete: viewIsComplete(context.view, context.config.expect, context.met),
      durationMs: context.config.clock.now() - context.startedAt,
      completeAfterMs: context.completeAt === null ? null : context.completeAt - context.startedAt,
      startedAt: context.startedAt,
    }),
});
