export { analyzeClient, type ClientInputs } from './analyzeClient';
export { analyzeRun, CONVENTIONS } from './analyzeRun';
export {
  type Description,
  describe,
  type Histogram,
  type HistogramOptions,
  histogram,
} from './describe';
export { AnalysisError } from './errors';
export { analysisTable } from './formatTable';
export {
  CLOCK_FILTER_WINDOW,
  ipdv,
  minimumDelayFilter,
  type NtpSample,
  ntpSamples,
  rfc3550Jitter,
} from './ntp';
export { findRunFiles, type RunFiles, TRANSFERS_FILE } from './runFiles';
export { indexServerTable, type ServerIndex } from './serverIndex';
export type {
  ClientAnalysis,
  ClientSeries,
  DirectionAnalysis,
  RunAnalysis,
  RunData,
  ServerAnalysis,
} from './types';
