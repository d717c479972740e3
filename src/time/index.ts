export type { Clock } from './clock';
export { simulatedClock, skewedClock, systemClock } from './clock';
export type { GridTick, TickGridOptions } from './tickGrid';
export { startTickGrid } from './tickGrid';
export { TickPace } from './tickPace';
