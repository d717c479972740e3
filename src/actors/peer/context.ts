import type { ErrorInfo } from '../../errors';
import { getLogger, type Logger } from '../../log/logger';
import { emptyReport, type SwarmReport } from '../../p2p/peerSummary';
import { type PeerConfig, type PeerInput, resolveConfig } from './config';
import type { KeeperInput } from './keeper';
import type { KeeperRef } from './keeperEvents';
import { emptyView, type SwarmView } from './view';

/** A learned address whose dials failed this often is not dialed again. */
export const MAX_FAILED_DIALS_PER_ADDRESS = 3;

/** The key of an address in {@link PeerContext.failedDials}. */
export const addressKey = (target: { host: string; port: number }) =>
  `${target.host}:${target.port}`;

/** One transfer this peer spawned, as the peer sees it. */
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

/** Tokens of the dial rate limit as of monotonic time `at` (ms). */
export interface DialCredit {
  tokens: number;
  at: number;
}

export interface BootstrapEntry {
  host: string;
  port: number;
  state: 'pending' | 'dialing' | 'reached' | 'failed' | 'self';
  reason: string | null;
  /** A failed address is dialed again from this time on, while no peer has been met. */
  retryAt: number;
}

export interface PeerContext {
  /** Immutable settings. */
  config: PeerConfig;
  logger: Logger;
  /** The actor that owns the mutable helpers and the data path (`keeper.ts`). */
  keeper: KeeperRef;
  /** What the keeper last said of the swarm: a plain value. */
  view: SwarmView;
  /** The keeper's report once the files are closed (an empty one before). */
  report: SwarmReport;
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
  /**
   * The dial rate limit's bucket (a plain value): `tokens` as of monotonic time `at`, refilled
   * at `config.dialsPerSecond` up to `config.dialBurst`; each dial to a learned address takes
   * one (`dialPlan.ts`).
   */
  dialCredit: DialCredit;
  /** Peers admitted so far (a peer met twice counts twice). */
  met: number;
  startedAt: number;
  completeAt: number | null;
  lastProgressAt: number;
  waitingSince: number;
  failure: ErrorInfo | null;
}

/**
 * A peer's starting context: its settings, its keeper (spawned by `spawnKeeper`), nobody met
 * yet. Every field but the config, the logger and the keeper's reference is a plain value.
 */
export function createPeerContext(
  input: PeerInput,
  spawnKeeper: (input: KeeperInput) => KeeperRef,
): PeerContext {
  const config = resolveConfig(input);
  const peerId = config.identity.peerId;
  const logger = input.logger ?? getLogger('peer', { peer: peerId });
  return {
    config,
    logger,
    keeper: spawnKeeper({ config, logger }),
    view: emptyView(peerId),
    report: emptyReport(peerId),
    address: null,
    transfers: {},
    activeByPeer: {},
    nextTransfer: 1,
    failedDials: {},
    dialCredit: { tokens: config.dialBurst, at: config.clock.now() },
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
