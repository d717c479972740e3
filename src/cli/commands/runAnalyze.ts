import {
  analysisTable,
  analyzeRun,
  jsonText,
  readRunMetadata,
  readTransferTimeline,
  writeReport,
} from '../../index';
import type { AnalyzeOptions } from './analyze';

/** `timeswarm analyze`'s work; loaded only when the command runs (see `analyze.ts`). */
export async function runAnalyze(paths: string[], options: AnalyzeOptions): Promise<void> {
  const data = await analyzeRun(paths);
  if (options.json) process.stdout.write(`${jsonText(data.analysis, 2)}\n`);
  else process.stdout.write(`${analysisTable(data.analysis)}\n`);
  if (options.html) {
    const transfers = data.files.transfers
      ? await readTransferTimeline(data.files.transfers)
      : null;
    // The run's own run.json (host, command, load) when it left one.
    const meta = await readRunMetadata(paths);
    const path = await writeReport(options.html, {
      ...data,
      transfers,
      meta,
      ...(options.title ? { title: options.title } : {}),
    });
    process.stderr.write(`Report: ${path}\n`);
  }
}
