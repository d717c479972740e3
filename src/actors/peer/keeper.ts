import type { Subscription } from 'rxjs';
import { type EventObject, fromCallback } from 'xstate';
import type { Logger } from '../../log/logger';
import { signManifest } from '../../p2p/ownership';
import { sendPaced } from '../../p2p/pacedSend';
import { reportSwarm } from '../../p2p/peerSummary';
import { type StorageEvent, storagePipeline } from '../../p2p/storagePipeline';
import type { ManifestMessage, PeerMessage } from '../../transport';
import type { PeerConfig } from './config';
import {
  failConflict,
  failFile,
  judge,
  learnFile,
  mergePeers,
  nextRequests,
  noteKnownFile,
  recordStored,
  settleFile,
} from './exchange';
import { announceEntries } from './gossip';
import { announce, createKeep, type Keep, wireBytes } from './keep';
import type {
  HaveJudgement,
  KeeperEvent,
  KeeperToPeerEvent,
  ManifestJudgement,
  PeerToKeeperEvent,
  TransferToKeeperEvent,
} from './keeperEvents';
import {
  farewellRecords,
  noteLocalHost,
  recordMessages,
  refreshOwnRecord,
  takeRecords,
} from './records';
import type { Prepared } from './resources';
import { decisionKey, readView, type SwarmView } from './view';

export interface KeeperInput {
  config: PeerConfig;
  logger: Logger;
}

type Send = (event: KeeperToPeerEvent) => void;

/**
 * The peer's swarm keeper: the one actor that owns the peer's mutable helpers (`keep.ts`) and
 * its data path. Transfers hand it chunk payloads, requests and cancels (straight to the
 * storage pipeline and the uploader: data never passes through a machine's transition) and
 * their control messages, which it passes on to the peer machine judged
 * (`transfer.manifest` with its verdict, …). The peer machine decides; the keeper does what
 * it is told (`keeper.*` commands) and answers with plain values: a {@link SwarmView}
 * (`swarm.view`) whenever what the machine decides on changes, and with every tick.
 */
export const swarmKeeper = fromCallback<KeeperEvent, KeeperInput, EventObject>(
  ({ input, sendBack, receive }) => {
    const keep = createKeep(input.config, input.logger);
    const send = sendBack as Send;
    let missing: string[] = [];
    let lastKey = '';
    let lastBusy = false;
    let accepting = true;
    /** Sends the view when what the machine decides on changed (or always, when `force`). */
    const flush = (force = false) => {
      const view: SwarmView = readView(
        keep.swarm,
        keep.uploader,
        wireBytes(keep),
        missing,
        farewellRecords(keep),
      );
      const key = decisionKey(view);
      if (!force && key === lastKey) return;
      lastKey = key;
      lastBusy = view.inFlight > 0;
      send({ type: 'swarm.view', view });
    };
    /**
     * After bookkeeping that can change nothing the machine decides on but whether chunks
     * are in flight (requests, availability, a chunk stored short of a file), the view is
     * read only when that flips; its figures are fresh again with the next tick.
     */
    const flushIfBusyChanged = () => {
      if (keep.swarm.scheduler.inFlight() > 0 !== lastBusy) flush();
    };
    let storage: Subscription | null = storagePipeline(keep.opens, keep.chunks, {
      dir: input.config.dir,
      durable: input.config.durable,
      disk: {
        reserveBytes: input.config.quotas.diskReserveBytes,
        ...(input.config.freeSpace ? { probe: input.config.freeSpace } : {}),
      },
      receiving: (name) => keep.swarm.receiving(name),
    }).subscribe((event) => {
      const out = onStorage(keep, event);
      if (LIGHT_STORAGE(event)) flushIfBusyChanged();
      else flush();
      if (out) send(out);
    });
    const leaveSwarm = () => {
      storage?.unsubscribe();
      storage = null;
      keep.uploader.stop();
      if (accepting && keep.listener) {
        accepting = false;
        keep.listener.accept((channel) => channel.destroy());
        void keep.listener.close().catch(() => undefined);
      }
      for (const record of keep.swarm.files.values()) void settleFile(record);
    };
    receive((event) => {
      switch (event.type) {
        case 'keeper.tick':
          refreshOwnRecord(keep);
          missing = keep.swarm.missing(input.config.expect).map((m) => m.name);
          flush(true);
          send({ type: 'peer.tick' });
          return;
        case 'keeper.adopt':
          adopt(keep, event.prepared, send);
          flush();
          return;
        case 'keeper.leaveSwarm':
          leaveSwarm();
          return;
        case 'keeper.close':
          leaveSwarm();
          void closeAll(keep).then(() =>
            send({
              type: 'swarm.closed',
              report: reportSwarm(keep.swarm, keep.uploader, wireBytes(keep), input.config.expect),
            }),
          );
          return;
        case 'keeper.records':
          takeRecords(keep, event.transferId, event.peerId, event.message.records);
          flush();
          return;
        default:
          if (event.type.startsWith('transfer.')) {
            send(judged(keep, event as Forwardable));
            return;
          }
          if (onTransfer(keep, event as TransferToKeeperEvent)) return;
          onCommand(keep, event as PeerToKeeperEvent);
          if (LIGHT_COMMANDS.has(event.type)) flushIfBusyChanged();
          else flush();
      }
    });
    return leaveSwarm;
  },
);

