/**
 * What a person sees in a terminal, shared by the CLI and the examples: option parsers,
 * progress bars and lines, summary tables, and graceful shutdown on SIGINT/SIGTERM.
 */
export type { BarState, LiveBarsOptions } from './liveBars';
export { showLiveBars } from './liveBars';
export type { SessionProgress, SessionProgressOptions } from './sessionProgress';
export {
  progressLine,
  reportProgress,
  serverStatusLine,
  sessionBar,
  sessionProgress,
  showServerProgress,
  showSessionProgress,
} from './sessionProgress';
export type { ShutdownOptions } from './signals';
export { EXIT_NOT_FINISHED, onShutdownSignal } from './signals';
export { clientSummaryTable } from './summaryTable';
export { verificationTable } from './verificationTable';
