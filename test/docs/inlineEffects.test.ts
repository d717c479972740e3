/**
 * No inline guards or actions in any machine (STYLE.md 15): every decision is a named guard and
 * every effect a named action from `setup`, so the chart (docs/machines.md) shows each branch
 * and a test can swap any effect with `machine.provide`. Walks the configuration of every
 * machine exported from src/actors/** and lists each function written into a transition,
 * `entry` or `exit` (XState's action creators too: `assign(…)` in a transition is an
 * anonymous effect; give it a name in `setup`).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type AnyStateMachine, and, assign, not, setup } from 'xstate';

/**
 * Machines that still have inline effects, with how many. Issue 8 restructures them; the
 * numbers only go down: the test fails when a machine has more, and when it has fewer (lower
 * the number, or remove the entry at zero).
 */
const ALLOWED_INLINE: Readonly<Record<string, number>> = {};

const ACTORS = join(__dirname, '..', '..', 'src', 'actors');

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return moduleFiles(path);
    return /\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) ? [path] : [];
  });
}

const isMachine = (value: unknown): value is AnyStateMachine =>
  typeof value === 'object' &&
  value !== null &&
  'root' in value &&
  'implementations' in value &&
  typeof (value as { provide?: unknown }).provide === 'function';

/** Every state machine any module under src/actors/ exports, with where it comes from. */
function exportedMachines(): Array<{ machine: AnyStateMachine; file: string }> {
  const found = new Map<AnyStateMachine, string>();
  for (const file of moduleFiles(ACTORS)) {
    const exports = require(file) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (isMachine(value) && !found.has(value)) found.set(value, relative(ACTORS, file));
    }
  }
  return [...found].map(([machine, file]) => ({ machine, file }));
}

interface Finding {
  /** Where: the state's path and the event or `entry`/`exit`. */
  at: string;
  /** `inline guard`, `inline action`, `inline assign`, `unknown guard 'x'`, … */
  what: string;
}

type Config = Record<string, unknown>;
const toArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Findings for one machine: inline effects, and names that `setup` does not define. */
function inlineEffects(machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = [];
  const guards = machine.implementations.guards as Record<string, unknown>;
  const actions = machine.implementations.actions as Record<string, unknown>;

  const checkGuard = (guard: unknown, at: string): void => {
    if (guard === undefined) return;
    if (typeof guard === 'string' || (typeof guard === 'object' && guard !== null)) {
      const name = typeof guard === 'string' ? guard : (guard as { type?: unknown }).type;
      if (typeof name !== 'string' || !(name in guards))
        findings.push({ at, what: `unknown guard ${JSON.stringify(name)}` });
      return;
    }
    // XState's own: and([…]), or([…]), not(…) (fine when what they combine is named), stateIn(…).
    const builtIn = guard as { check?: unknown; guards?: unknown[]; stateValue?: unknown };
    if (typeof builtIn.check === 'function' && Array.isArray(builtIn.guards)) {
      for (const inner of builtIn.guards) checkGuard(inner, at);
      return;
    }
    if (typeof builtIn.check === 'function' && builtIn.stateValue !== undefined) return;
    findings.push({ at, what: 'inline guard' });
  };

  const checkActions = (list: unknown, at: string): void => {
    for (const action of toArray(list)) {
      if (typeof action === 'function') {
        const type = (action as { type?: unknown }).type;
        const builtIn = typeof type === 'string' ? type.replace(/^xstate\./, '') : null;
        findings.push({ at, what: builtIn ? `inline ${builtIn}` : 'inline action' });
        continue;
      }
      const name = typeof action === 'string' ? action : (action as { type?: unknown })?.type;
      if (typeof name !== 'string' || !(name in actions))
        findings.push({ at, what: `unknown action ${JSON.stringify(name)}` });
    }
  };

  const checkTransitions = (value: unknown, at: string): void => {
    for (const transition of toArray(value as unknown)) {
      if (typeof transition === 'string' || transition === null) continue;
      const t = transition as Config;
      checkGuard(t.guard, at);
      checkActions(t.actions, at);
    }
  };

  const walk = (config: Config, path: string): void => {
    const here = path || '(root)';
    checkActions(config.entry, `${here} entry`);
    checkActions(config.exit, `${here} exit`);
    for (const [event, transitions] of Object.entries((config.on ?? {}) as Config))
      checkTransitions(transitions, `${here} on ${event}`);
    checkTransitions(config.always, `${here} always`);
    checkTransitions(config.onDone, `${here} onDone`);
    for (const [delay, transitions] of Object.entries((config.after ?? {}) as Config))
      checkTransitions(transitions, `${here} after ${delay}`);
    for (const invoke of toArray(config.invoke as Config | Config[] | undefined)) {
      const src = typeof invoke.src === 'string' ? invoke.src : 'inline actor';
      for (const key of ['onDone', 'onError', 'onSnapshot'])
        checkTransitions(invoke[key], `${here} invoke ${src} ${key}`);
    }
    for (const [key, child] of Object.entries((config.states ?? {}) as Record<string, Config>))
      walk(child, path ? `${path}.${key}` : key);
  };
  walk(machine.config as Config, '');
  return findings;
}

describe('machines name every guard and action', () => {
  const machines = exportedMachines();

  it('finds the machines', () => {
    expect(machines.length).toBeGreaterThanOrEqual(5);
  });

  it('has no inline guard or action beyond the shrinking allow-list', () => {
    const report = machines.map(({ machine, file }) => {
      const findings = inlineEffects(machine);
      return {
        machine: machine.id,
        file,
        count: findings.length,
        allowed: ALLOWED_INLINE[machine.id] ?? 0,
        findings: findings.map((f) => `${f.at}: ${f.what}`),
      };
    });
    const over = report.filter((r) => r.count > r.allowed);
    expect(over).toEqual([]);
    // The allow-list only shrinks: a machine with fewer inline effects lowers its number.
    const stale = report.filter((r) => r.count < r.allowed).map((r) => [r.machine, r.count]);
    const gone = Object.keys(ALLOWED_INLINE).filter(
      (id) => !machines.some((m) => m.machine.id === id),
    );
    expect({ stale, gone }).toEqual({ stale: [], gone: [] });
  });
});

describe('inlineEffects', () => {
  const machine = setup({
    types: { events: {} as { type: 'go' } | { type: 'stop' } },
    actions: { note: () => undefined },
    guards: { ready: () => true },
  }).createMachine({
    id: 'probe',
    initial: 'idle',
    entry: 'note',
    states: {
      idle: {
        on: {
          go: [
            { guard: and(['ready', not('ready')]), target: 'busy', actions: 'note' },
            { guard: () => true, target: 'busy' },
          ],
          stop: { actions: [() => undefined, assign({})] },
        },
      },
      busy: {
        entry: { type: 'note' },
        after: { 100: { target: 'idle', actions: 'missing' as never } },
        exit: () => undefined,
      },
    },
  });

  it('reports inline guards, inline actions, inline action creators and unknown names', () => {
    expect(inlineEffects(machine)).toEqual([
      { at: 'idle on go', what: 'inline guard' },
      { at: 'idle on stop', what: 'inline action' },
      { at: 'idle on stop', what: 'inline assign' },
      { at: 'busy exit', what: 'inline action' },
      { at: 'busy after 100', what: 'unknown action "missing"' },
    ]);
  });
});
