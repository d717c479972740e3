import { HASH_BYTES, type Manifest, manifestChunkCount } from '../storage/manifest';
import { P2P_CODES } from './errors';
import type { PeerId } from './identity/peerId';

/**
 * Every cap of the trust layer in one place (docs/protocol-p2p.md §9.11). Each bounds what
 * one remote peer can make us hold, so that announcements cost the announcer, not us.
 */
export interface QuotaConfig {
  /** Manifests one peer may have us track (as sender or as owner). */
  maxManifestsPerPeer: number;
  /** Sum of the sizes of the files one peer may announce (what it may ask us to promise of
   * disk; free disk itself is checked by statfs when a file is accepted). */
  maxAnnouncedBytesPerPeer: number;
  /** Chunk hashes (32 bytes each) one peer's manifests may make us hold. */
  maxChunkHashesPerPeer: number;
  /** Names tracked in all (across every peer). */
  maxFiles: number;
  /** Chunk hashes held in all. */
  maxTotalChunkHashes: number;
  /** Signed peer records kept in all, and how many one connected peer may introduce. */
  maxRecords: number;
  maxRecordsPerSource: number;
  /** Largest frame payload accepted (the receive buffer holds at most one). */
  maxFrameBytes: number;
  /** Bytes queued for one peer before it is cut off as a slow consumer. */
  maxSendBufferBytes: number;
  /** Requests from one peer queued for service. */
  maxQueuedRequests: number;
  /** Free disk never promised to received files. */
  diskReserveBytes: number;
}

export const DEFAULT_QUOTAS: Readonly<QuotaConfig> = Object.freeze({
  maxManifestsPerPeer: 64,
  maxAnnouncedBytesPerPeer: 256 * 1024 ** 3,
  maxChunkHashesPerPeer: 64 * 1024,
  maxFiles: 1024,
  maxTotalChunkHashes: 256 * 1024,
  maxRecords: 1024,
  maxRecordsPerSource: 64,
  maxFrameBytes: 1024 * 1024 + 64 * 1024,
  maxSendBufferBytes: 8 * 1024 * 1024,
  maxQueuedRequests: 64,
  diskReserveBytes: 64 * 1024 * 1024,
});

/** Fixed bytes held per tracked manifest besides its chunk hashes (name, hashes, key, signature, object overhead): an upper estimate. */
export const MANIFEST_OVERHEAD_BYTES = 1024;
/** Bytes held per signed peer record (≤ 8 addresses, key, signature, object overhead): an upper estimate. */
export const RECORD_OVERHEAD_BYTES = 1024;
/** Bytes held per queued request (name reference, index, bookkeeping): an upper estimate. */
export const QUEUED_REQUEST_BYTES = 256;

/** The memory one connected peer can make us hold, term by term (bytes). */
export interface MemoryBound {
  /** Frame decoder: one incomplete frame (header + payload) and the last decoded one. */
  receive: number;
  /** Our send buffer towards it. */
  send: number;
  /** Manifests it announced (or owns): overhead + 32 bytes per hash + 1 bit per chunk of its `have`. */
  manifests: number;
  /** Records it introduced. */
  records: number;
  /** Its requests waiting for service. */
  requests: number;
  total: number;
}

/**
 * The memory bound per peer, from the caps:
 *
 * ```
 * M = 2·(F + 4) + S + m·O_m + h·(32 + 1/8) + r·O_r + q·O_q
 * ```
 *
 * with F = maxFrameBytes, S = maxSendBufferBytes, m = maxManifestsPerPeer,
 * h = maxChunkHashesPerPeer, r = maxRecordsPerSource, q = maxQueuedRequests and the
 * overhead estimates O_m = 1 KiB, O_r = 1 KiB, O_q = 256 B. With the defaults:
 * 2·1,114,116 + 8,388,608 + 65,536 + 2,105,344 + 65,536 + 16,384 = 12,869,640 bytes ≈ 12.3 MiB.
 * The whole peer is bounded by `maxConnections × M` plus the global caps (maxFiles manifests,
 * maxTotalChunkHashes hashes, maxRecords records), whichever is smaller for the shared parts.
 */
export function memoryBoundPerPeer(config: QuotaConfig = DEFAULT_QUOTAS): MemoryBound {
  const receive = 2 * (config.maxFrameBytes + 4);
  const send = config.maxSendBufferBytes;
  const manifests =
    config.maxManifestsPerPeer * MANIFEST_OVERHEAD_BYTES +
    config.maxChunkHashesPerPeer * HASH_BYTES +
    Math.ceil(config.maxChunkHashesPerPeer / 8);
  const records = config.maxRecordsPerSource * RECORD_OVERHEAD_BYTES;
  const requests = config.maxQueuedRequests * QUEUED_REQUEST_BYTES;
  return {
    receive,
    send,
    manifests,
    records,
    requests,
    total: receive + send + manifests + records + requests,
  };
}

