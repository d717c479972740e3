import { Bitfield } from '../storage/bitfield';
import { type FileState, key, type PeerState, pickEndgame, pickRarest } from './chunkPicking';

/** One chunk request: ask `peer` for chunk `index` of `file`. */
export interface Assignment {
  peer: string;
  file: string;
  index: number;
  /** A second request for a chunk already asked of someone else (end game). */
  endgame: boolean;
}

export interface SchedulerOptions {
  /** Requests outstanding to one peer at a time (pipelining depth per connection). */
  maxInFlightPerPeer?: number;
  /** Requests outstanding to all peers together. */
  maxInFlightTotal?: number;
  /** In the end game, how many peers may be asked for the same chunk at once. */
  maxRequestsPerChunk?: number;
  /**
   * End-game duplicates are only sent for requests outstanding longer than this many times
   * the usual answer time (a running average), and never sooner than `minEndgameAgeMs`.
   * Fast peers then finish on their own and only a slow or lost request is duplicated.
   */
  endgameLatencyFactor?: number;
  minEndgameAgeMs?: number;
  /** Uniform in [0, 1); injected so tests are reproducible. */
  random?: () => number;
}

/**
 * Decides which chunk to ask of which peer. Pure bookkeeping, no I/O and no clock:
 *
 * - **Rarest first**: a peer with a free request slot is asked for the chunk that the fewest
 *   connected peers hold (ties broken at random, so neighbours fetch different chunks and
 *   can then trade them with each other).
 * - **Spread**: peers are filled least-loaded first, one request at a time, with at most
 *   `maxInFlightPerPeer` outstanding each and `maxInFlightTotal` overall, so requests for a
 *   file spread across everyone who holds it.
 * - **No chunk asked twice** — except in the **end game**: once every missing chunk is
 *   already requested, idle peers are also asked for chunks outstanding elsewhere for longer
 *   than twice the usual answer time (at most `maxRequestsPerChunk` askers per chunk), and
 *   the first copy to arrive cancels the rest. A slow peer cannot hold everyone at 99 %.
 * - **Bad copies**: a peer that sent a chunk that failed its hash is not asked for that
 *   chunk again while another holder exists.
 */
export class ChunkScheduler {
  private readonly files = new Map<string, FileState>();
  private readonly peers = new Map<string, PeerState>();
  private readonly maxPerPeer: number;
  private readonly maxTotal: number;
  private readonly maxPerChunk: number;
  private readonly random: () => number;
  private readonly latencyFactor: number;
  private readonly minEndgameAge: number;
  private inFlightTotal = 0;
  /**
   * Whether anything changed since `next` last found nothing to ask: it is called after
   * every event, and most events (a `have` for a chunk we hold) change nothing.
   */
  private dirty = true;
  /** In the end game, when waiting requests become old enough to duplicate. */
  private endgameCheckAt = Number.POSITIVE_INFINITY;
  /** Running average of the time between a request and its chunk, in ms. */
  private latency: number | null = null;
  /** The time of the last `next` or `received` call. */
  private now = 0;

  constructor(options: SchedulerOptions = {}) {
    this.maxPerPeer = options.maxInFlightPerPeer ?? 4;
    this.maxTotal = options.maxInFlightTotal ?? 64;
    this.maxPerChunk = Math.max(1, options.maxRequestsPerChunk ?? 2);
    this.random = options.random ?? Math.random;
    this.latencyFactor = options.endgameLatencyFactor ?? 2;
    this.minEndgameAge = options.minEndgameAgeMs ?? 20;
  }

  /** The running average answer time (ms), once a chunk has arrived. */
  get averageLatencyMs(): number | null {
    return this.latency;
  }

  /** Declares a file of `count` chunks and which of them we already hold. */
  addFile(file: string, count: number, have: Bitfield): void {
    if (have.size !== count)
      throw new RangeError(`bitfield of ${have.size} bits for ${count} chunks`);
    const state = this.fileState(file, count);
    if (!state) throw new RangeError(`${file} is known with another chunk count`);
    state.have = have;
    state.missing = new Set<number>();
    for (let i = 0; i < count; i++) if (!have.has(i)) state.missing.add(i);
    this.dirty = true;
  }

  /** Stops fetching `file` (it failed for good); its outstanding requests are forgotten. */
  dropFile(file: string): void {
    const state = this.files.get(file);
    if (!state) return;
    for (const [index, askers] of [...state.requested])
      for (const peer of [...askers]) this.unrequest(peer, file, index);
    state.have = null;
    state.missing.clear();
    this.dirty = true;
  }

