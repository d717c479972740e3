import {
  type ServerInput,
  type ServerSummary,
  selectStatus,
  serverMachine,
} from '../actors/server';
import { type HostPort, type Started, type StartOptions, startListening } from './start';

/** A started server: its actor, the address it listens on, and its summary once it stops. */
export type StartedServer = Started<typeof serverMachine> & { address: HostPort };

/**
 * Starts the server actor and waits until it listens; throws a `StartError` with the failure's
 * code (`EADDRINUSE`, `EACCES`, …) when it cannot.
 *
 * @example
 * const server = await startServer({ transport: tcpTransport, host: '127.0.0.1', port: 0, outDir });
 * server.actor.send({ type: 'server.stop', reason: 'done' });
 * const summary = await server.done;
 */
export function startServer(
  input: ServerInput,
  options: StartOptions = {},
): Promise<StartedServer> {
  return startListening(serverMachine, input, options, {
    address: (snapshot) => (selectStatus(snapshot).failure ? null : snapshot.context.address),
    failure: (summary: ServerSummary) => summary.error ?? null,
    code: 'ERR_SERVER',
  });
}
