import type { ErrorInfo } from '../errors';
import type { ByteCounters } from '../transport/peerConnection';
import type { MissingFile, SwarmState } from './swarm';
import type { Uploader } from './uploader';

/** One file as a peer holds it at the end. */
export interface PeerFileReport {
  name: string;
  size: number;
  sha256: string;
  origin: 'own' | 'network';
  state: 'opening' | 'receiving' | 'complete' | 'failed';
  path: string | null;
}

/** A peer's whole run, for the CLI, examples, tests and benchmarks. */
export interface PeerSummary {
  outcome: 'done' | 'failed';
  peerId: string;
  address: string | null;
  dir: string;
  expected: number | null;
  files: PeerFileReport[];
  /** Files it should hold and does not, each with why. Empty on success. */
  missing: MissingFile[];
  error: ErrorInfo | null;
  peers: Array<{
    peerId: string;
    address: string;
    complete: boolean;
    status: string;
    reason: string | null;
  }>;
  bootstrap: Array<{ address: string; state: string; reason: string | null }>;
  bytes: {
    /** Everything written to sockets, frame headers included. */
    wireSent: number;
    wireReceived: number;
    /** Chunk payload bytes uploaded / verified and kept. */
    chunkSent: number;
    chunkReceived: number;
    /** Chunk payload received twice (end game). */
    duplicate: number;
  };
  chunks: { sent: number; received: number; duplicates: number; bad: number };
  banned: string[];
  /** Each file received: from whom, and when (ms of the peer's monotonic clock, see `startedAt`). */
  received: Array<{
    name: string;
    from: string[];
    firstRequestAt: number | null;
    completedAt: number | null;
    chunks: number;
    bytes: number;
  }>;
  /** The peer's start on its monotonic clock (peers in one process share that clock). */
  startedAt: number;
  durationMs: number;
  /** From start to holding every file, or null if it never did. */
  completeAfterMs: number | null;
}

/** What the swarm's bookkeeping says at the end: the part of a summary the keeper knows. */
export type SwarmReport = Pick<
  PeerSummary,
  'peerId' | 'files' | 'missing' | 'peers' | 'bytes' | 'chunks' | 'banned' | 'received'
>;

/** Reads the swarm's bookkeeping into a plain report (`missing` as if the run failed). */
export function reportSwarm(
  swarm: SwarmState,
  uploader: Uploader,
  counters: ByteCounters,
  expect: number | null,
): SwarmReport {
  const members = swarm.membership.others();
  return {
    peerId: swarm.membership.self.peerId,
    files: [...swarm.files.values()].map((record) => ({
      name: record.manifest.name,
      size: record.manifest.size,
      sha256: record.manifest.sha256.toString('hex'),
      origin: record.origin,
      state: record.state,
      path: record.stored?.path ?? null,
    })),
    missing: swarm.missing(expect),
    peers: members.map((m) => ({
      peerId: m.entry.peerId,
      address: `${m.entry.host}:${m.entry.port}`,
      complete: m.entry.complete,
      status: m.status,
      reason: m.reason ? `${m.reason.code}: ${m.reason.message}` : null,
    })),
    bytes: {
      wireSent: counters.sent,
      wireReceived: counters.received,
      chunkSent: uploader.bytesSent,
      chunkReceived: swarm.bytesReceived,
      duplicate: swarm.duplicateBytes,
    },
    chunks: {
      sent: uploader.chunksSent,
      received: swarm.chunksReceived,
      duplicates: swarm.duplicateChunks,
      bad: [...swarm.badChunks.values()].reduce((a, b) => a + b, 0),
    },
    banned: members.filter((m) => m.status === 'banned').map((m) => m.entry.peerId),
    received: [...swarm.inbound].map(([name, f]) => ({
      name,
      from: [...f.from],
      firstRequestAt: f.firstRequestAt,
      completedAt: f.completedAt,
      chunks: f.chunks,
      bytes: f.bytes,
    })),
  };
}

/** A report of nothing: a peer that ended before its swarm began. */
export const emptyReport = (peerId: string): SwarmReport => ({
  peerId,
  files: [],
  missing: [],
  peers: [],
  bytes: { wireSent: 0, wireReceived: 0, chunkSent: 0, chunkReceived: 0, duplicate: 0 },
  chunks: { sent: 0, received: 0, duplicates: 0, bad: 0 },
  banned: [],
  received: [],
});

/** What the peer itself knows of its run. */
export interface PeerFacts {
  address: string | null;
  dir: string;
  expect: number | null;
  bootstrap: Array<{ host: string; port: number; state: string; reason: string | null }>;
  failure: ErrorInfo | null;
  complete: boolean;
  durationMs: number;
  completeAfterMs: number | null;
  startedAt: number;
}

/** A peer's summary from its swarm's report and its own facts (pure). */
export function summarizePeer(report: SwarmReport, input: PeerFacts): PeerSummary {
  const ok = input.failure === null && input.complete;
  return {
    outcome: ok ? 'done' : 'failed',
    peerId: report.peerId,
    address: input.address,
    dir: input.dir,
    expected: input.expect,
    files: report.files,
    missing: ok ? [] : report.missing,
    error: ok
      ? null
      : (input.failure ?? { code: 'ERR_MISSING_FILES', message: 'not every file was obtained' }),
    peers: report.peers,
    bootstrap: input.bootstrap.map((b) => ({
      address: `${b.host}:${b.port}`,
      state: b.state,
      reason: b.reason,
    })),
    bytes: report.bytes,
    chunks: report.chunks,
    banned: report.banned,
    received: report.received,
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    completeAfterMs: input.completeAfterMs,
  };
}