  hasFile(file: string): boolean {
    return this.files.get(file)?.have != null;
  }

  /** Everything a peer holds of `file` (its `manifest` announcement). Replaces what we knew. */
  setPeerFile(peer: string, file: string, count: number, bits: Bitfield): void {
    const state = this.fileState(file, count);
    if (!state || bits.size !== count) return;
    const peerState = this.peerState(peer);
    const old = peerState.files.get(file);
    if (old) for (const i of old.indices()) state.availability[i]! -= 1;
    const copy = Bitfield.fromBytes(bits.toBytes(), count)!;
    peerState.files.set(file, copy);
    this.dirty = true;
    for (const i of copy.indices()) state.availability[i]! += 1;
  }

  /** A peer got one more chunk (its `have` announcement). */
  peerHas(peer: string, file: string, index: number): void {
    const state = this.files.get(file);
    if (!state || index < 0 || index >= state.count) return;
    // The peer may know the file from our manifest only (it never sent its own): start empty.
    const peerState = this.peerState(peer);
    let bits = peerState.files.get(file);
    if (!bits) {
      bits = new Bitfield(state.count);
      peerState.files.set(file, bits);
    }
    if (!bits.set(index)) return;
    state.availability[index]! += 1;
    if (state.missing.has(index) && !state.requested.has(index)) this.dirty = true;
  }

  /** Whether `peer` announced `file` to us (so it knows that file). */
  peerKnows(peer: string, file: string): boolean {
    return this.peers.get(peer)?.files.has(file) ?? false;
  }

  /** Whether `peer` holds chunk `index` of `file`, as far as we know. */
  peerHasChunk(peer: string, file: string, index: number): boolean {
    return this.peers.get(peer)?.files.get(file)?.has(index) ?? false;
  }

  /** The peer is gone: forget what it holds; its outstanding requests become unrequested. */
  removePeer(peer: string): Array<{ file: string; index: number }> {
    const peerState = this.peers.get(peer);
    if (!peerState) return [];
    const dropped: Array<{ file: string; index: number }> = [];
    for (const k of peerState.inFlight.keys()) {
      const [file, index] = splitKey(k);
      this.unrequest(peer, file, index);
      dropped.push({ file, index });
    }
    for (const [file, bits] of peerState.files) {
      const state = this.files.get(file);
      if (state) for (const i of bits.indices()) state.availability[i]! -= 1;
    }
    this.peers.delete(peer);
    this.dirty = true;
    return dropped;
  }

  /** True when we asked `peer` for this chunk and it has not answered yet. */
  isRequested(peer: string, file: string, index: number): boolean {
    return this.peers.get(peer)?.inFlight.has(key(file, index)) ?? false;
  }

  /**
   * A verified copy of the chunk is stored. Returns the other peers still asked for it
   * (end game), whose requests should now be cancelled.
   */
  received(
    file: string,
    index: number,
    now = this.now,
    from?: string,
  ): Array<{ peer: string; file: string; index: number }> {
    this.now = Math.max(this.now, now);
    const state = this.files.get(file);
    if (!state?.have) return [];
    state.have.set(index);
    state.missing.delete(index);
    state.avoid.delete(index);
    const askers = state.requested.get(index);
    if (!askers) return [];
    const askedAt = from ? this.peers.get(from)?.inFlight.get(key(file, index)) : undefined;
    if (askedAt !== undefined) {
      const sample = Math.max(0, now - askedAt);
      this.latency = this.latency === null ? sample : this.latency * 0.8 + sample * 0.2;
    }
    const cancels = [...askers].map((peer) => ({ peer, file, index }));
    for (const peer of [...askers]) this.unrequest(peer, file, index);
    return cancels.filter(({ peer }) => peer !== from && this.peers.has(peer));
  }

  /** The peer answered without the chunk (`reject`), or the request was withdrawn. */
  released(peer: string, file: string, index: number): void {
    this.unrequest(peer, file, index);
  }

  /**
   * The peer sent a copy that failed its hash: the request ends and that peer is asked for
   * this chunk again only when no other peer holds it.
   */
  failed(peer: string, file: string, index: number): void {
    this.unrequest(peer, file, index);
    const state = this.files.get(file);
    if (!state) return;
    const avoid = state.avoid.get(index) ?? new Set<string>();
    avoid.add(peer);
    this.dirty = true;
    state.avoid.set(index, avoid);
  }

