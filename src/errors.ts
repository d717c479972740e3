/**
 * The error kernel every layer builds on: one base class with a stable `code`, and the plain
 * `{ code, message }` shape that results, summaries and events carry instead of prose.
 *
 * Each layer has its own `errors.ts` whose classes extend {@link TimeswarmError}; callers and
 * tests match on `code`, never on `message` (which is for people and may change).
 */

/** An error as data: what went wrong (`code`, stable) and a sentence for people. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/** Base of every error timeswarm throws on purpose. */
export class TimeswarmError extends Error {
  override name = 'TimeswarmError';
  readonly code: string;
  constructor(message: string, code = 'ERR_TIMESWARM', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * Whatever was thrown, as an {@link ErrorInfo}: our errors and Node's (`ECONNREFUSED`, `ENOSPC`)
 * keep their code; anything else is `ERR_UNKNOWN`.
 */
export function describeError(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERR_UNKNOWN', message: error.message };
  }
  return { code: 'ERR_UNKNOWN', message: String(error) };
}

/** An {@link ErrorInfo} from a code and a message. */
export function errorInfo(code: string, message: string): ErrorInfo {
  return { code, message };
}
