/**
 * k peers share synthetic timestamp files with each other, no server, each peer in its own
 * process (`timeswarm share`), then every folder is verified.
 *
 *   npm run example:k-peers -- --peers 16
 *   npm run example:k-peers -- --peers 8 --size 4MB --upload-limit 4MB/s --max-connections 4
 *
 * Peer 1 starts first; every other peer is told only peer 1's address and finds the rest
 * by gossip. Ends with a verification table: files held, bytes in and out, time to complete.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { buildIfStale } from '../scripts/buildIfStale';
import {
  loopbackAddresses,
  type PeerSummary,
  parsePositiveInt,
  parseRate,
  parseSize,
  storage,
} from '../src';

interface Options {
  peers: number;
  size: number;
  out: string;
  uploadLimit: number | null;
  maxConnections: number;
  linger: string;
}

const program = new Command('example:k-peers')
  .description('k peers, each in its own process, share synthetic timestamp files without a server')
  .addOption(new Option('--peers <k>', 'number of peers').argParser(parsePositiveInt).default(16))
  .addOption(
    new Option('--size <size>', 'size of each peer’s file')
      .argParser(parseSize)
      .default(4e6, '4MB'),
  )
  .option('--out <dir>', 'run folder (peer_N/ inside)', 'out/k-peers')
  .addOption(
    new Option('--upload-limit <rate>', 'upload cap per peer')
      .argParser(parseRate)
      .default(null, 'unlimited'),
  )
  .addOption(
    new Option('--max-connections <n>', 'connections per peer')
      .argParser(parsePositiveInt)
      .default(8),
  )
  .option('--linger <time>', 'how long a complete peer keeps serving at most', '10s')
  .showHelpAfterError('(run with --help for usage)');

// The peers run the built CLI: rebuild dist/ first if a source changed since the last build.
const BIN = resolve(__dirname, '..', 'bin', 'timeswarm.cjs');
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mib = (n: number) => `${(n / 1024 ** 2).toFixed(2)} MiB`;

/** A timestamp table of about `size` bytes, in the format clients write. */
function syntheticTable(peer: number, ip: string, size: number): Buffer {
  const lines = [
    'Timestamp Data',
    '',
    "| # | Sender's IP | Receiver's IP | Date | Time |",
    '|---|-------------|---------------|------|------|',
  ];
  let bytes = lines.join('\n').length + 1;
  const start = Date.UTC(2026, 10, 24) * 1000 + peer * 1_000_003;
  for (let n = 1; bytes < size - 60; n++) {
    const t = storage.formatMicros(start + n * 10_000);
    const [from, to] = n % 2 === 1 ? [ip, '127.0.0.1'] : ['127.0.0.1', ip];
    const line = `| ${n} | ${from} | ${to} | ${t.date} | ${t.time} |`;
    lines.push(line);
    bytes += line.length + 1;
  }
  lines.push('End of Timestamp Data (synthetic)');
  return Buffer.from(`${lines.join('\n')}\n`);
}

interface Child {
  index: number;
  process: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number>;
}

function startChild(index: number, args: string[]): Child {
  const child = spawn(process.execPath, [BIN, '--log-level', 'warn', 'share', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const record: Child = {
    index,
    process: child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolveExit) => child.on('exit', (code) => resolveExit(code ?? 1))),
  };
  child.stdout!.on('data', (d) => {
    record.stdout += d;
  });
  child.stderr!.on('data', (d) => {
    record.stderr += d;
  });
  return record;
}

/** Waits for the `listening on HOST:PORT` line a peer prints once it listens. */
async function listeningAddress(child: Child): Promise<string> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const m = /listening on (\S+:\d+)/.exec(child.stderr);
    if (m) return m[1]!;
    if (child.process.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`peer 1 did not start:\n${child.stderr}`);
}

async function main(): Promise<void> {
  const options = program.parse(process.argv).opts<Options>();
  buildIfStale();
  const k = options.peers;
  const ips = await loopbackAddresses(k);
  process.stderr.write(`Creating ${k} files of ${mib(options.size)} in ${options.out}…\n`);
  const files: Array<{ dir: string; path: string; name: string; sha: string }> = [];
  for (let i = 0; i < k; i++) {
    const dir = join(options.out, `peer_${i + 1}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const name = `peer_${i + 1}_TimeData.txt`;
    const data = syntheticTable(i + 1, ips[i]!, options.size);
    await writeFile(join(dir, name), data);
    files.push({ dir, path: join(dir, name), name, sha: sha(data) });
  }

  const common = (i: number) => [
    '--file',
    files[i]!.path,
    '--dir',
    files[i]!.dir,
    '--listen',
    `${ips[i]}:0`,
    '--expect',
    String(k),
    '--max-connections',
    String(options.maxConnections),
    '--linger',
    options.linger,
    '--json',
    '--quiet',
    ...(options.uploadLimit ? ['--upload-limit', String(options.uploadLimit)] : []),
  ];
  const t0 = performance.now();
  const first = startChild(0, common(0));
  const address = await listeningAddress(first);
  process.stderr.write(
    `Peer 1 listens on ${address}; starting ${k - 1} more peers, each told only that address…\n`,
  );
  const children = [first];
  for (let i = 1; i < k; i++) children.push(startChild(i, [...common(i), '--peers', address]));
  const codes = await Promise.all(children.map((c) => c.exit));
  const seconds = (performance.now() - t0) / 1000;

  const summaries = children.map((c) => {
    try {
      return JSON.parse(c.stdout) as PeerSummary;
    } catch {
      return null;
    }
  });
  const table = new Table({
    head: [
      'peer',
      'address',
      'exit',
      'files verified',
      'bytes in',
      'bytes out (chunks)',
      'complete after',
      'upload share',
    ],
    style: { head: [], border: [] },
  });
  let allOk = true;
  let totalOut = 0;
  for (const [i, child] of children.entries()) {
    let verified = 0;
    for (const f of files) {
      try {
        if (sha(await readFile(join(files[i]!.dir, f.name))) === f.sha) verified += 1;
      } catch {
        // missing: counted as not verified
      }
    }
    const s = summaries[i];
    totalOut += s?.bytes.chunkSent ?? 0;
    const ok = codes[i] === 0 && verified === k;
    allOk &&= ok;
    table.push([
      String(i + 1),
      s?.address ?? ips[i]!,
      String(codes[i]),
      `${verified}/${k}${ok ? ' ✓' : ' ✗'}`,
      s ? mib(s.bytes.wireReceived) : '-',
      s ? mib(s.bytes.chunkSent) : '-',
      s?.completeAfterMs != null ? `${(s.completeAfterMs / 1000).toFixed(2)} s` : '-',
      s ? `${((s.bytes.chunkSent / ((k - 1) * options.size)) * 100).toFixed(0)} %` : '-',
    ]);
    if (!ok) process.stderr.write(`peer ${i + 1} stderr:\n${child.stderr}\n`);
  }
  process.stderr.write(`${table.toString()}\n`);
  const minBytes = k * (k - 1) * options.size;
  process.stderr.write(
    `${k} peers, ${k} files of ${mib(options.size)}: ${allOk ? 'every peer holds every file, SHA-256 verified' : 'NOT every peer holds every file'}; ` +
      `${seconds.toFixed(1)} s in all (process start-up included); chunk bytes sent ${mib(totalOut)} = ` +
      `${(totalOut / minBytes).toFixed(4)} × the minimum k(k−1)S.\n`,
  );
  process.exitCode = allOk ? 0 : 1;
}

main().catch((error: Error) => {
  process.stderr.write(`example failed: ${error.message}\n`);
  process.exitCode = 1;
});
