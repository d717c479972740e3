import { describeError, type ErrorInfo } from '../errors';

/**
 * Why an actor did not reach its goal: a stable `code` and a sentence for people. Results and
 * summaries carry it as data; the CLI and the report turn it into text.
 */
export type Failure = ErrorInfo;

/** A failure from a code and a message. */
export function failure(code: string, message: string): Failure {
  return { code, message };
}

/** Whatever an invoked promise rejected with, as a {@link Failure}. */
export function failureOf(error: unknown): Failure {
  return describeError(error);
}
