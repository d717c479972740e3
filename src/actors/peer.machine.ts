import { randomBytes } from 'node:crypto';
import { Subject } from 'rxjs';
import { assertEvent, assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { describeError } from '../errors';
import { getLogger, type Logger } from '../log/logger';
import { type PeerSummary, summarizePeer } from '../p2p/peerSummary';
import { type IncomingChunk, type StorageEvent, storagePipeline } from '../p2p/storagePipeline';
import { SwarmState } from '../p2p/swarm';
import { TokenBucket } from '../p2p/tokenBucket';
import { Uploader } from '../p2p/uploader';
import { openSourceFile, type StoredFile } from '../storage/chunkStore';
import { StorageError } from '../storage/errors';
import { isSafeFileName } from '../storage/fileName';
import { buildManifest, DEFAULT_CHUNK_SIZE, type Manifest } from '../storage/manifest';
import { type Clock, type RetryPolicy, systemClock } from '../time';
import {
  type ByteChannel,
  type ByteCounters,
  type ChannelListener,
  MAX_PEERS_PER_MESSAGE,
  type PeerEntry,
  type PeerMessage,
  type Transport,
} from '../transport';
import { acceptConnections } from './shared';
import type { Announcement } from './transfer.machine';
import { type TransferTiming, type TransferToPeerEvent, transferMachine } from './transfer.machine';

export interface PeerInput {
  transport: Transport;
  /** Where to listen; port 0 picks a free one. */
  listen: { host: string; port: number };
  /** The address other peers should dial, when it is not the listening one (NAT, proxy). */
  advertise?: { host: string; port: number };
  /** Files this peer contributes. */
  files: string[];
  /** Where received files go, each under its own name. */
  dir: string;
  /** Peers to contact first; one live peer is enough, the rest is learned by gossip. */
  bootstrap?: Array<{ host: string; port: number }>;
  /** Number of files in the swarm, when known: the peer is complete only once it holds that many. */
  expect?: number;
  peerId?: string;
  /** Most connections at once, inbound and outbound together. */
  maxConnections?: number;
  /** Upload cap in bytes per second for all connections together; null or absent for none. */
  uploadLimit?: number | null;
  /**
   * After holding everything, keep serving until every known peer is complete, or until
   * nothing has moved in the swarm for this long.
   */
  lingerMs?: number;
  chunkSize?: number;
  /** Requests outstanding to one peer. */
  maxInFlightPerPeer?: number;
  /** Bad chunks tolerated from one peer before it is cut off and banned. */
  maxBadChunks?: number;
  /** Without any peer met for this long, give up. */
  discoveryTimeoutMs?: number;
  /** With files missing and nothing happening in the swarm for this long, give up. */
  giveUpAfterMs?: number;
  /** A peer that said it was full is not dialed again for this long. */
  busyCooldownMs?: number;
  /** Until a peer is met, unreachable bootstrap addresses are dialed again this often. */
  bootstrapRetryMs?: number;
  /** How often connections are topped up and give-up conditions checked. */
  tickMs?: number;
  /** On the way out, how long transfers get to say goodbye. */
  closeTimeoutMs?: number;
  timing?: Partial<Omit<TransferTiming, 'retry'>> & { retry?: Partial<RetryPolicy> };
  /** fsync received files before and after their rename (default true). */
  durable?: boolean;
  /** Local address for outgoing connections. */
  localAddress?: string;
  /** Must be the same clock given to `createActor(…, { clock })`. */
  clock?: Clock;
  logger?: Logger;
}

export type PeerEvent =
  | { type: 'connection.accepted'; channel: ByteChannel }
  | { type: 'peer.tick' }
  | { type: 'peer.stop'; reason: string }
  | TransferToPeerEvent
  | StorageEvent;

interface TransferRecord {
  direction: 'outbound' | 'inbound';
  /** Confirmed by the hello, or expected when dialing a known peer. */
  peerId: string | null;
  target: { host: string; port: number } | null;
  remoteAddress: string | null;
  stage: 'connecting' | 'trading';
  bootstrap: number | null;
}

export interface BootstrapEntry {
  host: string;
  port: number;
  state: 'pending' | 'dialing' | 'reached' | 'failed' | 'self';
  reason: string | null;
  /** A failed address is dialed again from this time on, while no peer has been met. */
  retryAt: number;
}

export interface PeerConfig {
  transport: Transport;
  listen: { host: string; port: number };
  advertise: { host: string; port: number } | null;
  files: string[];
  dir: string;
  expect: number | null;
  maxConnections: number;
  maxOutbound: number;
  uploadLimit: number | null;
  lingerMs: number;
  chunkSize: number;
  maxBadChunks: number;
  discoveryTimeoutMs: number;
  giveUpAfterMs: number;
  busyCooldownMs: number;
  bootstrapRetryMs: number;
  tickMs: number;
  closeTimeoutMs: number;
  timing: TransferTiming;
  durable: boolean;
  localAddress: string | undefined;
  clock: Clock;
}

export interface PeerContext {
  config: PeerConfig;
  logger: Logger;
  swarm: SwarmState;
  uploader: Uploader;
  chunks: Subject<IncomingChunk>;
  opens: Subject<Manifest>;
  announcements: Subject<Announcement>;
  /** `have`s not yet announced, by file: announced together at the end of the turn. */
  pendingHaves: Map<string, number[]>;
  counters: ByteCounters;
  listener: ChannelListener | null;
  address: string | null;
  transfers: Record<string, TransferRecord>;
  /** The one admitted transfer of each connected peer. */
  activeByPeer: Record<string, string>;
  nextTransfer: number;
  bootstrap: BootstrapEntry[];
  /** Peers admitted so far (a peer met twice counts twice). */
  met: number;
  startedAt: number;
  completeAt: number | null;
  lastProgressAt: number;
  waitingSince: number;
  failure: { code: string; message: string } | null;
}

interface Prepared {
  sources: StoredFile[];
  listener: ChannelListener;
}

const newPeerId = () => randomBytes(8).toString('hex');

/**
 * One peer of the swarm:
 *
 * preparing → swarm(discovering → exchanging(active ⇄ waiting) → complete → lingering)
 * → leaving → finishing → done | failed
 *
 * It describes its own files (manifests), listens, dials its bootstrap peers and then whoever
 * gossip tells it of (at most `maxConnections`), and spawns one transfer actor per remote
 * peer. Every control message from a transfer is a transition here; the chunk scheduler
 * decides what to ask of whom, the uploader serves requests within the upload cap, and the
 * storage pipeline verifies and writes chunks — data never passes through this machine.
 * Complete means holding every file known (and `expect` of them); the peer then lingers,
 * serving, until every peer it knows is complete, or nobody has fetched anything for
 * `lingerMs` (those left are stuck or gone). Two complete peers drop their connection to
 * free slots for peers still fetching.
 */
export const peerMachine = setup({
  types: {
    input: {} as PeerInput,
    context: {} as PeerContext,
    events: {} as PeerEvent,
    output: {} as PeerSummary,
  },
  actors: {
    transfer: transferMachine,
    prepare: fromPromise(
      async ({
        input,
        signal,
      }: {
        input: { config: PeerConfig };
        signal: AbortSignal;
      }): Promise<Prepared> => {
        const { config } = input;
        const manifests = await Promise.all(
          config.files.map((path) => buildManifest(path, { chunkSize: config.chunkSize, signal })),
        );
        const names = new Set<string>();
        for (const manifest of manifests) {
          if (names.has(manifest.name)) {
            throw new StorageError(`Two files are named ${manifest.name}`, 'ERR_DUPLICATE_NAME');
          }
          names.add(manifest.name);
        }
        const sources = await Promise.all(
          manifests.map((m, i) => openSourceFile(config.files[i]!, m)),
        );
        try {
          const listener = await config.transport.listen(config.listen);
          return { sources, listener };
        } catch (error) {
          await Promise.all(sources.map((s) => s.close()));
          throw error;
        }
      },
    ),
    acceptConnections,
    storage: fromCallback<PeerEvent, { context: PeerContext }>(({ input, sendBack }) => {
      const { context } = input;
      const subscription = storagePipeline(context.opens, context.chunks, {
        dir: context.config.dir,
        durable: context.config.durable,
        receiving: (name) => context.swarm.receiving(name),
      }).subscribe((event) => sendBack(event));
      return () => subscription.unsubscribe();
    }),
    ticker: fromCallback<PeerEvent, { clock: Clock; ms: number }>(({ input, sendBack }) => {
      let handle: unknown = null;
      const tick = () => {
        sendBack({ type: 'peer.tick' });
        handle = input.clock.setTimeout(tick, input.ms);
      };
      handle = input.clock.setTimeout(tick, input.ms);
      return () => input.clock.clearTimeout(handle);
    }),
    /**
     * Owns the uploader and the open files for as long as the peer is in the swarm: however
     * the swarm state is left (even by stopping the actor), uploads stop and files close.
     */
    holdResources: fromCallback<PeerEvent, { context: PeerContext }>(({ input }) => {
      return () => {
        input.context.uploader.stop();
        for (const record of input.context.swarm.files.values()) {
          record.stored?.close().catch(() => undefined);
        }
      };
    }),
    closeFiles: fromPromise(async ({ input }: { input: { context: PeerContext } }) => {
      const { swarm, uploader } = input.context;
      uploader.stop();
      await Promise.all(
        [...swarm.files.values()].map((record) => record.stored?.close().catch(() => undefined)),
      );
    }),
  },
  actions: {
    setUp: enqueueActions(({ context, event, enqueue }) => {
      const prepared = (event as unknown as { output: Prepared }).output;
      const { swarm, config } = context;
      for (const source of prepared.sources) swarm.addOwn(source);
      const listenHost = prepared.listener.host;
      const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
      swarm.membership.updateSelf({
        host: config.advertise?.host ?? (wildcard ? '' : listenHost),
        port: config.advertise?.port ?? prepared.listener.port,
        offers: prepared.sources.map((s) => s.manifest.name),
      });
      enqueue.assign({
        listener: prepared.listener,
        address: `${listenHost}:${prepared.listener.port}`,
      });
      context.logger.info(
        `peer ${swarm.membership.self.peerId} listening on ${listenHost}:${prepared.listener.port}, sharing ${prepared.sources.length} file(s)`,
      );
    }),
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
    /** Tops up outbound connections: bootstrap peers first, then peers learned by gossip. */
    dial: enqueueActions(({ context, enqueue, self }) => {
      const { config, swarm } = context;
      const records = Object.values(context.transfers);
      let slots = Math.min(
        config.maxConnections - records.length,
        config.maxOutbound - records.filter((r) => r.direction === 'outbound').length,
      );
      if (slots <= 0) return;
      const transfers = { ...context.transfers };
      const bootstrap = context.bootstrap.map((b) => ({ ...b }));
      let next = context.nextTransfer;
      const spawn = (
        target: { host: string; port: number },
        peerId: string | null,
        bootstrapIndex: number | null,
      ) => {
        const id = `transfer-${next++}`;
        enqueue.spawnChild('transfer', {
          id,
          input: transferInput(context, self, id, 'outbound', { target }),
        });
        transfers[id] = {
          direction: 'outbound',
          peerId,
          target,
          remoteAddress: target.host,
          stage: 'connecting',
          bootstrap: bootstrapIndex,
        };
        slots -= 1;
      };
      for (let i = 0; i < bootstrap.length && slots > 0; i++) {
        // Until some peer is met, a bootstrap peer that was not up yet is tried again.
        const retry =
          bootstrap[i]!.state === 'failed' &&
          context.met === 0 &&
          bootstrap[i]!.retryAt <= config.clock.now();
        if (bootstrap[i]!.state !== 'pending' && !retry) continue;
        bootstrap[i]!.state = 'dialing';
        spawn(bootstrap[i]!, null, i);
      }
      if (slots > 0) {
        const busy = new Set(
          Object.values(transfers)
            .map((r) => r.peerId)
            .filter((id): id is string => id !== null),
        );
        const selfComplete = swarm.membership.self.complete;
        const candidates = shuffle(swarm.membership.candidates(config.clock.now(), busy)).sort(
          (a, b) => Number(a.entry.complete) - Number(b.entry.complete),
        );
        for (const member of candidates) {
          if (slots <= 0) break;
          // A complete peer only dials to help (or to learn that) others finish.
          if (selfComplete && member.entry.complete) continue;
          spawn({ host: member.entry.host, port: member.entry.port }, member.entry.peerId, null);
        }
      }
      enqueue.assign({ transfers, bootstrap, nextTransfer: next });
    }),
    /** Admits a remote after its hello, or refuses it: ourselves, banned, duplicate, full. */
    admit: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.hello');
      const { swarm, config } = context;
      const { transferId, remoteAddress } = event;
      const remote = event.hello.self;
      const record = context.transfers[transferId];
      if (!record) return;
      const selfId = swarm.membership.self.peerId;
      const refuse = (code: string, reason: string, farewell = false) =>
        enqueue.sendTo(transferId, {
          type: 'transfer.refuse',
          code,
          reason,
          // A full peer names whom it knows, so the dialer can go there instead.
          ...(farewell ? { peers: swarm.knownEntries().slice(0, MAX_PEERS_PER_MESSAGE) } : {}),
        });
      if (remote.peerId === selfId) {
        if (record.bootstrap !== null) {
          enqueue.assign({
            bootstrap: context.bootstrap.map((b, i) =>
              i === record.bootstrap ? { ...b, state: 'self' as const, reason: 'this peer' } : b,
            ),
          });
        }
        return refuse('ERR_SELF', 'connected to itself');
      }
      if (swarm.membership.get(remote.peerId)?.status === 'banned')
        return refuse('ERR_BANNED', 'banned');
      if (!remote.offers.every(isSafeFileName))
        return refuse('ERR_BAD_FILE_NAME', 'offers an unsafe file name');
      const transfers = { ...context.transfers };
      const activeByPeer = { ...context.activeByPeer };
      const existingId = activeByPeer[remote.peerId];
      if (existingId && existingId !== transferId) {
        // Both dialed each other: keep the connection dialed by the smaller peer ID, on both sides.
        const dialer = (r: TransferRecord) => (r.direction === 'outbound' ? selfId : remote.peerId);
        const existing = transfers[existingId]!;
        if (!(dialer(record) < dialer(existing)))
          return refuse('ERR_DUPLICATE', 'already connected');
        enqueue.sendTo(existingId, {
          type: 'transfer.close',
          code: 'ERR_DUPLICATE',
          reason: 'replaced by a new connection',
        });
        swarm.scheduler.removePeer(remote.peerId);
        transfers[existingId] = { ...existing, peerId: null };
      }
      const trading = Object.values(transfers).filter((r) => r.stage === 'trading').length;
      if (record.direction === 'inbound' && trading >= config.maxConnections) {
        return refuse('ERR_BUSY', `full (${config.maxConnections} connections)`, true);
      }
      const changed = swarm.membership.merge([remote], {
        peerId: remote.peerId,
        host: remoteAddress,
      });
      swarm.membership.setStatus(remote.peerId, 'connected');
      transfers[transferId] = { ...record, peerId: remote.peerId, remoteAddress, stage: 'trading' };
      activeByPeer[remote.peerId] = transferId;
      const bootstrap =
        record.bootstrap === null
          ? context.bootstrap
          : context.bootstrap.map((b, i) =>
              i === record.bootstrap ? { ...b, state: 'reached' as const } : b,
            );
      enqueue.assign({
        transfers,
        activeByPeer,
        bootstrap,
        met: context.met + 1,
        lastProgressAt: config.clock.now(),
      });
      enqueue.sendTo(transferId, { type: 'transfer.admit' });
      // Tell everyone else about the newcomer (or its newer entry).
      if (changed.length > 0) {
        for (const message of swarm.peersMessages(changed)) {
          context.announcements.next({ message, except: transferId });
        }
      }
      context.logger.verbose(
        `trading with ${remote.peerId} at ${remoteAddress} (${record.direction})`,
      );
    }),
    handleMessage: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.message');
      const { swarm, config } = context;
      const { transferId, peerId, message } = event;
      if (context.activeByPeer[peerId] !== transferId) return;
      const progress = () => enqueue.assign({ lastProgressAt: config.clock.now() });
      switch (message.type) {
        case 'manifest': {
          const verdict = swarm.judgeManifest(message);
          if (verdict.kind === 'bad') {
            context.logger.warn(`peer ${peerId} sent a bad manifest: ${verdict.problem}`);
            swarm.membership.setStatus(peerId, 'banned', {
              code: 'ERR_BAD_MANIFEST',
              message: verdict.problem,
            });
            enqueue.sendTo(transferId, {
              type: 'transfer.close',
              code: 'ERR_BAD_MANIFEST',
              reason: verdict.problem,
            });
            return;
          }
          if (verdict.kind === 'conflict') {
            swarm.conflicts.push({ name: message.name, peerId });
            context.logger.warn(`peer ${peerId} announces a different ${message.name}; ignored`);
            return;
          }
          if (verdict.kind === 'known') {
            swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
            progress();
            return;
          }
          swarm.addNetworkFile(verdict.manifest, peerId);
          swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
          context.opens.next(verdict.manifest);
          context.announcements.next({
            message: swarm.manifestMessage(swarm.files.get(message.name)!),
            except: transferId,
          });
          context.logger.verbose(
            `learned ${message.name} (${verdict.manifest.size} bytes) from ${peerId}`,
          );
          progress();
          return;
        }
        case 'have':
          if (!swarm.files.has(message.name)) return;
          for (const index of message.chunks) swarm.scheduler.peerHas(peerId, message.name, index);
          progress();
          return;
        case 'peers': {
          const remoteAddress = context.transfers[transferId]?.remoteAddress ?? '';
          const changed = swarm.membership.merge(message.peers, { peerId, host: remoteAddress });
          if (changed.length === 0) return;
          for (const m of swarm.peersMessages(changed))
            context.announcements.next({ message: m, except: transferId });
          progress();
          return;
        }
        case 'done': {
          const entry = swarm.membership.markComplete(peerId, message.seq);
          if (entry)
            for (const m of swarm.peersMessages([entry]))
              context.announcements.next({ message: m, except: transferId });
          return;
        }
        case 'reject':
          swarm.scheduler.released(peerId, message.name, message.index);
          return;
      }
    }),
    handleStored: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'chunk.stored');
      const { swarm } = context;
      if (event.outcome === 'duplicate') {
        swarm.duplicateChunks += 1;
        swarm.duplicateBytes += event.bytes;
        swarm.scheduler.released(event.peerId, event.name, event.index);
        return;
      }
      swarm.chunksReceived += 1;
      swarm.bytesReceived += event.bytes;
      const cancels = swarm.scheduler.received(
        event.name,
        event.index,
        context.config.clock.now(),
        event.peerId,
      );
      const byTransfer = new Map<string, Array<{ name: string; index: number }>>();
      for (const c of cancels) {
        const id = context.activeByPeer[c.peer];
        if (id)
          byTransfer.set(id, [...(byTransfer.get(id) ?? []), { name: c.file, index: c.index }]);
      }
      for (const [id, requests] of byTransfer)
        enqueue.sendTo(id, { type: 'transfer.cancel', requests });
      queueHave(context, event.name, event.index);
      swarm.noteChunk(
        event.name,
        event.peerId,
        event.bytes,
        event.outcome === 'completed',
        context.config.clock.now(),
      );
      if (event.outcome === 'completed') {
        const record = swarm.files.get(event.name);
        if (record) record.state = 'complete';
        context.logger.verbose(`received ${event.name} (verified)`);
      }
      enqueue.assign({ lastProgressAt: context.config.clock.now() });
    }),
    handleBad: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'chunk.bad');
      const { swarm, config } = context;
      swarm.scheduler.failed(event.peerId, event.name, event.index);
      const bad = swarm.countBad(event.peerId);
      context.logger.warn(
        `bad chunk ${event.index} of ${event.name} from ${event.peerId} (${bad})`,
      );
      if (bad >= config.maxBadChunks) {
        const reason = `${bad} chunks failed their hash`;
        swarm.membership.setStatus(event.peerId, 'banned', {
          code: 'ERR_BAD_CHUNKS',
          message: reason,
        });
        const id = context.activeByPeer[event.peerId];
        if (id) enqueue.sendTo(id, { type: 'transfer.close', code: 'ERR_BAD_CHUNKS', reason });
      }
    }),
    handleUnwanted: ({ context, event }) => {
      assertEvent(event, 'chunk.unwanted');
      context.swarm.scheduler.released(event.peerId, event.name, event.index);
    },
    handleOpened: ({ context, event }) => {
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
    handleFileFailed: ({ context, event }) => {
      assertEvent(event, 'file.failed');
      context.swarm.fileFailed(event.name, { code: event.code, message: event.message });
      context.logger.error(`cannot receive ${event.name}: ${event.message}`, { code: event.code });
    },
    handleClosed: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'transfer.closed');
      const { swarm, config } = context;
      const record = context.transfers[event.transferId];
      const { [event.transferId]: _gone, ...transfers } = context.transfers;
      const activeByPeer = { ...context.activeByPeer };
      const peerId = event.peerId ?? record?.peerId ?? null;
      const reason = { code: event.code, message: event.reason };
      if (peerId && activeByPeer[peerId] === event.transferId) {
        delete activeByPeer[peerId];
        swarm.scheduler.removePeer(peerId);
        if (event.code === 'DONE')
          swarm.membership.setStatus(peerId, 'dead', { code: 'DONE', message: 'left the swarm' });
        else if (event.code === 'ERR_STALLED') swarm.membership.setStatus(peerId, 'dead', reason);
        else swarm.membership.setStatus(peerId, 'unknown', reason);
        if (event.code === 'ERR_BUSY' && event.byRemote) {
          swarm.membership.markBusy(peerId, config.clock.now() + config.busyCooldownMs);
        }
        context.logger.verbose(`connection to ${peerId} ended: ${event.code} ${event.reason}`);
      } else if (peerId && event.stage === 'connect') {
        swarm.membership.setStatus(peerId, 'dead', reason);
      } else if (peerId && event.byRemote && event.code === 'ERR_BUSY') {
        swarm.membership.markBusy(peerId, config.clock.now() + config.busyCooldownMs);
      } else if (
        peerId &&
        event.byRemote &&
        !activeByPeer[peerId] &&
        event.code !== 'ERR_DUPLICATE'
      ) {
        swarm.membership.setStatus(peerId, 'dead', reason);
      }
      const bootstrap =
        record?.bootstrap == null
          ? context.bootstrap
          : context.bootstrap.map((b, i) => {
              if (i !== record.bootstrap || b.state !== 'dialing') return b;
              return event.stage === 'connect'
                ? {
                    ...b,
                    state: 'failed' as const,
                    reason: `${event.code}: ${event.reason}`,
                    retryAt: config.clock.now() + config.bootstrapRetryMs,
                  }
                : { ...b, state: 'reached' as const };
            });
      enqueue.assign({ transfers, activeByPeer, bootstrap });
    }),
    /** Asks the scheduler for new requests and sends them to the transfers. */
    schedule: enqueueActions(({ context, enqueue }) => {
      const assignments = context.swarm.scheduler.next(context.config.clock.now());
      if (assignments.length === 0) return;
      const byTransfer = new Map<string, Array<{ name: string; index: number }>>();
      for (const a of assignments) {
        context.swarm.noteRequest(a.file, context.config.clock.now());
        const id = context.activeByPeer[a.peer];
        if (!id) {
          context.swarm.scheduler.released(a.peer, a.file, a.index);
          continue;
        }
        byTransfer.set(id, [...(byTransfer.get(id) ?? []), { name: a.file, index: a.index }]);
      }
      for (const [id, requests] of byTransfer)
        enqueue.sendTo(id, { type: 'transfer.request', requests });
    }),
    markComplete: assign(({ context }) => {
      const entry = context.swarm.membership.updateSelf({ complete: true });
      if (entry) context.announcements.next({ message: { type: 'done', seq: entry.seq } });
      const now = context.config.clock.now();
      context.logger.info(
        `complete: ${context.swarm.files.size} file(s) after ${Math.round(now - context.startedAt)} ms`,
      );
      return { completeAt: context.completeAt ?? now };
    }),
    markIncomplete: ({ context }) => {
      const entry = context.swarm.membership.updateSelf({ complete: false });
      if (entry)
        for (const message of context.swarm.peersMessages([entry]))
          context.announcements.next({ message });
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
      const complete = context.swarm.isComplete(context.config.expect, context.met);
      for (const id of Object.keys(context.transfers)) {
        enqueue.sendTo(id, {
          type: 'transfer.close',
          code: complete ? 'DONE' : 'ERR_SHUTTING_DOWN',
          reason: complete ? 'holds every file' : 'shutting down',
        });
      }
    }),
    forgetTransfer: assign({
      transfers: ({ context, event }) => {
        assertEvent(event, 'transfer.closed');
        const { [event.transferId]: _gone, ...rest } = context.transfers;
        return rest;
      },
    }),
    refuseLate: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'transfer.hello');
      enqueue.sendTo(event.transferId, {
        type: 'transfer.refuse',
        code: 'ERR_SHUTTING_DOWN',
        reason: 'leaving',
      });
    }),
    failWith: assign({
      failure: ({ context, event }) => {
        if (context.failure) return context.failure;
        const error = (event as { error?: unknown }).error;
        if (error !== undefined) return describeError(error);
        if (event.type === 'peer.stop') return { code: 'ERR_STOPPED', message: event.reason };
        return { code: 'ERR_UNKNOWN', message: 'failed' };
      },
    }),
    failNoPeers: assign({
      failure: ({ context }) =>
        context.failure ?? {
          code: 'ERR_NO_PEERS',
          message: `no peer reached in ${context.config.discoveryTimeoutMs} ms (bootstrap: ${context.bootstrap.map((b) => `${b.host}:${b.port} ${b.state}${b.reason ? ` (${b.reason})` : ''}`).join(', ') || 'none'})`,
        },
    }),
    failMissing: assign({
      failure: ({ context }) => {
        const missing = context.swarm.missing(context.config.expect);
        return (
          context.failure ?? {
            code: 'ERR_MISSING_FILES',
            message: `${missing.length} file(s) cannot be obtained: ${missing.map((m) => m.name).join(', ')}`,
          }
        );
      },
    }),
    stopFromUser: assign({
      failure: ({ context, event }) => {
        assertEvent(event, 'peer.stop');
        if (context.failure || context.swarm.isComplete(context.config.expect, context.met))
          return context.failure;
        return { code: 'ERR_STOPPED', message: event.reason };
      },
    }),
  },
  guards: {
    isComplete: ({ context }) => context.swarm.isComplete(context.config.expect, context.met),
    notComplete: ({ context }) => !context.swarm.isComplete(context.config.expect, context.met),
    hasMet: ({ context }) => context.met > 0,
    isPeersMessage: ({ event }) =>
      event.type === 'transfer.message' && event.message.type === 'peers',
    /** Nothing asked of anyone and no connection being set up: waiting on the swarm. */
    nothingToDo: ({ context }) =>
      context.swarm.scheduler.inFlight() === 0 &&
      Object.values(context.transfers).every((r) => r.stage === 'trading'),
    somethingToDo: ({ context }) =>
      context.swarm.scheduler.inFlight() > 0 ||
      Object.values(context.transfers).some((r) => r.stage !== 'trading'),
    lingeredEnough: ({ context }) =>
      context.config.clock.now() -
        Math.max(context.completeAt ?? 0, context.lastProgressAt, context.uploader.lastSentAt) >=
      context.config.lingerMs,
    gaveUp: ({ context }) =>
      context.config.clock.now() - Math.max(context.waitingSince, context.lastProgressAt) >=
      context.config.giveUpAfterMs,
    /** With `expect`, everyone we know is complete; without it, we cannot know, so linger on. */
    othersComplete: ({ context }) =>
      context.config.expect !== null && context.swarm.membership.othersComplete(),
    noTransfers: ({ context }) => Object.keys(context.transfers).length === 0,
    succeeded: ({ context }) =>
      context.failure === null && context.swarm.isComplete(context.config.expect, context.met),
  },
  delays: {
    discoveryTimeout: ({ context }) => context.config.discoveryTimeoutMs,
    closeTimeout: ({ context }) => context.config.closeTimeoutMs,
  },
}).createMachine({
  id: 'peer',
  context: ({ input }) => {
    const config = resolveConfig(input);
    const peerId = input.peerId ?? newPeerId();
    const self: PeerEntry = { peerId, host: '', port: 1, seq: 0, complete: false, offers: [] };
    const swarm = new SwarmState(self, { maxInFlightPerPeer: input.maxInFlightPerPeer ?? 4 });
    const limiter = config.uploadLimit
      ? new TokenBucket(
          config.uploadLimit,
          Math.max(config.chunkSize, config.uploadLimit / 50),
          config.clock.now(),
        )
      : null;
    return {
      config,
      logger: input.logger ?? getLogger('peer', { peer: peerId }),
      swarm,
      uploader: new Uploader({
        clock: config.clock,
        lookup: (name) => swarm.lookup(name),
        limiter,
      }),
      chunks: new Subject<IncomingChunk>(),
      opens: new Subject<Manifest>(),
      announcements: new Subject<Announcement>(),
      pendingHaves: new Map(),
      counters: { sent: 0, received: 0 },
      listener: null,
      address: null,
      transfers: {},
      activeByPeer: {},
      nextTransfer: 1,
      bootstrap: (input.bootstrap ?? []).map((b) => ({
        ...b,
        state: 'pending' as const,
        reason: null,
        retryAt: 0,
      })),
      met: 0,
      startedAt: config.clock.now(),
      completeAt: null,
      lastProgressAt: config.clock.now(),
      waitingSince: config.clock.now(),
      failure: null,
    };
  },
  initial: 'preparing',
  states: {
    preparing: {
      invoke: {
        src: 'prepare',
        input: ({ context }) => ({ config: context.config }),
        onDone: { target: 'swarm', actions: 'setUp' },
        onError: { target: 'failed', actions: 'failWith' },
      },
      on: { 'peer.stop': { target: 'failed', actions: 'failWith' } },
    },
    swarm: {
      invoke: [
        { src: 'acceptConnections', input: ({ context }) => ({ listener: context.listener! }) },
        { src: 'storage', input: ({ context }) => ({ context }) },
        {
          src: 'ticker',
          input: ({ context }) => ({ clock: context.config.clock, ms: context.config.tickMs }),
        },
        { src: 'holdResources', input: ({ context }) => ({ context }) },
      ],
      entry: 'dial',
      on: {
        'connection.accepted': { actions: 'spawnInbound' },
        'transfer.hello': { actions: ['admit', 'schedule'] },
        'transfer.message': [
          // Gossip may name peers worth dialing; everything else only changes what to ask.
          { guard: 'isPeersMessage', actions: ['handleMessage', 'dial', 'schedule'] },
          { actions: ['handleMessage', 'schedule'] },
        ],
        'transfer.closed': { actions: ['handleClosed', 'dial', 'schedule'] },
        'chunk.stored': { actions: ['handleStored', 'schedule'] },
        'chunk.bad': { actions: ['handleBad', 'schedule'] },
        'chunk.unwanted': { actions: ['handleUnwanted', 'schedule'] },
        'file.opened': { actions: ['handleOpened', 'schedule'] },
        'file.failed': { actions: 'handleFileFailed' },
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
          entry: 'markIncomplete',
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
          entry: 'markComplete',
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
        'transfer.hello': { actions: 'refuseLate' },
        'peer.stop': {},
      },
    },
    finishing: {
      invoke: {
        src: 'closeFiles',
        input: ({ context }) => ({ context }),
        onDone: [{ guard: 'succeeded', target: 'done' }, { target: 'failed' }],
        onError: { target: 'failed', actions: 'failWith' },
      },
    },
    done: { type: 'final' },
    failed: {
      type: 'final',
      entry: ({ context }) =>
        context.logger.error(`peer failed: ${context.failure?.message ?? 'files missing'}`),
    },
  },
  output: ({ context }) =>
    summarizePeer({
      swarm: context.swarm,
      uploader: context.uploader,
      counters: context.counters,
      address: context.address,
      dir: context.config.dir,
      expect: context.config.expect,
      bootstrap: context.bootstrap,
      failure: context.failure,
      complete: context.swarm.isComplete(context.config.expect, context.met),
      durationMs: context.config.clock.now() - context.startedAt,
      completeAfterMs: context.completeAt === null ? null : context.completeAt - context.startedAt,
      startedAt: context.startedAt,
    }),
});