export type QuotaLimit = 'manifests' | 'bytes' | 'hashes' | 'files' | 'total-hashes';

export type QuotaCheck =
  | { ok: true }
  | { ok: false; code: typeof P2P_CODES.quota; limit: QuotaLimit };

/** What one peer is charged for. */
export interface PeerUsage {
  manifests: number;
  bytes: number;
  hashes: number;
}

/**
 * Charges every manifest we track to the peers responsible for it — the connection that
 * announced it and its owner — and to the global caps, and refuses one that would pass a cap.
 *
 * Security property: announcements cost the announcer. 300 manifests of 1 MiB of hashes
 * each from one peer stop at its caps (`ERR_QUOTA`); forwarding them does not move the cost
 * to honest relays, because the owner is charged too and the globals hold for everyone.
 * Charging is idempotent per (peer, name), and {@link release} undoes it.
 */
export class AnnouncementQuotas {
  private readonly usage = new Map<PeerId, PeerUsage & { names: Map<string, Manifest> }>();
  private readonly global = new Map<string, number>(); // name → hashes, charged once
  private globalHashes = 0;

  constructor(readonly config: QuotaConfig = DEFAULT_QUOTAS) {}

  /** Whether {@link charge} would accept `manifest` for `peers`; changes nothing. */
  check(peers: readonly PeerId[], manifest: Manifest): QuotaCheck {
    const hashes = manifestChunkCount(manifest);
    const name = manifest.name;
    for (const peer of new Set(peers)) {
      const u = this.usage.get(peer);
      if (u?.names.has(name)) continue;
      const used = u ?? { manifests: 0, bytes: 0, hashes: 0 };
      if (used.manifests + 1 > this.config.maxManifestsPerPeer) return refuse('manifests');
      if (used.bytes + manifest.size > this.config.maxAnnouncedBytesPerPeer) return refuse('bytes');
      if (used.hashes + hashes > this.config.maxChunkHashesPerPeer) return refuse('hashes');
    }
    if (!this.global.has(name)) {
      if (this.global.size + 1 > this.config.maxFiles) return refuse('files');
      if (this.globalHashes + hashes > this.config.maxTotalChunkHashes) {
        return refuse('total-hashes');
      }
    }
    return { ok: true };
  }

  /** Charges `manifest` to every peer in `peers` (deduplicated) and to the globals, or to none. */
  charge(peers: readonly PeerId[], manifest: Manifest): QuotaCheck {
    const verdict = this.check(peers, manifest);
    if (!verdict.ok) return verdict;
    const hashes = manifestChunkCount(manifest);
    const name = manifest.name;
    const targets = [...new Set(peers)];
    if (!this.global.has(name)) {
      this.global.set(name, hashes);
      this.globalHashes += hashes;
    }
    for (const peer of targets) {
      let u = this.usage.get(peer);
      if (!u) {
        u = { manifests: 0, bytes: 0, hashes: 0, names: new Map() };
        this.usage.set(peer, u);
      }
      if (u.names.has(name)) continue;
      u.names.set(name, manifest);
      u.manifests += 1;
      u.bytes += manifest.size;
      u.hashes += hashes;
    }
    return { ok: true };
  }

  /** Frees what `peer` was charged for `name` (the peer left, or the name was dropped). */
  release(peer: PeerId, name: string): void {
    const u = this.usage.get(peer);
    const manifest = u?.names.get(name);
    if (!u || !manifest) return;
    u.names.delete(name);
    u.manifests -= 1;
    u.bytes -= manifest.size;
    u.hashes -= manifestChunkCount(manifest);
    if (u.names.size === 0) this.usage.delete(peer);
  }

  /** Frees a name from the global caps (no peer tracks it any more). */
  releaseName(name: string): void {
    const hashes = this.global.get(name);
    if (hashes === undefined) return;
    this.global.delete(name);
    this.globalHashes -= hashes;
  }

  usageOf(peer: PeerId): PeerUsage {
    const u = this.usage.get(peer);
    return { manifests: u?.manifests ?? 0, bytes: u?.bytes ?? 0, hashes: u?.hashes ?? 0 };
  }

  get totalHashes(): number {
    return this.globalHashes;
  }
}

function refuse(limit: QuotaLimit): QuotaCheck {
  return { ok: false, code: P2P_CODES.quota, limit };
}
