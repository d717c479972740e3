import type { ErrorInfo } from '../errors';
import type { Bitfield } from '../storage/bitfield';
import type { StoredFile } from '../storage/chunkStore';
import type { Manifest } from '../storage/manifest';
import type { SignedManifest } from './ownership/signedManifest';

/** The records of {@link SwarmState} (swarm.ts): files, verdicts on manifests, what is missing. */

/** One file of the swarm as this peer holds it. */
export interface FileRecord {
  manifest: Manifest;
  /** `own`: contributed with --file; `network`: learned from a peer. */
  origin: 'own' | 'network';
  state: 'opening' | 'receiving' | 'complete' | 'failed';
  stored: StoredFile | null;
  error: ErrorInfo | null;
  /** Who announced it first (its `manifest` message). */
  from: string | null;
  /** The owner's signature over it (§9.4): sent with it, unchanged, by every relay. */
  signed: SignedManifest;
}

/** A file this peer does not hold at the end, and why. */
export interface MissingFile {
  name: string;
  reason: string;
  /** Chunks held / total, when the manifest is known. */
  chunksHeld: number | null;
  chunks: number | null;
}

export type ManifestVerdict =
  | { kind: 'new'; signed: SignedManifest; count: number; bits: Bitfield }
  /** The content we hold under that name (perhaps signed by a co-owner). */
  | { kind: 'known'; signed: SignedManifest; count: number; bits: Bitfield }
  /**
   * Another content under a name we know, from an accepted owner (§9.6): the name fails on
   * every peer that sees both. `fresh` when this content is new to us (then it is passed on).
   */
  | { kind: 'conflict'; signed: SignedManifest; fresh: boolean }
  /**
   * Not counted: an owner off the trust list, or a manifest past a quota of its sender or of
   * its owner (`limit` says which, §9.11).
   */
  | { kind: 'ignored'; code: 'ERR_UNTRUSTED_OWNER' | 'ERR_QUOTA'; limit?: string }
  /** Its sender is cut off and banned with `code`. */
  | { kind: 'bad'; code: string; problem: string };

/** How one file came in (monotonic ms of this peer's clock). */
export interface InboundFile {
  firstRequestAt: number | null;
  completedAt: number | null;
  from: Set<string>;
  chunks: number;
  bytes: number;
}
