export { type ReportInput, renderReport, writeReport } from './renderReport';
export {
  parseTransferTimeline,
  readTransferTimeline,
  type TransferSpan,
  type TransferTimeline,
} from './transfers';
