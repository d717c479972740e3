import { createActor, createMachine } from 'xstate';
import { until } from './until';

describe('until, the one bounded wait', () => {
  test('resolves once the condition holds (sync or async)', async () => {
    let n = 0;
    await until(() => ++n >= 3);
    expect(n).toBe(3);
    await until(async () => ++n >= 5);
    expect(n).toBe(5);
  });

  test('fails within its bound, naming what it waited for', async () => {
    await expect(until(() => false, { limitMs: 50, what: 'the moon' })).rejects.toThrow(
      'the moon not reached within 50 ms',
    );
    let output = 'nothing yet';
    const waiting = until(() => false, { limitMs: 50, what: () => `a line in: ${output}` });
    output = 'later text';
    await expect(waiting).rejects.toThrow('a line in: later text');
  });

  test('on an actor: checked on every snapshot change, bounded too', async () => {
    const actor = createActor(
      createMachine({ initial: 'a', states: { a: { on: { go: 'b' } }, b: {} } }),
    ).start();
    const reached = until(actor, (s) => s.matches('b'));
    actor.send({ type: 'go' });
    await reached;
    await expect(until(actor, (s) => s.matches('a'), 50)).rejects.toThrow(/within 50 ms/);
    actor.stop();
  });
});