/** Commands that change only chunk availability and requests (see `flushIfBusyChanged`). */
const LIGHT_COMMANDS = new Set([
  'keeper.schedule',
  'keeper.peerHas',
  'keeper.knownFile',
  'keeper.release',
  'keeper.dropPeer',
]);

/** Storage outcomes that leave every file's state as it was. */
const LIGHT_STORAGE = (event: StorageEvent) =>
  (event.type === 'chunk.stored' && event.outcome !== 'completed') ||
  event.type === 'chunk.unwanted';

type Forwardable = Extract<TransferToKeeperEvent, { type: `transfer.${string}` }>;

/** Our own files, signed, and the listener: the swarm begins. */
function adopt(keep: Keep, prepared: Prepared, send: Send): void {
  const { swarm, config } = keep;
  const { sources, listener } = prepared;
  for (const source of sources)
    swarm.addOwn(source, signManifest(config.identity, source.manifest));
  const wildcard = listener.host === '0.0.0.0' || listener.host === '::';
  swarm.membership.updateSelf({
    host: config.advertise?.host ?? (wildcard ? '' : listener.host),
    port: config.advertise?.port ?? listener.port,
    offers: sources.map((s) => s.manifest.name),
  });
  keep.listener = listener;
  listener.accept((channel) => send({ type: 'connection.accepted', channel }));
  keep.logger.info(
    `peer ${swarm.membership.self.peerId} listening on ${listener.host}:${listener.port}, sharing ${sources.length} file(s)`,
  );
}

/**
 * What we tell a newly admitted peer: our files (`SwarmState.greeting`), then the signed
 * records we know (ours first), then whom we know (`peers`, which ends a greeting).
 */
function greetingOf(keep: Keep, peerId: string): PeerMessage[] {
  const greeting = keep.swarm.greeting(peerId);
  const end = greeting.findIndex((m) => m.type === 'peers');
  const at = end === -1 ? greeting.length : end;
  return [...greeting.slice(0, at), ...recordMessages(keep), ...greeting.slice(at)];
}

/** Stops uploads, closes the listener and every file, waiting for them. */
async function closeAll(keep: Keep): Promise<void> {
  keep.uploader.stop();
  await keep.listener?.close().catch(() => undefined);
  await Promise.all([...keep.swarm.files.values()].map(settleFile));
}

/** A control message, passed on to the peer with what it is to us. */
function judged(keep: Keep, event: Forwardable): KeeperToPeerEvent {
  switch (event.type) {
    case 'transfer.manifest':
      return { ...event, verdict: judgeManifest(keep, event.peerId, event.message) };
    case 'transfer.have':
      return { ...event, verdict: judgeHave(keep, event.peerId, event.message) };
    case 'transfer.peers': {
      const host = keep.links.get(event.transferId)?.connection.remoteAddress ?? '';
      const news = keep.swarm.membership.news(event.message.peers, { peerId: event.peerId, host });
      return { ...event, news: news.length > 0 };
    }
    default:
      return event;
  }
}

function judgeManifest(keep: Keep, peerId: string, message: ManifestMessage): ManifestJudgement {
  const verdict = judge(keep, message, peerId);
  if (verdict.kind === 'bad') return { kind: 'bad', code: verdict.code, problem: verdict.problem };
  if (verdict.kind === 'ignored')
    return {
      kind: 'ignored',
      code: verdict.code,
      ...(verdict.limit ? { limit: verdict.limit } : {}),
    };
  return { kind: verdict.kind };
}

/** A `have` that only repeats chunks the peer told us of already is no news. */
function judgeHave(
  keep: Keep,
  peerId: string,
  message: { name: string; chunks: number[] },
): HaveJudgement {
  const { scheduler, files } = keep.swarm;
  if (!files.has(message.name)) return 'unknownFile';
  return message.chunks.every((i) => scheduler.peerHasChunk(peerId, message.name, i))
    ? 'nothingNew'
    : 'news';
}

