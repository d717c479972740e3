import fc from 'fast-check';
import { backoffDelay, DEFAULT_RETRY, retryPolicy } from '../../src/time';

describe('backoffDelay', () => {
  test('doubles from the initial delay after each failure, capped', () => {
    const policy = { attempts: 9, initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  test('never below the initial delay nor above the cap, and never shrinking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 60 }),
        (initialDelayMs, extra, failures) => {
          const policy = { attempts: 3, initialDelayMs, maxDelayMs: initialDelayMs + extra };
          const delay = backoffDelay(policy, failures);
          const next = backoffDelay(policy, failures + 1);
          return delay >= initialDelayMs && delay <= policy.maxDelayMs && next >= delay;
        },
      ),
    );
  });

  test('retryPolicy fills what an override leaves out', () => {
    expect(retryPolicy({ attempts: 2 })).toEqual({ ...DEFAULT_RETRY, attempts: 2 });
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY);
  });
});
