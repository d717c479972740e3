export type { RetryPolicy } from './backoff';
export { backoffDelay, DEFAULT_RETRY, retryPolicy } from './backoff';
export type { Clock, ManualTimers } from './clock';
export { simulatedClock, skewedClock, systemClock } from './clock';
export type { GridTick, TickGridOptions } from './tickGrid';
export { startTickGrid } from './tickGrid';
export { TickPace } from './tickPace';
