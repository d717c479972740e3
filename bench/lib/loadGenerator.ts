/**
 * An efficient load generator, run as its own process (bench-only code):
 *
 *   tsx bench/lib/loadGenerator.ts        (driven over IPC by a benchmark)
 *
 * It opens N TCP connections, does the real hello/welcome handshake (encodeFrame,
 * createFrameDecoder, decodePayload, parseServerMessage), then drives every socket from ONE
 * drift-free timer loop: the interval is cut into 1 ms sub-slots, client i belongs to
 * sub-slot i mod (interval / 1 ms), and sub-slot s is due at start + s ms, so the load is
 * spread evenly over the interval instead of arriving as one burst. A client's tick whose
 * whole interval has passed before the loop got to it is counted as a missed slot and never
 * sent late (like the tick grid). Replies are counted by walking the length prefixes only;
 * one reply in ~1000 is fully decoded and checked (type, seq) against the tick it answers.
 * Round trips come from the send time of the tick each reply answers (TCP keeps order).
 *
 * IPC requests → answers:
 *   { type: 'connect', host, port, clients, mode: 'timeswarm'|'echo' } → GeneratorConnected
 *   { type: 'run', durationMs, intervalMs, drainMs }                    → GeneratorRan
 *   { type: 'close' }                                                   → { type: 'closed' }, exit
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  createFrameDecoder,
  decodePayload,
  encodeFrame,
  parseServerMessage,
  SESSION_PROTOCOL_VERSION,
} from '../../src/transport';
import { tickFrame } from './tickFrame';

export type GeneratorMode = 'timeswarm' | 'echo' | 'proto';

export interface GeneratorConnected {
  type: 'connected';
  clients: number;
  failed: number;
  firstError: string | null;
  ms: number;
}

export interface GeneratorRan {
  type: 'ran';
  clients: number;
  /** Grid slots (clients × ticks per client). */
  slots: number;
  sent: number;
  replies: number;
  missed: number;
  /** Replies fully decoded and checked, and how many of those did not match their tick. */
  verified: number;
  mismatched: number;
  socketErrors: number;
  /** Lateness of the loop against each sub-slot, ms. */
  lateMeanMs: number;
  lateP99Ms: number;
  lateMaxMs: number;
  /** RTT histogram: [bucket index (10 µs each), count] for the non-empty buckets. */
  rttHistogram: [number, number][];
  /** CPU seconds this generator used during the run (ticks + drain). */
  cpuSeconds: number;
  /** Event-loop utilization of the generator during the run (1 = saturated). */
  elu: number;
  elapsedMs: number;
}

export const RTT_BUCKET_US = 10;
const RTT_BUCKETS = 100_000; // 1 s; the last bucket holds everything slower
const RING = 256; // ticks in flight remembered per client
const SUB_SLOT_MS = 1;
const VERIFY_EVERY = 997;

interface SimClient {
  socket: net.Socket;
  bucket: number;
  sent: number;
  replies: number;
  sentAt: Float64Array;
  seqs: Uint32Array;
  /** Frame counting state: bytes of the current header seen, payload bytes still to skip. */
  header: Buffer;
  headerFill: number;
  bodyLeft: number;
}

let mode: GeneratorMode = 'timeswarm';
let clients: SimClient[] = [];
const rttHistogram = new Uint32Array(RTT_BUCKETS + 1);
let verified = 0;
let mismatched = 0;
let socketErrors = 0;

