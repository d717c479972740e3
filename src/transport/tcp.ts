import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import type { ChannelListener, ConnectOptions, ListenOptions, Transport } from './channelTransport';
import { normalizeAddress } from './channelTransport';
import type { ByteChannel, ByteReceiver } from './connection';
import { ConnectionError } from './errors';

/** How long an ended socket waits for the peer to close its side before it is destroyed. */
const END_GRACE_MS = 5000;

/** Adapts a connected `net.Socket` to a {@link ByteChannel}. */
export function socketChannel(socket: net.Socket): ByteChannel {
  socket.setNoDelay(true);
  socket.pause();
  let receiver: ByteReceiver | null = null;
  // Events that happen while nobody listens are kept for the next receiver.
  let ended = false;
  let failure: ConnectionError | null = null;

  const onData = (chunk: Buffer) => receiver?.data(chunk);
  socket.on('end', () => {
    ended = true;
    receiver?.end();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    failure = new ConnectionError(
      `Socket error: ${error.message}`,
      error.code ?? 'ERR_CONNECTION',
      {
        cause: error,
      },
    );
    receiver?.error(failure);
  });
  socket.on('close', (hadError) => {
    if (!ended && !hadError && !failure) {
      failure = new ConnectionError('Connection closed', 'ERR_CONNECTION_CLOSED');
      receiver?.error(failure);
    }
  });

  return {
    localAddress: normalizeAddress(socket.localAddress),
    localPort: socket.localPort ?? 0,
    remoteAddress: normalizeAddress(socket.remoteAddress),
    remotePort: socket.remotePort ?? 0,
    get bufferedBytes() {
      return socket.writableLength;
    },
    write(data, written) {
      if (!socket.destroyed) socket.write(data, written);
    },
    end() {
      socket.end();
      // A peer that never closes its side must not keep the socket forever, nor keep this
      // process alive: everything we had to say is written, so an exit may drop it.
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
      socket.unref();
    },
    destroy() {
      socket.destroy();
    },
    setReceiver(next) {
      receiver = next;
      // Replacing a receiver must not add a second listener (every chunk would arrive twice).
      socket.off('data', onData);
      if (!next) {
        socket.pause();
        return;
      }
      if (failure) next.error(failure);
      else if (ended) next.end();
      else {
        socket.on('data', onData);
        socket.resume();
      }
    },
  };
}

async function listen(options: ListenOptions): Promise<ChannelListener> {
  const server = net.createServer({ noDelay: true, pauseOnConnect: true });
  const held: net.Socket[] = [];
  let handler: ((channel: ByteChannel) => void) | null = null;
  let dropped: ((address: string) => void) | null = null;
  // At the open-file limit, accept fails (EMFILE) and libuv silently closes whatever waits; so
  // we stop short of it ourselves (Node's `maxConnections`: one more is closed at accept and
  // reported), keeping what the process already holds plus a margin for files and the rest.
  const most = connectionsWithinFileLimit();
  if (most !== null) server.maxConnections = most;
  server.on('drop', (data?: net.DropArgument) => dropped?.(normalizeAddress(data?.remoteAddress)));
  server.on('connection', (socket) => {
    if (handler) handler(socketChannel(socket));
    else held.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new ConnectionError(
          `Cannot listen on ${options.host}:${options.port}: ${error.message}`,
          error.code ?? 'ERR_LISTEN',
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listening, an error can only be a failed accept (EMFILE, ENFILE…): the server keeps
  // listening (libuv retries), and it is reported like a drop, never thrown.
  server.on('error', () => dropped?.('unknown'));
  const address = server.address() as net.AddressInfo;
  return {
    host: normalizeAddress(address.address),
    port: address.port,
    accept(next, onDropped) {
      handler = next;
      dropped = onDropped ?? null;
      for (const socket of held.splice(0)) next(socketChannel(socket));
    },
    async close() {
      // Connections accepted but never handed to a handler belong to nobody: drop them.
      for (const socket of held.splice(0)) socket.destroy();
      // Resolve once we stop listening, as the interface says; `server.close(cb)` would
      // wait for every existing connection to end as well.
      server.close();
    },
  };
}

function connect(options: ConnectOptions): Promise<ByteChannel> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ConnectionError('Connect aborted', 'ABORT_ERR'));
      return;
    }
    const socket = net.connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const onAbort = () => {
      socket.destroy();
      reject(new ConnectionError('Connect aborted', 'ABORT_ERR'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        new ConnectionError(
          `Cannot connect to ${options.host}:${options.port}: ${error.message}`,
          error.code ?? 'ERR_CONNECT',
          { cause: error },
        ),
      );
    });
    socket.once('connect', () => {
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socketChannel(socket));
    });
  });
}

/** The production transport: TCP sockets with Nagle off (we batch writes ourselves). */
export const tcpTransport: Transport = { listen, connect };

/** Open files kept free for everything but client sockets (the table, logs, the inspector…). */
const FILE_MARGIN = 32;

/**
 * How many connections one listener may hold before the process reaches its open-file limit
 * (`ulimit -n`, soft): the limit, less the files open now, less {@link FILE_MARGIN}. Linux
 * only (`/proc/self`); elsewhere `null` (no bound of ours: libuv's own EMFILE handling).
 */
export function connectionsWithinFileLimit(): number | null {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft === undefined || soft === 'unlimited') return null;
    const open = readdirSync('/proc/self/fd').length;
    return Math.max(1, Number(soft) - open - FILE_MARGIN);
  } catch {
    return null;
  }
}
