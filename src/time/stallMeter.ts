import type { Clock } from './clock';

/** How often the meter looks at the clock. */
const PERIOD_MS = 10;

/**
 * Notices when this process's event loop was held up (a GC pause, a busy or starved machine):
 * a timer that should run every 10 ms and ran late. Bytes that arrived meanwhile waited in the
 * kernel and are read in one go right after; {@link StallMeter.stallBefore} says how long they
 * may have waited, so that pacing does not mistake them for a flood.
 *
 * One meter per clock, shared by everyone who {@link acquireStallMeter}s it; its timer runs
 * only while someone holds it.
 */
export class StallMeter {
  private lastBeat: number;
  private stallEndedAt = Number.NEGATIVE_INFINITY;
  private stallMs = 0;
  /** How long the turn before the last beat took (the gap between the last two beats). */
  private lastGap = 0;
  private timer: unknown = null;
  private holders = 0;
  /** The longest stall seen so far (ms), for tests and diagnostics. */
  longestMs = 0;
  /**
   * Time lost to stalls since the meter was made (ms): for each late beat, how late it was.
   * `now − stalledMs` is a clock that stands still while this process is held up.
   */
  stalledMs = 0;

  constructor(private readonly clock: Clock) {
    this.lastBeat = clock.now();
  }

  /**
   * How long bytes read at `at` (monotonic ms) may have waited in the kernel because this
   * process was held up. If the beat is overdue, the loop has been busy since it last ran (a
   * long turn that is still going on) — and a socket read now was last read in the turn
   * before, so its bytes may have waited through that turn too: the time since the beat
   * before the last one. If a stall ended shortly before (within its own length or 50 ms),
   * that stall and the time since. Otherwise 0.
   */
  stallBefore(at: number): number {
    const busy = at - this.lastBeat;
    const ongoing = busy > 2 * PERIOD_MS ? busy + this.lastGap : 0;
    const since = at - this.stallEndedAt;
    const recent = since >= 0 && since <= Math.max(50, this.stallMs) ? this.stallMs + since : 0;
    return Math.max(ongoing, recent);
  }

  hold(): () => void {
    this.holders += 1;
    if (this.holders === 1) {
      this.lastBeat = this.clock.now();
      this.lastGap = 0;
      this.schedule();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders -= 1;
      if (this.holders === 0) {
        this.clock.clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      const gap = now - this.lastBeat;
      // Late by more than a period: nothing ran between the two beats.
      if (gap > 2 * PERIOD_MS) {
        this.stallEndedAt = now;
        this.stallMs = gap;
        this.longestMs = Math.max(this.longestMs, gap);
        this.stalledMs += gap - PERIOD_MS;
      }
      this.lastGap = gap;
      this.lastBeat = now;
      if (this.holders > 0) this.schedule();
    }, PERIOD_MS);
  }
}

const meters = new WeakMap<Clock, StallMeter>();

/** The meter of `clock` (made on first use), held until the returned release is called. */
export function acquireStallMeter(clock: Clock): { meter: StallMeter; release: () => void } {
  let meter = meters.get(clock);
  if (!meter) {
    meter = new StallMeter(clock);
    meters.set(clock, meter);
  }
  return { meter, release: meter.hold() };
}
