export type { RetryPolicy } from './backoff';
export { backoffDelay, DEFAULT_RETRY, retryPolicy } from './backoff';
export type { Clock, ManualTimers } from './clock';
export { simulatedClock, skewedClock, systemClock } from './clock';
export { acquireStallMeter, StallMeter } from './stallMeter';
export type { GridTick, TickGridOptions, Waker } from './tickGrid';
export { startTickGrid } from './tickGrid';
export { CLOCK_RATE_SLACK, TickPace } from './tickPace';
