import net from 'node:net';

/**
 * What the proxy does to the bytes of one direction. Every fault is optional; several can be
 * combined (flips are applied first, then truncate/drop decide how much is forwarded, then
 * delay and throttle decide when).
 */
export interface DirectionFaults {
  /** Holds every chunk this long before forwarding it (order is kept). */
  delayMs?: number;
  /** Forwards at most this many bytes per second, in small slices. */
  bytesPerSecond?: number;
  /**
   * Forwards this many bytes of the direction's stream, then closes both sockets (the bytes
   * before the cut are delivered first). With `dropWithReset`, both sockets are reset (RST).
   */
  dropAfterBytes?: number;
  dropWithReset?: boolean;
  /**
   * Forwards this many bytes, then swallows everything (data and the end of the stream)
   * while both sockets stay open: the receiver sees a stream that stalls mid-frame.
   */
  truncateAfterBytes?: number;
  /** Flips bytes of the direction's stream (offsets count from the connection's first byte). */
  flip?: FlipFaults;
}

export interface FlipFaults {
  /** Offsets (0-based, per connection and direction) whose byte is XORed with `mask`. */
  atOffsets?: number[];
  /** XOR mask for `atOffsets` (default 0xff). */
  mask?: number;
  /** Every byte is flipped with this probability (XOR with a random non-zero value). */
  probability?: number;
  /** Seed of the probability flips; the same seed and the same bytes give the same flips. */
  seed?: number;
}

export type Direction = 'upstream' | 'downstream';

export interface FaultProxyOptions {
  /** Where to forward: the real server. */
  target: { host: string; port: number };
  /** Listen address (default 127.0.0.1; the port is always chosen by the OS). */
  host?: string;
  /** Local address the proxy connects to the target from (so the target sees that client IP). */
  localAddress?: string;
  /** Client → server. */
  upstream?: DirectionFaults;
  /** Server → client. */
  downstream?: DirectionFaults;
}

export interface DirectionStats {
  /** Bytes read from the sender. */
  received: number;
  /** Bytes handed to the receiver. */
  forwarded: number;
  /** Bytes whose value was flipped. */
  flipped: number;
  /** Bytes swallowed by a truncation or a drop. */
  swallowed: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections whose both sockets are still open. */
  readonly open: number;
  readonly stats: Record<Direction, DirectionStats>;
  /** Replaces one direction's faults; applies to bytes read from now on, on every connection. */
  setFaults(direction: Direction, faults: DirectionFaults): void;
  /**
   * A relay that speaks for the sender: writes `bytes` into the direction's stream of every open
   * connection, after what is already queued (so at a frame boundary when the sender writes
   * whole frames). Returns how many connections got them.
   */
  inject(direction: Direction, bytes: Buffer): number;
  /** Sends the direction's last chunk again (a replayed frame), on every open connection. */
  replay(direction: Direction): number;
  /** Destroys every socket and timer and stops listening. Idempotent. */
  close(): Promise<void>;
}

