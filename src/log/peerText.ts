/**
 * Text that came from the network, made safe to show to a person.
 *
 * A peer can put anything in a string it sends: newlines that start a fake log line, ANSI and
 * OSC escape sequences that recolour or retitle the terminal or hide what follows, bidi
 * controls that make `evil.txt‮gpj.` read as `evil.txt.jpg`, zero-width characters that make
 * two names look the same. Every such character is shown visibly escaped instead, and the
 * text is cut to a bounded length, so one log line stays one line and says what was sent.
 *
 * Logs get this structurally (the logger's format escapes every string of every entry, see
 * `logger.ts`); {@link peerText} is for text that leaves the process another way (terminal
 * summaries, tables). Do not pass a log message through `peerText` first: it would be
 * escaped twice.
 */

/**
 * What is escaped: the backslash (so an escape in the output is never ambiguous with one a
 * peer typed), control characters (C0, DEL, C1), format characters (bidi controls, zero-width
 * spaces and joiners, the BOM, tag characters), line and paragraph separators, lone
 * surrogates, and every other default-ignorable (invisible) code point.
 */
const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u;

/** Default bound for {@link peerText}: long enough for any reason or name the protocols allow. */
export const PEER_TEXT_MAX = 200;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** One code point (or lone surrogate) as the escape that shows it. */
function escapeCodePoint(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\u{${cp.toString(16)}}`;
}

/**
 * `text` with every unsafe character escaped (`\x1b`, `\n`, `\u202e`, `\\`) and cut to at
 * most `maxChars` characters of output, followed by `…[+N]` (N: input characters left out)
 * when cut. An escape is never cut in half. Text without anything to escape that fits is
 * returned as it is.
 *
 * @example escapeText('ok\x1b[2J\nFAKE', 80) // 'ok\\x1b[2J\\nFAKE'
 */
export function escapeText(text: string, maxChars: number): string {
  if (text.length <= maxChars && !UNSAFE.test(text)) return text;
  let out = '';
  let consumed = 0;
  for (const ch of text) {
    const piece = UNSAFE.test(ch) ? escapeCodePoint(ch) : ch;
    if (out.length + piece.length > maxChars) {
      return `${out}…[+${text.length - consumed}]`;
    }
    out += piece;
    consumed += ch.length;
  }
  return out;
}

/**
 * Any value a peer supplied (a reason, a code, a name, an error message carrying remote
 * text), as one bounded line safe to print on a terminal.
 */
export function peerText(value: unknown, maxChars = PEER_TEXT_MAX): string {
  return escapeText(typeof value === 'string' ? value : String(value), maxChars);
}

/**
 * Characters that JSON.stringify leaves raw but a terminal acts on: DEL, C1 controls (0x9b
 * is a one-byte CSI), format and invisible characters, line and paragraph separators.
 */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * `JSON.stringify(value, null, space)`, with every character a terminal would act on written
 * as a `\uXXXX` escape. The result parses to the same value (such characters can only occur
 * inside JSON strings, where `\uXXXX` means the same character), so `--json` output keeps the
 * data exact and is still safe to print.
 */
export function jsonText(value: unknown, space?: number): string {
  const json: string | undefined = JSON.stringify(value, null, space);
  return (json ?? 'null').replace(JSON_UNSAFE, (ch) => {
    let escaped = '';
    for (let i = 0; i < ch.length; i++) escaped += `\\u${hex(ch.charCodeAt(i), 4)}`;
    return escaped;
  });
}
