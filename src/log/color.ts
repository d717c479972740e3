/**
 * Whether text written to `stream` may carry colour (ANSI SGR codes). No when `NO_COLOR` is
 * set to anything non-empty (https://no-color.org), when the stream is not a terminal (a pipe,
 * a file, CI) or when `TERM=dumb`; `FORCE_COLOR` (non-empty, not `0`) turns it on anywhere.
 * Kept free of imports so that the logger and the terminal layer can both ask it.
 */
export function colorEnabled(
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
