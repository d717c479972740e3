export {
  collectRunMetadata,
  RUN_METADATA_FILE,
  type RunMetadata,
  readRunMetadata,
  writeRunMetadata,
} from './metadata';
export { CLIENT_PALETTE, clientColor, RAW_POINT_BUDGET } from './pageData';
export { type ReportInput, renderReport, writeReport } from './renderReport';
export {
  parseTransferTimeline,
  readTransferTimeline,
  type TransferSpan,
  type TransferTimeline,
} from './transfers';
