import type { StorageEvent } from '../../p2p/storagePipeline';
import { type ManifestVerdict, signedManifestMessage } from '../../p2p/swarm';
import { type ReceivingFile, removeFile } from '../../storage/chunkStore';
import type { ManifestMessage } from '../../transport';
import type { PeerContext } from './context';
import { announceEntries } from './gossip';

/**
 * The peer's bookkeeping effects: each takes the context's helpers (the swarm, the
 * announcements) and changes them; none touches the machine's context values. The machine
 * calls them from named actions, after its guards decided which applies.
 */

type Requests = Map<string, Array<{ name: string; index: number }>>;

/** Groups `(peer, file, index)` requests by the transfer of each peer (unconnected peers skipped). */
function byTransfer(
  context: PeerContext,
  items: Iterable<{ peer: string; file: string; index: number }>,
  skipped?: (item: { peer: string; file: string; index: number }) => void,
): Requests {
  const out: Requests = new Map();
  for (const item of items) {
    const id = context.activeByPeer[item.peer];
    if (!id) {
      skipped?.(item);
      continue;
    }
    const list = out.get(id);
    const request = { name: item.file, index: item.index };
    if (list) list.push(request);
    else out.set(id, [request]);
  }
  return out;
}

/** The scheduler's next requests, by transfer; requests for peers gone meanwhile are released. */
export function nextRequests(context: PeerContext): Requests {
  const { swarm, config } = context;
  const now = config.clock.now();
  const assignments = swarm.scheduler.next(now);
  for (const a of assignments) swarm.noteRequest(a.file, now);
  return byTransfer(context, assignments, (a) => swarm.scheduler.released(a.peer, a.file, a.index));
}

/** What a `manifest` message is to us: new, known, a conflict or bad (pure). */
export const judge = (context: PeerContext, message: ManifestMessage): ManifestVerdict =>
  context.swarm.judgeManifest(message);

/** A peer announced a file we hold the same manifest of: note which chunks it has. */
export function noteKnownFile(
  context: PeerContext,
  peerId: string,
  message: ManifestMessage,
): void {
  const verdict = judge(context, message);
  if (verdict.kind !== 'known') return;
  context.swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
}

/** A file we did not know: record it, open it for receiving, and pass the manifest on. */
export function learnFile(
  context: PeerContext,
  transferId: string,
  peerId: string,
  message: ManifestMessage,
): void {
  const { swarm } = context;
  const verdict = judge(context, message);
  if (verdict.kind !== 'new') return;
  swarm.addNetworkFile(verdict.signed, peerId);
  swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
  context.opens.next(verdict.signed.manifest);
  context.announcements.next({
    message: swarm.manifestMessage(swarm.files.get(message.name)!),
    except: transferId,
  });
  context.logger.verbose(
    `learned ${message.name} (${verdict.signed.manifest.size} bytes, owner ${verdict.signed.owner}) from ${peerId}`,
  );
}

/** Membership entries from a `peers` message: taken in and passed on when new. */
export function mergePeers(
  context: PeerContext,
  transferId: string,
  peerId: string,
  entries: Parameters<PeerContext['swarm']['membership']['merge']>[0],
): void {
  const host = context.transfers[transferId]?.remoteAddress ?? '';
  const { membership } = context.swarm;
  const changed = membership.merge(entries, { peerId, host });
  // The sender's own entry (where it listens, what it offers) arrives in its greeting.
  if (context.activeByPeer[peerId] === transferId && membership.get(peerId)?.status === 'unknown')
    membership.setStatus(peerId, 'connected');
  announceEntries(context.swarm, context.announcements, changed, transferId);
}

/** A verified chunk was stored: count it, cancel its duplicates elsewhere, announce it. */
export function recordStored(
  context: PeerContext,
  event: Extract<StorageEvent, { type: 'chunk.stored' }>,
): Requests {
  const { swarm, config } = context;
  const now = config.clock.now();
  if (event.outcome === 'duplicate') {
    swarm.duplicateChunks += 1;
    swarm.duplicateBytes += event.bytes;
    swarm.scheduler.released(event.peerId, event.name, event.index);
    return new Map();
  }
  swarm.chunksReceived += 1;
  swarm.bytesReceived += event.bytes;
  const cancels = swarm.scheduler.received(event.name, event.index, now, event.peerId);
  context.haves.add(event.name, event.index);
  swarm.noteChunk(event.name, event.peerId, event.bytes, event.outcome === 'completed', now);
  if (event.outcome === 'completed') {
    const record = swarm.files.get(event.name);
    if (record) record.state = 'complete';
    context.logger.verbose(`received ${event.name} (verified)`);
  }
  return byTransfer(context, cancels);
}

/**
 * A second content for a name we know (§9.6): the name fails for good on this peer, naming
 * both owners; its `.part` (or the file, if it was received whole) is deleted; when the content is new to us, both contents are passed
 * on (once), so that every peer holding either learns of the conflict too.
 */
export function failConflict(
  context: PeerContext,
  transferId: string,
  message: ManifestMessage,
): void {
  const verdict = judge(context, message);
  if (verdict.kind !== 'conflict') return;
  const { swarm } = context;
  const record = swarm.files.get(message.name);
  const receiving = record?.state === 'receiving' ? (record.stored as ReceivingFile | null) : null;
  // A file received whole before the other content came: its owner is disputed now, so it
  // does not stay under that name (our own files always stay).
  const received =
    record?.origin === 'network' && record.state === 'complete'
      ? (record.stored?.path ?? null)
      : null;
  const error = swarm.conflict(verdict.signed);
  receiving?.discard().catch(() => undefined);
  if (received) void removeFile(received);
  if (verdict.fresh) {
    // Both contents go out, once each: the new one to everyone else, and the one we held to
    // everyone, its sender included (it may hold only the new one and not know yet).
    context.announcements.next({
      message: signedManifestMessage(verdict.signed, new Uint8Array(message.have.length)),
      except: transferId,
    });
    if (record) context.announcements.next({ message: swarm.manifestMessage(record) });
  }
  context.logger.error(`${message.name}: ${error.message}`, { code: error.code });
}
