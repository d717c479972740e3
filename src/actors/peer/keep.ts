import { Subject } from 'rxjs';
import type { ActorRef, Snapshot } from 'xstate';
import type { Logger } from '../../log/logger';
import { RecordBook, type SignedPeerRecord } from '../../p2p/gossip';
import type { IncomingChunk } from '../../p2p/storagePipeline';
import { SwarmState } from '../../p2p/swarm';
import { TokenBucket } from '../../p2p/tokenBucket';
import { Uploader } from '../../p2p/uploader';
import type { Manifest } from '../../storage/manifest';
import type { ChannelListener, PeerConnection, PeerEntry } from '../../transport';
import type { Announcement, TransferEvent } from '../transfer';
import type { PeerConfig } from './config';
import { HaveBatcher, tailorFor } from './gossip';

/** A transfer trading with its remote: where the keeper writes to it and sends it events. */
export interface Link {
  peerId: string;
  connection: PeerConnection;
  transfer: ActorRef<Snapshot<unknown>, TransferEvent>;
}

/**
 * The mutable helpers of one peer, owned by its keeper actor (`keeper.ts`) and never held in
 * any machine's context: the swarm's bookkeeping, the uploader, the storage pipeline's
 * inputs, the links to the trading transfers, and the wire bytes of transfers that ended.
 */
export interface Keep {
  config: PeerConfig;
  logger: Logger;
  /** Files, chunk availability and membership. */
  swarm: SwarmState;
  /** Serves requests within the upload cap. */
  uploader: Uploader;
  /** Chunk payloads, straight from the transfers to the storage pipeline. */
  chunks: Subject<IncomingChunk>;
  /** Files to open for receiving. */
  opens: Subject<Manifest>;
  /** `have`s collected during a turn of the event loop, announced together. */
  haves: HaveBatcher;
  /** Trading transfers, by transfer ID. */
  links: Map<string, Link>;
  /** Wire bytes of the transfers that ended (live ones are read from their connections). */
  ended: { sent: number; received: number };
  listener: ChannelListener | null;
  /** Signed peer records (§9.5): the only gossip whose addresses are dialed. */
  records: RecordBook;
  /** Our own record as last signed (re-signed when our entry changes or it ages). */
  own: SignedPeerRecord | null;
  /** The `seq` of our membership entry when {@link own} was signed. */
  ownEntrySeq: number;
  /**
   * Listening on a wildcard, our own IPs as our connections' local ends show them (at most
   * 8): the addresses our record gives, with our listening port.
   */
  localHosts: string[];
}

/** A keeper's helpers, fresh: nobody known, nothing held. */
export function createKeep(config: PeerConfig, logger: Logger): Keep {
  const self: PeerEntry = {
    peerId: config.identity.peerId,
    host: '',
    port: 1,
    seq: 0,
    complete: false,
    offers: [],
  };
  const swarm = new SwarmState(
    self,
    { maxInFlightPerPeer: config.maxInFlightPerPeer },
    config.trusted,
    config.quotas,
  );
  const limiter = config.uploadLimit
    ? new TokenBucket(
        config.uploadLimit,
        Math.max(config.chunkSize, config.uploadLimit / 50),
        config.clock.now(),
      )
    : null;
  const keep: Keep = {
    config,
    logger,
    swarm,
    uploader: new Uploader({ clock: config.clock, lookup: (name) => swarm.lookup(name), limiter }),
    chunks: new Subject<IncomingChunk>(),
    opens: new Subject<Manifest>(),
    haves: new HaveBatcher((a) => announce(keep, a)),
    links: new Map(),
    ended: { sent: 0, received: 0 },
    listener: null,
    records: new RecordBook({
      self: config.identity.peerId,
      maxRecords: config.quotas.maxRecords,
      maxPerSource: config.quotas.maxRecordsPerSource,
    }),
    own: null,
    ownEntrySeq: -1,
    localHosts: [],
  };
  return keep;
}

/** Tells every trading connection (but `except`), each told only what it does not know. */
export function announce(keep: Keep, { message, except }: Announcement): void {
  for (const [id, link] of keep.links) {
    if (id === except) continue;
    const out = tailorFor(keep.swarm, link.peerId, message);
    if (out) link.connection.send(out);
  }
}

/** Wire bytes so far: ended transfers plus the live ones. */
export function wireBytes(keep: Keep): { sent: number; received: number } {
  let { sent, received } = keep.ended;
  for (const link of keep.links.values()) {
    sent += link.connection.counters.sent;
    received += link.connection.counters.received;
  }
  return { sent, received };
}

/** The trading transfer of each peer, by peer ID. */
export function routes(keep: Keep): Map<string, Link> {
  const out = new Map<string, Link>();
  for (const link of keep.links.values()) out.set(link.peerId, link);
  return out;
}
