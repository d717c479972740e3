import { performance } from 'node:perf_hooks';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { type Chart, describeMachine, isMachineLogic } from './chart';
import type { Redactor } from './redact';

/** One actor as the live view shows it. Plain values only. */
export interface ActorView {
  sid: string;
  id: string;
  parent?: string;
  /** Key of the machine's chart (in `machines`); absent for callback/promise/observable actors. */
  machine?: string;
  /** What a helper actor runs (its `src`), when it is not a machine. */
  src?: string;
  status: 'active' | 'done' | 'error' | 'stopped';
  /** The state value (`'connecting'`, `{ session: 'ticking' }`), never the context. */
  value?: unknown;
  /** The state value it started in (a page that sees it later can play its first steps). */
  initial?: unknown;
  /** Milliseconds since the inspector started. */
  bornAt: number;
  endedAt?: number;
}

/** One event an actor received, as the event stream shows it. */
export interface LogEntry {
  /** Sequence number: a page that already has entry `n` ignores it when sent again. */
  n: number;
  t: number;
  sid: string;
  type: string;
  /** The sender's session id, when it is an actor we know. */
  from?: string;
  /** The event's payload, light and redacted (absent when it has none). */
  data?: unknown;
  /** The state value the event led to, when the state changed. */
  to?: unknown;
}

export interface InitMessage {
  type: 'init';
  title: string;
  t: number;
  machines: Record<string, Chart>;
  actors: ActorView[];
  log: LogEntry[];
  limits: LiveLimits;
}

export interface BatchMessage {
  type: 'batch';
  t: number;
  machines?: Record<string, Chart>;
  actors?: ActorView[];
  log?: LogEntry[];
  /** Transitions taken in this batch, per actor: chart transition ids. */
  steps?: Record<string, string[]>;
  /** Events left out of this batch (the per-actor cap), per actor. */
  dropped?: Record<string, number>;
  /** Ended actors forgotten to keep memory bounded. */
  removed?: string[];
}

export interface LiveLimits {
  /** Events kept per actor for a page that connects later. */
  logPerActor: number;
  /** Ended actors kept (with their logs) before the oldest is forgotten. */
  endedActors: number;
  /** Events sent per actor per batch; the rest are counted in `dropped`. */
  eventsPerBatch: number;
  /** A payload whose JSON is longer than this is shown by its keys only. */
  payloadChars: number;
}

export const DEFAULT_LIMITS: LiveLimits = {
  logPerActor: 200,
  endedActors: 300,
  eventsPerBatch: 30,
  payloadChars: 300,
};

interface Tracked {
  view: ActorView;
  logic: unknown;
  log: LogEntry[];
  children: Set<string>;
  /** Whether a page has been told about this actor (short-lived helpers never are). */
  announced: boolean;
  valueKey: string;
  last?: { event: unknown; entry: LogEntry };
}

type RefWithParent = AnyActorRef & { _parent?: AnyActorRef; logic?: unknown; src?: unknown };

/**
 * What the live view knows, fed synchronously by XState's `inspect` observer: every actor
 * (with its parent, its machine's chart, its state value and status) and each machine
 * actor's recent events. Bounded: {@link LiveLimits}. Pages get one {@link InitMessage}
 * when they connect, then a {@link BatchMessage} per flush with what changed.
 */
export class LiveModel {
  readonly limits: LiveLimits;
  private readonly start = performance.now();
  private readonly actors = new Map<string, Tracked>();
  private readonly machines = new Map<string, Chart>();
  private readonly machineOf = new WeakMap<object, { key: string; ids: Map<unknown, string> }>();
  private readonly ended: string[] = [];
  private seq = 0;
  private pending = LiveModel.emptyPending();