  /** New requests to send now, filling free slots least-loaded peer first. */
  next(now = this.now): Assignment[] {
    this.now = Math.max(this.now, now);
    if (!this.dirty && this.now < this.endgameCheckAt) return [];
    this.dirty = false;
    this.endgameCheckAt = Number.POSITIVE_INFINITY;
    const out: Assignment[] = [];
    const peers = [...this.peers.entries()].filter(([, p]) => p.inFlight.size < this.maxPerPeer);
    const dead = new Set<string>();
    while (this.inFlightTotal < this.maxTotal) {
      let best: [string, PeerState] | null = null;
      for (const entry of peers) {
        if (dead.has(entry[0]) || entry[1].inFlight.size >= this.maxPerPeer) continue;
        if (!best || entry[1].inFlight.size < best[1].inFlight.size) best = entry;
      }
      if (!best) break;
      const [peer, peerState] = best;
      const pick =
        pickRarest(this.files, peerState, peer, this.random) ??
        (this.inEndgame()
          ? pickEndgame(this.files, this.peers, peerState, peer, {
              now: this.now,
              minAge: Math.max(this.minEndgameAge, (this.latency ?? 0) * this.latencyFactor),
              maxPerChunk: this.maxPerChunk,
              random: this.random,
            })
          : null);
      if (!pick) {
        dead.add(peer);
        continue;
      }
      this.request(peer, pick.file, pick.index);
      out.push({ peer, ...pick });
    }
    if (this.inEndgame()) {
      // Requests not yet old enough to duplicate will be, a little later.
      this.endgameCheckAt =
        this.now + Math.max(this.minEndgameAge, (this.latency ?? 0) * this.latencyFactor) / 2;
    }
    return out;
  }

  /** True once every missing chunk has been asked for (so only duplicates are left to ask). */
  inEndgame(): boolean {
    let unrequested = 0;
    let missing = 0;
    for (const state of this.files.values()) {
      if (!state.have) continue;
      const m = state.count - state.have.count;
      missing += m;
      unrequested += m - state.requested.size;
    }
    return missing > 0 && unrequested === 0;
  }

  /** Chunks still missing of `file`, or `null` for a file we do not want. */
  missing(file: string): number | null {
    const state = this.files.get(file);
    return state?.have ? state.count - state.have.count : null;
  }

  /** Connected peers holding chunk `index` of `file`. */
  availability(file: string, index: number): number {
    return this.files.get(file)?.availability[index] ?? 0;
  }

  /** Missing chunks that no connected peer holds, per wanted file. */
  unavailable(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [file, state] of this.files) {
      if (!state.have) continue;
      let n = 0;
      for (let i = 0; i < state.count; i++)
        if (!state.have.has(i) && state.availability[i] === 0) n += 1;
      if (n > 0) out.set(file, n);
    }
    return out;
  }

  inFlight(peer?: string): number {
    return peer === undefined ? this.inFlightTotal : (this.peers.get(peer)?.inFlight.size ?? 0);
  }

  private request(peer: string, file: string, index: number): void {
    const state = this.files.get(file)!;
    const askers = state.requested.get(index) ?? new Set<string>();
    askers.add(peer);
    state.requested.set(index, askers);
    this.peers.get(peer)!.inFlight.set(key(file, index), this.now);
    this.inFlightTotal += 1;
  }

  private unrequest(peer: string, file: string, index: number): void {
    const peerState = this.peers.get(peer);
    if (!peerState?.inFlight.delete(key(file, index))) return;
    this.inFlightTotal -= 1;
    this.dirty = true;
    const state = this.files.get(file);
    const askers = state?.requested.get(index);
    if (!askers) return;
    askers.delete(peer);
    if (askers.size === 0) state!.requested.delete(index);
  }

  private fileState(file: string, count: number): FileState | null {
    const existing = this.files.get(file);
    if (existing) return existing.count === count ? existing : null;
    const state: FileState = {
      count,
      have: null,
      availability: new Uint16Array(count),
      missing: new Set(),
      requested: new Map(),
      avoid: new Map(),
    };
    this.files.set(file, state);
    return state;
  }

  private peerState(peer: string): PeerState {
    let state = this.peers.get(peer);
    if (!state) {
      state = { files: new Map(), inFlight: new Map() };
      this.peers.set(peer, state);
    }
    return state;
  }
}

function splitKey(k: string): [string, number] {
  const at = k.lastIndexOf('\0');
  return [k.slice(0, at), Number(k.slice(at + 1))];
}
