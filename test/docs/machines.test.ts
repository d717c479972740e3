import { readFileSync } from 'node:fs';
import { fromPromise, setup } from 'xstate';
import { DOCS_PATH, generateMachineDocs, machineDiagram } from '../../scripts/generateMachineDocs';
import { machineSvg } from '../../scripts/machineSvg';
import {
  definitionsHash,
  embeddedHash,
  generateMachinesHtml,
  HTML_PATH,
} from '../../scripts/machinesHtml';

describe('docs/machines.md', () => {
  it('matches the machine definitions (run `npm run docs:machines` after changing a machine)', () => {
    expect(readFileSync(DOCS_PATH, 'utf8')).toBe(generateMachineDocs());
  });
});

describe('docs/machines.html', () => {
  it('was generated from the current machine definitions (its embedded hash matches)', () => {
    const html = readFileSync(HTML_PATH, 'utf8');
    expect(embeddedHash(html)).toBe(definitionsHash(generateMachineDocs()));
  });

  it('is self-contained: inline SVG per machine, no script, nothing fetched', () => {
    const html = readFileSync(HTML_PATH, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    const machines = (readFileSync(DOCS_PATH, 'utf8').match(/^## /gm) ?? []).length;
    expect(machines).toBeGreaterThan(0);
    expect(html.match(/<svg /g)).toHaveLength(machines);
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

  it('draws the same machine as an SVG statechart: every state, arrow and label', async () => {
    const svg = await machineSvg(machine);
    for (const state of ['idle', 'busy', 'busy_working', 'busy_later', 'done'])
      expect(svg).toContain(`data-state="${state}"`);
    // 6 transitions with a target (the root's `stop` is listed, not drawn) + 2 initial dots.
    expect(svg.match(/class="edge"/g)).toHaveLength(8);
    expect(svg.match(/<circle class="initial"/g)).toHaveLength(2);
    for (const label of ['go [ready]', 'done (work)', 'after patience', 'error (work)', 'always'])
      expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain('class="state final"');
    const html = await generateMachinesHtml([
      { file: 'sample.machine.ts', exportName: 'sampleMachine', machine },
    ]);
    expect(embeddedHash(html)).toMatch(/^[0-9a-f]{64}$/);
    expect(html).toContain('<td><code>busy.working</code></td>');
  });
});
