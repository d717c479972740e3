import type { Clock } from './clock';

/** Calls `fn` after about `ms` (fractional) milliseconds; a new request replaces the pending one. */
export interface Waker {
  wakeIn(ms: number, fn: () => void): void;
  cancel(): void;
}

/** One tick the grid fired. */
export interface GridTick {
  /** Slot number on the grid: 0, 1, 2… A gap means slots were missed. */
  slot: number;
  /** When the slot was due (monotonic ms): start + slot × interval. */
  dueAt: number;
  /** When it actually fired (monotonic ms); `firedAt - dueAt` is the timer error. */
  firedAt: number;
  /** Slots skipped right before this one because the process was too late for them. */
  missedBefore: number;
}

export interface TickGridOptions {
  clock: Clock;
  intervalMs: number;
  /** Slots in the grid: duration / interval. Slot `count - 1` is the last one fired. */
  count: number;
  onTick(tick: GridTick): void;
  /** Called once when the grid has no slot left (fired or missed). */
  onEnd?(missedAtEnd: number): void;
  /**
   * Wake this many ms early with the timer and spin (yielding to I/O each turn) until the
   * slot is due. Node timers have millisecond resolution; spinning the last stretch brings
   * the timer error from ~1 ms down to tens of µs, at the price of CPU. 0 turns it off
   * (simulated clocks must use 0).
   */
  spinMs?: number;
  /** How to yield while spinning; `setImmediate` lets sockets and other timers run. */
  yieldFn?: (fn: () => void) => void;
  /**
   * Wakes the grid `spinMs` before each slot with something other than the clock's timer (the
   * timer benchmark passes a worker thread sleeping in `Atomics.wait`, bench/lib/workerWaker.ts;
   * measured there and not chosen, see BENCHMARKS.md, "Timer: spin or worker"). The grid does
   * not close it.
   */
  waker?: Waker;
}

/**
 * Fires `onTick` on a drift-free grid: slot n is due at `start + n × interval` on the
 * monotonic clock, so a late tick never pushes the ones after it. A slot whose whole
 * interval has passed before we could fire it is counted as missed, never sent late in a
 * burst. Returns a function that stops the grid.
 *
 * @example
 * const stop = startTickGrid({ clock: systemClock, intervalMs: 10, count: 30_000, onTick });
 */
export function startTickGrid(options: TickGridOptions): () => void {
  const { clock, intervalMs, count, onTick } = options;
  const spinMs = options.spinMs ?? 0;
  const yieldFn = options.yieldFn ?? setImmediate;
  const waker = options.waker;
  const start = clock.now();
  let next = 0;
  let timer: unknown = null;
  let stopped = false;

  const end = (missed: number) => {
    stopped = true;
    options.onEnd?.(missed);
  };

  const schedule = () => {
    if (stopped) return;
    if (next >= count) return end(0);
    const wait = start + next * intervalMs - clock.now();
    if (wait > spinMs) {
      if (waker) waker.wakeIn(wait - spinMs, fire);
      else timer = clock.setTimeout(fire, wait - spinMs);
    } else if (spinMs > 0) yieldFn(fire);
    else timer = clock.setTimeout(fire, Math.max(0, wait));
  };

  function fire() {
    timer = null;
    if (stopped) return;
    const now = clock.now();
    // Timers may fire a little early; wait out the rest of the slot.
    if (now < start + next * intervalMs) return schedule();
    const slot = Math.floor((now - start) / intervalMs + 1e-9);
    if (slot >= count) return end(count - next);
    const missedBefore = slot - next;
    next = slot + 1;
    onTick({ slot, dueAt: start + slot * intervalMs, firedAt: now, missedBefore });
    schedule();
  }

  fire();
  return () => {
    stopped = true;
    if (timer !== null) clock.clearTimeout(timer);
    waker?.cancel();
  };
}
