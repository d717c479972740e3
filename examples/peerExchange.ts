import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import Table from 'cli-table3';
import { type PeerInput, type StartedPeer, startPeer } from '../src/actors/peer.machine';
import type { PeerSummary } from '../src/p2p/peerSummary';
import type { TransferTimeline } from '../src/report/transfers';
import { loopbackAddresses } from '../src/runtime/loopback';
import { tcpTransport } from '../src/transport';

export interface ExchangeOptions {
  /** One folder per peer: it receives every other file there. */
  dirs: string[];
  /** The file each peer contributes (same order as `dirs`). */
  files: string[];
  /** Address each peer listens on (and dials from); 127.0.0.1 by default. */
  hosts?: string[];
  /** Names for the report's lanes (`client_1`, …). */
  labels?: string[];
  peer?: Partial<PeerInput>;
}

export interface VerifiedCopy {
  dir: string;
  file: string;
  sha256: string | null;
  ok: boolean;
}

export interface ExchangeResult {
  ok: boolean;
  summaries: PeerSummary[];
  copies: VerifiedCopy[];
  timeline: TransferTimeline;
  seconds: number;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function shaOf(path: string): Promise<string | null> {
  try {
    return sha(await readFile(path));
  } catch {
    return null;
  }
}

/**
 * Part III in one process: one peer per folder, each contributing its file, the first
 * listening and every other bootstrapping from it alone (the rest is learned by gossip).
 * Afterwards every folder is checked to hold every file with the original's SHA-256.
 */
export async function exchangeFiles(options: ExchangeOptions): Promise<ExchangeResult> {
  const n = options.dirs.length;
  const originals = await Promise.all(options.files.map(shaOf));
  const wallStart = Date.now();
  const t0 = performance.now();
  const peers: StartedPeer[] = [];
  for (let i = 0; i < n; i++) {
    const host = options.hosts?.[i] ?? '127.0.0.1';
    peers.push(
      await startPeer({
        transport: tcpTransport,
        listen: { host, port: 0 },
        localAddress: host,
        files: [options.files[i]!],
        dir: options.dirs[i]!,
        expect: n,
        ...(i > 0 ? { bootstrap: [peers[0]!.address] } : {}),
        ...options.peer,
      }),
    );
  }
  const summaries = await Promise.all(peers.map((p) => p.done));
  const seconds = (performance.now() - t0) / 1000;
  const copies: VerifiedCopy[] = [];
  for (const dir of options.dirs) {
    for (const [j, file] of options.files.entries()) {
      const got = await shaOf(join(dir, basename(file)));
      copies.push({
        dir,
        file: basename(file),
        sha256: got,
        ok: got !== null && got === originals[j],
      });
    }
  }
  const labels = options.labels ?? options.dirs.map((d) => basename(d));
  const labelOf = new Map(peers.map((p, i) => [p.peerId, labels[i]!]));
  const timeline: TransferTimeline = {
    startedAt: wallStart,
    peers: labels,
    transfers: summaries.flatMap((s, i) =>
      s.received
        .filter((r) => r.firstRequestAt !== null && r.completedAt !== null)
        .map((r) => ({
          file: r.name,
          to: labels[i]!,
          from: r.from.map((id) => labelOf.get(id) ?? id),
          startMs: Math.max(0, r.firstRequestAt! - t0),
          endMs: Math.max(0, r.completedAt! - t0),
          bytes: r.bytes,
          chunks: r.chunks,
        })),
    ),
  };
  const ok = summaries.every((s) => s.outcome === 'done') && copies.every((c) => c.ok);
  return { ok, summaries, copies, timeline, seconds };
}

/** A table: one row per folder, one column per file, ✓ when its SHA-256 equals the original's. */
export function verificationTable(result: ExchangeResult, dirLabels?: string[]): string {
  const files = [...new Set(result.copies.map((c) => c.file))];
  const dirs = [...new Set(result.copies.map((c) => c.dir))];
  const table = new Table({
    head: ['folder', ...files, 'outcome'],
    style: { head: [], border: [] },
  });
  for (const [i, dir] of dirs.entries()) {
    const summary = result.summaries[i];
    table.push([
      dirLabels?.[i] ?? dir,
      ...files.map((f) => {
        const copy = result.copies.find((c) => c.dir === dir && c.file === f);
        return copy?.ok
          ? `✓ ${copy.sha256!.slice(0, 12)}…`
          : copy?.sha256
            ? '✗ differs'
            : '✗ missing';
      }),
      summary ? `${summary.outcome}${summary.error ? ` (${summary.error.code})` : ''}` : '-',
    ]);
  }
  return table.toString();
}

/**
 * The assignment's Part III: the clients' folders exchange their files (each client's
 * `client_N_TimeData.txt`), then every folder is verified to hold all of them. Writes the
 * transfer timeline to `RUN/transfers.json` for the report. Returns true when all is well.
 */
export async function exchangeClientFiles(
  run: { clientDirs: string[]; clients: Array<{ files?: { table: string } | null }> },
  runDir: string,
  write: (text: string) => void = (text) => process.stderr.write(text),
): Promise<boolean> {
  const present = run.clients
    .map((c, i) => ({ dir: run.clientDirs[i]!, file: c.files?.table }))
    .filter((c): c is { dir: string; file: string } => typeof c.file === 'string');
  if (present.length < 2) {
    write('\nPeer-to-peer exchange skipped: fewer than two client files.\n');
    return present.length === run.clients.length;
  }
  // Copies left by an earlier run in the same folder are stale: this run's files replace them
  // (the exchange itself never overwrites a file it did not write).
  for (const p of present) {
    for (const other of present) {
      if (other !== p) await rm(join(p.dir, basename(other.file)), { force: true });
    }
  }
  write(`\nPeer-to-peer exchange of ${present.length} client files (no server)…\n`);
  const labels = present.map((p) => basename(p.dir));
  const result = await exchangeFiles({
    dirs: present.map((p) => p.dir),
    files: present.map((p) => p.file),
    hosts: await loopbackAddresses(present.length),
    labels,
    peer: { lingerMs: 5000 },
  });
  await writeFile(join(runDir, 'transfers.json'), `${JSON.stringify(result.timeline, null, 2)}\n`);
  write(`${verificationTable(result, labels)}\n`);
  write(
    result.ok
      ? `Every folder holds all ${present.length} files, SHA-256 equal to the originals (${result.seconds.toFixed(2)} s).\n`
      : 'Exchange incomplete: see the table above.\n',
  );
  for (const s of result.summaries)
    for (const m of s.missing) write(`missing in ${s.dir}: ${m.name}: ${m.reason}\n`);
  return result.ok && present.length === run.clients.length;
}
