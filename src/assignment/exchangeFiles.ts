import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { PeerInput } from '../actors/peer';
import type { PeerSummary } from '../p2p/peerSummary';
import type { TransferTimeline } from '../report/transfers';
import { type StartedPeer, startPeer } from '../runtime/peer';
import { tcpTransport } from '../transport';

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

/** One file in one folder after the exchange, checked against the original. */
export interface VerifiedCopy {
  dir: string;
  file: string;
  /** SHA-256 of the copy; null when it is missing. */
  sha256: string | null;
  ok: boolean;
}

export interface ExchangeResult {
  /** Every peer done and every copy equal to its original. */
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
 * Part III in one process, over TCP: one peer per folder, each contributing its file, the first
 * listening and every other bootstrapping from it alone (the rest is learned by gossip).
 * Afterwards every folder is checked to hold every file with the original's SHA-256.
 */
export async function exchangeFiles(options: ExchangeOptions): Promise<ExchangeResult> {
  const n = options.dirs.length;
  const originals = await Promise.all(options.files.map(shaOf));
  const wallStart = Date.now();
  const t0 = performance.now();
  const peers: StartedPeer[] = [];
  try {
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
  } catch (error) {
    // A peer that could not start: the ones already running must not outlive the call.
    for (const peer of peers) peer.actor.stop();
    throw error;
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
