/**
 * How often and how patiently to retry something that failed (a connection, a dial).
 * One policy and one formula for every actor that retries.
 */
export interface RetryPolicy {
  /** Attempts before giving up (1 = no retry; 0 = not even once, where that makes sense). */
  attempts: number;
  /** Wait after the first failure; doubles after each further failure. */
  initialDelayMs: number;
  /** The wait never grows beyond this. */
  maxDelayMs: number;
}

/** The default: 5 attempts, 250 ms doubling up to 4 s. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 250, maxDelayMs: 4000 };

/**
 * The wait after the `failures`-th consecutive failure (1-based): initial × 2^(failures − 1),
 * capped at `maxDelayMs`.
 *
 * @example backoffDelay({ attempts: 5, initialDelayMs: 250, maxDelayMs: 4000 }, 3) // 1000
 */
export function backoffDelay(policy: RetryPolicy, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
}

/** A policy from defaults and a partial override. */
export function retryPolicy(
  override: Partial<RetryPolicy> | undefined,
  defaults: RetryPolicy = DEFAULT_RETRY,
): RetryPolicy {
  return { ...defaults, ...override };
}
