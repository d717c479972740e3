/**
 * The light public entry: what a command-line program needs to declare its options (parsers,
 * `--secret`, `--inspect`, log levels) and nothing else, so that `--help` loads only commander
 * and ms. Everything here is also exported from the library's main entry, `src/index.ts`.
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
export {
  parseCount,
  parseDuration,
  parseHostPort,
  parseIp,
  parseLogLevel,
  parsePeerList,
  parsePort,
  parsePositiveInt,
  parseRate,
  parseSize,
  secretOption,
} from './terminal/options';
