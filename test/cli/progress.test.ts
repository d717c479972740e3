import { Writable } from 'node:stream';
import { displayWidth, showLiveBars, showSessionProgress } from '../../src/terminal';

const CURSOR_TO_START = new RegExp(`${String.fromCharCode(0x1b)}\\[1G`, 'g');
const ESCAPE_SEQUENCE = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 160;
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('live progress', () => {
  it('draws a bar per item and prints other output above the bars', () => {
    const terminal = fakeTerminal(true);
    let value = 0;
    const stop = showLiveBars(
      () => [
        { key: 'a', label: 'client 1', value, total: 10, detail: `${value} ticks` },
        { key: 'b', label: 'client 2', value: 5, total: 10, detail: 'five' },
      ],
      { stream: terminal.stream, redrawMs: 10_000 },
    );
    terminal.stream.write('a log line\n');
    value = 10;
    stop();
    const text = terminal.text();
    expect(text).toContain('a log line');
    expect(text).toContain('client 1');
    expect(text).toContain('100%');
    expect(text).toContain('10 ticks');
    expect(text).toContain('client 2');
    // The stream's own write is back after stop.
    terminal.stream.write('after\n');
    expect(terminal.text().endsWith('after\n')).toBe(true);
  });

  it('fits every bar line to the terminal: a shorter bar, and the detail keeps what matters most', () => {
    const columns = process.env.COLUMNS;
    delete process.env.COLUMNS;
    try {
      for (const width of [80, 200]) {
        const terminal = fakeTerminal(true);
        (terminal.stream as { columns: number }).columns = width;
        const detail = [
          'reconnecting',
          '12s/300s',
          'RTT 0.396 ms',
          '1200/1200 replies',
          '3 missed',
        ];
        const stop = showLiveBars(
          () => [{ key: 'a', label: 'client  1', value: 12, total: 300, detail }],
          { stream: terminal.stream, redrawMs: 10_000 },
        );
        stop();
        const drawn = terminal
          .text()
          // Each frame starts with "cursor to column 1"; the other sequences take no room.
          .replace(CURSOR_TO_START, '\n')
          .replace(ESCAPE_SEQUENCE, '')
          .split(/[\r\n]/)
          .filter(Boolean);
        expect(drawn.some((line) => line.includes('reconnecting'))).toBe(true);
        for (const line of drawn) expect(displayWidth(line)).toBeLessThan(width);
        const full = drawn.some((line) => line.includes('3 missed'));
        expect(full).toBe(width === 200);
      }
    } finally {
      if (columns !== undefined) process.env.COLUMNS = columns;
    }
  });

  it('writes plain periodic lines when the output is not a terminal', () => {
    const columns = process.env.COLUMNS;
    delete process.env.COLUMNS;
    jest.useFakeTimers();
    try {
      const terminal = fakeTerminal(false);
      const actor = {
        sessionId: 'x',
        getSnapshot: () => ({
          status: 'active',
          value: { session: { ticking: 'online' } },
          context: {
            config: { clock: { now: () => 1500 }, durationMs: 5000 },
            startedAt: 500,
            endedAt: null,
            clientId: 7,
            ticksSent: 100,
            replies: 99,
            missedSlots: 1,
            inFlight: 1,
            attempt: 1,
            reconnections: 0,
            rttMedianMs: 0.3,
          },
        }),
      } as unknown as ReturnType<Parameters<typeof showSessionProgress>[0]>[number];
      const stop = showSessionProgress(() => [actor], { stream: terminal.stream, everyMs: 1000 });
      jest.advanceTimersByTime(3000);
      stop();
      const lines = terminal.text().trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      // Not a terminal and no COLUMNS: 80 columns, so the last part is left out.
      expect(lines[0]).toBe(
        'client 7 ticking: 1s elapsed, 4s left, RTT median 0.300 ms, 99/100 replies',
      );
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
      expect(terminal.text()).not.toContain('\x1b');
    } finally {
      jest.useRealTimers();
      if (columns !== undefined) process.env.COLUMNS = columns;
    }
  });
});
