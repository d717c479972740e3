import { once } from 'node:events';
import net from 'node:net';
import {
  type ClientMessage,
  createFrameDecoder,
  decodePayload,
  encodeFrame,
} from '../../src/transport';

/** One connection to a {@link rawServer}: what the client sent, and a way to answer. */
export interface RawPeer {
  /** 0 for the first connection, 1 for the next… */
  index: number;
  socket: net.Socket;
  messages: ClientMessage[];
  send(message: unknown): void;
}

/**
 * A hand-written session server on a raw socket over real TCP (127.0.0.1, port 0), with the
 * real codec: the hostile or broken server the real one never is. `onMessage` sees each
 * decoded client message (nothing is validated: raw bytes in, raw frames out); without it
 * the server accepts and stays silent. `close()` destroys every connection.
 */
export async function rawServer(onMessage?: (message: ClientMessage, peer: RawPeer) => void) {
  const peers: RawPeer[] = [];
  const server = net.createServer((socket) => {
    const decoder = createFrameDecoder();
    const peer: RawPeer = {
      index: peers.length,
      socket,
      messages: [],
      send: (message) => {
        if (!socket.destroyed) socket.write(encodeFrame(message));
      },
    };
    peers.push(peer);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const payload of decoder.push(chunk)) {
          const message = decodePayload(payload) as ClientMessage;
          peer.messages.push(message);
          onMessage?.(message, peer);
        }
      } catch {
        socket.destroy();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    peers,
    close: async () => {
      for (const peer of peers) peer.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Rejects if `promise` has not settled within `limitMs`: a hang fails the test, not the run. */
export function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${limitMs} ms`)), limitMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
