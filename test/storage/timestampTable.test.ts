import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type EndInfo,
  FormatError,
  formatDurationText,
  formatMicros,
  openRecordFile,
  parseTimestampTable,
  type TimestampRow,
  timestampTableFormat,
} from '../../src/storage';

const HEADER = [
  'Timestamp Data',
  '',
  "| # | Sender's IP | Receiver's IP | Date | Time |",
  '|---|-------------|---------------|------|------|',
  '',
].join('\n');

const row = (
  index: number | string,
  date = '2026-11-24',
  time = '00:12:13.123456',
  sender = '127.0.0.2',
  receiver = '127.0.0.1',
) => `| ${index} | ${sender} | ${receiver} | ${date} | ${time} |\n`;

const FOOTER = 'End of Timestamp Data (after 5 minutes)\n';

/** Runs `fn`, expecting a FormatError; returns it for its `line`. */
function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).code).toBe('ERR_FORMAT');
    return error as FormatError;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

const at = (y: number, mo: number, d: number, h: number, mi: number, s: number, us: number) =>
  Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + us;

describe('timestampTableFormat', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-table-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes exactly the file of DESIGN.md', async () => {
    const path = join(dir, 'client_1_TimeData.txt');
    const file = await openRecordFile(path, timestampTableFormat);
    file.write({
      senderIp: '127.0.0.2',
      receiverIp: '127.0.0.1',
      timeMicros: at(2026, 11, 24, 0, 12, 13, 123456),
    });
    file.write({
      senderIp: '127.0.0.1',
      receiverIp: '127.0.0.2',
      timeMicros: at(2026, 11, 24, 0, 12, 13, 123901),
    });
    await file.finish({ durationMs: 300_000 });
    expect(await readFile(path, 'utf8')).toBe(
      [
        'Timestamp Data',
        '',
        "| # | Sender's IP | Receiver's IP | Date | Time |",
        '|---|-------------|---------------|------|------|',
        '| 1 | 127.0.0.2 | 127.0.0.1 | 2026-11-24 | 00:12:13.123456 |',
        '| 2 | 127.0.0.1 | 127.0.0.2 | 2026-11-24 | 00:12:13.123901 |',
        'End of Timestamp Data (after 5 minutes)',
        '',
      ].join('\n'),
    );
    expect(file.records).toBe(2);
  });

  it('parses the file of DESIGN.md', () => {
    const text =
      HEADER + row(1) + row(2, '2026-11-24', '00:12:13.123901', '127.0.0.1', '127.0.0.2') + FOOTER;
    const table = parseTimestampTable(text);
    expect(table.endedAbruptly).toBe(false);
    expect(table.end).toEqual({ durationText: '5 minutes', durationMs: 300_000 });
    expect(table.rows).toEqual([
      {
        index: 1,
        senderIp: '127.0.0.2',
        receiverIp: '127.0.0.1',
        date: '2026-11-24',
        time: '00:12:13.123456',
        timeMicros: at(2026, 11, 24, 0, 12, 13, 123456),
      },
      {
        index: 2,
        senderIp: '127.0.0.1',
        receiverIp: '127.0.0.2',
        date: '2026-11-24',
        time: '00:12:13.123901',
        timeMicros: at(2026, 11, 24, 0, 12, 13, 123901),
      },
    ]);
  });

  it('writes a footer that says when and why a session ended early', () => {
    const footer = timestampTableFormat.footer({
      durationMs: 72_345,
      endedEarly: 'server closed the connection',
    });
    expect(footer).toBe(
      'End of Timestamp Data (after 1 minute 12.345 seconds; ended early: server closed the connection)\n',
    );
    const table = parseTimestampTable(HEADER + row(1) + footer);
    expect(table.end).toEqual({
      durationText: '1 minute 12.345 seconds',
      durationMs: 72_345,
      endedEarly: 'server closed the connection',
    });
    expect(table.endedAbruptly).toBe(false);
  });

  it('keeps a reason with newlines or parentheses on the one footer line', () => {
    const footer = timestampTableFormat.footer({
      durationMs: 1234,
      endedEarly: 'peer gone\n(ECONNRESET)\r\nread failed)',
    });
    expect(footer.indexOf('\n')).toBe(footer.length - 1);
    expect(footer.indexOf(')')).toBe(footer.length - 2);
    const table = parseTimestampTable(HEADER + row(1) + row(2) + footer);
    expect(table.rows).toHaveLength(2);
    expect(table.endedAbruptly).toBe(false);
    expect(table.end?.durationMs).toBe(1234);
    expect(table.end?.endedEarly).toBe('peer gone (ECONNRESET read failed');
  });

  it('still says "ended early" when the reason is nothing but line breaks and parentheses', () => {
    const footer = timestampTableFormat.footer({ durationMs: 1000, endedEarly: ')\n)' });
    const table = parseTimestampTable(HEADER + footer);
    expect(table.end?.durationMs).toBe(1000);
    expect(table.end?.endedEarly).toEqual(expect.any(String));
    expect(table.end?.endedEarly).not.toBe('');
  });
});

