import Table from 'cli-table3';

/**
 * Text that fits the terminal: its width, the width of text on it, word-wrapped prose, a line
 * of parts that drops the least important ones, and tables that turn into one small table per
 * row (a stacked layout) when they are too wide.
 */

/** Narrowest width laid out for; below it lines may be longer than the terminal. */
export const MIN_WIDTH = 40;
/** Width when nothing says otherwise (not a terminal, no `COLUMNS`). */
export const DEFAULT_WIDTH = 80;

/**
 * Columns to lay text out in for `stream`: `COLUMNS` when set (as Python's
 * `shutil.get_terminal_size` does, so that a person or a test can ask for a width), else the
 * terminal's own width, else {@link DEFAULT_WIDTH} (a pipe or a file). At least {@link MIN_WIDTH}.
 */
export function terminalWidth(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const fromEnv = /^\d+$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0;
  const fromTty = stream.isTTY && stream.columns ? stream.columns : 0;
  return Math.max(MIN_WIDTH, fromEnv || fromTty || DEFAULT_WIDTH);
}

// ANSI escape sequences (CSI and OSC) take no room on the screen.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
// Marks drawn on the character before them, and zero-width characters.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff]$/u;
// East Asian wide and fullwidth characters, and emoji: two columns each.
const WIDE =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]$/u;

/** Columns `text` takes on a terminal (one line; escape sequences take none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(ANSI, '')) {
    if (ZERO_WIDTH.test(char)) continue;
    width += WIDE.test(char) ? 2 : 1;
  }
  return width;
}

/** The widest line of `text`. */
export function widestLine(text: string): number {
  return Math.max(0, ...text.split('\n').map(displayWidth));
}

/** The longest start of `text` that fits `width`, with `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  for (const char of text) {
    if (displayWidth(`${out}${char}…`) > width) break;
    out += char;
  }
  return `${out}…`;
}

/**
 * Prose wrapped at spaces to `width` columns; a word longer than a line is cut across lines.
 * Lines after the first start with `indent`.
 */
export function wrapText(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  const room = () => width - (lines.length > 0 ? displayWidth(indent) : 0);
  const push = () => {
    lines.push(line);
    line = '';
  };
  for (let word of text.split(/ +/)) {
    if (line && displayWidth(`${line} ${word}`) > room()) push();
    while (displayWidth(word) > room()) {
      let head = '';
      for (const char of word) {
        if (displayWidth(line + head + char) > room()) break;
        head += char;
      }
      line += head;
      word = word.slice(head.length);
      push();
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) push();
  return lines.map((l, i) => (i > 0 ? `${indent}${l}` : l)).join('\n');
}

/**
 * Parts joined by `separator`, most important first: the last parts are left out until the
 * line fits `width`, and the first is truncated if even it alone does not.
 */
export function fitParts(parts: readonly string[], width: number, separator = ' · '): string {
  const kept = parts.filter(Boolean);
  while (kept.length > 1 && displayWidth(kept.join(separator)) > width) kept.pop();
  return truncate(kept.join(separator), Math.max(1, width));
}

const STYLE = { head: [], border: [] };

/**
 * A table that fits `width` columns: the usual one when it does; otherwise one two-column
 * table per row (its first cell as the heading, then each column's name beside its value),
 * with long names and values wrapped inside their cells. A column name may hold a line break
 * to keep the wide table narrow (`'RTT ms\nmin / median'`); stacked, it reads as one line.
 */
export function fitTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  width: number,
): string {
  const wide = new Table({ head: [...head], style: STYLE });
  wide.push(...rows.map((row) => [...row]));
  const text = wide.toString();
  if (widestLine(text) <= width) return text;
  const names = head.map((name) => name.replace(/\s*\n\s*/g, ' '));
  // A table n columns wide takes n + 1 columns of border; each cell pads one space each side.
  const room = Math.max(MIN_WIDTH, width) - 3;
  const longest = (cells: readonly string[]) => Math.max(1, ...cells.map(displayWidth)) + 2;
  // Both columns as wide as their longest cell when they fit; otherwise values keep up to
  // two thirds (a value cut across lines reads worse than a wrapped name).
  const valueWidth = Math.min(
    longest(rows.flat()),
    Math.max(room - longest(names), Math.floor((room * 2) / 3)),
  );
  const nameWidth = Math.min(longest(names), room - valueWidth);
  return rows.map((row) => stackedRow(names, row, [nameWidth, valueWidth])).join('\n');
}

/** No line between the rows of a stacked table (there is one under its heading). */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function stackedRow(
  head: readonly string[],
  row: readonly string[],
  [nameWidth, valueWidth]: [number, number],
): string {
  const table = new Table({
    head: [head[0] ?? '', row[0] ?? ''],
    colWidths: [nameWidth, valueWidth],
    wordWrap: true,
    wrapOnWordBoundary: true,
    chars: COMPACT,
    style: STYLE,
  });
  // cli-table3 cuts a word longer than its cell with `…`; cut such words across lines first.
  const cell = (text: string, cellWidth: number) => wrapText(text, cellWidth - 2);
  for (const [i, name] of head.entries()) {
    if (i === 0) continue;
    table.push([cell(name, nameWidth), cell(row[i] ?? '', valueWidth)]);
  }
  // The line under the heading, which COMPACT took away with the others.
  const lines = table.toString().split('\n');
  const rule = `├${'─'.repeat(nameWidth)}┼${'─'.repeat(valueWidth)}┤`;
  const headingLines = wrapText(row[0] ?? '', valueWidth - 2).split('\n').length;
  lines.splice(1 + headingLines, 0, rule);
  return lines.join('\n');
}