/** Counts complete frames in `chunk`; spot-checks some replies. */
function onData(client: SimClient, chunk: Buffer): void {
  const now = performance.now();
  let off = 0;
  while (off < chunk.length) {
    if (client.bodyLeft === 0 && client.headerFill < 4) {
      const take = Math.min(4 - client.headerFill, chunk.length - off);
      chunk.copy(client.header, client.headerFill, off, off + take);
      client.headerFill += take;
      off += take;
      if (client.headerFill < 4) return;
      client.bodyLeft = client.header.readUInt32BE(0);
      if (client.bodyLeft > 0) continue;
    }
    const frameStart = off;
    const take = Math.min(client.bodyLeft, chunk.length - off);
    client.bodyLeft -= take;
    off += take;
    if (client.bodyLeft > 0) return;
    // One frame complete.
    client.headerFill = 0;
    const index = client.replies;
    client.replies += 1;
    if (index < client.sent && client.sent - index <= RING) {
      const rttUs = (now - client.sentAt[index % RING]!) * 1000;
      rttHistogram[Math.min(RTT_BUCKETS, Math.floor(rttUs / RTT_BUCKET_US))]! += 1;
      if (index % VERIFY_EVERY === 0 && take === client.header.readUInt32BE(0)) {
        verifyReply(chunk.subarray(frameStart, off), client.seqs[index % RING]!);
      }
    }
  }
}

function verifyReply(payload: Buffer, expectedSeq: number): void {
  verified += 1;
  try {
    const message = decodePayload(payload);
    if (mode !== 'echo') {
      const reply = parseServerMessage(message);
      if (reply.type !== 'reply' || reply.seq !== expectedSeq) mismatched += 1;
    } else {
      const echoed = message as { type?: string; seq?: number };
      if (echoed.type !== 'tick' || echoed.seq !== expectedSeq) mismatched += 1;
    }
  } catch {
    mismatched += 1;
  }
}

/** Connects one client and completes the handshake. */
function connectOne(
  host: string,
  port: number,
  index: number,
  buckets: number,
): Promise<SimClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const decoder = createFrameDecoder({ maxFrameBytes: 64 * 1024 });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('handshake timed out'));
    }, 30_000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      socket.write(
        encodeFrame({ type: 'hello', version: SESSION_PROTOCOL_VERSION, intervalMs: 10 }),
      );
    });
    const onHandshake = (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        socket.destroy();
        reject(error);
        return;
      }
      if (frames.length === 0) return;
      clearTimeout(timer);
      socket.off('data', onHandshake);
      if (decoder.bufferedBytes > 0 || frames.length > 1) {
        socket.destroy();
        reject(new Error('data after the welcome before any tick'));
        return;
      }
      try {
        const answer = decodePayload(frames[0]!);
        if (mode !== 'echo') {
          const welcome = parseServerMessage(answer);
          if (welcome.type !== 'welcome') throw new Error(`server answered ${welcome.type}`);
        } else if ((answer as { type?: string }).type !== 'hello') {
          throw new Error('echo did not echo the hello');
        }
      } catch (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.removeAllListeners('error');
      const client: SimClient = {
        socket,
        bucket: index % buckets,
        sent: 0,
        replies: 0,
        sentAt: new Float64Array(RING),
        seqs: new Uint32Array(RING),
        header: Buffer.alloc(4),
        headerFill: 0,
        bodyLeft: 0,
      };
      socket.on('data', (data: Buffer) => onData(client, data));
      socket.on('error', () => {
        socketErrors += 1;
      });
      resolve(client);
    };
    socket.on('data', onHandshake);
  });
}

