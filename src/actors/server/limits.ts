/** What the server tolerates from a client once it exchanges (irtt's server has the same kind). */
export interface ExchangeLimits {
  /** Fastest tick interval accepted, in hello and in practice. */
  minIntervalMs: number;
  /**
   * Ticks a client may send ahead of `minIntervalMs` pacing, by its own clock (t1), before it
   * is cut off. Ticks that merely arrive bunched (a backlog after a server stall) are
   * tolerated for up to 5 s of stall.
   */
  tickBurst: number;
  /** A client silent this long (or 3 of its intervals, if longer) is cut off. */
  idleTimeoutMs: number;
}

export const DEFAULT_EXCHANGE_LIMITS: ExchangeLimits = {
  minIntervalMs: 10,
  tickBurst: 20,
  idleTimeoutMs: 5000,
};

/** How long a server stall may last before the ticks it queued count against a client. */
export const BACKLOG_TOLERANCE_MS = 5000;
