import type { ErrorInfo } from '../errors';
import { Bitfield } from '../storage/bitfield';
import type { ReceivingFile, StoredFile } from '../storage/chunkStore';
import { isSafeFileName } from '../storage/fileName';
import { type Manifest, manifestChunkCount, manifestProblem } from '../storage/manifest';
import type { ManifestMessage, PeerEntry, PeerMessage } from '../transport/peerProtocol';
import { MAX_PEERS_PER_MESSAGE } from '../transport/peerProtocol';
import { P2P_CODES } from './errors';
import type { PeerId } from './identity/peerId';
import { Membership } from './membership';
import { NameLedger } from './ownership/nameLedger';
import {
  type ManifestVerification,
  type SignedManifest,
  verifySignedManifest,
} from './ownership/signedManifest';
import { AnnouncementQuotas, DEFAULT_QUOTAS, type QuotaConfig } from './quotas';
import { ChunkScheduler, type SchedulerOptions } from './scheduler';

import type { FileRecord, InboundFile, ManifestVerdict, MissingFile } from './swarmTypes';

export type { FileRecord, InboundFile, ManifestVerdict, MissingFile };

/** Most distinct files a peer tracks; manifests beyond are ignored. */
export const MAX_FILES = 1024;

/**
 * The bookkeeping of one peer — which files exist, who holds which chunks, whom we know —
 * kept out of the peer machine so the machine reads as a lifecycle. No I/O here: the
 * machine decides when to send, dial, open and close.
 */
export class SwarmState {
  readonly files = new Map<string, FileRecord>();
  readonly scheduler: ChunkScheduler;
  readonly membership: Membership;
  /** Bad chunks received, by peer ID. */
  readonly badChunks = new Map<string, number>();
  /** Per received file: when it was first asked for, when it was verified, and from whom. */
  readonly inbound = new Map<string, InboundFile>();
  chunksReceived = 0;
  bytesReceived = 0;
  duplicateChunks = 0;
  duplicateBytes = 0;

  /** Every signed manifest seen, by name: who owns what, and which names are conflicts. */
  readonly names: NameLedger;
  /** What each peer (sender and owner) may make us hold (§9.11). */
  readonly quotas: AnnouncementQuotas;
  /**
   * Signature checks by message: the machine asks several guards about one `manifest`
   * message, and checking 1 MiB of hashes is the expensive part. Weak: gone with the message.
   */
  private readonly verified = new WeakMap<object, ManifestVerification>();

  constructor(
    self: PeerEntry,
    scheduler: SchedulerOptions = {},
    /** With a trust list, only manifests signed by these owners count (§9.6). */
    trusted: ReadonlySet<string> | null = null,
    quotas: QuotaConfig = DEFAULT_QUOTAS,
  ) {
    this.membership = new Membership(self);
    this.scheduler = new ChunkScheduler(scheduler);
    this.names = new NameLedger({ trusted: trusted as ReadonlySet<PeerId> | null });
    this.quotas = new AnnouncementQuotas(quotas);
  }

  /** One of our own files, with our signature over its manifest. */
  addOwn(file: StoredFile, signed: SignedManifest): void {
    this.names.offer(signed);
    const count = manifestChunkCount(file.manifest);
    this.files.set(file.manifest.name, {
      manifest: file.manifest,
      origin: 'own',
      state: 'complete',
      stored: file,
      error: null,
      from: null,
      signed,
    });
    this.scheduler.addFile(file.manifest.name, count, Bitfield.full(count));
  }