async function connectAll(
  host: string,
  port: number,
  count: number,
  buckets: number,
): Promise<GeneratorConnected> {
  const started = performance.now();
  const CONCURRENCY = 64;
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const opened: SimClient[] = [];
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      try {
        opened.push(await connectOne(host, port, index, buckets));
      } catch (error) {
        failed += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  clients = opened;
  return {
    type: 'connected',
    clients: opened.length,
    failed,
    firstError,
    ms: performance.now() - started,
  };
}

function run(durationMs: number, intervalMs: number, drainMs: number): Promise<GeneratorRan> {
  const buckets = Math.max(1, Math.round(intervalMs / SUB_SLOT_MS));
  const subMs = intervalMs / buckets;
  const ticksPerClient = Math.round(durationMs / intervalMs);
  const totalSubs = ticksPerClient * buckets;
  const byBucket: SimClient[][] = Array.from({ length: buckets }, () => []);
  for (const client of clients) byBucket[client.bucket % buckets]!.push(client);
  const lateness: number[] = [];
  let sent = 0;
  let missed = 0;
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const start = performance.now() + 5;
  let sub = 0;

  return new Promise((resolve) => {
    const finish = () => {
      const cpu = process.cpuUsage(cpuBefore);
      const elu = performance.eventLoopUtilization(eluBefore);
      let replies = 0;
      for (const client of clients) replies += client.replies;
      const sorted = lateness.sort((a, b) => a - b);
      const histogram: [number, number][] = [];
      rttHistogram.forEach((count, bucket) => {
        if (count > 0) histogram.push([bucket, count]);
      });
      resolve({
        type: 'ran',
        clients: clients.length,
        slots: clients.length * ticksPerClient,
        sent,
        replies,
        missed,
        verified,
        mismatched,
        socketErrors,
        lateMeanMs: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
        lateP99Ms: sorted[Math.floor((sorted.length - 1) * 0.99)] ?? Number.NaN,
        lateMaxMs: sorted[sorted.length - 1] ?? Number.NaN,
        rttHistogram: histogram,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        elu: elu.utilization,
        elapsedMs: performance.now() - start,
      });
    };

    const drain = () => {
      const deadline = performance.now() + drainMs;
      const poll = () => {
        let inFlight = 0;
        for (const client of clients) inFlight += client.sent - client.replies;
        if (inFlight <= 0 || performance.now() >= deadline) finish();
        else setTimeout(poll, 5);
      };
      poll();
    };

    const fire = () => {
      let now = performance.now();
      while (sub < totalSubs && start + sub * subMs <= now) {
        const due = start + sub * subMs;
        const group = byBucket[sub % buckets]!;
        const slot = Math.floor(sub / buckets);
        if (now - due >= intervalMs) {
          missed += group.length;
        } else {
          lateness.push(now - due);
          for (const client of group) {
            if (client.socket.destroyed) {
              missed += 1;
              continue;
            }
            const at = client.sent % RING;
            client.sentAt[at] = performance.now();
            client.seqs[at] = slot;
            client.sent += 1;
            client.socket.write(tickFrame(slot));
          }
          sent += group.length;
        }
        sub += 1;
        now = performance.now();
      }
      if (sub < totalSubs) setTimeout(fire, Math.max(0, start + sub * subMs - performance.now()));
      else drain();
    };
    setTimeout(fire, 5);
  });
}

function closeAll(): Promise<void> {
  const bye = mode !== 'echo' ? encodeFrame({ type: 'bye', reason: 'benchmark over' }) : null;
  const closed = clients.map(
    (client) =>
      new Promise<void>((resolve) => {
        if (client.socket.destroyed) return resolve();
        client.socket.once('close', () => resolve());
        if (bye) client.socket.write(bye);
        client.socket.end();
        setTimeout(() => {
          client.socket.destroy();
          resolve();
        }, 5000).unref();
      }),
  );
  return Promise.all(closed).then(() => undefined);
}

interface Request {
  type: 'connect' | 'run' | 'close';
  host?: string;
  port?: number;
  clients?: number;
  mode?: GeneratorMode;
  durationMs?: number;
  intervalMs?: number;
  drainMs?: number;
}

process.on('message', (request: Request) => {
  const reply = (message: object) => process.send?.(message);
  if (request.type === 'connect') {
    mode = request.mode ?? 'timeswarm';
    const buckets = Math.max(1, Math.round((request.intervalMs ?? 10) / SUB_SLOT_MS));
    void connectAll(request.host ?? '127.0.0.1', request.port!, request.clients!, buckets).then(
      reply,
    );
  } else if (request.type === 'run') {
    void run(request.durationMs!, request.intervalMs ?? 10, request.drainMs ?? 2000).then(reply);
  } else if (request.type === 'close') {
    void closeAll().then(() => {
      reply({ type: 'closed' });
      setImmediate(() => process.exit(0));
    });
  }
});
process.on('disconnect', () => process.exit(1));
process.send?.({ type: 'ready' });
