import type { PeerIdentity } from '../identity/keys';
import { ipToBytes } from './ipBytes';
import { DEFAULT_RECORD_TTL_MS, type SignedPeerRecord, signPeerRecord } from './peerRecord';

/** Where we listen and how far we are, as our own record says it. */
export interface OwnRecordFields {
  seq: number;
  complete: boolean;
  host: string;
  port: number;
  /** With a wildcard `host`: our IPs as our connections' local ends show them. */
  localHosts?: readonly string[];
}

const isWildcard = (host: string) => host === '' || host === '0.0.0.0' || host === '::';

/**
 * Our own record, signed, valid for `ttlMs` from `nowWallMs`. Its address is where we listen
 * when that is an IP literal; listening on a wildcard (`''`, `0.0.0.0`, `::`), the IPs our
 * connections' local ends showed (`localHosts`, at most 8) with our port. A DNS name gives
 * no address (such a peer is dialed only by those given its address, or that it dialed).
 */
export function signOwnRecord(
  identity: PeerIdentity,
  fields: OwnRecordFields,
  nowWallMs: number,
  ttlMs = DEFAULT_RECORD_TTL_MS,
): SignedPeerRecord {
  const hosts = isWildcard(fields.host) ? (fields.localHosts ?? []) : [fields.host];
  const seen = new Set<string>();
  const addresses: Array<{ host: string; port: number }> = [];
  for (const host of hosts) {
    const ip = ipToBytes(host);
    if (!ip || isWildcard(host) || seen.has(ip.toString('hex')) || addresses.length >= 8) continue;
    seen.add(ip.toString('hex'));
    addresses.push({ host, port: fields.port });
  }
  return signPeerRecord(identity, {
    seq: fields.seq,
    expiresAt: Math.floor(nowWallMs + ttlMs),
    complete: fields.complete,
    addresses,
  });
}
