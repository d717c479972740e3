/**
 * Generates docs/machines.md: one Mermaid state diagram per XState machine, read from the
 * machine's own definition (its state-node tree), so the picture cannot drift from the code;
 * and docs/machines.html, the same machines drawn as inline SVG (scripts/machinesHtml.ts),
 * which needs no network to view.
 *
 *   npm run docs:machines            writes docs/machines.md and docs/machines.html
 *   npm run docs:machines -- --check exits 1 when either is out of date
 *
 * Every `*.machine.ts` under src/ (searched recursively) and every machine it exports is
 * drawn; test/docs/machines.test.ts fails when the committed file differs from this output.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { AnyStateMachine } from 'xstate';

const ROOT = resolve(__dirname, '..');
export const DOCS_PATH = join(ROOT, 'docs', 'machines.md');

/** The parts of XState's StateNode this script reads (public fields of the node tree). */
export interface NodeLike {
  key: string;
  id: string;
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  parent?: NodeLike;
  states: Record<string, NodeLike>;
  initial?: { target?: NodeLike[] };
  on: Record<string, TransitionLike[]>;
  always?: TransitionLike[];
  after: { delay: string | number; eventType: string }[];
  invoke: { id: string; src: string | { id?: string }; systemId?: string }[];
  entry: unknown[];
  exit: unknown[];
  description?: string;
}

export interface TransitionLike {
  eventType: string;
  target?: NodeLike[];
  guard?: unknown;
  actions: unknown[];
  reenter?: boolean;
}

interface FoundMachine {
  file: string;
  exportName: string;
  machine: AnyStateMachine;
}

function machineFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...machineFiles(path));
    else if (entry.name.endsWith('.machine.ts')) out.push(path);
  }
  return out;
}

const isMachine = (value: unknown): value is AnyStateMachine =>
  typeof value === 'object' &&
  value !== null &&
  'root' in value &&
  'config' in value &&
  'transition' in value;

/** Every machine exported by a `*.machine.ts` file under src/, in file order. */
export function findMachines(srcDir = join(ROOT, 'src')): FoundMachine[] {
  const found: FoundMachine[] = [];
  for (const file of machineFiles(srcDir)) {
    const exports = require(file) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(exports).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      if (isMachine(value)) found.push({ file: relative(ROOT, file), exportName, machine: value });
    }
  }
  return found;
}

/** A named effect's name (`'openFile'`, `xstate.assign`), or null for an inline function. */
const nameOf = (thing: unknown): string | null => {
  if (typeof thing === 'string') return thing;
  const typed = (thing as { type?: unknown } | null)?.type;
  if ((typeof thing === 'object' || typeof thing === 'function') && typeof typed === 'string')
    return typed;
  return null;
};

/** Action names as a reader knows them: named ones as written, XState built-ins by kind. */
function actionNames(actions: readonly unknown[]): string[] {
  return actions
    .map((action) => {
      const name = nameOf(action);
      if (name === null || name === '') return 'inline';
      return name.replace(/^xstate\./, '');
    })
    .filter((name) => name !== 'raise'); // XState's own scheduling of `after`
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  // XState's and([…]) / or([…]) / not(…) over named guards: spelled out, so the chart shows it.
  const combined = guard as { check?: unknown; guards?: unknown[] };
  if (typeof combined.check === 'function' && Array.isArray(combined.guards)) {
    const inner = combined.guards.map((g) => guardName(g) ?? '?');
    const how = combined.check.name;
    if (how === 'checkNot' && inner.length === 1) return `not ${inner[0]}`;
    if (how === 'checkAnd') return inner.join(' and ');
    if (how === 'checkOr') return inner.join(' or ');
  }
  const name = nameOf(guard);
  return name && !name.startsWith('inline:') ? name : 'inline guard';
}

/** Mermaid-safe state id: the node's path joined with underscores. */
export const stateId = (node: NodeLike) => (node.path.length === 0 ? 'root' : node.path.join('_'));

