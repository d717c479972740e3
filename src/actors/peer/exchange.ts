import type { ErrorInfo } from '../../errors';
import type { StorageEvent } from '../../p2p/storagePipeline';
import type { FileRecord } from '../../p2p/swarm';
import { type ManifestVerdict, signedManifestMessage } from '../../p2p/swarm';
import { type ReceivingFile, removeFile } from '../../storage/chunkStore';
import type { ManifestMessage } from '../../transport';
import { announceEntries } from './gossip';
import { announce, type Keep, type Link, routes } from './keep';

/**
 * The keeper's bookkeeping effects: each changes the helpers of a {@link Keep} (the swarm,
 * the links); none touches a machine's context. The keeper calls them when the peer
 * machine tells it to, after the machine's guards decided which applies.
 */

type Requests = Map<Link, Array<{ name: string; index: number }>>;

/** Groups `(peer, file, index)` requests by the link of each peer (unconnected peers skipped). */
function byLink(
  keep: Keep,
  items: Iterable<{ peer: string; file: string; index: number }>,
  skipped?: (item: { peer: string; file: string; index: number }) => void,
): Requests {
  const out: Requests = new Map();
  const links = routes(keep);
  for (const item of items) {
    const link = links.get(item.peer);
    if (!link) {
      skipped?.(item);
      continue;
    }
    const list = out.get(link);
    const request = { name: item.file, index: item.index };
    if (list) list.push(request);
    else out.set(link, [request]);
  }
  return out;
}

/** The scheduler's next requests, by link; requests for peers gone meanwhile are released. */
export function nextRequests(keep: Keep): Requests {
  const { swarm, config } = keep;
  const now = config.clock.now();
  const assignments = swarm.scheduler.next(now);
  if (assignments.length === 0) return new Map();
  for (const a of assignments) swarm.noteRequest(a.file, now);
  return byLink(keep, assignments, (a) => swarm.scheduler.released(a.peer, a.file, a.index));
}

/**
 * What a `manifest` message from `peerId` (when known) is to us: new, known, a conflict,
 * ignored (trust list, quotas of its sender and owner) or bad (pure).
 */
export const judge = (keep: Keep, message: ManifestMessage, peerId?: string): ManifestVerdict =>
  keep.swarm.judgeManifest(message, peerId);

/** A peer announced a file we hold the same manifest of: note which chunks it has. */
export function noteKnownFile(keep: Keep, peerId: string, message: ManifestMessage): void {
  const verdict = judge(keep, message, peerId);
  if (verdict.kind !== 'known') return;
  keep.swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
}

/**
 * A file we did not know: record it, open it for receiving, and pass the manifest on. The
 * machine judged the manifest new when it arrived; another manifest of that name may have
 * been taken in since, so it is judged again here and taken as what it is now.
 */
export function learnFile(
  keep: Keep,
  transferId: string,
  peerId: string,
  message: ManifestMessage,
): void {
  const { swarm } = keep;
  const verdict = judge(keep, message, peerId);
  if (verdict.kind === 'known') noteKnownFile(keep, peerId, message);
  if (verdict.kind === 'conflict') failConflict(keep, transferId, message);
  if (verdict.kind !== 'new') return;
  swarm.addNetworkFile(verdict.signed, peerId);
  swarm.scheduler.setPeerFile(peerId, message.name, verdict.count, verdict.bits);
  keep.opens.next(verdict.signed.manifest);
  announce(keep, {
    message: swarm.manifestMessage(swarm.files.get(message.name)!),
    except: transferId,
  });
  keep.logger.verbose(
    `learned ${message.name} (${verdict.signed.manifest.size} bytes, owner ${verdict.signed.owner}) from ${peerId}`,
  );
}

/** Membership entries from a `peers` message: taken in and passed on when new. */
export function mergePeers(
  keep: Keep,
  transferId: string,
  peerId: string,
  entries: Parameters<Keep['swarm']['membership']['merge']>[0],
  host: string,
): void {
  const { membership } = keep.swarm;
  const changed = membership.merge(entries, { peerId, host });
  // Its own entry, over the connection where it proved its ID: first-hand, so its address
  // may be dialed (§9.8). Entries it gossips of others are not: only their records vouch.
  for (const entry of entries)
    if (entry.peerId === peerId) membership.vouch(peerId, entry.host || host, entry.port);
  // The sender's own entry (where it listens, what it offers) arrives in its greeting.
  if (keep.links.get(transferId)?.peerId === peerId && membership.get(peerId)?.status === 'unknown')
    membership.setStatus(peerId, 'connected');
  announceEntries(keep.swarm, (a) => announce(keep, a), changed, transferId);
}

/**
 * A file failed for good (no space, a write error, a hash that lies): it is marked failed and
 * its `.part` is deleted, so a file that will not complete holds no disk (§9.11).
 */
export function failFile(keep: Keep, name: string, error: ErrorInfo): void {
  const receiving = keep.swarm.receiving(name);
  keep.swarm.fileFailed(name, error);
  receiving?.discard().catch(() => undefined);
}

/** A verified chunk was stored: count it, cancel its duplicates elsewhere, announce it. */
export function recordStored(
  keep: Keep,
  event: Extract<StorageEvent, { type: 'chunk.stored' }>,
): Requests {
  const { swarm, config } = keep;
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
  keep.haves.add(event.name, event.index);
  swarm.noteChunk(event.name, event.peerId, event.bytes, event.outcome === 'completed', now);
  if (event.outcome === 'completed') {
    const record = swarm.files.get(event.name);
    if (record) record.state = 'complete';
    keep.logger.verbose(`received ${event.name} (verified)`);
  }
  return byLink(keep, cancels);
}

/**
 * A second content for a name we know (§9.6): the name fails for good on this peer, naming
 * both owners; its `.part` (or the file, if it was received whole) is deleted; when the content is new to us, both contents are passed
 * on (once), so that every peer holding either learns of the conflict too.
 */
export function failConflict(keep: Keep, transferId: string, message: ManifestMessage): void {
  const verdict = judge(keep, message);
  if (verdict.kind !== 'conflict') return;
  const { swarm } = keep;
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
    announce(keep, {
      message: signedManifestMessage(verdict.signed, new Uint8Array(message.have.length)),
      except: transferId,
    });
    if (record) announce(keep, { message: swarm.manifestMessage(record) });
  }
  keep.logger.error(`${message.name}: ${error.message}`, { code: error.code });
}

/**
 * Closes one file on the way out. A `.part` is kept for a later run to resume only while it
 * holds at least one verified chunk (its apparent size is at most its manifest's, promised
 * against free disk when it was accepted); one with nothing verified, or whose file failed
 * for good, is deleted (docs/protocol-p2p.md §9.11).
 */
export function settleFile(record: FileRecord): Promise<void> {
  const stored = record.stored;
  if (!stored) return Promise.resolve();
  const receiving = 'discard' in stored ? (stored as ReceivingFile) : null;
  const drop =
    receiving !== null &&
    !receiving.complete &&
    (record.state === 'failed' || receiving.bytesHeld === 0);
  return (drop ? receiving.discard() : stored.close()).catch(() => undefined);
}
