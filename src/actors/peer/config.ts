import type { Logger } from '../../log/logger';
import { type AddressScope, addressScopeFrom } from '../../p2p/addressScope';
import { generateIdentity, type PeerIdentity } from '../../p2p/identity';
import { DEFAULT_QUOTAS, type QuotaConfig } from '../../p2p/quotas';
import type { FreeSpaceProbe } from '../../storage/diskSpace';
import { DEFAULT_CHUNK_SIZE } from '../../storage/manifest';
import { type Clock, type RetryPolicy, retryPolicy, systemClock } from '../../time';
import type { Transport } from '../../transport';
import type { TransferTiming } from '../transfer';

export interface PeerInput {
  transport: Transport;
  /** Where to listen; port 0 picks a free one. */
  listen: { host: string; port: number };
  /** The address other peers should dial, when it is not the listening one (NAT, proxy). */
  advertise?: { host: string; port: number };
  /** Files this peer contributes. */
  files: string[];
  /** Where received files go, each under its own name. */
  dir: string;
  /** Peers to contact first; one live peer is enough, the rest is learned by gossip. */
  bootstrap?: Array<{ host: string; port: number }>;
  /** Number of files in the swarm, when known: the peer is complete only once it holds that many. */
  expect?: number;
  /**
   * Whom this peer proves to be (its Ed25519 key; its ID is the key's fingerprint). A fresh
   * one for this run when absent; `startPeer({ keyPath })` loads or creates a key file.
   */
  identity?: PeerIdentity;
  /** The swarm's shared secret: every handshake then proves membership (HMAC). */
  secret?: string;
  /**
   * Owners whose manifests count (`--trust ID,…`); others are ignored (§9.6). Without it,
   * every owner counts and two contents under one name fail that name on every peer.
   */
  trust?: string[];
  /** Most connections at once, inbound and outbound together. */
  maxConnections?: number;
  /**
   * What one remote peer may make us hold, and the free disk never promised to files
   * (docs/protocol-p2p.md §9.11); each cap left out keeps its default (`DEFAULT_QUOTAS`).
   */
  quotas?: Partial<QuotaConfig>;
  /** How free disk is measured (statfs by default); tests pass a small fake disk. */
  freeSpace?: FreeSpaceProbe;
  /** Upload cap in bytes per second for all connections together; null or absent for none. */
  uploadLimit?: number | null;
  /**
   * After holding everything, keep serving until every known peer is complete, or until
   * nothing has moved in the swarm for this long.
   */
  lingerMs?: number;
  chunkSize?: number;
  /** Requests outstanding to one peer. */
  maxInFlightPerPeer?: number;
  /** Bad chunks tolerated from one peer before it is cut off and banned. */
  maxBadChunks?: number;
  /** Without any peer met for this long, give up. */
  discoveryTimeoutMs?: number;
  /** With files missing and nothing happening in the swarm for this long, give up. */
  giveUpAfterMs?: number;
  /** A peer that said it was full is not dialed again for this long. */
  busyCooldownMs?: number;
  /** Until a peer is met, unreachable bootstrap addresses are dialed again this often. */
  bootstrapRetryMs?: number;
  /** How often connections are topped up and give-up conditions checked. */
  tickMs?: number;
  /**
   * Dials to addresses learned from other peers (not the user's own `bootstrap`): at most this
   * many per second on average (default 4)…
   */
  dialsPerSecond?: number;
  /** …and this many at once after a quiet spell (default 8). */
  dialBurst?: number;
  /** On the way out, how long transfers get to say goodbye. */
  closeTimeoutMs?: number;
  timing?: Partial<Omit<TransferTiming, 'retry'>> & { retry?: Partial<RetryPolicy> };
  /** fsync received files before and after their rename (default true). */
  durable?: boolean;
  /** Local address for outgoing connections. */
  localAddress?: string;
  /** Must be the same clock given to `createActor(…, { clock })`. */
  clock?: Clock;
  /**
   * Uniform numbers in [0, 1) for the choices left to chance (which gossiped peer to dial
   * first). `Math.random` by default; a test gives a seeded one to replay a run.
   */
  random?: () => number;
  logger?: Logger;
}

