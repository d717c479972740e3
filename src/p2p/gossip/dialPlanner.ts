import type { Clock } from '../../time/clock';
import type { AddressScope, ScopeCheck } from '../addressScope';
import { P2P_CODES } from '../errors';
import type { PeerId } from '../identity/peerId';
import { TokenBucket } from '../tokenBucket';
import { ipToBytes } from './ipBytes';
import type { SignedPeerRecord } from './peerRecord';

/** Why we may dial an address: the only three ways one enters the planner. */
export type DialSource = 'user' | 'first-hand' | 'record';

export interface DialPlannerOptions {
  /** Monotonic time (only `now()` is used). */
  clock: Pick<Clock, 'now'>;
  /** Which learned addresses may be dialed (see addressScope.ts). */
  scope: AddressScope;
  /** Sustained dial rate (default 4 per second). */
  dialsPerSecond?: number;
  /** Dials allowed at once after a quiet period (default 4). */
  dialBurst?: number;
  /** Most handshakes in progress at once, dialed by us (default 8). */
  maxHandshakes?: number;
  /** First back-off after a failed dial of an address (default 500 ms), doubled per failure… */
  backoffInitialMs?: number;
  /** …up to this (default 30 s). */
  backoffMaxMs?: number;
  /** Failures after which a learned (not user-given) address is forgotten (default 5). */
  maxFailures?: number;
  /** Most addresses remembered (default 1024); user-given ones are always kept. */
  maxTargets?: number;
}

/** One dial to make. The handshake must prove `peerId` when it is set (`expectedPeerId`). */
export interface DialTicket {
  readonly host: string;
  readonly port: number;
  readonly peerId: PeerId | undefined;
  readonly source: DialSource;
}

interface Target {
  host: string;
  port: number;
  peerId: PeerId | undefined;
  source: DialSource;
  failures: number;
  notBefore: number;
  dialing: boolean;
  connected: boolean;
}

const RANK: Record<DialSource, number> = { user: 0, 'first-hand': 1, record: 2 };

/**
 * Decides whom to dial and when. Pure: time comes from the injected clock, and the caller
 * opens the sockets.
 *
 * Security properties kept here (docs/protocol-p2p.md §9.8):
 * - **a peer cannot make us dial an address it only claimed.** An address enters only as
 *   one the user gave ({@link addUserAddress}), one seen first-hand on a connection whose
 *   peer proved its ID ({@link addFirstHand}), or one inside a record signed by the peer it
 *   describes ({@link addRecord} takes a verified `SignedPeerRecord`, which only
 *   `verifyPeerRecord` makes). There is no other way in;
 * - learned addresses must be inside the user's scope (loopback stays loopback, …);
 * - a dial to a learned address expects the ID that vouched for it, so a record pointing at
 *   someone else's service fails the handshake (`ERR_PEER_ID_MISMATCH`) and backs off;
 * - no amplification: one target per `host:port` however many records name it; dials are
 *   rate-limited (token bucket) and capped in flight; each failure doubles that address's
 *   back-off, and a learned address that failed `maxFailures` times is forgotten. So N
 *   gossiped entries cost at most `maxFailures` dials per distinct in-scope address, at no
 *   more than `dialsPerSecond`.
 *
 * Not used by the reference peer: its dial rule (same sources, scope, one dial per address,
 * a rate limit) is `planDials` in src/actors/peer/dialPlan.ts, which has no back-off per
 * address beyond giving up after 3 failures.
 */
export class DialPlanner {
  private readonly targets = new Map<string, Target>();
  private readonly bucket: TokenBucket;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly scope: AddressScope;
  private readonly maxHandshakes: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxFailures: number;
  private readonly maxTargets: number;
  private dialing = 0;

  constructor(options: DialPlannerOptions) {
    this.clock = options.clock;
    this.scope = options.scope;
    const rate = options.dialsPerSecond ?? 4;
    const burst = options.dialBurst ?? 4;
    this.bucket = new TokenBucket(rate, burst, this.clock.now(), burst);
    this.maxHandshakes = options.maxHandshakes ?? 8;
    this.backoffInitialMs = options.backoffInitialMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.maxFailures = options.maxFailures ?? 5;
    this.maxTargets = options.maxTargets ?? 1024;
  }

  /** Handshakes in progress that we dialed. */
  get inProgress(): number {
    return this.dialing;
  }

  /** Addresses known (for tests and status lines). */
  get size(): number {
    return this.targets.size;
  }

