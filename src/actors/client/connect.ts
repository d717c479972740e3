import { fromPromise } from 'xstate';
import type { Clock } from '../../time';
import type { ServerMessage } from '../../transport';
import { type ClientConnection, clientConnection, type Transport } from '../../transport';
import { readConnection } from '../shared';

export interface ConnectInput {
  transport: Transport;
  server: { host: string; port: number };
  localAddress: string | undefined;
  clock: Clock;
}

/**
 * Opens a connection to the server. Messages are stamped by the session's clock when their
 * bytes arrive, so a simulated clock stamps too (and t4 is the reply's arrival).
 */
export const connect = fromPromise<ClientConnection, ConnectInput>(async ({ input, signal }) => {
  const channel = await input.transport.connect({
    ...input.server,
    signal,
    ...(input.localAddress ? { localAddress: input.localAddress } : {}),
  });
  const { clock } = input;
  return clientConnection(channel, {
    stamp: () => ({ wallMicros: clock.wallMicros(), monoMs: clock.now() }),
  });
});

const closedMessage = 'server closed the connection';

/** Reads the server for as long as it runs: one event per message (`server.reply`, …). */
export const readServer = readConnection<'server', ServerMessage>('server', { closedMessage });

/** Reads one message from the server and leaves the rest queued: one step of a handshake. */
export const readServerOnce = readConnection<'server', ServerMessage>('server', {
  closedMessage,
  count: 1,
});
