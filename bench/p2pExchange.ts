/**
 * Peer-to-peer exchange benchmark: k peers, each with its own file of S bytes and an upload
 * cap of B bytes/s, on loopback. Every peer must end with all k files.
 *
 * - Lower bound on time: (k−1)·S/B (every peer must download (k−1)·S, and the swarm's total
 *   upload is k·B). Lower bound on bytes: k·(k−1)·S.
 * - Baseline in the same run: a naive full-mesh push (every peer opens k−1 sockets and pushes
 *   its file to everyone, raw bytes, same token bucket).
 * - Also: the uncapped loopback time for the largest k.
 *
 *   npx tsx bench/p2pExchange.ts [--k 2,4,8,16] [--size 4MiB] [--rate 2MiB] [--uncapped 16]
 *     [--max-connections 8] [--chunk 64KiB] [--in-flight 4] [--no-naive] [--out bench/results/p2pExchange.md]
 *
 * The figures of record, with how to read them, are in bench/P2P_RESULTS.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { selectPeerCompleteAt } from '../src/actors/peer';
import type { PeerSummary } from '../src/p2p/peerSummary';
import { TokenBucket } from '../src/p2p/tokenBucket';
import { startPeer } from '../src/runtime';
import { tcpTransport } from '../src/transport';

interface Options {
  ks: number[];
  size: number;
  rate: number;
  uncapped: number | null;
  out: string | null;
  naive: boolean;
  maxConnections: number;
  chunkSize: number;
  inFlight: number | null;
}

function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const factor = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }[
    unit
  ]!;
  return Math.round(Number(m[1]) * factor);
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return {
    ks: (get('k') ?? '2,4,8,16').split(',').map(Number),
    size: parseBytes(get('size') ?? '4MiB'),
    rate: parseBytes(get('rate') ?? '2MiB'),
    uncapped: get('uncapped') === 'none' ? null : Number(get('uncapped') ?? 16),
    out: get('out') === 'none' ? null : (get('out') ?? 'bench/results/p2pExchange.md'),
    naive: !argv.includes('--no-naive'),
    maxConnections: Number(get('max-connections') ?? 8),
    chunkSize: parseBytes(get('chunk') ?? '64KiB'),
    inFlight: get('in-flight') ? Number(get('in-flight')) : null,
  };
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;

interface SwarmResult {
  k: number;
  seconds: number;
  wireBytes: number;
  chunkBytes: number;
  duplicateBytes: number;
  maxUploadShare: number;
  ok: boolean;
}

async function makeFiles(
  root: string,
  k: number,
  size: number,
): Promise<Array<{ dir: string; path: string; hash: string; name: string }>> {
  const out = [];
  for (let i = 0; i < k; i++) {
    const dir = join(root, `peer_${i}`);
    await mkdir(dir, { recursive: true });
    const data = randomBytes(size);
    const name = `peer_${i}_TimeData.txt`;
    await writeFile(join(dir, name), data);
    out.push({ dir, path: join(dir, name), hash: sha(data), name });
  }
  return out;
}

async function runSwarm(k: number, options: Options, rate: number | null): Promise<SwarmResult> {
  const root = await mkdtemp(join(os.tmpdir(), 'timeswarm-bench-'));
  try {
    const files = await makeFiles(root, k, options.size);
    const common = {
      transport: tcpTransport,
      expect: k,
      uploadLimit: rate,
      lingerMs: 5000,
      maxConnections: options.maxConnections,
      chunkSize: options.chunkSize,
      ...(options.inFlight ? { maxInFlightPerPeer: options.inFlight } : {}),
      durable: false,
      giveUpAfterMs: 60_000,
      timing: { stallTimeoutMs: 60_000 },
    };
    const t0 = performance.now();
    const first = await startPeer({
      ...common,
      listen: { host: '127.0.0.1', port: 0 },
      files: [files[0]!.path],
      dir: files[0]!.dir,
    });
    const peers = [first];
    for (let i = 1; i < k; i++) {
      peers.push(
        await startPeer({
          ...common,
          listen: { host: '127.0.0.1', port: 0 },
          files: [files[i]!.path],
          dir: files[i]!.dir,
          bootstrap: [first.address],
        }),
      );
    }
    // Completion is when the last peer holds everything (not when it has finished lingering).
    const completions = peers.map(
      (p) =>
        new Promise<number>((resolve) => {
          const check = () => {
            const s = p.actor.getSnapshot();
            if (selectPeerCompleteAt(s) !== null) {
              resolve(performance.now());
              return true;
            }
            if (s.status === 'active') return false;
            resolve(performance.now());
            return true;
          };
          if (check()) return;
          const sub = p.actor.subscribe(() => {
            if (check()) sub.unsubscribe();
          });
        }),
    );
    const last = Math.max(...(await Promise.all(completions)));
    const summaries: PeerSummary[] = await Promise.all(peers.map((p) => p.done));
    let ok = summaries.every((s) => s.outcome === 'done');
    for (const [i, s] of summaries.entries()) {
      if (s.outcome !== 'done') {
        process.stderr.write(
          `peer ${i} ${s.peerId}: ${s.error?.code} ${s.error?.message}; missing ${s.missing.map((m) => `${m.name} (${m.reason})`).join('; ')}\n`,
        );
      }
    }
    for (const f of files) {
      for (let i = 0; i < k; i++) {
        const data = await readFile(join(files[i]!.dir, f.name)).catch(() => Buffer.alloc(0));
        if (sha(data) !== f.hash) {
          ok = false;
          process.stderr.write(`peer ${i}: ${f.name} missing or different\n`);
        }
      }
    }
    const uploads = summaries.map((s) => s.bytes.chunkSent);
    return {
      k,
      seconds: (last - t0) / 1000,
      wireBytes: summaries.reduce((a, s) => a + s.bytes.wireSent, 0),
      chunkBytes: summaries.reduce((a, s) => a + s.bytes.chunkSent, 0),
      duplicateBytes: summaries.reduce((a, s) => a + s.bytes.duplicate, 0),
      maxUploadShare: Math.max(...uploads) / ((k - 1) * options.size),
      ok,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The naive baseline: every peer connects to every other and pushes its whole file, in
 * 64 KiB pieces taken round robin over its k−1 sockets, paced by the same token bucket.
 * Wire format: u32 name length, name, u64 size, bytes. Receivers verify SHA-256 at the end.
 */
