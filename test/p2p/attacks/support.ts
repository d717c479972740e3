/**
 * The red-team harness for issue 9 (docs/reliability.md, P2P): victims are real
 * `timeswarm share` processes (the built CLI) on 127.0.0.x; the attacker is test code that
 * speaks the v2 protocol's raw bytes (test/helpers/hostilePeer.ts, hostileCrypto.ts —
 * written from docs/protocol-p2p.md §9, none of our classes).
 *
 * Every victim records each outgoing TCP connect (test/helpers/dialRecorder.cjs, preloaded),
 * so a test knows every address it dialed — also ones nothing listens on. Every process
 * must exit by itself within a bound; every socket and listener is closed in teardown.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { killAll, timeswarm } from '../../helpers/cliProcess';
import {
  type HostileKey,
  hostileKey,
  manifestFieldsOf,
  manifestMessage,
  recordEntry,
} from '../../helpers/hostileCrypto';
import { HostilePeer, type WireMessage } from '../../helpers/hostilePeer';
import { rm, tempDir } from '../helpers';

const RECORDER = join(__dirname, '..', '..', 'helpers', 'dialRecorder.cjs');

/**
 * Each test's own folder and what to close after it, with the hooks that make and clean them:
 * every attack file's prelude.
 */
export function attackWorld(): { root: string; closers: Array<() => unknown> } {
  const world = { root: '', closers: [] as Array<() => unknown> };
  beforeEach(async () => {
    world.root = await tempDir();
  });
  afterEach(async () => {
    for (const close of world.closers.splice(0)) await close();
    killAll();
    await rm(world.root, { recursive: true, force: true });
  });
  return world;
}

export const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A process must be gone this long after it was started at the latest (generous: a loaded box). */
export const EXIT_BOUND_MS = 45_000;

export type Proc = ReturnType<typeof timeswarm>;

export interface Victim {
  proc: Proc;
  label: string;
  dir: string;
  host: string;
  port: number;
  address: string;
  peerId: string;
  dialLog: string;
}

export interface VictimOptions {
  /** Loopback address it listens (and dials) from. */
  host: string;
  files?: Array<{ name: string; data: Buffer }>;
  /** Extra CLI arguments (`--expect`, `--peers`, `--trust`, …). */
  args?: string[];
  /** Its key, written before start (mode 0600), so its ID is known beforehand. */
  key?: HostileKey;
  /** Folder to receive into (default ROOT/LABEL). */
  dir?: string;
  linger?: string;
  giveUp?: string;
  cwd?: string;
}