function resolveConfig(input: PeerInput): PeerConfig {
  const maxConnections = Math.max(1, input.maxConnections ?? 8);
  const timing = input.timing ?? {};
  return {
    transport: input.transport,
    listen: input.listen,
    advertise: input.advertise ?? null,
    files: input.files,
    dir: input.dir,
    expect: input.expect ?? null,
    maxConnections,
    // Dialing fewer than half the slots leaves room for latecomers to be accepted somewhere.
    maxOutbound: Math.max(1, Math.floor((maxConnections - 1) / 2)),
    uploadLimit: input.uploadLimit ?? null,
    lingerMs: input.lingerMs ?? 10_000,
    chunkSize: input.chunkSize ?? DEFAULT_CHUNK_SIZE,
    maxBadChunks: input.maxBadChunks ?? 3,
    discoveryTimeoutMs: input.discoveryTimeoutMs ?? 30_000,
    giveUpAfterMs: input.giveUpAfterMs ?? 15_000,
    busyCooldownMs: input.busyCooldownMs ?? 2000,
    bootstrapRetryMs: input.bootstrapRetryMs ?? 1000,
    tickMs: input.tickMs ?? 250,
    closeTimeoutMs: input.closeTimeoutMs ?? 2000,
    timing: {
      connectTimeoutMs: timing.connectTimeoutMs ?? 5000,
      handshakeTimeoutMs: timing.handshakeTimeoutMs ?? 5000,
      stallTimeoutMs: timing.stallTimeoutMs ?? 10_000,
      retry: { attempts: 3, initialDelayMs: 200, maxDelayMs: 2000, ...timing.retry },
    },
    durable: input.durable ?? true,
    localAddress: input.localAddress,
    clock: input.clock ?? systemClock,
  };
}

