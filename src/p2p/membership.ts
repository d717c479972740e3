import type { ErrorInfo } from '../errors';
import { isSafeFileName } from '../storage/fileName';
import type { PeerEntry } from '../transport/peerProtocol';
import { unmapIPv4 } from './gossip/ipBytes';

/** Addresses remembered per peer (its records carry at most 8, plus what we saw). */
const MAX_VOUCHED_PER_PEER = 16;

/** What this peer knows first-hand about another: nothing is gossiped of it. */
export type MemberStatus = 'unknown' | 'connected' | 'dead' | 'banned';

export interface Member {
  entry: PeerEntry;
  status: MemberStatus;
  /** Why it is dead or banned. */
  reason: ErrorInfo | null;
  /** Monotonic ms before which it should not be dialed again (it said it was full). */
  busyUntil: number;
}

export interface MembershipOptions {
  /** Most peers remembered; entries beyond are ignored (a hostile gossiper cannot flood us). */
  maxPeers?: number;
}

/**
 * The swarm as one peer sees it: every peer heard of, directly or by gossip, with the
 * freshest entry for each (the highest `seq`, which only the peer itself bumps), and a
 * local status (connected, dead, banned) that is never gossiped.
 */
export class Membership {
  private readonly members = new Map<string, Member>();
  /** Peers met first-hand (their ID proven by a handshake): only their offers count. */
  private readonly met = new Set<string>();
  /**
   * Addresses we may dial, by peer ID (§9.8): ones the peer gave us itself over a connection
   * where it proved its ID (first-hand), or ones in a record it signed. Gossip alone never
   * puts an address here.
   */
  private readonly vouched = new Map<string, Set<string>>();
  private selfEntry: PeerEntry;
  private readonly maxPeers: number;

  constructor(self: PeerEntry, options: MembershipOptions = {}) {
    this.selfEntry = self;
    this.maxPeers = options.maxPeers ?? 1024;
  }

  get self(): PeerEntry {
    return this.selfEntry;
  }

  /** Changes our own entry; returns it (with `seq` bumped) when something changed. */
  updateSelf(
    patch: Partial<Pick<PeerEntry, 'complete' | 'offers' | 'host' | 'port'>>,
  ): PeerEntry | null {
    const next = { ...this.selfEntry, ...patch };
    const same =
      next.complete === this.selfEntry.complete &&
      next.host === this.selfEntry.host &&
      next.port === this.selfEntry.port &&
      next.offers.length === this.selfEntry.offers.length &&
      next.offers.every((name, i) => name === this.selfEntry.offers[i]);
    if (same) return null;
    this.selfEntry = { ...next, seq: this.selfEntry.seq + 1 };
    return this.selfEntry;
  }

  /**
   * Takes in entries from a hello or a `peers` message. An entry with an empty host is the
   * sender's own ("where you see me from"): `observed` fills it in. Returns the entries that
   * were new or newer, which are worth passing on; entries with unsafe file names are dropped.
   */
  merge(entries: readonly PeerEntry[], observed?: { peerId: string; host: string }): PeerEntry[] {
    const changed = this.news(entries, observed);
    for (const entry of changed) {
      const known = this.members.get(entry.peerId);
      if (known) known.entry = entry;
      else this.members.set(entry.peerId, { entry, status: 'unknown', reason: null, busyUntil: 0 });
    }
    return changed;
  }

  /** The entries {@link merge} would take in (new or newer), without taking them in. */
  news(entries: readonly PeerEntry[], observed?: { peerId: string; host: string }): PeerEntry[] {
    const out = new Map<string, PeerEntry>();
    let room = this.maxPeers - this.members.size;
    for (const raw of entries) {
      if (raw.peerId === this.selfEntry.peerId) continue;
      if (!raw.offers.every(isSafeFileName)) continue;
      let entry = raw;
      if (entry.host === '') {
        if (observed?.peerId !== entry.peerId) continue;
        entry = { ...entry, host: observed.host };
      }
      const known = out.get(entry.peerId) ?? this.members.get(entry.peerId)?.entry;
      if (known) {
        if (entry.seq <= known.seq) continue;
      } else {
        if (room <= 0) continue;
        room -= 1;
      }
      out.set(entry.peerId, entry);
    }
    return [...out.values()];
  }