/** Starts `timeswarm share --json` as a victim and waits until it listens. */
export async function startVictim(root: string, label: string, o: VictimOptions): Promise<Victim> {
  const dir = o.dir ?? join(root, label);
  await mkdir(dir, { recursive: true });
  const fileArgs: string[] = [];
  for (const f of o.files ?? []) {
    await writeFile(join(dir, f.name), f.data);
    fileArgs.push('--file', join(dir, f.name));
  }
  if (o.key) await writePeerKey(join(dir, '.timeswarm-peer.key'), o.key);
  const dialLog = join(root, `${label}.dials`);
  await writeFile(dialLog, '');
  const proc = timeswarm(
    [
      'share',
      '--json',
      '--dir',
      dir,
      '--listen',
      `${o.host}:0`,
      '--linger',
      o.linger ?? '1s',
      '--give-up',
      o.giveUp ?? '3s',
      '--discovery-timeout',
      '10s',
      ...fileArgs,
      ...(o.args ?? []),
    ],
    {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${RECORDER}`.trim(),
      TIMESWARM_TEST_DIAL_LOG: dialLog,
    },
    o.cwd,
  );
  const [, peerId, host, port] = await proc.waitFor(/^peer (\S+) listening on (\S+):(\d+),/m);
  return {
    proc,
    label,
    dir,
    host: host!,
    port: Number(port),
    address: `${host}:${port}`,
    peerId: peerId!,
    dialLog,
  };
}

/** A key file the CLI accepts: PKCS#8 PEM, mode 0600. */
export async function writePeerKey(path: string, key: HostileKey): Promise<void> {
  await writeFile(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, {
    mode: 0o600,
  });
  await chmod(path, 0o600);
}

export interface Summary {
  outcome: 'done' | 'failed';
  peerId: string;
  files: Array<{ name: string; sha256: string; state: string; origin: string }>;
  missing: Array<{ name: string; reason: string }>;
  error: { code: string; message: string } | null;
  banned: string[];
}

export interface Ending {
  code: number | null;
  summary: Summary | null;
  stdout: string;
  stderr: string;
}

/**
 * Waits for the process to exit by itself within `boundMs` (from now) and returns its exit
 * code and its --json summary. A process still alive then fails the test ("every share exits
 * on its own").
 */
export async function ending(proc: Proc, boundMs = EXIT_BOUND_MS): Promise<Ending> {
  let timer: NodeJS.Timeout | undefined;
  const alive = new Promise<'alive'>((resolve) => {
    timer = setTimeout(() => resolve('alive'), boundMs);
  });
  const outcome = await Promise.race([proc.exited, alive]);
  clearTimeout(timer);
  const { stdout, stderr } = proc.output();
  if (outcome === 'alive') {
    throw new Error(`still running ${boundMs} ms later:\n${stderr.slice(-3000)}`);
  }
  let summary: Summary | null = null;
  try {
    summary = JSON.parse(stdout) as Summary;
  } catch {
    summary = null;
  }
  return { code: outcome, summary, stdout, stderr };
}

/** Every file in `dir` (dot files and `.part`s left out) with its SHA-256. */
export async function held(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    out[name] = sha(await readFile(join(dir, name)));
  }
  return out;
}

/** The `.part` files in `dir` with their apparent sizes. */
export async function parts(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await readdir(dir)) {
    if (name.endsWith('.part')) out[name] = (await stat(join(dir, name))).size;
  }
  return out;
}

/** Every `host port` the victim connected to, in order. */
export async function dials(v: Victim): Promise<Array<{ host: string; port: number }>> {
  const text = await readFile(v.dialLog, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [host, port] = line.split(' ');
      return { host: host!, port: Number(port) };
    });
}

/** A TCP listener that only counts (and closes) the connections that reach it. */
export async function countingListener(host: string) {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.destroy();
  });
  server.listen(0, host);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host,
    port,
    count: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The 4 bytes of a dotted IPv4 address. */
export const ipv4 = (text: string) => Uint8Array.from(text.split('.').map(Number));

/** The attacker's own record: its listening address, signed by itself. */
export function ownRecord(key: HostileKey, port: number, seq = 1) {
  return recordEntry(key, {
    seq,
    expiresAt: Date.now() + 10 * 60_000,
    complete: true,
    addresses: [{ ip: ipv4('127.0.0.1'), port }],
  });
}

/**
 * The attacker's own v1 `peers` entry (its ID, the port it listens on, no host: the receiver
 * takes the connection's address), as the first of a `peers` message's entries.
 */
export function ownEntry(key: HostileKey, port: number, complete: boolean) {
  return { peerId: key.peerId, host: '', port, seq: 1, complete, offers: [] as string[] };
}

/** A file the attacker announces (and serves): its signed manifest and its bytes. */
export interface HostileFile {
  name: string;
  data: Buffer;
  chunkSize: number;
}

export function signedManifestOf(key: HostileKey, file: HostileFile, holdsAll = true): WireMessage {
  const fields = manifestFieldsOf(file.name, file.data, file.chunkSize);
  const chunks = Math.ceil(file.data.length / file.chunkSize);
  const have = Buffer.alloc(Math.ceil(chunks / 8));
  if (holdsAll) for (let i = 0; i < chunks; i++) have[i >> 3]! |= 0x80 >> (i % 8);
  return manifestMessage(key, fields, { have });
}

/**
 * Answers every `request` for a file in `files` with the chunk, for as long as the socket is
 * open (at most `maxChunks` chunks in all: an attacker that serves is still bounded here).
 */
export function serve(peer: HostilePeer, files: HostileFile[], maxChunks = 1024): Promise<void> {
  const byName = new Map(files.map((f) => [f.name, f]));
  let served = 0;
  return (async () => {
    for (;;) {
      const message = await peer.next(undefined, 120_000).catch(() => null);
      if (message === null) return;
      if (message.type !== 'request') continue;
      const file = byName.get(String(message.name));
      const index = Number(message.index);
      if (!file || served >= maxChunks) continue;
      served++;
      const data = file.data.subarray(index * file.chunkSize, (index + 1) * file.chunkSize);
      peer.send({ type: 'chunk', name: file.name, index, data });
    }
  })();
}

/**
 * An attacker the victim dials (it is in the victim's `--peers`): accepts one connection,
 * proves its own key as the acceptor, then greets first (§8.5, §9.10): `messages` (its
 * manifests, records, …) and its own record. Returns the connection for more.
 */
export async function acceptVictim(
  listener: Awaited<ReturnType<typeof HostilePeer.listen>>,
  key: HostileKey,
  greeting: WireMessage[],
  timeoutMs = 20_000,
): Promise<HostilePeer> {
  const peer = await listener.next(timeoutMs);
  const result = await peer.handshake({
    role: 'acceptor',
    key,
    timeoutMs,
    outcomeTimeoutMs: 200,
  });
  if (result.auth === null) {
    throw new Error(`the victim did not prove itself: ${JSON.stringify(result.outcome)}`);
  }
  peer.sendMany(greeting);
  return peer;
}

/**
 * An attacker that dials the victim: proves `key` as the dialer and waits for the victim's
 * greeting to end (v1: its `peers`; v2: `records` after its manifests), so that what it sends
 * next is in the dialer's place in the protocol.
 */
export async function dialVictim(v: Victim, key: HostileKey = hostileKey()): Promise<HostilePeer> {
  const peer = await HostilePeer.connect(v.host, v.port);
  const result = await peer.handshake({ role: 'dialer', key, outcomeTimeoutMs: 10_000 });
  if (result.auth === null) {
    peer.close();
    throw new Error(`the victim refused the handshake: ${JSON.stringify(result.outcome)}`);
  }
  let sawManifest = result.outcome?.type === 'manifest';
  for (let i = 0; i < 1000; i++) {
    const m = i === 0 ? result.outcome : await peer.next(undefined, 10_000);
    if (m === null) break;
    if (m.type === 'manifest') sawManifest = true;
    if (m.type === 'peers' || (m.type === 'records' && sawManifest) || m.type === 'bye') break;
  }
  return peer;
}

/** Asserts the exit code, naming what the process reported when it differs. */
export function expectExit(e: Ending, code: number): void {
  if (e.code !== code) {
    throw new Error(
      `exit ${e.code}, expected ${code}; error ${JSON.stringify(e.summary?.error)}; missing ${JSON.stringify(
        e.summary?.missing,
      )}\n${e.stderr.slice(-2500)}`,
    );
  }
}
