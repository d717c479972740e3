/**
 * What a person sees in a terminal, shared by the CLI and the examples: option parsers,
 * progress bars and lines, summary tables, and graceful shutdown on SIGINT/SIGTERM.
 */

export { colorEnabled } from '../log/color';
export {
  DEFAULT_WIDTH,
  displayWidth,
  fitParts,
  fitTable,
  MIN_WIDTH,
  terminalWidth,
  truncate,
  widestLine,
  wrapText,
} from './layout';
export type { BarState, LiveBarsOptions } from './liveBars';
export { showLiveBars } from './liveBars';
export type { SessionProgress, SessionProgressOptions } from './sessionProgress';
export {
  progressLine,
  reportProgress,
  serverStatusLine,
  serverStatusParts,
  sessionBar,
  sessionProgress,
  showServerProgress,
  showSessionProgress,
} from './sessionProgress';
export { PEER_STATE_LABELS, shareProgressLine, shareSummaryText } from './shareText';
export type { ShutdownOptions } from './signals';
export { EXIT_NOT_FINISHED, onShutdownSignal } from './signals';
export { clientSummaryTable } from './summaryTable';
export { verificationTable } from './verificationTable';
