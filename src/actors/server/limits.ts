/** What the server tolerates from a client once it exchanges (irtt's server has the same kind). */
export interface ExchangeLimits {
  /** Fastest tick interval accepted, in hello and in practice. */
  minIntervalMs: number;
  /**
   * Slowest tick interval a hello may state (`ERR_INTERVAL` above it). It bounds the idle
   * limit: a client cannot stretch it past `max(idleTimeoutMs, 3 × maxIntervalMs)` by
   * announcing a long interval.
   */
  maxIntervalMs: number;
  /**
   * Ticks a client may send ahead of `minIntervalMs` pacing, by its own clock (t1), before it
   * is cut off. Ticks that merely arrive bunched (a backlog after a server stall) are
   * tolerated for up to 5 s of stall.
   */
  tickBurst: number;
  /** A client silent this long (or 3 of its intervals, if longer) is cut off. */
  idleTimeoutMs: number;
}

/** How long an exchanging client may stay silent: never more than the server's own bound. */
export const idleLimitMs = (limits: ExchangeLimits, intervalMs: number): number =>
  Math.max(limits.idleTimeoutMs, 3 * Math.min(intervalMs, limits.maxIntervalMs));

export const DEFAULT_EXCHANGE_LIMITS: ExchangeLimits = {
  minIntervalMs: 10,
  maxIntervalMs: 1000,
  tickBurst: 20,
  idleTimeoutMs: 5000,
};

/** How long a server stall may last before the ticks it queued count against a client. */
export const BACKLOG_TOLERANCE_MS = 5000;