function transferInput(
  context: PeerContext,
  self: { send: (event: PeerEvent) => void } & object,
  id: string,
  direction: 'outbound' | 'inbound',
  where: { target?: { host: string; port: number }; channel?: ByteChannel },
) {
  const { swarm, config } = context;
  return {
    id,
    direction,
    transport: config.transport,
    ...where,
    ...(config.localAddress ? { localAddress: config.localAddress } : {}),
    self: () => swarm.membership.self,
    peer: self as never,
    uploader: context.uploader,
    chunks: context.chunks,
    announcements$: context.announcements.asObservable(),
    greeting: (remote: string) => swarm.greeting(remote),
    tailor: (remote: string, message: PeerMessage) => tailorFor(swarm, remote, message),
    counters: context.counters,
    timing: config.timing,
    logger: context.logger,
  };
}

/**
 * Cuts what a broadcast tells one remote down to what it does not know yet: `have`s only for
 * chunks it lacks, and no forwarded manifest (with nothing held yet) of a file it announced
 * to us itself. Control bytes stay a small fraction of the data even with many peers.
 */
function tailorFor(swarm: SwarmState, remote: string, message: PeerMessage): PeerMessage | null {
  if (message.type === 'have') {
    const chunks = message.chunks.filter(
      (i) => !swarm.scheduler.peerHasChunk(remote, message.name, i),
    );
    if (chunks.length === 0) return null;
    return chunks.length === message.chunks.length ? message : { ...message, chunks };
  }
  if (message.type === 'manifest' && message.have.every((b) => b === 0)) {
    return swarm.scheduler.peerKnows(remote, message.name) ? null : message;
  }
  return message;
}

/** Collects `have`s and announces them once per turn of the event loop, one message per file. */
function queueHave(context: PeerContext, name: string, index: number): void {
  const pending = context.pendingHaves;
  if (pending.size === 0) {
    queueMicrotask(() => {
      for (const [file, chunks] of pending) {
        for (let i = 0; i < chunks.length; i += 4096) {
          context.announcements.next({
            message: { type: 'have', name: file, chunks: chunks.slice(i, i + 4096) },
          });
        }
      }
      pending.clear();
    });
  }
  pending.set(name, [...(pending.get(name) ?? []), index]);
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
