/**
 * Tells a client that ticks too fast from a backlog of well-paced ticks.
 *
 * Two leaky buckets, each draining one tick per minimum interval:
 * - by the client's own clock (the ticks' t1): more than `burst` ticks ahead of the pace is a
 *   flood, however the network bunched them up;
 * - by arrival time, with a much larger allowance (`backlogBurst`): a client that lies about
 *   t1 is still bounded, while ticks that queued up while the server was stalled (a GC pause,
 *   a busy machine) arrive back to back and are not mistaken for a flood.
 */
export class TickPace {
  private byClient = 0;
  private byArrival = 0;
  private lastT1: number | null = null;
  private lastArrival: number;

  constructor(
    private readonly minIntervalMs: number,
    private readonly burst: number,
    private readonly backlogBurst: number,
    now: number,
  ) {
    this.lastArrival = now;
  }

  /** Counts one tick; false when it breaks the pace. `t1Micros` is the tick's own timestamp. */
  admit(arrivedAt: number, t1Micros: number): boolean {
    const clientElapsedMs = this.lastT1 === null ? 0 : Math.max(0, (t1Micros - this.lastT1) / 1000);
    this.lastT1 = t1Micros;
    this.byClient = Math.max(0, this.byClient - clientElapsedMs / this.minIntervalMs) + 1;
    this.byArrival =
      Math.max(0, this.byArrival - (arrivedAt - this.lastArrival) / this.minIntervalMs) + 1;
    this.lastArrival = arrivedAt;
    return this.byClient <= this.burst && this.byArrival <= this.backlogBurst;
  }
}
