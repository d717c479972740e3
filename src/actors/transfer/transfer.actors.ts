import type { Observable, Observer } from 'rxjs';
import { fromCallback, fromPromise } from 'xstate';
import type { IncomingChunk } from '../../p2p/storagePipeline';
import type { Uploader } from '../../p2p/uploader';
import {
  type ByteCounters,
  type PeerConnection,
  type PeerMessage,
  peerConnection,
  type Transport,
} from '../../transport';
import { connectionEvents, readConnection } from '../shared';
import type { Announcement, TransferEvent, TransferInput } from './types';

export interface ConnectInput {
  transport: Transport;
  host: string;
  port: number;
  localAddress?: string;
  timeoutMs: number;
  counters: ByteCounters;
}

/** Dials the remote, bounded by the connect time-out. */
export const connect = fromPromise<PeerConnection, ConnectInput>(async ({ input, signal }) => {
  const channel = await input.transport.connect({
    host: input.host,
    port: input.port,
    signal: AbortSignal.any([signal, AbortSignal.timeout(input.timeoutMs)]),
    ...(input.localAddress ? { localAddress: input.localAddress } : {}),
  });
  return peerConnection(channel, {}, input.counters);
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
  uploader: Uploader;
  chunks: Observer<IncomingChunk>;
}

/**
 * The data path, one event per wire message: chunk payloads go to storage (the machine hears
 * `remote.chunk` with no data), requests and cancels to the uploader, every control message
 * to the machine as its own `remote.*` event.
 */
export const readMessages = fromCallback<TransferEvent, ReadMessagesInput>(
  ({ input, sendBack }) => {
    const { connection, id, peerId, uploader, chunks } = input;
    const subscription = connectionEvents('remote', connection, {
      closedMessage: 'the peer closed the connection',
    }).subscribe((event) => {
      switch (event.type) {
        case 'remote.chunk': {
          const { name, index, data } = event.message;
          chunks.next({ transferId: id, peerId, name, index, data });
          sendBack({ type: 'remote.chunk', name, index });
          return;
        }
        case 'remote.request':
          uploader.request(id, event.message.name, event.message.index);
          return;
        case 'remote.cancel':
          uploader.cancel(id, event.message.name, event.message.index);
          return;
        default:
          sendBack(event);
      }
    });
    return () => subscription.unsubscribe();
  },
);

/** However the transfer ends (even stopped from outside), its socket does not outlive it. */
export const holdConnection = fromCallback<TransferEvent, { connection: PeerConnection }>(
  ({ input }) => {
    return () => input.connection.destroy();
  },
);

export interface AnnounceInput {
  connection: PeerConnection;
  id: string;
  peerId: string;
  announcements$: Observable<Announcement>;
  tailor: TransferInput['tailor'];
}

/** Passes the peer's broadcasts on to this remote, each trimmed to what it does not know. */
export const announce = fromCallback<TransferEvent, AnnounceInput>(({ input }) => {
  const subscription = input.announcements$.subscribe(({ message, except }) => {
    if (except === input.id) return;
    const out = input.tailor ? input.tailor(input.peerId, message) : message;
    if (out) input.connection.send(out);
  });
  return () => subscription.unsubscribe();
});
