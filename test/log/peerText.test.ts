import fc from 'fast-check';
import { escapeText, jsonText, PEER_TEXT_MAX, peerText } from '../../src/log/peerText';

/** Every character a terminal or a log reader could be fooled by, as the tests see it. */
const RAW_UNSAFE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/u;

/** The inverse of escapeText (for text that was not cut): proves no two inputs look alike. */
function unescapeText(text: string): string {
  return text.replace(
    /\\(?:x([0-9a-f]{2})|u\{([0-9a-f]+)\}|u([0-9a-f]{4})|([nrt\\]))/g,
    (_, x: string, astral: string, u: string, named: string) => {
      if (x) return String.fromCharCode(Number.parseInt(x, 16));
      if (astral) return String.fromCodePoint(Number.parseInt(astral, 16));
      if (u) return String.fromCharCode(Number.parseInt(u, 16));
      return ({ n: '\n', r: '\r', t: '\t', '\\': '\\' } as Record<string, string>)[named]!;
    },
  );
}

const hostile = fc.string({ unit: 'binary', maxLength: 300 });
const mixed = fc.oneof(
  hostile,
  fc.string({
    unit: fc.constantFrom(
      '\x1b',
      '[',
      ']',
      '\n',
      '\r',
      '\u202e',
      '\u200b',
      '\\',
      'a',
      '\u009b',
      '\x7f',
      '\ud800',
      '\u2028',
    ),
  }),
);

describe('escapeText', () => {
  test.each([
    ['ESC (ANSI CSI)', '\x1b[31mred', '\\x1b[31mred'],
    ['OSC title with BEL', '\x1b]0;owned\x07', '\\x1b]0;owned\\x07'],
    ['newline and carriage return', 'a\nb\rc', 'a\\nb\\rc'],
    ['NUL, DEL and C1 CSI', '\0\x7f\u009b', '\\x00\\x7f\\x9b'],
    ['right-to-left override and isolates', '\u202eabc\u2066', '\\u202eabc\\u2066'],
    ['zero-width space, joiner and BOM', 'a\u200bb\u200dc\ufeff', 'a\\u200bb\\u200dc\\ufeff'],
    ['line separator', 'a\u2028b', 'a\\u2028b'],
    ['a backslash, so a typed escape never reads as a real one', '\\x1b', '\\\\x1b'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
    ['a tag character (invisible, astral)', 'a\u{e0041}', 'a\\u{e0041}'],
  ])('%s', (_name, input, expected) => {
    expect(escapeText(input, 1000)).toBe(expected);
  });

  test('leaves ordinary text, accents and emoji alone', () => {
    for (const text of ['client 3 closed: session complete', 'héllo wörld', 'ok 🙂', '']) {
      expect(escapeText(text, 1000)).toBe(text);
    }
  });

  test('property: the output holds no unsafe character, and unescapes to the input', () => {
    fc.assert(
      fc.property(mixed, (text) => {
        const out = escapeText(text, 100_000);
        expect(RAW_UNSAFE.test(out)).toBe(false);
        expect(out).not.toMatch(/[\n\r]/);
        expect(unescapeText(out)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  test('property: bounded, never cutting an escape in half, and says how much was left out', () => {
    fc.assert(
      fc.property(mixed, fc.integer({ min: 1, max: 80 }), (text, max) => {
        const out = escapeText(text, max);
        const cut = /…\[\+(\d+)\]$/.exec(out);
        const kept = cut ? out.slice(0, cut.index) : out;
        expect(kept.length).toBeLessThanOrEqual(max);
        expect(RAW_UNSAFE.test(out)).toBe(false);
        // What was kept is an escaped prefix of the input, and the count covers the rest.
        const prefix = unescapeText(kept);
        expect(text.startsWith(prefix)).toBe(true);
        expect(cut ? Number(cut[1]) : 0).toBe(text.length - prefix.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('peerText', () => {
  test('bounds any value to one short line', () => {
    const out = peerText(`${'\x1b'.repeat(1000)}\n`);
    expect(out.length).toBeLessThan(PEER_TEXT_MAX + 20);
    expect(RAW_UNSAFE.test(out)).toBe(false);
    expect(peerText(42)).toBe('42');
  });
});

describe('jsonText', () => {
  test('property: parses back to the same value, with nothing a terminal acts on left raw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), mixed, (value, text) => {
        const document = { value, text, nested: [{ text }] };
        const out = jsonText(document, 2);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(document)));
        expect(RAW_UNSAFE.test(out.replace(/\n/g, ''))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