const ip = fc.oneof(fc.ipV4(), fc.ipV6());
const timestampRow: fc.Arbitrary<TimestampRow> = fc.record({
  senderIp: ip,
  receiverIp: ip,
  timeMicros: fc
    .tuple(
      fc.date({
        min: new Date(Date.UTC(2000, 0, 1)),
        max: new Date(Date.UTC(2100, 0, 1)),
        noInvalidDate: true,
      }),
      fc.integer({ min: 0, max: 999 }),
    )
    .map(([date, extra]) => date.getTime() * 1000 + extra),
});
/** Reasons that survive the footer unchanged: one line, no ')', no surrounding blanks. */
const reason = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => !/[\r\n)]/.test(s) && s.trim() === s && s.length > 0);
const endInfo: fc.Arbitrary<EndInfo> = fc.record(
  { durationMs: fc.integer({ min: 0, max: 24 * 3_600_000 }), endedEarly: reason },
  { requiredKeys: ['durationMs'] },
);

describe('parseTimestampTable', () => {
  it('reads back whatever the format writes', () => {
    fc.assert(
      fc.property(fc.array(timestampRow, { maxLength: 30 }), endInfo, (rows, end) => {
        const text =
          timestampTableFormat.header +
          rows.map((r, i) => timestampTableFormat.line(r, i + 1)).join('') +
          timestampTableFormat.footer(end);
        const table = parseTimestampTable(text);
        expect(table.endedAbruptly).toBe(false);
        expect(table.rows).toEqual(
          rows.map((r, i) => ({ ...r, index: i + 1, ...formatMicros(r.timeMicros) })),
        );
        expect(table.end).toEqual({ ...end, durationText: formatDurationText(end.durationMs) });
      }),
      { numRuns: 300 },
    );
  });

  it('reads a file without footer as ended abruptly, with all its rows', () => {
    const table = parseTimestampTable(HEADER + row(1) + row(2) + row(3));
    expect(table.rows.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(table.end).toBeNull();
    expect(table.endedAbruptly).toBe(true);
  });

  it('reads a file with a header and nothing else', () => {
    expect(parseTimestampTable(HEADER)).toEqual({ rows: [], end: null, endedAbruptly: true });
  });

  it('reads every prefix of a file cut by a crash: all complete rows, ended abruptly', () => {
    const rows = [row(1), row(2, '2026-11-24', '00:12:13.133456'), row(3), row(4, '2026-11-25')];
    const footer = 'End of Timestamp Data (after 1.234 seconds; ended early: peer gone)\n';
    const full = HEADER + rows.join('') + footer;
    // Offsets at which each row's text (without its newline) is complete.
    const rowEnds: number[] = [];
    let offset = HEADER.length;
    for (const r of rows) {
      offset += r.length;
      rowEnds.push(offset - 1);
    }
    for (let cut = HEADER.length; cut <= full.length; cut++) {
      const table = parseTimestampTable(full.slice(0, cut));
      const complete = rowEnds.filter((end) => end <= cut).length;
      expect({ cut, rows: table.rows.length }).toEqual({ cut, rows: complete });
      const footerComplete = cut >= full.length - 1;
      expect({ cut, endedAbruptly: table.endedAbruptly }).toEqual({
        cut,
        endedAbruptly: !footerComplete,
      });
      if (footerComplete)
        expect(table.end).toEqual({
          durationText: '1.234 seconds',
          durationMs: 1234,
          endedEarly: 'peer gone',
        });
    }
  });

  describe('is strict', () => {
    it.each([
      ['the title', 'Timestamp data\n' + HEADER.split('\n').slice(1).join('\n'), 1],
      ['the blank line', HEADER.replace('Data\n\n', 'Data\n \n'), 2],
      ['the column header', HEADER.replace("Receiver's IP", 'Receiver IP'), 3],
      ['the rule', HEADER.replace('|---|', '|--|'), 4],
    ])('about %s', (_what, header, line) => {
      expect(formatErrorOf(() => parseTimestampTable(header + row(1) + FOOTER)).line).toBe(line);
    });

    it('rejects an empty file at line 1', () => {
      expect(formatErrorOf(() => parseTimestampTable('')).line).toBe(1);
    });

    it('rejects a gap in the numbering, naming the line', () => {
      const err = formatErrorOf(() =>
        parseTimestampTable(HEADER + row(1) + row(2) + row(4) + FOOTER),
      );
      expect(err.line).toBe(7);
    });

    it.each([
      ['starting at 0', [row(0)], 5],
      ['a repeated number', [row(1), row(1)], 6],
      ['a leading zero', [row(1), row('02')], 6],
      ['a hex number', [row(1), row('0x2')], 6],
      ['a decimal number', [row(1), row('2.0')], 6],
      ['an extra space', [row(1), row(' 2')], 6],
    ])('rejects row numbers with %s', (_what, rows, line) => {
      expect(formatErrorOf(() => parseTimestampTable(HEADER + rows.join('') + FOOTER)).line).toBe(
        line,
      );
    });

    it.each([
      ['a date that does not exist', row(2, '2026-02-30'), 6],
      ['a month 13', row(2, '2026-13-01'), 6],
      ['a time without microseconds', row(2, '2026-11-24', '00:12:13.123'), 6],
      ['an hour 24', row(2, '2026-11-24', '24:00:00.000000'), 6],
    ])('rejects %s', (_what, bad, line) => {
      const err = formatErrorOf(() => parseTimestampTable(HEADER + row(1) + bad + row(3) + FOOTER));
      expect(err.line).toBe(line);
    });

    it('rejects a row with 4 columns', () => {
      const fourColumns = '| 2 | 127.0.0.2 | 2026-11-24 | 00:12:13.123456 |\n';
      const err = formatErrorOf(() =>
        parseTimestampTable(HEADER + row(1) + fourColumns + row(3) + FOOTER),
      );
      expect(err.line).toBe(6);
      // Also as the last, complete line (it ends with a newline, so no crash cut it).
      expect(formatErrorOf(() => parseTimestampTable(HEADER + row(1) + fourColumns)).line).toBe(6);
    });

    it('rejects a row with 6 columns or an empty address', () => {
      const six = '| 1 | 127.0.0.2 | 127.0.0.1 | x | 2026-11-24 | 00:12:13.123456 |\n';
      expect(formatErrorOf(() => parseTimestampTable(HEADER + six + FOOTER)).line).toBe(5);
      const empty = '| 1 |  | 127.0.0.1 | 2026-11-24 | 00:12:13.123456 |\n';
      expect(formatErrorOf(() => parseTimestampTable(HEADER + empty + FOOTER)).line).toBe(5);
    });

    it('rejects lines after the footer', () => {
      const err = formatErrorOf(() =>
        parseTimestampTable(HEADER + row(1) + row(2) + FOOTER + row(3)),
      );
      expect(err.line).toBe(8);
      expect(formatErrorOf(() => parseTimestampTable(HEADER + row(1) + FOOTER + FOOTER)).line).toBe(
        7,
      );
      // Even a blank one.
      expect(formatErrorOf(() => parseTimestampTable(HEADER + row(1) + FOOTER + '\n')).line).toBe(
        7,
      );
    });

    it('rejects a malformed footer that a crash cannot explain', () => {
      const bad = 'End of Timestamp Data (after a while)\n';
      expect(formatErrorOf(() => parseTimestampTable(HEADER + row(1) + bad)).line).toBe(6);
      expect(formatErrorOf(() => parseTimestampTable(HEADER + row(1) + bad + row(2))).line).toBe(6);
    });

    it('names the path in the error when given one', () => {
      const err = formatErrorOf(() => parseTimestampTable(HEADER + row(2), '/data/t.txt'));
      expect(err.path).toBe('/data/t.txt');
      expect(err.line).toBe(5);
    });
  });
});
