export type { BatchedAppender } from './batchedAppender';
export { openBatchedAppender } from './batchedAppender';
export { Bitfield } from './bitfield';
export type { ReceiveOptions, ReceivingFile, StoredFile, WriteOutcome } from './chunkStore';
export { openReceivingFile, openSourceFile, partFileName } from './chunkStore';
export type { DiskBudgetOptions, FreeSpaceProbe } from './diskSpace';
export { DEFAULT_DISK_RESERVE_BYTES, DiskBudget, freeDiskBytes } from './diskSpace';
export { FormatError, fileError, StorageError } from './errors';
export type { ExchangeRecord, ParsedExchangeLog } from './exchangeLog';
export {
  EXCHANGE_LOG_SUFFIX,
  exchangeLogFormat,
  exchangeLogName,
  parseExchangeLog,
} from './exchangeLog';
export type { FileNameViolation } from './fileName';
export {
  assertSafeFileName,
  FileNameError,
  fileNameProblem,
  fileNameViolation,
  isSafeFileName,
  MAX_FILE_NAME_BYTES,
  printableName,
} from './fileName';
export type { FileInfo, FileSystem, WritableFile } from './fileSystem';
export { nodeFileSystem } from './fileSystem';
export type { BuildManifestOptions, Manifest } from './manifest';
export {
  buildManifest,
  checkManifest,
  chunkCount,
  chunkHash,
  chunkLength,
  DEFAULT_CHUNK_SIZE,
  HASH_BYTES,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  manifestChunkCount,
  manifestOfBuffer,
  manifestProblem,
  sameManifest,
  sha256,
  verifyChunk,
} from './manifest';
export { moveAside } from './moveAside';
export { MAX_DIRECTORY_DEPTH, makeDirectory, prepareOutputDirectory } from './outDir';
export type { RecordFile } from './recordFile';
export { openRecordFile } from './recordFile';
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
