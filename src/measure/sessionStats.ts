import { max, mean, median, min, quantile } from 'simple-statistics';

/** Minimum, median, 99th percentile and maximum of a sample, in milliseconds. */
export interface Spread {
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/** Summary statistics of a sample; `null` when there is no sample. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const v = values as number[];
  return { min: min(v), median: median(v), p99: quantile(v, 0.99), max: max(v), mean: mean(v) };
}

/** A tick that has left and whose reply has not come yet. */
export interface InFlightTick {
  seq: number;
  /** Wall-clock send time, µs. */
  t1: number;
  /** Monotonic send time, ms. */
  sentAt: number;
  /** Lateness against the grid slot, ms. */
  timerErrorMs: number;
}

/**
 * The measurements of one client session: the exact send stamps of the ticks in flight
 * (bounded by the ticks of one session), and the round trips and timer errors sampled so far.
 * Plain data and no I/O; owned by the session's ledger actor, never by a machine's context.
 * The counts a session decides by (sent, answered, missed) live in the machine itself.
 */
export class SessionStats {
  private readonly inFlight = new Map<number, InFlightTick>();
  readonly rttMs: number[] = [];
  readonly timerErrorMs: number[] = [];

  recordSent(tick: InFlightTick): void {
    this.timerErrorMs.push(tick.timerErrorMs);
    this.inFlight.set(tick.seq, tick);
  }

  /** Returns the tick this reply answers and its round trip (ms), or `null` if unexpected. */
  recordReply(seq: number, receivedAt: number): { tick: InFlightTick; rttMs: number } | null {
    const tick = this.inFlight.get(seq);
    if (!tick) return null;
    this.inFlight.delete(seq);
    const rttMs = receivedAt - tick.sentAt;
    this.rttMs.push(rttMs);
    return { tick, rttMs };
  }

  /** Whether the oldest tick still in flight was sent before `monoMs`. */
  sentBefore(monoMs: number): boolean {
    for (const tick of this.inFlight.values()) return tick.sentAt < monoMs;
    return false;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Gives up on the ticks still without a reply (the session ends, or their connection died)
   * and returns them in send order. They stay counted as sent and unanswered: lost.
   */
  takeUnanswered(): InFlightTick[] {
    const ticks = [...this.inFlight.values()];
    this.inFlight.clear();
    return ticks;
  }
}
