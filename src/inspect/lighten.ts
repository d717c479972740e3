import type { AnyActorRef, InspectionEvent } from 'xstate';

/** Arrays longer than this are shown as their length (a session's RTT list has 30,000). */
const MAX_ARRAY = 16;
const MAX_DEPTH = 3;

const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * A small, JSON-safe picture of a value for the inspector: primitives as they are, plain
 * objects and short arrays a few levels deep, everything else by name (`[Subject]`,
 * `[Array(30000)]`, `[Socket]`). Machine contexts hold sockets, RxJS subjects, clocks and
 * whole RTT arrays; serialising those on every tick would cost more than the tick.
 */
export function lightValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (type === 'bigint') return String(value);
  if (type === 'function' || type === 'symbol') return undefined;
  const object = value as object;
  if (Array.isArray(object)) {
    if (object.length > MAX_ARRAY || depth >= MAX_DEPTH) return `[Array(${object.length})]`;
    return object.map((item) => lightValue(item, depth + 1));
  }
  if (object instanceof Map) return `[Map(${object.size})]`;
  if (object instanceof Set) return `[Set(${object.size})]`;
  if (object instanceof Date) return object.toISOString();
  if (!isPlain(object)) {
    const actor = object as Partial<AnyActorRef>;
    if (typeof actor.sessionId === 'string') return `[Actor ${actor.id ?? actor.sessionId}]`;
    return `[${object.constructor?.name ?? 'Object'}]`;
  }
  if (depth >= MAX_DEPTH) return '[Object]';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) {
    const light = lightValue(item, depth + 1);
    if (light !== undefined) out[key] = light;
  }
  return out;
}

interface SnapshotLike {
  status?: string;
  value?: unknown;
  context?: unknown;
  output?: unknown;
  error?: unknown;
}

/** What the inspector shows of a snapshot: status, state value, light context, output, error. */
export function lightSnapshot(snapshot: unknown): SnapshotLike {
  const s = (snapshot ?? {}) as SnapshotLike;
  const out: SnapshotLike = { status: s.status ?? 'active' };
  if ('value' in s) out.value = lightValue(s.value);
  if ('context' in s) out.context = lightValue(s.context);
  if (s.output !== undefined) out.output = lightValue(s.output);
  if (s.error !== undefined)
    out.error = s.error instanceof Error ? { message: s.error.message } : lightValue(s.error);
  return out;
}

/**
 * Rewrites an XState inspection event before `@statelyai/inspect` sees it: snapshots and
 * events made light (taken now, since the inspector converts later, on a timer), and the
 * actor reference of `@xstate.actor` replaced by a stand-in that answers only what the
 * inspector reads (id, sessionId, definition, parent, snapshot).
 */
export function lightenInspectionEvent(event: InspectionEvent): InspectionEvent {
  switch (event.type) {
    case '@xstate.snapshot':
      return {
        ...event,
        snapshot: lightSnapshot(event.snapshot) as never,
        event: lightValue(event.event) as never,
      };
    case '@xstate.event':
      return { ...event, event: lightValue(event.event) as never };
    case '@xstate.actor': {
      const ref = event.actorRef as AnyActorRef & { _parent?: AnyActorRef };
      const snapshot = lightSnapshot(ref.getSnapshot());
      const standIn = {
        id: ref.id,
        sessionId: ref.sessionId,
        logic: { config: (ref as unknown as { logic?: { config?: unknown } }).logic?.config },
        _parent: ref._parent ? { sessionId: ref._parent.sessionId } : undefined,
        getSnapshot: () => snapshot,
      };
      return { ...event, actorRef: standIn as unknown as AnyActorRef };
    }
    default:
      return event;
  }
}
