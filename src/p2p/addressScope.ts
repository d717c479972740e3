import { BlockList, isIP } from 'node:net';
import { P2P_CODES } from './errors';
import { unmapIPv4 } from './gossip/ipBytes';

/** Where an address lives. `forbidden` is never dialed, whatever the user's scope. */
export type AddressClass = 'loopback' | 'private' | 'public' | 'forbidden';
/** The classes a scope may allow. */
export type ScopeClass = Exclude<AddressClass, 'forbidden'>;

function blockList(v4: Array<[string, number]>, v6: Array<[string, number]>): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

// Never dialed: "this network"/unspecified, multicast, reserved and broadcast, the
// documentation and benchmarking ranges, IETF protocol assignments, IPv6 discard-only.
const FORBIDDEN = blockList(
  [
    ['0.0.0.0', 8],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ],
  [
    ['::', 128],
    ['ff00::', 8],
    ['2001:db8::', 32],
    ['100::', 64],
  ],
);
const LOOPBACK = blockList([['127.0.0.0', 8]], [['::1', 128]]);
// RFC 1918, shared address space (RFC 6598, e.g. a VPN's 100.64/10), link-local, ULA.
const PRIVATE = blockList(
  [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10],
    ['169.254.0.0', 16],
  ],
  [
    ['fc00::', 7],
    ['fe80::', 10],
  ],
);

/**
 * The class of an IP literal (`null` for anything else: a DNS name, a zone ID, garbage).
 * IPv4-mapped IPv6 addresses are classed as the IPv4 address they carry.
 */
export function classifyAddress(host: string): AddressClass | null {
  if (host.includes('%')) return null;
  const ip = unmapIPv4(host);
  const family = isIP(ip);
  if (family === 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (FORBIDDEN.check(ip, type)) return 'forbidden';
  if (LOOPBACK.check(ip, type)) return 'loopback';
  if (PRIVATE.check(ip, type)) return 'private';
  return 'public';
}

export type ScopeRefusal = 'not-an-ip' | 'bad-port' | 'forbidden-range' | 'out-of-scope';

export type ScopeCheck =
  | { ok: true; addressClass: ScopeClass }
  | { ok: false; code: typeof P2P_CODES.addressScope; reason: ScopeRefusal };

/** The set of address classes this peer may dial beyond the addresses its user gave it. */
export interface AddressScope {
  readonly classes: ReadonlySet<ScopeClass>;
  /** Whether `host:port` (an IP literal) may be dialed when learned from the swarm. */
  check(host: string, port: number): ScopeCheck;
}

/** An address the user configured: where we listen, or a bootstrap address. */
export interface OwnAddress {
  host: string;
  port?: number;
}

/**
 * The scope a user's own addresses (listen and bootstrap) imply: exactly the classes they
 * belong to. `localhost` counts as loopback; an unspecified listen address (`0.0.0.0`,
 * `::`) or a DNS name says nothing and adds no class. With none, nothing learned from the
 * swarm is in scope (only the user's own addresses are dialed).
 *
 * Security properties kept here (docs/protocol-p2p.md §9.8):
 * - a loopback swarm never leaves 127.0.0.0/8 and ::1;
 * - private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, link-local, fc00::/7) are
 *   dialed only when the user's own addresses are private, public ones only when they are
 *   public: gossip cannot turn a peer into a scanner of its LAN or of the internet;
 * - unspecified, multicast, broadcast, reserved, documentation and benchmarking addresses
 *   and port 0 are never dialed.
 */
export function addressScopeFrom(own: readonly OwnAddress[]): AddressScope {
  const classes = new Set<ScopeClass>();
  for (const { host } of own) {
    const c = host.toLowerCase() === 'localhost' ? 'loopback' : classifyAddress(host);
    if (c && c !== 'forbidden') classes.add(c);
  }
  return scopeOf(classes);
}

/** A scope of explicit classes (tests, or a user's `--scope`). */
export function scopeOf(classes: Iterable<ScopeClass>): AddressScope {
  const allowed: ReadonlySet<ScopeClass> = new Set(classes);
  return {
    classes: allowed,
    check(host, port) {
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        return { ok: false, code: P2P_CODES.addressScope, reason: 'bad-port' };
      }
      const c = classifyAddress(host);
      if (c === null) return { ok: false, code: P2P_CODES.addressScope, reason: 'not-an-ip' };
      if (c === 'forbidden') {
        return { ok: false, code: P2P_CODES.addressScope, reason: 'forbidden-range' };
      }
      if (!allowed.has(c))
        return { ok: false, code: P2P_CODES.addressScope, reason: 'out-of-scope' };
      return { ok: true, addressClass: c };
    },
  };
}
