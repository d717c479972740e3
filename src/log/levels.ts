/** Log levels the CLI accepts; kept apart from `logger.ts` so parsing them does not load winston. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'verbose', 'debug', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