async function runNaive(
  k: number,
  options: Options,
  rate: number,
): Promise<{ seconds: number; wireBytes: number; ok: boolean }> {
  const root = await mkdtemp(join(os.tmpdir(), 'timeswarm-naive-'));
  try {
    const files = await makeFiles(root, k, options.size);
    const datas = await Promise.all(files.map((f) => readFile(f.path)));
    let wire = 0;
    let received = 0;
    const expected = k * (k - 1);
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => {
      resolveAll = r;
    });
    const servers = await Promise.all(
      files.map(
        (f) =>
          new Promise<net.Server>((resolve) => {
            const server = net.createServer((socket) => {
              const parts: Buffer[] = [];
              socket.on('data', (d) => parts.push(d));
              socket.on('end', async () => {
                const whole = Buffer.concat(parts);
                const nameLength = whole.readUInt32BE(0);
                const name = whole.subarray(4, 4 + nameLength).toString();
                const size = Number(whole.readBigUInt64BE(4 + nameLength));
                const body = whole.subarray(12 + nameLength, 12 + nameLength + size);
                await writeFile(join(f.dir, name), body);
                received += 1;
                if (received === expected) resolveAll();
              });
            });
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    const t0 = performance.now();
    await Promise.all(
      files.map(async (f, i) => {
        const bucket = new TokenBucket(rate, Math.max(64 * 1024, rate / 50), performance.now());
        const sockets = await Promise.all(
          servers
            .map((s, j) => ({ s, j }))
            .filter(({ j }) => j !== i)
            .map(
              ({ s }) =>
                new Promise<net.Socket>((resolve) => {
                  const socket = net.connect(
                    (s.address() as net.AddressInfo).port,
                    '127.0.0.1',
                    () => resolve(socket),
                  );
                }),
            ),
        );
        const name = Buffer.from(f.name);
        const header = Buffer.alloc(12 + name.length);
        header.writeUInt32BE(name.length, 0);
        name.copy(header, 4);
        header.writeBigUInt64BE(BigInt(datas[i]!.length), 4 + name.length);
        for (const socket of sockets) {
          socket.write(header);
          wire += header.length;
        }
        const piece = 64 * 1024;
        for (let offset = 0; offset < datas[i]!.length; offset += piece) {
          for (const socket of sockets) {
            for (;;) {
              const wait = bucket.delay(performance.now());
              if (wait <= 0) break;
              await new Promise((r) => setTimeout(r, Math.ceil(wait)));
            }
            const part = datas[i]!.subarray(offset, offset + piece);
            bucket.take(part.length, performance.now());
            wire += part.length;
            if (!socket.write(part)) await new Promise((r) => socket.once('drain', r));
          }
        }
        for (const socket of sockets) socket.end();
      }),
    );
    await all;
    const seconds = (performance.now() - t0) / 1000;
    for (const s of servers) s.close();
    let ok = true;
    for (const f of files)
      for (let i = 0; i < k; i++)
        if (sha(await readFile(join(files[i]!.dir, f.name))) !== f.hash) ok = false;
    return { seconds, wireBytes: wire, ok };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  say(`# Peer-to-peer exchange benchmark`);
  say('');
  say(
    `S = ${mib(options.size)} per peer, upload cap B = ${mib(options.rate)}/s per peer (token bucket), ` +
      `chunks of ${options.chunkSize / 1024} KiB, at most ${options.maxConnections} connections per peer, ` +
      `all peers in one Node process on loopback TCP (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}), Node ${process.version}.`,
  );
  say(`Command: \`npx tsx bench/p2pExchange.ts ${process.argv.slice(2).join(' ')}\``);
  say('');
  say(
    '| k | bound (k−1)·S/B | swarm time | × bound | naive push time | × bound | min bytes k(k−1)S | swarm wire bytes | × min | swarm chunk payload × min | end-game dup. | naive wire bytes | × min | max upload / (k−1)S | verified |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const k of options.ks) {
    const bound = ((k - 1) * options.size) / options.rate;
    const minBytes = k * (k - 1) * options.size;
    const swarm = await runSwarm(k, options, options.rate);
    const naive = options.naive ? await runNaive(k, options, options.rate) : null;
    say(
      `| ${k} | ${bound.toFixed(2)} s | ${swarm.seconds.toFixed(2)} s | ${(swarm.seconds / bound).toFixed(3)} | ` +
        `${naive ? `${naive.seconds.toFixed(2)} s` : '–'} | ${naive ? (naive.seconds / bound).toFixed(3) : '–'} | ` +
        `${mib(minBytes)} | ${mib(swarm.wireBytes)} | ${(swarm.wireBytes / minBytes).toFixed(4)} | ${(swarm.chunkBytes / minBytes).toFixed(4)} | ${mib(swarm.duplicateBytes)} | ` +
        `${naive ? mib(naive.wireBytes) : '–'} | ${naive ? (naive.wireBytes / minBytes).toFixed(4) : '–'} | ` +
        `${swarm.maxUploadShare.toFixed(2)} | ${swarm.ok && (naive?.ok ?? true) ? 'yes' : 'NO'} |`,
    );
  }
  if (options.uncapped) {
    const k = options.uncapped;
    const swarm = await runSwarm(k, options, null);
    say('');
    say(
      `Uncapped loopback, k = ${k}: all ${k} peers hold all ${k} files after ${swarm.seconds.toFixed(2)} s ` +
        `(${mib(k * (k - 1) * options.size)} delivered, ${((k * (k - 1) * options.size) / 1024 ** 2 / swarm.seconds).toFixed(0)} MiB/s aggregate; ` +
        `wire bytes × min = ${(swarm.wireBytes / (k * (k - 1) * options.size)).toFixed(4)}; verified: ${swarm.ok ? 'yes' : 'NO'}).`,
    );
  }
  if (options.out) {
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, `${lines.join('\n')}\n`);
    process.stdout.write(`\nwritten to ${options.out}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
