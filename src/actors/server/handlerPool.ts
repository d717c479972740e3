import { type ActorRefFrom, createActor, fromCallback } from 'xstate';
import type { Logger } from '../../log/logger';
import type { ByteChannel } from '../../transport';
import type { Failure } from '../errors';
import { ClientRegistry } from './clientRegistry';
import {
  type ConnectionHandlerInput,
  connectionHandlerMachine,
  type HandlerRef,
} from './connectionHandler.machine';
import { PreHelloGate, type PreHelloLimits, type PreHelloRefusal } from './preHelloGate';

/** What the server asks of its handler pool. */
export type PoolCommand =
  /** A connection was accepted: give it a handler. */
  | { type: 'pool.open'; channel: ByteChannel }
  /** The listener closed a connection at accept: the process is at its open-file limit. */
  | { type: 'pool.dropped'; address: string }
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
  | { type: 'client.refused'; handler: HandlerRef; refusal: Failure }
  /** Handlers still in their handshake, stopped at once on shutdown (their sockets dropped). */
  | { type: 'connections.dropped'; count: number }
  /** Connections closed at accept so far, by code (sent at most once a second, and at shutdown). */
  | { type: 'connections.refused'; counts: Record<PreHelloRefusal, number> };

/** XState tells a parent when its child ends: how the pool learns a handler is gone. */
type ChildEnded =
  | { type: `xstate.done.actor.${string}` }
  | { type: `xstate.error.actor.${string}` };

export interface HandlerPoolInput {
  /** Settings every handler shares (the server is who its handlers report to). */
  handler: Omit<ConnectionHandlerInput, 'channel'>;
  maxClients: number;
  preHello: PreHelloLimits;
  logger: Logger;
}

/** Refusals at accept are logged at most this often (a flood must not flood the log). */
const REFUSAL_LOG_INTERVAL_MS = 1000;

type Handler = ActorRefFrom<typeof connectionHandlerMachine>;

/**
 * The server's connection handlers and who holds which client ID. Each handler is a machine
 * actor in the server's actor system (same clock, same inspector), created and released here
 * in O(1): XState copies a parent's `children` on every spawn and stop, which made thousands
 * of connections cost seconds of CPU. Handlers report to the server directly; the pool tells
 * the server when one opens or ends, and answers registrations from its {@link ClientRegistry}.
 * Stopping the pool drops the socket of every handler left.
 */
export const handlerPool = fromCallback<PoolCommand | ChildEnded, HandlerPoolInput, PoolReport>(
  ({ input, self, sendBack, receive }) => {
    const handlers = new Map<string, Handler>();
    const channels = new Map<string, ByteChannel>();
    const registry = new ClientRegistry(input.maxClients);
    const gate = new PreHelloGate(input.preHello);
    // Handlers still in their handshake, with the address they count against.
    const pending = new Map<string, string>();
    const refused: Record<PreHelloRefusal, number> = {
      ERR_TOO_MANY_PENDING: 0,
      ERR_TOO_MANY_FROM_ADDRESS: 0,
      EMFILE: 0,
    };
    let unlogged = 0;
    let lastLog = Number.NEGATIVE_INFINITY;
    const { clock, logger } = { clock: input.handler.clock, logger: input.logger };
    const logRefusals = (code: PreHelloRefusal, address: string) => {
      const now = clock.now();
      unlogged += 1;
      if (now - lastLog < REFUSAL_LOG_INTERVAL_MS) return;
      lastLog = now;
      const limit =
        code === 'EMFILE'
          ? 'the open-file limit (ulimit -n) is reached; clients already connected are served'
          : code === 'ERR_TOO_MANY_PENDING'
            ? `more than ${input.preHello.maxPending} connections without a hello`
            : `more than ${input.preHello.maxPendingPerAddress} connections from one address without a hello`;
      logger.warn(`closed ${unlogged} connection(s) at accept (last from ${address}): ${limit}`, {
        code,
        refused: unlogged,
        address,
      });
      unlogged = 0;
      sendBack({ type: 'connections.refused', counts: { ...refused } });
    };
    let next = 1;

    const leaveHandshake = (id: string) => {
      const address = pending.get(id);
      if (address === undefined) return;
      pending.delete(id);
      gate.leave(address);
    };

    receive((event) => {
      switch (event.type) {
        case 'pool.open': {
          const address = event.channel.remoteAddress;
          const refusal = gate.enter(address);
          if (refusal !== null) {
            // Nothing is said to it: it never spoke, and a reply would cost the flood nothing.
            event.channel.destroy();
            refused[refusal] += 1;
            logRefusals(refusal, address);
            return;
          }
          const id = `connection-${next++}`;
          pending.set(id, address);
          const handler = createActor(connectionHandlerMachine, {
            id,
            parent: self,
            input: { ...input.handler, channel: event.channel },
          });
          handlers.set(id, handler);
          channels.set(id, event.channel);
          sendBack({ type: 'connection.opened', address: event.channel.remoteAddress });
          handler.start();
          return;
        }
        case 'pool.dropped':
          refused.EMFILE += 1;
          logRefusals('EMFILE', event.address);
          return;
        case 'pool.register': {
          // A handler that already ended (its client left while asking) gets nothing.
          if (!handlers.has(event.handler.id)) return;
          leaveHandshake(event.handler.id);
          const claim = registry.claim(event.handler.id, event.requestedId);
          if ('clientId' in claim) {
            sendBack({ type: 'client.admitted', handler: event.handler, clientId: claim.clientId });
          } else {
            sendBack({ type: 'client.refused', handler: event.handler, refusal: claim.refusal });
          }
          return;
        }
        case 'pool.shutdown': {
          sendBack({ type: 'connections.refused', counts: { ...refused } });
          // Connections that never said hello have nothing to be told and nothing to finish:
          // dropped in one go (a flood of them must not hold the shutdown up), counted once.
          let dropped = 0;
          for (const [id, address] of pending) {
            handlers.get(id)?.send({ type: 'server.drop' });
            handlers.delete(id);
            channels.delete(id);
            gate.leave(address);
            dropped += 1;
          }
          pending.clear();
          if (dropped > 0) {
            logger.info(`dropped ${dropped} connection(s) still in their handshake`);
            sendBack({ type: 'connections.dropped', count: dropped });
          }
          for (const handler of handlers.values())
            handler.send({ type: 'server.shutdown', reason: event.reason });
          return;
        }
        default: {
          // `xstate.done.actor.<id>` or `xstate.error.actor.<id>`: a handler ended.
          const id = event.type.replace(/^xstate\.(done|error)\.actor\./, '');
          if (!handlers.delete(id)) return;
          channels.delete(id);
          leaveHandshake(id);
          sendBack({ type: 'connection.released', clientId: registry.release(id) });
        }
      }
    });

    return () => {
      // A child actor cannot be stopped by hand (XState throws); what it holds is its socket,
      // so the sockets of handlers still here (past the server's stop timeout) are dropped.
      for (const channel of channels.values()) channel.destroy();
      channels.clear();
      handlers.clear();
    };
  },
);
