import { Subject } from 'rxjs';
import type { ErrorInfo } from '../../errors';
import { getLogger, type Logger } from '../../log/logger';
import type { IncomingChunk } from '../../p2p/storagePipeline';
import { SwarmState } from '../../p2p/swarm';
import { TokenBucket } from '../../p2p/tokenBucket';
import { Uploader } from '../../p2p/uploader';
import type { Manifest } from '../../storage/manifest';
import type { ByteCounters, ChannelListener, PeerEntry } from '../../transport';
import type { Announcement } from '../transfer';
import { type PeerConfig, type PeerInput, resolveConfig } from './config';
import { HaveBatcher } from './gossip';

/** One transfer this peer spawned, as the peer sees it. */
/** A learned address whose dials failed this often is not dialed again. */
export const MAX_FAILED_DIALS_PER_ADDRESS = 3;

/** The key of an address in {@link PeerContext.failedDials}. */
export const addressKey = (target: { host: string; port: number }) =>
  `${target.host}:${target.port}`;

export interface TransferRecord {
  direction: 'outbound' | 'inbound';
  /** Confirmed by the hello, or expected when dialing a known peer. */
  peerId: string | null;
  target: { host: string; port: number } | null;
  remoteAddress: string | null;
  stage: 'connecting' | 'trading';
  /** Which bootstrap address it dials, if any. */
  bootstrap: number | null;
}

export interface BootstrapEntry {
  host: string;
  port: number;
  state: 'pending' | 'dialing' | 'reached' | 'failed' | 'self';
  reason: string | null;
  /** A failed address is dialed again from this time on, while no peer has been met. */
  retryAt: number;
}

/**
 * The helpers that keep mutable bookkeeping, owned by one peer actor for its whole life. They
 * are handles: no `assign` changes them; named effect actions call their methods, and the
 * CLI reads them through the selectors (`selectors.ts`).
 */
export interface PeerHelpers {
  /** Files, chunk availability and membership. */
  swarm: SwarmState;
  /** Serves requests within the upload cap. */
  uploader: Uploader;
  /** Chunk payloads, straight from the transfers to the storage pipeline. */
  chunks: Subject<IncomingChunk>;
  /** Files to open for receiving. */
  opens: Subject<Manifest>;
  /** What this peer tells every connection. */
  announcements: Subject<Announcement>;
  /** `have`s collected during a turn of the event loop, announced together. */
  haves: HaveBatcher;
  /** Wire bytes, counted by every connection. */
  counters: ByteCounters;
}

export interface PeerContext extends PeerHelpers {
  config: PeerConfig;
  logger: Logger;
  listener: ChannelListener | null;
  address: string | null;
  transfers: Record<string, TransferRecord>;
  /** The one admitted transfer of each connected peer. */
  activeByPeer: Record<string, string>;
  nextTransfer: number;
  bootstrap: BootstrapEntry[];
  /**
   * Dials to addresses learned by gossip that ended before the peer there was admitted, per
   * `host:port`: past {@link MAX_FAILED_DIALS_PER_ADDRESS} the address is not dialed again,
   * however many peer IDs gossip claims live there.
   */
  failedDials: Readonly<Record<string, number>>;
  /** Peers admitted so far (a peer met twice counts twice). */
  met: number;
  startedAt: number;
  completeAt: number | null;
  lastProgressAt: number;
  waitingSince: number;
  failure: ErrorInfo | null;
}

/** A peer's starting context: its settings, its helpers, nobody met yet. */
export function createPeerContext(input: PeerInput): PeerContext {
  const config = resolveConfig(input);
  const peerId = config.identity.peerId;
  const self: PeerEntry = { peerId, host: '', port: 1, seq: 0, complete: false, offers: [] };
  const swarm = new SwarmState(
    self,
    { maxInFlightPerPeer: config.maxInFlightPerPeer },
    config.trusted,
  );
  const limiter = config.uploadLimit
    ? new TokenBucket(
        config.uploadLimit,
        Math.max(config.chunkSize, config.uploadLimit / 50),
        config.clock.now(),
      )
    : null;
  const announcements = new Subject<Announcement>();
  return {
    config,
    logger: input.logger ?? getLogger('peer', { peer: peerId }),
    swarm,
    uploader: new Uploader({ clock: config.clock, lookup: (name) => swarm.lookup(name), limiter }),
    chunks: new Subject<IncomingChunk>(),
    opens: new Subject<Manifest>(),
    announcements,
    haves: new HaveBatcher(announcements),
    counters: { sent: 0, received: 0 },
    listener: null,
    address: null,
    transfers: {},
    activeByPeer: {},
    nextTransfer: 1,
    failedDials: {},
    bootstrap: (input.bootstrap ?? []).map((b) => ({
      ...b,
      state: 'pending' as const,
      reason: null,
      retryAt: 0,
    })),
    met: 0,
    startedAt: config.clock.now(),
    completeAt: null,
    lastProgressAt: config.clock.now(),
    waitingSince: config.clock.now(),
    failure: null,
  };
}