  constructor(
    private readonly redactor: Redactor,
    private readonly title = 'timeswarm',
    limits: Partial<LiveLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  private static emptyPending() {
    return {
      machines: new Map<string, Chart>(),
      actors: new Set<string>(),
      log: [] as LogEntry[],
      counts: new Map<string, number>(),
      dropped: new Map<string, number>(),
      steps: new Map<string, Set<string>>(),
      removed: [] as string[],
    };
  }

  private now(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }

  /** The `inspect` observer: give it to `createActor(…, { inspect })`. */
  observe(event: InspectionEvent): void {
    switch (event.type) {
      case '@xstate.actor':
        this.onActor(event.actorRef as RefWithParent);
        break;
      case '@xstate.event':
        this.onEvent(event.actorRef.sessionId, event.event, event.sourceRef?.sessionId);
        break;
      case '@xstate.snapshot':
        this.onSnapshot(event.actorRef.sessionId, event.snapshot, event.event);
        break;
      case '@xstate.microstep':
        this.onMicrostep(event.actorRef.sessionId, event._transitions);
        break;
    }
  }

  private chartKey(logic: object & { id: string; root: unknown }) {
    const known = this.machineOf.get(logic);
    if (known) return known;
    const { chart, transitionIds } = describeMachine(logic);
    const json = JSON.stringify(chart);
    let key = chart.id;
    for (let n = 2; this.machines.has(key); n++) {
      if (JSON.stringify(this.machines.get(key)) === json) break;
      key = `${chart.id}~${n}`;
    }
    if (!this.machines.has(key)) {
      this.machines.set(key, chart);
      this.pending.machines.set(key, chart);
    }
    const entry = { key, ids: transitionIds };
    this.machineOf.set(logic, entry);
    return entry;
  }

  private onActor(ref: RefWithParent): void {
    const logic = ref.logic;
    const parent = ref._parent?.sessionId;
    const view: ActorView = {
      sid: ref.sessionId,
      id: String(ref.id),
      status: 'active',
      bornAt: this.now(),
      ...(parent !== undefined ? { parent } : {}),
    };
    if (isMachineLogic(logic)) view.machine = this.chartKey(logic).key;
    else if (typeof ref.src === 'string') view.src = ref.src;
    let valueKey = '';
    try {
      const snapshot = ref.getSnapshot() as { value?: unknown } | undefined;
      if (view.machine && snapshot && 'value' in snapshot) {
        view.value = this.redactor.value(snapshot.value);
        view.initial = view.value;
        valueKey = JSON.stringify(view.value);
      }
    } catch {
      // Not initialised yet: the first snapshot event brings the value.
    }
    this.actors.set(view.sid, {
      view,
      logic,
      log: [],
      children: new Set(),
      announced: view.machine !== undefined,
      valueKey,
    });
    if (parent !== undefined) this.actors.get(parent)?.children.add(view.sid);
    this.pending.actors.add(view.sid);
  }

  private payload(event: unknown): unknown {
    if (!event || typeof event !== 'object') return undefined;
    const { type: _type, ...rest } = event as Record<string, unknown>;
    if (Object.keys(rest).length === 0) return undefined;
    const data = this.redactor.value(rest);
    const json = JSON.stringify(data);
    if (json.length <= this.limits.payloadChars) return data;
    return { '…': `${Object.keys(data as object).join(', ')} (${json.length} chars)` };
  }

  private onEvent(sid: string, event: unknown, from: string | undefined): void {
    const tracked = this.actors.get(sid);
    if (!tracked?.view.machine) return;
    const type = (event as { type?: unknown } | null)?.type;
    const entry: LogEntry = {
      n: ++this.seq,
      t: this.now(),
      sid,
      type: this.redactor.text(typeof type === 'string' ? type : '?'),
    };
    if (from !== undefined && from !== sid && this.actors.has(from)) entry.from = from;
    const data = this.payload(event);
    if (data !== undefined) entry.data = data;
    tracked.log.push(entry);
    if (tracked.log.length > this.limits.logPerActor) tracked.log.shift();
    tracked.last = { event, entry };
    const count = (this.pending.counts.get(sid) ?? 0) + 1;
    this.pending.counts.set(sid, count);
    if (count <= this.limits.eventsPerBatch) this.pending.log.push(entry);
    else this.pending.dropped.set(sid, (this.pending.dropped.get(sid) ?? 0) + 1);
  }

  private onSnapshot(sid: string, snapshot: unknown, event: unknown): void {
    const tracked = this.actors.get(sid);
    if (!tracked) return;
    const s = snapshot as { status?: string; value?: unknown; children?: Record<string, unknown> };
    if (tracked.view.machine && 'value' in s) {
      const value = this.redactor.value(s.value);
      // An actor announced before its state existed: its first snapshot is where it started,
      // so the page does not start it at whatever state it has reached by the next batch.
      if (tracked.view.initial === undefined) tracked.view.initial = value;
      const key = JSON.stringify(value);
      if (key !== tracked.valueKey) {
        tracked.valueKey = key;
        tracked.view.value = value;
        this.pending.actors.add(sid);
        const last = tracked.last;
        if (last && last.event === event) {
          last.entry.to = value;
          if (!this.pending.log.includes(last.entry)) {
            // A state change is always shown, even past the per-batch cap.
            this.pending.log.push(last.entry);
            this.pending.dropped.set(sid, (this.pending.dropped.get(sid) ?? 1) - 1);
          }
        }
      }
    }
    if (s.children && tracked.children.size > 0) {
      const alive = new Set(
        Object.values(s.children).map((child) => (child as { sessionId?: string })?.sessionId),
      );
      for (const child of tracked.children) if (!alive.has(child)) this.end(child, 'stopped');
    }
    if (s.status && s.status !== 'active')
      this.end(sid, s.status === 'done' || s.status === 'error' ? s.status : 'stopped');
  }

  private onMicrostep(sid: string, transitions: readonly unknown[] | undefined): void {
    const tracked = this.actors.get(sid);
    if (!tracked?.view.machine || !transitions) return;
    const ids = this.machineOf.get(tracked.logic as object)?.ids;
    if (!ids) return;
    let steps = this.pending.steps.get(sid);
    for (const transition of transitions) {
      const id = ids.get(transition);
      if (id === undefined) continue;
      steps ??= new Set();
      if (steps.size < 64) steps.add(id);
    }
    if (steps) this.pending.steps.set(sid, steps);
  }

  /** Marks an actor (and, for a stop, everything below it) as ended. */
  private end(sid: string, status: ActorView['status']): void {
    const tracked = this.actors.get(sid);
    if (!tracked || tracked.view.status !== 'active') return;
    tracked.view.status = status;
    tracked.view.endedAt = this.now();
    for (const child of tracked.children) this.end(child, 'stopped');
    // A helper no page has seen (a promise that settled within one batch) just goes.
    if (!tracked.announced) {
      this.forget(sid);
      return;
    }
    this.pending.actors.add(sid);
    this.ended.push(sid);
    while (this.ended.length > this.limits.endedActors) this.forget(this.ended.shift()!);
  }

  private forget(sid: string): void {
    const tracked = this.actors.get(sid);
    if (!tracked) return;
    this.actors.delete(sid);
    const parent = tracked.view.parent;
    if (parent !== undefined) this.actors.get(parent)?.children.delete(sid);
    if (tracked.announced) this.pending.removed.push(sid);
    this.pending.actors.delete(sid);
  }

  /** Everything a page needs when it connects. */
  init(): InitMessage {
    const actors = [...this.actors.values()].filter(
      (a) => a.announced || a.view.status === 'active',
    );
    const log = actors
      .flatMap((a) => a.log)
      .sort((a, b) => a.n - b.n)
      .slice(-this.limits.logPerActor * 10);
    return {
      type: 'init',
      title: this.title,
      t: this.now(),
      machines: Object.fromEntries(this.machines),
      actors: actors.map((a) => a.view),
      log,
      limits: this.limits,
    };
  }

  /** What changed since the last call (null when nothing did); resets the pending changes. */
  takeBatch(): BatchMessage | null {
    const p = this.pending;
    this.pending = LiveModel.emptyPending();
    const actors: ActorView[] = [];
    for (const sid of p.actors) {
      const tracked = this.actors.get(sid);
      if (!tracked) continue;
      // A helper that began and ended within one batch is not worth a line on the page.
      if (!tracked.announced && tracked.view.status !== 'active') continue;
      tracked.announced = true;
      actors.push({ ...tracked.view });
    }
    const batch: BatchMessage = { type: 'batch', t: this.now() };
    if (p.machines.size > 0) batch.machines = Object.fromEntries(p.machines);
    if (actors.length > 0) batch.actors = actors;
    if (p.log.length > 0) batch.log = p.log.sort((a, b) => a.n - b.n).map((e) => ({ ...e }));
    if (p.steps.size > 0)
      batch.steps = Object.fromEntries([...p.steps].map(([sid, ids]) => [sid, [...ids]]));
    const dropped = [...p.dropped].filter(([, n]) => n > 0);
    if (dropped.length > 0) batch.dropped = Object.fromEntries(dropped);
    if (p.removed.length > 0) batch.removed = p.removed;
    return Object.keys(batch).length > 2 ? batch : null;
  }
}
