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
   * Ticks a client may send back to back, ahead of one per `minIntervalMs` by their arrival
   * (this server's monotonic clock; t1 plays no part), before it is cut off.
   */
  tickBurst: number;
  /** A client silent this long (or 3 of its intervals, if longer) is cut off. */
  idleTimeoutMs: number;
  /**
   * Ticks that bunched up while this server was stalled (a GC pause, a busy machine) are not
   * a flood: up to this much of a stall is credited to the clients whose ticks waited.
   */
  stallToleranceMs: number;
}

/** How long an exchanging client may stay silent: never more than the server's own bound. */
export const idleLimitMs = (limits: ExchangeLimits, intervalMs: number): number =>
  Math.max(limits.idleTimeoutMs, 3 * Math.min(intervalMs, limits.maxIntervalMs));

export const DEFAULT_EXCHANGE_LIMITS: ExchangeLimits = {
  minIntervalMs: 10,
  maxIntervalMs: 1000,
  tickBurst: 20,
  idleTimeoutMs: 5000,
  stallToleranceMs: 5000,
};
