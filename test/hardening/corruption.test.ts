import { join } from 'node:path';
import type { ClientSessionInput } from '../../src/actors/client';
import { selectStatus } from '../../src/actors/server';
import type { ParsedRow } from '../../src/storage';
import { type DirectionFaults, type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { captureLogger, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

// Frame sizes of the reference implementation for this session (client ID < 128, seq < 128,
// ack < 128, no secret): every tick and every reply has the same length, so the k-th one starts
// at a known offset of its direction's byte stream. A tick is {type, seq, t1, ack}: 32 bytes up
// to its t1, then the key "ack" and a one-byte count (docs/protocol.md, tick).
const HELLO_BYTES = 47; // hello {version, clientId, intervalMs}
const TICK_BYTES = 37;
const WELCOME_BYTES = 57;
const REPLY_BYTES = 57;
const K = 20; // the tick or reply that gets corrupted
const tickAt = (k: number) => HELLO_BYTES + k * TICK_BYTES;
const replyAt = (k: number) => WELCOME_BYTES + k * REPLY_BYTES;
// Where a flip lands inside a frame, and what the receiver must say about it.
const STRUCTURAL: [string, number, string][] = [
  // 00 00 00 1c → 00 ff 00 1c: 16 MiB announced, over both receivers' limits.
  ['the length prefix', 1, 'ERR_FRAME_TOO_LARGE'],
  // 0x83/0x85 (fixmap) → a positive fixint followed by stray bytes.
  ['the map header', 4, 'ERR_DECODE'],
  // A letter of "tick"/"reply" → an invalid UTF-8 byte: the type is no known message.
  ['the message type', 12, 'ERR_INVALID_MESSAGE'],
];

const IP = '127.0.0.2';
const SERVER_IP = '127.0.0.1';

const world = tcpWorld('timeswarm-corrupt-');
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

const times = (rows: ParsedRow[]) => rows.map((r) => r.timeMicros);

/** One client session through a corrupting proxy; both files read back afterwards. */
async function corruptedSession(
  faults: { upstream?: DirectionFaults; downstream?: DirectionFaults },
  extra: Partial<ClientSessionInput> = {},
  onProxy: (p: FaultProxy) => void = () => undefined,
  secret?: string,
) {
  const log = captureLogger();
  const server = await world.startServer({
    outDir: join(world.dir, 'server'),
    logger: log.logger,
    ...(secret !== undefined ? { secret } : {}),
  });
  const s = server;
  proxy = await startFaultProxy({
    target: { host: SERVER_IP, port: s.port },
    localAddress: IP, // the server sees the client's own address
    ...faults,
  });
  const p = proxy;
  const client = world.startClient({
    port: p.port,
    localAddress: IP,
    requestedId: 1,
    durationMs: 1000,
    outDir: join(world.dir, 'client'),
    reconnect: { attempts: 0 },
    ...extra,
  });
  const watch = setInterval(() => onProxy(p), 2);
  const summary = await client.done.finally(() => clearInterval(watch));
  await until(() => selectStatus(s.actor.getSnapshot()).connections === 0);
  const stopped = await s.stop();
  const serverTable = await readTable(stopped.file);
  const clientTable = await readTable(summary.files!.table);
  return {
    summary,
    served: stopped.clients,
    server: {
      table: serverTable,
      ticks: rowsFrom(serverTable, IP, SERVER_IP),
      replies: rowsFrom(serverTable, SERVER_IP, IP),
    },
    client: {
      table: clientTable,
      ticks: rowsFrom(clientTable, IP, SERVER_IP),
      replies: rowsFrom(clientTable, SERVER_IP, IP),
    },
    proxy: p,
  };
}

/** Both files are whole and agree: nothing one side logged contradicts the other. */
function expectConsistent(run: Awaited<ReturnType<typeof corruptedSession>>) {
  const { server: srv, client } = run;
  // Every row is one of this session's (the parser already checked each row's syntax).
  expect(srv.ticks.length + srv.replies.length).toBe(srv.table.rows.length);
  expect(client.ticks.length + client.replies.length).toBe(client.table.rows.length);
  expect(srv.ticks.length).toBe(srv.replies.length);
  // The server logged a prefix of the client's ticks (the client may have sent a few more
  // that died with the connection before it saw the reset: how many depends on how busy the
  // machine is), and the client logged a prefix of the replies.
  expect(times(srv.ticks)).toEqual(times(client.ticks).slice(0, srv.ticks.length));
  expect(client.ticks.length - srv.ticks.length).toBeLessThanOrEqual(10);
  expect(times(client.replies)).toEqual(times(srv.replies).slice(0, client.replies.length));
}

describe('corruption through the fault proxy (real TCP)', () => {
  test.each(STRUCTURAL)(
    'client → server, a flip in %s (byte %i of tick 20): the server drops the connection with %s, nothing corrupt is logged',
    async (_where, at, code) => {
      const run = await corruptedSession({ upstream: { flip: { atOffsets: [tickAt(K) + at] } } });
      expect(run.proxy.stats.upstream.flipped).toBe(1);
      expect(run.served).toMatchObject([{ clientId: 1, code, ticks: K }]);
      expect(run.server.ticks).toHaveLength(K);
      expect(run.summary.outcome).toBe('failed');
      expect(['ECONNRESET', 'ERR_CONNECTION_CLOSED']).toContain(run.summary.error?.code);
      expect(run.client.table.end?.endedEarly).toBeDefined();
      expect(run.client.replies).toHaveLength(K);
      expectConsistent(run);
    },
  );

  test.each(STRUCTURAL)(
    'server → client, a flip in %s (byte %i of reply 20): the client drops the connection with %s, nothing corrupt is logged',
    async (_where, at, code) => {
      const run = await corruptedSession({
        downstream: { flip: { atOffsets: [replyAt(K) + at] } },
      });
      expect(run.proxy.stats.downstream.flipped).toBe(1);
      expect(run.summary).toMatchObject({ outcome: 'failed', replies: K });
      expect(run.summary.error?.code).toBe(code);
      expect(run.client.table.end?.endedEarly).toBeDefined();
      expect(run.client.replies).toHaveLength(K);
      // The server answered tick 20 (its reply was the one corrupted) and maybe a few more.
      expect(run.server.ticks.length).toBeGreaterThan(K);
      expect(['ECONNRESET', 'ERR_CONNECTION_CLOSED']).toContain(run.served[0]?.code);
      expectConsistent(run);
    },
  );

  test('with reconnect on, a corrupted reply costs one reconnection; the session still completes', async () => {
    const run = await corruptedSession(
      { downstream: { flip: { atOffsets: [replyAt(K) + 4] } } },
      { reconnect: { attempts: 3, initialDelayMs: 100, maxDelayMs: 200 } },
      // The offset counts per connection: corrupt only the first one.
      (p) => {
        if (p.stats.downstream.flipped > 0) p.setFaults('downstream', {});
      },
    );
    expect(run.summary).toMatchObject({ outcome: 'done', reconnections: 1, endedEarly: null });
    expect(run.summary.lost).toBeLessThanOrEqual(10); // in flight on the dropped connection
    expect(run.served.map((c) => c.code)).toHaveLength(2);
    expect(run.client.table.end?.notes).toMatch(/^1 reconnection/);
    // Same client, same address, one file on each side; still no contradiction.
    expect(run.server.ticks.length).toBe(run.server.replies.length);
    expect(times(run.client.replies).every((t) => times(run.server.replies).includes(t))).toBe(
      true,
    );
    const serverTicks = new Set(times(run.server.ticks));
    const clientTicks = times(run.client.ticks);
    expect(clientTicks.filter((t) => !serverTicks.has(t)).length).toBeLessThanOrEqual(10);
    expect(run.server.ticks.every((r) => clientTicks.includes(r.timeMicros))).toBe(true);
  });

  // Without a secret the protocol has no integrity check of its own (TCP's checksum aside): a
  // flip that leaves a valid message, such as a bit of a timestamp, cannot be told from a true
  // one (docs/reliability.md). With a secret every frame after the welcome carries a MAC
  // (docs/protocol.md 4.3.2), and the same flip ends the connection with ERR_AUTH before the
  // frame is acted on. Frame sizes with a secret: hello + nonce 71 bytes, auth 55, then ticks of
  // 37 + 16; challenge 84, welcome 57, then replies of 57 + 16.
  const SECRET = 'corruption-test-secret';
  const tickWithMacAt = (k: number) => 71 + 55 + k * (TICK_BYTES + 16);
  const replyWithMacAt = (k: number) => 84 + WELCOME_BYTES + k * (REPLY_BYTES + 16);

  test('with a secret, a flip inside the timestamp of a tick is detected: the server ends with ERR_AUTH, nothing of that tick is logged', async () => {
    const run = await corruptedSession(
      { upstream: { flip: { atOffsets: [tickWithMacAt(K) + 30], mask: 0x01 } } },
      { secret: SECRET },
      undefined,
      SECRET,
    );
    expect(run.proxy.stats.upstream.flipped).toBe(1);
    expect(run.served).toMatchObject([{ clientId: 1, code: 'ERR_AUTH', ticks: K }]);
    expect(run.server.ticks).toHaveLength(K);
    expect(run.summary.outcome).toBe('failed');
    expect(run.client.replies).toHaveLength(K);
    expectConsistent(run);
  });

  test('with a secret, a flip inside the timestamp of a reply is detected: the client ends with ERR_AUTH, nothing of that reply is logged', async () => {
    const run = await corruptedSession(
      { downstream: { flip: { atOffsets: [replyWithMacAt(K) + 55], mask: 0x01 } } },
      { secret: SECRET },
      undefined,
      SECRET,
    );
    expect(run.proxy.stats.downstream.flipped).toBe(1);
    expect(run.summary).toMatchObject({ outcome: 'failed', replies: K });
    expect(run.summary.error?.code).toBe('ERR_AUTH');
    expect(run.client.replies).toHaveLength(K);
    expect(run.server.ticks.length).toBeGreaterThan(K);
    expectConsistent(run);
  });
});
