import { once } from 'node:events';
import net from 'node:net';
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from '../helpers/faultProxy';
import { until } from '../helpers/until';

/** A target that records what each connection sends it, and can answer. */
async function startTarget() {
  const server = net.createServer({ allowHalfOpen: true });
  const peers: { socket: net.Socket; received: Buffer[]; ended: boolean; closed: boolean }[] = [];
  server.on('connection', (socket) => {
    const peer = { socket, received: [] as Buffer[], ended: false, closed: false };
    peers.push(peer);
    socket.on('data', (chunk: Buffer) => peer.received.push(chunk));
    socket.on('end', () => (peer.ended = true));
    socket.on('close', () => (peer.closed = true));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    peers,
    close: () => {
      for (const p of peers) p.socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket that records what it receives and how it ended. */
async function connectClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const state = {
    received: [] as Buffer[],
    ended: false,
    closed: false,
    error: null as string | null,
  };
  socket.on('data', (chunk: Buffer) => state.received.push(chunk));
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', (error: NodeJS.ErrnoException) => (state.error = error.code ?? 'ERR'));
  await once(socket, 'connect');
  return { socket, state, bytes: () => Buffer.concat(state.received) };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

let target: Awaited<ReturnType<typeof startTarget>>;
let proxy: FaultProxy | null = null;
const cleanups: (() => void)[] = [];

beforeEach(async () => {
  target = await startTarget();
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await proxy?.close();
  proxy = null;
  await target.close();
});

async function withProxy(faults: Omit<FaultProxyOptions, 'target'> = {}) {
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: target.port }, ...faults });
  const client = await connectClient(proxy.port);
  cleanups.push(() => client.socket.destroy());
  await until(() => target.peers.length === 1);
  const peer = target.peers[0]!;
  const atTarget = () => Buffer.concat(peer.received);
  return { proxy, client, peer, atTarget };
}

describe('fault proxy', () => {
  test('without faults it forwards both ways unchanged, and ends cleanly', async () => {
    const { client, peer, atTarget } = await withProxy();
    const data = pattern(100_000);
    client.socket.write(data);
    await until(() => atTarget().length === data.length);
    expect(atTarget().equals(data)).toBe(true);
    peer.socket.write(pattern(5000));
    await until(() => client.bytes().length === 5000);
    expect(client.bytes().equals(pattern(5000))).toBe(true);
    client.socket.end();
    await until(() => peer.ended);
    peer.socket.end();
    await until(() => client.state.closed && peer.closed);
    expect(proxy!.stats.upstream).toMatchObject({ received: 100_000, forwarded: 100_000 });
  });

  test('delay holds bytes back, then delivers them intact and in order', async () => {
    const { client, atTarget } = await withProxy({ upstream: { delayMs: 300 } });
    client.socket.write(pattern(10));
    client.socket.write(pattern(20).subarray(10));
    await turns();
    expect(atTarget().length).toBe(0);
    await until(() => atTarget().length === 20);
    expect(atTarget().equals(pattern(20))).toBe(true);
  });

  test('throttle trickles bytes in small slices, intact', async () => {
    const { client, atTarget, peer } = await withProxy({ upstream: { bytesPerSecond: 2000 } });
    client.socket.write(pattern(600));
    await turns();
    expect(atTarget().length).toBeLessThan(600);
    await until(() => atTarget().length === 600);
    expect(atTarget().equals(pattern(600))).toBe(true);
    expect(peer.received.length).toBeGreaterThan(10); // many slices, not one chunk
  });

  test('drop after N bytes delivers exactly N bytes, then closes both sides', async () => {
    const { client, peer, atTarget } = await withProxy({ upstream: { dropAfterBytes: 1234 } });
    client.socket.write(pattern(5000));
    // Our test sockets allow half-open streams: the proxy's close shows as the end of each.
    await until(() => peer.ended && client.state.ended);
    expect(atTarget().equals(pattern(1234))).toBe(true);
    expect(proxy!.stats.upstream.swallowed).toBe(5000 - 1234);
  });

  test('drop with reset gives the other side ECONNRESET', async () => {
    const { client } = await withProxy({ downstream: { dropAfterBytes: 0, dropWithReset: true } });
    target.peers[0]!.socket.write(pattern(10));
    await until(() => client.state.closed);
    expect(client.bytes().length).toBe(0);
    expect(client.state.error).toBe('ECONNRESET');
  });

  test('truncate forwards N bytes, then swallows the rest and the end, keeping the socket open', async () => {
    const { client, peer, atTarget } = await withProxy({ upstream: { truncateAfterBytes: 100 } });
    client.socket.write(pattern(1000));
    client.socket.end();
    await until(() => atTarget().length === 100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(atTarget().equals(pattern(100))).toBe(true);
    expect(peer.ended).toBe(false);
    expect(peer.closed).toBe(false);
    // The other direction still works.
    peer.socket.write(pattern(7));
    await until(() => client.bytes().length === 7);
  });

  test('flips the byte at each given offset (XOR mask) and nothing else', async () => {
    const { client, atTarget } = await withProxy({
      upstream: { flip: { atOffsets: [0, 500, 4999], mask: 0x0f } },
    });
    const data = pattern(5000);
    // In pieces, so that offsets are counted across chunks.
    for (let i = 0; i < 5000; i += 333) client.socket.write(data.subarray(i, i + 333));
    await until(() => atTarget().length === 5000);
    const got = atTarget();
    const changed = [...got.keys()].filter((i) => got[i] !== data[i]);
    expect(changed).toEqual([0, 500, 4999]);
    expect(got[500]).toBe(data[500]! ^ 0x0f);
    expect(proxy!.stats.upstream.flipped).toBe(3);
  });

  test('random flips are reproducible from their seed', async () => {
    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const p = await startFaultProxy({
        target: { host: '127.0.0.1', port: target.port },
        downstream: { flip: { probability: 0.01, seed: 42 } },
      });
      const client = await connectClient(p.port);
      await until(() => target.peers.length === run + 1);
      const data = pattern(20_000);
      target.peers[run]!.socket.write(data);
      await until(() => client.bytes().length === data.length);
      const got = client.bytes();
      runs.push([...got.keys()].filter((i) => got[i] !== data[i]));
      client.socket.destroy();
      await p.close();
    }
    expect(runs[0]).toEqual(runs[1]);
    // About 1% of 20,000 bytes.
    expect(runs[0]!.length).toBeGreaterThan(100);
    expect(runs[0]!.length).toBeLessThan(400);
  });

  test('close() destroys live connections and stops listening', async () => {
    const { client, peer } = await withProxy({ upstream: { delayMs: 10_000 } });
    client.socket.write(pattern(10)); // a pending delayed chunk: its timer must go too
    const port = proxy!.port;
    await proxy!.close();
    // Ended (FIN) or reset, depending on what was in flight: either way, gone.
    await until(() => (client.state.ended || client.state.closed) && (peer.ended || peer.closed));
    const refused = net.connect({ host: '127.0.0.1', port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(proxy!.open).toBe(0);
  });
});