/** The data path and the links; false for anything else. */
function onTransfer(keep: Keep, event: TransferToKeeperEvent): boolean {
  switch (event.type) {
    case 'keeper.chunk':
      keep.chunks.next(event);
      return true;
    case 'keeper.request':
      keep.uploader.request(event.transferId, event.name, event.index);
      return true;
    case 'keeper.cancel':
      keep.uploader.cancel(event.transferId, event.name, event.index);
      return true;
    case 'keeper.attach':
      keep.links.set(event.transferId, {
        peerId: event.peerId,
        connection: event.connection,
        transfer: event.transfer,
      });
      keep.uploader.attach(event.transferId, event.connection);
      noteLocalHost(keep, event.connection.localAddress);
      return true;
    case 'keeper.detach':
      keep.links.delete(event.transferId);
      keep.uploader.detach(event.transferId);
      return true;
    case 'keeper.greet': {
      const link = keep.links.get(event.transferId);
      if (!link) return true;
      // Paced: a greeting of many large manifests never fills the send cap (§9.10).
      sendPaced(link.connection, greetingOf(keep, event.peerId), {
        clock: keep.config.clock,
        maxQueuedBytes: keep.config.quotas.maxSendBufferBytes / 2,
      });
      return true;
    }
    case 'keeper.ended':
      keep.ended.sent += event.sent;
      keep.ended.received += event.received;
      return true;
    default:
      return false;
  }
}

/** What the peer machine decided, done on the helpers. */
function onCommand(keep: Keep, event: PeerToKeeperEvent): void {
  const { swarm } = keep;
  switch (event.type) {
    case 'keeper.ban':
      swarm.membership.setStatus(event.peerId, 'banned', {
        code: event.code,
        message: event.message,
      });
      return;
    case 'keeper.conflict':
      failConflict(keep, event.transferId, event.message);
      return;
    case 'keeper.knownFile':
      noteKnownFile(keep, event.peerId, event.message);
      return;
    case 'keeper.learnFile':
      learnFile(keep, event.transferId, event.peerId, event.message);
      return;
    case 'keeper.peerHas':
      for (const index of event.message.chunks)
        swarm.scheduler.peerHas(event.peerId, event.message.name, index);
      return;
    case 'keeper.mergePeers': {
      const host = keep.links.get(event.transferId)?.connection.remoteAddress ?? '';
      mergePeers(keep, event.transferId, event.peerId, event.message.peers, host);
      return;
    }
    case 'keeper.peerDone': {
      const entry = swarm.membership.markComplete(event.peerId, event.seq);
      if (entry) announceEntries(swarm, (a) => announce(keep, a), [entry], event.transferId);
      return;
    }
    case 'keeper.release':
      swarm.scheduler.released(event.peerId, event.name, event.index);
      return;
    case 'keeper.dropPeer':
      swarm.scheduler.removePeer(event.peerId);
      return;
    case 'keeper.judgeClosed': {
      const { verdict } = event;
      if (verdict.wasActive) swarm.scheduler.removePeer(verdict.peerId);
      if (verdict.status)
        swarm.membership.setStatus(verdict.peerId, verdict.status.value, verdict.status.reason);
      if (verdict.busyUntil !== null) swarm.membership.markBusy(verdict.peerId, verdict.busyUntil);
      return;
    }
    case 'keeper.schedule':
      for (const [link, requests] of nextRequests(keep))
        link.transfer.send({ type: 'transfer.request', requests });
      return;
    case 'keeper.announceSelf': {
      const entry = swarm.membership.updateSelf({ complete: event.complete });
      if (!entry) return;
      if (event.complete) announce(keep, { message: { type: 'done', seq: entry.seq } });
      else announceEntries(swarm, (a) => announce(keep, a), [entry]);
      return;
    }
    default:
      return;
  }
}

/** A storage outcome: its bookkeeping done here, then passed on to the machine. */
function onStorage(keep: Keep, event: StorageEvent): KeeperToPeerEvent | null {
  const { swarm, logger } = keep;
  switch (event.type) {
    case 'chunk.stored':
      for (const [link, requests] of recordStored(keep, event))
        link.transfer.send({ type: 'transfer.cancel', requests });
      return event;
    case 'chunk.bad': {
      swarm.scheduler.failed(event.peerId, event.name, event.index);
      const bad = swarm.countBad(event.peerId);
      logger.warn(`bad chunk ${event.index} of ${event.name} from ${event.peerId} (${bad})`);
      return { ...event, bad };
    }
    case 'chunk.unwanted':
      swarm.scheduler.released(event.peerId, event.name, event.index);
      return event;
    case 'file.opened': {
      swarm.fileOpened(event.name, event.file);
      // A resumed or already present file: tell everyone what we hold of it.
      if (event.file.have.count > 0)
        announce(keep, { message: swarm.manifestMessage(swarm.files.get(event.name)!) });
      if (event.file.complete) logger.info(`${event.name} already here (verified)`);
      return { type: 'file.opened', name: event.name };
    }
    case 'file.failed':
      failFile(keep, event.name, { code: event.code, message: event.message });
      logger.error(`cannot receive ${event.name}: ${event.message}`, { code: event.code });
      return event;
  }
}
