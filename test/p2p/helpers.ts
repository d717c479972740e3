import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerInput } from '../../src/actors/peer';
import { generateIdentity, Handshake } from '../../src/p2p/identity';
import { type StartedPeer, startPeer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';

export const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'timeswarm-p2p-'));
}

/** Short timeouts so faults resolve in well under a second. */
export const FAST: Partial<PeerInput> = {
  lingerMs: 3000,
  tickMs: 50,
  discoveryTimeoutMs: 5000,
  giveUpAfterMs: 1500,
  busyCooldownMs: 200,
  closeTimeoutMs: 500,
  durable: false,
  timing: {
    connectTimeoutMs: 1000,
    handshakeTimeoutMs: 1000,
    stallTimeoutMs: 600,
    retry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 100 },
  },
};

export interface TestPeer {
  dir: string;
  file: string | null;
  data: Buffer | null;
  started: StartedPeer;
}

/** Writes `data` as `name` in a fresh folder under `root` and starts a peer sharing it. */
export async function launch(
  root: string,
  label: string,
  own: { name: string; data: Buffer } | null,
  options: Partial<PeerInput>,
): Promise<TestPeer> {
  const dir = join(root, label);
  await mkdir(dir, { recursive: true });
  let file: string | null = null;
  if (own) {
    file = join(dir, own.name);
    await writeFile(file, own.data);
  }
  const started = await startPeer({
    transport: tcpTransport,
    listen: { host: '127.0.0.1', port: 0 },
    files: file ? [file] : [],
    dir,
    ...FAST,
    ...options,
  });
  return { dir, file, data: own?.data ?? null, started };
}

/** Every file in `dir` (not temporaries) with its SHA-256. */
/**
 * Each test's own folder (`root`) and the peers it launched (`peers`): after each test every
 * peer still running is stopped and awaited, and the folder removed.
 */
export function peerWorld(): { readonly root: string; readonly peers: TestPeer[] } {
  let root = '';
  const peers: TestPeer[] = [];
  beforeEach(async () => {
    root = await tempDir();
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) {
      if (p.started.actor.getSnapshot().status === 'active')
        p.started.actor.send({ type: 'peer.stop', reason: 'test over' });
      await p.started.done.catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    peers,
  };
}

export async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    out[name] = sha(await readFile(join(dir, name)));
  }
  return out;
}

export { randomBytes, rm };

import net from 'node:net';
import type { Transport } from '../../src/transport';
import {
  createFrameDecoder,
  decodePayload,
  encodeFrame,
  isCurrentHello,
  PEER_MAX_FRAME_BYTES,
  type PeerBye,
  type PeerConnection,
  type PeerEntry,
  type PeerMessage,
  peerConnection,
} from '../../src/transport';

/** A hand-driven peer speaking the raw protocol: for hostile, silent and scripted peers. */
export interface FakePeer {
  /** Its proven ID (the fingerprint of its fresh key). */
  peerId: string;
  connection: PeerConnection;
  received: PeerMessage[];
  /** Resolves when the real peer ends the connection: with its bye, if it sent one. */
  closed: Promise<{ bye: PeerBye | null; code: string | null }>;
  send(message: PeerMessage): void;
  /** Resolves with the first received message of `type` (bounded wait). */
  next<T extends PeerMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<PeerMessage, { type: T }>>;
}

