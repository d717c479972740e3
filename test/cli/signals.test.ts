import { EventEmitter } from 'node:events';
import { EXIT_NOT_FINISHED, onShutdownSignal } from '../../src/terminal/signals';

describe('onShutdownSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function harness(graceMs?: number) {
    const target = new EventEmitter();
    const exits: number[] = [];
    const stops: string[] = [];
    const remove = onShutdownSignal((signal) => stops.push(signal), {
      ...(graceMs !== undefined ? { graceMs } : {}),
      target: target as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
      exit: (code) => exits.push(code),
      write: () => undefined,
    });
    return { target, exits, stops, remove };
  }

  test('the first signal stops; if the actors have not finished within the grace period, the process exits anyway', () => {
    const { target, exits, stops } = harness(5000);
    target.emit('SIGTERM', 'SIGTERM');
    expect(stops).toEqual(['SIGTERM']);
    jest.advanceTimersByTime(4999);
    expect(exits).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(exits).toEqual([EXIT_NOT_FINISHED]);
  });

  test('finished in time: removing the handlers cancels the grace timer', () => {
    const { target, exits, remove } = harness(5000);
    target.emit('SIGTERM', 'SIGTERM');
    remove();
    jest.advanceTimersByTime(10_000);
    expect(exits).toEqual([]);
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });

  test('a second signal exits at once', () => {
    const { target, exits, stops } = harness();
    target.emit('SIGINT', 'SIGINT');
    target.emit('SIGINT', 'SIGINT');
    expect(stops).toEqual(['SIGINT']);
    expect(exits).toEqual([EXIT_NOT_FINISHED]);
  });
});
