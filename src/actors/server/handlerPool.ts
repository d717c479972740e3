import { type ActorRefFrom, createActor, fromCallback } from 'xstate';
import type { ByteChannel } from '../../transport';
import type { Failure } from '../errors';
import { ClientRegistry } from './clientRegistry';
import {
  type ConnectionHandlerInput,
  connectionHandlerMachine,
  type HandlerRef,
} from './connectionHandler.machine';

/** What the server asks of its handler pool. */
export type PoolCommand =
  /** A connection was accepted: give it a handler. */
  | { type: 'pool.open'; channel: ByteChannel }
  /** A handler's client asks for an ID (or any ID). */
  | { type: 'pool.register'; handler: HandlerRef; requestedId: number | undefined }
  /** Tell every handler the server is going away. */
  | { type: 'pool.shutdown'; reason: string };

/** What the pool tells the server. */
export type PoolReport =
  | { type: 'connection.opened'; address: string }
  /** A handler finished and was let go; its client ID, if any, is free again. */
  | { type: 'connection.released'; clientId: number | null }
  | { type: 'client.admitted'; handler: HandlerRef; clientId: number }
  | { type: 'client.refused'; handler: HandlerRef; refusal: Failure };

/** XState tells a parent when its child ends: how the pool learns a handler is gone. */
type ChildEnded =
  | { type: `xstate.done.actor.${string}` }
  | { type: `xstate.error.actor.${string}` };

export interface HandlerPoolInput {
  /** Settings every handler shares (the server is who its handlers report to). */
  handler: Omit<ConnectionHandlerInput, 'channel'>;
  maxClients: number;
}

type Handler = ActorRefFrom<typeof connectionHandlerMachine>;

/**
 * The server's connection handlers and who holds which client ID. Each handler is a machine
 * actor in the server's actor system (same clock, same inspector), created and released here
 * in O(1): XState copies a parent's `children` on every spawn and stop, which made thousands
 * of connections cost seconds of CPU. Handlers report to the server directly; the pool tells
 * the server when one opens or ends, and answers registrations from its {@link ClientRegistry}.
 * Stopping the pool stops every handler left (and so closes its socket).
 */
export const handlerPool = fromCallback<PoolCommand | ChildEnded, HandlerPoolInput, PoolReport>(
  ({ input, self, sendBack, receive }) => {
    const handlers = new Map<string, Handler>();
    const registry = new ClientRegistry(input.maxClients);
    let next = 1;

    receive((event) => {
      switch (event.type) {
        case 'pool.open': {
          const id = `connection-${next++}`;
          const handler = createActor(connectionHandlerMachine, {
            id,
            parent: self,
            input: { ...input.handler, channel: event.channel },
          });
          handlers.set(id, handler);
          sendBack({ type: 'connection.opened', address: event.channel.remoteAddress });
          handler.start();
          return;
        }
        case 'pool.register': {
          // A handler that already ended (its client left while asking) gets nothing.
          if (!handlers.has(event.handler.id)) return;
          const claim = registry.claim(event.handler.id, event.requestedId);
          if ('clientId' in claim) {
            sendBack({ type: 'client.admitted', handler: event.handler, clientId: claim.clientId });
          } else {
            sendBack({ type: 'client.refused', handler: event.handler, refusal: claim.refusal });
          }
          return;
        }
        case 'pool.shutdown':
          for (const handler of handlers.values())
            handler.send({ type: 'server.shutdown', reason: event.reason });
          return;
        default: {
          // `xstate.done.actor.<id>` or `xstate.error.actor.<id>`: a handler ended.
          const id = event.type.replace(/^xstate\.(done|error)\.actor\./, '');
          if (!handlers.delete(id)) return;
          sendBack({ type: 'connection.released', clientId: registry.release(id) });
        }
      }
    });

    return () => {
      for (const handler of handlers.values()) handler.stop();
      handlers.clear();
    };
  },
);
