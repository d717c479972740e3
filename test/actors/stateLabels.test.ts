import type { AnyStateMachine } from 'xstate';
import { SESSION_STATE_LABELS } from '../../src/actors/client';
import { clientSessionMachine } from '../../src/actors/client/session.machine';
import { peerMachine } from '../../src/actors/peer';
import { SERVER_STATE_LABELS, serverMachine } from '../../src/actors/server';
import { labelOf, type StateLabels, stateLabel } from '../../src/actors/shared';
import { PEER_STATE_LABELS } from '../../src/terminal';

/** Every state of a machine as a dotted path (`session.ticking.online`). */
function allPaths(machine: AnyStateMachine): string[] {
  const paths: string[] = [];
  const visit = (node: AnyStateMachine['root'], prefix: string[]) => {
    for (const [key, child] of Object.entries(node.states)) {
      const path = [...prefix, key];
      paths.push(path.join('.'));
      visit(child as AnyStateMachine['root'], path);
    }
  };
  visit(machine.root, []);
  return paths;
}

/** The leaves: the states a snapshot can rest in. */
const leaves = (machine: AnyStateMachine) =>
  allPaths(machine).filter((path) => !allPaths(machine).some((p) => p.startsWith(`${path}.`)));

describe.each([
  ['client session', clientSessionMachine, SESSION_STATE_LABELS],
  ['server', serverMachine, SERVER_STATE_LABELS],
  ['peer', peerMachine, PEER_STATE_LABELS],
] as Array<[string, AnyStateMachine, StateLabels]>)('the %s machine', (_name, machine, labels) => {
  test('every state it can be in has a name for people, without dots', () => {
    const missing = leaves(machine).filter((path) => labelOf(path, labels) === undefined);
    expect(missing).toEqual([]);
    for (const label of Object.values(labels)) expect(label).not.toMatch(/\./);
  });

  test('every entry of the table is a state of the machine', () => {
    const paths = new Set(allPaths(machine));
    expect(Object.keys(labels).filter((path) => !paths.has(path))).toEqual([]);
  });
});

test('a state value reads as its name: the longest listed path wins, regions joined', () => {
  expect(stateLabel({ session: { ticking: 'online' } }, SESSION_STATE_LABELS)).toBe('ticking');
  expect(
    stateLabel({ session: { ticking: { reconnecting: 'waiting' } } }, SESSION_STATE_LABELS),
  ).toBe('reconnecting');
  expect(stateLabel({ a: 'x', b: 'y' }, { 'a.x': 'one', b: 'two' })).toBe('one + two');
  expect(stateLabel({ a: 'unlisted' }, {})).toBe('unlisted');
});
