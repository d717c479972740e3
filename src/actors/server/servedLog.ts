import type { ServedClient } from './connectionHandler.machine';

/**
 * The clients a server has finished with, kept in bounded memory: the last `keep` in full
 * (address, ID, ticks, how it ended), everyone before them as counts. A server that runs for
 * months and serves millions of short sessions holds at most 2 × `keep` entries (about 200
 * bytes each) and one tally.
 *
 * Persistent and O(1) amortized per client, so that `assign` stays pure and thousands of
 * clients ending at once stay cheap: two generations of a newest-first list; when the newer
 * one is full, the older one is folded into the tally (a walk of `keep`, once per `keep`
 * clients) and the newer one takes its place.
 */

/** Finished clients as counts: how many, their ticks, and how many ended with each code. */
export interface ServedTally {
  readonly clients: number;
  readonly ticks: number;
  readonly codes: Readonly<Record<string, number>>;
}

/** A persistent list of finished clients, newest first. */
export interface ServedList {
  readonly client: ServedClient;
  readonly older: ServedList | null;
}

export interface ServedLog {
  /** Newest first, at most `keep`. */
  readonly recent: ServedList | null;
  readonly recentCount: number;
  /** The generation before `recent`, newest first, at most `keep`. */
  readonly previous: ServedList | null;
  /** Clients in neither list. */
  readonly earlier: ServedTally;
  /** Every client finished so far. */
  readonly total: number;
}

export const EMPTY_TALLY: ServedTally = { clients: 0, ticks: 0, codes: {} };
export const EMPTY_SERVED_LOG: ServedLog = {
  recent: null,
  recentCount: 0,
  previous: null,
  earlier: EMPTY_TALLY,
  total: 0,
};
/** How many finished clients a server keeps in full by default. */
export const DEFAULT_KEEP_SERVED = 10_000;

/** The tally with the clients of `list` (from `from` on) added; a new object. */
function tallyOf(tally: ServedTally, list: ServedList | null): ServedTally {
  if (list === null) return tally;
  let { clients, ticks } = tally;
  const codes = { ...tally.codes };
  for (let at: ServedList | null = list; at !== null; at = at.older) {
    clients += 1;
    ticks += at.client.ticks;
    codes[at.client.code] = (codes[at.client.code] ?? 0) + 1;
  }
  return { clients, ticks, codes };
}

/** The log with `client` added (a new log; the old one is untouched). */
export function withServed(log: ServedLog, client: ServedClient, keep: number): ServedLog {
  if (log.recentCount < keep) {
    return {
      ...log,
      recent: { client, older: log.recent },
      recentCount: log.recentCount + 1,
      total: log.total + 1,
    };
  }
  return {
    recent: { client, older: null },
    recentCount: 1,
    previous: log.recent,
    earlier: tallyOf(log.earlier, log.previous),
    total: log.total + 1,
  };
}

/** The last `keep` finished clients, oldest first, and the tally of everyone before them. */
export function servedClients(
  log: ServedLog,
  keep: number,
): { clients: ServedClient[]; earlier: ServedTally } {
  const clients: ServedClient[] = [];
  let at = log.recent;
  for (; at !== null && clients.length < keep; at = at.older) clients.push(at.client);
  at = log.previous;
  for (; at !== null && clients.length < keep; at = at.older) clients.push(at.client);
  return { clients: clients.reverse(), earlier: tallyOf(log.earlier, at) };
}
