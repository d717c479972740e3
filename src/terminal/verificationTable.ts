import type { ExchangeResult } from '../assignment/exchangeFiles';
import { peerText } from '../log/peerText';
import { fitTable, terminalWidth } from './layout';

/**
 * A table: one row per folder, one column per file, ✓ when its SHA-256 equals the original's.
 * Fits `width` columns (default: the terminal's), one small table per folder when narrow.
 */
export function verificationTable(
  result: ExchangeResult,
  dirLabels?: string[],
  width = terminalWidth(),
): string {
  const files = [...new Set(result.copies.map((c) => c.file))];
  const dirs = [...new Set(result.copies.map((c) => c.dir))];
  const head = ['folder', ...files.map((f) => peerText(f)), 'outcome'];
  const rows = dirs.map((dir, i) => {
    const summary = result.summaries[i];
    return [
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
    ];
  });
  return fitTable(head, rows, width);
}
