export type { BatchedAppender } from './batchedAppender';
export { openBatchedAppender } from './batchedAppender';
export { FormatError, fileError, StorageError } from './errors';
export type { ExchangeRecord, ParsedExchangeLog } from './exchangeLog';
export { EXCHANGE_LOG_SUFFIX, exchangeLogFormat, exchangeLogName, parseExchangeLog } from './exchangeLog';
export type { EndInfo, RecordFormat } from './recordFormat';
export type { DateTimeText } from './timeFormat';
export { formatDurationText, formatMicros, parseDateTime, parseDurationText } from './timeFormat';
export type { ParsedRow, ParsedTable, TimestampRow } from './timestampTable';
export {
  clientTableName,
  parseTimestampTable,
  SERVER_TABLE_NAME,
  TABLE_HEADER,
  TABLE_RULE,
  TABLE_TITLE,
  timestampTableFormat,
} from './timestampTable';
export type { RecordFile } from './recordFile';
export { openRecordFile } from './recordFile';
