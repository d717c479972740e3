import type { Subscription } from 'rxjs';
import { type ActorRef, fromCallback, fromPromise, type Snapshot } from 'xstate';
import {
  type PeerConnection,
  type PeerMessage,
  peerConnection,
  type Transport,
} from '../../transport';
import { connectionEvents, type ParentRef } from '../shared';
import type { TransferEvent, TransferToKeeperEvent } from './types';

export interface ConnectInput {
  transport: Transport;
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
}

/** Dials the remote, bounded by the connect time-out. */
export const connect = fromPromise<PeerConnection, ConnectInput>(async ({ input, signal }) => {
  const channel = await input.transport.connect({
    host: input.host,
    port: input.port,
    signal: AbortSignal.any([signal, AbortSignal.timeout(input.timeoutMs)]),
    ...(input.localAddress ? { localAddress: input.localAddress } : {}),
  });
  return peerConnection(channel);
});

/** What a transfer tells its wire. */
export type WireCommand =
  /** Writes one message. */
  | { type: 'wire.send'; message: PeerMessage }
  /**
   * Delivers the next message alone (a handshake step), then lets go: whatever the remote
   * sent behind it stays queued in the connection for the next reader.
   */
  | { type: 'wire.readOne' }
  /**
   * The data path, one event per wire message: chunk payloads go to the keeper's storage
   * pipeline (the transfer hears `remote.chunk` with no data), requests and cancels to its
   * uploader, every control message to the transfer as its own `remote.*` event.
   */
  | { type: 'wire.trade'; peerId: string }
  /** Stops reading (what arrives meanwhile stays queued). */
  | { type: 'wire.pause' }
  /** Lends the keeper this connection while the transfer trades (uploads, announcements). */
  | { type: 'wire.attach'; peerId: string; transfer: ActorRef<Snapshot<unknown>, TransferEvent> }
  /** Sends `bye` (when given) and closes. */
  | { type: 'wire.bye'; bye: Extract<PeerMessage, { type: 'bye' }> | null };

export interface WireInput {
  connection: PeerConnection;
  transferId: string;
  keeper: ParentRef<TransferToKeeperEvent>;
}

/**
 * The transfer's socket, owned by this actor (the transfer's context holds only its
 * reference): it writes what the transfer says, reads as the transfer's state asks, and
 * however the transfer ends (even stopped from outside) the socket does not outlive it; its
 * wire bytes then go to the keeper.
 */
export const wire = fromCallback<WireCommand, WireInput, TransferEvent>(
  ({ input, sendBack, receive }) => {
    const { connection, transferId: id, keeper } = input;
    let reading: Subscription | null = null;
    const pause = () => {
      reading?.unsubscribe();
      reading = null;
    };
    receive((command) => {
      switch (command.type) {
        case 'wire.send':
          connection.send(command.message);
          return;
        case 'wire.readOne':
          pause();
          reading = connectionEvents('remote', connection, {
            closedMessage: 'closed during the handshake',
            count: 1,
          }).subscribe((event) => sendBack(event as TransferEvent));
          return;
        case 'wire.trade': {
          pause();
          const { peerId } = command;
          reading = connectionEvents('remote', connection, {
            closedMessage: 'the peer closed the connection',
          }).subscribe((event) => {
            switch (event.type) {
              case 'remote.chunk': {
                const { name, index, data } = event.message;
                keeper.send({ type: 'keeper.chunk', transferId: id, peerId, name, index, data });
                sendBack({ type: 'remote.chunk', name, index });
                return;
              }
              case 'remote.request':
              case 'remote.cancel': {
                const { name, index } = event.message;
                const type = event.type === 'remote.request' ? 'keeper.request' : 'keeper.cancel';
                keeper.send({ type, transferId: id, name, index });
                return;
              }
              default:
                sendBack(event as TransferEvent);
            }
          });
          return;
        }
        case 'wire.pause':
          pause();
          return;
        case 'wire.attach':
          keeper.send({
            type: 'keeper.attach',
            transferId: id,
            peerId: command.peerId,
            connection,
            transfer: command.transfer,
          });
          return;
        case 'wire.bye':
          if (connection.isClosed) return;
          if (command.bye) connection.send(command.bye);
          connection.close();
          return;
      }
    });
    return () => {
      pause();
      connection.destroy();
      if (keeper.getSnapshot().status === 'active')
        keeper.send({ type: 'keeper.ended', transferId: id, ...connection.counters });
    };
  },
);
