import { escapeText } from '../log/peerText';

/**
 * A command-line error as one line: `error: … (Did you mean …?) (run with --help for usage)`,
 * for commander's `outputError`. What was typed is shown escaped, like any text a person did
 * not write themselves.
 */
export function oneLineError(text: string): string {
  const parts = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => escapeText(line, 500));
  return `${parts.join(' ')} (run with --help for usage)\n`;
}

/**
 * A command's failure as one line, `timeswarm: message (CODE)`: an error can carry remote
 * text (a refused reason, a peer's name), so both parts are escaped and bounded.
 */
export function errorLine(error: { message: string; code?: unknown }): string {
  const code = typeof error.code === 'string' ? ` (${escapeText(error.code, 64)})` : '';
  return `timeswarm: ${escapeText(error.message, 1000)}${code}\n`;
}
