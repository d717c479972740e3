import type { ParsedTable } from '../storage';
import type { ServerAnalysis } from './types';

/** The server's table, indexed by client address: which ticks (by their t1) arrived, how often. */
export interface ServerIndex {
  ticksFrom(address: string): Map<number, number> | null;
  analysis: ServerAnalysis;
}

/**
 * Reads the server table's rows as (tick, reply) pairs. The server writes a tick's row and
 * its reply's row back to back (same callback), so a pair is two consecutive rows whose
 * addresses are swapped; the tick row carries the client's t1. A row that pairs with no
 * neighbour is counted as a lone tick (its reply was never written).
 */
export function indexServerTable(path: string, parsed: ParsedTable): ServerIndex {
  const ticks = new Map<string, Map<number, number>>();
  const peers = new Map<string, { ticksReceived: number; repliesSent: number }>();
  const rows = parsed.rows;
  const peer = (address: string) => {
    let entry = peers.get(address);
    if (entry) return entry;
    entry = { ticksReceived: 0, repliesSent: 0 };
    peers.set(address, entry);
    return entry;
  };
  for (let i = 0; i < rows.length; i++) {
    const tick = rows[i]!;
    const reply = rows[i + 1];
    const byT1 = ticks.get(tick.senderIp) ?? new Map<number, number>();
    ticks.set(tick.senderIp, byT1);
    byT1.set(tick.timeMicros, (byT1.get(tick.timeMicros) ?? 0) + 1);
    peer(tick.senderIp).ticksReceived += 1;
    if (reply && reply.senderIp === tick.receiverIp && reply.receiverIp === tick.senderIp) {
      peer(tick.senderIp).repliesSent += 1;
      i += 1;
    }
  }
  return {
    ticksFrom: (address) => ticks.get(address) ?? null,
    analysis: {
      file: path,
      rows: rows.length,
      durationMs: parsed.end?.durationMs ?? null,
      endedEarly: parsed.end?.endedEarly ?? null,
      endedAbruptly: parsed.endedAbruptly,
      peers: [...peers]
        .map(([address, counts]) => ({ address, ...counts }))
        .sort((a, b) => a.address.localeCompare(b.address)),
    },
  };
}
