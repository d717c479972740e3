import { Writable } from 'node:stream';
import { showLiveBars, showSessionProgress } from '../../src/terminal';

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

  it('writes plain periodic lines when the output is not a terminal', () => {
    jest.useFakeTimers();
    try {
      const terminal = fakeTerminal(false);
      const actor = {
        sessionId: 'x',
        getSnapshot: () => ({
          status: 'active',
          value: { session: 'ticking' },
          context: {
            config: { clock: { now: () => 1500 }, durationMs: 5000 },
            startedAt: 500,
            endedAt: null,
            clientId: 7,
            ticksSent: 100,
            replies: 99,
            missedSlots: 1,
            inFlight: [{ seq: 99, firedAt: 1490 }],
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
      expect(lines[0]).toBe(
        'client 7 [session.ticking] 1s elapsed, 4s left: 100 ticks, 99 replies, 1 missed, RTT median 0.300 ms',
      );
      expect(terminal.text()).not.toContain('\x1b');
    } finally {
      jest.useRealTimers();
    }
  });
});
