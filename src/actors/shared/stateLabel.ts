/**
 * People's names for a machine's states. Each machine keeps its own table next to it
 * (`SESSION_STATE_LABELS` in client/selectors.ts, …): a dotted state path → the word a person
 * reads on the terminal (`session.ticking.online` → `ticking`).
 */
export type StateLabels = Readonly<Record<string, string>>;

/** A state value as dotted paths, one per active leaf: `{ a: { b: 'c' } }` → `['a.b.c']`. */
export function statePaths(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [String(value)];
  return Object.entries(value).flatMap(([key, inner]) =>
    statePaths(inner).map((path) => `${key}.${path}`),
  );
}

/** A state value as dotted text: `{ session: { ticking: 'online' } }` → `session.ticking.online`. */
export function stateText(value: unknown): string {
  return statePaths(value).join(',');
}

/**
 * The table's entry for `path`: the longest listed prefix of it, so that one entry
 * (`session.ticking.reconnecting`) names every state inside. `undefined` when none is listed.
 */
export function labelOf(path: string, labels: StateLabels): string | undefined {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const label = labels[parts.slice(0, n).join('.')];
    if (label !== undefined) return label;
  }
  return undefined;
}

/**
 * The person's name of the state a snapshot is in; parallel regions joined by ` + `. A state
 * missing from the table shows its last segment (each machine's test checks none is missing).
 */
export function stateLabel(value: unknown, labels: StateLabels): string {
  const names = statePaths(value).map(
    (path) => labelOf(path, labels) ?? path.slice(path.lastIndexOf('.') + 1),
  );
  return [...new Set(names)].join(' + ');
}
