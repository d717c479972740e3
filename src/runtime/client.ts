import { type ClientSessionInput, clientSessionMachine } from '../actors/client';
import { type Started, type StartOptions, startActor } from './start';

/** A started client session: its actor and its summary once the session ends. */
export type StartedClient = Started<typeof clientSessionMachine>;

/**
 * Starts one client session actor. It connects, exchanges for `durationMs` and ends with a
 * summary; send `{ type: 'session.stop', reason }` to end it early.
 */
export function startClient(input: ClientSessionInput, options: StartOptions = {}): StartedClient {
  return startActor(clientSessionMachine, input, options);
}