/** Text Mermaid accepts in a transition label (no `;`, `:`, `#`, braces or quotes). */
const labelSafe = (text: string) =>
  text
    .replace(/[;:#{}"]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

export function eventLabel(node: NodeLike, transition: TransitionLike): string {
  const type = transition.eventType;
  let label = type;
  const after = /^xstate\.after\.(.+?)\.[^.]*$/.exec(type) ?? /^xstate\.after\.(.+)$/.exec(type);
  if (after) {
    const delay = node.after.find((d) => d.eventType === type)?.delay;
    label = `after ${typeof delay === 'number' ? `${delay} ms` : (delay ?? after[1])}`;
  }
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (done) {
    const invoke = node.invoke.find((i) => i.id === done[2]);
    const src = invoke ? (nameOf(invoke.src) ?? invoke.id) : done[2]!;
    label = `${done[1] === 'done' ? 'done' : 'error'} (${src})`;
  }
  if (type === '') label = 'always';
  const guard = guardName(transition.guard);
  return labelSafe(guard ? `${label} [${guard}]` : label);
}

export function allTransitions(node: NodeLike): TransitionLike[] {
  const list: TransitionLike[] = [];
  for (const transitions of Object.values(node.on)) list.push(...transitions);
  for (const t of node.always ?? []) list.push({ ...t, eventType: '' });
  return list;
}

/** One Mermaid stateDiagram-v2 for a machine, plus a table of what each state does. */
export function machineDiagram(machine: AnyStateMachine): {
  mermaid: string;
  table: string;
  anyState: string[];
} {
  const root = machine.root as unknown as NodeLike;
  // An edge between siblings goes in their parent's block; any other edge at the top level.
  // (Mermaid moves a state into a nested block that names it, but not into the top level.)
  const edges = new Map<NodeLike, string[]>();
  const anyState: string[] = [];
  const rows: string[] = [];

  const visit = (node: NodeLike) => {
    for (const transition of allTransitions(node)) {
      const targets = transition.target ?? [];
      if (targets.length === 0) continue;
      for (const target of targets) {
        const label = eventLabel(node, transition);
        if (node === root) {
          anyState.push(`${label} → ${target.path.join('.')}`);
          continue;
        }
        const block = node.parent === target.parent && node.parent ? node.parent : root;
        const line = `${stateId(node)} --> ${stateId(target)} : ${label}`;
        edges.set(block, [...(edges.get(block) ?? []), line]);
      }
    }
    if (node !== root) {
      const internal = allTransitions(node)
        .filter((t) => (t.target ?? []).length === 0)
        .map((t) => {
          const actions = actionNames(t.actions);
          return `${eventLabel(node, t)}${actions.length > 0 ? ` / ${actions.join(', ')}` : ''}`;
        });
      const entry = actionNames(node.entry);
      const invokes = node.invoke.map((i) => nameOf(i.src) ?? i.id);
      rows.push(
        `| \`${node.path.join('.')}\` | ${node.type} | ${entry.join(', ') || '–'} | ${invokes.join(', ') || '–'} | ${
          internal.map((t) => t.replace(/\|/g, '\\|')).join('<br>') || '–'
        } |`,
      );
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(root);

  // Parallel edges (same two states) become one edge with one label line per transition.
  for (const [node, list] of edges) {
    const merged = new Map<string, string[]>();
    for (const line of list) {
      const [ends, label] = line.split(' : ') as [string, string];
      merged.set(ends, [...(merged.get(ends) ?? []), label]);
    }
    edges.set(
      node,
      [...merged].map(([ends, labels]) => `${ends} : ${labels.join('<br>')}`),
    );
  }

  const lines: string[] = ['stateDiagram-v2'];
  const block = (node: NodeLike, indent: string) => {
    const initial = node.initial?.target?.[0];
    if (initial) lines.push(`${indent}[*] --> ${stateId(initial)}`);
    for (const child of Object.values(node.states)) {
      const id = stateId(child);
      if (id !== child.key) lines.push(`${indent}state "${child.key}" as ${id}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id} {`);
        block(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
    for (const edge of edges.get(node) ?? []) lines.push(`${indent}${edge}`);
  };
  block(root, '  ');

  const table = [
    '| state | kind | on entry | invokes | handled without leaving |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  return { mermaid: lines.join('\n'), table, anyState };
}

/** The whole docs/machines.md. */
export function generateMachineDocs(machines = findMachines()): string {
  const parts = [
    '# State machines',
    '',
    '<!-- Generated by `npm run docs:machines` from the machine definitions; do not edit by hand. -->',
    '',
    'Every actor of timeswarm is an XState v5 machine. These diagrams are drawn from the',
    "machines' own definitions (`machine.root`: states, `on`, `after`, `always`, invoked actors'",
    '`onDone`/`onError`), so they change when the code does; a test fails when this file is stale.',
    'Transitions are labelled with their event and `[guard]`; `after X` is a delayed transition,',
    '`done (src)` / `error (src)` end an invoked actor, `always` is an eventless transition.',
    'To watch the machines run, start any command with `--inspect`.',
    '',
  ];
  for (const m of machines)
    parts.push(`- [\`${m.machine.id}\`](#${m.machine.id.toLowerCase()}) (${m.file})`);
  for (const { file, exportName, machine } of machines) {
    const { mermaid, table, anyState } = machineDiagram(machine);
    parts.push(
      '',
      `## ${machine.id}`,
      '',
      `\`${exportName}\` in [${file}](../${file})`,
      '',
      '```mermaid',
      mermaid,
      '```',
    );
    if (anyState.length > 0) {
      parts.push('', 'In any state:', '', ...anyState.map((t) => `- ${t}`));
    }
    parts.push('', table);
  }
  return `${parts.join('\n')}\n`;
}

if (require.main === module) {
  void (async () => {
    // Loaded here: machinesHtml imports this file, and only the command needs the layout.
    const { HTML_PATH, generateMachinesHtml, embeddedHash, definitionsHash } =
      require('./machinesHtml') as typeof import('./machinesHtml');
    const machines = findMachines();
    const fresh = generateMachineDocs(machines);
    if (process.argv.includes('--check')) {
      const read = (path: string) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return '';
        }
      };
      const stale = [
        read(DOCS_PATH) !== fresh ? DOCS_PATH : null,
        embeddedHash(read(HTML_PATH)) !== definitionsHash(fresh) ? HTML_PATH : null,
      ].filter((path): path is string => path !== null);
      for (const path of stale)
        process.stderr.write(`${relative(ROOT, path)} is out of date: run npm run docs:machines\n`);
      process.exit(stale.length > 0 ? 1 : 0);
    }
    writeFileSync(DOCS_PATH, fresh);
    writeFileSync(HTML_PATH, await generateMachinesHtml(machines));
    process.stdout.write(`wrote ${relative(ROOT, DOCS_PATH)} and ${relative(ROOT, HTML_PATH)}\n`);
  })();
}
