import winston from 'winston';
import { colorEnabled } from './color';
import type { LogLevel } from './levels';
import { escapeText } from './peerText';

/** What every component logs through: winston's logger, scoped by a `component` label. */
export type Logger = winston.Logger;

/** Longest string a log entry keeps, after escaping (a reason, a path, an error message). */
export const MAX_LOG_STRING = 1000;
/** How deep, and how many entries per level, a log entry's metadata is escaped and kept. */
const MAX_DEPTH = 3;
const MAX_ENTRIES = 50;

/** A copy of `value` with every string (keys too) escaped and bounded; never mutates it. */
function escapeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return escapeText(value, MAX_LOG_STRING);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return escapeText(
      `${value.name}: ${value.message}${typeof code === 'string' ? ` (${code})` : ''}`,
      MAX_LOG_STRING,
    );
  }
  if (depth >= MAX_DEPTH) return escapeText(String(JSON.stringify(value)), MAX_LOG_STRING);
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ENTRIES).map((item) => escapeValue(item, depth + 1));
    if (value.length > MAX_ENTRIES) items.push(`…[+${value.length - MAX_ENTRIES}]`);
    return items;
  }
  const entries = Object.entries(value);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of entries.slice(0, MAX_ENTRIES)) {
    copy[escapeText(key, MAX_LOG_STRING)] = escapeValue(item, depth + 1);
  }
  if (entries.length > MAX_ENTRIES) copy['…'] = `+${entries.length - MAX_ENTRIES} more`;
  return copy;
}

/**
 * The logger's first format: every string of every entry (the message, each metadata value
 * and key, nested ones too) has its control characters, escape sequences, newlines, bidi and
 * invisible characters shown escaped (`\x1b`, `\n`, `\u202e`) and is bounded in length. Text
 * a peer sent (a `bye` reason, a refused reason, a name, an error carrying remote text) thus
 * cannot forge a log line or drive the terminal, whichever component logs it.
 *
 * It runs before any transport's format, so the console's level colours (added later by
 * `colorize`, to `level` only, which is never escaped) keep working. Embedders that pass
 * their own winston logger to the actors should add it first too:
 * `winston.createLogger({ format: escapeLogFormat(), … })`.
 */
export const escapeLogFormat = winston.format((info) => {
  const entry = info as Record<string, unknown>;
  entry.message = escapeValue(entry.message, 0);
  for (const key of Object.keys(entry)) {
    if (key === 'level' || key === 'message') continue;
    const value = entry[key];
    const safeKey = escapeText(key, MAX_LOG_STRING);
    if (safeKey !== key) delete entry[key];
    entry[safeKey] = escapeValue(value, 0);
  }
  return info;
});

/**
 * The level coloured, but only where colour is wanted ({@link colorEnabled}: stderr is a
 * terminal and `NO_COLOR` is not set): a piped or redirected log carries no escape codes.
 */
const colorizeLevel = (useColor: () => boolean) => {
  const colorize = winston.format.colorize();
  return winston.format((info, options) =>
    useColor() ? colorize.transform(info, options) : info,
  )();
};

/**
 * One console line: `HH:mm:ss.SSS level [component] message key=value …`, the level coloured
 * when `useColor()` says so (default: when stderr, where the logs go, wants colour).
 */
export const consoleLineFormat = (useColor: () => boolean = () => colorEnabled(process.stderr)) =>
  winston.format.combine(
    winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
    colorizeLevel(useColor),
    winston.format.printf(({ level, message, component, timestamp, ...rest }) => {
      const fields = Object.entries(rest)
        .filter(([key]) => typeof key === 'string' && !key.startsWith('Symbol('))
        .map(
          ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
        )
        .join(' ');
      return `${timestamp} ${level} [${String(component ?? 'timeswarm')}] ${String(message)}${fields ? ` ${fields}` : ''}`;
    }),
  );

/**
 * The root logger. Silent until the CLI (or an embedder) calls {@link configureLogging}:
 * a library should not print on its own.
 */
export const rootLogger: Logger = winston.createLogger({
  level: 'info',
  silent: true,
  format: escapeLogFormat(),
  transports: [
    new winston.transports.Console({
      // Logs go to stderr so that stdout stays clean for results (`--json`).
      stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      format: consoleLineFormat(),
    }),
  ],
});

export { LOG_LEVELS, type LogLevel } from './levels';

/** Turns console logging on at `level` (or off with `'silent'`). */
export function configureLogging(level: LogLevel): void {
  rootLogger.silent = level === 'silent';
  if (level !== 'silent') rootLogger.level = level;
}

/** A logger for one component: `getLogger('server')`, `getLogger('client', { clientId: 2 })`. */
export function getLogger(component: string, fields: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...fields });
}
