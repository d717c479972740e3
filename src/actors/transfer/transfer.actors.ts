import { fromCallback, fromPromise } from 'xstate';
import {
  type PeerConnection,
  type PeerMessage,
  peerConnection,
  type Transport,
} from '../../transport';
import { connectionEvents, type ParentRef, readConnection } from '../shared';
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

/**
 * Reads exactly one message (the hello) as its `remote.*` event, then lets go of the
 * connection: whatever the remote sent right behind it stays queued for the trading reader.
 */
export const readHello = readConnection<'remote', PeerMessage>('remote', {
  closedMessage: 'closed during the handshake',
  count: 1,
});

export interface ReadMessagesInput {
  connection: PeerConnection;
  id: string;
  peerId: string;
  keeper: ParentRef<TransferToKeeperEvent>;
}

/**
 * The data path, one event per wire message: chunk payloads go to the keeper's storage
 * pipeline (the machine hears `remote.chunk` with no data), requests and cancels to its
 * uploader, every control message to the machine as its own `remote.*` event.
 */
export const readMessages = fromCallback<TransferEvent, ReadMessagesInput>(
  ({ input, sendBack }) => {
    const { connection, id, peerId, keeper } = input;
    const subscription = connectionEvents('remote', connection, {
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
          keeper.send({ type: 'keeper.request', transferId: id, ...nameIndex(event.message) });
          return;
        case 'remote.cancel':
          keeper.send({ type: 'keeper.cancel', transferId: id, ...nameIndex(event.message) });
          return;
        default:
          sendBack(event);
      }
    });
    return () => subscription.unsubscribe();
  },
);

const nameIndex = (m: { name: string; index: number }) => ({ name: m.name, index: m.index });

/** However the transfer ends (even stopped from outside), its socket does not outlive it. */
export const holdConnection = fromCallback<TransferEvent, { connection: PeerConnection }>(
  ({ input }) => {
    return () => input.connection.destroy();
  },
);
