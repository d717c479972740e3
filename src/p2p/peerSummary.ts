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

export interface SummaryInput {
  swarm: SwarmState;
  uploader: Uploader;
  counters: ByteCounters;
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

export function summarizePeer(input: SummaryInput): PeerSummary {
  const { swarm } = input;
  const members = swarm.membership.others();
  const ok = input.failure === null && input.complete;
  return {
    outcome: ok ? 'done' : 'failed',
    peerId: swarm.membership.self.peerId,
    address: input.address,
    dir: input.dir,
    expected: input.expect,
    files: [...swarm.files.values()].map((record) => ({
      name: record.manifest.name,
      size: record.manifest.size,
      sha256: record.manifest.sha256.toString('hex'),
      origin: record.origin,
      state: record.state,
      path: record.stored?.path ?? null,
    })),
    missing: ok ? [] : swarm.missing(input.expect),
    error: ok
      ? null
      : (input.failure ?? { code: 'ERR_MISSING_FILES', message: 'not every file was obtained' }),
    peers: members.map((m) => ({
      peerId: m.entry.peerId,
      address: `${m.entry.host}:${m.entry.port}`,
      complete: m.entry.complete,
      status: m.status,
      reason: m.reason ? `${m.reason.code}: ${m.reason.message}` : null,
    })),
    bootstrap: input.bootstrap.map((b) => ({
      address: `${b.host}:${b.port}`,
      state: b.state,
      reason: b.reason,
    })),
    bytes: {
      wireSent: input.counters.sent,
      wireReceived: input.counters.received,
      chunkSent: input.uploader.bytesSent,
      chunkReceived: swarm.bytesReceived,
      duplicate: swarm.duplicateBytes,
    },
    chunks: {
      sent: input.uploader.chunksSent,
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
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    completeAfterMs: input.completeAfterMs,
  };
}
