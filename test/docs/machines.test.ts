import { readFileSync } from 'node:fs';
import { fromPromise, setup } from 'xstate';
import { DOCS_PATH, generateMachineDocs, machineDiagram } from '../../scripts/generateMachineDocs';

describe('docs/machines.md', () => {
  it('matches the machine definitions (run `npm run docs:machines` after changing a machine)', () => {
    expect(readFileSync(DOCS_PATH, 'utf8')).toBe(generateMachineDocs());
  });
});

describe('machineDiagram', () => {
  const machine = setup({
    types: { events: {} as { type: 'go' } | { type: 'stop' } | { type: 'poke' } },
    actors: { work: fromPromise(async () => 1) },
    actions: { note: () => undefined },
    guards: { ready: () => true },
    delays: { patience: 100 },
  }).createMachine({
    id: 'sample',
    initial: 'idle',
    on: { stop: '.done' },
    states: {
      idle: {
        on: {
          go: [{ guard: 'ready', target: 'busy' }, { target: 'busy.later' }],
          poke: { actions: 'note' },
        },
      },
      busy: {
        initial: 'working',
        states: {
          working: {
            invoke: { src: 'work', onDone: 'later', onError: '#sample.done' },
            after: { patience: 'later' },
          },
          later: { always: '#sample.done' },
        },
      },
      done: { type: 'final', entry: 'note' },
    },
  });

  it('draws states, nesting, guards, delays, invocations and eventless transitions', () => {
    const { mermaid, table, anyState } = machineDiagram(machine);
    expect(mermaid.split('\n')).toEqual([
      'stateDiagram-v2',
      '  [*] --> idle',
      '  state busy {',
      '    [*] --> busy_working',
      '    state "working" as busy_working',
      '    state "later" as busy_later',
      '    busy_working --> busy_later : done (work)<br>after patience',
      '  }',
      '  done --> [*]',
      '  idle --> busy : go [ready]',
      '  idle --> busy_later : go',
      '  busy_working --> done : error (work)',
      '  busy_later --> done : always',
    ]);
    expect(anyState).toEqual(['stop → done']);
    expect(table).toContain('| `idle` | atomic | – | – | poke / note |');
    expect(table).toContain('| `done` | final | note | – | – |');
    expect(table).toContain('| `busy.working` | atomic | – | work | – |');
  });
});