  /**
   * Judges a `manifest` message without changing anything (§9.4, §9.6): bad (invalid, an
   * owner ID that is not its key's, a signature that does not verify: the sender is cut
   * off), ignored (an untrusted owner, a name too many), the content we know, a conflict
   * (another content under a known name), or new — unless it would pass a quota of `sender`
   * (the connection's proven ID) or of its owner: then ignored, `ERR_QUOTA` (§9.11).
   */
  judgeManifest(message: ManifestMessage, sender?: string): ManifestVerdict {
    const manifest: Manifest = {
      name: message.name,
      size: message.size,
      sha256: toBuffer(message.sha256),
      chunkSize: message.chunkSize,
      chunkHashes: toBuffer(message.chunkHashes),
    };
    // The name rule is a protocol rule (§9.7): its own code, before any other check.
    if (!isSafeFileName(message.name)) {
      return { kind: 'bad', code: 'ERR_BAD_FILE_NAME', problem: 'a name outside the rule' };
    }
    const problem = manifestProblem(manifest);
    if (problem) return { kind: 'bad', code: 'ERR_BAD_MANIFEST', problem };
    // A new name from a sender past its quota is ignored before its signature is checked: a
    // flood costs us a decode per message, not a hash of its chunk hashes.
    const early =
      sender && !this.files.has(manifest.name) && this.quotas.check([sender as PeerId], manifest);
    if (early && !early.ok) return { kind: 'ignored', code: early.code, limit: early.limit };
    let verified = this.verified.get(message);
    if (!verified) {
      verified = verifySignedManifest({
        manifest,
        owner: message.owner,
        ownerKey: message.ownerKey,
        signature: message.signature,
      });
      this.verified.set(message, verified);
    }
    if (!verified.ok) {
      return { kind: 'bad', code: verified.code, problem: `${verified.code} for ${message.name}` };
    }
    const signed = verified.value;
    if (!this.names.accepts(signed.owner)) {
      return { kind: 'ignored', code: P2P_CODES.untrustedOwner };
    }
    const count = manifestChunkCount(manifest);
    const bits = Bitfield.fromBytes(message.have, count);
    if (!bits) {
      return {
        kind: 'bad',
        code: 'ERR_BAD_MANIFEST',
        problem: `bitfield does not fit ${count} chunks`,
      };
    }
    const verdict = this.names.verdict(manifest.name);
    const known = this.files.get(manifest.name);
    if (
      verdict.kind === 'conflict' ||
      (known && !known.signed.contentDigest.equals(signed.contentDigest))
    ) {
      const seen =
        verdict.kind === 'conflict'
          ? verdict.contents.some((c) => c.signed.contentDigest.equals(signed.contentDigest))
          : false;
      return { kind: 'conflict', signed, fresh: !seen };
    }
    if (known) return { kind: 'known', signed, count, bits };
    if (this.files.size >= MAX_FILES) return { kind: 'ignored', code: P2P_CODES.quota };
    const charged = sender ? [sender as PeerId, signed.owner] : [signed.owner];
    const quota = this.quotas.check(charged, manifest);
    if (!quota.ok) return { kind: 'ignored', code: quota.code, limit: quota.limit };
    return { kind: 'new', signed, count, bits };
  }

  /**
   * A second content for a name (§9.6): the name fails for good, naming the owners of both,
   * whatever held it before (our own file too). Returns the failure.
   */
  conflict(signed: SignedManifest): ErrorInfo {
    this.names.offer(signed);
    const name = signed.manifest.name;
    const owners = this.names.conflicts().find((c) => c.name === name)?.owners ?? [signed.owner];
    const error = {
      code: P2P_CODES.nameConflict,
      message: `two different files are named ${name}, signed by ${owners.join(' and ')}`,
    };
    const record = this.files.get(name);
    if (record && record.state !== 'failed') this.fileFailed(name, error);
    return error;
  }

  /**
   * Records a file learned from `peerId`, charged to it and to the owner (§9.11); the
   * machine then opens it for receiving.
   */
  addNetworkFile(signed: SignedManifest, peerId: string): void {
    const { manifest } = signed;
    this.quotas.charge([peerId as PeerId, signed.owner], manifest);
    this.names.offer(signed);
    this.files.set(manifest.name, {
      manifest,
      origin: 'network',
      state: 'opening',
      stored: null,
      error: null,
      from: peerId,
      signed,
    });
  }

  fileOpened(name: string, file: ReceivingFile): void {
    const record = this.files.get(name);
    if (!record) return;
    record.stored = file;
    record.state = file.complete ? 'complete' : 'receiving';
    this.scheduler.addFile(name, manifestChunkCount(record.manifest), file.have);
  }

  fileFailed(name: string, error: ErrorInfo): void {
    const record = this.files.get(name);
    if (!record) return;
    record.state = 'failed';
    record.error = error;
    this.scheduler.dropFile(name);
  }

  /** What the uploader may serve: files with a store, by manifest name (never a path). */
  lookup(name: string): StoredFile | undefined {
    const record = this.files.get(name);
    return record?.state === 'receiving' || record?.state === 'complete'
      ? (record.stored ?? undefined)
      : undefined;
  }

  receiving(name: string): ReceivingFile | undefined {
    const record = this.files.get(name);
    return record?.state === 'receiving' ? (record.stored as ReceivingFile) : undefined;
  }

  /** The `manifest` message for one file, with our bitfield. */
  manifestMessage(record: FileRecord): ManifestMessage {
    const count = manifestChunkCount(record.manifest);
    const have = record.stored?.have ?? new Bitfield(count);
    return signedManifestMessage(record.signed, have.toBytes());
  }

  /**
   * What we tell a newly admitted peer: every file we know — as a manifest with our bitfield,
   * or, for a file the remote has announced to us already, just a `have` of the chunks we
   * hold that it lacks — then every peer we know (the `peers` message ends a greeting).
   */
  greeting(remote?: string): PeerMessage[] {
    const out: PeerMessage[] = [];
    for (const record of this.files.values()) {
      if (record.state === 'failed') continue;
      const { name } = record.manifest;
      if (!remote || !this.scheduler.peerKnows(remote, name)) {
        out.push(this.manifestMessage(record));
        continue;
      }
      const held = record.stored ? [...record.stored.have.indices()] : [];
      const chunks = held.filter((i) => !this.scheduler.peerHasChunk(remote, name, i));
      for (let i = 0; i < chunks.length; i += 4096) {
        out.push({ type: 'have', name, chunks: chunks.slice(i, i + 4096) });
      }
    }
    out.push(...this.peersMessages());
    return out;
  }

