import { TimeswarmError } from '../errors';

/** Storage errors carry a stable `code` and, where there is one, the path involved. */
export class StorageError extends TimeswarmError {
  override name = 'StorageError';
  constructor(
    message: string,
    code = 'ERR_STORAGE',
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
  }
}

/** A file of ours that does not follow the table or sidecar format; `line` is 1-based. */
export class FormatError extends StorageError {
  override name = 'FormatError';
  constructor(
    message: string,
    readonly line: number,
    path?: string,
  ) {
    super(`${path ? `${path}:` : ''}${line}: ${message}`, 'ERR_FORMAT', path);
  }
}

/** Wraps a Node fs error so the message names the path and the code survives. */
export function fileError(action: string, path: string, cause: unknown): StorageError {
  const code = (cause as NodeJS.ErrnoException)?.code ?? 'ERR_STORAGE';
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(`Cannot ${action} ${path}: ${reason}`, code, path, { cause });
}
