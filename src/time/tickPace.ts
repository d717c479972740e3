/**
 * Paces a client's ticks by when they arrive, on this process's monotonic clock. The tick's
 * own timestamp (t1, the client's wall clock) is data and plays no part: a client whose wall
 * clock steps is never cut for it, and a flood cannot buy room by faking t1.
 *
 * A generic cell-rate algorithm (GCRA, the "virtual scheduling" form of a leaky bucket): one
 * tick is due per `minIntervalMs` (less {@link CLOCK_RATE_SLACK}, so a client whose crystal
 * runs a little fast never drifts into a cut over a long session), and a tick may come up to
 * `burst - 1` intervals ahead of that schedule. So after a quiet spell at most `burst` ticks
 * are accepted back to back, and the next one is refused.
 *
 * Ticks that bunched up because *this* process was held up (a GC pause, a busy machine:
 * they waited in the kernel while nobody read) are not a flood: the caller passes how long
 * the process was stalled right before the read (`creditMs`), and the ticks may have arrived
 * at any time in that window. A client cannot cause that credit for itself beyond what it
 * costs the whole server.
 */
export class TickPace {
  /** When the next tick is due (theoretical arrival time), monotonic ms; the first one is. */
  private due = Number.NEGATIVE_INFINITY;
  private readonly step: number;
  private readonly tolerance: number;

  constructor(minIntervalMs: number, burst: number) {
    this.step = minIntervalMs * (1 - CLOCK_RATE_SLACK);
    // (+1 µs: `due` is a sum of steps, and its rounding must not cost the burst a tick)
    this.tolerance = Math.max(0, burst - 1) * this.step + 0.001;
  }

  /**
   * Counts one tick that arrived at `arrivedAt` (monotonic ms); false when it is more than the
   * burst ahead of the pace. `creditMs`: how long this process was stalled before reading it.
   */
  admit(arrivedAt: number, creditMs = 0): boolean {
    if (arrivedAt < this.due - this.tolerance) return false;
    this.due = Math.max(this.due, arrivedAt - creditMs) + this.step;
    return true;
  }
}

/** How much faster than the minimum interval a client may tick on average: 1%. */
export const CLOCK_RATE_SLACK = 0.01;
