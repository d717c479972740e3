/** Analysis errors carry a stable `code`; the message is for people. */
export class AnalysisError extends Error {
  override name = 'AnalysisError';
  constructor(
    message: string,
    readonly code: 'ERR_NOT_FOUND' | 'ERR_NO_DATA' | 'ERR_UNKNOWN_FILE' | 'ERR_TRANSFERS_FORMAT',
    readonly path?: string,
  ) {
    super(message);
  }
}
