import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loopbackAddresses } from '../runtime/loopback';
import { type ExchangeResult, exchangeFiles } from './exchangeFiles';

/** What {@link exchangeClientFiles} needs of an assignment run. */
export interface ClientRun {
  clientDirs: string[];
  clients: Array<{ files?: { table: string } | null }>;
}

export interface ClientExchange {
  /** Client files that took part (clients that wrote none are left out). */
  files: number;
  /** Clients in the run. */
  clients: number;
  /** The exchange; null when fewer than two client files exist (nothing to exchange). */
  result: ExchangeResult | null;
  /** The report's lane names (`client_1`, …), in the order of `result`'s folders. */
  labels: string[];
  /** `RUN/transfers.json`, the transfer timeline for the report; null when skipped. */
  timelineFile: string | null;
  /** Every client wrote a file and every folder now holds all of them, verified. */
  ok: boolean;
}

/** The client files a run produced, with their folders. */
export function clientFiles(run: ClientRun): Array<{ dir: string; file: string }> {
  return run.clients
    .map((c, i) => ({ dir: run.clientDirs[i]!, file: c.files?.table }))
    .filter((c): c is { dir: string; file: string } => typeof c.file === 'string');
}

/**
 * The assignment's Part III: the clients' folders exchange their files (each client's
 * `client_N_TimeData.txt`) peer to peer, without the server, then every folder is verified to
 * hold all of them. Writes the transfer timeline to `RUN/transfers.json` for the report.
 */
export async function exchangeClientFiles(run: ClientRun, runDir: string): Promise<ClientExchange> {
  const present = clientFiles(run);
  const clients = run.clients.length;
  if (present.length < 2) {
    return {
      files: present.length,
      clients,
      result: null,
      labels: [],
      timelineFile: null,
      ok: present.length === clients,
    };
  }
  // Copies left by an earlier run in the same folder are stale: this run's files replace them
  // (the exchange itself never overwrites a file it did not write).
  for (const p of present) {
    for (const other of present) {
      if (other !== p) await rm(join(p.dir, basename(other.file)), { force: true });
    }
  }
  const labels = present.map((p) => basename(p.dir));
  const result = await exchangeFiles({
    dirs: present.map((p) => p.dir),
    files: present.map((p) => p.file),
    hosts: await loopbackAddresses(present.length),
    labels,
    peer: { lingerMs: 5000 },
  });
  const timelineFile = join(runDir, 'transfers.json');
  await writeFile(timelineFile, `${JSON.stringify(result.timeline, null, 2)}\n`);
  return {
    files: present.length,
    clients,
    result,
    labels,
    timelineFile,
    ok: result.ok && present.length === clients,
  };
}
