/**
 * The light public entry: what a command-line program needs to declare its options (parsers,
 * `--secret`, `--inspect`, log levels) and to check them before it loads its work (one-line
 * errors, the output folder), and nothing else, so that `--help` loads only commander and ms
 * (and a bad flag or folder fails before XState and the rest are loaded). Everything here is
 * also exported from the library's main entry, `src/index.ts`.
 */
export {
  DEFAULT_INSPECT_HOST,
  DEFAULT_INSPECT_PORT,
  type InspectChoice,
  type InspectFlags,
  type InspectorMode,
  inspectHostOption,
  inspectOption,
  parseInspect,
} from './inspect/option';
export { LOG_LEVELS, type LogLevel } from './log/levels';
export type { HostPort } from './runtime/start';
// The output folder is checked before a command loads its work: node built-ins only.
export { prepareOutputDirectory } from './storage/outDir';
export { errorLine, oneLineError } from './terminal/errorLine';
export {
  checkSessionLength,
  durationParser,
  MAX_DURATION_MS,
  parseClientId,
  parseCount,
  parseDuration,
  parseHostPort,
  parseInterval,
  parseIp,
  parseLogLevel,
  parseMaxClients,
  parsePath,
  parsePeerIdList,
  parsePeerList,
  parsePort,
  parsePositiveInt,
  parseRate,
  parseSize,
  secretOption,
  wholeNumber,
} from './terminal/options';
