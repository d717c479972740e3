import { P2P_CODES } from '../errors';
import type { PeerId } from '../identity/peerId';
import type { SignedManifest } from './signedManifest';

/**
 * Who may own files in this run. With `trusted` (from `--trust ID,…`, or the run's list of
 * expected owners), only manifests signed by those IDs are accepted; with `null`, any owner.
 */
export interface OwnershipPolicy {
  trusted: ReadonlySet<PeerId> | null;
}

export interface NameLedgerOptions {
  /** Most names tracked (reference: 1024); beyond, new names are refused with `ERR_QUOTA`. */
  maxNames?: number;
  /** Owners remembered per content (the smallest IDs are kept; reference: 8). */
  maxOwnersPerContent?: number;
}

/** One content announced for a name, with (some of) the owners who signed it. */
export interface NameContent {
  /** The verified manifest of this content signed by its smallest owner ID (same content either way). */
  signed: SignedManifest;
  /** Owners who signed this exact content, smallest first, at most `maxOwnersPerContent`. */
  owners: PeerId[];
}

/** What this peer knows about one name. */
export type NameVerdict =
  | { kind: 'unknown' }
  | { kind: 'accepted'; content: NameContent }
  /**
   * Two different contents were signed for this name by accepted owners (two owners, or one
   * owner twice). The name fails on this peer with `ERR_NAME_CONFLICT`; `contents` are the
   * two with the smallest content digests ever seen, so the evidence does not depend on the
   * order manifests arrived in.
   */
  | { kind: 'conflict'; code: typeof P2P_CODES.nameConflict; contents: [NameContent, NameContent] };

/** What offering one more verified manifest changed. */
export type LedgerOutcome =
  /** First content for this name: the file may be fetched. */
  | { kind: 'new' }
  /** Same content as known (maybe a new co-owner). Nothing to do. */
  | { kind: 'same' }
  /**
   * A content that makes (or keeps) the name a conflict. `fresh` is true when this very
   * manifest entered the evidence: forward it, so every peer fails the name too.
   */
  | { kind: 'conflict'; fresh: boolean }
  | { kind: 'refused'; code: typeof P2P_CODES.untrustedOwner | typeof P2P_CODES.quota };

interface Entry {
  contents: NameContent[]; // at most 2, sorted by content digest
  conflict: boolean;
}

const compareBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

/**
 * Decides, per name, which content a peer fetches — or that the name is a conflict.
 *
 * The rule (docs/protocol-p2p.md §9.6), which a user can reason about and every peer
 * applies alike:
 * - only manifests from accepted owners count (all owners, or the trust list);
 * - one content for a name, however many owners signed it: that is the file;
 * - two different contents for a name — two owners, or one owner twice (a file never
 *   changes within a run, so an owner that signs two is equivocating) — make the name a
 *   conflict, for good, naming the owners of both.
 *
 * Security property: never settled by arrival order. The verdict for a name is a function
 * of the *set* of manifests seen (property-tested over permutations): a forger who
 * announces first gains nothing over one who announces last; with a trust list it is
 * ignored, without one its forgery fails the name on every peer that sees both, loudly,
 * instead of silently replacing the file.
 *
 * Memory: at most `maxNames × 2` manifests (see quotas.ts for the bound in bytes).
 */
export class NameLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly maxNames: number;
  private readonly maxOwners: number;

  constructor(
    private readonly policy: OwnershipPolicy,
    options: NameLedgerOptions = {},
  ) {
    this.maxNames = options.maxNames ?? 1024;
    this.maxOwners = options.maxOwnersPerContent ?? 8;
  }

  /** True when `owner` may own files under this policy. */
  accepts(owner: PeerId): boolean {
    return this.policy.trusted === null || this.policy.trusted.has(owner);
  }

  offer(signed: SignedManifest): LedgerOutcome {
    if (!this.accepts(signed.owner)) return { kind: 'refused', code: P2P_CODES.untrustedOwner };
    const name = signed.manifest.name;
    const entry = this.entries.get(name);
    if (!entry) {
      if (this.entries.size >= this.maxNames) return { kind: 'refused', code: P2P_CODES.quota };
      this.entries.set(name, {
        contents: [{ signed, owners: [signed.owner] }],
        conflict: false,
      });
      return { kind: 'new' };
    }
    const same = entry.contents.find((c) => c.signed.contentDigest.equals(signed.contentDigest));
    if (same) {
      this.addOwner(same, signed.owner);
      if (signed.owner < same.signed.owner) same.signed = signed;
      return entry.conflict ? { kind: 'conflict', fresh: false } : { kind: 'same' };
    }
    entry.conflict = true;
    const candidate: NameContent = { signed, owners: [signed.owner] };
    const all = [...entry.contents, candidate].sort((a, b) =>
      compareBytes(a.signed.contentDigest, b.signed.contentDigest),
    );
    entry.contents = all.slice(0, 2);
    return { kind: 'conflict', fresh: entry.contents.includes(candidate) };
  }

  verdict(name: string): NameVerdict {
    const entry = this.entries.get(name);
    if (!entry) return { kind: 'unknown' };
    if (entry.conflict) {
      return {
        kind: 'conflict',
        code: P2P_CODES.nameConflict,
        contents: [entry.contents[0]!, entry.contents[1]!],
      };
    }
    return { kind: 'accepted', content: entry.contents[0]! };
  }

  /** Every name with a verdict, in no particular order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Names that are conflicts, with both owners' IDs (deduplicated, smallest first). */
  conflicts(): Array<{ name: string; owners: PeerId[] }> {
    const out: Array<{ name: string; owners: PeerId[] }> = [];
    for (const [name, entry] of this.entries) {
      if (!entry.conflict) continue;
      const owners = new Set(entry.contents.flatMap((c) => c.owners));
      out.push({ name, owners: [...owners].sort() });
    }
    return out;
  }

  private addOwner(content: NameContent, owner: PeerId): void {
    if (content.owners.includes(owner)) return;
    content.owners = [...content.owners, owner].sort().slice(0, this.maxOwners);
  }
}