  /**
   * An address the user gave (bootstrap). It is trusted as given, whatever its scope, but
   * port 0 is refused.
   */
  addUserAddress(host: string, port: number): ScopeCheck | { ok: true } {
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      return { ok: false, code: P2P_CODES.addressScope, reason: 'bad-port' };
    }
    const key = keyOf(host, port);
    const known = this.targets.get(key);
    if (known) {
      known.source = 'user';
      known.peerId = undefined;
      return { ok: true };
    }
    this.targets.set(key, newTarget(host, port, undefined, 'user'));
    return { ok: true };
  }

  /**
   * The address a proven inbound peer listens on: the IP its connection came from (seen by
   * us) and a port from its own signed record.
   */
  addFirstHand(peerId: PeerId, observedHost: string, port: number): ScopeCheck {
    return this.add(observedHost, port, peerId, 'first-hand');
  }

  /** The in-scope addresses of a verified record; returns the checks, one per address. */
  addRecord(record: SignedPeerRecord): ScopeCheck[] {
    return record.addresses.map(({ host, port }) => this.add(host, port, record.peerId, 'record'));
  }

  /** Forgets every learned address vouched for by `peerId` (banned, record expired). */
  forgetPeer(peerId: PeerId): void {
    for (const [key, t] of this.targets) {
      if (t.peerId === peerId && t.source !== 'user' && !t.dialing) this.targets.delete(key);
    }
  }

  /**
   * The next address to dial now, or `null` (nothing due, the rate limit, or the cap on
   * handshakes in progress). `skip` excludes peers already connected. The caller must
   * report the outcome with {@link finished}.
   */
  next(skip: ReadonlySet<PeerId> = new Set()): DialTicket | null {
    if (this.dialing >= this.maxHandshakes) return null;
    const now = this.clock.now();
    if (this.bucket.delayFor(1, now) > 0) return null;
    const target = this.dueTargets(now, skip)[0];
    if (!target || !this.bucket.tryTake(1, now)) return null;
    target.dialing = true;
    this.dialing += 1;
    return { host: target.host, port: target.port, peerId: target.peerId, source: target.source };
  }

  /** Milliseconds until {@link next} may return a ticket; `Infinity` when nothing is waiting. */
  waitMs(skip: ReadonlySet<PeerId> = new Set()): number {
    if (this.dialing >= this.maxHandshakes) return Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const t of this.targets.values()) {
      if (t.dialing || t.connected || (t.peerId && skip.has(t.peerId))) continue;
      soonest = Math.min(soonest, Math.max(0, t.notBefore - now));
    }
    return soonest === Number.POSITIVE_INFINITY
      ? soonest
      : Math.max(soonest, this.bucket.delayFor(1, now));
  }

  /**
   * The outcome of a dial: `connected` (handshake proven) resets the address's back-off;
   * `failed` (refused, timed out, wrong ID) doubles it. `closed` tells that a connection
   * made from this ticket ended, so the address may be dialed again.
   */
  finished(ticket: DialTicket, outcome: 'connected' | 'failed' | 'closed'): void {
    const key = keyOf(ticket.host, ticket.port);
    const t = this.targets.get(key);
    if (outcome === 'closed') {
      if (t) t.connected = false;
      return;
    }
    if (!t?.dialing) return; // unknown, or reported already
    t.dialing = false;
    this.dialing -= 1;
    if (outcome === 'connected') {
      t.failures = 0;
      t.connected = true;
      return;
    }
    t.failures += 1;
    if (t.source !== 'user' && t.failures >= this.maxFailures) {
      this.targets.delete(key);
      return;
    }
    const backoff = this.backoffInitialMs * 2 ** (t.failures - 1);
    t.notBefore = this.clock.now() + Math.min(this.backoffMaxMs, backoff);
  }

  private add(host: string, port: number, peerId: PeerId, source: DialSource): ScopeCheck {
    const check = this.scope.check(host, port);
    if (!check.ok) return check;
    const key = keyOf(host, port);
    const known = this.targets.get(key);
    if (known) {
      // A better reason to dial it (first-hand over record) re-labels it; never the user's.
      if (RANK[source] < RANK[known.source]) {
        known.source = source;
        known.peerId = peerId;
      }
      return check;
    }
    if (this.targets.size >= this.maxTargets) {
      return { ok: false, code: P2P_CODES.addressScope, reason: 'out-of-scope' };
    }
    this.targets.set(key, newTarget(host, port, peerId, source));
    return check;
  }

  private dueTargets(now: number, skip: ReadonlySet<PeerId>): Target[] {
    const due: Target[] = [];
    for (const t of this.targets.values()) {
      if (t.dialing || t.connected || t.notBefore > now) continue;
      if (t.peerId && skip.has(t.peerId)) continue;
      due.push(t);
    }
    // Stable sort keeps insertion order within a rank.
    return due.sort((a, b) => RANK[a.source] - RANK[b.source] || a.failures - b.failures);
  }
}

/** One key per address, whatever its spelling (`::1` and `0:0::1` are one target). */
function keyOf(host: string, port: number): string {
  const ip = ipToBytes(host);
  return `${ip ? ip.toString('hex') : host.toLowerCase()}|${port}`;
}

function newTarget(
  host: string,
  port: number,
  peerId: PeerId | undefined,
  source: DialSource,
): Target {
  return {
    host,
    port,
    peerId,
    source,
    failures: 0,
    notBefore: 0,
    dialing: false,
    connected: false,
  };
}
