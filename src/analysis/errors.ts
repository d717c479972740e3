import { TimeswarmError } from '../errors';

export type AnalysisErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_NO_DATA'
  | 'ERR_UNKNOWN_FILE'
  | 'ERR_TRANSFERS_FORMAT';

/** Analysis errors carry a stable `code`; the message is for people. */
export class AnalysisError extends TimeswarmError {
  override name = 'AnalysisError';
  declare readonly code: AnalysisErrorCode;
  constructor(
    message: string,
    code: AnalysisErrorCode,
    readonly path?: string,
  ) {
    super(message, code);
  }
}
