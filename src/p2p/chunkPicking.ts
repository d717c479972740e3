import type { Bitfield } from '../storage/bitfield';

/**
 * Which chunk to ask a peer for: the two picking rules of the chunk scheduler
 * (`scheduler.ts`), pure functions over its book-keeping. Rarest first for a chunk nobody was
 * asked for yet; in the end game, a duplicate of a request that has waited too long.
 */

/** The scheduler's view of one file. */
export interface FileState {
  count: number;
  /** Chunks we hold (verified); `null` until we know we want this file. */
  have: Bitfield | null;
  /** How many connected peers hold each chunk. */
  availability: Uint16Array;
  /** Chunks we want and do not hold (empty for a file we do not want). */
  missing: Set<number>;
  /** Missing chunks asked for, and of whom. */
  requested: Map<number, Set<string>>;
  /** Peers that sent a bad copy of a chunk: asked again only when nobody else has it. */
  avoid: Map<number, Set<string>>;
}

export interface PeerState {
  files: Map<string, Bitfield>;
  /** `file\0index` of every request outstanding to this peer, with when it was made. */
  inFlight: Map<string, number>;
}

/** The map key of one chunk of one file. */
export const key = (file: string, index: number) => `${file}\0${index}`;

export interface Pick {
  file: string;
  index: number;
}

/**
 * The chunk `peer` holds that the fewest connected peers hold, among chunks we miss and
 * asked nobody for (ties broken by `random`, so neighbours fetch different chunks). A chunk
 * this peer once sent a bad copy of is picked only when every holder did.
 */
export function pickRarest(
  files: ReadonlyMap<string, FileState>,
  peerState: PeerState,
  peer: string,
  random: () => number,
): (Pick & { endgame: false }) | null {
  let best: Pick | null = null;
  let bestAvailability = Number.POSITIVE_INFINITY;
  let ties = 0;
  let fallback: Pick | null = null;
  for (const [file, bits] of peerState.files) {
    const state = files.get(file);
    if (!state?.have || state.have.complete) continue;
    for (const i of state.missing) {
      if (!bits.has(i) || state.have.has(i) || state.requested.has(i)) continue;
      const avoided = state.avoid.get(i);
      if (avoided?.has(peer)) {
        // Only from this peer again if every holder sent a bad copy.
        if (!fallback && [...avoided].length >= state.availability[i]!)
          fallback = { file, index: i };
        continue;
      }
      const availability = state.availability[i]!;
      if (availability < bestAvailability) {
        best = { file, index: i };
        bestAvailability = availability;
        ties = 1;
      } else if (availability === bestAvailability) {
        ties += 1;
        if (random() * ties < 1) best = { file, index: i };
      }
    }
  }
  const pick = best ?? fallback;
  return pick ? { ...pick, endgame: false } : null;
}

export interface EndgameRule {
  now: number;
  /** A request younger than this (ms) is not duplicated. */
  minAge: number;
  /** At most this many peers asked for one chunk at once. */
  maxPerChunk: number;
  random: () => number;
}

/**
 * In the end game: a chunk `peer` holds that others were asked for at least `minAge` ago,
 * with the fewest askers, never one this peer was already asked for or sent a bad copy of.
 */
export function pickEndgame(
  files: ReadonlyMap<string, FileState>,
  peers: ReadonlyMap<string, PeerState>,
  peerState: PeerState,
  peer: string,
  rule: EndgameRule,
): (Pick & { endgame: true }) | null {
  let best: Pick | null = null;
  let fewest = Number.POSITIVE_INFINITY;
  let ties = 0;
  for (const [file, bits] of peerState.files) {
    const state = files.get(file);
    if (!state?.have) continue;
    for (const [index, askers] of state.requested) {
      if (!bits.has(index) || askers.has(peer) || askers.size >= rule.maxPerChunk) continue;
      if (state.avoid.get(index)?.has(peer)) continue;
      if (oldestAsk(peers, file, index, askers) > rule.now - rule.minAge) continue;
      if (askers.size < fewest) {
        best = { file, index };
        fewest = askers.size;
        ties = 1;
      } else if (askers.size === fewest) {
        ties += 1;
        if (rule.random() * ties < 1) best = { file, index };
      }
    }
  }
  return best ? { ...best, endgame: true } : null;
}

function oldestAsk(
  peers: ReadonlyMap<string, PeerState>,
  file: string,
  index: number,
  askers: ReadonlySet<string>,
): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const peer of askers)
    oldest = Math.min(oldest, peers.get(peer)?.inFlight.get(key(file, index)) ?? oldest);
  return oldest;
}
