import {
  addressKey,
  type BootstrapEntry,
  type DialCredit,
  MAX_FAILED_DIALS_PER_ADDRESS,
  type PeerContext,
} from './context';
import type { MemberView, SwarmView } from './view';

/** One connection to open: where, whom we expect there, and which bootstrap entry it is. */
export interface Dial {
  target: { host: string; port: number };
  peerId: string | null;
  bootstrap: number | null;
}

/** The dial bucket refilled up to `now`: whole and fractional tokens available. */
export function dialTokens(context: PeerContext, now: number): number {
  const { dialsPerSecond, dialBurst } = context.config;
  const { tokens, at } = context.dialCredit;
  return Math.min(dialBurst, tokens + (Math.max(0, now - at) * dialsPerSecond) / 1000);
}

/** Free outbound slots: bounded by all connections and by the outbound share of them. */
export function freeDialSlots(context: PeerContext): number {
  const records = Object.values(context.transfers);
  return Math.min(
    context.config.maxConnections - records.length,
    context.config.maxOutbound - records.filter((r) => r.direction === 'outbound').length,
  );
}

/**
 * Which connections to open now: bootstrap addresses first (until a peer is met, one that was
 * not up yet is tried again every `bootstrapRetryMs`), then peers learned by gossip that are
 * not connected, not dead, banned or resting, incomplete ones first and in random order among
 * equals (`config.random`). A complete peer only dials peers that are not complete. A peer
 * learned by gossip is dialed only inside the address scope of the user's own addresses
 * (listen and bootstrap; `p2p/addressScope.ts`, docs/protocol-p2p.md §9.8): a loopback swarm
 * never leaves loopback, private ranges only from private addresses, and forbidden ranges
 * never. One dial at a time per learned `host:port`, and none after
 * {@link MAX_FAILED_DIALS_PER_ADDRESS} failed there: gossip naming one address under many
 * peer IDs costs a bounded number of dials. Only addresses
 * a peer vouched for itself are dialed (its own entry over a connection where it proved its
 * ID, or a record it signed, §9.8): an address only gossiped never is. Dials to learned
 * addresses are rate-limited (`config.dialsPerSecond`, bursts of `config.dialBurst`, the
 * bucket a plain value in `context.dialCredit`); the user's own bootstrap addresses are not.
 * Pure: the caller spawns the transfers and keeps the returned credit.
 */
export function planDials(context: PeerContext): {
  dials: Dial[];
  bootstrap: BootstrapEntry[];
  dialCredit: DialCredit;
} {
  const { config, view } = context;
  const now = config.clock.now();
  let slots = freeDialSlots(context);
  let tokens = dialTokens(context, now);
  const dials: Dial[] = [];
  const bootstrap = context.bootstrap.map((entry, i) => {
    const retry = entry.state === 'failed' && context.met === 0 && entry.retryAt <= now;
    if (slots <= 0 || (entry.state !== 'pending' && !retry)) return entry;
    slots -= 1;
    dials.push({ target: { host: entry.host, port: entry.port }, peerId: null, bootstrap: i });
    return { ...entry, state: 'dialing' as const };
  });
  if (slots > 0) {
    const busy = new Set(
      Object.values(context.transfers)
        .map((r) => r.peerId)
        .filter((id): id is string => id !== null),
    );
    const dialing = new Set(
      Object.values(context.transfers)
        .filter((r) => r.direction === 'outbound' && r.target !== null)
        .map((r) => addressKey(r.target!)),
    );
    const selfComplete = view.self.complete;
    const candidates = shuffle(candidatesOf(view, now, busy), config.random).sort(
      (a, b) => Number(a.entry.complete) - Number(b.entry.complete),
    );
    for (const member of candidates) {
      if (slots <= 0 || tokens < 1) break;
      if (selfComplete && member.entry.complete) continue;
      if (!member.vouched) continue;
      if (!config.scope.check(member.entry.host, member.entry.port).ok) continue;
      const address = addressKey(member.entry);
      if (dialing.has(address)) continue;
      if ((context.failedDials[address] ?? 0) >= MAX_FAILED_DIALS_PER_ADDRESS) continue;
      dialing.add(address);
      slots -= 1;
      tokens -= 1;
      dials.push({
        target: { host: member.entry.host, port: member.entry.port },
        peerId: member.entry.peerId,
        bootstrap: null,
      });
    }
  }
  return { dials, bootstrap, dialCredit: { tokens, at: now } };
}

/** Peers worth dialing now: not connected, not dead or banned, not resting; incomplete ones first. */
export function candidatesOf(
  view: SwarmView,
  now: number,
  exclude: ReadonlySet<string>,
): MemberView[] {
  return view.members
    .filter((m) => m.status === 'unknown' && m.busyUntil <= now && !exclude.has(m.entry.peerId))
    .sort((a, b) => Number(a.entry.complete) - Number(b.entry.complete));
}

/** Fisher–Yates over a copy, with the given source of randomness. */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
