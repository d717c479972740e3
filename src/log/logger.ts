import winston from 'winston';
import type { LogLevel } from './levels';

/** What every component logs through: winston's logger, scoped by a `component` label. */
export type Logger = winston.Logger;

const consoleFormat = winston.format.printf(({ level, message, component, timestamp, ...rest }) => {
  const fields = Object.entries(rest)
    .filter(([key]) => typeof key === 'string' && !key.startsWith('Symbol('))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${timestamp} ${level} [${String(component ?? 'timeswarm')}] ${String(message)}${fields ? ` ${fields}` : ''}`;
});

/**
 * The root logger. Silent until the CLI (or an embedder) calls {@link configureLogging}:
 * a library should not print on its own.
 */
export const rootLogger: Logger = winston.createLogger({
  level: 'info',
  silent: true,
  transports: [
    new winston.transports.Console({
      // Logs go to stderr so that stdout stays clean for results (`--json`).
      stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      format: winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        consoleFormat,
      ),
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
