import { StorageError } from './errors';

/**
 * Longest accepted file name, in bytes (the rule admits only ASCII, so bytes = characters).
 * Leaves room for the `.NAME.part` temporary around it on every common file system.
 */
export const MAX_FILE_NAME_BYTES = 128;

/** Why a name was refused, as a stable token (the message is for people). */
export type FileNameViolation =
  | 'not-a-string'
  | 'empty'
  | 'too-long'
  | 'bad-character'
  | 'bad-first-character'
  | 'trailing-dot'
  | 'reserved-device-name';

/** A name that must not be used as a file name under `--dir`; `code` is `ERR_BAD_FILE_NAME`. */
export class FileNameError extends StorageError {
  override name = 'FileNameError';
  constructor(
    readonly reason: string,
    readonly fileName: string,
    readonly violation: FileNameViolation = 'bad-character',
  ) {
    // The refused name is hostile: JSON.stringify escapes every control and format character
    // but not U+202E or homoglyphs, so the message shows only its printable-ASCII rendering.
    super(`Refused file name ${printableName(fileName)}: ${reason}`, 'ERR_BAD_FILE_NAME');
  }
}

/** ASCII letters, digits, `.`, `_`, `-`: the only characters a protocol name may hold. */
const ALLOWED = /^[A-Za-z0-9._-]*$/;
/** Names Windows maps to devices, whatever follows the first dot (`nul.txt` is `NUL`). */
const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

const REASONS: Record<FileNameViolation, string> = {
  'not-a-string': 'not a string',
  empty: 'empty',
  'too-long': `longer than ${MAX_FILE_NAME_BYTES} bytes`,
  'bad-character': 'only ASCII letters, digits and . _ - are allowed',
  'bad-first-character': "starts with '.' or '-'",
  'trailing-dot': "ends with '.'",
  'reserved-device-name': 'a reserved device name on Windows',
};

/**
 * Which rule `name` breaks, or `null` when it is a valid protocol file name.
 *
 * The protocol rule (docs/protocol-p2p.md, "Names"): 1–{@link MAX_FILE_NAME_BYTES} characters,
 * each an ASCII letter, digit, `.`, `_` or `-`; not starting with `.` or `-`; not ending with
 * `.`; not a Windows device name. It is checked on send and on receive.
 *
 * Security properties kept here:
 * - a name is exactly one path component: no separator of any platform, no `..` component,
 *   no NUL, so `join(dir, name)` stays inside `dir`;
 * - a person reads it as it is: no bidirectional overrides (U+202E), no zero-width characters
 *   or BOM, no homoglyphs (everything outside ASCII is refused), no control characters;
 * - it is inert on a command line or in a shell: no leading `-` (an option), no `*`, `?`,
 *   `$`, `(`, quotes, spaces or `;`;
 * - it never collides with our temporaries (`.NAME.part` starts with a dot).
 */
export function fileNameViolation(name: unknown): FileNameViolation | null {
  if (typeof name !== 'string') return 'not-a-string';
  if (name.length === 0) return 'empty';
  if (name.length > MAX_FILE_NAME_BYTES) return 'too-long';
  if (!ALLOWED.test(name)) return 'bad-character';
  if (name.startsWith('.') || name.startsWith('-')) return 'bad-first-character';
  if (name.endsWith('.')) return 'trailing-dot';
  if (DEVICE_NAMES.test(name)) return 'reserved-device-name';
  return null;
}

/** Why `name` is not a valid protocol file name, for people, or `null` when it is one. */
export function fileNameProblem(name: unknown): string | null {
  const violation = fileNameViolation(name);
  return violation ? REASONS[violation] : null;
}

/** True when {@link fileNameViolation} finds nothing wrong with `name`. */
export function isSafeFileName(name: unknown): name is string {
  return fileNameViolation(name) === null;
}

/** Returns `name` when it is valid, throws {@link FileNameError} otherwise. */
export function assertSafeFileName(name: string): string {
  const violation = fileNameViolation(name);
  if (violation) throw new FileNameError(REASONS[violation], name, violation);
  return name;
}

/**
 * A rendering of any string that is safe to print to a terminal or a log: printable ASCII
 * kept, everything else as `\u{…}` escapes, cut at 80 characters. Use it for every name that
 * came from the network and failed the rule.
 */
export function printableName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (out.length >= 80) return `"${out}…"`;
    const cp = ch.codePointAt(0)!;
    out +=
      cp >= 0x20 && cp < 0x7f && ch !== '"' && ch !== '\\'
        ? ch
        : `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return `"${out}"`;
}
