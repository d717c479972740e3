import net from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { selectProgress } from '../../src/actors/client';
import { selectStatus } from '../../src/actors/server';
import { encodeFrame } from '../../src/transport';
import { captureLogger, closeCodes, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

const SEED = 20_260_501;
const FRAMES = 10_000;
const CONCURRENCY = 20;
const HONEST_MS = 3000;
const HONEST_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const FUZZ_IP = '127.0.0.50';
const SERVER_MAX_FRAME = 64 * 1024;
const NOW_MICROS = Date.now() * 1000;

/** Valid client messages, the raw material of mutations. */
const validMessage = fc.oneof(
  fc.record({ type: fc.constant('tick'), seq: fc.nat(1000), t1: fc.constant(NOW_MICROS) }),
  fc.record({
    type: fc.constant('hello'),
    version: fc.constant(1),
    intervalMs: fc.constantFrom(10, 20, 1000),
  }),
  fc.record({ type: fc.constant('bye'), reason: fc.string({ maxLength: 40 }) }),
  fc.record({ type: fc.constant('auth'), proof: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
);

const field = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 20 }),
  fc.array(fc.nat(), { maxLength: 3 }),
);

/** Well-formed msgpack that is not a valid message: wrong types, missing or extra fields. */
const wrongShape = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.record(
    {
      type: fc.constantFrom('hello', 'tick', 'bye', 'auth', 'reply', 'welcome', 'x', ''),
      version: field,
      intervalMs: field,
      clientId: field,
      seq: field,
      t1: field,
      reason: field,
      proof: field,
      nonce: field,
    },
    { requiredKeys: ['type'] },
  ),
);

type Fuzz = { kind: string; bytes: Buffer };

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

const fuzzFrame: fc.Arbitrary<Fuzz> = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((bytes) => ({ kind: 'random bytes', bytes: Buffer.from(bytes) })),
  fc
    .tuple(
      validMessage,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([message, flips]) => {
      const bytes = Buffer.from(encodeFrame(message));
      for (const [at, xor] of flips) bytes[at % bytes.length] = bytes[at % bytes.length]! ^ xor;
      return { kind: 'mutated valid frame', bytes };
    }),
  fc
    .tuple(
      fc.constantFrom(0xffffffff, SERVER_MAX_FRAME + 1, SERVER_MAX_FRAME, 0x80000000, 0),
      fc.uint8Array({ maxLength: 32 }),
    )
    .map(([length, rest]) => ({
      kind: 'lying length prefix',
      bytes: Buffer.concat([u32(length), Buffer.from(rest)]),
    })),
  wrongShape.map((value) => {
    try {
      return { kind: 'msgpack of a wrong shape', bytes: encodeFrame(value) };
    } catch {
      return { kind: 'msgpack of a wrong shape', bytes: encodeFrame({ type: 'tick' }) };
    }
  }),
);

const world = tcpWorld('timeswarm-fuzz-');

/** Sends one connection's bytes, ends, and waits (bounded) for the server to close it. */
function throwAt(port: number, bytes: Buffer): Promise<'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: FUZZ_IP });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, 3000);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

test('10,000 random and mutated frames at a live server: no crash, three honest clients lose nothing', async () => {
  const log = captureLogger();
  const server = await world.startServer({ outDir: join(world.dir, 'server'), logger: log.logger });
  const s = server;
  const honest = HONEST_IPS.map((ip, i) =>
    world.startClient({
      port: s.port,
      localAddress: ip,
      requestedId: i + 1,
      durationMs: HONEST_MS,
      outDir: join(world.dir, `honest_${i + 1}`),
    }),
  );
  await until(() => honest.every((h) => selectProgress(h.actor.getSnapshot()).replies > 5));

  // The frames, and how they are grouped into connections, come from one seed.
  const frames = fc.sample(fuzzFrame, { seed: SEED, numRuns: FRAMES });
  const layout = fc.sample(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.boolean()), {
    seed: SEED + 1,
    numRuns: FRAMES,
  });
  const connections: Buffer[] = [];
  for (let i = 0, c = 0; i < frames.length; c++) {
    const [count, withHello] = layout[c]!;
    const group = frames.slice(i, i + count).map((f) => f.bytes);
    i += count;
    // Half the connections first say a valid hello, so that post-handshake parsing is hit too.
    if (withHello) group.unshift(encodeFrame({ type: 'hello', version: 1, intervalMs: 10 }));
    connections.push(Buffer.concat(group));
  }

  const outcomes = { closed: 0, timeout: 0 };
  let next = 0;
  // How much of the fuzz the honest sessions lived through.
  let thrownWhenHonestEnded = -1;
  void Promise.all(honest.map((h) => h.done)).then(() => (thrownWhenHonestEnded = next));
  const worker = async () => {
    while (next < connections.length) {
      const bytes = connections[next++]!;
      outcomes[await throwAt(s.port, bytes)] += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // The server is still up and serving.
  expect(selectStatus(s.actor.getSnapshot()).statePath).toBe('serving.listening');

  const summaries = await Promise.all(honest.map((h) => h.done));
  for (const summary of summaries) {
    expect(summary).toMatchObject({ outcome: 'done', error: null, lost: 0 });
    expect(summary.replies).toBe(summary.ticksSent);
  }
  await until(() => selectStatus(s.actor.getSnapshot()).connections === 0, 10_000);
  const stopped = await s.stop();
  expect(stopped.outcome).toBe('stopped');
  const table = await readTable(stopped.file);
  expect(table.endedAbruptly).toBe(false);
  for (const [i, ip] of HONEST_IPS.entries()) {
    expect(rowsFrom(table, ip, '127.0.0.1')).toHaveLength(summaries[i]!.ticksSent);
    expect(rowsFrom(table, '127.0.0.1', ip)).toHaveLength(summaries[i]!.ticksSent);
  }
  // Anything else in the file is a fuzz connection's tick that happened to be valid after a
  // valid hello, answered and counted by the server: nothing unaccounted for.
  const fuzzServed = stopped.clients.filter((c) => c.address === FUZZ_IP);
  const fuzzTicks = fuzzServed.reduce((sum, c) => sum + c.ticks, 0);
  const honestRows = summaries.reduce((sum, s) => sum + 2 * s.ticksSent, 0);
  expect(table.rows).toHaveLength(honestRows + 2 * fuzzTicks);
  expect(stopped.rows).toBe(table.rows.length);
  expect(outcomes.timeout).toBe(0);

  const codes: Record<string, number> = {};
  for (const code of closeCodes(log.entries)) codes[code] = (codes[code] ?? 0) + 1;
  const kinds: Record<string, number> = {};
  for (const f of frames) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  console.log(
    JSON.stringify(
      {
        frames: FRAMES,
        connections: connections.length,
        kinds,
        outcomes,
        serverCloseCodes: codes,
        fuzzClientsRegistered: fuzzServed.length,
        fuzzTicksAnswered: fuzzTicks,
        connectionsThrownWhileHonestRan:
          thrownWhenHonestEnded < 0 ? connections.length : thrownWhenHonestEnded,
        honest: summaries.map((s) => ({
          sent: s.ticksSent,
          replies: s.replies,
          missed: s.missedSlots,
        })),
      },
      null,
      1,
    ),
  );
});
