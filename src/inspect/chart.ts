/**
 * A statechart as plain data for the live view, read from any XState v5 machine by walking
 * its state nodes (`machine.root`): states with their kinds, initial children, invoked
 * actors and actions, and every transition with a label a person can read. Nothing here
 * knows a particular machine; a `Chart` holds no function and no live object, so it can be
 * sent to a browser as JSON, once per machine.
 */

export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartTransition {
  /** Stable within the chart: `${sourcePath}#${index}`; microsteps are reported by it. */
  id: string;
  /** The raw event descriptor (`tick.due`, `xstate.after.retryDelay.…`, `''` for `always`). */
  event: string;
  /** What to print on the arrow: `tick.due`, `after retryDelay`, `done: connect`, `always`. */
  label: string;
  guard?: string;
  actions: string[];
  /** Paths of the target states; empty for a targetless transition (stays, runs actions). */
  targets: string[];
  reenter: boolean;
}

export interface ChartState {
  /** The state's path below the root, joined with `.` (`''` for the root). */
  path: string;
  key: string;
  kind: StateKind;
  /** Path of the initial child, for compound states. */
  initial?: string;
  invokes: string[];
  entry: string[];
  exit: string[];
  tags: string[];
  description?: string;
  transitions: ChartTransition[];
  children: ChartState[];
}

export interface Chart {
  /** The machine's id (`setup(...).createMachine({ id })`). */
  id: string;
  root: ChartState;
}

/** The parts of a StateNode this module reads (XState v5). */
interface NodeLike {
  key: string;
  id: string;
  type: StateKind;
  path: string[];
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
  initial?: { target?: readonly NodeLike[] };
  invoke: { id: string; src: unknown }[];
  entry: unknown[];
  exit: unknown[];
  tags: string[];
  description?: string;
}

interface TransitionLike {
  eventType: string;
  target?: readonly NodeLike[];
  guard?: unknown;
  actions: readonly unknown[];
  reenter: boolean;
}

/** Logic that is a state machine (has a root state node); callbacks and promises are not. */
export function isMachineLogic(logic: unknown): logic is { id: string; root: unknown } {
  const root = (logic as { root?: { states?: unknown } } | null | undefined)?.root;
  return typeof root === 'object' && root !== null && typeof root.states === 'object';
}

/** A name for an action, guard or invoked logic: its `type`, its function name, or `inline`. */
function nameOf(thing: unknown): string {
  if (typeof thing === 'string') return thing;
  if (typeof thing === 'function')
    return thing.name && thing.name !== 'anonymous' ? thing.name : 'inline';
  if (thing && typeof thing === 'object') {
    const named = thing as { type?: unknown; id?: unknown; config?: { id?: unknown } };
    if (typeof named.type === 'string') return named.type;
    if (typeof named.config?.id === 'string') return named.config.id;
    if (typeof named.id === 'string') return named.id;
  }
  return 'inline';
}

/** Action names worth showing: XState's own bookkeeping actions (`xstate.*`) are left out. */
function actionNames(actions: readonly unknown[]): string[] {
  return actions.map(nameOf).filter((name) => !name.startsWith('xstate.'));
}

const pathOf = (node: NodeLike) => node.path.join('.');

/** A readable label for an event descriptor, using the state's invokes for done/error events. */
export function eventLabel(event: string, invokes: { id: string; src: string }[] = []): string {
  if (event === '') return 'always';
  const after = /^xstate\.after\.(.+?)\.[^.]+(?:\.|$)/.exec(event);
  if (after) return `after ${/^\d+$/.test(after[1]!) ? `${after[1]} ms` : after[1]}`;
  const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (settled) {
    const invoke = invokes.find((i) => i.id === settled[2]);
    return `${settled[1] === 'done' ? 'done' : 'error'}: ${invoke ? invoke.src : settled[2]}`;
  }
  if (event.startsWith('xstate.done.state.')) return 'done';
  return event;
}

function describeState(node: NodeLike, index: Map<unknown, string>): ChartState {
  const path = pathOf(node);
  const invokes = node.invoke.map((i) => ({ id: i.id, src: nameOf(i.src) }));
  const all = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
  const transitions = all.map((t, i): ChartTransition => {
    const id = `${path}#${i}`;
    index.set(t, id);
    return {
      id,
      event: t.eventType,
      label: eventLabel(t.eventType, invokes),
      ...(t.guard !== undefined ? { guard: nameOf(t.guard) } : {}),
      actions: actionNames(t.actions),
      targets: (t.target ?? []).map(pathOf),
      reenter: t.reenter,
    };
  });
  const initial = node.type === 'compound' ? node.initial?.target?.[0] : undefined;
  return {
    path,
    key: node.key,
    kind: node.type,
    ...(initial ? { initial: pathOf(initial) } : {}),
    invokes: invokes.map((i) => i.src),
    entry: actionNames(node.entry),
    exit: actionNames(node.exit),
    tags: [...node.tags],
    ...(node.description ? { description: node.description } : {}),
    transitions,
    children: Object.values(node.states).map((child) => describeState(child, index)),
  };
}

/**
 * The chart of a machine, and an index from its transition objects to their ids (the
 * microsteps XState reports carry those objects).
 */
export function describeMachine(machine: { id: string; root: unknown }): {
  chart: Chart;
  transitionIds: Map<unknown, string>;
} {
  const transitionIds = new Map<unknown, string>();
  const root = describeState(machine.root as NodeLike, transitionIds);
  return { chart: { id: machine.id, root }, transitionIds };
}
