import fc from 'fast-check';
import {
  formatDurationText,
  formatMicros,
  parseDateTime,
  parseDurationText,
} from '../../src/storage';

const Y2000 = new Date(Date.UTC(2000, 0, 1));
const Y2100 = new Date(Date.UTC(2100, 11, 31, 23, 59, 59, 999));

/** Microseconds since the epoch, anywhere in 2000..2100. */
const microsIn2000to2100 = fc
  .tuple(fc.date({ min: Y2000, max: Y2100, noInvalidDate: true }), fc.integer({ min: 0, max: 999 }))
  .map(([date, extra]) => date.getTime() * 1000 + extra);

describe('formatMicros / parseDateTime', () => {
  it('formats UTC date and time with microseconds', () => {
    const micros = Date.UTC(2026, 10, 24, 0, 12, 13) * 1000 + 123_456;
    expect(formatMicros(micros)).toEqual({ date: '2026-11-24', time: '00:12:13.123456' });
  });

  it('pads the microseconds to six digits', () => {
    const second = Date.UTC(2026, 10, 24, 23, 59, 59) * 1000;
    expect(formatMicros(second).time).toBe('23:59:59.000000');
    expect(formatMicros(second + 5).time).toBe('23:59:59.000005');
    expect(formatMicros(second + 40).time).toBe('23:59:59.000040');
    expect(formatMicros(second + 999_999).time).toBe('23:59:59.999999');
    expect(formatMicros(0)).toEqual({ date: '1970-01-01', time: '00:00:00.000000' });
  });

  it('gives the right second when consecutive calls cross a second or a day', () => {
    // formatMicros caches the current second: make sure the cache never leaks across.
    const lastMicro = Date.UTC(2026, 11, 31, 23, 59, 59) * 1000 + 999_999;
    expect(formatMicros(lastMicro)).toEqual({ date: '2026-12-31', time: '23:59:59.999999' });
    expect(formatMicros(lastMicro + 1)).toEqual({ date: '2027-01-01', time: '00:00:00.000000' });
    expect(formatMicros(lastMicro)).toEqual({ date: '2026-12-31', time: '23:59:59.999999' });
  });

  it('round-trips every microsecond in 2000..2100', () => {
    fc.assert(
      fc.property(microsIn2000to2100, (micros) => {
        const { date, time } = formatMicros(micros);
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(time).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{6}$/);
        expect(parseDateTime(date, time)).toBe(micros);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Date on the calendar part', () => {
    fc.assert(
      fc.property(microsIn2000to2100, (micros) => {
        const iso = new Date(Math.floor(micros / 1000)).toISOString();
        const { date, time } = formatMicros(micros);
        expect(`${date}T${time.slice(0, 12)}Z`).toBe(iso);
      }),
    );
  });

  it('accepts leap days that exist', () => {
    expect(parseDateTime('2024-02-29', '12:00:00.000001')).toBe(
      Date.UTC(2024, 1, 29, 12) * 1000 + 1,
    );
    expect(parseDateTime('2000-02-29', '00:00:00.000000')).toBe(Date.UTC(2000, 1, 29) * 1000);
  });

  it.each([
    ['2026-02-30', '00:00:00.000000'],
    ['2026-02-29', '00:00:00.000000'], // not a leap year
    ['2100-02-29', '00:00:00.000000'], // not a leap year either
    ['2026-04-31', '00:00:00.000000'],
    ['2026-13-01', '00:00:00.000000'],
    ['2026-00-10', '00:00:00.000000'],
    ['2026-01-00', '00:00:00.000000'],
    ['2026-1-01', '00:00:00.000000'],
    ['26-01-01', '00:00:00.000000'],
    ['2026-01-01', '24:00:00.000000'],
    ['2026-01-01', '23:60:00.000000'],
    ['2026-01-01', '23:59:60.000000'],
    ['2026-01-01', '00:12:13.123'],
    ['2026-01-01', '00:12:13.1234567'],
    ['2026-01-01', '00:12:13'],
    ['2026-01-01', '0:12:13.123456'],
    ['2026-01-01 ', '00:12:13.123456'],
    ['2026-01-01', '00:12:13.123456 '],
    ['', ''],
  ])('rejects %j %j', (date, time) => {
    expect(parseDateTime(date, time)).toBeNull();
  });
});

describe('formatDurationText / parseDurationText', () => {
  it.each([
    [300_000, '5 minutes'],
    [20_000, '20 seconds'],
    [72_345, '1 minute 12.345 seconds'],
    [0, '0 seconds'],
    [1_000, '1 second'],
    [60_000, '1 minute'],
    [61_000, '1 minute 1 second'],
    [500, '0.5 seconds'],
    [10, '0.01 seconds'],
    [1_234, '1.234 seconds'],
    [3_600_000, '60 minutes'],
  ])('%d ms is %j and back', (ms, text) => {
    expect(formatDurationText(ms)).toBe(text);
    expect(parseDurationText(text)).toBe(ms);
  });

  it('rounds to the millisecond and clamps negatives to zero', () => {
    expect(formatDurationText(1234.4)).toBe('1.234 seconds');
    expect(formatDurationText(59_999.6)).toBe('1 minute');
    expect(formatDurationText(-5)).toBe('0 seconds');
  });

  it('round-trips any whole number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 48 * 3_600_000 }), (ms) => {
        expect(parseDurationText(formatDurationText(ms))).toBe(ms);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    '',
    '5',
    '5 mins',
    'five minutes',
    '5 minutes and 3 seconds',
    '1.5 minutes',
    '-3 seconds',
    '3 seconds 5 minutes',
    '5 minutes12 seconds',
    ' 12 seconds',
    '5 minutes ',
    '1 minute  2 seconds',
  ])('rejects %j', (text) => {
    expect(parseDurationText(text)).toBeNull();
  });
});
