import Table from 'cli-table3';
import type { ExchangeResult } from '../assignment/exchangeFiles';
import { peerText } from '../log/peerText';

/** A table: one row per folder, one column per file, ✓ when its SHA-256 equals the original's. */
export function verificationTable(result: ExchangeResult, dirLabels?: string[]): string {
  const files = [...new Set(result.copies.map((c) => c.file))];
  const dirs = [...new Set(result.copies.map((c) => c.dir))];
  const table = new Table({
    head: ['folder', ...files.map((f) => peerText(f)), 'outcome'],
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
      summary
        ? `${summary.outcome}${summary.error ? ` (${peerText(summary.error.code, 64)})` : ''}`
        : '-',
    ]);
  }
  return table.toString();
}
