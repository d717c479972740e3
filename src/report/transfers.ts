import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AnalysisError } from '../analysis/errors';

/**
 * What the report needs to draw the P2P exchange (Part III): one span per file a peer
 * received, from its first requested chunk to its verified rename. Times are milliseconds
 * from the start of the exchange, so peers on one host share one axis.
 *
 * A run folder may hold it as `transfers.json` (see `TRANSFERS_FILE`); `analyze --html`
 * and the three-clients example then add the transfer timeline to the report.
 *
 * @example
 * const timeline: TransferTimeline = {
 *   startedAt: Date.now(),
 *   peers: ['client_1', 'client_2', 'client_3'],
 *   transfers: [
 *     { file: 'client_2_TimeData.txt', to: 'client_1', from: ['client_2', 'client_3'],
 *       startMs: 12, endMs: 140, bytes: 1_800_000, chunks: 28 },
 *   ],
 * };
 */
export interface TransferTimeline {
  /** Wall clock at the start of the exchange, ms since the epoch (shown in the heading). */
  startedAt?: number;
  /** Peers, in the order their lanes are drawn. */
  peers: string[];
  transfers: TransferSpan[];
}

export interface TransferSpan {
  /** The file's name, e.g. `client_2_TimeData.txt`. */
  file: string;
  /** The peer that received (and verified) it. */
  to: string;
  /** The peers that served chunks of it. */
  from: string[];
  /** First request, ms from the start of the exchange. */
  startMs: number;
  /** Verified and in place, ms from the start of the exchange. */
  endMs: number;
  bytes: number;
  chunks?: number;
}

const spanSchema = z
  .object({
    file: z.string().min(1),
    to: z.string().min(1),
    from: z.array(z.string()),
    startMs: z.number().nonnegative(),
    endMs: z.number().nonnegative(),
    bytes: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative().optional(),
  })
  .refine((span) => span.endMs >= span.startMs, { message: 'endMs before startMs' });

const timelineSchema = z.object({
  startedAt: z.number().optional(),
  peers: z.array(z.string()),
  transfers: z.array(spanSchema),
});

/** Validates a timeline (from JSON or from code). @throws AnalysisError `ERR_TRANSFERS_FORMAT` */
export function parseTransferTimeline(value: unknown, path?: string): TransferTimeline {
  const result = timelineSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AnalysisError(
      `Invalid transfer timeline${path ? ` in ${path}` : ''}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      'ERR_TRANSFERS_FORMAT',
      path,
    );
  }
  const timeline = result.data as TransferTimeline;
  // A peer that only appears in spans still gets a lane.
  const peers = [...timeline.peers];
  for (const span of timeline.transfers) {
    for (const peer of [span.to, ...span.from]) if (!peers.includes(peer)) peers.push(peer);
  }
  return { ...timeline, peers };
}

/** Reads and validates a `transfers.json`. */
export async function readTransferTimeline(path: string): Promise<TransferTimeline> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new AnalysisError(
      `Cannot read ${path}: ${(error as Error).message}`,
      'ERR_TRANSFERS_FORMAT',
      path,
    );
  }
  return parseTransferTimeline(json, path);
}
