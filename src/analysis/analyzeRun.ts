import { readFile } from 'node:fs/promises';
import { fileError, parseExchangeLog, parseTimestampTable } from '../storage';
import { analyzeClient } from './analyzeClient';
import { findRunFiles, type RunFiles } from './runFiles';
import { indexServerTable, type ServerIndex } from './serverIndex';
import type { ClientAnalysis, ClientSeries, RunAnalysis, RunData } from './types';

export const CONVENTIONS: RunAnalysis['conventions'] = {
  offset:
    'theta = ((t2 - t1) + (t3 - t4)) / 2 (NTP, RFC 5905): server clock minus client clock; positive means the server is ahead',
  delay: 'delta = (t4 - t1) - (t3 - t2): round trip minus the time the server held the message',
  filter:
    'minimum-delay filter (NTP clock filter, chrony): of every 8 consecutive exchanges the one with the smallest delta is kept',
  units: 'milliseconds; t in series is the client send time in seconds since the Unix epoch',
};

const read = (path: string) =>
  readFile(path, 'utf8').catch((error: unknown) => {
    throw fileError('read', path, error);
  });

/**
 * Reads a run (folders and/or files) and computes every client's statistics and plot series.
 *
 * @example
 * const { analysis } = await analyzeRun(['out/demo']);
 * const medianOffsetMs = analysis.clients[0]?.offsetMs?.median;
 */
export async function analyzeRun(paths: readonly string[]): Promise<RunData & { files: RunFiles }> {
  const files = await findRunFiles(paths);
  let server: ServerIndex | null = null;
  if (files.serverTable)
    server = indexServerTable(
      files.serverTable,
      parseTimestampTable(await read(files.serverTable), files.serverTable),
    );

  const ids = [...new Set([...files.clientTables.keys(), ...files.exchangeLogs.keys()])].sort(
    (a, b) => a - b,
  );
  const clients: ClientAnalysis[] = [];
  const series: ClientSeries[] = [];
  for (const clientId of ids) {
    const tablePath = files.clientTables.get(clientId);
    const exchangesPath = files.exchangeLogs.get(clientId);
    const result = analyzeClient({
      clientId,
      table: tablePath
        ? { path: tablePath, parsed: parseTimestampTable(await read(tablePath), tablePath) }
        : null,
      exchanges: exchangesPath
        ? {
            path: exchangesPath,
            parsed: parseExchangeLog(await read(exchangesPath), exchangesPath),
          }
        : null,
      server,
    });
    clients.push(result.analysis);
    series.push(result.series);
  }
  return {
    analysis: {
      inputs: [...paths],
      clients,
      server: server?.analysis ?? null,
      conventions: CONVENTIONS,
    },
    series,
    files,
  };
}
