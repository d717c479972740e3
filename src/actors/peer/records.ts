import {
  DEFAULT_RECORD_TTL_MS,
  type SignedPeerRecord,
  signOwnRecord,
  verifyPeerRecord,
} from '../../p2p/gossip';
import type { PeerId } from '../../p2p/identity/peerId';
import { recordClaimFromWire, recordToWire } from '../../p2p/wire';
import { MAX_RECORDS_PER_MESSAGE, type PeerMessage, type WireRecord } from '../../transport';
import { announce, type Keep } from './keep';

/**
 * Signed peer records on the keeper's side (docs/protocol-p2p.md §9.5, §9.8): ours, signed
 * and re-signed; others', verified, kept in the record book, vouching for their addresses,
 * and passed on once when new or newer. Gossip stops by itself: only a record's subject can
 * sign a newer one.
 */

/** Wall-clock now, Unix ms (records travel between machines, so they expire by the wall). */
const wallMs = (keep: Keep) => Math.floor(keep.config.clock.wallMicros() / 1000);

/** Our record, re-signed when our entry changed or when half its life has passed. */
export function ownRecord(keep: Keep): SignedPeerRecord {
  const { self } = keep.swarm.membership;
  const now = wallMs(keep);
  const own = keep.own;
  const fresh =
    own !== null &&
    keep.ownEntrySeq === self.seq &&
    own.complete === self.complete &&
    (self.host !== '' || own.addresses.length === keep.localHosts.length) &&
    own.expiresAt - now > DEFAULT_RECORD_TTL_MS / 2;
  if (fresh) return own;
  // Every record we sign has a higher `seq` than the last (the wall clock's ms, or one more):
  // a refreshed record replaces the old one at every receiver, also after a restart.
  const seq = Math.max(now, (own?.seq ?? 0) + 1);
  keep.own = signOwnRecord(
    keep.config.identity,
    { ...self, seq, localHosts: keep.localHosts },
    now,
  );
  keep.ownEntrySeq = self.seq;
  return keep.own;
}

/**
 * Listening on a wildcard: a connection's local end is one of our IPs, which our record may
 * give (a record cannot say "where you see me from"; it names IPs).
 */
export function noteLocalHost(keep: Keep, host: string): void {
  if (keep.swarm.membership.self.host !== '' || keep.localHosts.length >= 8) return;
  if (host === '' || keep.localHosts.includes(host)) return;
  keep.localHosts.push(host);
}

/** `records` messages of ours and every valid record we keep (ours first). */
export function recordMessages(keep: Keep): PeerMessage[] {
  const all = [ownRecord(keep), ...keep.records.records(wallMs(keep))].map(recordToWire);
  const out: PeerMessage[] = [];
  for (let i = 0; i < all.length; i += MAX_RECORDS_PER_MESSAGE) {
    out.push({ type: 'records', records: all.slice(i, i + MAX_RECORDS_PER_MESSAGE) });
  }
  return out;
}

/**
 * A `records` message from `peerId`: each record is checked (its subject's signature, its
 * expiry); a valid one new or newer than ours goes into the book, vouches for its addresses,
 * and is passed on to every other connection. Invalid ones are dropped (a relay may pass on
 * a record that expired on the way). Returns how many were taken in.
 */
export function takeRecords(
  keep: Keep,
  transferId: string,
  peerId: string,
  records: readonly WireRecord[],
): number {
  const now = wallMs(keep);
  keep.records.prune(now);
  const fresh: SignedPeerRecord[] = [];
  for (const wire of records) {
    const checked = verifyPeerRecord(recordClaimFromWire(wire), { nowWallMs: now });
    if (!checked.ok) continue;
    const offer = keep.records.offer(checked.value, peerId as PeerId);
    if (offer !== 'new' && offer !== 'newer') continue;
    for (const { host, port } of checked.value.addresses)
      keep.swarm.membership.vouch(checked.value.peerId, host, port);
    fresh.push(checked.value);
  }
  if (fresh.length > 0)
    announce(keep, {
      message: { type: 'records', records: fresh.map(recordToWire) },
      except: transferId,
    });
  return fresh.length;
}

/** Our record is re-signed before it expires, and sent to every connection. */
export function refreshOwnRecord(keep: Keep): void {
  const before = keep.own;
  const record = ownRecord(keep);
  if (record !== before)
    announce(keep, { message: { type: 'records', records: [recordToWire(record)] } });
}

/** What a full peer names in its `bye ERR_BUSY`: its own record and the ones it keeps (≤ 64). */
export function farewellRecords(keep: Keep): WireRecord[] {
  return [ownRecord(keep), ...keep.records.records(wallMs(keep))]
    .slice(0, MAX_RECORDS_PER_MESSAGE)
    .map(recordToWire);
}