  /** Every entry we know, ours first. */
  knownEntries(): PeerEntry[] {
    return [this.membership.self, ...this.membership.others().map((m) => m.entry)];
  }

  /** Our membership view (us first) as `peers` messages of at most MAX_PEERS_PER_MESSAGE entries. */
  peersMessages(entries?: PeerEntry[]): PeerMessage[] {
    const all = entries ?? [this.membership.self, ...this.membership.others().map((m) => m.entry)];
    const out: PeerMessage[] = [];
    for (let i = 0; i < all.length; i += MAX_PEERS_PER_MESSAGE) {
      out.push({ type: 'peers', peers: all.slice(i, i + MAX_PEERS_PER_MESSAGE) });
    }
    return out;
  }

  /**
   * True when this peer holds every file it knows of, knows a manifest for every file any
   * peer offers, and knows at least `expect` files (or, without `expect`, has met a peer).
   */
  isComplete(expect: number | null, met: number): boolean {
    if (expect !== null ? this.files.size < expect : met === 0) return false;
    for (const name of this.membership.offers().keys()) if (!this.files.has(name)) return false;
    for (const record of this.files.values()) if (record.state !== 'complete') return false;
    return true;
  }

  /** Every file we should hold and do not, with the best explanation we have. */
  missing(expect: number | null): MissingFile[] {
    const out: MissingFile[] = [];
    const unavailable = this.scheduler.unavailable();
    const offers = this.membership.offers();
    const describeHolders = (name: string) => {
      const holders = (offers.get(name) ?? []).filter((id) => id !== this.membership.self.peerId);
      if (holders.length === 0) return '';
      const parts = holders.map((id) => {
        const member = this.membership.get(id);
        const status = member?.status ?? 'unknown';
        return `${id} (${status}${member?.reason ? `: ${member.reason.code}` : ''})`;
      });
      return `; offered by ${parts.join(', ')}`;
    };
    for (const [name, record] of this.files) {
      if (record.state === 'complete') continue;
      const count = manifestChunkCount(record.manifest);
      const held = record.stored?.have.count ?? 0;
      let reason: string;
      if (record.state === 'failed') reason = `${record.error?.code}: ${record.error?.message}`;
      else if (record.state === 'opening') reason = 'could not be opened for writing in time';
      else if (unavailable.has(name)) {
        reason = `no live peer holds ${unavailable.get(name)} of its ${count} chunks${describeHolders(name)}`;
      } else reason = `transfer did not finish${describeHolders(name)}`;
      out.push({ name, reason, chunksHeld: held, chunks: count });
    }
    for (const [name, holders] of offers) {
      if (this.files.has(name)) continue;
      out.push({
        name,
        reason: `offered by ${holders.join(', ')} but its manifest never arrived${describeHolders(name)}`,
        chunksHeld: null,
        chunks: null,
      });
    }
    if (expect !== null && this.files.size + out.filter((m) => m.chunks === null).length < expect) {
      const known = this.files.size + out.filter((m) => m.chunks === null).length;
      out.push({
        name: `(${expect - known} unknown)`,
        reason: `expected ${expect} files but only ${known} were ever announced (their peers were never reached)`,
        chunksHeld: null,
        chunks: null,
      });
    }
    return out;
  }

  /** Bookkeeping for the transfer timeline: a request was sent. */
  noteRequest(name: string, now: number): void {
    const entry = this.inboundFile(name);
    entry.firstRequestAt ??= now;
  }

  /** Bookkeeping for the transfer timeline: a verified chunk was stored. */
  noteChunk(name: string, peerId: string, bytes: number, completed: boolean, now: number): void {
    const entry = this.inboundFile(name);
    entry.from.add(peerId);
    entry.chunks += 1;
    entry.bytes += bytes;
    if (completed) entry.completedAt = now;
  }

  private inboundFile(name: string): InboundFile {
    let entry = this.inbound.get(name);
    if (!entry) {
      entry = { firstRequestAt: null, completedAt: null, from: new Set(), chunks: 0, bytes: 0 };
      this.inbound.set(name, entry);
    }
    return entry;
  }

  countBad(peerId: string): number {
    const n = (this.badChunks.get(peerId) ?? 0) + 1;
    this.badChunks.set(peerId, n);
    return n;
  }
}

/** A signed manifest as sent: the owner's fields and signature, and the sender's `have`. */
export function signedManifestMessage(signed: SignedManifest, have: Uint8Array): ManifestMessage {
  const { name, size, sha256, chunkSize, chunkHashes } = signed.manifest;
  return {
    type: 'manifest',
    name,
    size,
    sha256,
    chunkSize,
    chunkHashes,
    owner: signed.owner,
    ownerKey: signed.ownerKey,
    signature: signed.signature,
    have,
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
