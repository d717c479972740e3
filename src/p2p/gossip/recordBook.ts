import type { PeerId } from '../identity/peerId';
import type { SignedPeerRecord } from './peerRecord';

export interface RecordBookOptions {
  /** Our own ID: a record about us from anyone else is ignored. */
  self: PeerId;
  /** Most records kept (reference 1024). */
  maxRecords?: number;
  /** Most records one source (a connected peer) may introduce (reference 64). */
  maxPerSource?: number;
}

/** What happened to an offered record; only `new` and `newer` are worth forwarding. */
export type RecordOffer = 'new' | 'newer' | 'stale' | 'self' | 'source-full' | 'book-full';

interface Entry {
  record: SignedPeerRecord;
  /** Who introduced it: the subject itself (first-hand) or a gossiping peer. */
  source: PeerId;
}

/**
 * The signed peer records this peer knows: for each peer, the one with the highest `seq`
 * that has not expired.
 *
 * Security properties kept here:
 * - gossip stops by itself: a record is forwarded only when it is new or newer, and only its
 *   subject can sign a newer one, so an attacker cannot make us re-send a record twice;
 * - a flood of fresh identities (they cost nothing to make) cannot fill the book: each
 *   source introduces at most `maxPerSource` records, and a record a peer gives about
 *   itself (first-hand) evicts a gossiped one when the book is full;
 * - memory is bounded: `maxRecords` records of at most 8 addresses each.
 */
export class RecordBook {
  private readonly entries = new Map<PeerId, Entry>();
  private readonly perSource = new Map<PeerId, number>();
  private readonly maxRecords: number;
  private readonly maxPerSource: number;

  constructor(private readonly options: RecordBookOptions) {
    this.maxRecords = options.maxRecords ?? 1024;
    this.maxPerSource = options.maxPerSource ?? 64;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Takes in a verified record, received from `source` (the subject itself when it describes
   * the peer on the other end of the connection). Expired records must have been refused by
   * `verifyPeerRecord`; {@link prune} drops those that expire later.
   */
  offer(record: SignedPeerRecord, source: PeerId): RecordOffer {
    if (record.peerId === this.options.self) return 'self';
    const known = this.entries.get(record.peerId);
    if (known) {
      if (record.seq <= known.record.seq) return 'stale';
      known.record = record;
      return 'newer';
    }
    const firstHand = source === record.peerId;
    if (!firstHand && (this.perSource.get(source) ?? 0) >= this.maxPerSource) return 'source-full';
    if (this.entries.size >= this.maxRecords && !(firstHand && this.evictGossiped())) {
      return 'book-full';
    }
    this.entries.set(record.peerId, { record, source });
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    return 'new';
  }

  get(peerId: PeerId): SignedPeerRecord | undefined {
    return this.entries.get(peerId)?.record;
  }

  /** Every record still valid at `nowWallMs`. */
  records(nowWallMs: number): SignedPeerRecord[] {
    return [...this.entries.values()].map((e) => e.record).filter((r) => r.expiresAt > nowWallMs);
  }

  /** Drops records expired at `nowWallMs`; returns their peers. */
  prune(nowWallMs: number): PeerId[] {
    const gone: PeerId[] = [];
    for (const [peerId, entry] of this.entries) {
      if (entry.record.expiresAt <= nowWallMs) {
        this.remove(peerId, entry);
        gone.push(peerId);
      }
    }
    return gone;
  }

  private evictGossiped(): boolean {
    for (const [peerId, entry] of this.entries) {
      if (entry.source !== peerId) {
        this.remove(peerId, entry);
        return true;
      }
    }
    return false;
  }

  private remove(peerId: PeerId, entry: Entry): void {
    this.entries.delete(peerId);
    const count = (this.perSource.get(entry.source) ?? 1) - 1;
    if (count <= 0) this.perSource.delete(entry.source);
    else this.perSource.set(entry.source, count);
  }
}
