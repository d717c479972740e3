import { assign, createActor, setup } from 'xstate';
import { createRedactor, REDACTED } from '../../src/inspect';
import { LiveModel } from '../../src/inspect/liveModel';

describe('the redactor', () => {
  const redactor = createRedactor({ secrets: ['s3cret-value'] });

  it('replaces values under secret-like keys, whatever their type', () => {
    expect(
      redactor.value({
        secret: 'x',
        privateKey: { d: 1 },
        sessionKey: 'k',
        authToken: 't',
        password: 'p',
        nonce: 5,
        proof: 'abc',
        name: 'ok',
      }),
    ).toEqual({
      secret: REDACTED,
      privateKey: REDACTED,
      sessionKey: REDACTED,
      authToken: REDACTED,
      password: REDACTED,
      nonce: REDACTED,
      proof: REDACTED,
      name: 'ok',
    });
  });

  it('shows bytes by length only, and a configured secret nowhere, in any encoding', () => {
    const bytes = Buffer.from('s3cret-value');
    expect(redactor.value({ frame: new Uint8Array([1, 2, 3]) })).toEqual({
      frame: `[bytes(3) ${REDACTED}]`,
    });
    for (const form of ['s3cret-value', bytes.toString('hex'), bytes.toString('base64')])
      expect(JSON.stringify(redactor.value({ reason: `was ${form}!` }))).not.toContain(form);
    expect(redactor.text('{"x":"s3cret-value"}')).toBe(`{"x":"${REDACTED}"}`);
  });

  it('learns a secret from a secret-named key and catches it under an innocent one later', () => {
    const fresh = createRedactor();
    fresh.value({ config: { secret: 'learned-secret-1' } });
    expect(fresh.value({ message: 'learned-secret-1 leaked' })).toEqual({
      message: `${REDACTED} leaked`,
    });
  });

  it('copies: never a live object, bounded in depth and length', () => {
    class Socket {}
    const live = { list: [1, 2], deep: { a: { b: { c: 1 } } }, socket: new Socket() };
    const copy = redactor.value(live) as { list: number[] };
    live.list.push(3);
    expect(copy.list).toEqual([1, 2]);
    expect(redactor.value(live)).toMatchObject({
      socket: '[Socket]',
      deep: { a: { b: '[Object]' } },
    });
    expect(redactor.value(new Array(100).fill(0))).toBe('[Array(100)]');
  });
});

describe('the live model', () => {
  const ticker = setup({
    types: { events: {} as { type: 'tick' } | { type: 'stop' } },
  }).createMachine({
    id: 'ticker',
    initial: 'running',
    context: { n: 0, token: 'tok' },
    states: {
      running: {
        on: { tick: { actions: assign({ n: ({ context }) => context.n + 1 }) }, stop: 'stopped' },
      },
      stopped: { type: 'final' },
    },
  });

  it('sends a definition once, state values not contexts, and caps events per batch and per actor', () => {
    const model = new LiveModel(createRedactor(), 'test', { eventsPerBatch: 5, logPerActor: 20 });
    const actor = createActor(ticker, { inspect: (e) => model.observe(e) }).start();
    const first = model.takeBatch()!;
    expect(Object.keys(first.machines ?? {})).toEqual(['ticker']);
    expect(first.actors?.[0]).toMatchObject({ machine: 'ticker', value: 'running' });
    for (let i = 0; i < 50; i++) actor.send({ type: 'tick' });
    actor.send({ type: 'stop' });
    const batch = model.takeBatch()!;
    expect(batch.machines).toBeUndefined();
    // Five ticks, then the state change (always sent), and the rest counted as dropped.
    expect(batch.log?.map((e) => e.type)).toEqual([...Array(5).fill('tick'), 'stop']);
    expect(batch.log?.at(-1)?.to).toBe('stopped');
    expect(batch.dropped).toEqual({ [actor.sessionId]: 45 });
    expect(batch.actors?.[0]).toMatchObject({ value: 'stopped', status: 'done' });
    expect(JSON.stringify(batch)).not.toContain('tok');
    const init = model.init();
    expect(init.log.length).toBe(20);
    expect(model.takeBatch()).toBeNull();
  });

  it('forgets the oldest ended actors past its bound', () => {
    const model = new LiveModel(createRedactor(), 'test', { endedActors: 3 });
    const ids: string[] = [];
    const removed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const actor = createActor(ticker, { inspect: (e) => model.observe(e) }).start();
      ids.push(actor.sessionId);
      removed.push(...(model.takeBatch()?.removed ?? []));
      actor.send({ type: 'stop' });
    }
    removed.push(...(model.takeBatch()?.removed ?? []));
    expect(removed).toEqual(ids.slice(0, 2));
    expect(model.init().actors.map((a) => a.sid)).toEqual(ids.slice(2));
  });
});
