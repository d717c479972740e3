import {
  type Actor,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type InputFrom,
  type InspectionEvent,
  type Observer,
  type OutputFrom,
  type SnapshotFrom,
  toPromise,
} from 'xstate';
import type { ErrorInfo } from '../errors';
import { type Clock, systemClock } from '../time';
import { StartError } from './errors';

/** Options shared by every started actor. */
export interface StartOptions {
  /** XState inspection observer (e.g. the inspector's), attached to the actor and its children. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/** A started actor and its output once it reaches a final state. */
export interface Started<TMachine extends AnyStateMachine> {
  actor: Actor<TMachine>;
  /** Resolves with the actor's output when it reaches a final state. */
  done: Promise<OutputFrom<TMachine>>;
}

/** Where a started actor listens. */
export interface HostPort {
  host: string;
  port: number;
}

/** A machine whose input may carry the clock its delays and timestamps run on. */
type Clocked = { clock?: Clock };

/**
 * Creates and starts an actor of `machine`. The actor gets the same clock as its input (the
 * system clock when none is given): the machines measure time with `input.clock` and delay with
 * the actor's clock, and the two must agree.
 */
export function startActor<TMachine extends AnyStateMachine>(
  machine: TMachine,
  input: InputFrom<TMachine> & Clocked,
  options: StartOptions = {},
): Started<TMachine> {
  const clock = input.clock ?? systemClock;
  const actor = createActor(machine as AnyStateMachine, {
    input: { ...input, clock },
    clock,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  }) as Actor<TMachine>;
  const done = toPromise(actor) as Promise<OutputFrom<TMachine>>;
  actor.start();
  return { actor, done };
}

/** How {@link startListening} reads a listening actor. */
export interface ListeningSelectors<TMachine extends AnyStateMachine> {
  /** `host:port` once the actor listens; null before (and after a failure). */
  address: (snapshot: SnapshotFrom<TMachine>) => string | null;
  /** The failure in the actor's output, when it ended without listening. */
  failure: (output: OutputFrom<TMachine>) => ErrorInfo | null;
  /** Code thrown when the output carries no failure of its own. */
  code: string;
}

/**
 * Starts an actor that listens (a server, a peer) and waits until it does. When it ends
 * without listening, throws a {@link StartError} with the failure's `code`.
 */
export async function startListening<TMachine extends AnyStateMachine>(
  machine: TMachine,
  input: InputFrom<TMachine> & Clocked,
  options: StartOptions,
  select: ListeningSelectors<TMachine>,
): Promise<Started<TMachine> & { address: HostPort }> {
  const started = startActor(machine, input, options);
  const { actor, done } = started;
  const settled = () => {
    const snapshot = actor.getSnapshot() as SnapshotFrom<TMachine>;
    return (
      select.address(snapshot) !== null || (snapshot as AnyMachineSnapshot).status !== 'active'
    );
  };
  const ready = new Promise<void>((resolve) => {
    if (settled()) return resolve();
    const subscription = actor.subscribe({
      next: () => {
        if (!settled()) return;
        subscription.unsubscribe();
        resolve();
      },
      error: () => resolve(),
    });
  });
  await Promise.race([ready, done.catch(() => undefined)]);
  const address = select.address(actor.getSnapshot() as SnapshotFrom<TMachine>);
  if (address === null) {
    const failure = select.failure(await done);
    throw new StartError(failure?.message ?? 'did not start', failure?.code ?? select.code);
  }
  return { ...started, address: parseHostPort(address) };
}

function parseHostPort(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}
