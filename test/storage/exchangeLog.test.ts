import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type EndInfo,
  type ExchangeRecord,
  exchangeLogFormat,
  exchangeLogName,
  FormatError,
  openRecordFile,
  parseExchangeLog,
} from '../../src/storage';

const HEADER = 'seq,t1_us,t2_us,t3_us,t4_us,rtt_us,timer_error_us\n';
const T0 = Date.UTC(2026, 10, 24) * 1000;

const complete: ExchangeRecord = {
  seq: 1,
  t1: T0 + 100,
  t2: T0 + 150,
  t3: T0 + 160,
  t4: T0 + 230,
  rttMicros: 130,
  timerErrorMicros: 12,
};
const lost: ExchangeRecord = {
  seq: 2,
  t1: T0 + 10_100,
  t2: null,
  t3: null,
  t4: null,
  rttMicros: null,
  timerErrorMicros: 0,
};

const render = (records: ExchangeRecord[], end?: EndInfo) =>
  exchangeLogFormat.header +
  records.map((r, i) => exchangeLogFormat.line(r, i + 1)).join('') +
  (end ? exchangeLogFormat.footer(end) : '');

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

describe('exchangeLogFormat', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-exchanges-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes CSV with empty cells for what never came, and an end line', async () => {
    const path = join(dir, exchangeLogName(3));
    expect(path.endsWith('client_3_TimeData.exchanges.csv')).toBe(true);
    const file = await openRecordFile(path, exchangeLogFormat);
    file.write(complete);
    file.write(lost);
    await file.finish({ durationMs: 20_000.4 });
    expect(await readFile(path, 'utf8')).toBe(
      HEADER +
        `1,${T0 + 100},${T0 + 150},${T0 + 160},${T0 + 230},130,12\n` +
        `2,${T0 + 10_100},,,,,0\n` +
        '# end,duration_ms=20000\n',
    );
  });

  it('round-trips records with and without replies', () => {
    const parsed = parseExchangeLog(render([complete, lost], { durationMs: 20_000 }));
    expect(parsed).toEqual({ records: [complete, lost], end: { durationMs: 20_000 } });
  });

  it('round-trips any records and end', () => {
    const micros = fc.integer({ min: 0, max: 2 ** 52 });
    const maybe = fc.option(micros, { nil: null });
    const record: fc.Arbitrary<ExchangeRecord> = fc.record({
      seq: fc.nat({ max: 0xffff_ffff }),
      t1: micros,
      t2: maybe,
      t3: maybe,
      t4: maybe,
      rttMicros: fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }), { nil: null }),
      timerErrorMicros: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    });
    const end: fc.Arbitrary<EndInfo> = fc.record(
      { durationMs: fc.nat({ max: 24 * 3_600_000 }), endedEarly: fc.string({ minLength: 1 }) },
      { requiredKeys: ['durationMs'] },
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), end, (records, e) => {
        expect(parseExchangeLog(render(records, e))).toEqual({ records, end: e });
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips an ended_early reason with quotes, commas, backslashes and newlines', () => {
    const reason = 'peer said "bye, see you", then \\ left\nline two\r\n"duration_ms=1"';
    const footer = exchangeLogFormat.footer({ durationMs: 1234, endedEarly: reason });
    expect(footer.indexOf('\n')).toBe(footer.length - 1);
    const parsed = parseExchangeLog(render([complete]) + footer);
    expect(parsed.end).toEqual({ durationMs: 1234, endedEarly: reason });
    expect(parsed.records).toEqual([complete]);
  });

  it('reads a log without end line as having no end', () => {
    expect(parseExchangeLog(render([complete, lost]))).toEqual({
      records: [complete, lost],
      end: null,
    });
    expect(parseExchangeLog(HEADER)).toEqual({ records: [], end: null });
  });
});

describe('parseExchangeLog after a crash', () => {
  it('drops a last line cut anywhere, and keeps the lines before it', () => {
    const before = render([complete]);
    const last = exchangeLogFormat.line({ ...lost, rttMicros: 4321, timerErrorMicros: 987 }, 2);
    for (let cut = 1; cut < last.length; cut++) {
      const parsed = parseExchangeLog(before + last.slice(0, cut));
      // A line cut inside its last number still has 7 cells: it must not pass for a record.
      expect({ cut, records: parsed.records }).toEqual({ cut, records: [complete] });
      expect(parsed.end).toBeNull();
    }
  });

  it('drops an end line cut before its newline', () => {
    const text = render([complete], { durationMs: 1234, endedEarly: 'x' });
    for (let cut = text.length - 1; text[cut - 1] !== '\n'; cut--) {
      const parsed = parseExchangeLog(text.slice(0, cut));
      expect({ cut, end: parsed.end }).toEqual({ cut, end: null });
      expect(parsed.records).toEqual([complete]);
    }
  });
});

describe('parseExchangeLog is strict', () => {
  it.each([
    ['a wrong header', 'seq,t1,t2,t3,t4,rtt,err\n1,1,,,,,0\n', 1],
    ['an empty file', '', 1],
    ['6 columns', HEADER + '1,1,,,,0\n2,1,,,,,0\n', 2],
    ['8 columns', HEADER + '1,1,,,,,0,0\n', 2],
    ['a missing t1', HEADER + '1,1,,,,,0\n2,,,,,,0\n', 3],
    ['a missing seq', HEADER + ',1,,,,,0\n', 2],
    ['a missing timer error', HEADER + '1,1,,,,,\n', 2],
    ['garbage in t3', HEADER + '1,1,2,x,4,5,0\n', 2],
    ['a malformed end line', HEADER + '1,1,,,,,0\n# end,duration=5\n', 3],
    ['lines after the end line', HEADER + '1,1,,,,,0\n# end,duration_ms=5\n2,1,,,,,0\n', 4],
  ])('rejects %s', (_what, text, line) => {
    expect(formatErrorOf(() => parseExchangeLog(text)).line).toBe(line);
  });
});
