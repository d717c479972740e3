import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import {
  clientProof,
  createFrameDecoder,
  createNonce,
  decodePayload,
  encodeFrame,
  frameOpener,
  frameSealer,
  SESSION_PROTOCOL_VERSION,
  type ServerMessage,
  sessionFrameKeys,
} from '../../src/transport';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { tempDir } from '../helpers/simulation';
import {
  captureLogger,
  closeCodes,
  readTable,
  startTcpClient,
  startTcpServer,
  type TcpServer,
} from '../helpers/tcp';
import { until } from '../helpers/until';

const SECRET = 'correct horse battery staple';
const INJECTED_T1 = 1_700_000_000_000_000;

let dir: { path: string; remove: () => Promise<void> };
let server: TcpServer | null = null;
let proxy: FaultProxy | null = null;
const sockets: net.Socket[] = [];

beforeEach(async () => {
  dir = await tempDir('timeswarm-mac-');
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await proxy?.close();
  proxy = null;
  await server?.stop();
  server = null;
  await dir.remove();
});

/** Our server with a secret, and a relay between it and the client. */
async function relayed() {
  const log = captureLogger();
  server = await startTcpServer({
    outDir: join(dir.path, 'server'),
    logger: log.logger,
    secret: SECRET,
  });
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port } });
  const client = startTcpClient(proxy.port, {
    outDir: join(dir.path, 'client'),
    durationMs: 20_000,
    secret: SECRET,
    reconnect: { attempts: 0 },
  });
  // Ticking: the challenge, the welcome and a few replies have come back through the relay.
  await until(() => proxy!.stats.downstream.forwarded > 400);
  return { log, client, relay: proxy };
}

describe('per-frame integrity with a secret, over real TCP through a relay', () => {
  test('a tick injected by the relay is never answered nor logged: ERR_AUTH, the connection ends', async () => {
    const { log, client, relay } = await relayed();
    expect(relay.inject('upstream', encodeFrame({ type: 'tick', seq: 7, t1: INJECTED_T1 }))).toBe(
      1,
    );
    await until(() => closeCodes(log.entries).includes('ERR_AUTH'));
    const summary = await client.done;
    expect(summary.endedEarly).not.toBeNull();
    const stopped = await server!.stop();
    const rows = (await readTable(stopped.file)).rows;
    expect(rows.some((row) => row.timeMicros === INJECTED_T1)).toBe(false);
    expect(stopped.clients.map((c) => c.code)).toEqual(['ERR_AUTH']);
  });

  test('a tick replayed by the relay (a valid sealed frame, sent twice) fails its number', async () => {
    const { log, client, relay } = await relayed();
    expect(relay.replay('upstream')).toBe(1);
    await until(() => closeCodes(log.entries).includes('ERR_AUTH'));
    await client.done;
  });

  test('a reply altered on the way back: the client ends the session with ERR_AUTH', async () => {
    const { client, relay } = await relayed();
    // Flip a byte in the middle of the next reply (offsets count from the first byte).
    relay.setFaults('downstream', { flip: { atOffsets: [relay.stats.downstream.received + 30] } });
    const summary = await client.done;
    expect(summary.endedEarly?.code).toBe('ERR_AUTH');
  });

  test('a clean session with a secret ends OK on both sides: every frame, the bye too, checks', async () => {
    server = await startTcpServer({ outDir: join(dir.path, 'server'), secret: SECRET });
    const summary = await startTcpClient(server.port, {
      outDir: join(dir.path, 'client'),
      durationMs: 300,
      secret: SECRET,
    }).done;
    expect(summary).toMatchObject({ outcome: 'done', lost: 0, endedEarly: null });
    expect(summary.replies).toBe(summary.ticksSent);
    const stopped = await server.stop();
    expect(stopped.clients.map((c) => c.code)).toEqual(['OK']);
    expect(stopped.clients[0]?.reason).toMatch(/bye/);
  });

  test('a client in another language can do it from docs/protocol.md: raw socket, sealed ticks', async () => {
    server = await startTcpServer({ outDir: join(dir.path, 'server'), secret: SECRET });
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    sockets.push(socket);
    await once(socket, 'connect');
    const decoder = createFrameDecoder();
    const inbox: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => inbox.push(...decoder.push(chunk)));
    const next = async () => {
      await until(() => inbox.length > 0);
      return inbox.shift()!;
    };
    const nonce = createNonce();
    socket.write(
      encodeFrame({ type: 'hello', version: SESSION_PROTOCOL_VERSION, intervalMs: 10, nonce }),
    );
    const challenge = decodePayload(await next()) as Extract<ServerMessage, { type: 'challenge' }>;
    socket.write(encodeFrame({ type: 'auth', proof: clientProof(SECRET, challenge.nonce) }));
    expect((decodePayload(await next()) as ServerMessage).type).toBe('welcome');
    const keys = sessionFrameKeys(SECRET, nonce, challenge.nonce, 'client');
    const seal = frameSealer(keys.send);
    const open = frameOpener(keys.receive);
    for (let seq = 0; seq < 3; seq += 1) {
      socket.write(seal(encodeFrame({ type: 'tick', seq, t1: INJECTED_T1 + seq })));
      const reply = decodePayload(open(await next())) as ServerMessage;
      expect(reply).toMatchObject({ type: 'reply', seq, t1: INJECTED_T1 + seq });
    }
    // The same tick without its tag is refused, and the connection ends.
    socket.write(encodeFrame({ type: 'tick', seq: 3, t1: INJECTED_T1 + 3 }));
    await until(() => socket.readableEnded || socket.destroyed);
    const stopped = await server.stop();
    expect(stopped.clients.map((c) => c.code)).toEqual(['ERR_AUTH']);
  });
});
