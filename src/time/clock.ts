/**
 * Time as every actor sees it. Two clocks, kept apart on purpose (as irtt does): the wall
 * clock says what time it is (the Date/Time columns, the t1..t4 of an exchange); the
 * monotonic clock measures intervals (tick grid, deadlines, round trips) and never jumps.
 *
 * `setTimeout`/`clearTimeout` make it a valid XState clock too, so the same object can be
 * given to `createActor(machine, { clock })` and to the machine's input.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional) from an arbitrary origin. */
  now(): number;
  /** Wall-clock microseconds since the Unix epoch, UTC. */
  wallMicros(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock. Wall time is `performance.timeOrigin + performance.now()`: microsecond
 * resolution (`Date.now()` has only milliseconds), anchored to the system clock at start-up.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallMicros: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A clock whose wall time is shifted by `skewMs` (positive: ahead). Used to give a server
 * a known clock error, which the offset analysis must then recover.
 */
export function skewedClock(base: Clock, skewMs: number): Clock {
  const skewMicros = Math.round(skewMs * 1000);
  return { ...base, wallMicros: () => base.wallMicros() + skewMicros };
}

/**
 * A timer source driven by hand: XState's `SimulatedClock` has this shape, so tests drive both
 * the machines' delays and our own timers with `simulated.increment(ms)`. Declared here, not
 * imported, so that `time/` knows nothing of XState.
 */
export interface ManualTimers {
  now(): number;
  // biome-ignore lint/suspicious/noExplicitAny: the shape of XState's SimulatedClock
  setTimeout(fn: (...args: any[]) => void, ms: number): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: SimulatedClock takes its own handle type
  clearTimeout(handle: any): void;
}

/**
 * A {@link Clock} over {@link ManualTimers} (e.g. XState's `SimulatedClock`).
 * Wall time starts at `epochMicros`.
 */
export function simulatedClock(
  simulated: ManualTimers,
  epochMicros = Date.UTC(2026, 10, 24) * 1000,
): Clock {
  return {
    now: () => simulated.now(),
    wallMicros: () => epochMicros + Math.round(simulated.now() * 1000),
    setTimeout: (fn, ms) => simulated.setTimeout(fn, ms),
    clearTimeout: (handle) => simulated.clearTimeout(handle),
  };
}
