/**
 * What the v2 trust layer costs: signing and verifying a manifest (a 5-minute client file,
 * a 4 MiB file), a peer record, and one side of a handshake — against the baseline every
 * peer pays anyway for a file, hashing it once (SHA-256 of its bytes), measured in the
 * same run. Pure CPU, no sockets.
 *
 *   npm run bench -- signatures [--runs 5] [--ms 400]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { signPeerRecord, verifyPeerRecord } from '../src/p2p/gossip/peerRecord';
import { generateIdentity } from '../src/p2p/identity';
import { Handshake } from '../src/p2p/identity/handshake';
import { signManifest, verifySignedManifest } from '../src/p2p/ownership/signedManifest';
import { DEFAULT_CHUNK_SIZE, manifestOfBuffer, sha256 } from '../src/storage/manifest';
import { clientTableName, timestampTableFormat } from '../src/storage/timestampTable';
import { fmt, machineInfo, median, printTable, ratio, writeResults } from './lib/report';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** A 5-minute client file at 10 ms: 30,000 ticks, each a sent and a received row. */
function clientFile(): Buffer {
  const start = Date.UTC(2026, 11, 1) * 1000;
  const parts: string[] = [timestampTableFormat.header];
  for (let i = 0; i < 30_000; i++) {
    const t = start + i * 10_000;
    parts.push(
      timestampTableFormat.line(
        { senderIp: '127.0.0.2', receiverIp: '127.0.0.1', timeMicros: t },
        2 * i + 1,
      ),
    );
    parts.push(
      timestampTableFormat.line(
        { senderIp: '127.0.0.1', receiverIp: '127.0.0.2', timeMicros: t + 180 },
        2 * i + 2,
      ),
    );
  }
  parts.push(timestampTableFormat.footer({ durationMs: 300_000 }));
  return Buffer.from(parts.join(''));
}

/** Operations per second of `fn`, run for about `ms` milliseconds. */
function opsPerSecond(fn: () => unknown, ms: number): number {
  fn(); // warm
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 8; i++) fn();
    n += 8;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

function main(): void {
  const runs = option('runs', 5);
  const ms = option('ms', 400);
  const { identity } = generateIdentity();
  const files = [
    { label: `${clientTableName(1)} (5 min, 60,000 rows)`, data: clientFile() },
    { label: '4 MiB file', data: randomBytes(4 * 1024 * 1024) },
  ];
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  const measure = (label: string, bytes: number, op: () => unknown, baseline: () => unknown) => {
    const ours: number[] = [];
    const base: number[] = [];
    opsPerSecond(op, ms); // a discarded run, so the first operation measured is warm too
    for (let r = 0; r < runs; r++) {
      base.push(opsPerSecond(baseline, ms));
      ours.push(opsPerSecond(op, ms));
    }
    const o = median(ours);
    const b = median(base);
    rows.push([label, fmt(bytes), fmt(o), fmt(1e6 / o, 1), fmt(b), fmt(ratio(b, o), 3)]);
    json.push({ label, bytes, opsPerSecond: o, runsOps: ours, baselineOps: b, costVsHash: b / o });
  };

  for (const { label, data } of files) {
    const manifest = manifestOfBuffer('bench.txt', data, DEFAULT_CHUNK_SIZE);
    const signed = signManifest(identity, manifest);
    const claim = {
      manifest,
      owner: signed.owner as string,
      ownerKey: signed.ownerKey,
      signature: signed.signature,
    };
    const hashFile = () => sha256(data);
    measure(
      `sign manifest: ${label}`,
      data.length,
      () => signManifest(identity, manifest),
      hashFile,
    );
    measure(`verify manifest: ${label}`, data.length, () => verifySignedManifest(claim), hashFile);
    const ok = verifySignedManifest(claim);
    if (!ok.ok) throw new Error('the benchmark manifest does not verify');
  }

  const small = manifestOfBuffer('bench.txt', files[1]!.data, DEFAULT_CHUNK_SIZE);
  const hashSmall = () => sha256(small.chunkHashes);
  const now = Date.now();
  const recordFields = {
    seq: 1,
    expiresAt: now + 600_000,
    complete: false,
    addresses: [{ host: '127.0.0.1', port: 7000 }],
  };
  const record = signPeerRecord(identity, recordFields);
  measure('sign record', 0, () => signPeerRecord(identity, recordFields), hashSmall);
  measure(
    'verify record',
    0,
    () => verifyPeerRecord({ ...record, peerId: record.peerId as string }, { nowWallMs: now }),
    hashSmall,
  );
  const other = generateIdentity().identity;
  measure(
    'handshake, both sides (2 signs + 2 verifies)',
    0,
    () => {
      const d = new Handshake({ identity, role: 'dialer' });
      const a = new Handshake({ identity: other, role: 'acceptor' });
      const fromA = a.receiveHello(d.hello());
      const fromD = d.receiveHello(a.hello());
      if (!fromA.ok || !fromD.ok) throw new Error('handshake refused');
      if (!d.receiveAuth(fromA.value).ok || !a.receiveAuth(fromD.value).ok) {
        throw new Error('handshake did not prove');
      }
    },
    hashSmall,
  );

  printTable(
    `v2 trust costs, median of ${runs} runs × ${ms} ms (baseline: SHA-256 of the file; for records and handshakes, of the 4 MiB file's 2 KiB hash list)`,
    ['operation', 'file bytes', 'ops/s', 'µs/op', 'baseline ops/s', 'cost ÷ baseline'],
    rows,
  );
  writeResults('signatures', { machine: machineInfo(), runs, ms, results: json });
}

main();
