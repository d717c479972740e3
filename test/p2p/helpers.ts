import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PeerInput, type StartedPeer, startPeer } from '../../src/actors/peer.machine';
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
export async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    out[name] = sha(await readFile(join(dir, name)));
  }
  return out;
}

export { randomBytes, rm };
