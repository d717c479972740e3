import { join } from 'node:path';
import fc from 'fast-check';
import {
  assertSafeFileName,
  FileNameError,
  fileNameViolation,
  isSafeFileName,
  MAX_FILE_NAME_BYTES,
  printableName,
} from '../../src/storage/fileName';
import { clientTableName, SERVER_TABLE_NAME } from '../../src/storage/timestampTable';

describe('the protocol file-name rule', () => {
  it.each([
    ['../x', 'bad-character'],
    ['/etc/passwd', 'bad-character'],
    ['a/b', 'bad-character'],
    ['a\\b', 'bad-character'],
    ['C:evil', 'bad-character'],
    ['..', 'bad-first-character'],
    ['.', 'bad-first-character'],
    ['.hidden', 'bad-first-character'],
    ['.x.part', 'bad-first-character'],
    ['nul\0byte', 'bad-character'],
    ['tab\there', 'bad-character'],
    ['line\nbreak', 'bad-character'],
    ['x'.repeat(10_000), 'too-long'],
    ['x'.repeat(MAX_FILE_NAME_BYTES + 1), 'too-long'],
    ['', 'empty'],
    ['trailing.', 'trailing-dot'],
    ['trailing ', 'bad-character'],
    ['a b.c', 'bad-character'],
    ['données.txt', 'bad-character'],
    // The attacks of issue 9: names a person cannot read safely.
    ['right-to-left \u202e override', 'bad-character'],
    ['txt.\u202eexe', 'bad-character'],
    ['client_2_TimeDat\u0430.txt', 'bad-character'], // Cyrillic а
    ['zero\u200bwidth.txt', 'bad-character'],
    ['\ufeffbom.txt', 'bad-character'],
    ['-rf', 'bad-first-character'],
    ['--help', 'bad-first-character'],
    ['*', 'bad-character'],
    ['a*.txt', 'bad-character'],
    ['$(touch x)', 'bad-character'],
    ['`id`', 'bad-character'],
    ['a;b', 'bad-character'],
    ['NUL', 'reserved-device-name'],
    ['con.txt', 'reserved-device-name'],
    ['LPT1', 'reserved-device-name'],
    ['e\u0301.txt', 'bad-character'], // decomposed é
  ])('refuses %j (%s)', (name, violation) => {
    expect(fileNameViolation(name)).toBe(violation);
    expect(isSafeFileName(name)).toBe(false);
    let caught: unknown;
    try {
      assertSafeFileName(name);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FileNameError);
    expect((caught as FileNameError).code).toBe('ERR_BAD_FILE_NAME');
    expect((caught as FileNameError).violation).toBe(violation);
  });

  it.each([
    ['client_1_TimeData.txt'],
    [clientTableName(1)],
    [clientTableName(999)],
    [SERVER_TABLE_NAME],
    ['serverTimeData.1.txt'],
    ['peer_32_TimeData.txt'],
    ['client_3_TimeData.exchanges.csv'],
    ['a..b'],
    ['_x'],
    ['9'],
    ['connect.txt'],
    ['x'.repeat(MAX_FILE_NAME_BYTES)],
  ])('accepts %j', (name) => {
    expect(fileNameViolation(name)).toBeNull();
    expect(assertSafeFileName(name)).toBe(name);
  });

  it('refuses non-strings', () => {
    expect(fileNameViolation(42)).toBe('not-a-string');
    expect(isSafeFileName(undefined)).toBe(false);
  });

  it('accepted names are exactly one plain, printable component inside the folder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        if (!isSafeFileName(name)) return;
        const full = join('/base/dir', name);
        expect(full.slice('/base/dir/'.length)).toBe(name);
        expect(Buffer.byteLength(name)).toBe(name.length);
        expect(name.length).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
        expect(/^[\x21-\x7e]+$/.test(name)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts every name built from the allowed alphabet that starts well', () => {
    const first = fc.constantFrom(...'abcXYZ019_'.split(''));
    const rest = fc.string({ unit: fc.constantFrom(...'aZ09._-'.split('')), maxLength: 100 });
    fc.assert(
      fc.property(first, rest, fc.constantFrom('x', '_', '-', '7'), (a, b, c) => {
        const name = a + b + c;
        if (/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i.test(name)) return;
        expect(fileNameViolation(name)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('prints a refused name with every non-ASCII character escaped', () => {
    expect(printableName('a\u202eb')).toBe('"a\\u{202E}b"');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (name) => {
        expect(/^[\x20-\x7e…]*$/.test(printableName(name))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
