import {
  type Actor,
  type AnyStateMachine,
  createActor,
  type InspectionEvent,
  type Observer,
  toPromise,
} from 'xstate';
import { type ClientSessionInput, clientSessionMachine } from '../actors/clientSession.machine';
import type { ServerSummary } from '../actors/server.machine';
import { type ServerInput, serverMachine } from '../actors/server.machine';
import type { ClientSessionSummary } from '../actors/sessionSummary';
import { systemClock } from '../time';

/** Options shared by every started actor. */
export interface StartOptions {
  /** XState inspection observer (e.g. the inspector's), attached to the actor and its children. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface Started<TMachine extends AnyStateMachine, TOutput> {
  actor: Actor<TMachine>;
  /** Resolves with the actor's output when it reaches a final state. */
  done: Promise<TOutput>;
}

/**
 * Starts the server actor and waits until it listens (or fails to).
 * The actor gets the same clock as its input, as the machines require.
 */
export async function startServer(
  input: ServerInput,
  options: StartOptions = {},
): Promise<
  Started<typeof serverMachine, ServerSummary> & { address: { host: string; port: number } }
> {
  const clock = input.clock ?? systemClock;
  const actor = createActor(serverMachine, { input: { ...input, clock }, clock, ...options });
  const done = toPromise(actor);
  actor.start();
  const listening = new Promise<void>((resolve) => {
    const subscription = actor.subscribe((snapshot) => {
      if (snapshot.value !== 'opening' && snapshot.value !== 'binding') {
        subscription.unsubscribe();
        resolve();
      }
    });
  });
  await Promise.race([listening, done]);
  const { address, failure } = actor.getSnapshot().context;
  if (!address || failure) {
    const summary = await done;
    const error = new Error(summary.error?.message ?? 'server did not start') as Error & {
      code?: string;
    };
    error.code = summary.error?.code ?? 'ERR_SERVER';
    throw error;
  }
  const colon = address.lastIndexOf(':');
  return {
    actor,
    done,
    address: { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) },
  };
}

/** Starts one client session actor. */
export function startClient(
  input: ClientSessionInput,
  options: StartOptions = {},
): Started<typeof clientSessionMachine, ClientSessionSummary> {
  const clock = input.clock ?? systemClock;
  const actor = createActor(clientSessionMachine, {
    input: { ...input, clock },
    clock,
    ...options,
  });
  const done = toPromise(actor);
  actor.start();
  return { actor, done };
}
