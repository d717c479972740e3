import { StorageError } from './errors';

/** Longest accepted file name, in UTF-8 bytes; leaves room for the temporary name around it. */
export const MAX_FILE_NAME_BYTES = 200;

/** A name that must not be used as a file name under `--dir`; `code` is `ERR_BAD_FILE_NAME`. */
export class FileNameError extends StorageError {
  override name = 'FileNameError';
  constructor(
    readonly reason: string,
    readonly fileName: string,
  ) {
    super(
      `Refused file name ${JSON.stringify(fileName.slice(0, 80))}: ${reason}`,
      'ERR_BAD_FILE_NAME',
    );
  }
}

// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators.
const FORBIDDEN_CHARS = /[\p{Cc}\u2028\u2029]/u;

/**
 * Why `name` is not a safe single path component, or `null` when it is.
 *
 * A name from the network becomes `join(dir, name)`, so it must be exactly one plain
 * component: no separators of any platform (`/`, `\`, `:`), no `..` anywhere, no leading
 * dot (hidden files, and our `.NAME.part` temporaries), no control characters or NUL, no
 * trailing dot or space (Windows strips them), and at most {@link MAX_FILE_NAME_BYTES} bytes.
 */
export function fileNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'not a string';
  if (name.length === 0) return 'empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES)
    return `longer than ${MAX_FILE_NAME_BYTES} bytes`;
  if (FORBIDDEN_CHARS.test(name)) return 'contains a control character';
  if (/[/\\:]/.test(name)) return 'contains a path separator';
  if (name.includes('..')) return "contains '..'";
  if (name.startsWith('.')) return 'starts with a dot';
  if (/[. ]$/.test(name)) return 'ends with a dot or a space';
  if (name !== name.normalize('NFC')) return 'not in Unicode normal form C';
  return null;
}

/** True when {@link fileNameProblem} finds nothing wrong with `name`. */
export function isSafeFileName(name: unknown): name is string {
  return fileNameProblem(name) === null;
}

/** Returns `name` when it is safe, throws {@link FileNameError} otherwise. */
export function assertSafeFileName(name: string): string {
  const problem = fileNameProblem(name);
  if (problem) throw new FileNameError(problem, name);
  return name;
}