  /** A `done` message: the sender is complete as of `seq`. */
  markComplete(peerId: string, seq: number): PeerEntry | null {
    const member = this.members.get(peerId);
    if (!member || seq < member.entry.seq || (member.entry.complete && seq === member.entry.seq))
      return null;
    member.entry = { ...member.entry, seq, complete: true };
    return member.entry;
  }

  get(peerId: string): Member | undefined {
    return this.members.get(peerId);
  }

  others(): Member[] {
    return [...this.members.values()];
  }

  setStatus(peerId: string, status: MemberStatus, reason: ErrorInfo | null = null): void {
    const member = this.members.get(peerId);
    if (!member) return;
    if (member.status === 'banned' && status !== 'banned') return;
    if (status === 'connected') this.met.add(peerId);
    member.status = status;
    member.reason = reason;
  }

  /** `peerId` itself vouches for `host:port` (first-hand, or in a record it signed). */
  vouch(peerId: string, host: string, port: number): void {
    if (peerId === this.selfEntry.peerId) return;
    let set = this.vouched.get(peerId);
    if (!set) {
      if (this.vouched.size >= this.maxPeers) return;
      set = new Set();
      this.vouched.set(peerId, set);
    }
    if (set.size < MAX_VOUCHED_PER_PEER) set.add(`${unmapIPv4(host)}|${port}`);
  }

  /** Whether the address of `entry` was vouched for by its own peer (may be dialed). */
  isVouched(entry: Pick<PeerEntry, 'peerId' | 'host' | 'port'>): boolean {
    return this.vouched.get(entry.peerId)?.has(`${unmapIPv4(entry.host)}|${entry.port}`) ?? false;
  }

  /** Met first-hand: the peer proved its ID to us on a connection. */
  wasMet(peerId: string): boolean {
    return this.met.has(peerId);
  }

  markBusy(peerId: string, until: number): void {
    const member = this.members.get(peerId);
    if (member) member.busyUntil = until;
  }

  /** Peers worth dialing now: not connected, not dead or banned, not resting; incomplete ones first. */
  candidates(now: number, exclude: ReadonlySet<string> = new Set()): Member[] {
    return this.others()
      .filter((m) => m.status === 'unknown' && m.busyUntil <= now && !exclude.has(m.entry.peerId))
      .sort((a, b) => Number(a.entry.complete) - Number(b.entry.complete));
  }

  /**
   * Every peer we know, except those we lost for good, says it is complete. Only peers that
   * proved themselves count (met first-hand, or vouched for by their own signed record): an
   * entry only gossiped makes nobody wait.
   */
  othersComplete(): boolean {
    return this.others().every(
      (m) =>
        m.entry.complete ||
        m.status === 'dead' ||
        m.status === 'banned' ||
        (!this.met.has(m.entry.peerId) && !this.vouched.has(m.entry.peerId)),
    );
  }

  /** Peers we know that are live (not dead or banned) and not complete. */
  incomplete(): Member[] {
    return this.others().filter(
      (m) => !m.entry.complete && m.status !== 'dead' && m.status !== 'banned',
    );
  }

  /**
   * Names offered by us and by the peers we met first-hand, with who offers them. What a peer
   * we only heard of claims to offer makes nobody wait: a file exists for us once its signed
   * manifest arrives, or once a proven peer offers it.
   */
  offers(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const name of this.selfEntry.offers) out.set(name, [this.selfEntry.peerId]);
    for (const m of this.members.values()) {
      if (!this.met.has(m.entry.peerId)) continue;
      for (const name of m.entry.offers) out.set(name, [...(out.get(name) ?? []), m.entry.peerId]);
    }
    return out;
  }
}
