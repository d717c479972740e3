import {
  colorEnabled,
  displayWidth,
  fitParts,
  fitTable,
  terminalWidth,
  widestLine,
  wrapText,
} from '../../src/terminal';

const ESC = '\x1b';
const widths = (text: string) => text.split('\n').map(displayWidth);

describe('the width of text on a terminal', () => {
  test('escape codes take no room, wide characters two columns, marks none', () => {
    expect(displayWidth(`${ESC}[32minfo${ESC}[39m`)).toBe(4);
    expect(displayWidth('θ → δ ✓')).toBe(7);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  test('COLUMNS first, then the terminal, then 80; never under 40', () => {
    expect(terminalWidth({ isTTY: true, columns: 120 }, { COLUMNS: '80' })).toBe(80);
    expect(terminalWidth({ isTTY: true, columns: 120 }, {})).toBe(120);
    expect(terminalWidth({ isTTY: false, columns: 120 }, {})).toBe(80);
    expect(terminalWidth({ isTTY: false }, { COLUMNS: 'wide' })).toBe(80);
    expect(terminalWidth({ isTTY: false }, { COLUMNS: '10' })).toBe(40);
  });
});

describe('the colour decision', () => {
  test.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { NO_COLOR: '' }, true],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '0' }, false],
    [{ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
  ] as const)('%o with %o: %s', (stream, env, expected) => {
    expect(colorEnabled(stream, env as NodeJS.ProcessEnv)).toBe(expected);
  });
});

describe('fitting text', () => {
  test('prose wraps at spaces, a longer word is cut across lines, later lines indented', () => {
    const text = `short words then ${'x'.repeat(50)} and more words after it`;
    const wrapped = wrapText(text, 20, '  ');
    expect(Math.max(...widths(wrapped))).toBeLessThanOrEqual(20);
    expect(wrapped.replace(/\n {2}/g, ' ').replace(/x /g, 'x')).toContain('x'.repeat(50));
    expect(
      wrapped
        .split('\n')
        .slice(1)
        .every((line) => line.startsWith('  ')),
    ).toBe(true);
  });

  test('parts are left out from the end until the line fits; the first is cut last', () => {
    const parts = ['ticking', '2s/5s', 'RTT 0.396 ms', '200/200 replies'];
    expect(fitParts(parts, 200)).toBe('ticking · 2s/5s · RTT 0.396 ms · 200/200 replies');
    expect(fitParts(parts, 30)).toBe('ticking · 2s/5s · RTT 0.396 ms');
    expect(fitParts(parts, 8)).toBe('ticking');
    expect(fitParts(parts, 5)).toBe('tick…');
  });
});

describe('a table that fits', () => {
  const head = ['client', 'address', 'outcome', 'RTT ms\nmin / median / p99 / max', 'note'];
  const rows = [
    ['1', '127.0.0.1', 'done', '0.269 / 0.396 / 2.072 / 7.257', 'θ ok'],
    ['2', `fe80::${'a'.repeat(90)}`, 'failed: ERR_REFUSED', '-', '日本語のファイル名'],
  ];

  test.each([40, 60, 80, 120, 200])('every line of it is at most %i columns', (width) => {
    expect(widestLine(fitTable(head, rows, width))).toBeLessThanOrEqual(width);
  });

  test('wide enough: one row per record; narrow: one small table per record, nothing lost', () => {
    const short = [rows[0]!];
    const wide = fitTable(head, short, 200);
    expect(wide.split('\n').filter((line) => line.includes('127.0.0.1'))).toHaveLength(1);
    expect(wide).toContain('min / median / p99 / max');

    const stacked = fitTable(head, rows, 80);
    for (const value of ['127.0.0.1', 'failed: ERR_REFUSED', '0.269 / 0.396 / 2.072 / 7.257']) {
      expect(stacked).toContain(value);
    }
    // The long address is wrapped, not cut: all its characters are there.
    expect((stacked.match(/a/g) ?? []).length).toBeGreaterThanOrEqual(90);
    // The column name reads as one line there.
    expect(stacked).toMatch(/RTT ms min \/ median \//);
    // Each record is headed by its first column.
    expect(stacked.split('\n').filter((line) => /^│ client +│ [12] +│$/.test(line))).toHaveLength(
      2,
    );
  });
});
