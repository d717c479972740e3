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
 * Where the monotonic clock's zero sits on the wall clock (ms since the epoch), found by
 * catching `Date.now()` at the edge of a millisecond: a few edges, the earliest reading wins,
 * so the anchor is good to about a microsecond.
 *
 * `performance.timeOrigin` alone is not: it is read once at process start-up, and on this
 * kind of machine two processes' origins disagree by 10–50 µs (measured: BENCHMARKS.md, "Where
 * the round trip goes"), which then shows up as a clock offset θ between a client and a server
 * on the same host. Costs `edges` ms of spinning, once, on first use (up to `maxEdges` ms when
 * a loaded machine keeps preempting it).
 */
export function calibrateWallAnchor(edges = 5, goodEnoughMs = 0.002, maxEdges = 40): number {
  let best = Number.NaN;
  let bestWidth = Number.POSITIVE_INFINITY;
  // At least `edges` edges; more (up to `maxEdges` ms of spinning, once) while every bracket was
  // widened by a preemption, as happens on a loaded machine.
  for (let i = 0; i < maxEdges && (i < edges || bestWidth > goodEnoughMs); i += 1) {
    const start = Date.now();
    let before = performance.now();
    let wall = start;
    let after = before;
    // Spin to the next millisecond edge (bounded: Date.now() moves once a ms). The edge lies
    // between the last read of the old value (done by `before`) and the first read of the new
    // one (done by `after`); a preemption in between only widens that bracket.
    while (wall === start) {
      before = after;
      wall = Date.now();
      after = performance.now();
    }
    const width = after - before;
    if (width < bestWidth) {
      bestWidth = width;
      best = wall - (before + after) / 2;
    }
  }
  return best;
}

let wallAnchorMs: number | null = null;

/** The wall clock in µs: monotonic time plus an anchor calibrated once per process. */
function systemWallMicros(): number {
  if (wallAnchorMs === null) wallAnchorMs = calibrateWallAnchor();
  return Math.round((wallAnchorMs + performance.now()) * 1000);
}

/**
 * The real clock. Wall time is the monotonic clock (`performance.now()`) plus an anchor
 * calibrated against the system clock on first use ({@link calibrateWallAnchor}): microsecond
 * resolution (`Date.now()` has only milliseconds) and agreement between processes to about a
 * microsecond.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallMicros: systemWallMicros,
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
