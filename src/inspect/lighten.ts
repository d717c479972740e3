import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createRedactor, type Redactor } from './redact';

/** Redacts by key and by type only; give a configured redactor to catch secret values too. */
const byKeyOnly = createRedactor();

/**
 * A small, JSON-safe, redacted picture of a value for an inspector: primitives as they are,
 * plain objects and short arrays a few levels deep, everything else by name (`[Subject]`,
 * `[Array(30000)]`, `[Socket]`), secrets and bytes replaced. Machine contexts hold sockets,
 * RxJS subjects, clocks and whole RTT arrays; serialising those on every tick would cost
 * more than the tick, and a live object would be read later, after it changed.
 */
export function lightValue(value: unknown, redactor: Redactor = byKeyOnly): unknown {
  return redactor.value(value);
}

interface SnapshotLike {
  status?: string;
  value?: unknown;
  context?: unknown;
  output?: unknown;
  error?: unknown;
}

/** What an inspector shows of a snapshot: status, state value, light context, output, error. */
export function lightSnapshot(snapshot: unknown, redactor: Redactor = byKeyOnly): SnapshotLike {
  const s = (snapshot ?? {}) as SnapshotLike;
  const out: SnapshotLike = { status: s.status ?? 'active' };
  if ('value' in s) out.value = redactor.value(s.value);
  if ('context' in s) out.context = redactor.value(s.context);
  if (s.output !== undefined) out.output = redactor.value(s.output);
  if (s.error !== undefined) out.error = redactor.value(s.error);
  return out;
}

/**
 * Rewrites an XState inspection event before `@statelyai/inspect` sees it: snapshots and
 * events made light and redacted (taken now, since the library converts later, on a timer),
 * and the actor reference of `@xstate.actor` replaced by a stand-in that answers only what
 * the library reads (id, sessionId, definition, parent, snapshot).
 */
export function lightenInspectionEvent(
  event: InspectionEvent,
  redactor: Redactor = byKeyOnly,
): InspectionEvent {
  switch (event.type) {
    case '@xstate.snapshot':
      return {
        ...event,
        snapshot: lightSnapshot(event.snapshot, redactor) as never,
        event: redactor.value(event.event) as never,
      };
    case '@xstate.event':
      return { ...event, event: redactor.value(event.event) as never };
    case '@xstate.actor': {
      const ref = event.actorRef as AnyActorRef & { _parent?: AnyActorRef };
      const snapshot = lightSnapshot(ref.getSnapshot(), redactor);
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
