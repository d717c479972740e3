/**
 * The one bounded wait of the tests: polls until a condition holds, or fails after `limitMs`
 * of real time naming what it waited for. The limit is generous (a busy machine is not a
 * failure) and no test asserts how long the wait took.
 *
 *   await until(() => server.clients === 2);
 *   await until(() => file.exists(), { limitMs: 5000, what: 'the table' });
 *   await until(actor, (snapshot) => snapshot.matches('done'));   // on every change, no polling
 */
export interface UntilOptions {
  /** Real-time bound (default 20 s). */
  limitMs?: number;
  /** Poll period (default 2 ms). */
  everyMs?: number;
  /** Named in the failure (a function: read when it fails, e.g. a process's output so far). */
  what?: string | (() => string);
}

/** Anything with snapshots to watch: an XState actor. */
interface Watchable<T> {
  getSnapshot(): T;
  subscribe(observer: () => void): { unsubscribe(): void };
}

export function until(
  predicate: () => boolean | Promise<boolean>,
  options?: UntilOptions | number,
): Promise<void>;
export function until<T>(
  actor: Watchable<T>,
  predicate: (snapshot: T) => boolean,
  options?: UntilOptions | number,
): Promise<void>;
export function until<T>(
  first: (() => boolean | Promise<boolean>) | Watchable<T>,
  second?: ((snapshot: T) => boolean) | UntilOptions | number,
  third?: UntilOptions | number,
): Promise<void> {
  if (typeof first === 'function') {
    return poll(first, options(second as UntilOptions | number | undefined));
  }
  return watch(first, second as (snapshot: T) => boolean, options(third));
}

interface Bound {
  limitMs: number;
  everyMs: number;
  failure: () => Error;
}

const options = (given: UntilOptions | number | undefined): Bound => {
  const o = typeof given === 'number' ? { limitMs: given } : (given ?? {});
  const limitMs = o.limitMs ?? 20_000;
  const what = o.what ?? 'condition';
  return {
    limitMs,
    everyMs: o.everyMs ?? 2,
    failure: () =>
      new Error(`${typeof what === 'function' ? what() : what} not reached within ${limitMs} ms`),
  };
};

async function poll(
  predicate: () => boolean | Promise<boolean>,
  { limitMs, everyMs, failure }: Bound,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw failure();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function watch<T>(
  actor: Watchable<T>,
  predicate: (snapshot: T) => boolean,
  { limitMs, failure }: Bound,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate(actor.getSnapshot())) return resolve();
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(failure());
    }, limitMs);
    const subscription = actor.subscribe(() => {
      if (!predicate(actor.getSnapshot())) return;
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve();
    });
  });
}

/** Real time passing, for a test that must let something (not) happen. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