export async function fakePeer(
  transport: Transport,
  target: { host: string; port: number },
  self: Partial<Omit<PeerEntry, 'peerId'>> = {},
  onMessage?: (message: PeerMessage, fake: FakePeer) => void,
  secret?: string,
): Promise<FakePeer> {
  const { identity } = generateIdentity();
  const channel = await transport.connect(target);
  const connection = peerConnection(channel);
  const received: PeerMessage[] = [];
  let bye: PeerBye | null = null;
  const waiters: Array<() => void> = [];
  let fake!: FakePeer;
  // The v2 handshake with a fresh key of its own (our Handshake class: this fake is a
  // scripted peer, not an attacker; hostile handshakes are in test/helpers/hostilePeer.ts).
  const handshake = new Handshake({ identity, role: 'dialer', ...(secret ? { secret } : {}) });
  // Our hello first: the connection delivers what already arrived as soon as it is read.
  connection.send({ type: 'hello', ...handshake.hello() } as PeerMessage);
  const closed = new Promise<{ bye: PeerBye | null; code: string | null }>((resolve) => {
    connection.messages$.subscribe({
      next: ({ message }) => {
        received.push(message);
        if (message.type === 'hello' && isCurrentHello(message)) {
          const step = handshake.receiveHello(message);
          if (step.ok) connection.send({ type: 'auth', ...step.value } as PeerMessage);
        }
        if (message.type === 'auth') {
          // Proven: greet with its own entry, as a peer's greeting ends.
          if (handshake.receiveAuth(message).ok) {
            connection.send({
              type: 'peers',
              peers: [
                {
                  host: '127.0.0.1',
                  port: 9,
                  seq: 1,
                  complete: false,
                  offers: [],
                  ...self,
                  peerId: identity.peerId,
                },
              ],
            });
          }
        }
        if (message.type === 'bye') bye = message;
        onMessage?.(message, fake);
        for (const w of waiters.splice(0)) w();
      },
      error: (error: { code?: string }) => resolve({ bye, code: bye?.code ?? error.code ?? 'ERR' }),
      complete: () => resolve({ bye, code: bye?.code ?? null }),
    });
  });
  fake = {
    peerId: identity.peerId,
    connection,
    received,
    closed,
    send: (message) => connection.send(message),
    next: (type, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = () => {
          const found = received.find((m) => m.type === type);
          if (found) return resolve(found as never);
          if (Date.now() - started > timeoutMs) return reject(new Error(`no ${type} message`));
          waiters.push(check);
          setTimeout(check, 50);
        };
        check();
      }),
  };
  return fake;
}

/**
 * A TCP proxy in front of a peer that tampers with the `chunk` messages the peer sends
 * back through it: `corrupt(n)` decides, for the n-th chunk (from 0), whether to flip a bit.
 */
export async function corruptingProxy(corrupt: (n: number) => boolean): Promise<{
  port: number;
  /** Where to forward; set it before anyone connects. */
  target: { host: string; port: number };
  corrupted: () => number;
  close: () => Promise<void>;
}> {
  const target = { host: '127.0.0.1', port: 0 };
  let seen = 0;
  let corrupted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const decoder = createFrameDecoder({ maxFrameBytes: PEER_MAX_FRAME_BYTES });
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      for (const payload of decoder.push(d)) {
        const message = decodePayload(payload) as { type: string; data?: Buffer };
        if (
          message.type === 'chunk' &&
          message.data &&
          message.data.length > 0 &&
          corrupt(seen++)
        ) {
          const data = Buffer.from(message.data);
          data.writeUInt8(data[0]! ^ 0x01, 0);
          message.data = data;
          corrupted += 1;
        }
        client.write(encodeFrame(message));
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    target,
    corrupted: () => corrupted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The one bounded wait (on an actor: checked on every snapshot change). */
export { until } from '../helpers/until';

/**
 * A test's folder, the peers it launched and the hostile sockets it opened, with the hooks that
 * make the folder and close and stop all of them after each test.
 */
export function hostileWorld(): {
  root: string;
  peers: TestPeer[];
  sockets: Array<{ close(): void }>;
} {
  const world = { root: '', peers: [] as TestPeer[], sockets: [] as Array<{ close(): void }> };
  beforeEach(async () => {
    world.root = await tempDir();
  });
  afterEach(async () => {
    for (const s of world.sockets.splice(0)) s.close();
    for (const p of world.peers.splice(0)) {
      if (p.started.actor.getSnapshot().status === 'active')
        p.started.actor.send({ type: 'peer.stop', reason: 'test over' });
      await p.started.done.catch(() => undefined);
    }
    await rm(world.root, { recursive: true, force: true });
  });
  return world;
}