/** mulberry32: a tiny seeded PRNG, so that random flips are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Most bytes queued in one direction before the sender is paused (backpressure). */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * A TCP proxy for tests: listens on `host`:0 and forwards each accepted connection to
 * `target`, applying {@link DirectionFaults} to each direction. Used to put delay, slowness,
 * cuts, stalls and corruption between a real client and a real server.
 *
 * @example
 * const proxy = await startFaultProxy({
 *   target: { host: '127.0.0.1', port: server.port },
 *   downstream: { flip: { atOffsets: [200] } },
 * });
 * // connect the client to proxy.port instead of server.port; `await proxy.close()` after.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const faults: Record<Direction, DirectionFaults> = {
    upstream: options.upstream ?? {},
    downstream: options.downstream ?? {},
  };
  const stats: Record<Direction, DirectionStats> = {
    upstream: { received: 0, forwarded: 0, flipped: 0, swallowed: 0 },
    downstream: { received: 0, forwarded: 0, flipped: 0, swallowed: 0 },
  };
  const sockets = new Set<net.Socket>();
  /** Per open connection and direction: puts bytes into its stream (null: the last chunk again). */
  const injectors: Record<Direction, Set<(bytes: Buffer | null) => boolean>> = {
    upstream: new Set(),
    downstream: new Set(),
  };
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  let openPairs = 0;
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Errors are part of the faults we cause; each is handled by closing the pair.
    socket.on('error', () => undefined);
  };

  /** One direction of one connection: `from` → `to`. */
  const pipe = (
    direction: Direction,
    from: net.Socket,
    to: net.Socket,
    killPair: (reset: boolean) => void,
  ) => {
    const dirStats = stats[direction];
    // Each connection gets its own generator, so runs are reproducible per connection.
    const seed = faults[direction].flip?.seed ?? 1;
    const random = seededRandom(seed + accepted * 7919);
    let offset = 0; // bytes read from `from` on this connection
    let passed = 0; // bytes allowed through (before truncation/drop)
    let stalled = false; // truncated: swallow everything from now on
    let dropping = false;
    const queue: { bytes: Buffer; readyAt: number }[] = [];
    let queuedBytes = 0;
    let pumping = false;
    let ended = false;
    let sliceCredit = 0;
    let lastSliceAt = Date.now();
    let lastChunk: Buffer | null = null;
    const injector = (bytes: Buffer | null) => {
      const extra = bytes ?? lastChunk;
      if (!extra || to.destroyed || stalled || dropping) return false;
      queue.push({ bytes: Buffer.from(extra), readyAt: Date.now() });
      queuedBytes += extra.length;
      pump();
      return true;
    };
    injectors[direction].add(injector);
    to.on('close', () => injectors[direction].delete(injector));

    const finishIfDone = () => {
      if (ended && queue.length === 0 && !stalled && !dropping && !to.destroyed) to.end();
    };

    const pump = () => {
      if (pumping || to.destroyed) return;
      const head = queue[0];
      if (!head) {
        finishIfDone();
        return;
      }
      const now = Date.now();
      if (head.readyAt > now) {
        pumping = true;
        later(head.readyAt - now, () => {
          pumping = false;
          pump();
        });
        return;
      }
      let bytes = head.bytes;
      const rate = faults[direction].bytesPerSecond;
      if (rate !== undefined && rate > 0) {
        // Credit accrues at `rate`, capped at one slice (~10 ms worth), at least one byte.
        const slice = Math.max(1, Math.floor(rate / 100));
        sliceCredit = Math.min(slice, sliceCredit + ((now - lastSliceAt) * rate) / 1000);
        lastSliceAt = now;
        if (sliceCredit < 1) {
          pumping = true;
          later(Math.max(1, Math.ceil(((1 - sliceCredit) * 1000) / rate)), () => {
            pumping = false;
            pump();
          });
          return;
        }
        const n = Math.min(bytes.length, Math.floor(sliceCredit));
        sliceCredit -= n;
        if (n < bytes.length) {
          head.bytes = bytes.subarray(n);
          bytes = bytes.subarray(0, n);
        } else queue.shift();
      } else queue.shift();
      queuedBytes -= bytes.length;
      dirStats.forwarded += bytes.length;
      const last = queue.length === 0;
      if (dropping && last) {
        to.write(bytes, () => killPair(faults[direction].dropWithReset === true));
      } else {
        to.write(bytes);
      }
      if (queuedBytes < MAX_QUEUED_BYTES && from.isPaused() && !from.destroyed) from.resume();
      // Let other I/O in between slices; without a throttle this drains at once.
      if (rate !== undefined && queue.length > 0) {
        pumping = true;
        setImmediate(() => {
          pumping = false;
          pump();
        });
      } else pump();
    };

    from.on('data', (chunk: Buffer) => {
      const f = faults[direction];
      dirStats.received += chunk.length;
      const start = offset;
      offset += chunk.length;
      if (stalled || dropping) {
        dirStats.swallowed += chunk.length;
        return;
      }
      let bytes = Buffer.from(chunk); // our own copy: flips must not touch the sender's buffer
      lastChunk = Buffer.from(chunk);
      if (f.flip) {
        const mask = (f.flip.mask ?? 0xff) & 0xff;
        for (const at of f.flip.atOffsets ?? []) {
          if (at >= start && at < offset && mask !== 0) {
            bytes[at - start] = bytes[at - start]! ^ mask;
            dirStats.flipped += 1;
          }
        }
        const p = f.flip.probability ?? 0;
        if (p > 0) {
          for (let i = 0; i < bytes.length; i++) {
            if (random() < p) {
              bytes[i] = bytes[i]! ^ (1 + Math.floor(random() * 255));
              dirStats.flipped += 1;
            }
          }
        }
      }
      const cut = Math.min(f.truncateAfterBytes ?? Infinity, f.dropAfterBytes ?? Infinity);
      if (passed + bytes.length >= cut) {
        const keep = Math.max(0, cut - passed);
        dirStats.swallowed += bytes.length - keep;
        bytes = bytes.subarray(0, keep);
        if ((f.truncateAfterBytes ?? Infinity) <= (f.dropAfterBytes ?? Infinity)) stalled = true;
        else dropping = true;
      }
      passed += bytes.length;
      if (bytes.length > 0) {
        queue.push({ bytes, readyAt: Date.now() + (f.delayMs ?? 0) });
        queuedBytes += bytes.length;
      } else if (dropping && queue.length === 0) {
        // Nothing left to deliver before the cut: cut at once. Otherwise the cut happens
        // when the last queued byte is written (see pump).
        killPair(f.dropWithReset === true);
        return;
      }
      if (queuedBytes >= MAX_QUEUED_BYTES) from.pause();
      pump();
    });
    from.on('end', () => {
      ended = true;
      pump();
    });
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    accepted += 1;
    openPairs += 1;
    track(client);
    const upstream = net.connect({
      host: options.target.host,
      port: options.target.port,
      allowHalfOpen: true,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    track(upstream);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let pairClosed = false;
    const killPair = (reset: boolean) => {
      for (const socket of [client, upstream]) {
        if (socket.destroyed) continue;
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
      }
    };
    const onClose = () => {
      // A socket that closed with an error (or was destroyed) takes its partner with it;
      // a clean end was already forwarded by the pipe.
      if (!pairClosed && client.destroyed && upstream.destroyed) {
        pairClosed = true;
        openPairs -= 1;
      }
    };
    client.on('close', (hadError) => {
      if (hadError) killPair(false);
      onClose();
    });
    upstream.on('close', (hadError) => {
      if (hadError) killPair(false);
      onClose();
    });
    // A connect failure (target gone) closes the client too.
    upstream.on('error', () => killPair(false));
    client.on('error', () => killPair(false));
    pipe('upstream', client, upstream, killPair);
    pipe('downstream', upstream, client, killPair);
    upstream.once('connect', () => client.resume());
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: address.address,
    port: address.port,
    get connections() {
      return accepted;
    },
    get open() {
      return openPairs;
    },
    stats,
    setFaults(direction, next) {
      faults[direction] = next;
    },
    inject(direction, bytes) {
      let count = 0;
      for (const put of injectors[direction]) if (put(bytes)) count += 1;
      return count;
    },
    replay(direction) {
      let count = 0;
      for (const put of injectors[direction]) if (put(null)) count += 1;
      return count;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
