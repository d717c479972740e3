import type { MemberStatus } from '../../p2p/membership';
import type { SwarmState } from '../../p2p/swarm';
import type { Uploader } from '../../p2p/uploader';
import { MAX_PEERS_PER_MESSAGE, type PeerEntry, type WireRecord } from '../../transport';

/** A peer we know, as the peer machine sees it: plain values only. */
export interface MemberView {
  entry: PeerEntry;
  status: MemberStatus;
  /** Said it was full: not dialed before this time (clock ms). */
  busyUntil: number;
  /**
   * Its address was given by the peer itself (first-hand, or in a record it signed): only
   * then is it dialed (§9.8). An address only gossiped never is.
   */
  vouched: boolean;
}

/** One file known, as the peer machine sees it. */
export interface FileView {
  state: 'opening' | 'receiving' | 'complete' | 'failed';
}

/** How one received file is coming in (monotonic ms of this peer's clock). */
export interface InboundView {
  firstRequestAt: number | null;
  completedAt: number | null;
  from: string[];
  chunks: number;
  bytes: number;
}

/**
 * What the peer machine knows of its swarm: a plain value the keeper (`keeper.ts`) sends
 * with `swarm.view` whenever it changes, and that every guard, selector and dial plan reads.
 * The live helpers (files, scheduler, membership, uploader) stay inside the keeper.
 */
export interface SwarmView {
  /** Our own membership entry, as we gossip it. */
  self: PeerEntry;
  /** Every peer we know, in the order we learned of them. */
  members: MemberView[];
  /** Every file we know, by name. */
  files: Record<string, FileView>;
  /** We hold every file we know, and know a manifest for every file a proven peer offers. */
  holdsAll: boolean;
  /** Chunks asked for and not yet received. */
  inFlight: number;
  /** Every peer we know, except those lost for good, says it is complete. */
  othersComplete: boolean;
  /** Bad chunks received, by peer ID. */
  badChunks: Record<string, number>;
  /** When our last chunk went out (clock ms), or -Infinity. */
  lastSentAt: number;
  /** The names we should hold and do not (as of the last tick). */
  missing: string[];
  /** Files received so far, by name. */
  inbound: Record<string, InboundView>;
  /** Wire bytes, every connection together. */
  bytes: { sent: number; received: number };
  /** Whom a full peer names when it refuses a dialer (us first). */
  farewell: PeerEntry[];
  /** Their signed records (ours first), sent with the farewell: only these are dialed. */
  farewellRecords: WireRecord[];
}

/** The view before the keeper has said anything: nothing known, nothing held. */
export function emptyView(peerId: string): SwarmView {
  return {
    self: { peerId, host: '', port: 1, seq: 0, complete: false, offers: [] },
    members: [],
    files: {},
    holdsAll: true,
    inFlight: 0,
    othersComplete: true,
    badChunks: {},
    lastSentAt: Number.NEGATIVE_INFINITY,
    missing: [],
    inbound: {},
    bytes: { sent: 0, received: 0 },
    farewell: [],
    farewellRecords: [],
  };
}

/** Reads the keeper's helpers into a fresh plain view (`missing` is given: it costs more). */
export function readView(
  swarm: SwarmState,
  uploader: Uploader,
  bytes: { sent: number; received: number },
  missing: string[],
  farewellRecords: WireRecord[] = [],
): SwarmView {
  const { membership } = swarm;
  const files: Record<string, FileView> = {};
  for (const [name, record] of swarm.files) files[name] = { state: record.state };
  const inbound: Record<string, InboundView> = {};
  for (const [name, f] of swarm.inbound) inbound[name] = { ...f, from: [...f.from] };
  return {
    self: { ...membership.self, offers: [...membership.self.offers] },
    members: membership.others().map((m) => ({
      entry: { ...m.entry, offers: [...m.entry.offers] },
      status: m.status,
      busyUntil: m.busyUntil,
      vouched: membership.isVouched(m.entry),
    })),
    files,
    holdsAll: swarm.isComplete(null, 1),
    inFlight: swarm.scheduler.inFlight(),
    othersComplete: membership.othersComplete(),
    badChunks: Object.fromEntries(swarm.badChunks),
    lastSentAt: uploader.lastSentAt,
    missing,
    inbound,
    bytes: { ...bytes },
    farewell: swarm.knownEntries().slice(0, MAX_PEERS_PER_MESSAGE),
    farewellRecords,
  };
}

/**
 * The part of a view the machine decides on (stats left out): the keeper sends a new view
 * when this changes, and with every tick otherwise.
 */
export const decisionKey = (view: SwarmView): string =>
  JSON.stringify([
    view.self.seq,
    view.self.complete,
    view.members.map((m) => [m.entry.peerId, m.entry.seq, m.status, m.busyUntil, m.vouched]),
    view.files,
    view.holdsAll,
    view.inFlight > 0,
    view.othersComplete,
    view.badChunks,
  ]);

/** A known member's view, or undefined. */
export const memberOf = (view: SwarmView, peerId: string): MemberView | undefined =>
  view.members.find((m) => m.entry.peerId === peerId);

/**
 * Complete: holding every file known and a manifest for every file offered, and knowing at
 * least `expect` files (or, without `expect`, having met a peer).
 */
export const viewIsComplete = (view: SwarmView, expect: number | null, met: number): boolean =>
  (expect !== null ? Object.keys(view.files).length >= expect : met > 0) && view.holdsAll;