/** The peer's settings, every default filled in. */
export interface PeerConfig {
  transport: Transport;
  listen: { host: string; port: number };
  advertise: { host: string; port: number } | null;
  files: string[];
  dir: string;
  expect: number | null;
  identity: PeerIdentity;
  secret: string | undefined;
  trusted: ReadonlySet<string> | null;
  quotas: QuotaConfig;
  freeSpace: FreeSpaceProbe | undefined;
  maxConnections: number;
  maxOutbound: number;
  uploadLimit: number | null;
  lingerMs: number;
  chunkSize: number;
  maxInFlightPerPeer: number;
  maxBadChunks: number;
  discoveryTimeoutMs: number;
  giveUpAfterMs: number;
  busyCooldownMs: number;
  /** Where addresses learned by gossip may be dialed: the classes of our own addresses. */
  scope: AddressScope;
  bootstrapRetryMs: number;
  tickMs: number;
  dialsPerSecond: number;
  dialBurst: number;
  closeTimeoutMs: number;
  timing: TransferTiming;
  durable: boolean;
  localAddress: string | undefined;
  clock: Clock;
  random: () => number;
}

/** How a transfer dials and retries unless told otherwise. */
export const TRANSFER_RETRY: RetryPolicy = { attempts: 3, initialDelayMs: 200, maxDelayMs: 2000 };

export function resolveConfig(input: PeerInput): PeerConfig {
  const maxConnections = Math.max(1, input.maxConnections ?? 8);
  const timing = input.timing ?? {};
  return {
    transport: input.transport,
    listen: input.listen,
    advertise: input.advertise ?? null,
    files: input.files,
    dir: input.dir,
    expect: input.expect ?? null,
    identity: input.identity ?? generateIdentity().identity,
    secret: input.secret,
    trusted: input.trust ? new Set(input.trust) : null,
    quotas: { ...DEFAULT_QUOTAS, ...input.quotas },
    freeSpace: input.freeSpace,
    maxConnections,
    // Dialing fewer than half the slots leaves room for latecomers to be accepted somewhere.
    maxOutbound: Math.max(1, Math.floor((maxConnections - 1) / 2)),
    uploadLimit: input.uploadLimit ?? null,
    lingerMs: input.lingerMs ?? 10_000,
    chunkSize: input.chunkSize ?? DEFAULT_CHUNK_SIZE,
    maxInFlightPerPeer: input.maxInFlightPerPeer ?? 4,
    maxBadChunks: input.maxBadChunks ?? 3,
    discoveryTimeoutMs: input.discoveryTimeoutMs ?? 30_000,
    giveUpAfterMs: input.giveUpAfterMs ?? 15_000,
    busyCooldownMs: input.busyCooldownMs ?? 2000,
    bootstrapRetryMs: input.bootstrapRetryMs ?? 1000,
    scope: addressScopeFrom([input.listen, ...(input.bootstrap ?? [])]),
    tickMs: input.tickMs ?? 250,
    dialsPerSecond: Math.max(0.01, input.dialsPerSecond ?? 4),
    dialBurst: Math.max(1, Math.floor(input.dialBurst ?? 8)),
    closeTimeoutMs: input.closeTimeoutMs ?? 2000,
    timing: {
      connectTimeoutMs: timing.connectTimeoutMs ?? 5000,
      handshakeTimeoutMs: timing.handshakeTimeoutMs ?? 5000,
      stallTimeoutMs: timing.stallTimeoutMs ?? 10_000,
      retry: retryPolicy(timing.retry, TRANSFER_RETRY),
    },
    durable: input.durable ?? true,
    localAddress: input.localAddress,
    clock: input.clock ?? systemClock,
    random: input.random ?? Math.random,
  };
}
