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
 * The bookkeeping of one client session: ticks in flight (bounded by the ticks of one
 * session), round trips and timer errors. Plain data, no I/O, so the session machine stays
 * about control flow.
 */
export class SessionStats {
  private readonly inFlight = new Map<number, InFlightTick>();
  readonly rttMs: number[] = [];
  readonly timerErrorMs: number[] = [];
  sent = 0;
  replies = 0;
  /** Replies for a tick we never sent or already had a reply for. */
  unexpectedReplies = 0;
  missedSlots = 0;
  /** Slots that passed while the session was disconnected (reconnecting). */
  offlineSlots = 0;

  /** A slot that came due while disconnected: not sent, counted. */
  recordOffline(missedBefore: number): void {
    this.offlineSlots += 1;
    this.missedSlots += missedBefore;
  }

  recordSent(tick: InFlightTick, missedBefore: number): void {
    this.sent += 1;
    this.missedSlots += missedBefore;
    this.timerErrorMs.push(tick.timerErrorMs);
    this.inFlight.set(tick.seq, tick);
  }

  /** Returns the tick this reply answers and its round trip (ms), or `null` if unexpected. */
  recordReply(seq: number, receivedAt: number): { tick: InFlightTick; rttMs: number } | null {
    const tick = this.inFlight.get(seq);
    if (!tick) {
      this.unexpectedReplies += 1;
      return null;
    }
    this.inFlight.delete(seq);
    this.replies += 1;
    const rttMs = receivedAt - tick.sentAt;
    this.rttMs.push(rttMs);
    return { tick, rttMs };
  }

  /** Monotonic send time of the oldest tick still waiting for its reply, or `null`. */
  oldestInFlightSentAt(): number | null {
    for (const tick of this.inFlight.values()) return tick.sentAt; // Map keeps send order
    return null;
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
